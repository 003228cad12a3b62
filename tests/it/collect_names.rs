//! Names and club tags (collection.md §2.5): `mmstatus resolve-names` (the
//! reference's UpdatePlayersThread: E12 then E10, one all-or-nothing batch
//! at a time from the `last_name_update` queue) and the `club-tags` job of
//! `fetch` (tags only, when ENABLE_OAUTH is not True, walking players in
//! uuid order without stamping them).

use crate::collector::stored;
use crate::collector::Collector;
use crate::collector::FIXTURE_PLAYERS;
use crate::collector::SENTINEL;
use crate::common::{count, scalar_string, strings, Run};
use crate::fake_nadeo::Reply;
use chrono::NaiveDateTime;
use diesel::connection::SimpleConnection;
use diesel::sql_types::{Integer, Nullable, Text};
use diesel::{MysqlConnection, RunQueryDsl};
use serde_json::json;
use std::time::Duration;

const NAMES: &str = "/oauth/api/display-names";
const TAGS: &str = "/core/accounts/clubTags/";

/// The fixture scenario's six accounts, p1 to p6.
const P: [&str; 6] = FIXTURE_PLAYERS;

fn dashed(stored: &str) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        &stored[..8],
        &stored[8..12],
        &stored[12..16],
        &stored[16..20],
        &stored[20..]
    )
}

/// The n-th of many generated accounts (stored form), in uuid order.
fn account(n: usize) -> String {
    format!("{n:032x}")
}

fn now() -> NaiveDateTime {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Paris)
        .naive_local()
}

