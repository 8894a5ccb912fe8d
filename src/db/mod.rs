//! Connections to PostgreSQL: the pool, the one helper that runs diesel on actix's blocking threads, migrations,
//! and the private cluster Folio starts when it is given no database.

pub mod embedded;
pub mod replicas;
pub mod schema;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, PooledConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

pub type Pool = diesel::r2d2::Pool<ConnectionManager<PgConnection>>;
pub type Conn = PooledConnection<ConnectionManager<PgConnection>>;

/// The migrations under `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// How long a request waits for a connection before it is told the database is unavailable. r2d2's default of
/// 30 s would turn a dead database into hung requests.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(2);

/// Why a database call could not be made at all (as opposed to a query that failed).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection: {0}")]
    Unavailable(String),
    #[error("the blocking task was cancelled")]
    Cancelled,
    #[error("migrations failed: {0}")]
    Migration(String),
}

/// Session settings applied to every new connection. Folio's reads are short index walks that stop after a page:
/// JIT compilation (which cost estimates can still trigger) and parallel workers (whose start alone costs several
/// milliseconds) only add time to them, so both are off. A search of stop words is an empty search, not news for
/// the log (`client_min_messages`); a typo is looked up among words sharing a fifth of their trigrams (the
/// extension's default, 0.3, misses a swap inside a five-letter word: `cahce`). A search's index lookup keeps
/// the rows it found in a bitmap: past `work_mem` (4 MB by default: about 80,000 scattered rows) the bitmap
/// keeps pages instead of rows, and every row of those pages is read and tested again.
#[derive(Debug, Clone, Copy)]
struct SessionSettings {
    statement_timeout_ms: u32,
}

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for SessionSettings {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(&format!(
            "SET statement_timeout = {}; SET TIME ZONE 'UTC'; SET jit = off; \
             SET max_parallel_workers_per_gather = 0; SET client_min_messages = warning; \
             SET pg_trgm.similarity_threshold = 0.2; SET work_mem = '16MB'",
            self.statement_timeout_ms
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Builds the pool without connecting: the server starts even while PostgreSQL is down, and `/readyz` says so.
pub fn build_pool(database_url: &str, max_size: u32, statement_timeout_ms: u32) -> Pool {
    diesel::r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(0))
        .connection_timeout(CONNECTION_TIMEOUT)
        .connection_customizer(Box::new(SessionSettings {
            statement_timeout_ms,
        }))
        .build_unchecked(ConnectionManager::new(database_url))
}

/// Runs `f` with a pooled connection on actix's blocking thread pool. The connection is taken inside the closure
/// because `Pool::get` blocks too.
pub async fn run<T, E, F>(pool: &Pool, f: F) -> Result<T, E>
where
    F: FnOnce(&mut PgConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool
            .get()
            .map_err(|e| E::from(DbError::Unavailable(e.to_string())))?;
        f(&mut conn)
    })
    .await
    .unwrap_or_else(|_| Err(E::from(DbError::Cancelled)))
}

/// `run` for a public read: on a replica when one may serve it (see `replicas`), else on the primary.
pub async fn run_read<T, E, F>(
    primary: &Pool,
    replicas: &std::sync::Arc<replicas::Replicas>,
    f: F,
) -> Result<T, E>
where
    F: FnOnce(&mut PgConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: From<DbError> + Send + 'static,
{
    let (primary, replicas) = (primary.clone(), std::sync::Arc::clone(replicas));
    actix_web::web::block(move || {
        let mut conn = replicas.read_connection(&primary).map_err(E::from)?;
        f(&mut conn)
    })
    .await
    .unwrap_or_else(|_| Err(E::from(DbError::Cancelled)))
}

/// `run` for closures whose error converts into the caller's: `R` is named once by a layer's own wrapper
/// (`store::run`, `api::run`), so call sites need no type annotations.
pub async fn run_into<T, E, R, F>(pool: &Pool, f: F) -> Result<T, R>
where
    F: FnOnce(&mut PgConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
    R: From<E> + From<DbError> + Send + 'static,
{
    run(pool, move |conn| f(conn).map_err(R::from)).await
}

/// Applies every pending migration; returns how many ran.
pub fn migrate(conn: &mut PgConnection) -> Result<usize, DbError> {
    conn.run_pending_migrations(MIGRATIONS)
        .map(|applied| applied.len())
        .map_err(|e| DbError::Migration(e.to_string()))
}

/// True when the binary knows migrations the database has not applied.
pub fn has_pending_migrations(conn: &mut PgConnection) -> Result<bool, DbError> {
    conn.has_pending_migration(MIGRATIONS)
        .map_err(|e| DbError::Migration(e.to_string()))
}
