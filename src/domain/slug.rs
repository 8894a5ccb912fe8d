//! Slugs: the one place their shape is defined, and how one is derived from a title or a name.

use std::fmt;

pub const MAX_LEN: usize = 120;

/// A valid slug: 1 to 120 characters of `a-z0-9` with single inner hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("must be 1 to 120 characters of a-z, 0-9 and single inner hyphens")]
pub struct InvalidSlug;

impl Slug {
    pub fn parse(s: &str) -> Result<Slug, InvalidSlug> {
        if Self::shaped(s) && s.len() <= MAX_LEN {
            Ok(Slug(s.to_owned()))
        } else {
            Err(InvalidSlug)
        }
    }

    /// Whether `s` has a slug's shape (`a-z0-9` with single inner hyphens), whatever its length.
    pub fn shaped(s: &str) -> bool {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--")
    }

    /// Derives a slug from free text: transliterated to ASCII, lowercased, every run of other characters made one
    /// hyphen, trimmed, and cut to 120 characters at a hyphen. `None` when nothing slug-worthy is left.
    pub fn derive(text: &str) -> Option<Slug> {
        let ascii = deunicode::deunicode(text);
        let mut out = String::with_capacity(ascii.len());
        let mut pending_hyphen = false;
        for c in ascii.chars() {
            if c.is_ascii_alphanumeric() {
                if pending_hyphen && !out.is_empty() {
                    out.push('-');
                }
                pending_hyphen = false;
                out.push(c.to_ascii_lowercase());
            } else {
                pending_hyphen = true;
            }
        }
        if out.len() > MAX_LEN {
            // Cut at the last hyphen that keeps it within bounds; a single 120+ character word is cut hard.
            let cut = out[..=MAX_LEN]
                .rfind('-')
                .filter(|&i| i > 0)
                .unwrap_or(MAX_LEN);
            out.truncate(cut);
        }
        Slug::parse(&out).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Slug {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::Slug;

    fn derive(s: &str) -> String {
        Slug::derive(s).map(Slug::into_string).unwrap_or_default()
    }

    #[test]
    fn derives_like_the_product_spec_says() {
        assert_eq!(
            derive("Message Queues Explained — SQS vs Kafka vs SNS"),
            "message-queues-explained-sqs-vs-kafka-vs-sns"
        );
        assert_eq!(derive("Café"), "cafe");
        assert_eq!(derive("  --Hello,   World!--  "), "hello-world");
        assert_eq!(derive("Ünïcödé ß"), "unicode-ss");
        assert_eq!(derive("!!!"), "");
    }

    #[test]
    fn long_titles_are_cut_at_a_hyphen() {
        let title = "word ".repeat(40);
        let slug = derive(&title);
        assert!(slug.len() <= 120);
        assert!(slug.ends_with("word"));
        assert_eq!(derive(&"x".repeat(130)).len(), 120);
    }

    #[test]
    fn parse_accepts_only_the_canonical_shape() {
        for ok in ["a", "a-b", "abc-123", &"a".repeat(120)] {
            assert!(Slug::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "-a", "a-", "a--b", "A", "a_b", "é", &"a".repeat(121)] {
            assert!(Slug::parse(bad).is_err(), "{bad}");
        }
    }
}
