//! Folio's settings: one typed struct, read once at start from flags or their environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

/// Every setting is a flag and an environment variable; clap rejects a bad value at start with a message that
/// names the setting.
#[derive(Args, Debug, Clone)]
pub struct Config {
    /// PostgreSQL connection URL. Without it, Folio runs a private cluster in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Address the HTTP server listens on.
    #[arg(
        long,
        env = "FOLIO_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: SocketAddr,

    /// Where the private PostgreSQL cluster lives when no DATABASE_URL is given.
    #[arg(long, env = "FOLIO_DATA_DIR", default_value = ".folio", global = true)]
    pub data_dir: PathBuf,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "FOLIO_WORKERS", global = true, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: Option<u16>,

    /// Maximum number of database connections.
    #[arg(long, env = "FOLIO_DB_POOL_SIZE", default_value_t = 8, global = true,
          value_parser = clap::value_parser!(u32).range(1..=200))]
    pub db_pool_size: u32,

    /// Allowed CORS origins, comma separated, or `*`.
    #[arg(long, env = "FOLIO_CORS_ORIGINS", default_value = "*", global = true)]
    pub cors_origins: String,

    /// Apply pending migrations when `serve` starts.
    #[arg(long, env = "FOLIO_AUTO_MIGRATE", default_value_t = true, global = true,
          action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub auto_migrate: bool,

    /// Largest accepted request body, in bytes.
    #[arg(long, env = "FOLIO_MAX_BODY_BYTES", default_value_t = 2 * 1024 * 1024, global = true,
          value_parser = clap::value_parser!(u64).range(1024..=1024 * 1024 * 1024))]
    pub max_body_bytes: u64,

    /// Longest time one SQL statement may run, in milliseconds.
    #[arg(long, env = "FOLIO_STATEMENT_TIMEOUT_MS", default_value_t = 5000, global = true,
          value_parser = clap::value_parser!(u32).range(100..=600_000))]
    pub statement_timeout_ms: u32,

    /// `max-age` of public GET responses, in seconds.
    #[arg(long, env = "FOLIO_CACHE_MAX_AGE", default_value_t = 60, global = true)]
    pub cache_max_age: u32,

    /// `stale-while-revalidate` of public GET responses, in seconds.
    #[arg(
        long,
        env = "FOLIO_CACHE_STALE_WHILE_REVALIDATE",
        default_value_t = 300,
        global = true
    )]
    pub cache_stale_while_revalidate: u32,

    /// Memory for the in-process cache of public GET responses, in bytes (0 turns it off).
    #[arg(long, env = "FOLIO_CACHE_BYTES", default_value_t = 16 * 1024 * 1024, global = true)]
    pub cache_bytes: u64,

    /// Failed authentications allowed per client address and minute before it gets 429s (0: no limit).
    #[arg(
        long,
        env = "FOLIO_AUTH_FAILURES_PER_MINUTE",
        default_value_t = 10,
        global = true
    )]
    pub auth_failures_per_minute: u32,

    /// Requests per second allowed per client address on public reads (0: no limit, the default).
    #[arg(
        long,
        env = "FOLIO_READ_RATE_LIMIT",
        default_value_t = 0,
        global = true
    )]
    pub read_rate_limit: u32,

    /// Seconds in-flight requests get to finish after SIGTERM or SIGINT.
    #[arg(
        long,
        env = "FOLIO_SHUTDOWN_TIMEOUT",
        default_value_t = 15,
        global = true
    )]
    pub shutdown_timeout: u64,

    /// Log filter, in env_logger's syntax (`info`, `folio=debug,actix_web=info`, ...).
    #[arg(long = "log", env = "RUST_LOG", default_value = "info", global = true)]
    pub log_filter: String,
}

impl Config {
    /// The configuration every test and tool starts from: the defaults, with the given database.
    pub fn for_database(database_url: &str) -> Self {
        Config {
            database_url: Some(database_url.to_owned()),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: PathBuf::from(".folio"),
            workers: None,
            db_pool_size: 4,
            cors_origins: "*".to_owned(),
            auto_migrate: true,
            max_body_bytes: 2 * 1024 * 1024,
            statement_timeout_ms: 5000,
            cache_max_age: 60,
            cache_stale_while_revalidate: 300,
            cache_bytes: 16 * 1024 * 1024,
            auth_failures_per_minute: 10,
            read_rate_limit: 0,
            shutdown_timeout: 15,
            log_filter: "info".to_owned(),
        }
    }
}
