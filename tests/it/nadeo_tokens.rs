//! The token lifecycle against the fake token endpoints, and the
//! credentials file protocol.

use crate::fake_nadeo::{jwt, unix_now, Reply};
use crate::nadeo_harness::{local_in, Harness};
use mmstatus::nadeo::{CredentialKey, NadeoError};
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;

const REFRESH: &str = "/core/v2/authentication/token/refresh";
const EXCHANGE: &str = "/core/v2/authentication/token/nadeoservices";
const OAUTH_TOKEN: &str = "/oauth/api/access_token";

fn entry(h: &Harness, key: &str, field: &str) -> String {
    h.read_credentials()[key][field]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn bootstraps_core_from_the_environment_and_writes_the_file() {
    let h = Harness::new();
    h.authority.grant_refresh("boot-rt", "NadeoServices");
    let token = h
        .client(&[("NADEO_REFRESH_TOKEN", "boot-rt")])
        .access_token(CredentialKey::Core)
        .unwrap();
    let calls = h.fake.requests_to(REFRESH);
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].authorization.as_deref(),
        Some("nadeo_v1 t=boot-rt")
    );
    assert_eq!(calls[0].body, "");
    assert_eq!(entry(&h, "NadeoCore", "access_token"), token);
    let rotated = entry(&h, "NadeoCore", "refresh_token");
    assert!(
        h.authority.refresh_is_valid(&rotated),
        "the rotated token was stored"
    );
    assert!(!h.authority.refresh_is_valid("boot-rt"));
    let expire = entry(&h, "NadeoCore", "expire_time");
    assert!(
        expire > local_in(3500) && expire <= local_in(3601),
        "{expire}: naive Paris time from the JWT"
    );
    let mode = std::fs::metadata(h.credentials_path())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    assert!(h.leftover_tmp().is_empty());
}

#[test]
fn a_legacy_token_file_bootstraps_too() {
    let h = Harness::new();
    h.authority.grant_refresh("file-rt", "NadeoServices");
    std::fs::write(h.dir.join("nd_tk.txt"), "file-rt\n").unwrap();
    h.client(&[("NADEO_REFRESH_TOKEN", "env-rt")])
        .access_token(CredentialKey::Core)
        .unwrap();
    assert_eq!(
        h.fake.requests_to(REFRESH)[0].authorization.as_deref(),
        Some("nadeo_v1 t=file-rt")
    );
}

#[test]
fn the_stored_refresh_token_wins_over_the_bootstrap() {
    let h = Harness::new();
    h.authority.grant_refresh("stored-rt", "NadeoServices");
    h.write_credentials(
        &json!({"NadeoCore": {"access_token": "old", "refresh_token": "stored-rt",
                                               "expire_time": "2000-01-01T00:00:00"}}),
    );
    h.client(&[("NADEO_REFRESH_TOKEN", "env-rt")])
        .access_token(CredentialKey::Core)
        .unwrap();
    let calls = h.fake.requests_to(REFRESH);
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].authorization.as_deref(),
        Some("nadeo_v1 t=stored-rt")
    );
}

#[test]
fn a_still_valid_token_is_not_refreshed() {
    let h = Harness::new();
    let tokens = h.with_valid_tokens();
    let before = std::fs::read(h.credentials_path()).unwrap();
    let token = h.client(&[]).access_token(CredentialKey::Live).unwrap();
    assert_eq!(token, tokens["NadeoLive"]["access_token"].as_str().unwrap());
    assert_eq!(h.fake.count(REFRESH) + h.fake.count(EXCHANGE), 0);
    assert_eq!(
        std::fs::read(h.credentials_path()).unwrap(),
        before,
        "file untouched"
    );
}

#[test]
fn a_token_expiring_within_a_minute_or_without_expiry_is_refreshed() {
    for expire in [local_in(30), String::new(), "garbage".to_string()] {
        let h = Harness::new();
        h.authority.grant_refresh("rt", "NadeoServices");
        h.write_credentials(&json!({"NadeoCore": {"access_token": "a", "refresh_token": "rt", "expire_time": expire}}));
        let token = h.client(&[]).access_token(CredentialKey::Core).unwrap();
        assert_ne!(token, "a", "expire_time {expire:?}");
        assert_eq!(h.fake.count(REFRESH), 1);
    }
}

