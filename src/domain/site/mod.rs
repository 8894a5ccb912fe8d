//! The site's settings: what a frontend needs besides content (title, navigation, the public URL) and what Folio
//! needs to speak of the site in absolute links (feeds, sitemaps): the URL and the permalink templates. A
//! `SiteSettings` is valid by construction (`SiteSettings::parse`); omitted fields take their defaults.

use chrono::{DateTime, Datelike, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use super::field_error::{self, FieldError};
use super::link;
pub use checks::encoded;
use checks::{locale_ok, site_url_ok, template_ok, timezone_ok};

mod checks;
#[cfg(test)]
mod tests;

/// A link of a navigation menu or of the social links.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"label": "About", "url": "/about/"}))]
pub struct NavLink {
    /// 1 to 100 characters.
    #[validate(length(min = 1, max = 100, message = "must be 1 to 100 characters"))]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub label: String,
    /// An http(s) URL or an absolute path on the site, at most 2000 characters.
    #[validate(
        length(max = 2000, message = "must be at most 2000 characters"),
        custom(function = "link::validate")
    )]
    #[schema(
        max_length = 2000,
        pattern = r"^(https?://[^\s\x00-\x1f\x7f-\x9f/?#\[\]]*([/?#][^\s\x00-\x1f\x7f-\x9f]*)?|/([^/\\\s\x00-\x1f\x7f-\x9f][^\s\x00-\x1f\x7f-\x9f]*)?)$"
    )]
    pub url: String,
}

/// Where each kind of content lives on the public site: a path holding `{slug}` once (articles may also use
/// `{year}`, `{month}` and `{day}` of their publication, in UTC).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
#[schema(example = json!({"article": "/blog/{slug}/", "page": "/{slug}/", "tag": "/tag/{slug}/", "author": "/author/{slug}/"}))]
pub struct Permalinks {
    #[schema(
        max_length = 200,
        pattern = r"^/([^\s{}?#\\\x00-\x1f\x7f-\x9f/][^\s{}?#\\\x00-\x1f\x7f-\x9f]*)?(\{(year|month|day)\}[^\s{}?#\\\x00-\x1f\x7f-\x9f]*)*\{slug\}[^\s{}?#\\\x00-\x1f\x7f-\x9f]*(\{(year|month|day)\}[^\s{}?#\\\x00-\x1f\x7f-\x9f]*)*$"
    )]
    pub article: String,
    #[schema(
        max_length = 200,
        pattern = r"^/([^\s{}?#\\\x00-\x1f\x7f-\x9f/][^\s{}?#\\\x00-\x1f\x7f-\x9f]*)?\{slug\}[^\s{}?#\\\x00-\x1f\x7f-\x9f]*$"
    )]
    pub page: String,
    #[schema(
        max_length = 200,
        pattern = r"^/([^\s{}?#\\\x00-\x1f\x7f-\x9f/][^\s{}?#\\\x00-\x1f\x7f-\x9f]*)?\{slug\}[^\s{}?#\\\x00-\x1f\x7f-\x9f]*$"
    )]
    pub tag: String,
    #[schema(
        max_length = 200,
        pattern = r"^/([^\s{}?#\\\x00-\x1f\x7f-\x9f/][^\s{}?#\\\x00-\x1f\x7f-\x9f]*)?\{slug\}[^\s{}?#\\\x00-\x1f\x7f-\x9f]*$"
    )]
    pub author: String,
}

impl Default for Permalinks {
    fn default() -> Self {
        Permalinks {
            article: "/blog/{slug}/".to_owned(),
            page: "/{slug}/".to_owned(),
            tag: "/tag/{slug}/".to_owned(),
            author: "/author/{slug}/".to_owned(),
        }
    }
}

/// What the feeds carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FeedContent {
    /// Each item's whole `body_html`.
    Full,
    /// Each item's summary only.
    Summary,
}

/// The feeds' settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct FeedSettings {
    /// `full` (default) or `summary`.
    pub content: FeedContent,
    /// How many of the newest articles a feed holds: 1 to 100 (default 20).
    #[schema(minimum = 1, maximum = 100)]
    #[serde(deserialize_with = "whole_number")]
    pub items: u8,
}

/// A whole number as JSON may write it: `48` or `48.0` (JSON Schema's `integer` is any number without a
/// fraction).
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    use serde::de::Error;
    let n = serde_json::Number::deserialize(d)?;
    n.as_u64()
        .or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && (0.0..=255.0).contains(f))
                .map(|f| f as u64)
        })
        .and_then(|v| u8::try_from(v).ok())
        .ok_or_else(|| D::Error::custom("must be a whole number from 1 to 100"))
}

