//! Reading the expiry (`exp`) of a JWT access token without verifying it.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

/// Accepts base64url and standard base64, padded or not: Nadeo's tokens are
/// base64url without padding; test tokens use the standard alphabet.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The `exp` claim (seconds since the epoch) of a JWT, if it can be read.
pub fn expiry(token: &str) -> Option<i64> {
    let payload = token.split('.').nth(1)?;
    let url_safe: String = payload
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            other => other,
        })
        .collect();
    let bytes = LENIENT.decode(url_safe.trim_end_matches('=')).ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?;
    exp.as_i64().or_else(|| exp.as_f64().map(|f| f as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(payload: &str, engine: &impl Engine) -> String {
        format!("eyJhbGciOiJIUzI1NiJ9.{}.sig", engine.encode(payload))
    }

    #[test]
    fn reads_exp_from_every_encoding() {
        use base64::engine::general_purpose::{
            STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD,
        };
        // Bytes chosen so the encodings contain '+' '/' or '-' '_' and need padding.
        let payload = r#"{"aun":"bot>>>?~","exp":1767229200}"#;
        assert_eq!(expiry(&token(payload, &URL_SAFE_NO_PAD)), Some(1767229200));
        assert_eq!(expiry(&token(payload, &URL_SAFE)), Some(1767229200));
        assert_eq!(expiry(&token(payload, &STANDARD)), Some(1767229200));
        assert_eq!(expiry(&token(payload, &STANDARD_NO_PAD)), Some(1767229200));
        let encoded = URL_SAFE_NO_PAD.encode(payload);
        assert!(encoded.contains('-') || encoded.contains('_'), "{encoded}");
    }

    #[test]
    fn accepts_a_float_exp() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        assert_eq!(
            expiry(&token(r#"{"exp":4070908800.5}"#, &URL_SAFE_NO_PAD)),
            Some(4070908800)
        );
    }

    #[test]
    fn unreadable_tokens_give_none() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        assert_eq!(expiry("not-a-jwt"), None);
        assert_eq!(expiry("a.!!!.c"), None);
        assert_eq!(expiry(&token(r#"{"iat":1}"#, &URL_SAFE_NO_PAD)), None);
        assert_eq!(expiry(&token("not json", &URL_SAFE_NO_PAD)), None);
    }
}