#[test]
fn live_comes_from_the_nadeoservices_exchange() {
    let h = Harness::new();
    h.authority.grant_refresh("boot-rt", "NadeoServices");
    let live = h
        .client(&[("NADEO_REFRESH_TOKEN", "boot-rt")])
        .access_token(CredentialKey::Live)
        .unwrap();
    assert_eq!(
        h.authority.access_audience(&live).as_deref(),
        Some("NadeoLiveServices")
    );
    let exchange = &h.fake.requests_to(EXCHANGE)[0];
    let core = entry(&h, "NadeoCore", "access_token");
    assert_eq!(
        exchange.authorization.as_deref(),
        Some(format!("nadeo_v1 t={core}").as_str())
    );
    assert!(exchange
        .content_type
        .as_deref()
        .unwrap()
        .starts_with("application/json"));
    assert_eq!(
        serde_json::from_str::<Value>(&exchange.body).unwrap(),
        json!({"audience": "NadeoLiveServices"})
    );
    assert_eq!(entry(&h, "NadeoLive", "access_token"), live);
    assert!(h
        .authority
        .refresh_is_valid(&entry(&h, "NadeoLive", "refresh_token")));
}

#[test]
fn the_exchange_falls_back_to_a_form_body_when_json_is_refused() {
    let h = Harness::new();
    h.with_valid_tokens();
    let live = jwt(unix_now() + 3600, "NadeoLiveServices");
    h.fake.on(
        "POST",
        EXCHANGE,
        vec![
            Reply::json(400, &json!({"message": "unsupported body"})),
            Reply::ok(&json!({"accessToken": live, "refreshToken": "live-rt"})),
        ],
    );
    h.write_credentials(&json!({"NadeoCore": h.read_credentials()["NadeoCore"]}));
    assert_eq!(
        h.client(&[]).access_token(CredentialKey::Live).unwrap(),
        live
    );
    let calls = h.fake.requests_to(EXCHANGE);
    assert_eq!(
        calls[1].content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        calls[1].form("audience").as_deref(),
        Some("NadeoLiveServices")
    );
}

#[test]
fn a_stored_live_refresh_token_is_used_and_a_refused_one_falls_back_to_the_exchange() {
    let h = Harness::new();
    let tokens = h.with_valid_tokens();
    let mut expired = tokens.clone();
    expired["NadeoLive"]["expire_time"] = json!("2000-01-01T00:00:00");
    h.write_credentials(&expired);
    h.client(&[]).access_token(CredentialKey::Live).unwrap();
    let refresh = h.fake.requests_to(REFRESH);
    assert_eq!(
        refresh[0].authorization.as_deref(),
        Some("nadeo_v1 t=seed-rt-NadeoLiveServices")
    );
    assert_eq!(h.fake.count(EXCHANGE), 0);

    // A Live refresh token the API no longer accepts: recover through E2.
    let mut broken = h.read_credentials();
    broken["NadeoLive"]["expire_time"] = json!("2000-01-01T00:00:00");
    broken["NadeoLive"]["refresh_token"] = json!("revoked-rt");
    h.write_credentials(&broken);
    let live = h.client(&[]).access_token(CredentialKey::Live).unwrap();
    assert_eq!(
        h.authority.access_audience(&live).as_deref(),
        Some("NadeoLiveServices")
    );
    assert_eq!(h.fake.count(EXCHANGE), 1);
}

#[test]
fn a_401_triggers_one_refresh_and_one_retry() {
    let h = Harness::new();
    h.with_valid_tokens();
    let scenario = crate::fake_nadeo::Scenario::default();
    scenario.install(&h.fake, Some(h.authority.clone()));
    let client = h.client(&[]);
    assert!(
        client.match_teams(1).is_err_and(|e| e.is_not_found()),
        "authorised: the match is just missing"
    );
    h.authority.revoke_access();
    assert!(
        client.match_teams(1).unwrap_err().is_not_found(),
        "refreshed and retried"
    );
    let calls = h.fake.requests_to("/meet/api/matches/1/teams");
    assert_eq!(calls.len(), 3);
    assert_ne!(
        calls[1].authorization, calls[2].authorization,
        "the retry used the new token"
    );
    assert_eq!(h.fake.count(REFRESH), 1);
}

#[test]
fn a_second_401_is_unauthorized_without_more_attempts() {
    let h = Harness::new();
    h.with_valid_tokens();
    h.fake.on(
        "GET",
        "/meet/api/matches/1/teams",
        vec![Reply::json(401, &json!({"message": "no"}))],
    );
    let err = h.client(&[]).match_teams(1).unwrap_err();
    assert!(
        matches!(err, NadeoError::Unauthorized { status: 401, .. }),
        "{err}"
    );
    assert_eq!(h.fake.count("/meet/api/matches/1/teams"), 2);
    assert_eq!(h.fake.count(REFRESH), 1);
}

