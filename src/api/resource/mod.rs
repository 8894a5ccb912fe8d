//! What slug-addressed resources share over HTTP (tags, authors, and the next of their kind): the listing, the
//! single read, and the writes with their rules (name trimmed, slug given or derived, `PUT`'s slug equal to the
//! URL's, unknown fields refused, merge patches applied inside one store transaction). A resource states its own
//! fields and rules by implementing `Resource`; its handlers stay thin and documented on their own.

use crate::domain::surrogate::{self, Keys};
use actix_web::http::header::{self, HeaderValue};
use actix_web::web::{Path, Payload, Query};
use actix_web::{HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::IntoParams;
use validator::Validate;

use super::auth::{Caller, Writer};
use super::body::{self, BodyKind};
use super::listing;
use super::problem::{ApiError, FieldError, Subject, TxError};
use super::views::{Links, Meta};
use super::{run_about, Answer, Ctx};

mod handlers;

use crate::domain::field_error;
use crate::domain::scope::Scope;
use crate::domain::slug::Slug;
use crate::state::AppState;
use crate::store::resource::{self as store, ListQuery, Record, SlugTable, Sort};
pub(crate) use handlers::slug_resource_handlers;

/// A slug-addressed resource as the API serves it: its names, its fields, and how a valid input becomes a row.
/// A body's `name` and `slug` fields are handled here for every resource.
pub trait Resource: SlugTable + 'static {
    /// Its name in messages: `tag`.
    const KIND: &'static str;
    /// Its collection under `/api/v1`: `tags`.
    const COLLECTION: &'static str;
    /// Every field a write body may hold; `name` and `slug` among them.
    const FIELDS: &'static [&'static str];
    /// Whether anyone may see a row that no public article uses. Tags are created by drafts too, so an unused tag
    /// can name an embargoed topic: anonymous callers do not see those; `content:read` tokens do.
    const PUBLIC_WHEN_UNUSED: bool;
    /// A write body, with `validator` rules for its fields.
    type Input: DeserializeOwned + Validate;
    type View: Serialize + From<Record<Self::Write>>;

    /// The row a valid input stores at `slug`.
    fn write(input: Self::Input, slug: String) -> Self::Write;
}

fn subject<R: Resource>(slug: &str) -> Subject<'_> {
    Subject {
        kind: R::KIND,
        slug,
    }
}

/// Reads of one row take no query parameter: an unknown one is a 400, as on listings.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// Query parameters of the tag and author listings.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ResourceListParams {
    /// Page number, from 1.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 10000000)]
    pub page: Option<String>,
    /// Items per page, 1 to 1000 (default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub per_page: Option<String>,
    /// `name` (default) or `-article_count`.
    #[param(value_type = Option<String>, pattern = "^(name|-article_count)$")]
    pub sort: Option<String>,
    /// `true`: only those with at least one public article. Anonymous callers never see tags without one (a
    /// draft's tags would reveal its topic); a `content:read` token sees them unless this is `true`.
    #[param(value_type = Option<bool>)]
    pub hide_empty: Option<String>,
}

/// A page of the resource; `page` builds the documented page type from its parts.
/// Whether `caller` sees rows no public article uses.
fn sees_unused<R: Resource>(caller: &Caller) -> bool {
    R::PUBLIC_WHEN_UNUSED || caller.require(Scope::ContentRead).is_ok()
}

pub async fn list<R: Resource, L: Serialize>(
    Ctx { req, state }: Ctx,
    caller: Caller,
    params: Query<ResourceListParams>,
    page: fn(Vec<R::View>, Meta, Links) -> L,
) -> Answer {
    let query = ListQuery {
        page: listing::integer("page", params.page.as_deref(), 1, 10_000_000, 1)?,
        per_page: listing::integer("per_page", params.per_page.as_deref(), 1, 1000, 100)?,
        sort: listing::one_of(
            "sort",
            params.sort.as_deref(),
            &[
                ("name", Sort::Name),
                ("-article_count", Sort::ArticleCountDesc),
            ],
            Sort::Name,
        )?,
        hide_empty: listing::boolean("hide_empty", params.hide_empty.as_deref())?.unwrap_or(false)
            || !sees_unused::<R>(&caller),
    };
    let counted = super::run(&state, move |conn| store::list::<R>(conn, query)).await?;
    let (pagination, links) = listing::page_links(
        &req,
        query.page,
        query.per_page,
        listing::Total {
            count: counted.total,
            exact: true,
        },
        false,
    );
    let mut res = HttpResponse::Ok();
    listing::link_header(&mut res, &links);
    // Their article counts depend on the public articles; any public change of one of them purges the
    // collection's key, so the listing needs no key per item (a thousand names would not fit a CDN's header).
    super::surrogate::keyed(&mut res, &Keys::of([R::COLLECTION, surrogate::ARTICLES]));
    let data = counted.rows.into_iter().map(R::View::from).collect();
    Ok(res.json(page(data, Meta { pagination }, links)))
}

/// The path's slug, or a 404 for anything that cannot be one.
fn path_slug<R: Resource>(slug: &str) -> Result<String, ApiError> {
    subject::<R>(slug).path_slug()
}

