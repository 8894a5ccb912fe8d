//! The write rules of an article ("parse, don't validate"): an `ArticleInput` as a client sent it becomes an
//! `ArticleWrite` (valid, its slug settled, its Markdown rendered) or the list of every invalid field. The API,
//! the seeder and the CLI all write through here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use validator::Validate;

use super::Status;
use crate::domain::field_error::{self, FieldError};
use crate::domain::link;
use crate::domain::markdown::{self, TocEntry};
use crate::domain::slug::Slug;

pub const MAX_TAGS: usize = 100;
pub const MAX_AUTHORS: usize = 20;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"url": "https://example.com/cover.jpg", "alt": "A harbour at dawn"}))]
pub struct CoverImage {
    /// An http(s) URL or an absolute path on the site, 1 to 2000 characters.
    #[schema(
        min_length = 1,
        max_length = 2000,
        pattern = r"^(https?://[^\s\x00-\x1f\x7f-\x9f/?#\[\]]*([/?#][^\s\x00-\x1f\x7f-\x9f]*)?|/([^/\\\s\x00-\x1f\x7f-\x9f][^\s\x00-\x1f\x7f-\x9f]*)?)$"
    )]
    pub url: String,
    /// At most 500 characters.
    #[serde(default)]
    #[schema(max_length = 500, pattern = r"^[^\u0000]*$")]
    pub alt: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"meta_title": "Queues, explained", "meta_description": null, "canonical_url": null}))]
pub struct Seo {
    #[serde(default)]
    #[schema(max_length = 200, pattern = r"^[^\u0000]*$")]
    pub meta_title: Option<String>,
    #[serde(default)]
    #[schema(max_length = 500, pattern = r"^[^\u0000]*$")]
    pub meta_description: Option<String>,
    /// An http(s) URL or an absolute path on the site, at most 2000 characters.
    #[serde(default)]
    #[schema(
        max_length = 2000,
        pattern = r"^(https?://[^\s\x00-\x1f\x7f-\x9f/?#\[\]]*([/?#][^\s\x00-\x1f\x7f-\x9f]*)?|/([^/\\\s\x00-\x1f\x7f-\x9f][^\s\x00-\x1f\x7f-\x9f]*)?)$"
    )]
    pub canonical_url: Option<String>,
}

/// A tag name: 1 to 100 characters, not only spaces, from which a slug is derived (transliterated to ASCII
/// letters and digits: `Café` is `cafe`, an emoji its name); a name with nothing to derive one from is refused.
#[derive(ToSchema)]
#[schema(value_type = String, min_length = 1, max_length = 100, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
pub struct TagNameText(#[allow(dead_code)] String);

/// A slug: 1 to 120 characters of a-z, 0-9 and single inner hyphens.
#[derive(ToSchema)]
#[schema(value_type = String, max_length = 120, pattern = "^[a-z0-9]+(-[a-z0-9]+)*$")]
pub struct SlugText(#[allow(dead_code)] String);

/// The fields of an article write, as JSON or as the front matter of a Markdown document.
#[derive(Debug, Default, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "Message Queues Explained — SQS vs Kafka vs SNS",
    "body_markdown": "## Why queues?\n\nBecause producers and consumers fail at different times.",
    "status": "published",
    "published_at": "2026-04-18T09:00:00Z",
    "featured": true,
    "tags": ["System Design", "AWS"],
    "authors": ["ada"],
    "cover_image": {"url": "https://example.com/cover.jpg", "alt": "A harbour at dawn"},
    "seo": {"meta_title": "Queues, explained", "meta_description": null, "canonical_url": null}
}))]
pub struct ArticleInput {
    /// 1 to 200 characters, not all white space.
    #[serde(default)]
    #[validate(length(min = 1, max = 200, message = "must be 1 to 200 characters"))]
    #[schema(
        required = true,
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub title: String,
    /// Derived from the title when absent. On `PUT` it must equal the slug in the path.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120)]
    pub slug: Option<String>,
    /// At most 500 characters; derived from the body when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 500, message = "must be at most 500 characters"))]
    #[schema(max_length = 500, pattern = r"^[^\u0000]*$")]
    pub summary: Option<String>,
    /// CommonMark with tables, strikethrough, task lists and footnotes. In a Markdown body, the text after the
    /// front matter.
    #[serde(default)]
    #[schema(required = true, pattern = r"^[^\u0000]*$")]
    pub body_markdown: String,
    /// `draft` (default) or `published`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^(draft|published)$")]
    pub status: Option<String>,
    /// When it is (or was) published; in the future, the article reads as `scheduled` until then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<DateTime<Utc>>,
    /// Default false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub featured: Option<bool>,
    /// Tag names (1 to 100 characters each), in order; the first is the primary tag. A name whose slug is new
    /// creates the tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 100, message = "at most 100 tags"))]
    #[schema(max_items = 100, inline, value_type = Option<Vec<TagNameText>>)]
    pub tags: Option<Vec<String>>,
    /// Author slugs, in order; each must exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[validate(length(max = 20, message = "at most 20 authors"))]
    #[schema(max_items = 20, inline, value_type = Option<Vec<SlugText>>)]
    pub authors: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cover_image: Option<CoverImage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seo: Option<Seo>,
}