impl Default for FeedSettings {
    fn default() -> Self {
        FeedSettings {
            content: FeedContent::Full,
            items: 20,
        }
    }
}

/// The site's settings, as `GET /site` answers them and `PUT /site` takes them (omitted fields take their
/// defaults).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields, default)]
#[schema(example = json!({
    "title": "Systems Notes",
    "description": "Essays on queues, caches & the tools that run them.",
    "url": "https://notes.example.com",
    "permalinks": {"article": "/blog/{slug}/", "page": "/{slug}/", "tag": "/tag/{slug}/", "author": "/author/{slug}/"},
    "logo_url": "https://notes.example.com/logo.svg",
    "icon_url": null,
    "locale": "en",
    "timezone": "Europe/Paris",
    "navigation": [{"label": "Home", "url": "/"}, {"label": "About", "url": "/about/"}],
    "secondary_navigation": [{"label": "RSS", "url": "/feed.xml"}],
    "social": [{"label": "GitHub", "url": "https://github.com/example"}],
    "feeds": {"content": "full", "items": 20}
}))]
pub struct SiteSettings {
    /// 1 to 200 characters (default `Folio`).
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub title: String,
    /// At most 500 characters.
    #[validate(length(max = 500, message = "must be at most 500 characters"))]
    #[schema(max_length = 500, pattern = r"^[^\u0000]*$")]
    pub description: String,
    /// The public site's address (`https://example.com`, or with a path prefix), from which feeds and sitemaps
    /// build absolute links; they answer 409 until it is set. At most 200 characters, no query or fragment;
    /// a final `/` is dropped.
    #[schema(
        max_length = 200,
        pattern = r"^https?://[A-Za-z0-9][A-Za-z0-9.-]*(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?(/[^\s?#\x00-\x1f\x7f-\x9f]*)?$"
    )]
    pub url: Option<String>,
    pub permalinks: Permalinks,
    /// An http(s) URL or an absolute path on the site.
    #[validate(
        custom(function = "link::validate"),
        length(max = 2000, message = "must be at most 2000 characters")
    )]
    #[schema(
        max_length = 2000,
        pattern = r"^(https?://[^\s\x00-\x1f\x7f-\x9f/?#\[\]]*([/?#][^\s\x00-\x1f\x7f-\x9f]*)?|/([^/\\\s\x00-\x1f\x7f-\x9f][^\s\x00-\x1f\x7f-\x9f]*)?)$"
    )]
    pub logo_url: Option<String>,
    /// An http(s) URL or an absolute path on the site.
    #[validate(
        custom(function = "link::validate"),
        length(max = 2000, message = "must be at most 2000 characters")
    )]
    #[schema(
        max_length = 2000,
        pattern = r"^(https?://[^\s\x00-\x1f\x7f-\x9f/?#\[\]]*([/?#][^\s\x00-\x1f\x7f-\x9f]*)?|/([^/\\\s\x00-\x1f\x7f-\x9f][^\s\x00-\x1f\x7f-\x9f]*)?)$"
    )]
    pub icon_url: Option<String>,
    /// A BCP 47 language tag (default `en`); the feeds' language.
    #[schema(max_length = 35, pattern = "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")]
    pub locale: String,
    /// An IANA time zone name for the frontend's dates (default `UTC`; its shape is checked, not its existence);
    /// Folio itself answers every date in UTC.
    #[schema(
        max_length = 64,
        pattern = "^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$"
    )]
    pub timezone: String,
    /// The primary menu, in order (at most 50 links).
    #[validate(length(max = 50, message = "at most 50 links"), nested)]
    #[schema(max_items = 50)]
    pub navigation: Vec<NavLink>,
    /// The secondary menu (a footer), in order (at most 50 links).
    #[validate(length(max = 50, message = "at most 50 links"), nested)]
    #[schema(max_items = 50)]
    pub secondary_navigation: Vec<NavLink>,
    /// Social profiles, in order (at most 50 links).
    #[validate(length(max = 50, message = "at most 50 links"), nested)]
    #[schema(max_items = 50)]
    pub social: Vec<NavLink>,
    pub feeds: FeedSettings,
}

