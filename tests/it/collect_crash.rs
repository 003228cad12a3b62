//! The collector's promise across jobs (issue 7): a run killed at any
//! moment, or whose database goes away, leaves nothing that the next runs do
//! not complete exactly as an uninterrupted run would have. Every test
//! plays the same crowd of matches on two databases, one collected without
//! interruption, the other with interruptions, and compares every table.

use crate::collector::Collector;
use crate::fake_nadeo::{unix_now, Scenario};
use crate::pipeline::{
    assert_same_tables, connection_id, dump, fetch_until_settled, finished, kill, run_to_end,
    spawn, wait_for, wait_until_runs_are_gone, waiting_for_a_lock, AACHEN, AIN, EUROPE, FRANCE,
    NOWHERE,
};
use crate::relay::Relay;
use diesel::connection::SimpleConnection;
use serde_json::json;
use std::collections::BTreeSet;
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Match ids 1…LAST_ID exist; LAST_ID + 1 does not (yet).
const LAST_ID: i64 = 45;
/// Teams of four players; each match is played by one of them.
const SQUADS: usize = 15;
const MAPS: [&str; 4] = ["MAP_A", "MAP_B", "MAP_C", "MAP_D"];
/// The zones players are in (the last one is in no table).
const ZONES: [&str; 5] = [AIN, FRANCE, EUROPE, AACHEN, NOWHERE];
/// A loop-mode run, every job.
const LOOP: [&str; 5] = ["fetch", "--loop-for", "6", "--deadline", "10"];

/// Player `n` (0…59), dashed.
fn account(n: usize) -> String {
    format!("5a0{:05x}-0000-4000-8000-{:012x}", n * 7919 % 65_536, n)
}

fn squad(id: i64) -> usize {
    usize::try_from(id).unwrap() * 7 % SQUADS
}

fn is_ranked(id: i64) -> bool {
    id % 9 != 0
}

fn is_bugged(id: i64) -> bool {
    id % 10 == 3
}

/// The crowd: 45 match ids, every ninth not ranked matchmaking (passed
/// over), every tenth from the third completed without a round (deleted),
/// the others completed; 15 squads of 4 new players, most playing several
/// matches, on 4 maps; their points (some 0, none a trackmaster's), zones
/// (some unknown or absent), names and club tags (some absent, some empty).
///
/// Chosen so that an uninterrupted run's result does not depend on how the
/// jobs' iterations interleave: each match is played by one squad, whose
/// four players all get their first points in the same leaderboard batch
/// (at most 100 players wait), so a game's elo never mixes fetched points
/// with a new player's 0; points are below any trackmaster's, so every
/// game's trackmaster limit is 99999; map names announce no new season.
fn crowd(c: &Collector, start: i64) {
    let mut s = c.scenario.lock().unwrap();
    for id in 1..=LAST_ID {
        let players: Vec<String> = (0..4).map(|m| account(squad(id) * 4 + m)).collect();
        let players: Vec<&str> = players.iter().map(String::as_str).collect();
        let name = if is_ranked(id) {
            "Official 2v2 - match"
        } else {
            "Royal - match"
        };
        let map = MAPS[usize::try_from((id - 1) / 12).unwrap()];
        let body = Scenario::official_match(id, name, map, start + id * 30, "COMPLETED");
        let scores = [id % 7 + 3, 6, 4, id % 3];
        let participants = Scenario::participants(
            &players,
            Some(&scores),
            Some(usize::try_from(id % 4).unwrap()),
        );
        let teams = if is_bugged(id) {
            json!([{"position": 0, "score": 0, "rank": 1}, {"position": 1, "score": 0, "rank": 1}])
        } else {
            let first_wins = id % 2 == 0;
            json!([
                {"position": 0, "score": if first_wins { 5 } else { 2 }, "rank": if first_wins { 1 } else { 2 }},
                {"position": 1, "score": if first_wins { 3 } else { 5 }, "rank": if first_wins { 2 } else { 1 }}
            ])
        };
        s.add_match(id, body, participants, teams, Instant::now());
    }
    for n in 0..SQUADS * 4 {
        let player = account(n);
        let points = if n % 13 == 5 {
            0
        } else {
            1000 + (n as i64 * 37) % 2900
        };
        s.ranks
            .insert(player.clone(), (points, 10_000 + n as i64 * 11));
        if n % 6 < 5 {
            s.zones.insert(player.clone(), ZONES[n % 6].to_string());
        }
        if n % 8 != 7 {
            let name = if n % 5 == 0 {
                format!("Jöueur {n} ⚡")
            } else {
                format!("Player{n}")
            };
            s.names.insert(player.clone(), name);
        }
        match n % 3 {
            1 => {
                s.club_tags.insert(player, format!("T{n}"));
            }
            2 => {
                s.club_tags.insert(player, String::new());
            }
            _ => {}
        }
    }
    for (i, map) in MAPS.iter().enumerate() {
        s.maps
            .insert(map.to_string(), format!("Winter 2026 - 0{}", i + 1));
    }
}