impl ArticleInput {
    /// Every field a write body may hold.
    pub const FIELDS: [&'static str; 11] = [
        "title",
        "slug",
        "summary",
        "body_markdown",
        "status",
        "published_at",
        "featured",
        "tags",
        "authors",
        "cover_image",
        "seo",
    ];
    /// The fields that must be JSON objects (serde would also take an array of the values in order).
    pub const OBJECTS: [&'static str; 2] = ["cover_image", "seo"];
    /// The fields a write body must hold.
    pub const REQUIRED: [&'static str; 2] = ["title", "body_markdown"];
}

/// A tag an article names: the slug it is known by, and the name it gets if it is new.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TagName {
    pub slug: String,
    pub name: String,
}

/// Everything a write stores: valid, with its slug settled and its Markdown rendered.
#[derive(Debug, Clone)]
pub struct ArticleWrite {
    pub slug: String,
    pub title: String,
    /// `None`: use `derived_summary`, and keep following the body.
    pub summary: Option<String>,
    pub derived_summary: String,
    pub body_markdown: String,
    pub body_html: String,
    pub body_text: String,
    pub toc: Vec<TocEntry>,
    pub word_count: i32,
    pub reading_time_minutes: i32,
    pub status: Status,
    pub published_at: Option<DateTime<Utc>>,
    pub featured: bool,
    /// In order, without duplicate slugs. New slugs become new tags.
    pub tags: Vec<TagName>,
    /// Author slugs in order, without duplicates. Each must exist.
    pub authors: Vec<String>,
    pub cover_image: Option<CoverImage>,
    pub seo: Seo,
    /// The hashes of the uploaded files the body and the cover image mention (`…/media/{hash}/…`).
    pub media: Vec<String>,
}

fn too_long(text: Option<&String>, max: usize) -> bool {
    text.is_some_and(|t| t.chars().count() > max)
}

/// Collects the field errors of one parse.
struct Errors(Vec<FieldError>);

impl Errors {
    fn add(&mut self, field: &str, code: &str, message: &str) {
        self.0.push(FieldError::new(field, code, message));
    }
}

impl ArticleWrite {
    /// Applies every write rule to `input`. `path_slug` is the slug in a `PUT`'s URL, which a body `slug` must
    /// equal. Renders the Markdown: call it off the HTTP workers.
    pub fn parse(
        input: ArticleInput,
        path_slug: Option<&str>,
    ) -> Result<ArticleWrite, Vec<FieldError>> {
        let mut errors = Errors(field_error::from_validator(&input));
        if input.title.trim().is_empty() && !input.title.is_empty() {
            errors.add("title", "length", "must not be blank");
        }
        if input
            .published_at
            .is_some_and(|t| !crate::domain::time::representable(&t))
        {
            errors.add(
                "published_at",
                "range",
                "must be between years 0001 and 9999 (UTC)",
            );
        }
        let slug = settle_slug(&input, path_slug, &mut errors);
        let status = match input.status.as_deref() {
            None | Some("draft") => Status::Draft,
            Some("published") => Status::Published,
            Some("scheduled") => {
                errors.add(
                    "status",
                    "enum",
                    "write `published` with a future `published_at` to schedule an article",
                );
                Status::Draft
            }
            Some(_) => {
                errors.add("status", "enum", "must be `draft` or `published`");
                Status::Draft
            }
        };
        let tags = tag_names(input.tags.as_deref().unwrap_or_default(), &mut errors);
        let authors = author_slugs(input.authors.as_deref().unwrap_or_default(), &mut errors);
        check_cover_and_seo(&input, &mut errors);
        let slug = match slug {
            Some(slug) if errors.0.is_empty() => slug,
            _ => return Err(field_error::tidy(errors.0)),
        };

        let rendered = markdown::render_checked(&input.body_markdown).map_err(|e| {
            vec![FieldError::new(
                "body_markdown",
                "too_complex",
                e.to_string(),
            )]
        })?;
        let to_i32 = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
        let mut media = crate::domain::media::mentioned(&input.body_markdown);
        if let Some(cover) = &input.cover_image {
            media.extend(crate::domain::media::mentioned(&cover.url));
        }
        Ok(ArticleWrite {
            slug,
            title: input.title,
            summary: input.summary,
            derived_summary: rendered.summary,
            body_markdown: input.body_markdown,
            body_html: rendered.html,
            body_text: rendered.text,
            toc: rendered.toc,
            word_count: to_i32(rendered.word_count),
            reading_time_minutes: to_i32(rendered.reading_time_minutes),
            status,
            published_at: input.published_at.map(crate::domain::time::as_stored),
            featured: input.featured.unwrap_or(false),
            tags,
            authors,
            cover_image: input.cover_image,
            seo: input.seo.unwrap_or_default(),
            media: media.into_iter().collect(),
        })
    }

