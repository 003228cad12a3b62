//! The fixtures' scenario (fixtures/README.md, "Scenario", steps 1 to 7 and
//! its variants) played through the real pipeline only: `mmstatus fetch
//! --once` with every job, in its order, and `mmstatus resolve-names`, every
//! table checked after each run against the scenario's numbers.
//!
//! One `fetch --once` runs the jobs in the order token, matches,
//! update-matches, ranks, match-elo, recompute-elo, top-positions, maps,
//! zones-sync, zones, countries, regions, club-tags, watchdog. So the run
//! that records match 1 (step 1) also finishes it (step 2: it is 5 min old),
//! fetches the players' points (step 3: its games get their points after
//! the match at once), computes its elo (step 4) and places the players
//! (step 5). Two effects of the jobs together show in the rows:
//! - top-positions (§2.11) gives every player of this small database its
//!   position by points, on `player.rank` and on the current season's rows,
//!   over the leaderboard's rank; the leaderboard's ranks show in
//!   `playergame.rank_after_match`;
//! - the map's name is what opens the next season (step 7), so until that
//!   step the API does not know the map yet (HTTP 500, as
//!   `live/map_info_not_found.json`): the map stays unnamed, and each run
//!   counts that error (exit code 6, "errors in maps (1)").

use crate::collector::stored;
use crate::collector::Collector;
use crate::common::{strings, Run};
use crate::fake_nadeo::{unix_now, Reply, Scenario};
use crate::pipeline::{AACHEN, AIN, EUROPE, FRANCE, NOWHERE, SENTINEL};
use chrono::{NaiveDateTime, TimeZone};
use diesel::MysqlConnection;
use serde_json::{json, Value};
use std::time::Instant;

/// The fixtures' six accounts, p1 to p6 (p3 the mvp).
const P: [&str; 6] = crate::collect_ranks::FIXTURE_PLAYERS;
/// The leaderboard of `meet/player_ranks_full.json`: p1 to p5 (p5 at 0
/// points); p6 is missing.
const RANKS: [(i64, i64); 5] = [
    (3120, 2214),
    (2987, 3390),
    (4411, 7),
    (1544, 98231),
    (0, 412_876),
];
const NAMES_OF_P1_TO_P4: [&str; 4] = ["Blizzard_TM", "Ärger", "Kappa⚡", "player_4"];
const TAGS_OF_P1_TO_P3: [&str; 3] = ["$F05TSH", "⚡GG", ""];
const FIXTURE_START: i64 = 1_767_261_600;

/// Epoch seconds as the stored local time (Europe/Paris).
fn local(epoch: i64) -> NaiveDateTime {
    chrono::Utc
        .timestamp_opt(epoch, 0)
        .unwrap()
        .with_timezone(&chrono_tz::Europe::Paris)
        .naive_local()
}

