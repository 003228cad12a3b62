//! Every endpoint against the fake API: payload shapes and variants, batch
//! splitting, and the transport rules (timeouts, 429, 5xx, pacing, UA).

use crate::fake_nadeo::{Reply, Scenario, PLAYERS};
use crate::nadeo_harness::Harness;
use mmstatus::ids::AccountId;
use mmstatus::nadeo::NadeoError;
use serde_json::json;
use std::time::{Duration, Instant};

fn ids(dashed: &[&str]) -> Vec<AccountId> {
    dashed
        .iter()
        .map(|d| AccountId::parse(d).unwrap())
        .collect()
}

fn many(n: usize) -> Vec<AccountId> {
    (0..n)
        .map(|i| AccountId::parse(&format!("{:032x}", 0xabc0000 + i)).unwrap())
        .collect()
}

#[test]
fn match_payloads_parse_with_float_dates_and_extra_fields() {
    let h = Harness::new();
    h.with_valid_tokens();
    h.fake.on(
        "GET",
        "/meet/api/matches/77",
        vec![Reply::ok(&json!({
            "id": 77.0, "liveId": "LID-MTCH-x", "name": "Official 2v2 - match", "startDate": 1767261600.75,
            "endDate": 1767262200.25, "status": "COMPLETED", "participantType": "team", "joinLink": null,
            "serverStatus": "DELETED", "manialink": null, "mediaUrl": "",
            "publicConfig": {"script": "s", "maps": ["Map_UID-with_chars"]}, "somethingNew": {"a": 1}
        }))],
    );
    let m = h.client(&[]).get_match(77).unwrap().unwrap();
    assert_eq!(
        (m.id, m.start_date, m.end_date),
        (77, 1767261600, Some(1767262200))
    );
    assert!(m.is_official_matchmaking() && m.is_completed());
    assert_eq!(m.map_uid(), Some("Map_UID-with_chars"));
    assert_eq!(m.server_status.as_deref(), Some("DELETED"));
}

#[test]
fn a_match_with_missing_optional_fields_parses() {
    let h = Harness::new();
    h.with_valid_tokens();
    h.fake.on(
        "GET",
        "/meet/api/matches/5",
        vec![Reply::ok(
            &json!({"id": 5, "name": "Some cup", "startDate": 1, "publicConfig": {}}),
        )],
    );
    let m = h.client(&[]).get_match(5).unwrap().unwrap();
    assert!(!m.is_official_matchmaking());
    assert_eq!(
        (m.end_date, m.status.as_deref(), m.map_uid()),
        (None, None, None)
    );
}

#[test]
fn missing_matches_are_none_by_status_or_by_exception_body() {
    let h = Harness::new();
    h.with_valid_tokens();
    h.fake.on(
        "GET",
        "/meet/api/matches/1",
        vec![Reply::json(404, &json!({"message": "gone"}))],
    );
    h.fake.on(
        "GET",
        "/meet/api/matches/2",
        vec![Reply::ok(&json!({"exception": "Yep"}))],
    );
    h.fake.on(
        "GET",
        "/meet/api/matches/3",
        vec![Reply::ok(&json!({"id": 3}))],
    );
    let client = h.client(&[]);
    assert_eq!(client.get_match(1).unwrap(), None);
    assert_eq!(client.get_match(2).unwrap(), None);
    assert!(matches!(
        client.get_match(3),
        Err(NadeoError::Malformed { .. })
    ));
}

#[test]
fn participants_and_teams_parse_running_and_finished() {
    let h = Harness::new();
    h.with_valid_tokens();
    let running = Scenario::participants(&PLAYERS, None, None);
    let finished = Scenario::participants(&PLAYERS[..4], Some(&[20, 19, 18, 17]), Some(0));
    h.fake.on(
        "GET",
        "/meet/api/matches/9/participants",
        vec![Reply::ok(&running), Reply::ok(&finished)],
    );
    h.fake.on(
        "GET",
        "/meet/api/matches/9/teams",
        vec![Reply::ok(&json!([{"position": 0, "score": 5, "rank": 1}, {"position": 1, "score": 3.0, "rank": 2}]))],
    );
    let client = h.client(&[]);
    let first = client.match_participants(9).unwrap();
    assert_eq!(first.len(), 6);
    assert_eq!(first[2].participant.dashed(), PLAYERS[2]);
    assert_eq!(
        (first[0].score, first[0].rank, first[0].mvp),
        (None, None, Some(false))
    );
    let second = client.match_participants(9).unwrap();
    assert_eq!(
        (second[0].score, second[0].mvp, second[3].team_position),
        (Some(20), Some(true), Some(1))
    );
    let teams = client.match_teams(9).unwrap();
    assert_eq!(teams.iter().map(|t| t.score).sum::<i64>(), 8);
    assert_eq!(teams[0].rank, 1);
}