    /// Renders the body again knowing the uploaded images it shows (their sizes and variants). The Markdown
    /// passed `parse`'s limits already.
    pub fn show_images(&mut self, images: &markdown::Images) {
        if images.is_empty() {
            return;
        }
        if let Ok(rendered) = markdown::render_checked_with(&self.body_markdown, images) {
            self.body_html = rendered.html;
        }
    }

    /// The summary stored: the given one, or the one derived from the body.
    pub fn stored_summary(&self) -> &str {
        self.summary.as_deref().unwrap_or(&self.derived_summary)
    }

    pub fn toc_json(&self) -> Value {
        serde_json::to_value(&self.toc).unwrap_or_else(|_| Value::Array(Vec::new()))
    }

    pub fn cover_image_json(&self) -> Option<Value> {
        self.cover_image
            .as_ref()
            .and_then(|c| serde_json::to_value(c).ok())
    }

    pub fn seo_json(&self) -> Value {
        serde_json::to_value(&self.seo).unwrap_or_else(|_| Value::Object(Default::default()))
    }
}

fn settle_slug(
    input: &ArticleInput,
    path_slug: Option<&str>,
    errors: &mut Errors,
) -> Option<String> {
    let slug = match (&input.slug, path_slug) {
        (Some(given), _) => match Slug::parse(given) {
            Ok(s) => Some(s.into_string()),
            Err(e) => {
                errors.add("slug", "format", &e.to_string());
                None
            }
        },
        (None, Some(path)) => Some(path.to_owned()),
        (None, None) => match Slug::derive(&input.title) {
            Some(s) => Some(s.into_string()),
            None if input.title.is_empty() => None,
            None => {
                errors.add(
                    "title",
                    "format",
                    "has no letters or digits to derive a slug from; give a `slug`",
                );
                None
            }
        },
    };
    if let (Some(given), Some(path)) = (&input.slug, path_slug) {
        if given != path {
            errors.add(
                "slug",
                "mismatch",
                "must equal the slug in the URL; use PATCH to rename",
            );
        }
    }
    slug
}

fn tag_names(names: &[String], errors: &mut Errors) -> Vec<TagName> {
    let mut tags: Vec<TagName> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let field = format!("tags[{i}]");
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            errors.add(&field, "length", "must be 1 to 100 characters");
        } else if let Some(slug) = Slug::derive(name) {
            if !tags.iter().any(|t| t.slug == slug.as_str()) {
                tags.push(TagName {
                    slug: slug.into_string(),
                    name: name.to_owned(),
                });
            }
        } else {
            errors.add(
                &field,
                "format",
                "has no letters or digits to make a tag slug from",
            );
        }
    }
    tags
}

fn author_slugs(slugs: &[String], errors: &mut Errors) -> Vec<String> {
    let mut authors: Vec<String> = Vec::new();
    for (i, slug) in slugs.iter().enumerate() {
        match Slug::parse(slug) {
            Ok(s) if !authors.iter().any(|a| a == s.as_str()) => authors.push(s.into_string()),
            Ok(_) => {}
            Err(e) => errors.add(&format!("authors[{i}]"), "format", &e.to_string()),
        }
    }
    authors
}

fn check_cover_and_seo(input: &ArticleInput, errors: &mut Errors) {
    if let Some(cover) = &input.cover_image {
        if cover.url.is_empty() || cover.url.chars().count() > 2000 || !link::is_safe(&cover.url) {
            errors.add("cover_image.url", "url", link::RULE);
        }
        if too_long(cover.alt.as_ref(), 500) {
            errors.add(
                "cover_image.alt",
                "length",
                "must be at most 500 characters",
            );
        }
    }
    let Some(seo) = &input.seo else { return };
    if too_long(seo.meta_title.as_ref(), 200) {
        errors.add("seo.meta_title", "length", "must be at most 200 characters");
    }
    if too_long(seo.meta_description.as_ref(), 500) {
        errors.add(
            "seo.meta_description",
            "length",
            "must be at most 500 characters",
        );
    }
    if seo
        .canonical_url
        .as_ref()
        .is_some_and(|u| u.chars().count() > 2000 || !link::is_safe(u))
    {
        errors.add("seo.canonical_url", "url", link::RULE);
    }
}
