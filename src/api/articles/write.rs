//! Creating, replacing and deleting articles.

use actix_web::http::StatusCode;
use actix_web::web::{Path, Payload};
use actix_web::{delete, post, put, HttpResponse};

use super::conditional::precondition;
use super::input::{parse, read_input, written};
use super::{path_slug, subject};
use crate::api::auth::Writer;
use crate::api::problem::ApiError;
use crate::api::responses::{
    Authorized, BadRequest, Conflict, NotFound, PreconditionFailed, Write,
};
use crate::api::views::ArticleView;
use crate::api::{run_about, Answer, Ctx};
use crate::domain::article::ArticleInput;
use crate::domain::slug::Slug;
use crate::store::articles::{self as store, Outcome};

/// Create an article. Its slug (given or derived from the title) must be free.
///
/// The body is JSON, or Markdown with YAML front matter holding the same fields. Tags named for the first time
/// are created; authors must exist. Publishing without `published_at` publishes now.
#[utoipa::path(
    tag = "articles",
    request_body(content(
        (ArticleInput = "application/json"),
        (String = "text/markdown", example = "---\ntitle: Hello, world\ntags: [Meta]\nstatus: published\n---\nFirst post.\n"),
    )),
    responses(
        (status = 201, description = "Created", body = ArticleView,
         headers(("Location" = String), ("ETag" = String))),
        (status = 409, response = Conflict),
        Write,
    ),
    security(("token" = []))
)]
#[post("/articles")]
pub async fn create_article(Ctx { req, state }: Ctx, _: Writer, payload: Payload) -> Answer {
    let write = parse(read_input(&req, payload, &state).await?, None).await?;
    let slug = write.slug.clone();
    let record = run_about(&state, subject(&slug), move |conn| {
        store::create(conn, &write)
    })
    .await?;
    written(&state, StatusCode::CREATED, record).await
}

/// Create or replace the article at this slug. Replacing with identical content changes nothing (same `version`
/// and `updated_at`). `If-None-Match: *` only creates; `If-Match` only replaces that version.
///
/// The idempotent write for publishing from a repository: omitted fields return to their defaults, and a rerun
/// with unchanged files writes nothing. A body `slug`, if given, must equal the URL's (rename with `PATCH`).
#[utoipa::path(
    tag = "articles",
    params(
        ("slug" = String, Path, description = "The article's slug", pattern = "^[a-z0-9]+(-[a-z0-9]+)*$", max_length = 120),
        ("If-Match" = Option<String>, Header, description = "Replace only if the article's ETag is listed",
         pattern = r#"^(\*|"[0-9a-f]{8}-[0-9]+-[0-9a-f]{8}"(\s*,\s*"[0-9a-f]{8}-[0-9]+-[0-9a-f]{8}")*)$"#),
        ("If-None-Match" = Option<String>, Header, description = "`*`: create only", pattern = r"^\*$"),
    ),
    request_body(content(
        (ArticleInput = "application/json"),
        (String = "text/markdown", example = "---\ntitle: Hello, world\ntags: [Meta]\nstatus: published\n---\nFirst post.\n"),
    )),
    responses(
        (status = 200, description = "Replaced, or unchanged", body = ArticleView, headers(("ETag" = String))),
        (status = 201, description = "Created", body = ArticleView, headers(("Location" = String), ("ETag" = String))),
        (status = 412, response = PreconditionFailed),
        Write,
    ),
    security(("token" = []))
)]
#[put("/articles/{slug}")]
pub async fn put_article(cx: Ctx, _: Writer, slug: Path<String>, payload: Payload) -> Answer {
    let Ctx { req, state } = cx;
    let slug = Slug::parse(&slug)
        .map_err(|e| ApiError::field("slug", "format", e.to_string()))?
        .into_string();
    let precondition = precondition(&req)?;
    let write = parse(read_input(&req, payload, &state).await?, Some(slug.clone())).await?;
    let outcome = run_about(&state, subject(&slug), move |conn| {
        store::put(conn, &write, &precondition)
    })
    .await?;
    match outcome {
        Outcome::Created(r) => written(&state, StatusCode::CREATED, r).await,
        Outcome::Updated(r) | Outcome::Unchanged(r) => written(&state, StatusCode::OK, r).await,
    }
}

/// Delete an article.
///
/// Its former slugs stop redirecting. With `If-Match`, only the version whose ETag is listed is deleted.
#[utoipa::path(
    tag = "articles",
    params(
        ("slug" = String, Path, description = "The article's slug"),
        ("If-Match" = Option<String>, Header, description = "Delete only if the article's ETag is listed",
         pattern = r#"^(\*|"[0-9a-f]{8}-[0-9]+-[0-9a-f]{8}"(\s*,\s*"[0-9a-f]{8}-[0-9]+-[0-9a-f]{8}")*)$"#),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, response = BadRequest),
        (status = 404, response = NotFound),
        (status = 412, response = PreconditionFailed),
        Authorized,
    ),
    security(("token" = []))
)]
#[delete("/articles/{slug}")]
pub async fn delete_article(Ctx { req, state }: Ctx, _: Writer, slug: Path<String>) -> Answer {
    let slug = path_slug(&slug)?;
    let precondition = precondition(&req)?;
    crate::api::run(&state, move |conn| {
        store::delete(conn, &slug, &precondition)
            .map_err(|e| ApiError::from_store(e, subject(&slug)))
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
