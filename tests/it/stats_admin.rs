//! The admin one-offs of compute-stats (issue 8): `--only positions`,
//! `--repair match-elo`, `--repair merge-maps`, and `--dry-run` of a
//! statistics run. Each one-off: the dry run changes nothing and lists
//! exactly what the real run (--yes) then changes; a rerun has nothing to
//! do; without a terminal and without --yes nothing is written.

use crate::common::{count, strings, Run};
use crate::stats_harness::{uuid, StatsDb};
use diesel::{Connection, MysqlConnection};
use mmstatus::db::models::Season;
use mmstatus::stats::one_off::match_elo::MatchElo;
use mmstatus::stats::one_off::merge_maps::MergeMaps;
use mmstatus::stats::one_off::positions::Positions;
use mmstatus::stats::one_off::OneOff;
use std::collections::BTreeMap;

/// Every row of `table`, as `id -> columns`, to compare whole tables.
fn table(
    conn: &mut MysqlConnection,
    table: &str,
    key: &str,
    columns: &str,
) -> BTreeMap<String, String> {
    strings(
        conn,
        &format!("SELECT CONCAT_WS('|', {key}, {columns}) AS value FROM {table} ORDER BY {key}"),
    )
    .into_iter()
    .map(|row| {
        let (k, rest) = row.split_once('|').unwrap_or((&row, ""));
        (k.to_string(), rest.to_string())
    })
    .collect()
}

fn playerseasons(s: &StatsDb) -> BTreeMap<String, String> {
    table(
        &mut s.conn(),
        "playerseason",
        "id",
        "season_id, player_id, points, `rank`, IFNULL(club_tag, 'NULL')",
    )
}

fn games(s: &StatsDb) -> BTreeMap<String, String> {
    table(
        &mut s.conn(),
        "game",
        "id",
        "map_id, min_elo, average_elo, max_elo, time, is_finished",
    )
}

fn maps(s: &StatsDb) -> BTreeMap<String, String> {
    table(&mut s.conn(), "map", "uid", "name")
}

