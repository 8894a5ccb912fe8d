//! API token secrets: `folio_` and 43 random base62 characters (about 256 bits), so secret scanners can spot a
//! leaked one. Only the SHA-256 of a secret is ever stored.

use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};

pub const PREFIX: &str = "folio_";
const RANDOM_CHARS: usize = 43;

/// A new secret from the thread-local CSPRNG.
pub fn generate() -> String {
    format!(
        "{PREFIX}{}",
        Alphanumeric.sample_string(&mut rand::rng(), RANDOM_CHARS)
    )
}

pub fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Cheap shape check before any database lookup.
pub fn looks_valid(secret: &str) -> bool {
    secret.len() == PREFIX.len() + RANDOM_CHARS
        && secret.starts_with(PREFIX)
        && secret[PREFIX.len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
}

/// `text` with every token-shaped secret (`folio_` and 43 base64url characters) masked, for logs.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(PREFIX) {
        let (before, from) = rest.split_at(at);
        out.push_str(before);
        let secret_len = from[PREFIX.len()..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
            .count();
        if secret_len >= 20 {
            out.push_str(PREFIX);
            out.push_str("[redacted]");
            rest = &from[PREFIX.len() + secret_len..];
        } else {
            out.push_str(PREFIX);
            rest = &from[PREFIX.len()..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn secrets_are_masked_in_log_lines() {
        let secret = super::generate();
        let line = format!("GET /api/v1/articles?access_token={secret}&x=folio_ HTTP/1.1");
        let masked = super::redact(&line);
        assert!(!masked.contains(&secret), "{masked}");
        assert_eq!(
            masked,
            "GET /api/v1/articles?access_token=folio_[redacted]&x=folio_ HTTP/1.1"
        );
    }

    #[test]
    fn secrets_have_the_prefix_enough_entropy_and_differ() {
        let a = super::generate();
        let b = super::generate();
        assert!(a.starts_with("folio_") && a.len() == 49);
        assert!(super::looks_valid(&a));
        assert_ne!(a, b);
        assert_ne!(super::hash(&a), super::hash(&b));
        assert!(!super::looks_valid("folio_short"));
    }
}
