//! Webhook rules: which events an endpoint wants, where it may point, how a delivery is signed (the Standard
//! Webhooks scheme) and when a failed delivery is tried again.

use std::net::IpAddr;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Every event type an endpoint can ask for: the change log's entry types, and `ping`.
pub const EVENT_TYPES: [&str; 18] = [
    "article.created",
    "article.published",
    "article.updated",
    "article.unpublished",
    "article.deleted",
    "tag.created",
    "tag.updated",
    "tag.deleted",
    "author.created",
    "author.updated",
    "author.deleted",
    "page.created",
    "page.published",
    "page.updated",
    "page.unpublished",
    "page.deleted",
    "site.updated",
    "ping",
];

/// Whether `pattern` is a valid entry of an endpoint's `events`: an event type, `article.*` (any event of a
/// resource), or `*` (every event).
pub fn valid_pattern(pattern: &str) -> bool {
    pattern == "*"
        || EVENT_TYPES.contains(&pattern)
        || pattern.strip_suffix(".*").is_some_and(|resource| {
            EVENT_TYPES
                .iter()
                .any(|t| t.split_once('.').is_some_and(|(r, _)| r == resource))
        })
}

/// Whether an endpoint subscribed to `patterns` gets `event`. A ping is sent to every endpoint that asks for one.
pub fn wants(patterns: &[String], event: &str) -> bool {
    patterns.iter().any(|p| {
        p == "*"
            || p == event
            || p.strip_suffix(".*")
                .is_some_and(|resource| event.split_once('.').is_some_and(|(r, _)| r == resource))
    })
}

/// Secrets are `whsec_` and the base64 of 32 random bytes, the form Standard Webhooks libraries take.
pub const SECRET_PREFIX: &str = "whsec_";

/// A new signing secret from the thread-local CSPRNG.
pub fn generate_secret() -> String {
    let key: [u8; 32] = rand::random();
    format!("{SECRET_PREFIX}{}", STANDARD.encode(key))
}

/// The key bytes of a secret made by `generate_secret`.
fn key(secret: &str) -> Option<Vec<u8>> {
    STANDARD
        .decode(secret.strip_prefix(SECRET_PREFIX).unwrap_or(secret))
        .ok()
}