#[test]
fn concurrent_refreshes_spend_the_refresh_token_once() {
    let h = Harness::new();
    h.authority.grant_refresh("rt", "NadeoServices");
    h.write_credentials(&json!({"NadeoCore": {"access_token": "old", "refresh_token": "rt",
                                               "expire_time": "2000-01-01T00:00:00"}, "Custom": {"kept": true}}));
    // Slow the token endpoint down so both threads are inside the refresh.
    *h.authority.delay.lock().unwrap() = std::time::Duration::from_millis(300);
    let clients = [h.client(&[]), h.client(&[])];
    let tokens: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = clients
            .iter()
            .map(|c| scope.spawn(move || c.access_token(CredentialKey::Core).unwrap()))
            .collect();
        handles.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert_eq!(
        tokens[0], tokens[1],
        "the second thread used the first one's token"
    );
    assert_eq!(h.fake.count(REFRESH), 1, "one refresh for two callers");
    let stored = h.read_credentials();
    assert!(h
        .authority
        .refresh_is_valid(stored["NadeoCore"]["refresh_token"].as_str().unwrap()));
    assert_eq!(
        stored["Custom"],
        json!({"kept": true}),
        "unknown keys survive"
    );
    assert!(h.leftover_tmp().is_empty());
}

#[test]
fn a_corrupt_file_is_an_error_and_stays_as_it_was() {
    let h = Harness::new();
    for content in ["{\"NadeoCore\": {\"access_token\": \"a\"", "[1, 2]"] {
        std::fs::write(h.credentials_path(), content).unwrap();
        let err = h
            .client(&[("NADEO_REFRESH_TOKEN", "boot")])
            .access_token(CredentialKey::Core)
            .unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(&h.credentials_path().display().to_string()),
            "{message}"
        );
        assert!(
            message.contains("NADEO_REFRESH_TOKEN"),
            "says how to re-bootstrap: {message}"
        );
        assert_eq!(
            std::fs::read_to_string(h.credentials_path()).unwrap(),
            content
        );
        assert_eq!(h.fake.count(REFRESH), 0);
    }
}

#[test]
fn core_recovers_with_a_new_bootstrap_token_or_asks_for_one() {
    let h = Harness::new();
    h.write_credentials(
        &json!({"NadeoCore": {"access_token": "a", "refresh_token": "dead-rt",
                                               "expire_time": "2000-01-01T00:00:00"}}),
    );
    let err = h
        .client(&[("NADEO_REFRESH_TOKEN", "dead-rt")])
        .access_token(CredentialKey::Core)
        .unwrap_err();
    assert!(matches!(err, NadeoError::Rebootstrap(_)), "{err}");
    assert!(err.to_string().contains("set NADEO_REFRESH_TOKEN"), "{err}");
    assert!(
        !err.to_string().contains("dead-rt"),
        "no token in messages: {err}"
    );
    assert_eq!(
        h.fake.count(REFRESH),
        1,
        "the same token is not tried twice"
    );

    h.authority.grant_refresh("fresh-rt", "NadeoServices");
    h.client(&[("NADEO_REFRESH_TOKEN", "fresh-rt")])
        .access_token(CredentialKey::Core)
        .unwrap();
    let calls = h.fake.requests_to(REFRESH);
    assert_eq!(calls.len(), 3);
    assert_eq!(
        calls[1].authorization.as_deref(),
        Some("nadeo_v1 t=dead-rt")
    );
    assert_eq!(
        calls[2].authorization.as_deref(),
        Some("nadeo_v1 t=fresh-rt")
    );
}

#[test]
fn the_service_account_login_is_the_last_resort() {
    let h = Harness::new();
    let access = jwt(unix_now() + 3600, "NadeoServices");
    h.fake.on(
        "POST",
        "/core/v2/authentication/token/basic",
        vec![Reply::ok(
            &json!({"accessToken": access, "refreshToken": "basic-rt"}),
        )],
    );
    let env = [
        ("NADEO_SERVICE_LOGIN", "bot@example.org"),
        ("NADEO_SERVICE_PASSWORD", "pw"),
    ];
    assert_eq!(
        h.client(&env).access_token(CredentialKey::Core).unwrap(),
        access
    );
    let login = &h.fake.requests_to("/core/v2/authentication/token/basic")[0];
    assert_eq!(
        login.authorization.as_deref(),
        Some("Basic Ym90QGV4YW1wbGUub3JnOnB3")
    );
    assert_eq!(
        serde_json::from_str::<Value>(&login.body).unwrap(),
        json!({"audience": "NadeoServices"})
    );
    assert_eq!(entry(&h, "NadeoCore", "refresh_token"), "basic-rt");
}

