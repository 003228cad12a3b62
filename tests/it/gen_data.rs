//! `mmstatus-gen-data` (scripts/gen-data): the synthetic seasons are the same
//! for the same seed, keep the collector's invariants, and never overwrite a
//! database's data unless forced.

use crate::common::{count, scratch_dir, strings, TestDb, TEST_TZ};
use diesel::MysqlConnection;
use std::collections::BTreeSet;
use std::process::Command;

const SMALL: &[&str] = &[
    "--games",
    "3000",
    "--players",
    "900",
    "--seasons",
    "2",
    "--start",
    "2025-12-20",
];

struct Output {
    code: i32,
    stdout: String,
    stderr: String,
}

fn gen_data(db: &TestDb, args: &[&str]) -> Output {
    let dir = scratch_dir();
    let output = Command::new(env!("CARGO_BIN_EXE_mmstatus-gen-data"))
        .args(args)
        .env_clear()
        .env("MMSTATUS_TZ", TEST_TZ)
        .env("DATABASE_URL", db.url())
        .current_dir(&dir)
        .output()
        .expect("mmstatus-gen-data runs");
    let _ = std::fs::remove_dir_all(&dir);
    Output {
        code: output.status.code().expect("exited"),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[track_caller]
fn generate(db: &TestDb, args: &[&str]) -> String {
    let out = gen_data(db, args);
    assert_eq!(
        out.code, 0,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    out.stdout
}

/// Every row of every table the generator fills, as text, in key order.
fn dump(conn: &mut MysqlConnection) -> Vec<String> {
    let mut rows = Vec::new();
    for (table, key) in [
        ("season", "id"),
        ("map", "uid"),
        ("game", "id"),
        ("player", "uuid"),
        ("playergame", "id"),
        ("playerseason", "id"),
    ] {
        let columns = strings(
            conn,
            &format!(
                "SELECT CONCAT('COALESCE(HEX(`', column_name, '`), ''-'')') AS value \
                 FROM information_schema.columns \
                 WHERE table_schema = DATABASE() AND table_name = '{table}' ORDER BY ordinal_position"
            ),
        );
        let sql = format!(
            "SELECT CONCAT_WS('|', '{table}', {}) AS value FROM `{table}` ORDER BY `{key}`",
            columns.join(",")
        );
        rows.extend(strings(conn, &sql));
    }
    rows
}

fn players_seen(conn: &mut MysqlConnection) -> i64 {
    count(
        conn,
        "SELECT COUNT(DISTINCT player_id) AS value FROM playergame",
    )
}

#[test]
fn gen_data_gives_the_same_rows_for_the_same_seed() {
    let (first, second, other) = (TestDb::unique(), TestDb::unique(), TestDb::unique());
    let args = |seed: &'static str| [SMALL, &["--seed", seed]].concat();
    generate(&first, &args("42"));
    generate(&second, &args("42"));
    generate(&other, &args("43"));
    let a = dump(&mut first.conn());
    assert!(a.len() > 20_000, "{} rows", a.len());
    assert!(a == dump(&mut second.conn()), "same seed, different rows");
    assert!(a != dump(&mut other.conn()), "another seed, the same rows");
}

#[test]
fn gen_data_rows_keep_the_collectors_invariants() {
    let db = TestDb::unique();
    let stdout = generate(&db, SMALL);
    assert!(
        stdout.contains("seed 1: 2 seasons (Fall 2025, Winter 2026)"),
        "{stdout}"
    );
    assert!(stdout.contains("games: 3000 ("), "{stdout}");
    let mut conn = db.conn();
    let c =
        |conn: &mut MysqlConnection, sql: &str| count(conn, &format!("SELECT ({sql}) AS value"));

    // Every participation's game and player exist; 6 or 4 per game, both kinds.
    assert_eq!(
        c(
            &mut conn,
            "SELECT COUNT(*) FROM playergame pg LEFT JOIN game g ON g.id = pg.game_id \
        LEFT JOIN player p ON p.uuid = pg.player_id WHERE g.id IS NULL OR p.uuid IS NULL"
        ),
        0
    );
    assert_eq!(
        c(
            &mut conn,
            "SELECT COUNT(*) FROM game g WHERE (SELECT COUNT(*) FROM playergame \
        WHERE game_id = g.id) NOT IN (4, 6)"
        ),
        0
    );
    assert_eq!(
        c(
            &mut conn,
            "SELECT COUNT(*) FROM (SELECT game_id, COUNT(DISTINCT player_id) n, COUNT(*) m \
        FROM playergame GROUP BY game_id HAVING n <> m) t"
        ),
        0,
        "a player twice in a game"
    );
    for size in [4, 6] {
        assert!(
            c(
                &mut conn,
                &format!(
                    "SELECT COUNT(*) FROM (SELECT game_id FROM playergame GROUP BY game_id \
            HAVING COUNT(*) = {size}) t"
                )
            ) > 100,
            "games of {size}"
        );
    }

    // Elo: min, truncated average, max of the participants' points, or -1
    // (not computed yet) only on the newest, unfinished games.
    assert_eq!(c(&mut conn, "SELECT COUNT(*) FROM game g JOIN (SELECT pg.game_id, MIN(p.points) mn, \
        SUM(p.points) DIV COUNT(*) av, MAX(p.points) mx FROM playergame pg JOIN player p ON p.uuid = pg.player_id \
        GROUP BY pg.game_id) e ON e.game_id = g.id WHERE g.average_elo <> -1 \
        AND (g.min_elo <> e.mn OR g.average_elo <> e.av OR g.max_elo <> e.mx)"), 0);
    assert_eq!(
        c(
            &mut conn,
            "SELECT COUNT(*) FROM game WHERE average_elo = -1 \
        AND (is_finished = 1 OR min_elo <> -1 OR max_elo <> -1)"
        ),
        0
    );
    assert_eq!(
        c(
            &mut conn,
            "SELECT COUNT(*) FROM game WHERE trackmaster_limit < 4000 \
        OR (trackmaster_limit > 9999 AND trackmaster_limit <> 99999)"
        ),
        0
    );

    // Finished games: rounds, one MVP, half the players win; unfinished ones
    // (the newest) have none of it, and bugged ones are gone.
    assert!(c(&mut conn, "SELECT COUNT(*) FROM game WHERE is_finished = 0") > 0);
    assert_eq!(
        c(
            &mut conn,
            "SELECT COUNT(*) FROM game WHERE (is_finished = 1) <> (rounds IS NOT NULL) \
        OR rounds = 0"
        ),
        0
    );
    assert_eq!(c(&mut conn, "SELECT COUNT(*) FROM game g JOIN (SELECT game_id, SUM(is_mvp) mvp, SUM(is_win) win, \
        COUNT(*) n, COUNT(position) pos FROM playergame GROUP BY game_id) r ON r.game_id = g.id \
        WHERE IF(g.is_finished, r.mvp <> 1 OR r.win * 2 <> r.n OR r.pos <> r.n, r.mvp + r.win + r.pos > 0)"), 0);
    assert_eq!(
        c(
            &mut conn,
            "SELECT COUNT(*) FROM playergame pg JOIN game g ON g.id = pg.game_id \
        WHERE g.is_finished = 0 AND (pg.points IS NOT NULL OR pg.points_after_match IS NOT NULL)"
        ),
        0
    );
    // Points after the match: mostly filled, some NULL, some 0.
    let filled = c(
        &mut conn,
        "SELECT COUNT(*) FROM playergame WHERE points_after_match > 0",
    );
    let total = c(&mut conn, "SELECT COUNT(*) FROM playergame");
    assert!(filled * 10 > total * 8, "{filled} of {total}");
    assert!(
        c(
            &mut conn,
            "SELECT COUNT(*) FROM playergame pg JOIN game g ON g.id = pg.game_id \
        WHERE g.is_finished = 1 AND pg.points_after_match IS NULL"
        ) > 0
    );
    assert!(
        c(
            &mut conn,
            "SELECT COUNT(*) FROM playergame WHERE points_after_match = 0"
        ) > 0
    );

    // Every game lies in a season; the second season opens at the first game
    // on its first map, where the first one ends.
    assert_eq!(
        c(
            &mut conn,
            "SELECT COUNT(*) FROM game g WHERE NOT EXISTS (SELECT 1 FROM season s \
        WHERE g.time BETWEEN s.start_time AND s.end_time)"
        ),
        0
    );
    let seasons = strings(&mut conn, "SELECT CONCAT_WS(' ', name, DATE_FORMAT(start_time, '%Y-%m-%d %T'), DATE_FORMAT(end_time, '%Y-%m-%d %T')) AS value FROM season ORDER BY id");
    let opening = strings(&mut conn, "SELECT DATE_FORMAT(MIN(g.time), '%Y-%m-%d %T') AS value FROM game g JOIN map m ON m.uid = g.map_id \
        WHERE m.name = 'Winter 2026 - 01'");
    assert_eq!(
        seasons[0],
        format!("Fall 2025 2025-12-20 00:00:00 {}", opening[0])
    );
    assert!(
        seasons[1].starts_with(&format!("Winter 2026 {}", opening[0])),
        "{seasons:?}"
    );
    assert_eq!(c(&mut conn, "SELECT COUNT(*) FROM game WHERE time >= (SELECT start_time FROM season WHERE id = 2) \
        AND time < (SELECT MIN(time) FROM game g JOIN map m ON m.uid = g.map_id AND m.name LIKE 'Winter 2026%')"), 0);

    // New players keep arriving: a share play first in the last month.
    let late = c(
        &mut conn,
        "SELECT COUNT(*) FROM (SELECT MIN(g.time) first FROM playergame pg JOIN game g ON g.id = pg.game_id \
         GROUP BY pg.player_id) t WHERE first >= '2026-03-01 00:00:00'",
    );
    assert!(
        late * 100 > players_seen(&mut conn) * 5,
        "{late} new in March"
    );

    // No local time the spring daylight-saving jump skips (Europe/Paris).
    assert_eq!(
        c(
            &mut conn,
            "SELECT COUNT(*) FROM game WHERE time >= '2026-03-29 02:00:00' \
        AND time < '2026-03-29 03:00:00'"
        ),
        0
    );

    // Players: a share without zone; zone, country and region set together;
    // the newest game as last match; the collector's sentinels.
    let players = c(&mut conn, "SELECT COUNT(*) FROM player");
    let no_zone = c(
        &mut conn,
        "SELECT COUNT(*) FROM player WHERE zone_id IS NULL",
    );
    assert!(
        no_zone * 100 > players * 3 && no_zone * 100 < players * 15,
        "{no_zone} of {players}"
    );
    assert_eq!(
        c(
            &mut conn,
            "SELECT COUNT(*) FROM player WHERE (zone_id IS NULL) <> (country_id IS NULL) \
        OR (zone_id IS NULL) <> (region_id IS NULL)"
        ),
        0
    );
    assert_eq!(
        c(
            &mut conn,
            "SELECT COUNT(*) FROM player p WHERE NOT (p.last_match_id <=> \
        (SELECT MAX(game_id) FROM playergame WHERE player_id = p.uuid))"
        ),
        0
    );
    assert!(
        c(
            &mut conn,
            "SELECT COUNT(*) FROM player WHERE points = 0 AND `rank` = 99999 \
        AND last_points_update = '1970-01-01 01:00:00'"
        ) > 0
    );
    assert!(c(&mut conn, "SELECT COUNT(*) FROM player WHERE name = '' AND last_name_update = '1970-01-01 01:00:00'") > 0);
    assert_eq!(
        c(
            &mut conn,
            "SELECT COUNT(*) FROM player p JOIN player q ON p.points > q.points \
        WHERE q.points > 0 AND p.`rank` >= q.`rank`"
        ),
        0,
        "ranks follow the points"
    );
    assert_eq!(
        c(
            &mut conn,
            "SELECT COUNT(*) FROM player WHERE points > 0 AND `rank` < 1"
        ),
        0
    );

    // Season rows: players with points who played that season; the current
    // season's row carries the player's points, rank and tag.
    assert_eq!(
        c(
            &mut conn,
            "SELECT COUNT(*) FROM playerseason WHERE points <= 0"
        ),
        0
    );
    assert_eq!(
        c(
            &mut conn,
            "SELECT COUNT(*) FROM (SELECT 1 FROM playerseason GROUP BY player_id, season_id \
        HAVING COUNT(*) > 1) t"
        ),
        0
    );
    assert!(
        c(
            &mut conn,
            "SELECT COUNT(DISTINCT season_id) FROM playerseason"
        ) == 2
    );
    assert_eq!(
        c(
            &mut conn,
            "SELECT COUNT(*) FROM playerseason ps JOIN player p ON p.uuid = ps.player_id \
        WHERE ps.season_id = 2 AND (ps.points <> p.points OR ps.`rank` <> p.`rank` \
        OR NOT (BINARY ps.club_tag <=> BINARY p.club_tag))"
        ),
        0
    );

    // Club tags with emoji come back as written.
    let tags: BTreeSet<String> = strings(
        &mut conn,
        "SELECT club_tag AS value FROM player WHERE club_tag IS NOT NULL",
    )
    .into_iter()
    .collect();
    for tag in ["🦆", "𝕏", "🔥TM", "$0f0🐸", "BDS", ""] {
        assert!(tags.contains(tag), "{tag:?} missing from {tags:?}");
    }
}

#[test]
fn gen_data_refuses_a_database_with_data_unless_forced() {
    let db = TestDb::unique();
    generate(&db, &["--games", "500", "--seed", "5"]);
    let before = dump(&mut db.conn());
    let refused = gen_data(&db, &["--games", "700", "--seed", "6"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    let lines: Vec<&str> = refused.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("mmstatus-gen-data: error: ") && lines[0].contains("--force"),
        "{lines:?}"
    );
    assert!(
        dump(&mut db.conn()) == before,
        "a refused run changed the data"
    );

    generate(&db, &["--games", "700", "--seed", "6", "--force"]);
    let fresh = TestDb::unique();
    generate(&fresh, &["--games", "700", "--seed", "6"]);
    assert!(
        dump(&mut db.conn()) == dump(&mut fresh.conn()),
        "--force leaves other rows than a fresh run"
    );
}

#[test]
fn gen_data_refuses_bad_flags_before_touching_the_server() {
    let db = TestDb::unique();
    for args in [
        &["--games", "0"][..],
        &["--players", "5"],
        &["--start", "2026-13-01"],
        &["--seasons", "0"],
        &["--seed", "-1"],
    ] {
        let out = gen_data(&db, args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
    }
    assert!(!db.exists());
}

#[test]
fn gen_data_leaves_a_database_mmstatus_accepts() {
    let db = TestDb::unique();
    let stdout = generate(&db, &["--games", "300"]);
    assert!(
        stdout.contains("seed 1: 1 season (Winter 2026)"),
        "{stdout}"
    );
    let run = db.mmstatus(&["create-season", "--list"]);
    run.assert_ok().assert_stdout_contains("Winter 2026");
}
