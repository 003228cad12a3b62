//! A Nadeo client wired to the fake API, with its own credentials folder.

use crate::common::scratch_dir;
use crate::fake_nadeo::{jwt, unix_now, FakeApi, TokenAuthority};
use mmstatus::nadeo::{NadeoClient, NadeoConfig};
use mmstatus::time::LocalZone;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

pub struct Harness {
    pub fake: FakeApi,
    pub authority: Arc<TokenAuthority>,
    pub dir: PathBuf,
}

pub fn paris() -> LocalZone {
    LocalZone::from_setting(Some("Europe/Paris")).unwrap()
}

/// Naive Paris time `seconds` from now, as the credentials file writes it.
pub fn local_in(seconds: i64) -> String {
    (paris().now() + chrono::Duration::seconds(seconds))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

impl Harness {
    pub fn new() -> Harness {
        let fake = FakeApi::start();
        let authority = TokenAuthority::new();
        authority.install(&fake);
        Harness {
            fake,
            authority,
            dir: scratch_dir(),
        }
    }

    pub fn credentials_path(&self) -> PathBuf {
        self.dir.join("nadeo_credentials.json")
    }

    pub fn config(&self, extra: &[(&str, &str)]) -> NadeoConfig {
        let mut env: HashMap<String, String> = self.fake.env().into_iter().collect();
        env.insert(
            "NADEO_CREDENTIALS_FILE".into(),
            self.credentials_path().display().to_string(),
        );
        env.insert("MMSTATUS_MAX_RPS".into(), "1000".into());
        env.insert("MMSTATUS_OAUTH_MAX_RPS".into(), "1000".into());
        env.insert("MMSTATUS_HTTP_TIMEOUT".into(), "5".into());
        for (k, v) in extra {
            env.insert(k.to_string(), v.to_string());
        }
        NadeoConfig::from_env(
            &move |name| env.get(name).cloned().filter(|v| !v.is_empty()),
            &self.dir,
        )
        .unwrap()
    }

    pub fn client(&self, extra: &[(&str, &str)]) -> NadeoClient {
        NadeoClient::new(self.config(extra), paris())
    }

    pub fn write_credentials(&self, value: &Value) {
        std::fs::write(
            self.credentials_path(),
            serde_json::to_string_pretty(value).unwrap(),
        )
        .unwrap();
    }

    pub fn read_credentials(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.credentials_path()).unwrap()).unwrap()
    }

    /// Valid Core and Live tokens (an hour left), known to the authority.
    pub fn with_valid_tokens(&self) -> Value {
        let mut entries = serde_json::Map::new();
        for (key, audience) in [
            ("NadeoCore", "NadeoServices"),
            ("NadeoLive", "NadeoLiveServices"),
        ] {
            let access = jwt(unix_now() + 3600, audience);
            let refresh = format!("seed-rt-{audience}");
            self.authority.grant_access(&access, audience);
            self.authority.grant_refresh(&refresh, audience);
            entries.insert(
                key.into(),
                json!({"access_token": access, "refresh_token": refresh, "expire_time": local_in(3600)}),
            );
        }
        let value = Value::Object(entries);
        self.write_credentials(&value);
        value
    }

    /// Settings for the public API: the client the fake accepts and a
    /// bootstrap refresh token it knows.
    pub fn oauth_env(&self) -> [(&'static str, &'static str); 3] {
        self.authority.grant_refresh("oauth-boot", "OAuth");
        [
            ("CLIENT_ID", "client-id"),
            ("CLIENT_SECRET", "client-secret"),
            ("UBISOFT_OAUTH_REFRESH_TOKEN", "oauth-boot"),
        ]
    }

    /// Leftover `.tmp` files in the credentials folder.
    pub fn leftover_tmp(&self) -> Vec<PathBuf> {
        std::fs::read_dir(&self.dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "tmp"))
            .collect()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