#[test]
fn an_object_where_a_list_is_expected_is_an_error() {
    let h = Harness::new();
    h.with_valid_tokens();
    h.fake.on(
        "GET",
        "/meet/api/matches/4/participants",
        vec![Reply::ok(&json!({"code": "x"}))],
    );
    h.fake.on(
        "GET",
        "/core/accounts/zones/",
        vec![Reply::ok(
            &json!({"code": "C-AA-00-03", "message": "validation"}),
        )],
    );
    let client = h.client(&[]);
    assert!(matches!(
        client.match_participants(4),
        Err(NadeoError::Malformed { .. })
    ));
    let zones = client.account_zones(&ids(&PLAYERS[..2]));
    assert!(zones.items.is_empty());
    assert!(matches!(
        zones.failure.unwrap().error,
        NadeoError::Malformed { .. }
    ));
}

#[test]
fn ranks_use_the_matchmaking_id_and_leave_unranked_players_out() {
    let h = Harness::new();
    h.with_valid_tokens();
    let mut scenario = Scenario::default();
    scenario.ranks.insert(PLAYERS[0].into(), (3120, 2214));
    scenario.ranks.insert(PLAYERS[1].into(), (0, 412876));
    scenario.install(&h.fake, None);
    let ranks = h
        .client(&[("MMSTATUS_MATCHMAKING_ID", "2")])
        .player_ranks(&ids(&PLAYERS[..3]))
        .into_result()
        .unwrap();
    assert_eq!(ranks.len(), 2);
    assert_eq!(
        (ranks[0].player.dashed(), ranks[0].score, ranks[0].rank),
        (PLAYERS[0].to_string(), 3120, 2214)
    );
    let request = &h.fake.requests()[0];
    assert_eq!(request.path, "/meet/api/matchmaking/2/leaderboard/players");
    assert_eq!(request.query_values("players[]"), PLAYERS[..3]);
}

#[test]
fn a_ranks_page_without_results_fails_the_batch() {
    let h = Harness::new();
    h.with_valid_tokens();
    h.fake.on(
        "GET",
        "/meet/api/matchmaking/5/leaderboard/players",
        vec![Reply::ok(&json!({"cardinal": 3}))],
    );
    let outcome = h.client(&[]).player_ranks(&ids(&PLAYERS));
    assert!(matches!(
        outcome.failure.unwrap().error,
        NadeoError::Malformed { .. }
    ));
}

#[test]
fn map_info_reads_the_name_and_an_unknown_map_is_transient() {
    let h = Harness::new();
    h.with_valid_tokens();
    h.fake.on(
        "GET",
        "/live/api/token/map/UidA",
        vec![Reply::ok(&json!({"name": "Spring 2026 - 03"}))],
    );
    h.fake.on(
        "GET",
        "/live/api/token/map/UidB",
        vec![Reply::json(
            500,
            &json!({"error": "NotFoundHttpException", "message": "map not found"}),
        )],
    );
    let client = h.client(&[]);
    assert_eq!(client.map_info("UidA").unwrap().name, "Spring 2026 - 03");
    assert!(client.map_info("UidB").unwrap_err().is_transient());
}

