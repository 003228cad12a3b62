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

#[cfg(test)]
mod tests {
    use super::*;

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