/// The rows of `after` that differ from `before` (or are missing from it).
fn changed(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn lines(run: &Run) -> Vec<&str> {
    run.stdout.lines().collect()
}

/// Holds the statistics lock of the database on a connection of its own.
fn hold_stats_lock(s: &StatsDb) -> MysqlConnection {
    let mut conn = s.conn();
    let got = strings(
        &mut conn,
        &format!(
            "SELECT CAST(GET_LOCK('mmstatus:{}:stats', 0) AS CHAR) AS value",
            s.db.name
        ),
    );
    assert_eq!(got, ["1"]);
    conn
}

// ---------------------------------------------------------------- positions

/// Season 1: 203 rows, player n with 10000 − 10·n points (players 5 and 6
/// tied at 9950), inserted from player 203 down so the database's order of
/// the tie is 6 then 5. Five rows have a wrong rank; player 201, outside
/// the top 200, has rank 7 and must keep it. Season 2: one row, right.
fn positions_scenario() -> StatsDb {
    let s = StatsDb::new();
    s.season(1, "2025-01-01 00:00:00", "2025-03-31 23:59:59");
    s.season(2, "2025-04-01 00:00:00", "2025-06-30 23:59:59");
    let players: Vec<String> = (1..=203)
        .map(|n| {
            format!(
                "('{}', 'P{n}', 0, 0, '1970-01-01 01:00:00', '1970-01-01 01:00:00', 0)",
                uuid(n)
            )
        })
        .collect();
    s.sql(&format!(
        "INSERT INTO player (uuid, name, points, `rank`, last_points_update, last_name_update, \
         points_fetch_retries) VALUES {}",
        players.join(", ")
    ));
    let rank = |n: u32| match n {
        1 => 3,
        3 => 1,
        5 => 6,
        6 => 5,
        200 => 0,
        201 => 7,
        202 => 0,
        n => n as i32,
    };
    let points = |n: u32| if n == 6 { 9950 } else { 10000 - 10 * n as i32 };
    let rows: Vec<String> = (1..=203)
        .rev()
        .map(|n| format!("(1, '{}', {}, {}, 'TAG')", uuid(n), points(n), rank(n)))
        .collect();
    s.sql(&format!(
        "INSERT INTO playerseason (season_id, player_id, points, `rank`, club_tag) VALUES {}",
        rows.join(", ")
    ));
    s.player_season(2, 1, 500, 1, None);
    s
}

fn positions_listing() -> Vec<String> {
    vec![
        "season 1: 5 change(s)".to_string(),
        format!("  player {} (9990 points): rank 3 -> 1", uuid(1)),
        format!("  player {} (9970 points): rank 1 -> 3", uuid(3)),
        format!("  player {} (9950 points): rank 6 -> 5", uuid(5)),
        format!("  player {} (9950 points): rank 5 -> 6", uuid(6)),
        format!("  player {} (8000 points): rank 0 -> 200", uuid(200)),
        "season 2: positions already up to date".to_string(),
    ]
}

#[test]
fn positions_dry_run_lists_and_the_real_run_writes_exactly_that() {
    let s = positions_scenario();
    let before = playerseasons(&s);
    let args = [
        "compute-stats",
        "--only",
        "positions",
        "--season",
        "1",
        "--season",
        "2",
    ];

    let dry = s.run(&[&args[..], &["--dry-run"]].concat());
    dry.assert_ok();
    let mut expected = positions_listing();
    expected.push("dry run: 5 change(s) listed; nothing was changed".to_string());
    assert_eq!(lines(&dry), expected, "{dry:#?}");
    assert_eq!(playerseasons(&s), before);

    s.run(&args)
        .assert_code(2)
        .assert_error_line("add --yes to write them, or --dry-run to only list them");
    assert_eq!(playerseasons(&s), before);

    let real = s.run(&[&args[..], &["--yes"]].concat());
    real.assert_ok();
    let mut expected = positions_listing();
    expected.push("season 1: 5 rank(s) updated".to_string());
    expected.push("done: 5 change(s) written".to_string());
    assert_eq!(lines(&real), expected, "{real:#?}");
    let after = playerseasons(&s);
    let mut changed: Vec<String> = changed(&before, &after).into_values().collect();
    changed.sort();
    assert_eq!(
        changed,
        [
            format!("1|{}|9990|1|TAG", uuid(1)),
            format!("1|{}|9970|3|TAG", uuid(3)),
            format!("1|{}|9950|5|TAG", uuid(5)),
            format!("1|{}|9950|6|TAG", uuid(6)),
            format!("1|{}|8000|200|TAG", uuid(200)),
        ]
    );
    let mut conn = s.conn();
    // The top 200 is 1…200 now; player 201 kept its stale rank.
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(DISTINCT `rank`) AS value FROM playerseason \
             WHERE season_id = 1 AND `rank` BETWEEN 1 AND 200 AND points >= 8000"
        ),
        200
    );
    assert_eq!(
        strings(
            &mut conn,
            &format!(
                "SELECT CAST(`rank` AS CHAR) AS value FROM playerseason WHERE player_id = '{}'",
                uuid(201)
            )
        ),
        ["7"]
    );

    let rerun = s.run(&[&args[..], &["--yes"]].concat());
    rerun.assert_ok();
    assert_eq!(
        lines(&rerun),
        [
            "season 1: positions already up to date",
            "season 2: positions already up to date"
        ]
    );
    assert_eq!(playerseasons(&s), after);
}

#[test]
fn positions_refuse_unknown_seasons_and_wait_for_a_statistics_run() {
    let s = positions_scenario();
    let before = playerseasons(&s);
    s.run(&[
        "compute-stats",
        "--only",
        "positions",
        "--season",
        "9",
        "--yes",
    ])
    .assert_code(2)
    .assert_error_line("--season 9: no such season");
    for extra in [["--stats", "clubs"], ["--deadline", "10"]] {
        let args = [
            &["compute-stats", "--only", "positions", "--yes"][..],
            &extra,
        ]
        .concat();
        s.run(&args)
            .assert_code(2)
            .assert_error_line("--only positions takes no");
    }
    let lock = hold_stats_lock(&s);
    s.run(&[
        "compute-stats",
        "--only",
        "positions",
        "--season",
        "1",
        "--yes",
    ])
    .assert_code(5)
    .assert_error_line("computing statistics");
    assert_eq!(playerseasons(&s), before);
    drop(lock);
    // Without seasons past ones are not recomputed (the automatic set).
    s.run(&["compute-stats", "--only", "positions", "--yes"])
        .assert_ok()
        .assert_stdout_contains("no season to recompute");
}

// ---------------------------------------------------------------- match-elo