/// The `webhook-signature` value: `v1,` and the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` under each secret
/// (the current one, and during a rotation the previous one too), separated by spaces.
pub fn signature(secrets: &[&str], id: &str, timestamp: i64, body: &str) -> String {
    secrets
        .iter()
        .filter_map(|s| key(s))
        .filter_map(|k| Hmac::<Sha256>::new_from_slice(&k).ok())
        .map(|mut mac| {
            mac.update(format!("{id}.{timestamp}.").as_bytes());
            mac.update(body.as_bytes());
            format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Attempts a delivery gets before it is given up (and its endpoint disabled): the first and 11 retries.
pub const MAX_ATTEMPTS: i32 = 12;
/// The wait after the first failure; each later wait is three times the one before, up to `MAX_DELAY`.
const FIRST_DELAY: Duration = Duration::from_secs(5);
const MAX_DELAY: Duration = Duration::from_secs(6 * 3600);

/// How long to wait after failed attempt number `attempt` (1 for the first), given `jitter` in [0, 1): the
/// exponential step times a factor between 0.75 and 1.25, so endpoints that failed together do not retry together.
/// The 11 waits add up to 22.5 hours before jitter (17 to 28 hours with it): about a day of retries.
pub fn backoff(attempt: i32, jitter: f64) -> Duration {
    let steps = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(20);
    let base = FIRST_DELAY
        .saturating_mul(3u32.saturating_pow(steps))
        .min(MAX_DELAY);
    base.mul_f64(0.75 + 0.5 * jitter.clamp(0.0, 1.0))
}

/// Why an address may not receive webhooks by default: loopback, private, link-local and other addresses that
/// name this machine or its network rather than a public receiver (the server-side request forgery guard).
pub fn forbidden(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_private() {
                Some("private")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if v4.is_unspecified() || a == 0 {
                Some("unspecified")
            } else if v4.is_broadcast() || v4.is_multicast() || a >= 240 {
                Some("broadcast, multicast or reserved")
            } else if a == 100 && (64..128).contains(&b) {
                Some("shared (carrier-grade NAT)")
            } else if (a == 198 && (18..20).contains(&b))
                || (a == 192 && b == 0 && v4.octets()[2] == 0)
                || v4.is_documentation()
            {
                Some("reserved (benchmarking, documentation or protocol assignments)")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = embedded_v4(v6) {
                return forbidden(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            if v6.is_loopback() {
                Some("loopback")
            } else if v6.is_unspecified() {
                Some("unspecified")
            } else if first & 0xfe00 == 0xfc00 {
                Some("private (unique local)")
            } else if first & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if first & 0xffc0 == 0xfec0 {
                Some("site-local")
            } else if (first == 0x2001 && matches!(v6.segments()[1], 0 | 0x0db8))
                || (first == 0x0100 && v6.segments()[1..4] == [0, 0, 0])
            {
                Some("reserved (documentation, Teredo or discard)")
            } else if v6.is_multicast() {
                Some("broadcast, multicast or reserved")
            } else {
                None
            }
        }
    }
}

/// The IPv4 address an IPv6 address carries and routes to: IPv4-mapped (`::ffff:a.b.c.d`), IPv4-compatible
/// (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`, `64:ff9b:1::/48`) and 6to4 (`2002:aabb:ccdd::`).
fn embedded_v4(v6: std::net::Ipv6Addr) -> Option<std::net::Ipv4Addr> {
    let s = v6.segments();
    let v4 = |hi: u16, lo: u16| {
        let [a, b] = hi.to_be_bytes();
        let [c, d] = lo.to_be_bytes();
        std::net::Ipv4Addr::new(a, b, c, d)
    };
    let compatible = s[..6] == [0; 6] && !(v6.is_loopback() || v6.is_unspecified());
    let nat64 =
        s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1);
    if let Some(mapped) = v6.to_ipv4_mapped() {
        Some(mapped)
    } else if compatible || nat64 {
        Some(v4(s[6], s[7]))
    } else if s[0] == 0x2002 {
        Some(v4(s[1], s[2]))
    } else {
        None
    }
}

/// Checks an endpoint URL: absolute `http` or `https`, a host, no credentials, at most 2,000 characters; with
/// `allow_private` false, a literal address or `localhost` must not be `forbidden` (names are checked again when
/// they are resolved, at each delivery).
pub fn check_url(text: &str, allow_private: bool) -> Result<url::Url, String> {
    if text.len() > 2000 {
        return Err("must be at most 2000 characters".to_owned());
    }
    let url = url::Url::parse(text).map_err(|e| format!("must be an absolute URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must use http or https".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not hold credentials: the signature authenticates Folio".to_owned());
    }
    let reason = match url.host() {
        None => return Err("must name a host".to_owned()),
        Some(url::Host::Ipv4(ip)) => forbidden(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => forbidden(IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.');
            (name == "localhost" || name.ends_with(".localhost")).then_some("loopback")
        }
    };
    match reason {
        Some(reason) if !allow_private => Err(format!(
            "points to a {reason} address, which webhooks may not reach (the setting FOLIO_WEBHOOK_ALLOW_PRIVATE allows it)"
        )),
        _ => Ok(url),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_and_matching() {
        for good in [
            "*",
            "article.*",
            "tag.deleted",
            "ping",
            "author.*",
            "page.*",
            "site.updated",
        ] {
            assert!(valid_pattern(good), "{good}");
        }
        for bad in [
            "",
            "article",
            "article.**",
            "media.*",
            "site.created",
            "article.exploded",
            "*.*",
        ] {
            assert!(!valid_pattern(bad), "{bad}");
        }
        let p = vec!["article.*".to_owned(), "tag.deleted".to_owned()];
        assert!(wants(&p, "article.published"));
        assert!(wants(&p, "tag.deleted"));
        assert!(!wants(&p, "tag.created"));
        assert!(!wants(&p, "ping"));
        assert!(wants(&["*".to_owned()], "author.updated"));
    }

    /// The Standard Webhooks specification's own example: its secret, id, timestamp and body give its signature.
    #[test]
    fn signatures_match_the_specification_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&[secret], "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        let two = signature(&[secret, &generate_secret()], "m", 1, "{}");
        assert_eq!(two.split(' ').count(), 2);
        assert!(generate_secret().starts_with("whsec_"));
        assert_ne!(generate_secret(), generate_secret());
    }

    #[test]
    fn the_retry_schedule_grows_and_spans_about_a_day() {
        assert_eq!(backoff(1, 0.5), Duration::from_secs(5));
        assert_eq!(backoff(2, 0.5), Duration::from_secs(15));
        assert_eq!(backoff(1, 0.0), Duration::from_secs_f64(3.75));
        assert_eq!(backoff(1, 1.0), Duration::from_secs_f64(6.25));
        assert_eq!(backoff(20, 0.5), MAX_DELAY);
        let waits = |jitter| -> f64 {
            (1..MAX_ATTEMPTS)
                .map(|n| backoff(n, jitter).as_secs_f64())
                .sum()
        };
        assert_eq!(waits(0.5), 81_200.0);
        assert!(waits(0.0) > 16.0 * 3600.0 && waits(1.0) < 29.0 * 3600.0);
        for n in 1..MAX_ATTEMPTS {
            assert!(backoff(n + 1, 0.0) >= backoff(n, 0.0), "never shorter");
        }
    }

    #[test]
    fn private_destinations_are_refused_unless_allowed() {
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://10.1.2.3/",
            "http://192.168.0.10/",
            "http://172.20.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://0.0.0.0/",
            "http://localhost:3000/",
            "http://app.localhost/",
            "http://100.64.0.1/",
            "http://198.18.0.5/",
            "http://[::10.0.0.5]/",
            "http://[64:ff9b::a00:5]/",
            "http://[64:ff9b:1::a9fe:a9fe]/",
            "http://[2002:c0a8:0101::1]/",
            "http://[fec0::1]/",
            "http://192.0.2.1/",
            "http://203.0.113.9/",
            "http://[2001:db8::1]/",
            "http://[2001::1]/",
            "http://[100::1]/",
        ] {
            let refused = check_url(url, false).expect_err(url);
            assert!(refused.contains("FOLIO_WEBHOOK_ALLOW_PRIVATE"), "{refused}");
            assert!(check_url(url, true).is_ok(), "{url}");
        }
        for bad in [
            "ftp://example.com/",
            "/relative",
            "https://user:pass@example.com/",
            "mailto:x@example.com",
        ] {
            assert!(check_url(bad, true).is_err(), "{bad}");
        }
        assert!(check_url("https://hooks.example.com/folio?x=1", false).is_ok());
        // Stored as parsed: control characters escaped, the scheme's slashes restored.
        assert_eq!(
            check_url("http:example.com", false).map(|u| u.to_string()),
            Ok("http://example.com/".to_owned())
        );
        assert!(!check_url("http://example.com/a\tb c", false)
            .expect("parses")
            .as_str()
            .contains(['\t', ' ']));
        assert!(check_url("http://93.184.215.14/", false).is_ok());
        assert!(check_url("http://[2606:2800:220:1:248:1893:25c8:1946]/", false).is_ok());
        assert!(
            check_url("http://[64:ff9b::5db8:d70e]/", false).is_ok(),
            "NAT64 of a public address"
        );
    }
}
