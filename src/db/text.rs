//! Text cut to what a VARCHAR column holds, counted in characters as MySQL
//! counts them, so that strict SQL mode cannot refuse a whole write.

/// `text` cut to at most `max` characters.
pub fn truncate_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_by_characters() {
        assert_eq!(truncate_chars("abc", 5), "abc");
        assert_eq!(truncate_chars("ééé", 2), "éé");
        assert_eq!(truncate_chars("", 2), "");
        assert_eq!(truncate_chars(&"🏁".repeat(200), 128).chars().count(), 128);
        assert_eq!(truncate_chars(&"x".repeat(64), 64), "x".repeat(64));
    }
}
