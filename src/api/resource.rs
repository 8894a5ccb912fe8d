//! What slug-addressed resources share over HTTP (tags, authors, and the next of their kind): the listing, the
//! single read, and the writes with their rules (name trimmed, slug given or derived, `PUT`'s slug equal to the
//! URL's, unknown fields refused, merge patches applied inside one store transaction). A resource states its own
//! fields and rules by implementing `Resource`; its handlers stay thin and documented on their own.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::IntoParams;
use validator::Validate;

use super::auth::Writer;
use super::body::{self, BodyKind};
use super::listing;
use super::problem::{ApiError, FieldError, Subject, TxError};
use super::run_about;
use super::views::{Links, Meta};
use crate::domain::field_error;
use crate::domain::slug::Slug;
use crate::state::AppState;
use crate::store::resource::{self as store, ListQuery, Record, SlugTable, Sort};

/// A slug-addressed resource as the API serves it.
pub trait Resource: SlugTable + 'static {
    /// Its name in messages: `tag`.
    const KIND: &'static str;
    /// Its collection under `/api/v1`: `tags`.
    const COLLECTION: &'static str;
    /// Every field a write body may hold; `name` and `slug` among them.
    const FIELDS: &'static [&'static str];
    /// A write body, with `validator` rules for its fields.
    type Input: DeserializeOwned + Validate;
    type View: Serialize + From<Record<Self::Write>>;
    type Listing: Serialize;

    fn name(input: &mut Self::Input) -> &mut String;
    fn given_slug(input: &Self::Input) -> Option<&str>;
    /// Rules beyond the `validator` attributes.
    fn check(_input: &Self::Input, _errors: &mut Vec<FieldError>) {}
    /// The row a valid input stores at `slug`.
    fn write(input: Self::Input, slug: String) -> Self::Write;
    /// The write representation of the current row, which a merge patch applies to.
    fn representation(current: &Self::Write) -> Value;
    fn listing(data: Vec<Self::View>, meta: Meta, links: Links) -> Self::Listing;
}

fn subject<R: Resource>(slug: &str) -> Subject<'_> {
    Subject {
        kind: R::KIND,
        slug,
    }
}

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
    /// `true`: only those with at least one public article.
    #[param(value_type = Option<bool>)]
    pub hide_empty: Option<String>,
}

pub async fn list<R: Resource>(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<ResourceListParams>,
) -> Result<HttpResponse, ApiError> {
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
        hide_empty: listing::boolean("hide_empty", params.hide_empty.as_deref())?.unwrap_or(false),
    };
    let counted = super::run(&state, move |conn| store::list::<R>(conn, query)).await?;
    let (pagination, links) = listing::page_links(&req, query.page, query.per_page, counted.total);
    let mut res = HttpResponse::Ok();
    listing::link_header(&mut res, &links);
    let data = counted.rows.into_iter().map(R::View::from).collect();
    Ok(res.json(R::listing(data, Meta { pagination }, links)))
}

/// The path's slug, or a 404 for anything that cannot be one.
fn path_slug<R: Resource>(slug: &str) -> Result<String, ApiError> {
    Slug::parse(slug)
        .map(Slug::into_string)
        .map_err(|_| subject::<R>(slug).not_found())
}

pub async fn get<R: Resource>(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = path_slug::<R>(&slug)?;
    let lookup = slug.clone();
    let record = run_about(&state, subject::<R>(&slug), move |conn| {
        store::get::<R>(conn, &lookup)
    })
    .await?;
    Ok(HttpResponse::Ok().json(R::View::from(record)))
}