impl Default for SiteSettings {
    fn default() -> Self {
        SiteSettings {
            title: "Folio".to_owned(),
            description: String::new(),
            url: None,
            permalinks: Permalinks::default(),
            logo_url: None,
            icon_url: None,
            locale: "en".to_owned(),
            timezone: "UTC".to_owned(),
            navigation: Vec::new(),
            secondary_navigation: Vec::new(),
            social: Vec::new(),
            feeds: FeedSettings::default(),
        }
    }
}

impl SiteSettings {
    /// The fields a write may hold.
    pub const FIELDS: [&'static str; 12] = [
        "title",
        "description",
        "url",
        "permalinks",
        "logo_url",
        "icon_url",
        "locale",
        "timezone",
        "navigation",
        "secondary_navigation",
        "social",
        "feeds",
    ];
    pub const OBJECTS: [&'static str; 2] = ["permalinks", "feeds"];

    /// Every rule of the settings; `url` loses a final `/`.
    pub fn parse(mut self) -> Result<SiteSettings, Vec<FieldError>> {
        let mut errors = field_error::from_validator(&self);
        if self.title.trim().is_empty() && !self.title.is_empty() {
            errors.push(FieldError::new("title", "length", "must not be blank"));
        }
        if let Some(url) = &self.url {
            let trimmed = url.trim_end_matches('/');
            if site_url_ok(trimmed) {
                self.url = Some(trimmed.to_owned());
            } else {
                errors.push(FieldError::new(
                    "url",
                    "url",
                    "must be an absolute http(s) URL without query or fragment, at most 200 characters",
                ));
            }
        }
        let p = &self.permalinks;
        for (field, template, extra) in [
            ("permalinks.article", &p.article, true),
            ("permalinks.page", &p.page, false),
            ("permalinks.tag", &p.tag, false),
            ("permalinks.author", &p.author, false),
        ] {
            if !template_ok(template, extra) {
                errors.push(FieldError::new(
                    field,
                    "format",
                    "must be a path starting with `/` that holds `{slug}` once, at most 200 characters",
                ));
            }
        }
        // Two kinds at one template would give two documents one URL.
        let mut templates: Vec<&str> = [&p.article, &p.page, &p.tag, &p.author]
            .iter()
            .map(|t| t.trim_end_matches('/'))
            .collect();
        templates.sort_unstable();
        if templates.windows(2).any(|w| w[0] == w[1]) {
            errors.push(FieldError::new(
                "permalinks",
                "conflict",
                "each kind needs a template of its own: two kinds at one template would share URLs",
            ));
        }
        for (menu, links) in [
            ("navigation", &self.navigation),
            ("secondary_navigation", &self.secondary_navigation),
            ("social", &self.social),
        ] {
            for (i, link) in links.iter().enumerate() {
                if link.label.trim().is_empty() && !link.label.is_empty() {
                    errors.push(FieldError::new(
                        format!("{menu}[{i}].label"),
                        "length",
                        "must not be blank",
                    ));
                }
            }
        }
        if !locale_ok(&self.locale) {
            errors.push(FieldError::new(
                "locale",
                "format",
                "must be a BCP 47 language tag such as `en` or `pt-BR`",
            ));
        }
        if !timezone_ok(&self.timezone) {
            errors.push(FieldError::new(
                "timezone",
                "format",
                "must be an IANA time zone name such as `Europe/Paris`",
            ));
        }
        if !(1..=100).contains(&self.feeds.items) {
            errors.push(FieldError::new("feeds.items", "range", "must be 1 to 100"));
        }
        if errors.is_empty() {
            Ok(self)
        } else {
            Err(field_error::tidy(errors))
        }
    }

    /// `path` on the site at `base` (the site's URL), percent-encoded as a URL must be (a template or a site URL
    /// may hold characters that a URL escapes).
    pub fn absolute_url(&self, base: &str, path: &str) -> String {
        encoded(&format!("{base}{path}"))
    }

    /// The public path of an article published at `at`.
    pub fn article_path(&self, slug: &str, at: DateTime<Utc>) -> String {
        self.permalinks
            .article
            .replace("{slug}", slug)
            .replace("{year}", &format!("{:04}", at.year()))
            .replace("{month}", &format!("{:02}", at.month()))
            .replace("{day}", &format!("{:02}", at.day()))
    }

    pub fn page_path(&self, slug: &str) -> String {
        self.permalinks.page.replace("{slug}", slug)
    }

    pub fn tag_path(&self, slug: &str) -> String {
        self.permalinks.tag.replace("{slug}", slug)
    }

    pub fn author_path(&self, slug: &str) -> String {
        self.permalinks.author.replace("{slug}", slug)
    }
}