/// Paris local time `hours` ago, as stored.
fn hours_ago(hours: i64) -> String {
    (now() - chrono::Duration::hours(hours))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

fn add_player(
    conn: &mut MysqlConnection,
    uuid: &str,
    name: &str,
    points: i32,
    last_name_update: &str,
    club_tag: Option<&str>,
) {
    diesel::sql_query(
        "INSERT INTO player (uuid, name, points, `rank`, last_points_update, last_name_update, \
         club_tag, points_fetch_retries) VALUES (?, ?, ?, 99999, ?, ?, ?, 0)",
    )
    .bind::<Text, _>(uuid)
    .bind::<Text, _>(name)
    .bind::<Integer, _>(points)
    .bind::<Text, _>(SENTINEL)
    .bind::<Text, _>(last_name_update)
    .bind::<Nullable<Text>, _>(club_tag)
    .execute(conn)
    .unwrap();
}

/// A season from `start` to `end` hours from now; returns its id.
fn add_season(conn: &mut MysqlConnection, name: &str, start: i64, end: i64) -> i64 {
    conn.batch_execute(&format!(
        "INSERT INTO season (name, start_time, end_time, is_aggregated) VALUES ('{name}', '{}', '{}', 0)",
        hours_ago(-start),
        hours_ago(-end)
    ))
    .unwrap();
    count(
        conn,
        &format!("SELECT id AS value FROM season WHERE name = '{name}'"),
    )
}

fn add_playerseason(conn: &mut MysqlConnection, season: i64, uuid: &str, tag: Option<&str>) {
    diesel::sql_query(
        "INSERT INTO playerseason (season_id, player_id, points, `rank`, club_tag) \
         VALUES (?, ?, 1000, 500, ?)",
    )
    .bind::<Integer, _>(i32::try_from(season).unwrap())
    .bind::<Text, _>(uuid)
    .bind::<Nullable<Text>, _>(tag)
    .execute(conn)
    .unwrap();
}

/// `name|tag` of a player (NULL spelt out).
fn name_and_tag(conn: &mut MysqlConnection, uuid: &str) -> String {
    scalar_string(
        conn,
        &format!(
            "SELECT CONCAT(name, '|', IFNULL(club_tag, 'NULL')) AS value FROM player \
             WHERE uuid = '{uuid}'"
        ),
    )
    .expect("the player exists")
}

fn last_name_update(conn: &mut MysqlConnection, uuid: &str) -> String {
    scalar_string(
        conn,
        &format!(
            "SELECT CAST(last_name_update AS CHAR) AS value FROM player WHERE uuid = '{uuid}'"
        ),
    )
    .unwrap()
}

/// The club tags of a player's season rows, by season id.
fn season_tags(conn: &mut MysqlConnection, uuid: &str) -> Vec<String> {
    strings(
        conn,
        &format!(
            "SELECT CONCAT(season_id, ':', IFNULL(club_tag, 'NULL')) AS value FROM playerseason \
             WHERE player_id = '{uuid}' ORDER BY season_id"
        ),
    )
}

fn state_row(conn: &mut MysqlConnection, job: &str) -> Option<String> {
    scalar_string(
        conn,
        &format!(
            "SELECT CONCAT_WS('|', error_count, last_success IS NOT NULL) AS value \
             FROM collector_state WHERE job = '{job}'"
        ),
    )
}

/// A collector whose runs may use the public API.
struct Names {
    c: Collector,
    oauth: Vec<(&'static str, &'static str)>,
}

impl Names {
    fn new() -> Names {
        let c = Collector::new(false);
        let oauth = c.api.oauth_env().to_vec();
        Names { c, oauth }
    }

    fn conn(&self) -> MysqlConnection {
        self.c.conn()
    }

    /// `mmstatus resolve-names <args>` with `extra` settings.
    fn resolve_with(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut all = vec!["resolve-names"];
        all.extend_from_slice(args);
        let mut env = self.oauth.clone();
        env.extend_from_slice(extra);
        self.c.run(&all, &env)
    }

    fn resolve(&self, args: &[&str]) -> Run {
        self.resolve_with(args, &[])
    }

    /// `mmstatus fetch --once --jobs club-tags <args>`, OAuth off.
    fn club_tags(&self, args: &[&str]) -> Run {
        let mut all = vec!["fetch", "--once", "--jobs", "club-tags"];
        all.extend_from_slice(args);
        self.c.run(&all, &[("ENABLE_OAUTH", "False")])
    }

    fn serve_name(&self, dashed: &str, name: &str) {
        let mut scenario = self.c.scenario.lock().unwrap();
        scenario.names.insert(dashed.to_string(), name.to_string());
    }

    fn serve_tag(&self, dashed: &str, tag: &str) {
        let mut scenario = self.c.scenario.lock().unwrap();
        scenario
            .club_tags
            .insert(dashed.to_string(), tag.to_string());
    }
}

/// The fixture scenario after steps 1 to 5: six players as the walker made
/// them, with step 3's points, a current season with rows for p1–p4, and
/// the API answers of display_names_full.json and club_tags_full.json.
fn fixture_scenario() -> (Names, i64) {
    let n = Names::new();
    let mut conn = n.conn();
    let points = [3120, 2987, 4411, 1544, 0, 0];
    for (p, points) in P.iter().zip(points) {
        add_player(&mut conn, &stored(p), "", points, SENTINEL, None);
    }
    let season = add_season(&mut conn, "Winter 2026", -24, 24 * 30);
    for p in &P[..4] {
        add_playerseason(&mut conn, season, &stored(p), None);
    }
    for (p, name) in P
        .iter()
        .zip(["Blizzard_TM", "zéphyr", "Kappa⚡", "player4"])
    {
        n.serve_name(p, name);
    }
    for (p, tag) in P.iter().zip(["$F05TSH", "⚡GG", ""]) {
        n.serve_tag(p, tag);
    }
    (n, season)
}

#[test]
fn fixture_step_6_names_and_tags_every_player_and_syncs_the_season() {
    let (n, season) = fixture_scenario();
    let before = now() - chrono::Duration::seconds(1);
    n.resolve(&[])
        .assert_ok()
        .assert_stdout_contains("6 players in 1 batches; no errors");
    let mut conn = n.conn();
    let expected = [
        "Blizzard_TM|$F05TSH",
        "zéphyr|⚡GG",
        "Kappa⚡|",
        "player4|NULL",
        "Name unknown|NULL",
        "Name unknown|NULL",
    ];
    for (p, want) in P.iter().zip(expected) {
        assert_eq!(name_and_tag(&mut conn, &stored(p)), want, "{p}");
        let stamped = NaiveDateTime::parse_from_str(
            &last_name_update(&mut conn, &stored(p)),
            "%Y-%m-%d %H:%M:%S",
        )
        .unwrap();
        assert!(stamped >= before && stamped <= now(), "{p}: {stamped}");
    }
    for (p, tag) in P[..4].iter().zip(["$F05TSH", "⚡GG", "", "NULL"]) {
        assert_eq!(
            season_tags(&mut conn, &stored(p)),
            [format!("{season}:{tag}")]
        );
    }
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) AS value FROM playerseason"),
        4
    );
    assert_eq!(n.c.api.fake.count(NAMES), 1);
    assert_eq!(n.c.api.fake.count(TAGS), 1);
    // One call each, with the six dashed ids.
    let asked = &n.c.api.fake.requests_to(NAMES)[0];
    let mut ids = asked.query_values("accountId[]");
    ids.sort();
    let mut want: Vec<String> = P.iter().map(|p| p.to_string()).collect();
    want.sort();
    assert_eq!(ids, want);

    assert_eq!(state_row(&mut conn, "names").as_deref(), Some("0|1"));
    let health = n.c.health();
    assert_eq!(health["UpdatePlayersThread"]["is_alive"], true, "{health}");
    assert_eq!(health["UpdatePlayersThread"]["error_count"], 0);

    // Everyone is fresh now: a second run asks nothing.
    n.resolve(&[])
        .assert_ok()
        .assert_stdout_contains("0 players in 0 batches");
    assert_eq!(n.c.api.fake.count(NAMES), 1);
}

