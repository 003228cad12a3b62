//! Numbers in payloads: the API writes integers, the reference's mocks floats.

use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    fn into_i64(self) -> i64 {
        match self {
            Number::Int(i) => i,
            // Whole seconds: fractions of a timestamp are dropped, like a cast.
            Number::Float(f) => f as i64,
        }
    }
}

pub fn int<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    Number::deserialize(deserializer).map(Number::into_i64)
}

pub fn opt_int<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    Ok(Option::<Number>::deserialize(deserializer)?.map(Number::into_i64))
}

#[cfg(test)]
mod tests {
    #[derive(serde::Deserialize)]
    struct Sample {
        #[serde(deserialize_with = "super::int")]
        a: i64,
        #[serde(default, deserialize_with = "super::opt_int")]
        b: Option<i64>,
    }

    #[test]
    fn integers_and_floats() {
        let s: Sample = serde_json::from_str(r#"{"a": 1767261600.482913, "b": 3}"#).unwrap();
        assert_eq!((s.a, s.b), (1767261600, Some(3)));
        let s: Sample = serde_json::from_str(r#"{"a": 7, "b": null}"#).unwrap();
        assert_eq!((s.a, s.b), (7, None));
        let s: Sample = serde_json::from_str(r#"{"a": -2.0}"#).unwrap();
        assert_eq!((s.a, s.b), (-2, None));
        assert!(serde_json::from_str::<Sample>(r#"{"a": "7"}"#).is_err());
    }
}