/// Games of map `m` with their stored elo and the points after the match
/// of players 1 to 4 (`None`: NULL).
fn elo_game(
    s: &StatsDb,
    id: i32,
    time: &str,
    finished: bool,
    elo: [i32; 3],
    pam: [Option<i32>; 4],
) {
    s.game(id, "m", time, finished);
    s.sql(&format!(
        "UPDATE game SET min_elo = {}, average_elo = {}, max_elo = {} WHERE id = {id}",
        elo[0], elo[1], elo[2]
    ));
    for (i, p) in pam.iter().enumerate() {
        s.sql(&format!(
            "INSERT INTO playergame (game_id, player_id, is_win, is_mvp, points_after_match) \
             VALUES ({id}, '{}', 0, 0, {})",
            uuid(i as u32 + 1),
            p.map_or("NULL".to_string(), |p| p.to_string())
        ));
    }
}

fn match_elo_scenario() -> StatsDb {
    let s = StatsDb::new();
    s.map("m", "Map");
    for n in 1..=4 {
        s.player(n, None, None, None);
    }
    let pam = [Some(3500), Some(3600), Some(3700), Some(3602)];
    let high = [4000, 4100, 4200];
    // In the range (both ends included): repaired. 3600.5 rounds to 3600.
    elo_game(&s, 1, "2026-03-01 10:00:00", true, high, pam);
    elo_game(&s, 2, "2026-03-01 00:00:00", true, high, pam);
    elo_game(&s, 3, "2026-03-02 00:00:00", true, [3500, 3700, 4001], pam);
    // A second after the range.
    elo_game(&s, 4, "2026-03-02 00:00:01", true, high, pam);
    // A player without points after the match.
    elo_game(
        &s,
        5,
        "2026-03-01 11:00:00",
        true,
        high,
        [Some(3500), None, Some(3700), Some(3600)],
    );
    // Exactly the threshold above: not repaired.
    elo_game(&s, 6, "2026-03-01 12:00:00", true, [3800, 3900, 4000], pam);
    // Unfinished, and without elo.
    elo_game(&s, 7, "2026-03-01 13:00:00", false, high, pam);
    elo_game(&s, 8, "2026-03-01 14:00:00", true, [-1, -1, -1], pam);
    s
}

fn match_elo_listing() -> Vec<&'static str> {
    vec![
        "games 1-3: 3 change(s)",
        "  game 1 at 2026-03-01 10:00:00: min/avg/max 4000/4100/4200 -> 3500/3600/3700",
        "  game 2 at 2026-03-01 00:00:00: min/avg/max 4000/4100/4200 -> 3500/3600/3700",
        "  game 3 at 2026-03-02 00:00:00: min/avg/max 3500/3700/4001 -> 3500/3600/3700",
    ]
}

#[test]
fn match_elo_dry_run_lists_and_the_real_run_writes_exactly_that() {
    let s = match_elo_scenario();
    let before = games(&s);
    let args = [
        "compute-stats",
        "--repair",
        "match-elo",
        "--start",
        "2026-03-01",
        "--end",
        "2026-03-02",
    ];

    let dry = s.run(&[&args[..], &["--dry-run"]].concat());
    dry.assert_ok();
    let mut expected = match_elo_listing();
    expected.push("dry run: 3 change(s) listed; nothing was changed");
    assert_eq!(lines(&dry), expected, "{dry:#?}");
    assert_eq!(games(&s), before);

    s.run(&args).assert_code(2).assert_error_line("add --yes");
    assert_eq!(games(&s), before);

    let real = s.run(&[&args[..], &["--yes"]].concat());
    real.assert_ok();
    let mut expected = match_elo_listing();
    expected.push("games 1-3: elo recomputed for 3 game(s)");
    expected.push("done: 3 change(s) written");
    assert_eq!(lines(&real), expected, "{real:#?}");
    let after = games(&s);
    let changed: Vec<(String, String)> = changed(&before, &after).into_iter().collect();
    assert_eq!(
        changed,
        [
            (
                "1".to_string(),
                "m|3500|3600|3700|2026-03-01 10:00:00|1".to_string()
            ),
            (
                "2".to_string(),
                "m|3500|3600|3700|2026-03-01 00:00:00|1".to_string()
            ),
            (
                "3".to_string(),
                "m|3500|3600|3700|2026-03-02 00:00:00|1".to_string()
            ),
        ]
    );

    let rerun = s.run(&[&args[..], &["--yes"]].concat());
    rerun.assert_ok();
    assert!(
        rerun.stdout.starts_with("nothing to recompute: no finished game from 2026-03-01 00:00:00 to 2026-03-02 00:00:00"),
        "{rerun:#?}"
    );
    assert_eq!(games(&s), after);

    // A lower threshold takes game 6 too.
    let low = s.run(&[&args[..], &["--threshold", "299", "--dry-run"]].concat());
    low.assert_ok().assert_stdout_contains(
        "game 6 at 2026-03-01 12:00:00: min/avg/max 3800/3900/4000 -> 3500/3600/3700",
    );
}