/// A collector playing the crowd (its matches starting from `start`, epoch
/// seconds), with a season covering now.
fn crowd_collector(start: i64) -> Collector {
    let c = Collector::new(true);
    c.conn()
        .batch_execute(
            "INSERT INTO season (name, start_time, end_time, is_aggregated) \
             VALUES ('Winter 2026', '2000-01-01 00:00:00', '2099-12-31 23:59:59', 0)",
        )
        .unwrap();
    crowd(&c, start);
    c
}

/// What an uninterrupted collection of the crowd leaves: one loop-mode run
/// of every job, `fetch --once` runs until nothing changes, then one
/// `resolve-names`.
fn uninterrupted(start: i64) -> Vec<(&'static str, Vec<String>)> {
    let c = crowd_collector(start);
    let oauth = c.api.oauth_env();
    run_to_end(&c, &LOOP, &oauth).assert_ok();
    fetch_until_settled(&c, &oauth);
    run_to_end(&c, &["resolve-names"], &oauth)
        .assert_ok()
        .assert_stdout_contains("60 players in 2 batches");
    let tables = dump(&mut c.conn());
    let rows = |name: &str| tables.iter().find(|(t, _)| *t == name).unwrap().1.len();
    // 40 ranked matches, 5 of them bugged; 60 players.
    assert_eq!((rows("game"), rows("player"), rows("map")), (35, 60, 4));
    tables
}

/// Where a run is stopped.
enum Moment {
    /// A request to the trap's path arrives (and waits).
    Request,
    /// The match walker's transaction of a match: its E4 arrives, then the
    /// test holds the walker's state row and lets the request go, so the
    /// transaction waits at its last statement.
    WalkerTransaction,
    /// One of the run's transactions waits for rows the test locked with
    /// this statement.
    Lock(String),
}

/// A moment to catch a run at. Requests are held from the trap's making
/// until it is sprung: runs before it cannot get past that point either.
struct Trap {
    moment: Moment,
    /// Requests to this path (to any path under it, when it ends with `/`).
    path: String,
    hold: Option<Arc<AtomicBool>>,
}

impl Trap {
    fn request(c: &Collector, path: &str) -> Trap {
        Trap {
            moment: Moment::Request,
            path: path.to_string(),
            hold: Some(c.api.fake.hold(path)),
        }
    }

    fn walker_transaction(c: &Collector, id: i64) -> Trap {
        let path = format!("/meet/api/matches/{id}");
        Trap {
            moment: Moment::WalkerTransaction,
            hold: Some(c.api.fake.hold(&path)),
            path,
        }
    }

    fn lock(sql: &str) -> Trap {
        Trap {
            moment: Moment::Lock(sql.to_string()),
            path: String::new(),
            hold: None,
        }
    }

    fn requests(&self, c: &Collector) -> usize {
        c.api
            .fake
            .requests()
            .iter()
            .filter(|r| {
                r.path == self.path || (self.path.ends_with('/') && r.path.starts_with(&self.path))
            })
            .count()
    }

    /// Lets held requests go on.
    fn release(&self) {
        if let Some(hold) = &self.hold {
            hold.store(false, Ordering::SeqCst);
        }
    }
}

/// Starts a run and waits until `trap` catches it (or it ends): `true` when
/// caught. `stop` then ends it (kill, or the database going away), calling
/// `release` (held requests go on) when it suits; then the test's locks are
/// given back and the run's connections waited out.
fn catch(
    c: &Collector,
    trap: &Trap,
    start: impl FnOnce() -> Child,
    stop: impl FnOnce(Child, &dyn Fn()),
) -> bool {
    let mut watcher = c.conn();
    let mut holder = c.conn();
    let keep = BTreeSet::from([connection_id(&mut holder)]);
    if let Moment::Lock(sql) = &trap.moment {
        holder
            .batch_execute(&format!("START TRANSACTION; {sql}"))
            .unwrap();
    }
    let before = trap.requests(c);
    let mut child = start();
    let mut caught = false;
    wait_for("the trap or the run's end", || {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        caught = match trap.moment {
            Moment::Request | Moment::WalkerTransaction => trap.requests(c) > before,
            Moment::Lock(_) => waiting_for_a_lock(&mut watcher, &c.db.name),
        };
        caught
    });
    if !caught {
        trap.release();
        finished(child);
    } else {
        if let Moment::WalkerTransaction = trap.moment {
            holder
                .batch_execute(
                    "START TRANSACTION; \
                     SELECT * FROM collector_state WHERE job = 'matches' FOR UPDATE",
                )
                .unwrap();
            trap.release();
            wait_for("the walker's transaction to wait", || {
                waiting_for_a_lock(&mut watcher, &c.db.name)
            });
        }
        stop(child, &|| trap.release());
    }
    trap.release();
    holder.batch_execute("ROLLBACK").unwrap();
    wait_until_runs_are_gone(c, &mut watcher, &keep);
    caught
}