#[test]
fn fixture_step_6_by_the_club_tags_job_tags_without_naming_or_stamping() {
    let (n, season) = fixture_scenario();
    n.club_tags(&[]).assert_ok();
    let mut conn = n.conn();
    let expected = ["|$F05TSH", "|⚡GG", "|", "|NULL", "|NULL", "|NULL"];
    for (p, want) in P.iter().zip(expected) {
        assert_eq!(name_and_tag(&mut conn, &stored(p)), want, "{p}");
        assert_eq!(last_name_update(&mut conn, &stored(p)), SENTINEL);
    }
    for (p, tag) in P[..4].iter().zip(["$F05TSH", "⚡GG", "", "NULL"]) {
        assert_eq!(
            season_tags(&mut conn, &stored(p)),
            [format!("{season}:{tag}")]
        );
    }
    assert_eq!(n.c.api.fake.count(NAMES), 0);
    assert_eq!(n.c.api.fake.count(TAGS), 1);
}

#[test]
fn the_api_name_wins_else_the_stored_one_else_name_unknown() {
    let n = Names::new();
    let mut conn = n.conn();
    let players = [
        ("a", "Old name", "New name"),
        ("b", "", "First name"),
        ("c", "Kept", ""),
        ("d", "Also kept", "-"),
        ("e", "", "-"),
        ("f", "", ""),
    ];
    let uuid = |key: &str| account(usize::from(key.as_bytes()[0]));
    for (key, stored_name, served) in players {
        add_player(&mut conn, &uuid(key), stored_name, 10, SENTINEL, None);
        // "-": the API does not return this account.
        if served != "-" {
            n.serve_name(&dashed(&uuid(key)), served);
        }
    }
    n.resolve(&[]).assert_ok();
    let names: Vec<String> = players
        .iter()
        .map(|(key, _, _)| name_and_tag(&mut conn, &uuid(key)))
        .collect();
    assert_eq!(
        names,
        [
            "New name|NULL",
            "First name|NULL",
            "Kept|NULL",
            "Also kept|NULL",
            "Name unknown|NULL",
            "Name unknown|NULL",
        ]
    );
}

#[test]
fn emoji_and_long_values_are_stored_intact_or_cut_to_64_characters() {
    let n = Names::new();
    let mut conn = n.conn();
    for i in 1..=3 {
        add_player(&mut conn, &account(i), "", 10, SENTINEL, None);
    }
    n.serve_name(&dashed(&account(1)), "🦀 Ferris");
    n.serve_tag(&dashed(&account(1)), "⚡🦀GG");
    n.serve_name(&dashed(&account(2)), &"🦀".repeat(70));
    n.serve_tag(&dashed(&account(2)), &"$F05".repeat(20));
    n.serve_name(&dashed(&account(3)), &format!("{}x", "é".repeat(64)));
    n.resolve(&[]).assert_ok();
    assert_eq!(name_and_tag(&mut conn, &account(1)), "🦀 Ferris|⚡🦀GG");
    assert_eq!(
        name_and_tag(&mut conn, &account(2)),
        format!("{}|{}", "🦀".repeat(64), "$F05".repeat(16))
    );
    assert_eq!(
        name_and_tag(&mut conn, &account(3)),
        format!("{}|NULL", "é".repeat(64))
    );
}

