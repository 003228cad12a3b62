// @generated automatically by Diesel CLI.

diesel::table! {
    collector_state (job) {
        #[max_length = 64]
        job -> Varchar,
        cursor_int -> Nullable<Bigint>,
        counter -> Integer,
        #[max_length = 64]
        cursor_text -> Nullable<Varchar>,
        last_poll_at -> Nullable<Datetime>,
        created_at -> Datetime,
        last_run_start -> Nullable<Datetime>,
        last_success -> Nullable<Datetime>,
        last_error_at -> Nullable<Datetime>,
        error_count -> Integer,
    }
}

diesel::table! {
    game (id) {
        id -> Integer,
        #[max_length = 64]
        map_id -> Varchar,
        min_elo -> Integer,
        average_elo -> Integer,
        max_elo -> Integer,
        time -> Datetime,
        is_finished -> Bool,
        trackmaster_limit -> Integer,
        rounds -> Nullable<Integer>,
    }
}

diesel::table! {
    map (uid) {
        #[max_length = 64]
        uid -> Varchar,
        #[max_length = 128]
        name -> Varchar,
    }
}

diesel::table! {
    player (uuid) {
        #[max_length = 40]
        uuid -> Varchar,
        #[max_length = 64]
        name -> Varchar,
        points -> Integer,
        rank -> Integer,
        last_points_update -> Datetime,
        last_match_id -> Nullable<Integer>,
        last_name_update -> Datetime,
        zone_id -> Nullable<Integer>,
        country_id -> Nullable<Integer>,
        #[max_length = 64]
        club_tag -> Nullable<Varchar>,
        region_id -> Nullable<Integer>,
        points_fetch_retries -> Integer,
    }
}

diesel::table! {
    playergame (id) {
        id -> Integer,
        game_id -> Integer,
        #[max_length = 40]
        player_id -> Varchar,
        is_mvp -> Bool,
        is_win -> Bool,
        position -> Nullable<Integer>,
        points -> Nullable<Integer>,
        rank_after_match -> Nullable<Integer>,
        points_after_match -> Nullable<Integer>,
    }
}

diesel::table! {
    playerseason (id) {
        id -> Integer,
        season_id -> Integer,
        #[max_length = 40]
        player_id -> Varchar,
        points -> Integer,
        rank -> Integer,
        #[max_length = 64]
        club_tag -> Nullable<Varchar>,
    }
}

diesel::table! {
    rankstatrollup (id) {
        id -> Integer,
        start_time -> Datetime,
        end_time -> Datetime,
        period -> Integer,
        rank -> Integer,
        count -> Integer,
        last_game_time -> Nullable<Datetime>,
    }
}

diesel::table! {
    season (id) {
        id -> Integer,
        #[max_length = 32]
        name -> Varchar,
        start_time -> Datetime,
        end_time -> Datetime,
        is_aggregated -> Bool,
    }
}

diesel::table! {
    zone (id) {
        id -> Integer,
        #[max_length = 40]
        uuid -> Varchar,
        name -> Text,
        parent_id -> Nullable<Integer>,
        #[max_length = 10]
        country_alpha3 -> Nullable<Varchar>,
        file_name -> Text,
    }
}

diesel::joinable!(game -> map (map_id));
diesel::joinable!(player -> game (last_match_id));
diesel::joinable!(playergame -> game (game_id));
diesel::joinable!(playergame -> player (player_id));
diesel::joinable!(playerseason -> player (player_id));
diesel::joinable!(playerseason -> season (season_id));

diesel::allow_tables_to_appear_in_same_query!(
    collector_state,
    game,
    map,
    player,
    playergame,
    playerseason,
    rankstatrollup,
    season,
    zone,
);
