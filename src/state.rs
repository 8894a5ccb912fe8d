//! The state every request can reach: the pool, the settings, the response cache, the per-address limits and the
//! cursor key. It imports nothing of the HTTP layer, so the CLI and the seeder can build it too.

use std::sync::{Arc, Mutex, OnceLock};

use crate::cache::ResponseCache;
use crate::config::Config;
use crate::db::replicas::Replicas;
use crate::db::Pool;
use crate::limits::Limits;
use crate::storage::MediaStore;
use crate::store;

pub struct AppState {
    pub pool: Pool,
    /// Streaming replicas for public reads (none unless configured).
    pub replicas: Arc<Replicas>,
    pub config: Arc<Config>,
    pub limits: Limits,
    pub cache: Arc<ResponseCache>,
    /// Where uploaded files are kept.
    pub media: MediaStore,
    /// Uploads decoded at once: one per core (an image of the pixel limit holds about 800 MB while processed).
    pub media_processing: Arc<tokio::sync::Semaphore>,
    /// Where the sitemap index's parts start, for the ETag (the change log's position) they were found at: at a
    /// million articles finding them takes a pass over the timeline, so it is done once per change.
    pub sitemap_starts: Mutex<Option<(String, store::sitemap::Starts)>>,
    /// Loaded from the database on first use and kept for the life of the process, so the server starts (and
    /// says it is not ready) while the database is down.
    cursor_secret: OnceLock<Arc<[u8]>>,
}

impl AppState {
    pub fn new(pool: Pool, config: Config, media: MediaStore) -> Self {
        let replicas = Replicas::new(
            &config.database_replica_urls,
            config.db_pool_size,
            config.statement_timeout_ms,
            std::time::Duration::from_millis(u64::from(config.replica_max_lag_ms)),
        );
        AppState {
            pool,
            replicas,
            limits: Limits::new(config.auth_failures_per_minute, config.read_rate_limit),
            cache: ResponseCache::new(config.cache_bytes),
            media,
            media_processing: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            )),
            config: Arc::new(config),
            sitemap_starts: Mutex::new(None),
            cursor_secret: OnceLock::new(),
        }
    }

    pub fn max_body_bytes(&self) -> usize {
        usize::try_from(self.config.max_body_bytes).unwrap_or(usize::MAX)
    }

    /// The key that signs this database's pagination cursors.
    pub async fn cursor_secret(&self) -> Result<Arc<[u8]>, store::Error> {
        if let Some(secret) = self.cursor_secret.get() {
            return Ok(secret.clone());
        }
        let secret: Arc<[u8]> = store::run(&self.pool, store::secrets::cursor).await?.into();
        Ok(self.cursor_secret.get_or_init(|| secret).clone())
    }
}
