//! Numbers from the server (token lifetimes, JWT `exp`, Retry-After) never
//! panic, whatever they are, and a refresh token the server rotated is
//! always on disk afterwards.

use crate::fake_nadeo::{AnswerShape, Reply};
use crate::nadeo_harness::{local_in, Harness};
use mmstatus::nadeo::{CredentialKey, NadeoError};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const REFRESH: &str = "/core/v2/authentication/token/refresh";
const EXCHANGE: &str = "/core/v2/authentication/token/nadeoservices";
/// The longest token lifetime the client believes (24 h).
const MAX_LIFETIME: i64 = 24 * 3600;

fn opaque_expiring_in(expires_in: Value) -> AnswerShape {
    let mut shape = AnswerShape {
        opaque: true,
        ..AnswerShape::default()
    };
    shape.extra.insert("expires_in".into(), expires_in);
    shape
}

fn jwt_expiring_at(exp: Value) -> AnswerShape {
    AnswerShape {
        exp: Some(exp),
        ..AnswerShape::default()
    }
}

/// Token answers whose lifetime is absurd: huge, negative, fractional, not
/// a number; in `expires_in` or in the JWT's `exp`.
fn hostile_shapes() -> Vec<(String, AnswerShape, bool)> {
    let mut shapes = Vec::new();
    for (value, expired) in [
        (json!(1e13), false),
        (json!(-5), true),
        (json!(1e300), false),
        (json!(-1e300), true),
        (json!(i64::MAX), false),
        (json!(i64::MIN), true),
        (json!(u64::MAX), false),
        (json!(0.5), true),
        (json!("3600"), false),
        (json!(null), false),
    ] {
        shapes.push((
            format!("expires_in {value}"),
            opaque_expiring_in(value),
            expired,
        ));
    }
    for (value, expired) in [
        (json!(10_000_000_000_000i64), false),
        (json!(8_000_000_000_000i64), false),
        (json!(253_402_300_800i64), false),
        (json!(i64::MAX), false),
        (json!(1e300), false),
        (json!(-1), true),
        (json!(-1_000_000_000_000_000i64), true),
        (json!(i64::MIN), true),
    ] {
        shapes.push((format!("JWT exp {value}"), jwt_expiring_at(value), expired));
    }
    let mut both = jwt_expiring_at(json!(10_000_000_000_000i64));
    both.extra.insert("expires_in".into(), json!(1e13));
    shapes.push(("JWT exp and expires_in huge".into(), both, false));
    shapes
}

fn stored(h: &Harness, key: &str, field: &str) -> String {
    h.read_credentials()[key][field]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The stored expiry: within 24 h, and already past for a lifetime that
/// was negative or under a second.
#[track_caller]
fn assert_sane_expiry(h: &Harness, key: &str, expired: bool, case: &str) {
    let expire = stored(h, key, "expire_time");
    assert!(
        expire.len() == 19 && expire <= local_in(MAX_LIFETIME + 5),
        "{case}: {expire}"
    );
    if expired {
        assert!(expire <= local_in(1), "{case}: {expire} is not expired");
    }
}

#[test]
fn absurd_core_token_lifetimes_are_clamped_and_the_rotated_token_kept() {
    for (case, shape, expired) in hostile_shapes() {
        let h = Harness::new();
        h.authority.shape("NadeoServices", shape);
        h.authority.grant_refresh("rt", "NadeoServices");
        h.write_credentials(
            &json!({"NadeoCore": {"access_token": "old", "refresh_token": "rt",
                                                   "expire_time": "2000-01-01T00:00:00"}}),
        );
        let token = h.client(&[]).access_token(CredentialKey::Core);
        let token = token.unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(stored(&h, "NadeoCore", "access_token"), token, "{case}");
        assert!(
            h.authority
                .refresh_is_valid(&stored(&h, "NadeoCore", "refresh_token")),
            "{case}: the rotated refresh token is on disk"
        );
        assert_sane_expiry(&h, "NadeoCore", expired, &case);
    }
}

#[test]
fn absurd_oauth_token_lifetimes_are_clamped() {
    for (case, shape, expired) in hostile_shapes() {
        let h = Harness::new();
        h.authority.shape("OAuth", shape);
        let env = h.oauth_env();
        h.client(&env)
            .access_token(CredentialKey::Oauth)
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert!(
            h.authority
                .refresh_is_valid(&stored(&h, "NadeoOauth", "refresh_token")),
            "{case}"
        );
        assert_sane_expiry(&h, "NadeoOauth", expired, &case);
    }
}

/// The Live path spends the Core refresh token first: the new Core tokens
/// are written before the exchange is even sent, so nothing the exchange
/// answers can lose them.
#[test]
fn core_tokens_are_on_disk_before_the_exchange_is_sent() {
    let h = Harness::new();
    h.authority.grant_refresh("rt", "NadeoServices");
    h.authority
        .shape("NadeoLiveServices", opaque_expiring_in(json!(1e13)));
    h.write_credentials(
        &json!({"NadeoCore": {"access_token": "old", "refresh_token": "rt",
                                               "expire_time": "2000-01-01T00:00:00"}}),
    );
    let on_disk_at_exchange = Arc::new(Mutex::new(Vec::new()));
    let (authority, path, seen) = (
        h.authority.clone(),
        h.credentials_path(),
        on_disk_at_exchange.clone(),
    );
    h.fake.on_fn("POST", EXCHANGE, move |r| {
        let file: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_default())
            .unwrap_or_default();
        seen.lock().unwrap().push(
            file["NadeoCore"]["refresh_token"]
                .as_str()
                .map(str::to_string),
        );
        authority.answer_exchange(r)
    });
    let live = h.client(&[]).access_token(CredentialKey::Live).unwrap();
    let seen = on_disk_at_exchange.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    let core_refresh = seen[0].clone().expect("Core was written before E2");
    assert!(h.authority.refresh_is_valid(&core_refresh));
    assert_eq!(stored(&h, "NadeoLive", "access_token"), live);
    assert_sane_expiry(&h, "NadeoLive", false, "E2 expires_in 1e13");
}