#[test]
fn tags_go_to_the_current_season_only_and_an_absent_tag_is_null() {
    let n = Names::new();
    let mut conn = n.conn();
    let past = add_season(&mut conn, "Fall 2025", -24 * 200, -24 * 100);
    let current = add_season(&mut conn, "Winter 2026", -24, 24 * 30);
    let (tagged, untagged, seasonless) = (account(1), account(2), account(3));
    add_player(&mut conn, &tagged, "T", 10, SENTINEL, Some("OLD"));
    add_player(&mut conn, &untagged, "U", 10, SENTINEL, Some("OLD"));
    add_player(&mut conn, &seasonless, "S", 10, SENTINEL, None);
    for p in [&tagged, &untagged] {
        add_playerseason(&mut conn, past, p, Some("PAST"));
        add_playerseason(&mut conn, current, p, Some("OLD"));
    }
    n.serve_tag(&dashed(&tagged), "NEW");
    n.serve_tag(&dashed(&seasonless), "S1");
    n.resolve(&[]).assert_ok();
    assert_eq!(name_and_tag(&mut conn, &tagged), "T|NEW");
    assert_eq!(name_and_tag(&mut conn, &untagged), "U|NULL");
    assert_eq!(name_and_tag(&mut conn, &seasonless), "S|S1");
    assert_eq!(
        season_tags(&mut conn, &tagged),
        [format!("{past}:PAST"), format!("{current}:NEW")]
    );
    assert_eq!(
        season_tags(&mut conn, &untagged),
        [format!("{past}:PAST"), format!("{current}:NULL")]
    );
    assert!(
        season_tags(&mut conn, &seasonless).is_empty(),
        "no row created"
    );
}

#[test]
fn without_a_current_season_no_season_row_is_touched_or_created() {
    let n = Names::new();
    let mut conn = n.conn();
    let past = add_season(&mut conn, "Fall 2025", -24 * 200, -24 * 100);
    let (p1, p2) = (account(1), account(2));
    add_player(&mut conn, &p1, "", 10, SENTINEL, None);
    add_player(&mut conn, &p2, "", 10, SENTINEL, None);
    add_playerseason(&mut conn, past, &p1, Some("PAST"));
    n.serve_tag(&dashed(&p1), "NEW");
    n.serve_tag(&dashed(&p2), "TWO");
    n.resolve(&[]).assert_ok();
    assert_eq!(name_and_tag(&mut conn, &p1), "Name unknown|NEW");
    assert_eq!(name_and_tag(&mut conn, &p2), "Name unknown|TWO");
    assert_eq!(season_tags(&mut conn, &p1), [format!("{past}:PAST")]);
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) AS value FROM playerseason"),
        1
    );
}

#[test]
fn the_queue_takes_stale_active_or_never_named_players_oldest_first() {
    let n = Names::new();
    let mut conn = n.conn();
    // (uuid, points, last_name_update)
    let players = [
        (account(1), 10, hours_ago(23)),  // fresh: not due
        (account(2), 10, hours_ago(25)),  // stale and active: due third
        (account(3), 0, hours_ago(48)),   // stale but no points, named: never
        (account(4), -5, hours_ago(48)),  // negative points count as none
        (account(5), 0, SENTINEL.into()), // never named: due first
        (account(6), 10, hours_ago(30)),  // due second
    ];
    for (uuid, points, at) in &players {
        add_player(&mut conn, uuid, "Named", *points, at, None);
    }
    let stamped = |conn: &mut MysqlConnection| -> Vec<String> {
        strings(
            conn,
            &format!(
                "SELECT uuid AS value FROM player WHERE last_name_update >= '{}' ORDER BY uuid",
                hours_ago(1)
            ),
        )
    };
    n.resolve(&["--batch", "2", "--max-batches", "1"])
        .assert_ok()
        .assert_stdout_contains("2 players in 1 batches");
    assert_eq!(stamped(&mut conn), [account(5), account(6)]);
    let first = &n.c.api.fake.requests_to(NAMES)[0];
    assert_eq!(
        first.query_values("accountId[]"),
        [dashed(&account(5)), dashed(&account(6))],
        "oldest first"
    );
    n.resolve(&["--batch", "2"])
        .assert_ok()
        .assert_stdout_contains("1 players in 1 batches");
    assert_eq!(stamped(&mut conn), [account(2), account(5), account(6)]);
    // Nothing else is ever due.
    n.resolve(&[])
        .assert_ok()
        .assert_stdout_contains("0 players in 0 batches");
    assert_eq!(n.c.api.fake.count(NAMES), 2);
    for (uuid, _, at) in &players[..4] {
        if uuid != &account(2) {
            assert!(!stamped(&mut conn).contains(uuid));
            assert_eq!(&last_name_update(&mut conn, uuid), at);
        }
    }
}

