//! The text rules of the settings that neither `validator` nor a pattern states: URLs a parser and a crawler
//! both read, permalink templates, language tags and time zone names.

/// An absolute URL as a URL parser writes it (non-ASCII and reserved characters percent-encoded); unchanged if it
/// does not parse.
pub fn encoded(url: &str) -> String {
    url::Url::parse(url).map_or_else(|_| url.to_owned(), String::from)
}

/// Every `%` starts an escape of two hex digits.
pub(super) fn escapes_ok(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().all(|(i, &b)| {
        b != b'%'
            || bytes
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    })
}

/// A host of letters, digits, dots and hyphens (starting with a letter or digit) and an optional port.
pub(super) fn authority_ok(authority: &str) -> bool {
    let (host, port) = match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    host.starts_with(|c: char| c.is_ascii_alphanumeric())
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && port.is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.parse::<u16>().is_ok())
}

pub(super) fn site_url_ok(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    if !matches!(scheme, "http" | "https") || !authority_ok(authority) {
        return false;
    }
    if !escapes_ok(rest) {
        return false;
    }
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    matches!(parsed.scheme(), "http" | "https")
        && parsed.host_str().is_some()
        && parsed.query().is_none()
        && parsed.fragment().is_none()
        && parsed.username().is_empty()
        && url.chars().count() <= 200
        && !url.contains(char::is_whitespace)
        && !url.contains(char::is_control)
        && !url.contains(['?', '#'])
}

/// A path template: starts with `/`, holds `{slug}` exactly once, no other placeholder than the date parts for
/// articles, no white space or control characters.
pub(super) fn template_ok(template: &str, dates: bool) -> bool {
    let mut rest = template.replace("{slug}", "");
    if dates {
        for part in ["{year}", "{month}", "{day}"] {
            rest = rest.replace(part, "");
        }
    }
    template.starts_with('/')
        && !template.starts_with("//")
        && template.chars().count() <= 200
        && template.matches("{slug}").count() == 1
        && !rest.contains(['{', '}', '?', '#', '\\'])
        && !template
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
}

pub(super) fn locale_ok(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let first = parts.next().unwrap_or_default();
    tag.len() <= 35
        && (2..=8).contains(&first.len())
        && first.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

pub(super) fn timezone_ok(name: &str) -> bool {
    let mut parts = name.split('/');
    let first = parts.next().unwrap_or_default();
    name.len() <= 64
        && first.starts_with(|c: char| c.is_ascii_alphabetic())
        && first
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+-".contains(c))
        && parts.all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_+-".contains(c))
        })
}