/// A Live exchange that fails leaves the Core tokens it needed on disk.
#[test]
fn a_failed_exchange_keeps_the_new_core_tokens() {
    let h = Harness::new();
    h.authority.grant_refresh("rt", "NadeoServices");
    h.write_credentials(
        &json!({"NadeoCore": {"access_token": "old", "refresh_token": "rt",
                                               "expire_time": "2000-01-01T00:00:00"}}),
    );
    h.fake.on(
        "POST",
        EXCHANGE,
        vec![Reply::new(
            200,
            r#"{"accessToken": 12, "refreshToken": []}"#,
        )],
    );
    let err = h.client(&[]).access_token(CredentialKey::Live).unwrap_err();
    assert!(!err.to_string().contains("rt-"), "no token in {err}");
    assert!(h
        .authority
        .refresh_is_valid(&stored(&h, "NadeoCore", "refresh_token")));
}

#[test]
fn an_absurd_retry_after_is_a_transient_error_without_waiting() {
    for value in ["1e20", "18446744073709551616.5", "1.8e19", "1e308"] {
        let h = Harness::new();
        h.with_valid_tokens();
        h.fake.on(
            "GET",
            "/meet/api/matches/1/teams",
            vec![Reply::json(429, &json!({})).header("Retry-After", value)],
        );
        match h.client(&[]).match_teams(1) {
            Err(NadeoError::Transient { retry_after, .. }) => {
                let wait = retry_after.unwrap_or_else(|| panic!("{value}: kept"));
                assert!(
                    wait > Duration::from_secs(60) && wait <= Duration::from_secs(86_400),
                    "{value}: {wait:?}"
                );
            }
            other => panic!("{value}: {other:?}"),
        }
        assert_eq!(h.fake.count("/meet/api/matches/1/teams"), 1, "{value}");
    }
}

#[test]
fn an_absurd_retry_after_from_a_token_endpoint_spends_nothing() {
    let h = Harness::new();
    h.authority.grant_refresh("rt", "NadeoServices");
    h.write_credentials(
        &json!({"NadeoCore": {"access_token": "old", "refresh_token": "rt",
                                               "expire_time": "2000-01-01T00:00:00"}}),
    );
    h.fake.on(
        "POST",
        REFRESH,
        vec![Reply::json(429, &json!({})).header("Retry-After", "1e20")],
    );
    let err = h.client(&[]).access_token(CredentialKey::Core).unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert_eq!(stored(&h, "NadeoCore", "refresh_token"), "rt");
    assert_eq!(h.fake.count(REFRESH), 1, "not retried");
}