#[test]
fn enable_oauth_or_threads_other_than_true_does_nothing() {
    let n = Names::new();
    let mut conn = n.conn();
    add_player(&mut conn, &account(1), "", 10, SENTINEL, None);
    for (variable, value) in [
        ("ENABLE_OAUTH", "False"),
        ("ENABLE_OAUTH", "true"),
        ("ENABLE_OAUTH", ""),
        ("ENABLE_THREADS", "False"),
    ] {
        let run = n.resolve_with(&[], &[(variable, value)]);
        run.assert_ok();
        assert!(
            run.stderr.contains(&format!("{variable} is not True")),
            "{run:#?}"
        );
    }
    assert!(n.c.api.fake.requests().is_empty());
    assert_eq!(state_row(&mut conn, "names"), None);
    assert!(!n.c.cache_dir().exists());
    assert_eq!(name_and_tag(&mut conn, &account(1)), "|NULL");
    // Explicitly on.
    n.resolve_with(&[], &[("ENABLE_OAUTH", "True")]).assert_ok();
    assert_eq!(name_and_tag(&mut conn, &account(1)), "Name unknown|NULL");
}

#[test]
fn a_second_run_leaves_the_names_to_the_first_but_not_to_fetch() {
    let n = Names::new();
    let mut conn = n.conn();
    add_player(&mut conn, &account(1), "", 10, SENTINEL, None);
    let mut holder = n.conn();
    let take = |work: &str| {
        format!(
            "SELECT CAST(GET_LOCK('mmstatus:{}:{work}', 0) AS CHAR) AS value",
            n.c.db.name
        )
    };
    assert_eq!(
        scalar_string(&mut holder, &take("names")).as_deref(),
        Some("1")
    );
    let run = n.resolve(&[]);
    run.assert_ok();
    assert!(run.stderr.contains("previous run still active"), "{run:#?}");
    n.resolve(&["--strict"])
        .assert_code(5)
        .assert_error_line("another mmstatus run is already resolving names");
    assert!(n.c.api.fake.requests().is_empty());
    assert_eq!(state_row(&mut conn, "names"), None);
    drop(holder);

    // A fetch run in progress does not hold names back.
    let mut fetch = n.conn();
    assert_eq!(
        scalar_string(&mut fetch, &take("fetch")).as_deref(),
        Some("1")
    );
    n.resolve(&["--strict"]).assert_ok();
    assert_eq!(name_and_tag(&mut conn, &account(1)), "Name unknown|NULL");
}

/// Three never-named players with names and tags served.
fn three_due_players() -> Names {
    let n = Names::new();
    let mut conn = n.conn();
    for i in 1..=3 {
        add_player(&mut conn, &account(i), "", 10, SENTINEL, Some("OLD"));
        n.serve_name(&dashed(&account(i)), &format!("Player {i}"));
        n.serve_tag(&dashed(&account(i)), &format!("T{i}"));
    }
    n
}

fn untouched(n: &Names) -> bool {
    let mut conn = n.conn();
    (1..=3).all(|i| {
        name_and_tag(&mut conn, &account(i)) == "|OLD"
            && last_name_update(&mut conn, &account(i)) == SENTINEL
    })
}