/// The write rules every resource shares, then its own; `path` is the slug in a `PUT`'s URL.
fn to_write<R: Resource>(mut input: R::Input, path: Option<&str>) -> Result<R::Write, ApiError> {
    // Names are stored trimmed, so they are validated trimmed: a blank name is a 422, not a CHECK violation.
    let name = R::name(&mut input);
    *name = name.trim().to_owned();
    let mut errors = field_error::from_validator(&input);
    R::check(&input, &mut errors);
    let slug = match (R::given_slug(&input), path) {
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
        (None, None) => Slug::derive(R::name(&mut input)).map(Slug::into_string),
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
    payload: web::Payload,
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

pub async fn create<R: Resource>(
    req: HttpRequest,
    state: web::Data<AppState>,
    _writer: Writer,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let map = read_body(&req, payload, &state, &[BodyKind::Json]).await?;
    let write = to_write::<R>(body::fields(map, R::FIELDS, &["name"])?, None)?;
    let record = super::run(&state, move |conn| {
        store::create::<R>(conn, &write)
            .map_err(|e| ApiError::from_store(e, subject::<R>(R::slug(&write))))
    })
    .await?;
    Ok(written::<R>(true, record))
}

pub async fn put<R: Resource>(
    req: HttpRequest,
    state: web::Data<AppState>,
    _writer: Writer,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let slug = Slug::parse(&slug)
        .map_err(|e| ApiError::field("slug", "format", e.to_string()))?
        .into_string();
    let map = read_body(&req, payload, &state, &[BodyKind::Json]).await?;
    let write = to_write::<R>(body::fields(map, R::FIELDS, &["name"])?, Some(&slug))?;
    let outcome = run_about(&state, subject::<R>(&slug), move |conn| {
        store::put::<R>(conn, &write)
    })
    .await?;
    Ok(written::<R>(outcome.created(), outcome.into_inner()))
}

pub async fn patch<R: Resource>(
    req: HttpRequest,
    state: web::Data<AppState>,
    _writer: Writer,
    slug: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let slug = path_slug::<R>(&slug)?;
    let patch = Value::Object(
        read_body(
            &req,
            payload,
            &state,
            &[BodyKind::MergePatch, BodyKind::Json],
        )
        .await?,
    );
    let lookup = slug.clone();
    let outcome = run_about(&state, subject::<R>(&slug), move |conn| {
        store::update_with::<R, TxError>(conn, &lookup, |current| {
            let mut merged = R::representation(current);
            json_patch::merge(&mut merged, &patch);
            let Value::Object(map) = merged else {
                return Err(TxError::Api(ApiError::BadRequest(
                    "the patch must be a JSON object".to_owned(),
                )));
            };
            body::fields(map, R::FIELDS, &["name"])
                .and_then(|input| to_write::<R>(input, None))
                .map_err(TxError::Api)
        })
    })
    .await?;
    Ok(written::<R>(false, outcome.into_inner()))
}

pub async fn delete<R: Resource>(
    state: web::Data<AppState>,
    _writer: Writer,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let slug = path_slug::<R>(&slug)?;
    let lookup = slug.clone();
    run_about(&state, subject::<R>(&slug), move |conn| {
        store::delete::<R>(conn, &lookup)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The six documented handlers of a slug-addressed resource (list, get, create, put, patch, delete), each a
/// line over the generic functions above. The invocation states what differs: the route, the types, and every
/// text of the resource's documentation, so each resource is documented in its own words.
macro_rules! slug_resource_handlers {
    (
        $R:ty, tag: $tag:tt, collection: $collection:tt, item: $item:tt,
        input: $Input:ty, view: $View:ty, listing: $Listing:ty,
        slug: $slug_doc:tt, example: $example:tt, current_slug: $current_doc:tt;
        $(#[doc = $list_doc:literal])+ $list:ident => $list_200:tt;
        $(#[doc = $get_doc:literal])+ $get:ident => $get_200:tt;
        $(#[doc = $create_doc:literal])+ $create:ident;
        $(#[doc = $put_doc:literal])+ $put:ident;
        $(#[doc = $patch_doc:literal])+ $patch:ident => $patch_200:tt, $merge_example:tt, $json_example:tt;
        $(#[doc = $delete_doc:literal])+ $delete:ident $(, $delete_extra:tt)*;
    ) => {
        $(#[doc = $list_doc])+
        #[utoipa::path(
            tag = $tag,
            params($crate::api::resource::ResourceListParams),
            responses((status = 200, description = $list_200, body = $Listing), (status = 400, response = BadRequest), PublicRead)
        )]
        #[get($collection)]
        pub async fn $list(
            req: actix_web::HttpRequest,
            state: actix_web::web::Data<AppState>,
            params: actix_web::web::Query<$crate::api::resource::ResourceListParams>,
        ) -> Result<actix_web::HttpResponse, ApiError> {
            $crate::api::resource::list::<$R>(req, state, params).await
        }

        $(#[doc = $get_doc])+
        #[utoipa::path(
            tag = $tag,
            params(("slug" = String, Path, description = $slug_doc, example = $example)),
            responses((status = 200, description = $get_200, body = $View), (status = 404, response = NotFound), PublicRead)
        )]
        #[get($item)]
        pub async fn $get(
            state: actix_web::web::Data<AppState>,
            slug: actix_web::web::Path<String>,
        ) -> Result<actix_web::HttpResponse, ApiError> {
            $crate::api::resource::get::<$R>(state, slug).await
        }

        $(#[doc = $create_doc])+
        #[utoipa::path(
            tag = $tag,
            request_body = $Input,
            responses(
                (status = 201, description = "Created", body = $View, headers(("Location" = String))),
                (status = 409, response = Conflict), Write,
            ),
            security(("token" = []))
        )]
        #[post($collection)]
        pub async fn $create(
            req: actix_web::HttpRequest,
            state: actix_web::web::Data<AppState>,
            writer: Writer,
            payload: actix_web::web::Payload,
        ) -> Result<actix_web::HttpResponse, ApiError> {
            $crate::api::resource::create::<$R>(req, state, writer, payload).await
        }

        $(#[doc = $put_doc])+
        #[utoipa::path(
            tag = $tag,
            params(("slug" = String, Path, description = $slug_doc)),
            request_body = $Input,
            responses(
                (status = 200, description = "Replaced, or unchanged", body = $View),
                (status = 201, description = "Created", body = $View, headers(("Location" = String))),
                Write,
            ),
            security(("token" = []))
        )]
        #[put($item)]
        pub async fn $put(
            req: actix_web::HttpRequest,
            state: actix_web::web::Data<AppState>,
            writer: Writer,
            slug: actix_web::web::Path<String>,
            payload: actix_web::web::Payload,
        ) -> Result<actix_web::HttpResponse, ApiError> {
            $crate::api::resource::put::<$R>(req, state, writer, slug, payload).await
        }

        $(#[doc = $patch_doc])+
        #[utoipa::path(
            tag = $tag,
            params(("slug" = String, Path, description = $current_doc)),
            request_body(content(
                (Object = "application/merge-patch+json", example = json!($merge_example)),
                (Object = "application/json", example = json!($json_example)),
            )),
            responses(
                (status = 200, description = $patch_200, body = $View),
                (status = 404, response = NotFound),
                (status = 409, response = Conflict),
                Write,
            ),
            security(("token" = []))
        )]
        #[patch($item)]
        pub async fn $patch(
            req: actix_web::HttpRequest,
            state: actix_web::web::Data<AppState>,
            writer: Writer,
            slug: actix_web::web::Path<String>,
            payload: actix_web::web::Payload,
        ) -> Result<actix_web::HttpResponse, ApiError> {
            $crate::api::resource::patch::<$R>(req, state, writer, slug, payload).await
        }

        $(#[doc = $delete_doc])+
        #[utoipa::path(
            tag = $tag,
            params(("slug" = String, Path, description = $slug_doc)),
            responses(
                (status = 204, description = "Deleted"),
                (status = 404, response = NotFound),
                $($delete_extra,)*
                Authorized,
            ),
            security(("token" = []))
        )]
        #[delete($item)]
        pub async fn $delete(
            state: actix_web::web::Data<AppState>,
            writer: Writer,
            slug: actix_web::web::Path<String>,
        ) -> Result<actix_web::HttpResponse, ApiError> {
            $crate::api::resource::delete::<$R>(state, writer, slug).await
        }
    };
}
pub(crate) use slug_resource_handlers;
