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

    /// Streaming replicas of DATABASE_URL's database that may serve public reads: PostgreSQL URLs, comma
    /// separated. Empty (the default): every query goes to DATABASE_URL.
    #[arg(
        long,
        env = "DATABASE_REPLICA_URLS",
        global = true,
        value_delimiter = ',',
        hide_env_values = true
    )]
    pub database_replica_urls: Vec<String>,

    /// Longest replication lag, in milliseconds, with which a replica still serves reads.
    #[arg(long, env = "FOLIO_REPLICA_MAX_LAG_MS", default_value_t = 1000, global = true,
          value_parser = clap::value_parser!(u32).range(10..=3_600_000))]
    pub replica_max_lag_ms: u32,

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

    /// Proxies whose `Forwarded` / `X-Forwarded-For` headers name the client: addresses or CIDR blocks, comma
    /// separated. Empty (the default): those headers are ignored and the peer address is the client.
    #[arg(long, env = "FOLIO_TRUSTED_PROXIES", global = true, value_delimiter = ',',
          value_parser = crate::client::parse_net)]
    pub trusted_proxies: Vec<ipnet::IpNet>,

    /// Seconds in-flight requests get to finish after SIGTERM or SIGINT.
    #[arg(
        long,
        env = "FOLIO_SHUTDOWN_TIMEOUT",
        default_value_t = 15,
        global = true
    )]
    pub shutdown_timeout: u64,

    /// Run this instance's dispatcher: webhook deliveries, the "published" entries of scheduled articles when
    /// their time comes, and change-log retention. Any number of instances may run it at once.
    #[arg(long, env = "FOLIO_DISPATCH", default_value_t = true, global = true,
          action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub dispatch: bool,

    /// How often the dispatcher looks for work, in milliseconds: the longest delay before a webhook is sent.
    #[arg(long, env = "FOLIO_DISPATCH_INTERVAL_MS", default_value_t = 500, global = true,
          value_parser = clap::value_parser!(u32).range(10..=60_000))]
    pub dispatch_interval_ms: u32,

    /// Longest time one webhook delivery may take (connecting, sending, the receiver's answer), in milliseconds.
    #[arg(long, env = "FOLIO_WEBHOOK_TIMEOUT_MS", default_value_t = 10_000, global = true,
          value_parser = clap::value_parser!(u32).range(100..=60_000))]
    pub webhook_timeout_ms: u32,

    /// Let webhooks reach loopback, private, link-local and other non-public addresses (local development and
    /// tests only: it lets an admin token make this server send requests inside its network).
    #[arg(long, env = "FOLIO_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, global = true,
          action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub webhook_allow_private: bool,

    /// Days change-log entries (the change feed) and finished webhook deliveries are kept.
    #[arg(long, env = "FOLIO_CHANGES_RETENTION_DAYS", default_value_t = 30, global = true,
          value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub changes_retention_days: u32,

    /// URLs per sitemap file: beyond this many, `/sitemap.xml` is an index of parts (the protocol allows 50,000).
    #[arg(long, env = "FOLIO_SITEMAP_URLS", default_value_t = 50_000, global = true,
          value_parser = clap::value_parser!(i64).range(1..=50_000))]
    pub sitemap_urls: i64,

    /// Rows a streamed sitemap reads per query (tests make it small to cross batch boundaries).
    #[arg(skip = 5_000)]
    pub sitemap_batch: i64,

    /// The API's public address as clients reach it (`https://api.example.com`): the base of the feeds' own links
    /// and of the sitemap index's part URLs. Unset, they are built from the request's `Host` (and, from a trusted
    /// proxy, its forwarded host and scheme), and feeds bypass the response cache, whose key holds no host.
    #[arg(long, env = "FOLIO_PUBLIC_URL", global = true, value_parser = public_url)]
    pub public_url: Option<String>,

    /// Where uploaded files are kept: `local` (`{data dir}/media`), a directory, or `s3://bucket[/prefix]` (an
    /// S3-compatible store shared by every instance; credentials, region and endpoint from the `AWS_*`
    /// variables: `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT`, `AWS_ALLOW_HTTP`).
    #[arg(
        long,
        env = "FOLIO_MEDIA_STORE",
        default_value = "local",
        global = true
    )]
    pub media_store: String,

    /// Largest upload, in bytes (a larger one is refused with 413).
    #[arg(long, env = "FOLIO_MEDIA_MAX_BYTES", default_value_t = 20 * 1024 * 1024, global = true,
          value_parser = clap::value_parser!(u64).range(1..=1024 * 1024 * 1024))]
    pub media_max_bytes: u64,

    /// Widest or tallest image accepted, in pixels, as its header declares it (checked before decoding).
    #[arg(long, env = "FOLIO_MEDIA_MAX_DIMENSION", default_value_t = 12_000, global = true,
          value_parser = clap::value_parser!(u32).range(1..=65_535))]
    pub media_max_dimension: u32,

    /// Most pixels (width × height) of an image accepted, as its header declares it; processing holds up to about
    /// 16 bytes a pixel (a 16-bit RGBA image and its copies), one upload per core at a time.
    #[arg(long, env = "FOLIO_MEDIA_MAX_PIXELS", default_value_t = 50_000_000, global = true,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub media_max_pixels: u64,

    /// Widths of the responsive variants made of each raster upload (those narrower than the image), comma
    /// separated.
    #[arg(long, env = "FOLIO_MEDIA_WIDTHS", default_value = "480,960,1600", global = true,
          value_delimiter = ',', value_parser = clap::value_parser!(u32).range(16..=8192))]
    pub media_widths: Vec<u32>,

    /// Log filter, in env_logger's syntax (`info`, `folio=debug,actix_web=info`, ...).
    #[arg(long = "log", env = "RUST_LOG", default_value = "info", global = true)]
    pub log_filter: String,
}

