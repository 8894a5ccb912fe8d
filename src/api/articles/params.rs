//! The query parameters of article listings, parsed strictly: a bad value is a 400 that names the parameter.

use serde::Deserialize;
use utoipa::IntoParams;

use crate::api::auth::Caller;
use crate::api::listing;
use crate::api::problem::ApiError;
use crate::domain::article::Visibility;
use crate::domain::cursor::Cursor;
use crate::domain::scope::Scope;
use crate::store::articles::{Filters, Include, ListQuery, Sort, Window};

/// Query parameters of article listings. Unknown parameters are rejected.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ArticleListParams {
    /// Page number (page mode), from 1; a page past the last is empty. Not with `cursor`.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 10000000, example = 2)]
    pub page: Option<String>,
    /// Items per page, 1 to 100 (default 10; 3 on `/featured`).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100, example = 10)]
    pub per_page: Option<String>,
    /// Cursor mode: an opaque cursor from `next_cursor` / `prev_cursor`, or empty for the first page.
    #[param(value_type = Option<String>)]
    pub cursor: Option<String>,
    /// Tag slugs, comma separated: articles with any of them.
    #[param(value_type = Option<String>, example = "rust,databases", max_length = 2000, pattern = r"^\s*[a-z0-9]+(-[a-z0-9]+)*\s*(,\s*[a-z0-9]+(-[a-z0-9]+)*\s*)*$")]
    pub tag: Option<String>,
    /// Tag slugs, comma separated: articles with every one of them.
    #[param(value_type = Option<String>, example = "rust,databases", max_length = 2000, pattern = r"^\s*[a-z0-9]+(-[a-z0-9]+)*\s*(,\s*[a-z0-9]+(-[a-z0-9]+)*\s*)*$")]
    pub tag_all: Option<String>,
    /// An author slug.
    #[param(value_type = Option<String>, example = "ada", max_length = 2000, pattern = r"^\s*[a-z0-9]+(-[a-z0-9]+)*\s*$")]
    pub author: Option<String>,
    /// `true` or `false`.
    #[param(value_type = Option<bool>)]
    pub featured: Option<String>,
    /// Full-text search over title, summary and body, in web-search syntax (`"exact phrase"`, `-word`, `or`).
    /// Results come by relevance unless `sort` is given, each with a `highlight`. A word of 5 letters or more also
    /// finds a known word one typo away (two from 9 letters), ranked below exact matches; unless the text ends in a
    /// space, its last word is a prefix (`consis` finds "consistent"). Relevance ranks a bounded set of candidates
    /// (500 of the newest matches, and up to 100 title and summary matches): every match, unless a query matches
    /// more. A whole word ranks above a word only begun, and an exact word above a typo.
    #[param(value_type = Option<String>, max_length = 500, example = "message queues", pattern = r"^[^\u0000]*$")]
    pub q: Option<String>,
    /// Only articles published at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-01-01T00:00:00Z")]
    pub published_after: Option<String>,
    /// Only articles published before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime, example = "2026-02-01T00:00:00Z")]
    pub published_before: Option<String>,
    /// `-published_at` (default), `published_at`, `title` or `-updated_at`.
    #[param(value_type = Option<String>, pattern = "^(-published_at|published_at|title|-updated_at)$", example = "-published_at")]
    pub sort: Option<String>,
    /// Article fields to return, comma separated (sparse fieldset), e.g. `slug,title,published_at`.
    #[param(value_type = Option<String>, example = "slug,title,summary,published_at", max_length = 1000,
            pattern = r"^\s*(id|slug|title|summary|word_count|reading_time_minutes|status|featured|published_at|created_at|updated_at|version|tags|primary_tag|authors|primary_author|cover_image|seo|body_markdown|body_html|toc|highlight)\s*(,\s*(id|slug|title|summary|word_count|reading_time_minutes|status|featured|published_at|created_at|updated_at|version|tags|primary_tag|authors|primary_author|cover_image|seo|body_markdown|body_html|toc|highlight)\s*)*$")]
    pub fields: Option<String>,
    /// With a `content:read` token: `draft`, `scheduled`, `published` (default) or `any`.
    #[param(value_type = Option<String>, pattern = "^(draft|scheduled|published|any)$")]
    pub status: Option<String>,
}

/// The statuses a read may ask for; anything but `published` needs a `content:read` token.
fn visibility(caller: &Caller, status: Option<&str>) -> Result<Visibility, ApiError> {
    let wanted = listing::one_of(
        "status",
        status,
        &[
            ("published", Visibility::Public),
            ("draft", Visibility::Draft),
            ("scheduled", Visibility::Scheduled),
            ("any", Visibility::Any),
        ],
        Visibility::Public,
    )?;
    if wanted != Visibility::Public {
        caller.require(Scope::ContentRead)?;
    }
    Ok(wanted)
}

const CARD_FIELDS: [&str; 20] = [
    "id",
    "slug",
    "title",
    "summary",
    "word_count",
    "reading_time_minutes",
    "status",
    "featured",
    "published_at",
    "created_at",
    "updated_at",
    "version",
    "tags",
    "primary_tag",
    "authors",
    "primary_author",
    "cover_image",
    "seo",
    "body_markdown",
    "body_html",
];

/// `fields`: the named fields, each a known article field (or `highlight`, which only a search answers), or
/// `None` for the default card.
fn fields(value: Option<&str>) -> Result<Option<Vec<String>>, ApiError> {
    fields_among(value, &["highlight"])
}

