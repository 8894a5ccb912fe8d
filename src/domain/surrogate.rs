//! Surrogate keys: names for what a public response depends on, so that a CDN in front of Folio can purge exactly
//! the responses a change made stale, instead of everything.
//!
//! Every public response names its keys in `Surrogate-Key` (space separated); every change-log entry a reader
//! without a token sees names the keys it makes stale (`purge_keys`), and a write answers the union of its entries'
//! keys in `Purge-Keys`. The rule that ties the two together: a response that shows something carries the key
//! that a change of that thing purges.
//!
//! | key | carried by | purged by |
//! |---|---|---|
//! | `article:{id}` | the article, the listings, related lists and search results showing it, and its neighbours' pages (which show its title) | any public change of the article |
//! | `neighbours:{id}` | the article's own page (its `newer` and `older`) | a public change of an article that is next to it after the change (published, edited or moved there) |
//! | `articles` | every response whose membership or order depends on the public articles: listings, search, related, suggestions, tags' and authors' pages (their counts), feeds, sitemaps | any public article change |
//! | `page:{id}`, `pages` | a page; the page listing and the sitemaps (by the collection key alone) | any public page change |
//! | `tag:{slug}`, `tags` | what shows the tag's name (its page, article cards); tag listings (by the collection key alone), feeds, sitemaps | a public change of the tag (both slugs on a rename) |
//! | `author:{slug}`, `authors` | likewise for authors | likewise |
//! | `site` | the settings, feeds, sitemaps | `site.updated` |
//! | `changes` | the change feed | every public entry |

use std::collections::BTreeSet;

use uuid::Uuid;

/// The response header naming a public response's keys.
pub const HEADER: &str = "surrogate-key";
/// The write response header naming the keys its changes made stale.
pub const PURGE_HEADER: &str = "purge-keys";

pub const ARTICLES: &str = "articles";
pub const PAGES: &str = "pages";
pub const TAGS: &str = "tags";
pub const AUTHORS: &str = "authors";
pub const SITE: &str = "site";
pub const CHANGES: &str = "changes";

pub fn article(id: Uuid) -> String {
    format!("article:{id}")
}

/// An article's place in the public timeline: which articles its page shows as `newer` and `older`.
pub fn neighbours(id: Uuid) -> String {
    format!("neighbours:{id}")
}

pub fn page(id: Uuid) -> String {
    format!("page:{id}")
}

pub fn tag(slug: &str) -> String {
    named("tag", slug)
}

pub fn author(slug: &str) -> String {
    named("author", slug)
}

/// The key of a resource named by its slug: a `tag` or an `author`.
pub fn named(kind: &str, slug: &str) -> String {
    format!("{kind}:{slug}")
}

/// A set of keys, written sorted and once each.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Keys(BTreeSet<String>);

impl Keys {
    pub fn of<I, S>(keys: I) -> Keys
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Keys(keys.into_iter().map(Into::into).collect())
    }

    pub fn add(&mut self, key: impl Into<String>) {
        self.0.insert(key.into());
    }

    pub fn extend(&mut self, other: Keys) {
        self.0.extend(other.0);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.0.iter().cloned().collect()
    }

    /// The header value: the keys separated by spaces.
    pub fn header(&self) -> String {
        self.0
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// One change-log entry, as far as purging is concerned.
pub struct Change<'a> {
    /// `article`, `page`, `tag`, `author` or `site`.
    pub resource: &'a str,
    pub id: Uuid,
    pub slug: &'a str,
    pub previous_slug: Option<&'a str>,
    /// Whether a reader without a token saw the change: only then can a shared cache hold what it changed.
    pub public: bool,
    /// For an article public after the change: its neighbours in the public timeline now (their pages show it).
    pub neighbours: &'a [Uuid],
}

/// The keys of the responses `change` made stale.
pub fn purged_by(change: &Change<'_>) -> Keys {
    let mut keys = Keys::default();
    if !change.public {
        return keys;
    }
    keys.add(CHANGES);
    let slugs = || std::iter::once(change.slug).chain(change.previous_slug);
    match change.resource {
        "article" => {
            keys.add(ARTICLES);
            keys.add(article(change.id));
            // It may have arrived next to them (a change that took it away is named by `article:{id}`).
            for n in change.neighbours {
                keys.add(neighbours(*n));
            }
        }
        "page" => {
            keys.add(PAGES);
            keys.add(page(change.id));
        }
        "tag" => {
            keys.add(TAGS);
            slugs().for_each(|s| keys.add(tag(s)));
        }
        "author" => {
            keys.add(AUTHORS);
            slugs().for_each(|s| keys.add(author(s)));
        }
        "site" => keys.add(SITE),
        _ => {}
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_purges_its_resource_its_collection_and_the_feed() {
        let id = Uuid::nil();
        let n = Uuid::from_u128(7);
        let published = Change {
            resource: "article",
            id,
            slug: "a",
            previous_slug: None,
            public: true,
            neighbours: &[n],
        };
        assert_eq!(
            purged_by(&published).to_vec(),
            [
                format!("article:{id}"),
                "articles".to_owned(),
                "changes".to_owned(),
                format!("neighbours:{n}"),
            ]
        );
        let renamed = Change {
            resource: "tag",
            id,
            slug: "rust",
            previous_slug: Some("rust-lang"),
            public: true,
            neighbours: &[],
        };
        assert_eq!(
            purged_by(&renamed).header(),
            "changes tag:rust tag:rust-lang tags"
        );
        let draft = Change {
            public: false,
            ..published
        };
        assert!(purged_by(&draft).is_empty(), "no shared cache saw a draft");
    }
}
