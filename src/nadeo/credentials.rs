//! The credentials file shared with the reference (`nadeo_credentials.json`):
//! one JSON object with a `NadeoCore`, `NadeoLive` and `NadeoOauth` entry, each
//! `{access_token, refresh_token, expire_time}` (naive local ISO time).
//!
//! Protocol, the reference's: readers take a shared `flock` on `<file>.lock`;
//! writers take an exclusive one, re-read, change one entry, write
//! `<file>.tmp` and rename it over the file. mmstatus also holds the
//! exclusive lock across each token call, because refresh tokens rotate: two
//! runs refreshing at once would otherwise spend the same token (see
//! `auth.rs`). Unknown keys and fields are kept. A rewrite keeps the file's
//! mode and owner; a new file is private (0600).

use crate::nadeo::error::{NadeoError, NadeoResult};
use crate::time::LocalZone;
use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};
use serde_json::{Map, Value};
use std::fs::{File, Metadata, OpenOptions, Permissions};
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

const EXPIRE_FORMAT: &str = "%Y-%m-%dT%H:%M:%S";

/// The three credential sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CredentialKey {
    Core,
    Live,
    Oauth,
}

impl CredentialKey {
    pub fn name(self) -> &'static str {
        match self {
            CredentialKey::Core => "NadeoCore",
            CredentialKey::Live => "NadeoLive",
            CredentialKey::Oauth => "NadeoOauth",
        }
    }
}

/// One entry of the file. Holds secrets: `Debug` shows none of them.
#[derive(Clone, Default, PartialEq)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: String,
    /// `None` when missing or unreadable: treated as expired.
    pub expire_time: Option<NaiveDateTime>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field(
                "access_token",
                &(!self.access_token.is_empty()).then_some("<set>"),
            )
            .field(
                "refresh_token",
                &(!self.refresh_token.is_empty()).then_some("<set>"),
            )
            .field("expire_time", &self.expire_time)
            .finish()
    }
}

/// The parsed file.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    entries: Map<String, Value>,
}

impl Document {
    /// The entry for `key`; absent fields read as empty.
    pub fn tokens(&self, key: CredentialKey, zone: &LocalZone) -> TokenSet {
        let field = |name: &str| {
            self.entries
                .get(key.name())
                .and_then(|e| e.get(name))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let expire_text = field("expire_time");
        let expire_time = parse_expire_time(&expire_text, zone);
        if expire_time.is_none() && !expire_text.is_empty() {
            log::warn!(
                "{}: cannot read expire_time {expire_text:?}; treating the token as expired",
                key.name()
            );
        }
        TokenSet {
            access_token: field("access_token"),
            refresh_token: field("refresh_token"),
            expire_time,
        }
    }

    /// Replaces the three token fields of `key`, keeping any other field.
    pub fn set_tokens(&mut self, key: CredentialKey, tokens: &TokenSet) {
        let entry = self.entry_mut(key);
        entry.insert("access_token".into(), tokens.access_token.clone().into());
        entry.insert("refresh_token".into(), tokens.refresh_token.clone().into());
        let expire = tokens
            .expire_time
            .map(|t| t.format(EXPIRE_FORMAT).to_string())
            .unwrap_or_default();
        entry.insert("expire_time".into(), expire.into());
    }

    /// An extra text field of an entry (the reference ignores unknown fields).
    pub fn extra(&self, key: CredentialKey, field: &str) -> Option<String> {
        self.entries
            .get(key.name())?
            .get(field)?
            .as_str()
            .map(str::to_string)
    }

    pub fn set_extra(&mut self, key: CredentialKey, field: &str, value: String) {
        self.entry_mut(key).insert(field.into(), value.into());
    }

    fn entry_mut(&mut self, key: CredentialKey) -> &mut Map<String, Value> {
        let entry = self
            .entries
            .entry(key.name())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        entry.as_object_mut().expect("made an object above")
    }
}

/// Reads an `expire_time`: naive ISO (local time in `zone`), with or without
/// fractional seconds, or ISO with an offset (converted to `zone`).
pub fn parse_expire_time(text: &str, zone: &LocalZone) -> Option<NaiveDateTime> {
    let text = text.trim();
    if let Ok(naive) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(naive);
    }
    DateTime::<FixedOffset>::parse_from_rfc3339(text)
        .ok()
        .map(|t| zone.from_utc(t.with_timezone(&Utc)))
}

