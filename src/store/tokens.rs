//! API tokens. Only the SHA-256 of a secret is stored; a token is found by that hash.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Timestamptz};
use uuid::Uuid;

use crate::db::schema::api_tokens;
use crate::domain::scope::Scope;
use crate::domain::token;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_tokens, check_for_backend(diesel::pg::Pg))]
pub struct TokenRecord {
    pub id: Uuid,
    pub name: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

fn create(
    conn: &mut PgConnection,
    name: &str,
    scopes: &[String],
    expires_at: Option<DateTime<Utc>>,
    secret_hash: &[u8],
) -> QueryResult<TokenRecord> {
    diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::name.eq(name),
            api_tokens::scopes.eq(scopes),
            api_tokens::expires_at.eq(expires_at),
            api_tokens::secret_hash.eq(secret_hash),
        ))
        .returning(TokenRecord::as_returning())
        .get_result(conn)
}

/// Creates a token with a new secret; returns it with the secret, which is never stored (only its hash).
pub fn issue(
    conn: &mut PgConnection,
    name: &str,
    scopes: &[Scope],
    expires_at: Option<DateTime<Utc>>,
) -> QueryResult<(TokenRecord, String)> {
    let secret = token::generate();
    let mut scopes: Vec<String> = scopes.iter().map(|s| s.as_str().to_owned()).collect();
    scopes.sort();
    scopes.dedup();
    let record = create(conn, name, &scopes, expires_at, &token::hash(&secret))?;
    Ok((record, secret))
}

pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<TokenRecord>> {
    api_tokens::table
        .select(TokenRecord::as_select())
        .order_by((api_tokens::created_at.asc(), api_tokens::id.asc()))
        .load(conn)
}

/// Deletes the token; false when there was none.
pub fn revoke(conn: &mut PgConnection, id: Uuid) -> QueryResult<bool> {
    diesel::delete(api_tokens::table.filter(api_tokens::id.eq(id)))
        .execute(conn)
        .map(|n| n > 0)
}

/// The unexpired token whose secret hashes to `hash`.
pub fn authenticate(conn: &mut PgConnection, hash: &[u8]) -> QueryResult<Option<TokenRecord>> {
    api_tokens::table
        .select(TokenRecord::as_select())
        .filter(api_tokens::secret_hash.eq(hash))
        .filter(sql::<Bool>(
            "(api_tokens.expires_at IS NULL OR api_tokens.expires_at > now())",
        ))
        .first(conn)
        .optional()
}

/// Records use at most once a minute per token, so a burst of requests does not become a burst of writes.
pub fn touch(conn: &mut PgConnection, token: &TokenRecord) -> QueryResult<()> {
    let stale = token
        .last_used_at
        .is_none_or(|at| Utc::now() - at > chrono::Duration::seconds(60));
    if stale {
        diesel::update(api_tokens::table.filter(api_tokens::id.eq(token.id)))
            .filter(sql::<Bool>(
                "(api_tokens.last_used_at IS NULL OR api_tokens.last_used_at < now() - interval '1 minute')",
            ))
            .set(api_tokens::last_used_at.eq(sql::<diesel::sql_types::Nullable<Timestamptz>>("now()")))
            .execute(conn)?;
    }
    Ok(())
}
