//! Feeds as they leave the server: one neutral `Feed` rendered as RSS 2.0 (the `rss` crate, with `content:encoded`,
//! `dc:creator` and an `atom:link` to itself), Atom 1.0 (`atom_syndication`) or JSON Feed 1.1 (serde; the format
//! is plain JSON). Every link is absolute; every text is escaped by the writer, never by hand.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A feed, whatever its format.
#[derive(Debug, Clone)]
pub struct Feed {
    pub title: String,
    /// The site's title: the feed's author in Atom.
    pub site_title: String,
    pub description: String,
    /// A permanent identifier (Atom's `id`): the page the feed follows.
    pub id: String,
    /// The page of the site the feed follows (its home, a tag's or an author's page).
    pub home_url: String,
    /// The feed's own URL.
    pub feed_url: String,
    pub language: String,
    pub icon: Option<String>,
    /// The newest item's last change, or the settings' when there is none.
    pub updated: DateTime<Utc>,
    pub items: Vec<FeedItem>,
}

/// An article as a feed item.
#[derive(Debug, Clone)]
pub struct FeedItem {
    /// A stable identifier that survives renames: `urn:uuid:…`.
    pub id: String,
    pub url: String,
    pub title: String,
    pub summary: String,
    /// The whole HTML body, when the site's feeds carry full content.
    pub content_html: Option<String>,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// Names and absolute profile URLs.
    pub authors: Vec<(String, String)>,
    /// Tag names.
    pub tags: Vec<String>,
    pub image: Option<String>,
}

/// Text XML 1.0 can hold: without the control characters and noncharacters it has no way to write (JSON can).
fn xml_text(text: &str) -> String {
    text.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        })
        .collect()
}

impl Feed {
    /// The feed with every text made writable as XML.
    fn for_xml(&self) -> Feed {
        let t = |s: &String| xml_text(s);
        Feed {
            title: t(&self.title),
            site_title: t(&self.site_title),
            description: t(&self.description),
            id: t(&self.id),
            home_url: t(&self.home_url),
            feed_url: t(&self.feed_url),
            language: t(&self.language),
            icon: self.icon.as_ref().map(t),
            updated: self.updated,
            items: self
                .items
                .iter()
                .map(|i| FeedItem {
                    id: t(&i.id),
                    url: t(&i.url),
                    title: t(&i.title),
                    summary: t(&i.summary),
                    content_html: i.content_html.as_ref().map(t),
                    published: i.published,
                    updated: i.updated,
                    authors: i.authors.iter().map(|(n, u)| (t(n), t(u))).collect(),
                    tags: i.tags.iter().map(t).collect(),
                    image: i.image.as_ref().map(t),
                })
                .collect(),
        }
    }
}

/// RSS 2.0: `pubDate` in RFC 2822, the body in `content:encoded`, authors as `dc:creator` (RSS's own `author`
/// wants an e-mail address).
pub fn rss(feed: &Feed) -> String {
    let feed = &feed.for_xml();
    let items = feed
        .items
        .iter()
        .map(|i| {
            let mut item = rss::Item::default();
            item.set_title(i.title.clone());
            item.set_link(i.url.clone());
            item.set_guid(rss::Guid {
                value: i.id.clone(),
                permalink: false,
            });
            item.set_pub_date(i.published.to_rfc2822());
            // Readers take an RSS description as HTML: the plain-text summary is escaped to stay text.
            item.set_description(quick_xml::escape::escape(i.summary.as_str()).into_owned());
            item.set_content(i.content_html.clone());
            item.set_categories(
                i.tags
                    .iter()
                    .map(|t| rss::Category {
                        name: t.clone(),
                        domain: None,
                    })
                    .collect::<Vec<_>>(),
            );
            if !i.authors.is_empty() {
                item.set_dublin_core_ext(rss::extension::dublincore::DublinCoreExtension {
                    creators: i.authors.iter().map(|(name, _)| name.clone()).collect(),
                    ..Default::default()
                });
            }
            item
        })
        .collect::<Vec<_>>();
    let mut channel = rss::Channel::default();
    channel.set_title(feed.title.clone());
    channel.set_link(feed.home_url.clone());
    channel.set_description(feed.description.clone());
    channel.set_language(feed.language.clone());
    channel.set_last_build_date(feed.updated.to_rfc2822());
    channel.set_generator("Folio".to_owned());
    channel.set_atom_ext(rss::extension::atom::AtomExtension {
        links: vec![atom_syndication::Link {
            href: feed.feed_url.clone(),
            rel: "self".to_owned(),
            mime_type: Some("application/rss+xml".to_owned()),
            ..Default::default()
        }],
    });
    channel.set_namespaces(BTreeMap::from([
        ("atom".to_owned(), "http://www.w3.org/2005/Atom".to_owned()),
        (
            "content".to_owned(),
            "http://purl.org/rss/1.0/modules/content/".to_owned(),
        ),
        (
            "dc".to_owned(),
            "http://purl.org/dc/elements/1.1/".to_owned(),
        ),
    ]));
    channel.set_items(items);
    channel.to_string()
}

