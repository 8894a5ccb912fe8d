//! Who the client is, behind proxies: the peer address, unless the peer is a trusted proxy, in which case the
//! forwarding headers it added name the client. Only the hops that trusted proxies appended are believed, so a
//! client cannot choose its address by sending `X-Forwarded-For` itself. Limits and logs key on the result.

use std::net::{IpAddr, SocketAddr};

use actix_web::http::header::HeaderMap;
use ipnet::IpNet;

/// A CIDR block or a single address (`10.0.0.0/8`, `127.0.0.1`, `::1`), for the trusted-proxies setting.
pub fn parse_net(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    s.parse::<IpNet>()
        .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{s}` is neither an IP address nor a CIDR block"))
}

/// One forwarded hop as written in `Forwarded: for=...` or `X-Forwarded-For`: an address, possibly quoted,
/// bracketed, or with a port.
fn hop(raw: &str) -> Option<IpAddr> {
    let v = raw.trim().trim_matches('"');
    if let Ok(ip) = v.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Ok(sock) = v.parse::<SocketAddr>() {
        return Some(sock.ip());
    }
    v.strip_prefix('[')
        .and_then(|r| r.split(']').next())
        .and_then(|ip| ip.parse().ok())
}

/// The forwarded chain, nearest the client first: `Forwarded` (RFC 7239) when present, else `X-Forwarded-For`.
/// A hop that is not an address (`unknown`, an obfuscated name) ends the chain there.
fn chain(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> = headers
        .get_all("forwarded")
        .filter_map(|v| v.to_str().ok())
        .collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|v| v.split(','))
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    k.trim().eq_ignore_ascii_case("for").then(|| hop(v))
                })
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(hop)
        .collect()
}

/// The client's address: walking back from the peer, every hop a trusted proxy reported, until an address that is
/// not a trusted proxy (the client), or the end of what was reported.
pub fn address(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let mut current = peer?;
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&current) {
        return Some(current);
    }
    for reported in chain(headers).into_iter().rev() {
        match reported {
            Some(ip) => {
                current = ip;
                if !is_trusted(&current) {
                    break;
                }
            }
            None => break,
        }
    }
    Some(current)
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.5".parse().expect("ip");
        let trusted = [parse_net("10.0.0.0/8").expect("net")];
        let xff = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.7")]);
        // From the proxy: the rightmost untrusted hop is the client; what the client wrote further left is not.
        assert_eq!(
            address(Some(proxy), &xff, &trusted),
            "203.0.113.7".parse().ok()
        );
        // From anyone else, the headers are ignored.
        let stranger: IpAddr = "198.51.100.9".parse().expect("ip");
        assert_eq!(address(Some(stranger), &xff, &trusted), Some(stranger));
        // Without trusted proxies, nobody's headers count.
        assert_eq!(address(Some(proxy), &xff, &[]), Some(proxy));
        // RFC 7239, quoted IPv6 with a port, and chains through several trusted proxies.
        let fwd = headers(&[(
            "forwarded",
            r#"for="[2001:db8::17]:4711";proto=https, for=10.0.0.9"#,
        )]);
        assert_eq!(
            address(Some(proxy), &fwd, &trusted),
            "2001:db8::17".parse().ok()
        );
        // An unknown hop ends the walk at the last proxy that reported it.
        let unknown = headers(&[("x-forwarded-for", "unknown")]);
        assert_eq!(address(Some(proxy), &unknown, &trusted), Some(proxy));
        assert!(parse_net("nope").is_err());
        assert_eq!(parse_net("::1").map(|n| n.prefix_len()), Ok(128));
    }
}