#[test]
fn zones_and_club_tags_with_the_core_token() {
    let h = Harness::new();
    let tokens = h.with_valid_tokens();
    let mut scenario = Scenario::default();
    scenario.zones.insert(
        PLAYERS[0].into(),
        "301E1B69-F5A5-4C07-A6B0-F0E4FDD5B3CF".into(),
    );
    scenario
        .club_tags
        .insert(PLAYERS[0].into(), "$F05TSH".into());
    scenario.club_tags.insert(PLAYERS[1].into(), "⚡GG".into());
    scenario.club_tags.insert(PLAYERS[2].into(), "".into());
    scenario.install(&h.fake, None);
    let client = h.client(&[]);
    let zones = client.account_zones(&ids(&PLAYERS)).into_result().unwrap();
    assert_eq!(zones.len(), 1);
    assert_eq!(
        zones[0].zone_id.stored(),
        "301e1b69f5a54c07a6b0f0e4fdd5b3cf"
    );
    let tags = client.club_tags(&ids(&PLAYERS)).into_result().unwrap();
    let tags: Vec<(String, &str)> = tags
        .iter()
        .map(|t| (t.account_id.dashed(), t.club_tag.as_str()))
        .collect();
    assert_eq!(
        tags,
        [
            (PLAYERS[0].to_string(), "$F05TSH"),
            (PLAYERS[1].to_string(), "⚡GG"),
            (PLAYERS[2].to_string(), "")
        ]
    );
    let request = &h.fake.requests_to("/core/accounts/zones/")[0];
    assert_eq!(
        request.query,
        format!("accountIdList={}", PLAYERS.join(","))
    );
    let core_token = tokens["NadeoCore"]["access_token"].as_str().unwrap();
    assert_eq!(
        request.authorization.as_deref(),
        Some(format!("nadeo_v1 t={core_token}").as_str())
    );
}

#[test]
fn a_null_club_tag_list_reads_as_empty() {
    let h = Harness::new();
    h.with_valid_tokens();
    h.fake.on(
        "GET",
        "/core/accounts/clubTags/",
        vec![Reply::new(200, "null")],
    );
    assert!(h
        .client(&[])
        .club_tags(&ids(&PLAYERS))
        .into_result()
        .unwrap()
        .is_empty());
}

#[test]
fn display_names_object_empty_list_and_errors() {
    let h = Harness::new();
    let env = h.oauth_env();
    h.fake.on(
        "GET",
        "/oauth/api/display-names",
        vec![
            Reply::ok(&json!({PLAYERS[0]: "Ålice", PLAYERS[1]: "ボブ", "not-an-id": "x"})),
            Reply::ok(&json!([])),
            Reply::ok(&json!(["a list"])),
        ],
    );
    let client = h.client(&env);
    let names = client
        .display_names(&ids(&PLAYERS[..3]))
        .into_result()
        .unwrap();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&(AccountId::parse(PLAYERS[1]).unwrap(), "ボブ".to_string())));
    let request = &h.fake.requests_to("/oauth/api/display-names")[0];
    assert_eq!(request.query_values("accountId[]"), PLAYERS[..3]);
    assert!(request
        .authorization
        .as_deref()
        .unwrap()
        .starts_with("Bearer "));
    assert!(client
        .display_names(&ids(&PLAYERS[..1]))
        .into_result()
        .unwrap()
        .is_empty());
    assert!(matches!(
        client.display_names(&ids(&PLAYERS[..1])).into_result(),
        Err(NadeoError::Malformed { .. })
    ));
}

#[test]
fn batches_split_120_ids_into_the_expected_calls() {
    let h = Harness::new();
    h.with_valid_tokens();
    Scenario::default().install(&h.fake, None);
    let client = h.client(&[]);
    let all = many(120);
    let dashed: Vec<String> = all.iter().map(AccountId::dashed).collect();

    client.player_ranks(&all).into_result().unwrap();
    let calls = h
        .fake
        .requests_to("/meet/api/matchmaking/5/leaderboard/players");
    let sent: Vec<Vec<String>> = calls.iter().map(|r| r.query_values("players[]")).collect();
    assert_eq!(sent.iter().map(Vec::len).collect::<Vec<_>>(), [100, 20]);
    assert_eq!(sent.concat(), dashed);

    client.account_zones(&all).into_result().unwrap();
    let calls = h.fake.requests_to("/core/accounts/zones/");
    let sent: Vec<String> = calls
        .iter()
        .map(|r| r.query_values("accountIdList")[0].clone())
        .collect();
    assert_eq!(
        sent.iter()
            .map(|s| s.split(',').count())
            .collect::<Vec<_>>(),
        [50, 50, 20]
    );
    assert_eq!(sent.join(","), dashed.join(","));

    client.club_tags(&all).into_result().unwrap();
    assert_eq!(h.fake.count("/core/accounts/clubTags/"), 3);
}

