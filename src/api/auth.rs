//! Who is calling: an optional bearer token, checked once per request, and the scope checks handlers make.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};

use super::problem::ApiError;
use crate::domain::scope::Scope;
use crate::domain::token;
use crate::state::AppState;
use crate::store::tokens::{self, TokenRecord};

/// The caller: anonymous, or the holder of a valid token.
#[derive(Debug, Clone)]
pub struct Caller {
    pub token: Option<TokenRecord>,
}

impl Caller {
    /// The broadest scope the token holds.
    pub fn scope(&self) -> Option<Scope> {
        self.token.as_ref().and_then(|t| {
            t.scopes
                .iter()
                .filter_map(|s| s.parse::<Scope>().ok())
                .max()
        })
    }

    /// 401 without a token, 403 when its scopes do not include `needed`.
    pub fn require(&self, needed: Scope) -> Result<(), ApiError> {
        match self.scope() {
            None => Err(ApiError::Unauthorized(format!(
                "this needs an API token with the `{needed}` scope: send `Authorization: Bearer folio_...`"
            ))),
            Some(held) if held.grants(needed) => Ok(()),
            Some(_) => Err(ApiError::Forbidden(format!("this needs the `{needed}` scope, which the token lacks"))),
        }
    }

    pub fn is_authenticated(&self) -> bool {
        self.token.is_some()
    }
}

fn bearer(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad =
        || ApiError::Unauthorized("the Authorization header must be `Bearer folio_...`".to_owned());
    let value = value.to_str().map_err(|_| bad())?;
    let (scheme, secret) = value.trim().split_once(' ').ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(bad());
    }
    Ok(Some(secret.trim().to_owned()))
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Caller, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let secret = bearer(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let ip = super::middleware::ClientAddr::of(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            let limited = |retry_after_secs| ApiError::RateLimited {
                detail:
                    "too many failed authentications from this address; wait before trying again"
                        .to_owned(),
                retry_after_secs,
            };
            // Every failure counts against the address; once over the limit, its token checks stop (no lookup)
            // until it has waited.
            let failed = |e: ApiError| match ip.map(|ip| state.limits.auth_failed(ip)) {
                Some(Err(wait)) => limited(wait),
                _ => e,
            };
            let secret = match secret {
                Ok(None) => return Ok(Caller { token: None }),
                Ok(Some(secret)) => secret,
                Err(e) => return Err(failed(e)),
            };
            if let Some(wait) = ip.and_then(|ip| state.limits.auth_blocked(ip)) {
                return Err(limited(wait));
            }
            let rejected =
                || ApiError::Unauthorized("the token is unknown, revoked or expired".to_owned());
            if !token::looks_valid(&secret) {
                return Err(failed(rejected()));
            }
            let hash = token::hash(&secret);
            let found = super::run(&state, move |conn| {
                let found = tokens::authenticate(conn, &hash)?;
                if let Some(t) = &found {
                    tokens::touch(conn, t)?;
                }
                diesel::QueryResult::Ok(found)
            })
            .await?;
            found
                .map(|t| Caller { token: Some(t) })
                .ok_or_else(|| failed(rejected()))
        })
    }
}

/// A caller whose token holds `content:write`: 401 without a token, 403 without the scope. Taking one in a
/// handler's signature is its authorization.
#[derive(Debug, Clone)]
pub struct Writer(pub Caller);

/// A caller whose token holds `admin`.
#[derive(Debug, Clone)]
pub struct Admin(pub Caller);

fn scoped<T: 'static>(
    req: &HttpRequest,
    payload: &mut actix_web::dev::Payload,
    needed: Scope,
    wrap: fn(Caller) -> T,
) -> Pin<Box<dyn Future<Output = Result<T, ApiError>>>> {
    let caller = Caller::from_request(req, payload);
    Box::pin(async move {
        let caller = caller.await?;
        caller.require(needed)?;
        Ok(wrap(caller))
    })
}

impl FromRequest for Writer {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Writer, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        scoped(req, payload, Scope::ContentWrite, Writer)
    }
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Admin, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        scoped(req, payload, Scope::Admin, Admin)
    }
}
