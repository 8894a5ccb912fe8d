//! The HTTP layer: routes, extractors, response views and the problem+json error model.

pub mod articles;
pub mod auth;
pub mod authors;
pub mod body;
pub mod changes;
pub mod feeds;
pub mod listing;
pub mod media;
pub mod middleware;
pub mod ops;
pub mod pages;
pub mod problem;
pub mod resource;
pub mod responses;
pub mod search;
pub mod site;
pub mod sitemaps;
mod spec;
pub mod surrogate;
pub mod tags;
pub mod tokens;
pub mod views;
pub mod webhooks;

use actix_web::dev::ResourceDef;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{web, HttpRequest};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use problem::ApiError;

use crate::state::AppState;

/// What a handler answers.
pub type Answer = Result<actix_web::HttpResponse, ApiError>;

/// What every handler works with: the request and the shared state, taken as one extractor so that a handler's
/// signature names only what is particular to it (its authorization, path, query and body).
pub struct Ctx {
    pub req: HttpRequest,
    pub state: web::Data<AppState>,
}

impl actix_web::FromRequest for Ctx {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Ctx, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(
            req.app_data::<web::Data<AppState>>()
                .cloned()
                .map(|state| Ctx {
                    req: req.clone(),
                    state,
                })
                .ok_or_else(|| ApiError::internal("application state missing")),
        )
    }
}

/// Runs store calls on the blocking pool; whatever error the closure returns comes back as a problem. Within a
/// public read (`middleware::read_routing`), they may run on a replica.
pub async fn run<T, E, F>(state: &AppState, f: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut diesel::PgConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
    ApiError: From<E>,
{
    run_routed(state, move |conn| f(conn).map_err(ApiError::from)).await
}

/// `crate::db::run` on the database the request may read from.
async fn run_routed<T, E, F>(state: &AppState, f: F) -> Result<T, E>
where
    F: FnOnce(&mut diesel::PgConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<crate::db::DbError> + Send + 'static,
{
    if state.replicas.any() && crate::db::replicas::in_public_read() {
        crate::db::run_read(&state.pool, &state.replicas, f).await
    } else {
        crate::db::run(&state.pool, f).await
    }
}

/// Runs store calls about one subject (`tag` at a slug, ...) on the blocking pool; an error becomes the problem
/// that names it.
pub async fn run_about<T, E, F>(
    state: &AppState,
    subject: problem::Subject<'_>,
    f: F,
) -> Result<T, ApiError>
where
    F: FnOnce(&mut diesel::PgConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: problem::About + From<crate::db::DbError> + Send + 'static,
{
    run_routed(state, f).await.map_err(|e| e.about(subject))
}

/// Runs CPU-heavy work (Markdown rendering) on the blocking pool, off the HTTP workers.
pub async fn blocking<T, F>(f: F) -> Result<T, ApiError>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    web::block(f)
        .await
        .map_err(|_| ApiError::from(crate::db::DbError::Cancelled))
}

/// The published spec, as the server serves it and as the 404/405 fallback reads it.
pub struct Spec {
    /// The OpenAPI document exactly as `folio openapi` prints it.
    pub json: web::Bytes,
    pub routes: RouteTable,
}

impl Spec {
    pub fn new(spec: &utoipa::openapi::OpenApi) -> Spec {
        Spec {
            json: web::Bytes::from(openapi_to_string(spec)),
            routes: RouteTable::from_openapi(spec),
        }
    }
}

/// The OpenAPI document, collected from the very routes the application serves, then refined.
pub fn openapi() -> utoipa::openapi::OpenApi {
    use utoipa_actix_web::AppExt;
    let (_, mut spec) = actix_web::App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(configure)
        .split_for_parts();
    spec::refine(&mut spec);
    spec
}

/// The committed form of the document: pretty JSON and a final newline.
pub fn openapi_to_string(spec: &utoipa::openapi::OpenApi) -> String {
    let mut text = spec
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    text.push('\n');
    text
}

/// `Cache-Control: private, no-store`: what answers holding secrets or admin state carry.
pub fn no_store() -> (
    actix_web::http::header::HeaderName,
    actix_web::http::header::HeaderValue,
) {
    (
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("private, no-store"),
    )
}

/// The API's version prefix.
pub const API_PREFIX: &str = "/api/v1";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Folio",
        description = "A headless content API: articles, tags and authors as JSON.\n\n\
            Errors are RFC 9457 `application/problem+json` documents with a stable `type`. \
            Write operations and non-public reads need `Authorization: Bearer folio_...`. \
            An interactive reference is served at `/docs/`.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
        contact(name = "Folio maintainers")
    ),
    tags(
        (name = "articles", description = "Articles: public reads, token reads of drafts, and writes"),
        (name = "tags", description = "Tags with counts of public articles"),
        (name = "authors", description = "Authors with counts of public articles"),
        (name = "search", description = "Search box suggestions (full results: `GET /articles?q=`)"),
        (name = "pages", description = "Pages: standalone documents (About, Uses) written like articles, never listed with them"),
        (name = "site", description = "The site's settings: title, URL, permalinks, navigation (public to read, admin to write)"),
        (name = "feeds", description = "RSS 2.0, Atom 1.0 and JSON Feed 1.1 of the newest public articles: the site's, a tag's, an author's"),
        (name = "sitemaps", description = "Sitemaps of the public site (sitemaps.org 0.9), streamed; an index beyond 50,000 URLs"),
        (name = "media", description = "Uploaded images and files: upload (raw or multipart), responsive variants, alt text; served immutable under /media/"),
        (name = "changes", description = "The change feed: every content change after a position, tombstones included"),
        (name = "webhooks", description = "Webhook endpoints and their delivery logs (admin scope); bodies are `WebhookEvent` and `WebhookPing`, signed per the Standard Webhooks specification"),
        (name = "tokens", description = "API tokens (admin scope)"),
        (name = "operations", description = "Liveness, readiness and this document"),
    ),
    components(
        schemas(problem::Problem, problem::FieldError, views::ArticleCard, views::SparseArticle, views::SparseArticleListing, views::WebhookEvent, views::WebhookPing),
        responses(
            responses::NotModified,
            responses::BadRequest,
            responses::Unauthorized,
            responses::Forbidden,
            responses::NotFound,
            responses::Conflict,
            responses::PreconditionFailed,
            responses::PayloadTooLarge,
            responses::UnsupportedMediaType,
            responses::Validation,
            responses::RateLimited,
            responses::Unavailable,
            responses::ChangesExpired,
            responses::SiteUrlUnset,
        )
    ),
    modifiers(&BearerToken)
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some(
            "An API token: `folio_` followed by the secret shown once at creation.".to_owned(),
        );
        components.add_security_scheme("token", SecurityScheme::Http(scheme));
    }
}