#[test]
fn match_elo_refuses_bad_ranges_and_changes_nothing() {
    let s = match_elo_scenario();
    let before = games(&s);
    let repair = ["compute-stats", "--repair", "match-elo", "--yes"];
    for (extra, says) in [
        (
            &["--start", "2026-03-03", "--end", "2026-03-01"][..],
            "is after the end of the range",
        ),
        (
            &["--start", "2026-02-30"][..],
            "--start \"2026-02-30\": not a date",
        ),
        (
            &["--start", "2026-03-01", "--end", "noon"][..],
            "--end \"noon\": not a date",
        ),
        (&[][..], "needs a time range: give --hours N"),
        (&["--hours", "2", "--map", "x"][..], "takes no --map"),
    ] {
        s.run(&[&repair[..], extra].concat())
            .assert_code(2)
            .assert_error_line(says);
    }
    // Flags clap refuses: a usage error too.
    for extra in [
        &["--hours", "2", "--start", "2026-03-01"][..],
        &["--hours", "0"][..],
        &["--end", "2026-03-01"][..],
        &["--hours", "2", "--only", "statistics"][..],
        &["--hours", "2", "--season", "1"][..],
    ] {
        s.run(&[&repair[..], extra].concat()).assert_code(2);
    }
    s.run(&["compute-stats", "--hours", "2"]).assert_code(2);
    assert_eq!(games(&s), before);
    // The last hours hold nothing to repair (the games are of 2026-03-01).
    s.run(&[
        "compute-stats",
        "--repair",
        "match-elo",
        "--hours",
        "1",
        "--yes",
    ])
    .assert_ok()
    .assert_stdout_contains("nothing to recompute");
    assert_eq!(games(&s), before);
}

// --------------------------------------------------------------- merge-maps

/// Five maps named "Hors Piste" up to case and accents (uB played last, uE
/// never), and one other.
fn merge_scenario() -> StatsDb {
    let s = StatsDb::new();
    for (uid, name) in [
        ("uA", "Hors Piste"),
        ("uB", "hors piste"),
        ("uC", "Hors Pisté"),
        ("uD", "Other"),
        ("uE", "HORS PISTE"),
    ] {
        s.map(uid, name);
    }
    for (id, map, time) in [
        (1, "uA", "2026-03-01 10:00:00"),
        (2, "uA", "2026-02-01 10:00:00"),
        (3, "uB", "2026-03-05 12:00:00"),
        (4, "uC", "2026-01-01 10:00:00"),
        (5, "uC", "2026-02-01 09:00:00"),
        (6, "uC", "2026-01-02 10:00:00"),
        (7, "uD", "2026-03-06 10:00:00"),
    ] {
        s.game(id, map, time, true);
    }
    s
}

fn merge_listing() -> Vec<&'static str> {
    vec![
        "maps named \"Hors piste\": 3 change(s)",
        "  keep map uB (\"hors piste\", 1 game(s), latest 2026-03-05 12:00:00)",
        "  merge map uA (\"Hors Piste\", 2 game(s), latest 2026-03-01 10:00:00) into uB: its games move, the map row is deleted",
        "  merge map uC (\"Hors Pisté\", 3 game(s), latest 2026-02-01 09:00:00) into uB: its games move, the map row is deleted",
        "  merge map uE (\"HORS PISTE\", 0 game(s)) into uB: its games move, the map row is deleted",
    ]
}