/// A batch whose `path` call fails with `replies` writes nothing, counts an
/// error (exit code 6), and is done in full by the next run.
fn assert_fault_is_retried(path: &str, replies: Vec<Reply>, extra: &[(&str, &str)], says: &str) {
    let n = three_due_players();
    n.c.api.fake.interject("GET", path, replies);
    let run = n.resolve_with(&[], extra);
    run.assert_code(6)
        .assert_stdout_contains("0 players in 0 batches; 1 failed");
    assert!(run.stderr.contains("names:"), "{run:#?}");
    assert!(run.stderr.contains(says), "{says:?}: {run:#?}");
    assert!(
        run.stderr
            .lines()
            .last()
            .unwrap()
            .starts_with("mmstatus: error: a batch of names failed"),
        "{run:#?}"
    );
    for secret in ["client-secret", "oauth-boot", "Bearer"] {
        assert!(!run.stderr.contains(secret), "{run:#?}");
    }
    assert!(untouched(&n), "nothing written");
    let mut conn = n.conn();
    assert_eq!(state_row(&mut conn, "names").as_deref(), Some("1|0"));
    assert_eq!(n.c.health()["UpdatePlayersThread"]["error_count"], 1);

    n.resolve(&[]).assert_ok();
    for i in 1..=3 {
        assert_eq!(
            name_and_tag(&mut conn, &account(i)),
            format!("Player {i}|T{i}")
        );
    }
    assert_eq!(state_row(&mut conn, "names").as_deref(), Some("1|1"));
}

#[test]
fn names_refused_even_after_a_token_refresh_write_nothing() {
    let refused = Reply::json(401, &json!({"message": "Unauthorized"}));
    assert_fault_is_retried(
        NAMES,
        vec![refused.clone(), refused],
        &[],
        "refused the token",
    );
}

#[test]
fn a_server_error_on_names_writes_nothing() {
    assert_fault_is_retried(
        NAMES,
        vec![Reply::json(500, &json!({"error": "boom"}))],
        &[],
        "500",
    );
}

#[test]
fn a_names_timeout_writes_nothing() {
    assert_fault_is_retried(
        NAMES,
        vec![Reply::ok(&json!({})).delayed(Duration::from_secs(3))],
        &[("MMSTATUS_HTTP_TIMEOUT", "1")],
        "temporary failure",
    );
}

#[test]
fn a_malformed_names_body_writes_nothing() {
    assert_fault_is_retried(
        NAMES,
        vec![Reply::new(200, "{\"truncated")],
        &[],
        "unexpected response",
    );
}

#[test]
fn a_names_list_instead_of_an_object_writes_nothing() {
    assert_fault_is_retried(
        NAMES,
        vec![Reply::ok(&json!(["Player 1"]))],
        &[],
        "expected an object",
    );
}

#[test]
fn an_error_object_for_the_club_tags_writes_nothing_not_even_the_names() {
    let error =
        json!({"code": "C-AA-00-03", "correlation_id": "x", "message": "validation", "info": null});
    assert_fault_is_retried(TAGS, vec![Reply::ok(&error)], &[], "unexpected response");
    assert_fault_is_retried(TAGS, vec![Reply::json(400, &error)], &[], "HTTP 400");
}

#[test]
fn max_batches_and_the_deadline_bound_a_run() {
    let n = Names::new();
    let mut conn = n.conn();
    for i in 1..=120 {
        add_player(&mut conn, &account(i), "", 10, SENTINEL, None);
    }
    let named = |conn: &mut MysqlConnection| {
        count(
            conn,
            "SELECT COUNT(*) AS value FROM player WHERE name = 'Name unknown'",
        )
    };
    n.resolve(&["--max-batches", "2", "--pause", "0"])
        .assert_ok()
        .assert_stdout_contains("100 players in 2 batches");
    assert_eq!(named(&mut conn), 100);
    assert_eq!(n.c.api.fake.count(NAMES), 2);
    // The rest, in a short batch that ends the run.
    n.resolve(&[])
        .assert_ok()
        .assert_stdout_contains("20 players in 1 batches");
    assert_eq!(named(&mut conn), 120);

    // The deadline comes during the pause after a full batch.
    conn.batch_execute(&format!(
        "UPDATE player SET name = '', last_name_update = '{SENTINEL}'"
    ))
    .unwrap();
    let run = n.resolve(&["--pause", "30", "--deadline", "2"]);
    run.assert_ok()
        .assert_stdout_contains("50 players in 1 batches");
    assert!(
        run.stderr.contains("the deadline comes before the next"),
        "{run:#?}"
    );
    assert_eq!(named(&mut conn), 50);

    // The deadline comes while the API is answering: the process stops
    // there, and the batch is not written.
    n.c.api.fake.interject(
        "GET",
        NAMES,
        vec![Reply::ok(&json!({})).delayed(Duration::from_secs(4))],
    );
    let run = n.resolve(&["--deadline", "1"]);
    run.assert_ok();
    assert!(run.stderr.contains("deadline has passed"), "{run:#?}");
    assert_eq!(named(&mut conn), 50);
    n.resolve(&["--pause", "0"]).assert_ok();
    assert_eq!(named(&mut conn), 120);
}

