//! Sitemaps (sitemaps.org protocol 0.9) as bytes: the envelope, and one `<url>` or `<sitemap>` entry at a time, so
//! a handler can stream them. Text goes through the XML writer's escaping.

use chrono::{DateTime, SecondsFormat, Utc};
use quick_xml::escape::escape;

pub const URLSET_OPEN: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
    <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
pub const URLSET_CLOSE: &str = "</urlset>\n";
pub const INDEX_OPEN: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
    <sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
pub const INDEX_CLOSE: &str = "</sitemapindex>\n";

fn w3c(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// One `<url>`: an absolute location and its last change.
pub fn url(out: &mut String, loc: &str, lastmod: DateTime<Utc>) {
    out.push_str("<url><loc>");
    out.push_str(&escape(loc));
    out.push_str("</loc><lastmod>");
    out.push_str(&w3c(lastmod));
    out.push_str("</lastmod></url>\n");
}

/// One `<sitemap>` of an index.
pub fn sitemap(out: &mut String, loc: &str) {
    out.push_str("<sitemap><loc>");
    out.push_str(&escape(loc));
    out.push_str("</loc></sitemap>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_escaped() {
        let mut out = String::new();
        let at = "2026-04-18T09:00:00Z"
            .parse()
            .unwrap_or_else(|_| Utc::now());
        url(&mut out, "https://x.test/a?b=1&c=<2>", at);
        assert_eq!(
            out,
            "<url><loc>https://x.test/a?b=1&amp;c=&lt;2&gt;</loc><lastmod>2026-04-18T09:00:00Z</lastmod></url>\n"
        );
    }
}