/// Registers every documented route. Everything goes through utoipa-actix-web's `service`, so a handler that is
/// routed is also in the spec.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(
        utoipa_actix_web::scope(API_PREFIX)
            .service(articles::list_articles)
            .service(articles::create_article)
            .service(articles::get_article)
            .service(articles::put_article)
            .service(articles::patch_article)
            .service(articles::delete_article)
            .service(articles::list_related_articles)
            .service(articles::list_featured_articles)
            .service(search::suggest)
            .service(tags::list_tags)
            .service(tags::create_tag)
            .service(tags::get_tag)
            .service(tags::put_tag)
            .service(tags::patch_tag)
            .service(tags::delete_tag)
            .service(authors::list_authors)
            .service(authors::create_author)
            .service(authors::get_author)
            .service(authors::put_author)
            .service(authors::patch_author)
            .service(authors::delete_author)
            .service(pages::list_pages)
            .service(pages::create_page)
            .service(pages::get_page)
            .service(pages::put_page)
            .service(pages::patch_page)
            .service(pages::delete_page)
            .service(site::get_site)
            .service(site::put_site)
            .service(site::patch_site)
            .service(feeds::rss_feed)
            .service(feeds::atom_feed)
            .service(feeds::json_feed)
            .service(sitemaps::get_sitemap)
            .service(sitemaps::get_sitemap_part)
            .service(changes::list_changes)
            .service(webhooks::list_webhooks)
            .service(webhooks::create_webhook)
            .service(webhooks::get_webhook)
            .service(webhooks::patch_webhook)
            .service(webhooks::delete_webhook)
            .service(webhooks::rotate_webhook_secret)
            .service(webhooks::ping_webhook)
            .service(webhooks::list_deliveries)
            .service(webhooks::redeliver)
            .service(tokens::list_tokens)
            .service(tokens::create_token)
            .service(tokens::revoke_token)
            .service(media::upload_media)
            .service(media::list_media)
            .service(media::get_media)
            .service(media::patch_media)
            .service(media::delete_media),
    )
    .service(media::serve_media)
    .service(ops::healthz)
    .service(ops::readyz)
    .service(ops::openapi_json);
}