/// The credentials file and its lock file.
#[derive(Debug, Clone)]
pub struct CredentialFile {
    path: PathBuf,
}

/// The exclusive lock, held until dropped; reads and writes the file.
pub struct ExclusiveLock<'a> {
    file: &'a CredentialFile,
    _lock: File,
}

impl CredentialFile {
    pub fn new(path: impl Into<PathBuf>) -> CredentialFile {
        CredentialFile { path: path.into() }
    }

    fn sibling(&self, suffix: &str) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    }

    /// The folder of the file ("." for a bare file name).
    fn folder(&self) -> &Path {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    /// Opens `<file>.lock` for writing, creating it if needed. A lock file
    /// created next to an existing credentials file takes its owner, and is
    /// writable by whoever may read that file: the reference's readers open
    /// it for writing to lock it.
    fn open_lock_file(&self) -> NadeoResult<File> {
        std::fs::create_dir_all(self.folder())
            .map_err(|e| self.io_error("create the folder of", e))?;
        let path = self.sibling(".lock");
        let open = |create_new: bool| {
            OpenOptions::new()
                .create_new(create_new)
                .create(!create_new)
                .truncate(false)
                .write(true)
                .mode(0o600)
                .open(&path)
        };
        match open(true) {
            Ok(file) => {
                if let Ok(credentials) = std::fs::metadata(&self.path) {
                    let readable = credentials.mode() & 0o444;
                    let mode = 0o600 | readable | (readable >> 1);
                    self.take_over(&file, &credentials, mode, "lock file");
                }
                Ok(file)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => open(false),
            Err(e) => Err(e),
        }
        .map_err(|e| self.io_error("open the lock file of", e))
    }

    /// Gives a file this process just created the owner of `like` and
    /// `mode`. Failing to is not an error (the tokens must still be
    /// written), only worth a warning.
    fn take_over(&self, file: &File, like: &Metadata, mode: u32, what: &str) {
        let created = file.metadata().ok();
        if created.is_some_and(|c| c.uid() != like.uid() || c.gid() != like.gid()) {
            let owned = std::os::unix::fs::fchown(file, Some(like.uid()), Some(like.gid()))
                .or_else(|_| std::os::unix::fs::fchown(file, None, Some(like.gid())));
            if let Err(e) = owned {
                log::warn!(
                    "cannot give the {what} of {} its owner {}:{} back: {e}",
                    self.path.display(),
                    like.uid(),
                    like.gid()
                );
            }
        }
        if let Err(e) = file.set_permissions(Permissions::from_mode(mode)) {
            log::warn!(
                "cannot set the mode of the {what} of {} to {mode:o}: {e}",
                self.path.display()
            );
        }
    }

    /// Reads the file under a shared lock.
    pub fn read(&self) -> NadeoResult<Document> {
        let lock = self.open_lock_file()?;
        lock.lock_shared().map_err(|e| self.io_error("lock", e))?;
        self.read_unlocked()
    }

    /// Takes the exclusive lock (waiting for other holders).
    pub fn lock(&self) -> NadeoResult<ExclusiveLock<'_>> {
        let lock = self.open_lock_file()?;
        lock.lock().map_err(|e| self.io_error("lock", e))?;
        Ok(ExclusiveLock {
            file: self,
            _lock: lock,
        })
    }

    fn read_unlocked(&self) -> NadeoResult<Document> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Document::default()),
            Err(e) => return Err(self.io_error("read", e)),
        };
        if text.trim().is_empty() {
            return Ok(Document::default());
        }
        match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(entries)) => Ok(Document { entries }),
            Ok(_) => Err(self.corrupt("it is not a JSON object")),
            Err(e) => Err(self.corrupt(&format!("it is not valid JSON ({e})"))),
        }
    }

    /// Writes `<file>.tmp` (0600, or the existing file's mode and owner),
    /// renames it over the file, then syncs the folder so that after a crash
    /// the file cannot come back with a refresh token already spent.
    fn write_unlocked(&self, document: &Document) -> NadeoResult<()> {
        let tmp = self.sibling(".tmp");
        let _ = std::fs::remove_file(&tmp);
        let mut text = serde_json::to_string_pretty(&Value::Object(document.entries.clone()))
            .expect("a JSON map serialises");
        text.push('\n');
        let existing = std::fs::metadata(&self.path).ok();
        let write = || -> std::io::Result<()> {
            let mut file = OpenOptions::new()
                .create_new(true)
                .write(true)
                .mode(0o600)
                .open(&tmp)?;
            if let Some(existing) = &existing {
                self.take_over(&file, existing, existing.mode() & 0o777, "new copy");
            }
            file.write_all(text.as_bytes())?;
            file.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            self.io_error("write", e)
        })?;
        if let Err(e) = File::open(self.folder()).and_then(|folder| folder.sync_all()) {
            log::warn!(
                "wrote {} but cannot sync its folder: {e}",
                self.path.display()
            );
        }
        Ok(())
    }

    fn io_error(&self, action: &str, error: std::io::Error) -> NadeoError {
        NadeoError::Credentials(format!(
            "cannot {action} the credentials file {}: {error}",
            self.path.display()
        ))
    }

    fn corrupt(&self, what: &str) -> NadeoError {
        NadeoError::Credentials(format!(
            "the credentials file {} cannot be used: {what}; it was left unchanged. Repair it, or move it \
             away and bootstrap again with NADEO_REFRESH_TOKEN (or NADEO_SERVICE_LOGIN/NADEO_SERVICE_PASSWORD) \
             and UBISOFT_OAUTH_REFRESH_TOKEN",
            self.path.display()
        ))
    }
}