pub async fn get<R: Resource>(
    Ctx { state, .. }: Ctx,
    caller: Caller,
    slug: Path<String>,
) -> Answer {
    let slug = path_slug::<R>(&slug)?;
    let lookup = slug.clone();
    let record = run_about(&state, subject::<R>(&slug), move |conn| {
        store::get::<R>(conn, &lookup)
    })
    .await?;
    if record.article_count == 0 && !sees_unused::<R>(&caller) {
        return Err(subject::<R>(&slug).not_found());
    }
    let mut res = HttpResponse::Ok();
    super::surrogate::keyed(
        &mut res,
        &Keys::of([
            surrogate::named(R::KIND, &slug),
            surrogate::ARTICLES.to_owned(),
        ]),
    );
    Ok(res.json(R::View::from(record)))
}

/// The write rules every resource shares, then its own: `map` holds the body's fields, `path` is the slug in a
/// `PUT`'s URL.
fn to_write<R: Resource>(
    mut map: Map<String, Value>,
    path: Option<&str>,
) -> Result<R::Write, ApiError> {
    // Names are stored trimmed, so they are validated trimmed: a blank name is a 422, not a CHECK violation.
    if let Some(Value::String(name)) = map.get_mut("name") {
        *name = name.trim().to_owned();
    }
    let name = map
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let given = map.get("slug").and_then(Value::as_str).map(str::to_owned);
    let input: R::Input = body::fields(map, R::FIELDS, &["name"])?;
    let mut errors = field_error::from_validator(&input);
    let slug = match (given.as_deref(), path) {
        (Some(s), Some(p)) if s != p => {
            errors.push(FieldError::new(
                "slug",
                "mismatch",
                "must equal the slug in the URL",
            ));
            None
        }
        (Some(s), _) => match Slug::parse(s) {
            Ok(s) => Some(s.into_string()),
            Err(e) => {
                errors.push(FieldError::new("slug", "format", e.to_string()));
                None
            }
        },
        (None, Some(p)) => Some(p.to_owned()),
        (None, None) => Slug::derive(&name).map(Slug::into_string),
    };
    if slug.is_none() && errors.is_empty() {
        errors.push(FieldError::new(
            "name",
            "format",
            "has no letters or digits to derive a slug from; give a `slug`",
        ));
    }
    match slug {
        Some(slug) if errors.is_empty() => Ok(R::write(input, slug)),
        _ => Err(ApiError::validation(errors)),
    }
}

async fn read_body(
    req: &HttpRequest,
    payload: Payload,
    state: &AppState,
    kinds: &[BodyKind],
) -> Result<serde_json::Map<String, Value>, ApiError> {
    body::kind(req, kinds)?;
    body::json_object(&body::read(req, payload, state.max_body_bytes()).await?)
}

fn written<R: Resource>(created: bool, record: Record<R::Write>) -> HttpResponse {
    let mut res = if created {
        let mut res = HttpResponse::Created();
        res.insert_header((
            header::LOCATION,
            format!(
                "{}/{}/{}",
                super::API_PREFIX,
                R::COLLECTION,
                R::slug(&record.content)
            ),
        ));
        res
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    ));
    res.json(R::View::from(record))
}

pub async fn create<R: Resource>(Ctx { req, state }: Ctx, _: Writer, payload: Payload) -> Answer {
    let map = read_body(&req, payload, &state, &[BodyKind::Json]).await?;
    let write = to_write::<R>(map, None)?;
    let record = super::run(&state, move |conn| {
        store::create::<R>(conn, &write)
            .map_err(|e| ApiError::from_store(e, subject::<R>(R::slug(&write))))
    })
    .await?;
    Ok(written::<R>(true, record))
}

pub async fn put<R: Resource>(cx: Ctx, _: Writer, slug: Path<String>, payload: Payload) -> Answer {
    let Ctx { req, state } = cx;
    let slug = Slug::parse(&slug)
        .map_err(|e| ApiError::field("slug", "format", e.to_string()))?
        .into_string();
    let map = read_body(&req, payload, &state, &[BodyKind::Json]).await?;
    let write = to_write::<R>(map, Some(&slug))?;
    let outcome = run_about(&state, subject::<R>(&slug), move |conn| {
        store::put::<R>(conn, &write)
    })
    .await?;
    Ok(written::<R>(outcome.created(), outcome.into_inner()))
}

pub async fn patch<R: Resource>(
    cx: Ctx,
    _: Writer,
    slug: Path<String>,
    payload: Payload,
) -> Answer {
    let Ctx { req, state } = cx;
    let slug = path_slug::<R>(&slug)?;
    let patch = read_body(
        &req,
        payload,
        &state,
        &[BodyKind::MergePatch, BodyKind::Json],
    )
    .await?;
    body::known_fields(&patch, R::FIELDS)?;
    let patch = Value::Object(patch);
    let lookup = slug.clone();
    let outcome = run_about(&state, subject::<R>(&slug), move |conn| {
        store::update_with::<R, TxError>(conn, &lookup, |current| {
            let mut merged =
                serde_json::to_value(current).map_err(|e| TxError::Api(ApiError::internal(e)))?;
            json_patch::merge(&mut merged, &patch);
            let Value::Object(map) = merged else {
                return Err(TxError::Api(ApiError::BadRequest(
                    "the patch must be a JSON object".to_owned(),
                )));
            };
            to_write::<R>(map, None).map_err(TxError::Api)
        })
    })
    .await?;
    Ok(written::<R>(false, outcome.into_inner()))
}

pub async fn delete<R: Resource>(Ctx { state, .. }: Ctx, _: Writer, slug: Path<String>) -> Answer {
    let slug = path_slug::<R>(&slug)?;
    let lookup = slug.clone();
    run_about(&state, subject::<R>(&slug), move |conn| {
        store::delete::<R>(conn, &lookup)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