/// An absolute http(s) URL without query or fragment; a final `/` is dropped.
fn public_url(s: &str) -> Result<String, String> {
    let parsed = url::Url::parse(s).map_err(|e| e.to_string())?;
    if !matches!(parsed.scheme(), "http" | "https")
        || parsed.query().is_some()
        || parsed.fragment().is_some()
    {
        return Err("must be an http(s) URL without query or fragment".to_owned());
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

impl Config {
    /// The limits and variant widths of uploads.
    pub fn media_limits(&self) -> crate::domain::media::Limits {
        crate::domain::media::Limits {
            max_dimension: self.media_max_dimension,
            max_pixels: self.media_max_pixels,
            widths: self.media_widths.clone(),
        }
    }

    /// The configuration every test and tool starts from: the defaults declared above (the one place each is
    /// written), ignoring the environment, with the given database and an ephemeral port.
    pub fn for_database(database_url: &str) -> Self {
        use clap::{Args, FromArgMatches};
        let command =
            Config::augment_args(clap::Command::new("folio")).mut_args(|arg| arg.env(None));
        let matches = command
            .try_get_matches_from([
                "folio",
                "--bind",
                "127.0.0.1:0",
                "--database-url",
                database_url,
            ])
            .unwrap_or_else(|e| panic!("the built-in defaults do not parse: {e}"));
        Config::from_arg_matches(&matches)
            .unwrap_or_else(|e| panic!("the built-in defaults do not parse: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    #[test]
    fn the_defaults_are_the_declared_ones() {
        let c = Config::for_database("postgres://x/y");
        assert_eq!(c.database_url.as_deref(), Some("postgres://x/y"));
        assert_eq!(c.db_pool_size, 8);
        assert_eq!(c.statement_timeout_ms, 5000);
        assert_eq!(c.cache_bytes, 16 * 1024 * 1024);
        assert_eq!(c.bind.port(), 0);
        assert!(c.auto_migrate);
        assert!(c.dispatch && !c.webhook_allow_private);
        assert_eq!(c.changes_retention_days, 30);
        assert_eq!(c.sitemap_urls, 50_000);
        assert_eq!(c.sitemap_batch, 5_000);
        assert_eq!(c.public_url, None);
        assert!(c.database_replica_urls.is_empty());
        assert_eq!(c.replica_max_lag_ms, 1000);
        assert_eq!(
            super::public_url("https://api.example.com/").as_deref(),
            Ok("https://api.example.com")
        );
        assert!(super::public_url("ftp://x").is_err());
    }
}
