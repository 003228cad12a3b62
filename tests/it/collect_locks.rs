//! Locks across runs and jobs: a run gives its run lock back before it exits,
//! and a job whose transaction loses a row-lock conflict to another writer
//! (collection.md §1.5) tries it again instead of failing the unit.

use crate::collector::Collector;
use crate::relay::Relay;
use std::time::Duration;

/// A run that went through and did its work (not one that found the lock
/// still taken and did nothing).
#[track_caller]
fn assert_worked(run: &crate::common::Run) {
    run.assert_ok();
    assert!(
        !run.stderr.contains("previous run still active"),
        "the lock of the run before was still held: {run:#?}"
    );
}

#[test]
fn a_run_gives_its_lock_back_before_it_exits() {
    let c = Collector::new(false);
    let oauth = c.api.oauth_env();
    // A server that notices closed sessions late: the lock of a run that
    // only closed its connection would outlive the run by seconds.
    let relay = Relay::to_test_server("127.0.0.1:0");
    relay.delay_quits(Duration::from_secs(5));
    let via = c.url_via(&relay);
    for args in [
        &["fetch", "--once", "--jobs", "watchdog"][..],
        &["resolve-names"][..],
    ] {
        let mut env = oauth.to_vec();
        env.push(("DATABASE_URL", via.as_str()));
        assert_worked(&c.run(args, &env));
        // At once, straight to the server.
        assert_worked(&c.run(args, &oauth));
    }
}
