//! The `zones-sync`, `zones`, `countries` and `regions` jobs
//! (collection.md §2.6–§2.8; fixtures scenario step 5).

use crate::collector::stored;
use crate::collector::Collector;
use crate::collector::FIXTURE_PLAYERS;
use crate::common::{count, scalar_string, strings};
use crate::fake_nadeo::{Recorded, Reply};
use diesel::connection::SimpleConnection;
use diesel::MysqlConnection;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const ZONES_PATH: &str = "/core/accounts/zones/";
const ZONE_LIST_PATH: &str = "/core/zones";

/// The fixtures' players (dashed) and the zones `core/account_zones.json`
/// gives them: Ain, France, Europe, Aachen, a zone no table has; p6 absent.
const P: [&str; 6] = FIXTURE_PLAYERS;
const AIN: &str = "301f64f2-7e13-11e8-8060-e284abfd2bc4";
const FRANCE: &str = "301f6188-7e13-11e8-8060-e284abfd2bc4";
const EUROPE: &str = "301e2106-7e13-11e8-8060-e284abfd2bc4";
const AACHEN: &str = "30200df4-7e13-11e8-8060-e284abfd2bc4";
const NOWHERE: &str = "ffffffff-ffff-4fff-bfff-ffffffffffff";
const WORLD: &str = "301e1b69-7e13-11e8-8060-e284abfd2bc4";

/// New players (the walker's defaults), by stored uuid.
fn add_players(conn: &mut MysqlConnection, uuids: &[String]) {
    let rows: Vec<String> = uuids
        .iter()
        .map(|u| format!("('{u}', '', 0, 99999, '1970-01-01 01:00:00', '1970-01-01 01:00:00', 0)"))
        .collect();
    conn.batch_execute(&format!(
        "INSERT INTO player (uuid, name, points, `rank`, last_points_update, last_name_update, \
         points_fetch_retries) VALUES {}",
        rows.join(", ")
    ))
    .unwrap();
}

/// "zone|country|region" of a player (NULL for none).
fn place(conn: &mut MysqlConnection, dashed: &str) -> String {
    scalar_string(
        conn,
        &format!(
            "SELECT CONCAT_WS('|', IFNULL(zone_id, 'NULL'), IFNULL(country_id, 'NULL'), \
             IFNULL(region_id, 'NULL')) AS value FROM player WHERE uuid = '{}'",
            stored(dashed)
        ),
    )
    .unwrap()
}

fn serve_fixture_zones(c: &Collector) {
    let mut scenario = c.scenario.lock().unwrap();
    for (player, zone) in P.iter().zip([AIN, FRANCE, EUROPE, AACHEN, NOWHERE]) {
        scenario.zones.insert(player.to_string(), zone.to_string());
    }
}

/// The account ids of each E9 call so far.
fn zone_calls(c: &Collector) -> Vec<Vec<String>> {
    c.api
        .fake
        .requests_to(ZONES_PATH)
        .iter()
        .map(|r| {
            r.query_values("accountIdList")
                .first()
                .map(|list| list.split(',').map(str::to_string).collect())
                .unwrap_or_default()
        })
        .collect()
}

#[test]
fn players_get_their_zone_country_and_region() {
    let c = Collector::new(true);
    let mut conn = c.conn();
    add_players(&mut conn, &P.map(stored));
    serve_fixture_zones(&c);
    c.fetch_once("zones,countries,regions").assert_ok();
    let expected = [
        "7|185|47",    // Ain: France, Auvergne-Rhône-Alpes
        "185|185|185", // France: the zone is the country
        "176|639|176", // Europe: no ancestor is a country, so World
        "1|197|407",   // Aachen: Germany, Nordrhein-Westfalen
        "NULL|NULL|NULL",
        "NULL|NULL|NULL",
    ];
    for (player, place_expected) in P.iter().zip(expected) {
        assert_eq!(place(&mut conn, player), place_expected, "{player}");
    }
    // The unknown zone and the absent player are asked again next time.
    c.fetch_once("zones").assert_ok();
    let calls = zone_calls(&c);
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].len(), 2);
    assert!(calls[1].contains(&P[4].to_string()) && calls[1].contains(&P[5].to_string()));
    assert_eq!(place(&mut conn, P[4]), "NULL|NULL|NULL");
}