#[test]
fn merge_maps_dry_run_lists_and_the_real_run_writes_exactly_that() {
    let s = merge_scenario();
    let (games_before, maps_before) = (games(&s), maps(&s));
    let args = [
        "compute-stats",
        "--repair",
        "merge-maps",
        "--map",
        "Hors piste",
    ];

    let dry = s.run(&[&args[..], &["--dry-run"]].concat());
    dry.assert_ok();
    let mut expected = merge_listing();
    expected.push("dry run: 3 change(s) listed; nothing was changed");
    assert_eq!(lines(&dry), expected, "{dry:#?}");
    assert_eq!(
        (games(&s), maps(&s)),
        (games_before.clone(), maps_before.clone())
    );

    s.run(&args).assert_code(2).assert_error_line("add --yes");
    assert_eq!(
        (games(&s), maps(&s)),
        (games_before.clone(), maps_before.clone())
    );

    let real = s.run(&[&args[..], &["--yes"]].concat());
    real.assert_ok();
    let mut expected = merge_listing();
    expected.push("maps named \"Hors piste\": 3 map(s) merged into uB, 5 game(s) moved");
    expected.push("done: 3 change(s) written");
    assert_eq!(lines(&real), expected, "{real:#?}");
    let games_after = games(&s);
    let moved: Vec<String> = changed(&games_before, &games_after).into_keys().collect();
    assert_eq!(moved, ["1", "2", "4", "5", "6"]);
    assert!(changed(&games_before, &games_after)
        .values()
        .all(|row| row.starts_with("uB|")));
    let maps_after = maps(&s);
    assert_eq!(
        maps_after.into_iter().collect::<Vec<_>>(),
        [
            ("uB".to_string(), "hors piste".to_string()),
            ("uD".to_string(), "Other".to_string())
        ]
    );

    let rerun = s.run(&[&args[..], &["--yes"]].concat());
    rerun.assert_ok();
    assert_eq!(
        lines(&rerun),
        ["maps named \"Hors piste\": only one map has this name (uB); nothing to merge"]
    );
    s.run(&[
        "compute-stats",
        "--repair",
        "merge-maps",
        "--map",
        "Nowhere",
        "--yes",
    ])
    .assert_ok()
    .assert_stdout_contains("maps named \"Nowhere\": no map has this name; nothing to merge");
    assert_eq!(games(&s), games_after);
}

#[test]
fn merge_maps_needs_a_name_and_keeps_the_smallest_uid_of_equal_latest_games() {
    let s = StatsDb::new();
    for uid in ["z1", "a1", "m1"] {
        s.map(uid, "Same");
    }
    s.game(1, "z1", "2026-01-01 10:00:00", true);
    s.game(2, "m1", "2026-01-01 10:00:00", true);
    let before = maps(&s);
    s.run(&["compute-stats", "--repair", "merge-maps", "--yes"])
        .assert_code(2)
        .assert_error_line("needs --map NAME");
    s.run(&[
        "compute-stats",
        "--repair",
        "merge-maps",
        "--map",
        "Same",
        "--hours",
        "1",
    ])
    .assert_code(2)
    .assert_error_line("takes no time range");
    assert_eq!(maps(&s), before);
    let dry = s.run(&[
        "compute-stats",
        "--repair",
        "merge-maps",
        "--map",
        "Same",
        "--dry-run",
    ]);
    dry.assert_ok();
    assert_eq!(
        lines(&dry)[1],
        "  keep map m1 (\"Same\", 1 game(s), latest 2026-01-01 10:00:00)"
    );
    assert_eq!(maps(&s), before);
}

// --------------------------------------------------- statistics --dry-run

#[test]
fn a_statistics_dry_run_lists_jobs_and_files_and_writes_nothing() {
    let s = StatsDb::new();
    s.season(3, "2026-01-01 00:00:00", "2099-01-01 00:00:00");
    let _lock = hold_stats_lock(&s);
    let run = s.run(&[
        "compute-stats",
        "--season",
        "3",
        "--stats",
        "clubs,h2h_3300,top_100",
        "--dry-run",
    ]);
    run.assert_ok();
    assert_eq!(
        lines(&run),
        [
            "rollups: the missing rankstatrollup rows of the last complete hour, day, week and month would be added (not listed)",
            "files under cache/:",
            "season 3 (Season 3): 3 job(s)",
            "  get_clubs_leaderboard: get_clubs_leaderboard_3.txt",
            "  get_top_100_per_country_0: get_top_100_per_country_0_3.txt, top_100_by_country/3/*.txt",
            "  get_country_h2h_3300: get_country_h2h_3300_3.txt, country_h2h_3300/3/*.txt",
            "dry run: 3 job(s) over 1 season(s) listed; nothing was written",
        ],
        "{run:#?}"
    );
    assert!(!s.cache().exists());
    assert_eq!(
        count(
            &mut s.conn(),
            "SELECT COUNT(*) AS value FROM rankstatrollup"
        ),
        0
    );
    // The automatic set: every statistic of the current season.
    let all = s.run(&["compute-stats", "--only", "statistics", "--dry-run"]);
    all.assert_ok()
        .assert_stdout_contains("season 3 (Season 3): 139 job(s)")
        .assert_stdout_contains("dry run: 139 job(s) over 1 season(s) listed");
    assert!(!all.stdout.contains("rollups"));
    assert!(!s.cache().exists());
    for (args, says) in [
        (
            &["compute-stats", "--only", "rollups", "--dry-run"][..],
            "the rollups only add missing rows",
        ),
        (
            &["compute-stats", "--yes"][..],
            "--yes concerns --only positions and --repair",
        ),
    ] {
        s.run(args).assert_code(2).assert_error_line(says);
    }
}

