//! Which links Folio stores: an `http(s)` URL (whose host holds no bracket) or an absolute path on the site.
//! Everything else (`javascript:`, `data:`, `vbscript:`, `file:`, network-path references such as `//host/x` or
//! `/\\host/x`) is refused, so a frontend may put any stored link in `href` or `src`.

use std::borrow::Cow;

use validator::ValidationError;

/// The rule as a JSON Schema pattern, as the spec states it for every link field (a test checks they agree).
pub const PATTERN: &str = r"^(https?://[^\s\x00-\x1f\x7f-\x9f/?#\[\]]*([/?#][^\s\x00-\x1f\x7f-\x9f]*)?|/([^/\\\s\x00-\x1f\x7f-\x9f][^\s\x00-\x1f\x7f-\x9f]*)?)$";

pub const RULE: &str =
    "must be an http(s) URL (no brackets in its host) or an absolute path, at most 2000 characters";

pub fn is_safe(url: &str) -> bool {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    // No brackets in the host: an IPv6 literal is not a blog's link, and a lone bracket breaks URL parsers.
    let authority = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    if authority.is_some_and(|a| a.contains(['[', ']'])) {
        return false;
    }
    let scheme = rest.is_some();
    let path = url.starts_with('/') && !url.starts_with("//") && !url.starts_with("/\\");
    (scheme || path) && !url.contains(char::is_whitespace) && !url.chars().any(char::is_control)
}

/// The rule as a `validator` check, for input structs.
pub fn validate(url: &str) -> Result<(), ValidationError> {
    if is_safe(url) {
        Ok(())
    } else {
        Err(ValidationError::new("url").with_message(Cow::Borrowed(RULE)))
    }
}

#[cfg(test)]
mod tests {
    use super::is_safe;

    #[test]
    fn only_http_links_and_site_paths_pass() {
        for ok in [
            "https://example.com/a.png",
            "http://x.test",
            "/images/a.png",
            "https://example.com/a?b[0]=1",
        ] {
            assert!(is_safe(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "JAVASCRIPT:alert(1)",
            "data:text/html,x",
            "vbscript:x",
            "file:///etc/passwd",
            "//evil.example/x",
            "/\\evil.example/x",
            "relative/path",
            "https://a b",
            "http://lxV]",
            "http://[::1]/x",
            "",
        ] {
            assert!(!is_safe(bad), "{bad}");
        }
    }
}
