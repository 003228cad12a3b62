//! Nadeo identifiers. The API writes UUIDs with dashes; the database stores
//! them as 32 lowercase hex characters without dashes, as the reference does.

/// Turns a dashed or undashed UUID into the stored form; `None` if it is not one.
pub fn normalize_uuid(text: &str) -> Option<String> {
    let text = text.trim();
    let hex: String = match text.len() {
        32 => text.to_string(),
        36 => {
            let dashes_in_place = text
                .char_indices()
                .all(|(i, c)| matches!(i, 8 | 13 | 18 | 23) == (c == '-'));
            if !dashes_in_place {
                return None;
            }
            text.chars().filter(|c| *c != '-').collect()
        }
        _ => return None,
    };
    hex.chars()
        .all(|c| c.is_ascii_hexdigit())
        .then(|| hex.to_ascii_lowercase())
}

/// A Nadeo account (or zone) id, held in the stored form. The API's dashed
/// form is produced on demand.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

impl AccountId {
    /// Accepts the dashed or the stored form.
    pub fn parse(text: &str) -> Option<AccountId> {
        normalize_uuid(text).map(AccountId)
    }

    /// 32 lowercase hex characters, as the database stores it.
    pub fn stored(&self) -> &str {
        &self.0
    }

    /// 8-4-4-4-12 with dashes, as the API writes it.
    pub fn dashed(&self) -> String {
        let s = &self.0;
        format!(
            "{}-{}-{}-{}-{}",
            &s[..8],
            &s[8..12],
            &s[12..16],
            &s[16..20],
            &s[20..]
        )
    }
}

impl std::fmt::Debug for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AccountId({})", self.0)
    }
}

impl std::fmt::Display for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for AccountId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        AccountId::parse(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not a UUID")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_convert_both_ways() {
        let id = AccountId::parse("387DAF87-6d15-44d1-a59f-d59eb4873516").unwrap();
        assert_eq!(id.stored(), "387daf876d1544d1a59fd59eb4873516");
        assert_eq!(id.dashed(), "387daf87-6d15-44d1-a59f-d59eb4873516");
        assert_eq!(AccountId::parse(id.stored()), Some(id));
        let parsed: AccountId =
            serde_json::from_str("\"387daf87-6d15-44d1-a59f-d59eb4873516\"").unwrap();
        assert_eq!(parsed.stored(), "387daf876d1544d1a59fd59eb4873516");
        assert!(serde_json::from_str::<AccountId>("\"nope\"").is_err());
    }

    #[test]
    fn dashed_and_undashed_give_the_stored_form() {
        let stored = "301e1b69f5a54c07a6b0f0e4fdd5b3cf";
        assert_eq!(
            normalize_uuid("301E1B69-F5A5-4C07-A6B0-F0E4FDD5B3CF").as_deref(),
            Some(stored)
        );
        assert_eq!(normalize_uuid(stored).as_deref(), Some(stored));
    }

    #[test]
    fn rejects_what_is_not_a_uuid() {
        for bad in [
            "",
            "301e1b69f5a54c07a6b0f0e4fdd5b3c",
            "301e1b69-f5a54-c07a6b0-f0e4fdd5b3cf",
            "zz1e1b69f5a54c07a6b0f0e4fdd5b3cf",
            "301e1b69-f5a5-4c07-a6b0-f0e4fdd5b3cf0",
        ] {
            assert_eq!(normalize_uuid(bad), None, "{bad}");
        }
    }
}