#[test]
fn oauth_refresh_sends_the_form_and_leaves_core_alone() {
    let h = Harness::new();
    let tokens = h.with_valid_tokens();
    let env = h.oauth_env();
    let token = h.client(&env).access_token(CredentialKey::Oauth).unwrap();
    let call = &h.fake.requests_to(OAUTH_TOKEN)[0];
    assert_eq!(call.authorization, None);
    assert_eq!(call.form("grant_type").as_deref(), Some("refresh_token"));
    assert_eq!(call.form("refresh_token").as_deref(), Some("oauth-boot"));
    assert_eq!(call.form("client_id").as_deref(), Some("client-id"));
    let stored = h.read_credentials();
    assert_eq!(stored["NadeoOauth"]["access_token"], json!(token));
    assert_eq!(stored["NadeoCore"], tokens["NadeoCore"], "Core untouched");

    let err = h
        .client(&[])
        .refresh(CredentialKey::Oauth, Some(&token))
        .unwrap_err();
    assert!(
        err.to_string().contains("CLIENT_ID and CLIENT_SECRET"),
        "{err}"
    );
}

#[test]
fn an_unreadable_jwt_expiry_falls_back_to_expires_in() {
    let h = Harness::new();
    h.fake.on(
        "POST",
        OAUTH_TOKEN,
        vec![Reply::ok(
            &json!({"access_token": "opaque-token", "refresh_token": "r2", "expires_in": 7200}),
        )],
    );
    let env = [
        ("CLIENT_ID", "c"),
        ("CLIENT_SECRET", "s"),
        ("UBISOFT_OAUTH_REFRESH_TOKEN", "r1"),
    ];
    h.client(&env).access_token(CredentialKey::Oauth).unwrap();
    let expire = entry(&h, "NadeoOauth", "expire_time");
    assert!(
        expire >= local_in(7190) && expire <= local_in(7201),
        "{expire}"
    );
}

#[test]
fn the_forced_core_refresh_runs_when_due() {
    let h = Harness::new();
    h.with_valid_tokens();
    let client = h.client(&[]);
    let interval = std::time::Duration::from_secs(42_800);
    assert!(
        client.refresh_core_if_older_than(interval).unwrap(),
        "never forced before"
    );
    assert!(
        !client.refresh_core_if_older_than(interval).unwrap(),
        "just done"
    );
    assert_eq!(h.fake.count(REFRESH), 1);
    assert!(!entry(&h, "NadeoCore", "last_forced_refresh").is_empty());
    assert!(client
        .refresh_core_if_older_than(std::time::Duration::ZERO)
        .unwrap());
    assert_eq!(h.fake.count(REFRESH), 2);
}

#[test]
fn repeated_403s_refresh_once_per_audience_then_report_missing_permission() {
    let h = Harness::new();
    h.with_valid_tokens();
    let forbidden = || vec![Reply::json(403, &json!({"message": "Forbidden"}))];
    h.fake.on("GET", "/meet/api/matches/1/teams", forbidden());
    h.fake.on("GET", "/core/zones", forbidden());
    let client = h.client(&[]);
    for _ in 0..3 {
        let err = client.match_teams(1).unwrap_err();
        assert!(matches!(err, NadeoError::Forbidden { .. }), "{err}");
        assert!(err.to_string().contains("permission"), "{err}");
        let err = client.zone_list().unwrap_err();
        assert!(matches!(err, NadeoError::Forbidden { .. }), "{err}");
    }
    assert_eq!(
        h.fake.count(REFRESH),
        2,
        "one refresh for Live, one for Core"
    );
    assert_eq!(
        h.fake.count("/meet/api/matches/1/teams"),
        4,
        "one retry, after the only refresh"
    );
    assert_eq!(h.fake.count("/core/zones"), 4);

    // Another run may try a refresh once more.
    assert!(matches!(
        h.client(&[]).match_teams(1),
        Err(NadeoError::Forbidden { .. })
    ));
    assert_eq!(h.fake.count(REFRESH), 3);
}

#[test]
fn a_403_cured_by_the_refresh_is_a_success() {
    let h = Harness::new();
    h.with_valid_tokens();
    h.fake.on(
        "GET",
        "/meet/api/matches/1/teams",
        vec![
            Reply::json(403, &json!({"message": "Forbidden"})),
            Reply::ok(&json!([])),
        ],
    );
    let client = h.client(&[]);
    assert!(client.match_teams(1).unwrap().is_empty());
    assert!(client.match_teams(1).unwrap().is_empty());
    assert_eq!(h.fake.count(REFRESH), 1);
}

#[test]
fn every_401_still_refreshes() {
    let h = Harness::new();
    h.with_valid_tokens();
    let scenario = crate::fake_nadeo::Scenario::default();
    scenario.install(&h.fake, Some(h.authority.clone()));
    let client = h.client(&[]);
    for round in 1..=2 {
        h.authority.revoke_access();
        assert!(client.match_teams(1).unwrap_err().is_not_found());
        assert_eq!(h.fake.count(REFRESH), round);
    }
}