#[test]
fn bad_flags_are_usage_errors() {
    let n = Names::new();
    for args in [
        &["--batch", "0"][..],
        &["--batch", "51"],
        &["--max-batches", "0"],
        &["--pause", "-1"],
        &["--pause", "NaN"],
        &["--deadline", "0"],
    ] {
        n.resolve(args).assert_code(2);
    }
    assert!(n.c.api.fake.requests().is_empty());
}

/// 120 players the walk covers (uuids 1..=120, tags `T<i>`), plus two it
/// must pass over: one named an hour ago, one named long ago without points.
fn walk_scenario() -> Names {
    let n = Names::new();
    let mut conn = n.conn();
    for i in 1..=120 {
        let at = if i % 2 == 0 {
            SENTINEL.to_string()
        } else {
            hours_ago(30)
        };
        add_player(&mut conn, &account(i), "", 10, &at, None);
        n.serve_tag(&dashed(&account(i)), &format!("T{i}"));
    }
    for (i, points, at) in [(121, 10, hours_ago(1)), (122, 0, hours_ago(48))] {
        add_player(&mut conn, &account(i), "Named", points, &at, Some("OLD"));
        n.serve_tag(&dashed(&account(i)), "NEW");
    }
    n
}

fn tagged(conn: &mut MysqlConnection) -> i64 {
    count(
        conn,
        "SELECT COUNT(*) AS value FROM player WHERE club_tag LIKE 'T%'",
    )
}

fn walk_state(conn: &mut MysqlConnection) -> String {
    scalar_string(
        conn,
        "SELECT CONCAT(IFNULL(cursor_text, 'NULL'), '|', last_poll_at IS NOT NULL) AS value \
         FROM collector_state WHERE job = 'club-tags'",
    )
    .unwrap()
}