// ------------------------------------------- data changed after the listing

/// Applies the first unit of `kind`'s plan after `meanwhile` changed the
/// data, in a transaction as the command does; the error it gives.
fn apply_after<K: OneOff>(s: &StatsDb, kind: &K, meanwhile: &str) -> String {
    let mut conn = s.conn();
    let units = kind.plan(&mut conn).unwrap();
    s.sql(meanwhile);
    let unit = units.iter().find(|u| !u.changes.is_empty()).unwrap();
    let err = conn.transaction(|conn| kind.apply(conn, unit)).unwrap_err();
    format!("{err:#}")
}

#[test]
fn a_unit_whose_data_changed_since_the_listing_is_not_written() {
    let s = positions_scenario();
    let seasons: Vec<Season> = mmstatus::db::season::all(&mut s.conn()).unwrap();
    let positions = Positions { seasons };
    let meanwhile = format!(
        "UPDATE playerseason SET points = 9995 WHERE player_id = '{}'",
        uuid(2)
    );
    let before = playerseasons(&s);
    let err = apply_after(&s, &positions, &meanwhile);
    assert!(
        err.contains("season 1 changed since it was listed"),
        "{err}"
    );
    let after = playerseasons(&s);
    assert_eq!(
        changed(&before, &after).len(),
        1,
        "only the meanwhile change"
    );

    let s = match_elo_scenario();
    let at = |t| chrono::NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").unwrap();
    let repair = MatchElo {
        start: at("2026-03-01 00:00:00"),
        end: at("2026-03-02 00:00:00"),
        threshold: 300,
    };
    let before = games(&s);
    let err = apply_after(&s, &repair, "UPDATE game SET max_elo = 4300 WHERE id = 2");
    assert!(
        err.contains("the elo of 1 game(s) of games 1-3 changed"),
        "{err}"
    );
    let after = games(&s);
    assert_eq!(
        changed(&before, &after).into_keys().collect::<Vec<_>>(),
        ["2"]
    );

    let s = merge_scenario();
    let merge = MergeMaps {
        name: "hors piste".to_string(),
    };
    let before = games(&s);
    let err = apply_after(
        &s,
        &merge,
        "INSERT INTO map (uid, name) VALUES ('uF', 'Hors piste')",
    );
    assert!(err.contains("changed since it was listed"), "{err}");
    assert_eq!(games(&s), before);
    assert_eq!(maps(&s).len(), 6);
}

#[test]
fn a_failed_unit_stops_the_run_and_the_units_before_it_stay_written() {
    let s = positions_scenario();
    s.sql("UPDATE playerseason SET `rank` = 2 WHERE season_id = 2");
    // The server refuses any change to season 2's rows.
    s.sql(
        "CREATE TRIGGER no_season_2 BEFORE UPDATE ON playerseason FOR EACH ROW \
         IF NEW.season_id = 2 THEN \
         SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'season 2 is frozen'; END IF",
    );
    let before = playerseasons(&s);
    let run = s.run(&[
        "compute-stats",
        "--only",
        "positions",
        "--season",
        "1",
        "--season",
        "2",
        "--yes",
    ]);
    run.assert_code(1).assert_error_line(
        "season 2: failed, nothing written for it (1 unit(s) before it were written and stay so)",
    );
    assert!(run.stderr.contains("season 2 is frozen"), "{run:#?}");
    assert!(
        run.stdout.contains("season 1: 5 rank(s) updated"),
        "{run:#?}"
    );
    let changed = changed(&before, &playerseasons(&s));
    assert_eq!(changed.len(), 5);
    assert!(changed.values().all(|row| row.starts_with("1|")));
}
