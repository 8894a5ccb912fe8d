//! `/api/v1/site`: the site's settings, public to read (and cached like every public read), written with
//! `admin`.

use crate::domain::surrogate::{self, Keys};
use actix_web::web::Payload;
use actix_web::{get, patch, put, HttpResponse};
use serde_json::Value;

use super::auth::Admin;
use super::body::{self, BodyKind};
use super::problem::{ApiError, Subject, TxError};
use super::responses::{PublicRead, Write};
use super::{Answer, Ctx};
use crate::domain::site::SiteSettings;
use crate::store::site as store;

/// The site's settings: title, description, public URL, permalink templates, logo and icon, locale and time
/// zone, navigation menus, social links and feed settings.
#[utoipa::path(
    tag = "site",
    responses(
        (status = 200, description = "The settings", body = SiteSettings, headers(("ETag" = String))),
        PublicRead,
    ),
    security(())
)]
#[get("/site")]
pub async fn get_site(Ctx { state, .. }: Ctx) -> Answer {
    let site = super::run(&state, store::get).await?;
    let mut res = HttpResponse::Ok();
    super::surrogate::keyed(&mut res, &Keys::of([surrogate::SITE]));
    Ok(res.json(site.settings))
}

/// Applies the rules to settings a client sent (every field, or the current ones with a patch merged in).
fn settled(map: serde_json::Map<String, Value>) -> Result<SiteSettings, ApiError> {
    body::require_objects(&map, &SiteSettings::OBJECTS)?;
    let settings: SiteSettings = body::fields(map, &SiteSettings::FIELDS, &[])?;
    settings.parse().map_err(ApiError::validation)
}

async fn write(
    state: &crate::state::AppState,
    merge: impl FnOnce(&SiteSettings) -> Result<SiteSettings, ApiError> + Send + 'static,
) -> Answer {
    let subject = Subject {
        kind: "site",
        slug: "site",
    };
    let site = super::run_about(state, subject, move |conn| {
        store::update_with(conn, |current| {
            merge(&current.settings).map_err(TxError::Api)
        })
    })
    .await?
    .into_inner();
    Ok(HttpResponse::Ok()
        .insert_header(super::no_store())
        .json(site.settings))
}

/// Replace the settings; omitted fields return to their defaults. Identical settings change nothing.
#[utoipa::path(
    tag = "site",
    request_body(content((SiteSettings = "application/json"))),
    responses(
        (status = 200, description = "The settings now", body = SiteSettings),
        Write,
    ),
    security(("token" = []))
)]
#[put("/site")]
pub async fn put_site(Ctx { req, state }: Ctx, _: Admin, payload: Payload) -> Answer {
    body::kind(&req, &[BodyKind::Json])?;
    let map = body::json_object(&body::read(&req, payload, state.max_body_bytes()).await?)?;
    let settings = settled(map)?;
    write(&state, move |_| Ok(settings)).await
}

/// Change some settings (JSON merge patch, RFC 7396): a field set to `null` returns to its default.
#[utoipa::path(
    tag = "site",
    request_body(content(
        (Object = "application/merge-patch+json", example = json!({"title": "Systems Notes", "url": "https://notes.example.com"})),
        (Object = "application/json", example = json!({"navigation": [{"label": "About", "url": "/about/"}]})),
    )),
    responses(
        (status = 200, description = "The settings now", body = SiteSettings),
        Write,
    ),
    security(("token" = []))
)]
#[patch("/site")]
pub async fn patch_site(Ctx { req, state }: Ctx, _: Admin, payload: Payload) -> Answer {
    body::kind(&req, &[BodyKind::MergePatch, BodyKind::Json])?;
    let patch = body::json_object(&body::read(&req, payload, state.max_body_bytes()).await?)?;
    body::known_fields(&patch, &SiteSettings::FIELDS)?;
    let patch = Value::Object(patch);
    write(&state, move |current| {
        let mut value = serde_json::to_value(current).map_err(ApiError::internal)?;
        json_patch::merge(&mut value, &patch);
        // A `null` drops the field, so it takes its default.
        match value {
            Value::Object(map) => settled(map.into_iter().filter(|(_, v)| !v.is_null()).collect()),
            _ => Err(ApiError::BadRequest(
                "the patch must be a JSON object".to_owned(),
            )),
        }
    })
    .await
}