impl ExclusiveLock<'_> {
    pub fn read(&self) -> NadeoResult<Document> {
        self.file.read_unlocked()
    }

    /// Replaces the file atomically (temporary file, then rename), mode 0600.
    pub fn write(&self, document: &Document) -> NadeoResult<()> {
        self.file.write_unlocked(document)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> LocalZone {
        LocalZone::from_setting(Some("Europe/Paris")).unwrap()
    }

    fn at(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn expire_time_forms() {
        let zone = paris();
        assert_eq!(
            parse_expire_time("2026-05-08T10:22:38", &zone),
            Some(at("2026-05-08 10:22:38"))
        );
        assert_eq!(
            parse_expire_time("2026-05-08T10:22:38.123456", &zone)
                .map(|t| t.format(EXPIRE_FORMAT).to_string()),
            Some("2026-05-08T10:22:38".into())
        );
        assert_eq!(
            parse_expire_time("2026-05-08T08:22:38+00:00", &zone),
            Some(at("2026-05-08 10:22:38"))
        );
        assert_eq!(
            parse_expire_time("2026-05-08T08:22:38Z", &zone),
            Some(at("2026-05-08 10:22:38"))
        );
        assert_eq!(parse_expire_time("", &zone), None);
        assert_eq!(parse_expire_time("soon", &zone), None);
    }

    #[test]
    fn entries_keep_unknown_fields_and_debug_hides_tokens() {
        let mut doc = Document {
            entries: serde_json::from_str(
                r#"{"NadeoCore": {"access_token": "a", "refresh_token": "r", "expire_time": "2026-01-01T00:00:00",
                    "note": "kept"}, "Other": 1}"#,
            )
            .unwrap(),
        };
        let zone = paris();
        let mut tokens = doc.tokens(CredentialKey::Core, &zone);
        assert_eq!(tokens.refresh_token, "r");
        assert!(!format!("{tokens:?}").contains("\"r\""));
        tokens.access_token = "a2".into();
        doc.set_tokens(CredentialKey::Core, &tokens);
        assert_eq!(
            doc.extra(CredentialKey::Core, "note").as_deref(),
            Some("kept")
        );
        assert_eq!(doc.entries["Other"], 1);
        assert_eq!(doc.tokens(CredentialKey::Core, &zone).access_token, "a2");
        assert_eq!(doc.tokens(CredentialKey::Live, &zone), TokenSet::default());
    }
}