/// `fields`: the named fields, each a card field, `toc`, or one of `extra`.
pub(super) fn fields_among(
    value: Option<&str>,
    extra: &[&str],
) -> Result<Option<Vec<String>>, ApiError> {
    let Some(value) = listing::text("fields", value, 1000)? else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for name in value.split(',').map(str::trim) {
        let known = CARD_FIELDS.contains(&name) || name == "toc" || extra.contains(&name);
        if !known {
            let mut all = CARD_FIELDS.to_vec();
            all.push("toc");
            all.extend_from_slice(extra);
            return Err(ApiError::BadRequest(format!(
                "query parameter `fields` names `{name}`, which is not an article field here; known: {}",
                all.join(", ")
            )));
        }
        if !out.iter().any(|f| f == name) {
            out.push(name.to_owned());
        }
    }
    Ok(Some(out))
}

pub(super) fn include_for(fields: Option<&[String]>) -> Include {
    let has = |n: &str| fields.is_some_and(|f| f.iter().any(|x| x == n));
    let card = |n: &str| fields.is_none() || has(n);
    Include {
        body_markdown: has("body_markdown"),
        body_html: has("body_html"),
        toc: has("toc"),
        tags: card("tags") || card("primary_tag"),
        authors: card("authors") || card("primary_author"),
    }
}

pub(super) struct Parsed {
    pub query: ListQuery,
    pub fields: Option<Vec<String>>,
    pub cursor_text: Option<String>,
}

pub(super) fn parse(
    params: &ArticleListParams,
    caller: &Caller,
    secret: &[u8],
    default_per_page: i64,
    featured: Option<bool>,
) -> Result<Parsed, ApiError> {
    let visibility = visibility(caller, params.status.as_deref())?;
    let per_page = listing::integer(
        "per_page",
        params.per_page.as_deref(),
        1,
        100,
        default_per_page,
    )?;
    // A search with nothing searchable in it (`q=---`) matches nothing, as a search of stop words does. A
    // trailing space is kept: it says the last word is complete (not a prefix still being typed).
    let q = listing::text("q", params.q.as_deref(), 500)?
        .map(str::trim_start)
        .filter(|q| !q.is_empty())
        .map(str::to_owned);
    let sort = listing::one_of(
        "sort",
        params.sort.as_deref(),
        &[
            ("-published_at", Sort::PublishedDesc),
            ("published_at", Sort::PublishedAsc),
            ("title", Sort::Title),
            ("-updated_at", Sort::UpdatedDesc),
        ],
        if q.is_some() {
            Sort::Relevance
        } else {
            Sort::PublishedDesc
        },
    )?;
    let filters = Filters {
        tags_any: listing::slugs("tag", params.tag.as_deref())?,
        tags_all: listing::slugs("tag_all", params.tag_all.as_deref())?,
        author: listing::slugs("author", params.author.as_deref())?
            .into_iter()
            .next(),
        featured: featured.or(listing::boolean("featured", params.featured.as_deref())?),
        q,
        published_after: listing::timestamp("published_after", params.published_after.as_deref())?,
        published_before: listing::timestamp(
            "published_before",
            params.published_before.as_deref(),
        )?,
    };
    if params.author.as_deref().is_some_and(|a| a.contains(',')) {
        return Err(ApiError::BadRequest(
            "query parameter `author` takes one author slug".to_owned(),
        ));
    }
    let window = match (&params.page, &params.cursor) {
        (Some(_), Some(_)) => {
            return Err(ApiError::BadRequest(
                "query parameters `page` and `cursor` cannot be combined: use one pagination mode"
                    .to_owned(),
            ))
        }
        (_, Some(c)) if c.is_empty() => Window::Cursor {
            cursor: None,
            per_page,
        },
        (_, Some(c)) => {
            let cursor = Cursor::decode(secret, c)
                .ok()
                .filter(|cur| cur.sort == sort.name())
                .ok_or_else(|| {
                    ApiError::BadRequest(
                        "query parameter `cursor` is not a cursor this listing issued (with these `sort` and `q`)"
                            .to_owned(),
                    )
                })?;
            Window::Cursor {
                cursor: Some(cursor),
                per_page,
            }
        }
        (page, None) => Window::Page {
            page: listing::integer("page", page.as_deref(), 1, 10_000_000, 1)?,
            per_page,
        },
    };
    let fields = fields(params.fields.as_deref())?;
    Ok(Parsed {
        query: ListQuery {
            visibility,
            filters,
            sort,
            window,
            include: include_for(fields.as_deref()),
        },
        fields,
        cursor_text: params.cursor.clone(),
    })
}

/// Query parameters of a single article. Unknown parameters are rejected.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ArticleParams {
    /// Article fields to return, comma separated (sparse fieldset), e.g. `slug,title,body_html`; `newer` and
    /// `older` may be named too.
    #[param(value_type = Option<String>, example = "slug,title,body_html", max_length = 1000,
            pattern = r"^\s*(id|slug|title|summary|word_count|reading_time_minutes|status|featured|published_at|created_at|updated_at|version|tags|primary_tag|authors|primary_author|cover_image|seo|body_markdown|body_html|toc|newer|older)\s*(,\s*(id|slug|title|summary|word_count|reading_time_minutes|status|featured|published_at|created_at|updated_at|version|tags|primary_tag|authors|primary_author|cover_image|seo|body_markdown|body_html|toc|newer|older)\s*)*$")]
    pub fields: Option<String>,
}
