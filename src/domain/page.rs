//! Pages: standalone documents (About, Uses, Now) written by the article rules (Markdown rendering, front matter,
//! slug derivation, drafts and scheduling), without what places an article among others: tags, authors, the
//! featured flag. A `PageInput` becomes an `ArticleInput` with those empty, and `ArticleWrite::parse` decides.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::article::{ArticleInput, CoverImage, Seo};

/// The fields of a page write, as JSON or as the front matter of a Markdown document.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "title": "About",
    "body_markdown": "I write about distributed systems & the tools that run them.",
    "status": "published"
}))]
pub struct PageInput {
    /// 1 to 200 characters, not all white space.
    #[serde(default)]
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
    /// When it is (or was) published; in the future, the page reads as `scheduled` until then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cover_image: Option<CoverImage>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seo: Option<Seo>,
}

impl PageInput {
    /// Every field a page write may hold: an article's, less tags, authors and `featured`.
    pub const FIELDS: [&'static str; 8] = [
        "title",
        "slug",
        "summary",
        "body_markdown",
        "status",
        "published_at",
        "cover_image",
        "seo",
    ];
}

impl From<PageInput> for ArticleInput {
    fn from(p: PageInput) -> ArticleInput {
        ArticleInput {
            title: p.title,
            slug: p.slug,
            summary: p.summary,
            body_markdown: p.body_markdown,
            status: p.status,
            published_at: p.published_at,
            featured: None,
            tags: None,
            authors: None,
            cover_image: p.cover_image,
            seo: p.seo,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_field_is_an_article_field() {
        for f in PageInput::FIELDS {
            assert!(ArticleInput::FIELDS.contains(&f), "{f}");
        }
        for f in ["tags", "authors", "featured"] {
            assert!(!PageInput::FIELDS.contains(&f), "{f}");
        }
    }
}