/// The paths and methods of the spec, so that an unmatched request can tell 404 (no such path) from 405 (the path
/// exists, the method does not).
pub struct RouteTable(Vec<(ResourceDef, String)>);

impl RouteTable {
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let methods = [
                    (item.get.is_some(), "GET"),
                    (item.post.is_some(), "POST"),
                    (item.put.is_some(), "PUT"),
                    (item.patch.is_some(), "PATCH"),
                    (item.delete.is_some(), "DELETE"),
                ];
                let mut allow: Vec<&str> = methods
                    .iter()
                    .filter(|(has, _)| *has)
                    .map(|(_, m)| *m)
                    .collect();
                // HEAD is answered wherever GET is (see `middleware::head_as_get`).
                if item.get.is_some() {
                    allow.insert(1, "HEAD");
                }
                allow.push("OPTIONS");
                (ResourceDef::new(path.as_str()), allow.join(", "))
            })
            .collect();
        RouteTable(routes)
    }

    fn allowed(&self, path: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, allow)| allow.as_str())
    }
}

/// Answers every request no route took: 405 with `Allow` for a known path, else 404.
pub async fn fallback(
    req: HttpRequest,
    spec: web::Data<Spec>,
) -> Result<actix_web::HttpResponse, ApiError> {
    Err(match spec.routes.allowed(req.path()) {
        Some(allow) if req.method() == actix_web::http::Method::OPTIONS => {
            return Ok(actix_web::HttpResponse::NoContent()
                .insert_header((actix_web::http::header::ALLOW, allow))
                .finish())
        }
        Some(allow) => ApiError::MethodNotAllowed {
            detail: format!("{} is not allowed here; allowed: {allow}", req.method()),
            allow: allow.to_owned(),
        },
        None => ApiError::NotFound(format!("no route matches {}", req.path())),
    })
}

/// Body errors of actix's JSON extractor, as problems.
pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match &err {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => {
            ApiError::PayloadTooLarge(format!("the body is larger than {limit} bytes"))
        }
        JsonPayloadError::ContentType => {
            ApiError::UnsupportedMediaType("send the body as application/json".to_owned())
        }
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            ApiError::validation(vec![field_error_from_serde(e)])
        }
        JsonPayloadError::Deserialize(e) => ApiError::BadRequest(format!("malformed JSON: {e}")),
        other => ApiError::BadRequest(format!("could not read the body: {other}")),
    };
    api.into()
}

/// Turns serde's message for a well-formed body of the wrong shape into a field error.
pub fn field_error_from_serde(e: &serde_json::Error) -> problem::FieldError {
    let message = e.to_string();
    let text = body::without_position(&message).to_owned();
    if let Some(name) = text
        .strip_prefix("unknown field `")
        .and_then(|r| r.split('`').next())
    {
        return problem::FieldError::new(
            name,
            "unknown_field",
            format!("`{name}` is not a known field"),
        );
    }
    if let Some(name) = text
        .strip_prefix("missing field `")
        .and_then(|r| r.split('`').next())
    {
        return problem::FieldError::new(name, "required", "is required");
    }
    problem::FieldError::new("body", "type", text)
}

/// Query-string errors, as problems naming the parameter where serde says which.
pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let detail = match &err {
        QueryPayloadError::Deserialize(e) => format!("bad query parameter: {e}"),
        other => format!("bad query string: {other}"),
    };
    ApiError::BadRequest(detail).into()
}

/// Path-segment errors, as problems.
pub fn path_error(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::NotFound(format!("no such resource: {err}")).into()
}