/// Every kind of moment: inside the walker's transaction, between two
/// matches of the walk, while maps are named, inside any transaction
/// writing games (results, deletions, elo, new games), while the
/// leaderboard or the zones are asked.
/// The lock comes right after the held participants of match 20: that match
/// is then still unfinished, so the next run's update-matches must wait for
/// the lock. Later, a run killed elsewhere may have finished every match,
/// leaving the lock nothing to catch (the request traps hold from their
/// making, so no earlier run gets past them).
fn traps(c: &Collector) -> Vec<Trap> {
    vec![
        Trap::walker_transaction(c, 12),
        Trap::request(c, "/meet/api/matches/20/participants"),
        Trap::lock("SELECT id FROM game WHERE is_finished = 0 FOR UPDATE"),
        Trap::request(c, "/live/api/token/map/"),
        Trap::request(c, "/meet/api/matchmaking/"),
        Trap::request(c, "/core/accounts/zones/"),
    ]
}

#[test]
fn runs_killed_at_any_point_end_as_an_uninterrupted_run() {
    let start = unix_now() - 3600;
    let expected = uninterrupted(start);
    let c = crowd_collector(start);
    let oauth = c.api.oauth_env();
    let mut killed = 0;
    for trap in traps(&c) {
        if catch(
            &c,
            &trap,
            || spawn(&c, &LOOP, &oauth),
            |child, _| kill(child),
        ) {
            killed += 1;
        }
    }
    assert_eq!(killed, 6, "every run was caught and killed");
    run_to_end(&c, &LOOP, &oauth).assert_ok();
    fetch_until_settled(&c, &oauth);

    // resolve-names, killed between its two calls, then inside the write
    // of a batch.
    let first = crate::collect_ranks::stored(&account(0));
    for trap in [
        Trap::request(&c, "/core/accounts/clubTags/"),
        Trap::lock(&format!(
            "SELECT * FROM player WHERE uuid = '{first}' FOR UPDATE"
        )),
    ] {
        let caught = catch(
            &c,
            &trap,
            || spawn(&c, &["resolve-names"], &oauth),
            |child, _| kill(child),
        );
        assert!(caught, "resolve-names was not caught");
    }
    run_to_end(&c, &["resolve-names"], &oauth).assert_ok();
    assert_same_tables(&dump(&mut c.conn()), &expected);
}

#[test]
fn a_database_that_goes_away_ends_the_run_with_exit_3_and_the_next_run_carries_on() {
    let start = unix_now() - 3600;
    let expected = uninterrupted(start);
    let c = crowd_collector(start);
    let oauth = c.api.oauth_env();
    let relay = Relay::to_test_server("127.0.0.1:0");
    let via = c.url_via(&relay);
    let mut env = oauth.to_vec();
    env.push(("DATABASE_URL", &via));
    let quiet_loop: Vec<&str> = ["-q"].iter().chain(LOOP.iter()).copied().collect();
    for trap in [
        Trap::request(&c, "/meet/api/matches/12/participants"),
        Trap::lock("SELECT id FROM game WHERE is_finished = 0 FOR UPDATE"),
    ] {
        let caught = catch(
            &c,
            &trap,
            || spawn(&c, &quiet_loop, &env),
            |child, release| {
                relay.cut();
                release();
                let run = finished(child);
                run.assert_code(3)
                    .assert_error_line("cannot reach the database server at 127.0.0.1:");
                assert!(
                    run.stderr
                        .contains("the connection was lost during the run")
                        && run.stderr.contains("the next run carries on"),
                    "{run:#?}"
                );
            },
        );
        assert!(caught);
        relay.restore();
    }
    run_to_end(&c, &LOOP, &env).assert_ok();
    fetch_until_settled(&c, &env);
    let caught = catch(
        &c,
        &Trap::request(&c, "/core/accounts/clubTags/"),
        || spawn(&c, &["-q", "resolve-names"], &env),
        |child, release| {
            relay.cut();
            release();
            finished(child)
                .assert_code(3)
                .assert_error_line("the connection was lost during the run");
        },
    );
    assert!(caught);
    relay.restore();
    run_to_end(&c, &["resolve-names"], &env).assert_ok();
    assert_same_tables(&dump(&mut c.conn()), &expected);
}