/// 60 players whose zone no table has come first in uuid order; the 61st
/// has a known zone. The reference's "first 50 without a zone" would never
/// reach it.
#[test]
fn players_without_a_known_zone_do_not_starve_the_others() {
    let c = Collector::new(true);
    let mut conn = c.conn();
    let unknown: Vec<String> = (1..=60).map(|n| format!("{n:032x}")).collect();
    let known = format!("{:032x}", u128::MAX);
    add_players(&mut conn, &unknown);
    add_players(&mut conn, std::slice::from_ref(&known));
    {
        let mut scenario = c.scenario.lock().unwrap();
        for (i, uuid) in unknown.iter().enumerate() {
            if i % 2 == 0 {
                scenario.zones.insert(dashed(uuid), NOWHERE.to_string());
            }
        }
        scenario.zones.insert(dashed(&known), FRANCE.to_string());
    }
    let one_batch = ["fetch", "--once", "--jobs", "zones", "--zones-batches", "1"];
    c.run(&one_batch, &[]).assert_ok();
    assert_eq!(zone_calls(&c)[0].len(), 50);
    assert!(!zone_calls(&c)[0].contains(&dashed(&known)));
    c.run(&one_batch, &[]).assert_ok();
    let second = &zone_calls(&c)[1];
    assert_eq!(second.len(), 50, "the round goes on from the start");
    assert!(second.contains(&dashed(&known)));
    assert_eq!(place(&mut conn, &known), "185|NULL|NULL");
    // The cursor is the last player asked: the 39th, after wrapping.
    let cursor = scalar_string(
        &mut conn,
        "SELECT cursor_text AS value FROM collector_state WHERE job = 'zones'",
    );
    assert_eq!(cursor.as_deref(), Some(unknown[38].as_str()));

    // With several batches, one run asks each player once.
    c.fetch_once("zones").assert_ok();
    let calls = zone_calls(&c);
    let asked: Vec<&String> = calls[2..].iter().flatten().collect();
    let distinct: std::collections::BTreeSet<&&String> = asked.iter().collect();
    assert_eq!((asked.len(), distinct.len()), (60, 60), "{calls:?}");
}

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