fn fixed(t: DateTime<Utc>) -> atom_syndication::FixedDateTime {
    t.fixed_offset()
}

fn link(href: &str, rel: &str, mime_type: Option<&str>) -> atom_syndication::Link {
    atom_syndication::Link {
        href: href.to_owned(),
        rel: rel.to_owned(),
        mime_type: mime_type.map(str::to_owned),
        ..Default::default()
    }
}

/// Atom 1.0: ids are URNs, the summary plain text, the content HTML.
pub fn atom(feed: &Feed) -> String {
    use atom_syndication::{Category, Content, Entry, Person, Text};
    let feed = &feed.for_xml();
    let person = |(name, uri): &(String, String)| Person {
        name: name.clone(),
        email: None,
        uri: Some(uri.clone()),
        extensions: Default::default(),
    };
    let entries = feed
        .items
        .iter()
        .map(|i| {
            let mut e = Entry::default();
            e.set_id(i.id.clone());
            e.set_title(Text::plain(i.title.clone()));
            e.set_updated(fixed(i.updated));
            e.set_published(Some(fixed(i.published)));
            e.set_links(vec![link(&i.url, "alternate", Some("text/html"))]);
            e.set_summary(Some(Text::plain(i.summary.clone())));
            if let Some(html) = &i.content_html {
                let mut content = Content::default();
                content.set_content_type(Some("html".to_owned()));
                content.set_value(Some(html.clone()));
                e.set_content(Some(content));
            }
            e.set_authors(i.authors.iter().map(person).collect::<Vec<_>>());
            e.set_categories(
                i.tags
                    .iter()
                    .map(|t| Category {
                        term: t.clone(),
                        scheme: None,
                        label: None,
                    })
                    .collect::<Vec<_>>(),
            );
            e
        })
        .collect::<Vec<_>>();
    let mut f = atom_syndication::Feed::default();
    f.set_id(feed.id.clone());
    f.set_title(Text::plain(feed.title.clone()));
    if !feed.description.is_empty() {
        f.set_subtitle(Some(Text::plain(feed.description.clone())));
    }
    f.set_updated(fixed(feed.updated));
    f.set_lang(Some(feed.language.clone()));
    f.set_icon(feed.icon.clone());
    f.set_generator(Some(atom_syndication::Generator {
        value: "Folio".to_owned(),
        uri: None,
        version: None,
    }));
    // RFC 4287 wants an author on the feed or on every entry: the site is the feed's.
    f.set_authors(vec![Person {
        name: feed.site_title.clone(),
        email: None,
        uri: Some(feed.home_url.clone()),
        extensions: Default::default(),
    }]);
    f.set_links(vec![
        link(&feed.home_url, "alternate", Some("text/html")),
        link(&feed.feed_url, "self", Some("application/atom+xml")),
    ]);
    f.set_entries(entries);
    f.to_string()
}

/// A JSON Feed 1.1 document (jsonfeed.org/version/1.1), as Folio writes it.
#[derive(Serialize, ToSchema)]
pub struct JsonFeed<'a> {
    /// `https://jsonfeed.org/version/1.1`.
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    language: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    icon: Option<&'a str>,
    items: Vec<JsonItem<'a>>,
}

/// An article as a JSON Feed item: `content_html` (full content) or `content_text` (the summary).
#[derive(Serialize, ToSchema)]
pub struct JsonItem<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    summary: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<JsonAuthor<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
}

#[derive(Serialize, ToSchema)]
pub struct JsonAuthor<'a> {
    name: &'a str,
    url: &'a str,
}

/// JSON Feed 1.1: an item holds `content_html`, or its summary as `content_text` when feeds carry summaries.
pub fn json(feed: &Feed) -> String {
    let date = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    let doc = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &feed.title,
        home_page_url: &feed.home_url,
        feed_url: &feed.feed_url,
        description: &feed.description,
        language: &feed.language,
        icon: feed.icon.as_deref(),
        items: feed
            .items
            .iter()
            .map(|i| JsonItem {
                id: &i.id,
                url: &i.url,
                title: &i.title,
                summary: &i.summary,
                content_html: i.content_html.as_deref(),
                content_text: i.content_html.is_none().then_some(i.summary.as_str()),
                date_published: date(i.published),
                date_modified: date(i.updated),
                authors: i
                    .authors
                    .iter()
                    .map(|(name, url)| JsonAuthor { name, url })
                    .collect(),
                tags: i.tags.iter().map(String::as_str).collect(),
                image: i.image.as_deref(),
            })
            .collect(),
    };
    serde_json::to_string(&doc).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::xml_text;

    #[test]
    fn xml_keeps_what_it_can_write() {
        assert_eq!(
            xml_text("a\u{1}b\u{b}c\u{fffe}d\te\u{1F600}"),
            "abcd\te\u{1F600}"
        );
    }
}
