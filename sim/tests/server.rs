//! The server core: replies as scripted, over one kept connection.

use mmstatus_sim::{FakeApi, Reply};
use serde_json::{json, Value};

#[test]
fn replies_keep_the_connection_and_their_headers() {
    let fake = FakeApi::start();
    let body = json!({"text": "x".repeat(3000)});
    fake.on(
        "GET",
        "/big",
        vec![Reply::json(429, &body).header("Retry-After", "2")],
    );
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    for _ in 0..2 {
        let mut response = agent.get(&format!("{}/big", fake.base())).call().unwrap();
        assert_eq!(response.status().as_u16(), 429);
        assert_eq!(response.headers()["retry-after"], "2");
        assert_eq!(response.headers()["content-type"], "application/json");
        let text = response.body_mut().read_to_string().unwrap();
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), body);
    }
    let requests = fake.requests_to("/big");
    assert_eq!(requests.len(), 2);
    assert!(requests[0].peer.is_some());
    assert_eq!(requests[0].peer, requests[1].peer, "one connection, reused");
}

#[test]
fn a_faulted_token_call_spends_no_refresh_token() {
    use mmstatus_sim::{Faults, TokenAuthority};
    let fake = FakeApi::start();
    let authority = TokenAuthority::new();
    authority.install(&fake);
    authority.grant_refresh("boot", "NadeoServices");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let refresh = || {
        agent
            .post(&format!(
                "{}/core/v2/authentication/token/refresh",
                fake.base()
            ))
            .header("Authorization", "nadeo_v1 t=boot")
            .send_empty()
            .unwrap()
            .status()
            .as_u16()
    };
    let mut faults = Faults::new(0);
    faults.rate_5xx = 1.0;
    fake.inject(faults);
    assert_eq!(refresh(), 503);
    assert!(authority.refresh_is_valid("boot"));
    fake.inject(Faults::new(0));
    assert_eq!(refresh(), 200);
    assert_eq!(
        fake.fault_counts().server_errors,
        0,
        "counts restart with new faults"
    );
}