#[test]
fn a_failing_batch_stops_and_reports_the_unanswered_ids() {
    let h = Harness::new();
    h.with_valid_tokens();
    let all = many(120);
    let mut scenario = Scenario::default();
    scenario.invalid_accounts.insert(all[60].dashed());
    scenario.install(&h.fake, None);
    let outcome = h.client(&[]).club_tags(&all);
    let failure = outcome.failure.unwrap();
    assert!(matches!(
        failure.error,
        NadeoError::Status { status: 400, .. }
    ));
    assert_eq!(failure.unanswered, all[50..]);
    assert_eq!(
        h.fake.count("/core/accounts/clubTags/"),
        2,
        "no call after the failure"
    );
}

#[test]
fn a_hanging_server_hits_the_timeout() {
    let h = Harness::new();
    h.with_valid_tokens();
    h.fake.on(
        "GET",
        "/meet/api/matches/1",
        vec![Reply::ok(&json!({})).delayed(Duration::from_secs(3))],
    );
    let started = Instant::now();
    let err = h
        .client(&[("MMSTATUS_HTTP_TIMEOUT", "0.5")])
        .get_match(1)
        .unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "gave up before the reply"
    );
}

#[test]
fn a_429_waits_for_retry_after_then_retries_once() {
    let h = Harness::new();
    h.with_valid_tokens();
    h.fake.on(
        "GET",
        "/meet/api/matches/8/teams",
        vec![
            Reply::json(429, &json!({"message": "slow down"})).header("Retry-After", "1"),
            Reply::ok(&json!([])),
        ],
    );
    assert!(h.client(&[]).match_teams(8).unwrap().is_empty());
    let calls = h.fake.requests_to("/meet/api/matches/8/teams");
    assert_eq!(calls.len(), 2);
    let gap = calls[1].at - calls[0].at;
    assert!(gap >= Duration::from_millis(950), "waited {gap:?}");

    h.fake.on(
        "GET",
        "/meet/api/matches/9/teams",
        vec![Reply::json(429, &json!({})).header("Retry-After", "0.2")],
    );
    match h.client(&[]).match_teams(9) {
        Err(NadeoError::Transient { retry_after, .. }) => {
            assert_eq!(retry_after, Some(Duration::from_millis(200)))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        h.fake.count("/meet/api/matches/9/teams"),
        2,
        "one retry only"
    );
}

#[test]
fn server_errors_are_transient_and_not_retried() {
    let h = Harness::new();
    h.with_valid_tokens();
    h.fake.on(
        "GET",
        "/meet/api/matches/3/teams",
        vec![Reply::new(503, "<html>down</html>")],
    );
    assert!(h.client(&[]).match_teams(3).unwrap_err().is_transient());
    assert_eq!(h.fake.count("/meet/api/matches/3/teams"), 1);
}

#[test]
fn malformed_and_empty_bodies_are_errors() {
    let h = Harness::new();
    h.with_valid_tokens();
    h.fake.on(
        "GET",
        "/meet/api/matches/3/teams",
        vec![Reply::new(200, "{not json"), Reply::new(200, "")],
    );
    let client = h.client(&[]);
    for _ in 0..2 {
        assert!(matches!(
            client.match_teams(3),
            Err(NadeoError::Malformed { .. })
        ));
    }
}

#[test]
fn the_rate_limiter_spaces_requests() {
    let h = Harness::new();
    h.with_valid_tokens();
    h.fake.on(
        "GET",
        "/meet/api/matches/1/teams",
        vec![Reply::ok(&json!([]))],
    );
    let client = h.client(&[("MMSTATUS_MAX_RPS", "10")]);
    for _ in 0..5 {
        client.match_teams(1).unwrap();
    }
    let calls = h.fake.requests_to("/meet/api/matches/1/teams");
    for pair in calls.windows(2) {
        let gap = pair[1].at - pair[0].at;
        assert!(
            gap >= Duration::from_millis(80),
            "requests {gap:?} apart at 10/s"
        );
    }
}

#[test]
fn the_user_agent_is_sent() {
    let h = Harness::new();
    h.with_valid_tokens();
    h.fake.on(
        "GET",
        "/meet/api/matches/1/teams",
        vec![Reply::ok(&json!([]))],
    );
    h.client(&[("MMSTATUS_USER_AGENT", "mmstatus-test (ops@example.org)")])
        .match_teams(1)
        .unwrap();
    h.client(&[]).match_teams(1).unwrap();
    let calls = h.fake.requests_to("/meet/api/matches/1/teams");
    assert_eq!(
        calls[0].user_agent.as_deref(),
        Some("mmstatus-test (ops@example.org)")
    );
    assert!(calls[1]
        .user_agent
        .as_deref()
        .unwrap()
        .starts_with("mmstatus/"));
}

#[test]
fn a_scenario_plays_matches_appearing_over_time_with_token_checks() {
    let h = Harness::new();
    h.with_valid_tokens();
    let mut scenario = Scenario::default();
    let now = Instant::now();
    let start = crate::fake_nadeo::unix_now() - 300;
    for (id, visible) in [(10, now), (11, now + Duration::from_millis(1000))] {
        scenario.add_match(
            id,
            Scenario::official_match(id, "Official 3v3 - match", "MapUid", start, "ONGOING"),
            Scenario::participants(&PLAYERS, None, None),
            json!([]),
            visible,
        );
    }
    scenario.ranks.insert(PLAYERS[4].into(), (1544, 98231));
    let scenario = scenario.install(&h.fake, Some(h.authority.clone()));
    let client = h.client(&[]);
    assert_eq!(client.get_match(10).unwrap().unwrap().start_date, start);
    assert_eq!(client.get_match(11).unwrap(), None, "not there yet");
    std::thread::sleep(Duration::from_millis(1100));
    assert!(client.get_match(11).unwrap().is_some(), "appeared");
    assert_eq!(client.match_participants(11).unwrap().len(), 6);
    assert_eq!(client.get_match(12).unwrap(), None);

    // The scenario can change while it plays: the match completes.
    scenario.lock().unwrap().matches.get_mut(&10).unwrap().body["status"] = json!("COMPLETED");
    assert!(client.get_match(10).unwrap().unwrap().is_completed());
    let ranks = client.player_ranks(&ids(&PLAYERS)).into_result().unwrap();
    assert_eq!(ranks.len(), 1);
    assert!(h.fake.requests().iter().all(|r| r.authorization.is_some()));
}

#[test]
fn the_zone_list_parses() {
    let h = Harness::new();
    h.with_valid_tokens();
    h.fake.on(
        "GET",
        "/core/zones",
        vec![Reply::ok(&json!([
            {"zoneId": "301e1b69-f5a5-4c07-a6b0-f0e4fdd5b3cf", "name": "World", "parentId": null,
             "icon": "/World.jpg", "timestamp": "2020-01-01T00:00:00+00:00"},
            {"zoneId": "301e2106-f5a5-4c07-a6b0-f0e4fdd5b3cf", "name": "Europe",
             "parentId": "301e1b69-f5a5-4c07-a6b0-f0e4fdd5b3cf", "icon": "/Europe.jpg", "timestamp": "x"}
        ]))],
    );
    let zones = h.client(&[]).zone_list().unwrap();
    assert_eq!(zones.len(), 2);
    assert_eq!(zones[0].parent_id, None);
    assert_eq!(
        zones[1].parent_id.as_ref().map(AccountId::stored),
        Some("301e1b69f5a54c07a6b0f0e4fdd5b3cf")
    );
}

#[test]
fn display_names_split_into_batches_of_fifty() {
    let h = Harness::new();
    let env = h.oauth_env();
    let mut scenario = Scenario::default();
    let all = many(120);
    scenario.names.insert(all[119].dashed(), "Last".into());
    scenario.install(&h.fake, None);
    let names = h.client(&env).display_names(&all).into_result().unwrap();
    assert_eq!(names, [(all[119].clone(), "Last".to_string())]);
    let sent: Vec<usize> = h
        .fake
        .requests_to("/oauth/api/display-names")
        .iter()
        .map(|r| r.query_values("accountId[]").len())
        .collect();
    assert_eq!(sent, [50, 50, 20]);
}