fn text(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// E4 in the shape of `meet/match_official_3v3_completed.json`.
fn match_body(id: i64, start: i64, status: &str) -> Value {
    let mut body = Scenario::official_match(id, "Official 3v3 - match", "FAKE_UID", start, status);
    body["serverStatus"] = json!("DELETED");
    body["mediaUrl"] = json!("");
    body
}

/// E5 while the match runs (`match_participants_ongoing.json`): no rank,
/// no score.
fn participants_ongoing(players: &[&str]) -> Value {
    Scenario::participants(players, None, Some(2))
}

/// E5 once completed (`match_participants_completed.json`): scores 20, 19,
/// 21, 18, 17, 16; the third player the mvp.
fn participants_completed(players: &[&str]) -> Value {
    Scenario::participants(players, Some(&[20, 19, 21, 18, 17, 16]), Some(2))
}

/// E6, `match_teams_completed.json`: team 0 won 5 to 3 (8 rounds).
fn teams_completed() -> Value {
    json!([{"position": 0, "score": 5, "rank": 1}, {"position": 1, "score": 3, "rank": 2}])
}

/// E6, `match_teams_bugged_zero_rounds.json`.
fn teams_bugged() -> Value {
    json!([{"position": 0, "score": 0, "rank": 1}, {"position": 1, "score": 0, "rank": 1}])
}

/// A completed match the fake serves: E4 completed, E5 as the walker sees
/// it first (running) and then completed, E6 `teams`.
fn serve_match(c: &Collector, id: i64, start: i64, players: &[&str], teams: Value) {
    c.scenario.lock().unwrap().add_match(
        id,
        match_body(id, start, "COMPLETED"),
        participants_completed(players),
        teams,
        Instant::now(),
    );
    c.api.fake.on(
        "GET",
        &format!("/meet/api/matches/{id}/participants"),
        vec![
            Reply::ok(&participants_ongoing(players)),
            Reply::ok(&participants_completed(players)),
        ],
    );
}

/// The leaderboard, zones (`core/account_zones.json`: p5 in a zone no table
/// has, p6 absent), display names (`oauth/display_names_full.json`: p1–p4)
/// and club tags (`core/club_tags_full.json`: p1–p3) of the scenario.
fn serve_players(c: &Collector) {
    let mut s = c.scenario.lock().unwrap();
    for (p, rank) in P.iter().zip(RANKS) {
        s.ranks.insert(p.to_string(), rank);
    }
    for (p, zone) in P.iter().zip([AIN, FRANCE, EUROPE, AACHEN, NOWHERE]) {
        s.zones.insert(p.to_string(), zone.to_string());
    }
    for (p, name) in P.iter().zip(NAMES_OF_P1_TO_P4) {
        s.names.insert(p.to_string(), name.to_string());
    }
    for (p, tag) in P.iter().zip(TAGS_OF_P1_TO_P3) {
        s.club_tags.insert(p.to_string(), tag.to_string());
    }
}

/// `fetch --once`, every job.
fn fetch(c: &Collector) -> Run {
    c.run(&["fetch", "--once"], &[])
}

/// A run that went through with the unknown map as its only error.
#[track_caller]
fn assert_only_the_map_failed(run: &Run) {
    run.assert_code(6)
        .assert_stdout_contains("errors in maps (1)\n");
}

fn rows(conn: &mut MysqlConnection, table: &str) -> Vec<String> {
    crate::pipeline::dump(conn)
        .into_iter()
        .find(|(name, _)| *name == table)
        .unwrap()
        .1
}

/// A season created the way an operator creates it.
fn create_season(c: &Collector, name: &str, start: NaiveDateTime, end: NaiveDateTime) {
    c.run(
        &[
            "create-season",
            "--name",
            name,
            "--start",
            &text(start),
            "--end",
            &text(end),
        ],
        &[],
    )
    .assert_ok();
}

fn now() -> NaiveDateTime {
    use chrono::SubsecRound;
    local(unix_now()).trunc_subsecs(0)
}

/// A player's row as `pipeline::dump` shows it.
#[allow(clippy::too_many_arguments)]
fn player(
    p: &str,
    name: &str,
    points: i64,
    rank: i64,
    points_update: &str,
    name_update: &str,
    place: &str,
    tag: &str,
    retries: i32,
) -> String {
    format!(
        "{}|{name}|{points}|{rank}|{points_update}|{name_update}|1|{place}|{tag}|{retries}",
        stored(p)
    )
}

/// Each player's zone, country and region (step 5): Ain in Auvergne-Rhône-
/// Alpes, France, Europe (country World, region Europe), Aachen in
/// Nordrhein-Westfalen; p5 (unknown zone) and p6 (absent) have none.
const PLACES: [&str; 6] = [
    "7|185|47",
    "185|185|185",
    "176|639|176",
    "1|197|407",
    "NULL|NULL|NULL",
    "NULL|NULL|NULL",
];

/// Positions by points (top-positions): p3 4411, p1 3120, p2 2987, p4 1544,
/// then p5 and p6 at 0 in uuid order.
const POSITIONS: [i64; 6] = [2, 3, 1, 4, 5, 6];

#[test]
fn the_fixtures_scenario_through_fetch_and_resolve_names() {
    let c = Collector::new(true);
    let mut conn = c.conn();
    let start = unix_now() - 300;
    let game_time = text(local(start));
    let (winter_start, winter_end) = (
        now() - chrono::Duration::days(30),
        now() + chrono::Duration::days(30),
    );
    create_season(&c, "Winter 2026", winter_start, winter_end);
    serve_match(&c, 1, start, &P, teams_completed());
    serve_players(&c);

    // Steps 1 to 5 (and match 2 still missing: a 404).
    assert_only_the_map_failed(&fetch(&c));
    assert_eq!(rows(&mut conn, "map"), ["FAKE_UID|"]);
    assert_eq!(
        rows(&mut conn, "game"),
        // Finished with 8 rounds; min 0 (p6), max 4411, average
        // floor(12062 / 6); no trackmaster when it was recorded.
        [format!("1|FAKE_UID|0|2010|4411|{game_time}|1|99999|8")]
    );
    // p6's points update and retries follow its absences.
    let players = |p6: (&str, i32), names: [&str; 6], named: &str, tags: [&str; 6]| {
        let mut rows: Vec<String> = (0..6)
            .map(|i| {
                let (points, update, retries) = match i {
                    0..=4 => (RANKS[i].0, "set", 0),
                    _ => (0, p6.0, p6.1),
                };
                player(
                    P[i],
                    names[i],
                    points,
                    POSITIONS[i],
                    update,
                    named,
                    PLACES[i],
                    tags[i],
                    retries,
                )
            })
            .collect();
        rows.sort();
        rows
    };
    let unnamed = [""; 6];
    let untagged = ["NULL"; 6];
    // p6, absent from the leaderboard, waits at the head of the queue with
    // one retry.
    assert_eq!(
        rows(&mut conn, "player"),
        players(("never", 1), unnamed, "never", untagged)
    );
    let playergames = |p6_after: &str| -> Vec<String> {
        let results = [
            (1, 20, 0, 1),
            (2, 19, 0, 1),
            (3, 21, 1, 1),
            (4, 18, 0, 0),
            (5, 17, 0, 0),
            (6, 16, 0, 0),
        ];
        (0..6)
            .map(|i| {
                let (position, points, mvp, win) = results[i];
                let after = match i {
                    0..=4 => format!("{}|{}", RANKS[i].1, RANKS[i].0),
                    _ => p6_after.to_string(),
                };
                format!("1|{}|{win}|{mvp}|{position}|{points}|{after}", stored(P[i]))
            })
            .collect()
    };
    assert_eq!(rows(&mut conn, "playergame"), playergames("NULL|NULL"));
    assert_eq!(
        rows(&mut conn, "season"),
        [format!(
            "Winter 2026|{}|{}|0",
            text(winter_start),
            text(winter_end)
        )]
    );
    let season_rows = |tags: [&str; 4]| -> Vec<String> {
        let mut rows: Vec<String> = (0..4)
            .map(|i| {
                format!(
                    "Winter 2026|{}|{}|{}|{}",
                    stored(P[i]),
                    RANKS[i].0,
                    POSITIONS[i],
                    tags[i]
                )
            })
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(rows(&mut conn, "playerseason"), season_rows(["NULL"; 4]));
    assert!(
        rows(&mut conn, "collector_state").contains(&"matches|2|NULL".to_string()),
        "the walk waits at id 2"
    );
    assert_eq!(
        crate::common::count(
            &mut conn,
            "SELECT counter AS value FROM collector_state WHERE job = 'matches'"
        ),
        1,
        "one miss counted at the end of the poll"
    );

    // Step 3's variant: p6 is missing from 19 more answers; the 20th
    // absence sets it to 0 points, rank 0 (top-positions then places it
    // sixth again) and fills its points after the match with 0, rank 0.
    let zone_calls = c.api.fake.count("/core/accounts/zones/");
    for retries in 2..=19 {
        assert_only_the_map_failed(&fetch(&c));
        assert!(
            rows(&mut conn, "player")
                .iter()
                .any(|r| r.starts_with(&stored(P[5])) && r.ends_with(&format!("|{retries}"))),
            "{retries}"
        );
    }
    assert_eq!(
        rows(&mut conn, "player"),
        players(("never", 19), unnamed, "never", untagged)
    );
    // p5 and p6 are asked for their zone again on every run.
    assert_eq!(c.api.fake.count("/core/accounts/zones/"), zone_calls + 18);
    assert_only_the_map_failed(&fetch(&c));
    assert_eq!(
        rows(&mut conn, "player"),
        players(("set", 0), unnamed, "never", untagged)
    );
    assert_eq!(rows(&mut conn, "playergame"), playergames("0|0"));
    assert_eq!(rows(&mut conn, "playerseason"), season_rows(["NULL"; 4]));

    // Step 6.
    let names = [
        NAMES_OF_P1_TO_P4[0],
        NAMES_OF_P1_TO_P4[1],
        NAMES_OF_P1_TO_P4[2],
        NAMES_OF_P1_TO_P4[3],
        "Name unknown",
        "Name unknown",
    ];
    let tags = ["$F05TSH", "⚡GG", "", "NULL", "NULL", "NULL"];
    c.run(&["resolve-names"], &c.api.oauth_env())
        .assert_ok()
        .assert_stdout_contains("6 players in 1 batches; no errors");
    assert_eq!(
        rows(&mut conn, "player"),
        players(("set", 0), names, "set", tags)
    );
    assert_eq!(
        rows(&mut conn, "playerseason"),
        season_rows(["$F05TSH", "⚡GG", "", "NULL"])
    );

    // Step 7: the map's name announces Spring 2026, the season after the
    // current one: Winter ends at game 1's start, Spring begins there, for
    // 150 days.
    c.scenario
        .lock()
        .unwrap()
        .maps
        .insert("FAKE_UID".into(), "Spring 2026 - 03".into());
    fetch(&c).assert_ok();
    assert_eq!(rows(&mut conn, "map"), ["FAKE_UID|Spring 2026 - 03"]);
    let spring_end = text(local(start) + chrono::Duration::days(150));
    assert_eq!(
        rows(&mut conn, "season"),
        [
            format!("Winter 2026|{}|{game_time}|0", text(winter_start)),
            format!("Spring 2026|{game_time}|{spring_end}|0"),
        ]
    );
    // Nothing else changed.
    assert_eq!(
        rows(&mut conn, "game"),
        [format!("1|FAKE_UID|0|2010|4411|{game_time}|1|99999|8")]
    );
    assert_eq!(
        rows(&mut conn, "player"),
        players(("set", 0), names, "set", tags)
    );
    assert_eq!(rows(&mut conn, "playergame"), playergames("0|0"));
    assert_eq!(
        rows(&mut conn, "playerseason"),
        season_rows(["$F05TSH", "⚡GG", "", "NULL"])
    );
    assert_eq!(rows(&mut conn, "rankstatrollup"), ["0"]);
}

#[test]
fn the_bugged_variant_deletes_the_match_and_gives_players_their_previous_game() {
    let c = Collector::new(true);
    let mut conn = c.conn();
    let start = unix_now() - 600;
    create_season(
        &c,
        "Winter 2026",
        now() - chrono::Duration::days(30),
        now() + chrono::Duration::days(30),
    );
    serve_players(&c);
    // Named Spring 2026 but without any game left, the map opens no season.
    c.scenario
        .lock()
        .unwrap()
        .maps
        .insert("FAKE_UID".into(), "Spring 2026 - 03".into());

    // Match 1 completed without a round: recorded, then deleted in the same
    // run, with its participations; nobody had an earlier game.
    serve_match(&c, 1, start, &P, teams_bugged());
    fetch(&c).assert_ok();
    assert!(rows(&mut conn, "game").is_empty());
    assert!(rows(&mut conn, "playergame").is_empty());
    assert_eq!(rows(&mut conn, "map"), ["FAKE_UID|Spring 2026 - 03"]);
    assert_eq!(rows(&mut conn, "season").len(), 1, "no transition");
    let last_matches = |conn: &mut MysqlConnection| {
        strings(
            conn,
            "SELECT CONCAT(uuid, ':', IFNULL(last_match_id, 'NULL')) AS value FROM player \
             ORDER BY uuid",
        )
    };
    let expected = |matches: &[(&str, &str)]| {
        let mut rows: Vec<String> = matches
            .iter()
            .map(|(p, m)| format!("{}:{m}", stored(p)))
            .collect();
        rows.sort();
        rows
    };
    assert_eq!(last_matches(&mut conn), expected(&P.map(|p| (p, "NULL"))));

    // Match 2 (p1–p3 with three others) finishes; match 3 (p1–p6) is
    // bugged: p1–p3 go back to match 2, p4–p6 to none.
    let others = [
        "0a000000-0000-4000-8000-000000000001",
        "0a000000-0000-4000-8000-000000000002",
        "0a000000-0000-4000-8000-000000000003",
    ];
    let second = [P[0], P[1], P[2], others[0], others[1], others[2]];
    serve_match(&c, 2, start + 60, &second, teams_completed());
    serve_match(&c, 3, start + 120, &P, teams_bugged());
    fetch(&c).assert_ok();
    assert_eq!(
        rows(&mut conn, "game")
            .iter()
            .map(|g| g.split('|').next().unwrap().to_string())
            .collect::<Vec<_>>(),
        ["2"]
    );
    assert_eq!(
        crate::common::count(
            &mut conn,
            "SELECT COUNT(*) AS value FROM playergame WHERE game_id = 2"
        ),
        6
    );
    assert_eq!(rows(&mut conn, "playergame").len(), 6);
    let mut after: Vec<(&str, &str)> = P[..3].iter().map(|p| (*p, "2")).collect();
    after.extend(P[3..].iter().map(|p| (*p, "NULL")));
    after.extend(others.iter().map(|p| (*p, "2")));
    assert_eq!(last_matches(&mut conn), expected(&after));
}

#[test]
fn times_are_paris_local_time() {
    let c = Collector::new(true);
    let mut conn = c.conn();
    c.scenario
        .lock()
        .unwrap()
        .maps
        .insert("FAKE_UID".into(), "Training - 01".into());
    // The fixtures' own startDate; no player is on the leaderboard yet.
    serve_match(&c, 1, FIXTURE_START, &P, teams_completed());
    fetch(&c).assert_ok();
    assert_eq!(
        rows(&mut conn, "game"),
        ["1|FAKE_UID|-1|-1|-1|2026-01-01 11:00:00|1|99999|8"]
    );
    assert_eq!(
        strings(
            &mut conn,
            "SELECT DISTINCT CONCAT(last_points_update, '|', last_name_update) AS value \
             FROM player"
        ),
        [format!("{SENTINEL}|{SENTINEL}")]
    );
    assert_eq!(rows(&mut conn, "player").len(), 6);
}