/// E9 answers from a fixed table, for the ids asked.
fn zones_answer(r: &Recorded, zones: &HashMap<String, String>) -> Reply {
    let ids: Vec<String> = r
        .query_values("accountIdList")
        .first()
        .map(|l| l.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let rows: Vec<Value> = ids
        .iter()
        .filter_map(|id| zones.get(id).map(|z| json!({"accountId": id, "zoneId": z})))
        .collect();
    Reply::ok(&Value::Array(rows))
}

/// A failed E9 call writes nothing, leaves the cursor, and is counted; the
/// next run asks the same players.
#[test]
fn a_failed_zones_call_writes_nothing_and_is_retried() {
    let validation =
        json!({"code": "C-AA-00-03", "correlation_id": "x", "message": "validation", "info": []});
    let faults: [(&str, Reply); 4] = [
        ("error object, HTTP 400", Reply::json(400, &validation)),
        ("error object, HTTP 200", Reply::ok(&validation)),
        (
            "HTTP 503",
            Reply::json(503, &json!({"message": "unavailable"})),
        ),
        (
            "timeout",
            Reply::ok(&json!([])).delayed(std::time::Duration::from_secs(3)),
        ),
    ];
    for (fault, reply) in faults {
        let c = Collector::new(true);
        let mut conn = c.conn();
        add_players(
            &mut conn,
            &P[..2].iter().map(|p| stored(p)).collect::<Vec<_>>(),
        );
        let table: HashMap<String, String> = HashMap::from([
            (P[0].to_string(), AIN.to_string()),
            (P[1].to_string(), FRANCE.to_string()),
        ]);
        let calls = Arc::new(AtomicUsize::new(0));
        let (seen, fault_reply) = (calls.clone(), reply.clone());
        c.api.fake.on_fn("GET", ZONES_PATH, move |r| {
            match seen.fetch_add(1, Ordering::SeqCst) {
                0 => fault_reply.clone(),
                _ => zones_answer(r, &table),
            }
        });
        let run = c.run(
            &["fetch", "--once", "--jobs", "zones,countries,regions"],
            &[("MMSTATUS_HTTP_TIMEOUT", "1")],
        );
        run.assert_code(6)
            .assert_stdout_contains("errors in zones (1)");
        for p in &P[..2] {
            assert_eq!(place(&mut conn, p), "NULL|NULL|NULL", "{fault}");
        }
        let cursor = "SELECT COUNT(*) AS value FROM collector_state \
                      WHERE job = 'zones' AND cursor_text IS NOT NULL";
        assert_eq!(count(&mut conn, cursor), 0, "{fault}");

        c.fetch_once("zones,countries,regions").assert_ok();
        assert_eq!(place(&mut conn, P[0]), "7|185|47", "{fault}");
        assert_eq!(place(&mut conn, P[1]), "185|185|185", "{fault}");
        assert_eq!(calls.load(Ordering::SeqCst), 2, "{fault}");
    }
}

#[test]
fn countries_and_regions_go_in_batches() {
    let c = Collector::new(true);
    let mut conn = c.conn();
    let players: Vec<String> = (1..=5).map(|n| format!("{n:032x}")).collect();
    add_players(&mut conn, &players);
    conn.batch_execute("UPDATE player SET zone_id = 7").unwrap();
    let args = [
        "fetch",
        "--once",
        "--jobs",
        "countries,regions",
        "--geo-batch",
        "2",
        "--geo-batches",
        "2",
    ];
    c.run(&args, &[]).assert_ok();
    let placed = |conn: &mut MysqlConnection, column: &str| {
        count(
            conn,
            &format!("SELECT COUNT(*) AS value FROM player WHERE {column} IS NOT NULL"),
        )
    };
    assert_eq!(placed(&mut conn, "country_id"), 4);
    assert_eq!(placed(&mut conn, "region_id"), 4);
    c.run(&args, &[]).assert_ok();
    assert_eq!(placed(&mut conn, "country_id"), 5);
    assert_eq!(placed(&mut conn, "region_id"), 5);
    assert_eq!(
        strings(
            &mut conn,
            "SELECT DISTINCT CONCAT_WS('|', country_id, region_id) AS value FROM player"
        ),
        ["185|47"]
    );
}

#[test]
fn geo_flags_are_checked() {
    let c = Collector::new(false);
    for flag in [
        "--zones-batch=0",
        "--zones-batch=201",
        "--zones-batches=0",
        "--geo-batch=0",
        "--geo-batches=0",
    ] {
        c.run(&["fetch", "--once", "--jobs", "zones", flag], &[])
            .assert_code(2);
    }
}

/// What `init-db --zones` loads: the shipped tree, "id|uuid|name|parent|alpha3|file".
fn shipped_rows() -> Vec<String> {
    let zones =
        mmstatus::db::zone_tree::parse_zone_tree(mmstatus::db::zone_tree::SHIPPED_ZONE_TREE)
            .unwrap();
    let mut rows: Vec<(i32, String)> = zones
        .into_iter()
        .map(|z| {
            let row = format!(
                "{}|{}|{}|{}|{}|{}",
                z.id,
                z.uuid,
                z.name,
                z.parent_id.map_or("NULL".to_string(), |p| p.to_string()),
                z.country_alpha3.unwrap_or_else(|| "NULL".to_string()),
                z.file_name
            );
            (z.id, row)
        })
        .collect();
    rows.sort();
    rows.into_iter().map(|(_, row)| row).collect()
}

fn zone_rows(conn: &mut MysqlConnection) -> Vec<String> {
    strings(
        conn,
        "SELECT CONCAT_WS('|', id, uuid, name, IFNULL(parent_id, 'NULL'), \
         IFNULL(country_alpha3, 'NULL'), file_name) AS value FROM zone ORDER BY id",
    )
}

/// A zone list: three zones the shipped tree knows (under other names and
/// flags) and two new ones.
fn zone_list() -> Value {
    json!([
        {"zoneId": WORLD, "name": "Monde", "parentId": null, "icon": "file://Media/Flags/WOR.dds", "timestamp": "2022-01-01T00:00:00+00:00"},
        {"zoneId": EUROPE, "name": "Europa", "parentId": WORLD, "icon": "file://Media/Flags/europe.dds", "timestamp": "2022-01-01T00:00:00+00:00"},
        {"zoneId": FRANCE, "name": "France", "parentId": EUROPE, "icon": "file://Media/Flags/FRA.dds", "timestamp": "2022-01-01T00:00:00+00:00"},
        {"zoneId": "0a0a0a0a-0000-4000-8000-000000000002", "name": "Île Nouvelle", "parentId": "0a0a0a0a-0000-4000-8000-000000000001", "icon": "file://Media/Flags/Île Nouvelle.jpg", "timestamp": "2022-01-01T00:00:00+00:00"},
        {"zoneId": "0a0a0a0a-0000-4000-8000-000000000001", "name": "Atlantis", "parentId": EUROPE, "icon": "file://Media/Flags/ATL.dds", "timestamp": "2022-01-01T00:00:00+00:00"}
    ])
}

const NEW_ZONES: [&str; 2] = [
    "1200|0a0a0a0a000040008000000000000001|Atlantis|176|ATL|ATL.png",
    "1201|0a0a0a0a000040008000000000000002|Île Nouvelle|1200|NULL|%C3%8Ele%20Nouvelle.png",
];

#[test]
fn an_empty_zone_table_is_loaded_from_the_zone_list() {
    let c = Collector::new(false);
    let mut conn = c.conn();
    c.api.fake.on(
        "GET",
        ZONE_LIST_PATH,
        vec![
            Reply::json(503, &json!({"message": "unavailable"})),
            Reply::ok(&zone_list()),
        ],
    );
    add_players(&mut conn, &[stored(P[0])]);
    serve_fixture_zones(&c);

    // The API fails: nothing is written, the next run tries again.
    let run = c.fetch_once("zones-sync");
    run.assert_code(6)
        .assert_stdout_contains("errors in zones-sync (1)");
    assert_eq!(count(&mut conn, "SELECT COUNT(*) AS value FROM zone"), 0);

    // A whole run (no --jobs): the table is empty, so zones-sync loads it,
    // before the players' zones are asked for.
    c.run(&["fetch", "--once"], &[]);
    let mut expected = shipped_rows();
    expected.extend(NEW_ZONES.map(str::to_string));
    assert_eq!(zone_rows(&mut conn), expected);
    assert_eq!(place(&mut conn, P[0]), "7|185|47");
    assert_eq!(c.api.fake.count(ZONE_LIST_PATH), 2);

    // Zones exist now: a whole run leaves them, and does not ask.
    c.run(&["fetch", "--once"], &[]);
    assert_eq!(c.api.fake.count(ZONE_LIST_PATH), 2);
}

#[test]
fn zones_sync_asked_for_adds_only_the_missing_zones() {
    let c = Collector::new(true);
    let mut conn = c.conn();
    c.api
        .fake
        .on("GET", ZONE_LIST_PATH, vec![Reply::ok(&zone_list())]);
    // Other jobs leave a loaded table alone.
    c.fetch_once("zones,countries").assert_ok();
    assert_eq!(c.api.fake.count(ZONE_LIST_PATH), 0);

    // A zone edited on this database stays as it is.
    conn.batch_execute("UPDATE zone SET name = 'Frankreich' WHERE id = 185")
        .unwrap();
    let mut expected = zone_rows(&mut conn);
    c.fetch_once("zones-sync").assert_ok();
    expected.extend(NEW_ZONES.map(str::to_string));
    assert_eq!(zone_rows(&mut conn), expected);

    // Asked again: nothing is missing any more.
    c.fetch_once("zones-sync").assert_ok();
    assert_eq!(c.api.fake.count(ZONE_LIST_PATH), 2);
    assert_eq!(zone_rows(&mut conn), expected);
}