#[test]
fn the_club_tags_walk_covers_every_player_once_then_waits_a_day() {
    let n = walk_scenario();
    let mut conn = n.conn();
    let stamps_before = strings(
        &mut conn,
        "SELECT CAST(last_name_update AS CHAR) AS value FROM player ORDER BY uuid",
    );
    let mut walked = Vec::new();
    for run in 1..=3 {
        n.club_tags(&["--club-tags-batches", "1"]).assert_ok();
        walked.push(tagged(&mut conn));
        if run < 3 {
            assert_eq!(walk_state(&mut conn), format!("{}|1", account(50 * run)));
        }
    }
    assert_eq!(walked, [50, 100, 120], "each run goes on from the last");
    assert_eq!(walk_state(&mut conn), "NULL|1", "the walk is over");
    // Each batch asked for players it had not asked for before.
    let mut asked: Vec<String> =
        n.c.api
            .fake
            .requests_to(TAGS)
            .iter()
            .flat_map(|r| {
                r.query_values("accountIdList")[0]
                    .split(',')
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
    assert_eq!(asked.len(), 120);
    asked.sort();
    asked.dedup();
    assert_eq!(asked.len(), 120);
    assert_eq!(name_and_tag(&mut conn, &account(7)), "|T7");
    assert_eq!(name_and_tag(&mut conn, &account(121)), "Named|OLD");
    assert_eq!(name_and_tag(&mut conn, &account(122)), "Named|OLD");
    let stamps_after = strings(
        &mut conn,
        "SELECT CAST(last_name_update AS CHAR) AS value FROM player ORDER BY uuid",
    );
    assert_eq!(
        stamps_before, stamps_after,
        "last_name_update is never stamped"
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT COUNT(*) AS value FROM player WHERE name <> '' AND name <> 'Named'"
        ),
        0
    );

    // A finished walk waits a day before the next one.
    n.club_tags(&[]).assert_ok();
    assert_eq!(n.c.api.fake.count(TAGS), 3);
    n.serve_tag(&dashed(&account(1)), "CHANGED");
    conn.batch_execute(&format!(
        "UPDATE collector_state SET last_poll_at = '{}' WHERE job = 'club-tags'",
        hours_ago(25)
    ))
    .unwrap();
    n.club_tags(&[]).assert_ok();
    assert_eq!(name_and_tag(&mut conn, &account(1)), "|CHANGED");
    assert_eq!(
        n.c.api.fake.count(TAGS),
        6,
        "the default 6 batches per run cover the 120 players in 3 calls"
    );
    assert_eq!(walk_state(&mut conn), "NULL|1");
}

#[test]
fn the_club_tags_walk_syncs_the_current_season_only() {
    let n = walk_scenario();
    let mut conn = n.conn();
    let past = add_season(&mut conn, "Fall 2025", -24 * 200, -24 * 100);
    let current = add_season(&mut conn, "Winter 2026", -24, 24 * 30);
    add_playerseason(&mut conn, past, &account(3), Some("PAST"));
    add_playerseason(&mut conn, current, &account(3), Some("OLD"));
    n.club_tags(&[]).assert_ok();
    assert_eq!(
        season_tags(&mut conn, &account(3)),
        [format!("{past}:PAST"), format!("{current}:T3")]
    );
    assert_eq!(
        count(&mut conn, "SELECT COUNT(*) AS value FROM playerseason"),
        2
    );
}

#[test]
fn the_club_tags_job_takes_one_batch_per_iteration_in_loop_mode() {
    let n = walk_scenario();
    // One iteration, then the next would start after --loop-for.
    n.c.run(
        &[
            "fetch",
            "--jobs",
            "club-tags",
            "--loop-for",
            "1",
            "--deadline",
            "5",
        ],
        &[("ENABLE_OAUTH", "False")],
    )
    .assert_ok();
    assert_eq!(n.c.api.fake.count(TAGS), 1);
    assert_eq!(tagged(&mut n.conn()), 50);
}

#[test]
fn a_failed_club_tags_batch_keeps_the_walk_where_it_was() {
    let n = walk_scenario();
    let mut conn = n.conn();
    n.club_tags(&["--club-tags-batches", "1"]).assert_ok();
    assert_eq!(tagged(&mut conn), 50);
    for fault in [
        Reply::json(503, &json!({"error": "busy"})),
        Reply::ok(&json!({"code": "C-AA-00-03", "message": "validation"})),
    ] {
        n.c.api.fake.interject("GET", TAGS, vec![fault]);
        n.club_tags(&["--club-tags-batches", "1"])
            .assert_code(6)
            .assert_stdout_contains("errors in club-tags (1)");
        assert_eq!(tagged(&mut conn), 50);
        assert_eq!(walk_state(&mut conn), format!("{}|1", account(50)));
    }
    n.club_tags(&["--club-tags-batches", "1"]).assert_ok();
    assert_eq!(tagged(&mut conn), 100);
    assert_eq!(state_row(&mut conn, "club-tags").as_deref(), Some("2|1"));
}

#[test]
fn the_club_tags_job_leaves_tags_to_resolve_names_when_oauth_is_on() {
    let n = walk_scenario();
    let mut conn = n.conn();
    for extra in [&[][..], &[("ENABLE_OAUTH", "True")]] {
        let run =
            n.c.run(&["fetch", "--once", "--jobs", "club-tags", "-v"], extra);
        run.assert_ok();
        assert!(
            run.stderr.contains("club-tags: ENABLE_OAUTH is True"),
            "{run:#?}"
        );
    }
    assert_eq!(n.c.api.fake.count(TAGS), 0);
    assert_eq!(tagged(&mut conn), 0);
}

#[test]
fn bad_club_tags_flags_are_usage_errors() {
    let n = Names::new();
    for args in [
        &["--club-tags-batches", "0"][..],
        &["--club-tags-batches", "x"],
        &["--names-stale-after", "59"],
        &["--names-stale-after", "-1"],
    ] {
        n.club_tags(args).assert_code(2);
    }
    assert!(n.c.api.fake.requests().is_empty());
}

#[test]
fn without_oauth_credentials_a_run_fails_saying_what_is_missing() {
    let n = three_due_players();
    let run = n.c.run(&["resolve-names"], &[]);
    run.assert_code(6);
    assert!(run.stderr.contains("CLIENT_ID"), "{run:#?}");
    assert!(untouched(&n));
}
