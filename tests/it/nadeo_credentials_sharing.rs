//! Sharing the credentials file with the reference's web server: the
//! exclusive lock is held for one short token call at a time, never across
//! a wait, and a rewrite keeps the file's mode and owner.

use crate::fake_nadeo::{Reply, Scenario};
use crate::nadeo_harness::Harness;
use mmstatus::nadeo::CredentialKey;
use serde_json::json;
use std::fs::File;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const REFRESH: &str = "/core/v2/authentication/token/refresh";
const EXCHANGE: &str = "/core/v2/authentication/token/nadeoservices";

fn lock_path(h: &Harness) -> PathBuf {
    let mut name = h.credentials_path().into_os_string();
    name.push(".lock");
    name.into()
}

fn expired_core(h: &Harness) {
    h.authority.grant_refresh("rt", "NadeoServices");
    h.write_credentials(
        &json!({"NadeoCore": {"access_token": "old", "refresh_token": "rt",
                                               "expire_time": "2000-01-01T00:00:00"}}),
    );
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn running_as_root() -> bool {
    let probe = crate::common::scratch_dir();
    let uid = std::fs::metadata(&probe).unwrap().uid();
    let _ = std::fs::remove_dir_all(probe);
    uid == 0
}

#[test]
fn a_rewrite_keeps_the_mode_and_owner_of_an_existing_file() {
    let h = Harness::new();
    expired_core(&h);
    let path = h.credentials_path();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let owner = if running_as_root() {
        std::os::unix::fs::chown(&path, Some(4242), Some(4343)).unwrap();
        (4242, 4343)
    } else {
        let meta = std::fs::metadata(&path).unwrap();
        (meta.uid(), meta.gid())
    };
    h.client(&[]).access_token(CredentialKey::Core).unwrap();
    assert_ne!(h.read_credentials()["NadeoCore"]["refresh_token"], "rt");
    assert_eq!(mode(&path), 0o640);
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!((meta.uid(), meta.gid()), owner);
    // The lock file it created is the file's, and readers of the file can
    // open it for writing (as the reference does to lock it).
    let lock = std::fs::metadata(lock_path(&h)).unwrap();
    assert_eq!((lock.uid(), lock.gid()), owner);
    assert_eq!(lock.permissions().mode() & 0o777, 0o660);
    assert!(h.leftover_tmp().is_empty());
}

#[test]
fn a_new_file_and_its_lock_are_private() {
    let h = Harness::new();
    h.authority.grant_refresh("boot-rt", "NadeoServices");
    h.client(&[("NADEO_REFRESH_TOKEN", "boot-rt")])
        .access_token(CredentialKey::Core)
        .unwrap();
    assert_eq!(mode(&h.credentials_path()), 0o600);
    assert_eq!(mode(&lock_path(&h)), 0o600);
}

/// A 429 from a token endpoint: the client waits for Retry-After with the
/// lock released (a reader can take it meanwhile), then tries once more.
#[test]
fn the_lock_is_free_while_a_token_endpoint_asks_to_wait() {
    let h = Harness::new();
    expired_core(&h);
    let answered = Arc::new(AtomicUsize::new(0));
    let (authority, count) = (h.authority.clone(), answered.clone());
    h.fake.on_fn("POST", REFRESH, move |r| {
        if count.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::json(429, &json!({})).header("Retry-After", "1.5")
        } else {
            authority.answer_refresh(r)
        }
    });
    let client = h.client(&[]);
    let calls_when_locked = std::thread::scope(|scope| {
        let refresh = scope.spawn(|| client.access_token(CredentialKey::Core));
        while answered.load(Ordering::SeqCst) == 0 {
            std::thread::sleep(Duration::from_millis(5));
        }
        // Blocks while the client holds the exclusive lock.
        let lock = File::open(lock_path(&h)).unwrap();
        lock.lock_shared().unwrap();
        let calls = answered.load(Ordering::SeqCst);
        drop(lock);
        refresh.join().unwrap().unwrap();
        calls
    });
    assert_eq!(
        calls_when_locked, 1,
        "a reader got the lock between the 429 and the retry"
    );
    assert_eq!(h.fake.count(REFRESH), 2);
    assert!(h.authority.refresh_is_valid(
        h.read_credentials()["NadeoCore"]["refresh_token"]
            .as_str()
            .unwrap()
    ));
}

/// Waiting for the rate limiter happens before the lock is taken.
#[test]
fn the_lock_is_free_while_the_rate_limiter_holds_a_refresh_back() {
    let h = Harness::new();
    let tokens = h.with_valid_tokens();
    Scenario::default().install(&h.fake, None);
    let client = h.client(&[("MMSTATUS_MAX_RPS", "0.5")]);
    client.match_teams(1).unwrap_err(); // takes the slot: the next is 2 s away
    let core = tokens["NadeoCore"]["access_token"].as_str().unwrap();
    let free_while_waiting = std::thread::scope(|scope| {
        let refresh = scope.spawn(|| client.refresh(CredentialKey::Core, Some(core)));
        std::thread::sleep(Duration::from_millis(500));
        let lock = File::open(lock_path(&h)).unwrap();
        let free = lock.try_lock_shared().is_ok();
        drop(lock);
        refresh.join().unwrap().unwrap();
        free
    });
    assert!(free_while_waiting);
    assert_eq!(h.fake.count(REFRESH), 1);
}

/// Four runs needing Live at once, with only an expired Core: one Core
/// refresh and one exchange in all, every run gets the same Live token.
#[test]
fn concurrent_runs_spend_each_token_once_across_the_live_path() {
    let h = Harness::new();
    expired_core(&h);
    *h.authority.delay.lock().unwrap() = Duration::from_millis(200);
    let clients: Vec<_> = (0..4).map(|_| h.client(&[])).collect();
    let tokens: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = clients
            .iter()
            .map(|c| scope.spawn(move || c.access_token(CredentialKey::Live).unwrap()))
            .collect();
        handles.into_iter().map(|t| t.join().unwrap()).collect()
    });
    assert!(tokens.iter().all(|t| *t == tokens[0]), "{tokens:?}");
    assert_eq!(h.fake.count(REFRESH), 1);
    assert_eq!(h.fake.count(EXCHANGE), 1);
    let stored = h.read_credentials();
    for key in ["NadeoCore", "NadeoLive"] {
        assert!(h
            .authority
            .refresh_is_valid(stored[key]["refresh_token"].as_str().unwrap()));
    }
}
