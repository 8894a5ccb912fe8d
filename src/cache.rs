//! The response cache: public GET responses kept in memory, keyed by a generation number and the normalized
//! request, and bounded in bytes.
//!
//! It never serves content older than the last write it could know of:
//! - a write through this instance bumps the generation before its response leaves;
//! - every content table has a trigger that `NOTIFY`s `folio_content` at commit, and a listener thread bumps the
//!   generation when it hears one, so writes through other instances (or plain SQL) count too;
//! - the same thread bumps it when the next scheduled article's time arrives (measured on the database's clock);
//! - while the listener has no connection, it may miss notifications, so the cache is bypassed until it is back.
//!
//! A response computed before a bump is stored under the old generation, so it can never be served after it.
//!
//! With read replicas, the listener raises their watermark to the primary's WAL position before each bump, so a
//! response that refills the cache is read from a replica only once it has replayed the change (`db::replicas`).
//!
//! Concurrent misses of one key are coalesced: the first computes the response, and the others wait for it and
//! are answered from it (quick_cache's placeholder guards). A burst of requests for a page a write has just
//! invalidated costs one database read, not one per request.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use quick_cache::sync::{Cache, DefaultLifecycle, PlaceholderGuard};
use quick_cache::{DefaultHashBuilder, Weighter};

use crate::db::replicas::{self, Replicas};

/// How often the listener looks for notifications: the delay with which another instance's write is seen.
const POLL: Duration = Duration::from_millis(5);
/// A query on the listening connection at least this often: it re-reads the schedule and, above all, notices a
/// dead connection (polling for notifications alone does not), so the cache is bypassed within about a second of
/// losing the database and rebuilt when the listener is back.
const RECHECK: Duration = Duration::from_secs(1);

/// A stored response: what the HTTP layer needs to answer again.
#[derive(Clone)]
pub struct Entry {
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
}

#[derive(Clone)]
struct ByBytes;

impl Weighter<Key, Stored> for ByBytes {
    fn weight(&self, key: &Key, stored: &Stored) -> u64 {
        let Stored::Response(entry) = stored else {
            return key.1.len() as u64 + 64;
        };
        let headers: usize = entry
            .headers
            .iter()
            .map(|(k, v)| k.len() + v.len() + 16)
            .sum();
        (key.1.len() + headers + entry.body.len() + 64) as u64
    }
}

/// A stored response's key: the generation it was computed under, and the normalized request.
type Key = (u64, String);
type Entries = Cache<Key, Stored, ByBytes>;
type Guard<'a> =
    PlaceholderGuard<'a, Key, Stored, ByBytes, DefaultHashBuilder, DefaultLifecycle<Key, Stored>>;

/// What a lookup found.
pub enum Lookup<'a> {
    Hit(Entry),
    /// Not stored: compute the response, and fill it in if it may be kept (`None` when the cache is off, or when
    /// the request this one waited for could not be kept either).
    Miss(Option<Fill<'a>>),
}

/// What the cache holds under a key: a response, or, for an instant, word to the requests waiting on that key that
/// the response could not be kept and each must compute its own (so a burst of 404s does not run one by one).
#[derive(Clone)]
enum Stored {
    Response(Entry),
    Pass,
}

/// The duty to store the response of a missed key; dropping it unfilled hands the duty to a waiting request.
pub struct Fill<'a> {
    guard: Guard<'a>,
    cache: &'a ResponseCache,
    key: Key,
}

impl Fill<'_> {
    /// Stores the response and answers every request waiting for it.
    pub fn fill(self, entry: Entry) {
        let current = self.cache.generation.load(Ordering::Acquire) == self.key.0;
        // The waiters asked under this generation, so they get the response even after a bump; the cache keeps it
        // only while the generation is current.
        self.resolve(Stored::Response(entry), current);
    }

    /// The response may not be kept: the waiting requests compute their own.
    pub fn pass(self) {
        self.resolve(Stored::Pass, false);
    }

    fn resolve(self, stored: Stored, keep: bool) {
        let Fill { guard, cache, key } = self;
        if guard.insert(stored).is_ok() && !keep {
            if let Some(entries) = &cache.entries {
                entries.remove(&key);
            }
        }
    }
}

pub struct ResponseCache {
    entries: Option<Entries>,
    generation: AtomicU64,
    /// True while the listener is connected and listening.
    live: AtomicBool,
    stop: AtomicBool,
}

impl ResponseCache {
    /// A cache of at most `max_bytes` (0 disables it).
    pub fn new(max_bytes: u64) -> Arc<ResponseCache> {
        let entries = (max_bytes > 0).then(|| {
            let estimated_items = usize::try_from(max_bytes / 8192).unwrap_or(1024).max(16);
            Cache::with_weighter(estimated_items, max_bytes, ByBytes)
        });
        Arc::new(ResponseCache {
            entries,
            generation: AtomicU64::new(0),
            live: AtomicBool::new(false),
            stop: AtomicBool::new(false),
        })
    }

    /// The generation to read under, or `None` when the cache must be bypassed.
    pub fn generation(&self) -> Option<u64> {
        (self.entries.is_some() && self.live.load(Ordering::Acquire))
            .then(|| self.generation.load(Ordering::Acquire))
    }

    /// The stored response for `key`, or, on a miss, the duty to compute it: other requests for the same key
    /// wait until the `Fill` is filled (and are answered with it) or dropped (and then one of them computes it).
    pub async fn lookup(&self, generation: u64, key: String) -> Lookup<'_> {
        let Some(entries) = &self.entries else {
            return Lookup::Miss(None);
        };
        let key = (generation, key);
        match entries.get_value_or_guard_async(&key).await {
            Ok(Stored::Response(entry)) => Lookup::Hit(entry),
            Ok(Stored::Pass) => Lookup::Miss(None),
            Err(guard) => Lookup::Miss(Some(Fill {
                guard,
                cache: self,
                key,
            })),
        }
    }

    /// Forgets everything: called on every write and every notification.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        if let Some(entries) = &self.entries {
            entries.clear();
        }
    }

    /// Stops the listener thread.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
    }

    /// Starts the listener thread for this cache on `database_url`; it also keeps the replicas' watermark, so it
    /// runs when replicas are configured even with the cache off.
    pub fn listen(self: &Arc<Self>, database_url: String, replicas: Arc<Replicas>) {
        if self.entries.is_none() && !replicas.any() {
            return;
        }
        let cache = Arc::clone(self);
        let spawned = std::thread::Builder::new()
            .name("folio-cache-listener".to_owned())
            .spawn(move || cache.listen_loop(&database_url, &replicas));
        if let Err(e) = spawned {
            log::error!("response cache disabled: cannot start its listener: {e}");
        }
    }

    fn listen_loop(&self, database_url: &str, replicas: &Replicas) {
        while !self.stop.load(Ordering::Acquire) {
            let listened = self.listen_once(database_url, replicas);
            replicas.set_listening(false);
            match listened {
                Ok(()) => return,
                Err(e) => {
                    if self.live.swap(false, Ordering::AcqRel) {
                        log::warn!("response cache bypassed until its listener reconnects: {e}");
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
    }

    /// Listens until told to stop (`Ok`) or the connection fails (`Err`).
    fn listen_once(&self, database_url: &str, replicas: &Replicas) -> Result<(), String> {
        let mut conn = PgConnection::establish(database_url).map_err(|e| e.to_string())?;
        conn.batch_execute("LISTEN folio_content")
            .map_err(|e| e.to_string())?;
        // Anything may have changed while we were not listening.
        raise_watermark(&mut conn, replicas)?;
        self.invalidate();
        let mut due = next_publication(&mut conn)?;
        replicas.set_listening(true);
        self.live.store(true, Ordering::Release);
        log::debug!("response cache listening");
        let mut checked = Instant::now();
        while !self.stop.load(Ordering::Acquire) {
            let mut heard = false;
            for notification in conn.notifications_iter() {
                notification.map_err(|e| e.to_string())?;
                heard = true;
            }
            let now = Instant::now();
            let scheduled = due.is_some_and(|at| now >= at);
            if heard || scheduled || now - checked >= RECHECK {
                if heard {
                    raise_watermark(&mut conn, replicas)?;
                }
                if heard || scheduled {
                    self.invalidate();
                }
                // Also proves the connection is alive.
                due = next_publication(&mut conn)?;
                checked = now;
            }
            std::thread::sleep(POLL);
        }
        self.live.store(false, Ordering::Release);
        Ok(())
    }
}

/// Before the cache forgets a change, replicas must have replayed it to serve the refill.
fn raise_watermark(conn: &mut PgConnection, replicas: &Replicas) -> Result<(), String> {
    if replicas.any() {
        replicas.advance(replicas::primary_position(conn).map_err(|e| e.to_string())?);
    }
    Ok(())
}

/// When the next scheduled article goes live, as an instant on this machine computed from the database's own
/// clock (so clock skew between the two does not matter).
fn next_publication(conn: &mut PgConnection) -> Result<Option<Instant>, String> {
    let seconds = crate::store::articles::next_publication_secs(conn).map_err(|e| e.to_string())?;
    Ok(seconds
        .map(|s| Instant::now() + Duration::from_secs_f64(s.max(0.0)) + Duration::from_millis(1)))
}

/// The cache key of a request: its path and its query pairs in sorted order, so that `?a=1&b=2` and `?b=2&a=1`
/// share an entry.
pub fn key(path: &str, query: &str) -> String {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    pairs.sort();
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in &pairs {
        out.append_pair(k, v);
    }
    format!("{path}?{}", out.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_parameter_order() {
        assert_eq!(key("/a", "b=2&a=1"), key("/a", "a=1&b=2"));
        assert_ne!(key("/a", "a=1"), key("/a", "a=2"));
    }

    fn entry(body: &'static [u8]) -> Entry {
        Entry {
            headers: vec![],
            body: Bytes::from_static(body),
        }
    }

    async fn stored(cache: &ResponseCache, generation: u64) -> Option<Bytes> {
        match cache.lookup(generation, "k".into()).await {
            Lookup::Hit(e) => Some(e.body),
            Lookup::Miss(_) => None,
        }
    }

    #[actix_web::test]
    async fn an_invalidation_hides_what_came_before_it() {
        let cache = ResponseCache::new(1 << 20);
        cache.live.store(true, Ordering::Release);
        let generation = cache.generation().expect("live");
        let Lookup::Miss(Some(fill)) = cache.lookup(generation, "k".into()).await else {
            panic!("an empty cache misses");
        };
        fill.fill(entry(b"old"));
        assert_eq!(
            stored(&cache, generation).await.as_deref(),
            Some(&b"old"[..])
        );
        cache.invalidate();
        let now = cache.generation().expect("live");
        assert_eq!(stored(&cache, now).await, None);
        // A response computed before the bump is not kept, under either generation.
        let Lookup::Miss(Some(late)) = cache.lookup(generation, "k".into()).await else {
            panic!("cleared");
        };
        late.fill(entry(b"late"));
        assert_eq!(stored(&cache, now).await, None);
        assert_eq!(stored(&cache, generation).await, None);
    }

    #[actix_web::test]
    async fn concurrent_misses_of_one_key_compute_it_once() {
        let cache = ResponseCache::new(1 << 20);
        cache.live.store(true, Ordering::Release);
        let generation = cache.generation().expect("live");
        let Lookup::Miss(Some(fill)) = cache.lookup(generation, "k".into()).await else {
            panic!("an empty cache misses");
        };
        let waiter = cache.lookup(generation, "k".into());
        let filler = async {
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
            fill.fill(entry(b"once"));
        };
        let (found, ()) = futures_util::future::join(waiter, filler).await;
        assert!(
            matches!(found, Lookup::Hit(ref e) if e.body == b"once"[..]),
            "the waiter is answered with the first request's response"
        );

        // A response that may not be kept (dropped unfilled) hands the duty to the next request.
        cache.invalidate();
        let now = cache.generation().expect("live");
        let Lookup::Miss(Some(first)) = cache.lookup(now, "k".into()).await else {
            panic!("cleared");
        };
        drop(first);
        assert!(matches!(
            cache.lookup(now, "k".into()).await,
            Lookup::Miss(Some(_))
        ));

        // A response that may not be kept (a 404, say) tells every waiter at once to compute its own, and leaves
        // the key free for the next request to try again.
        let Lookup::Miss(Some(first)) = cache.lookup(now, "p".into()).await else {
            panic!("an empty key misses");
        };
        let waiter = cache.lookup(now, "p".into());
        let passer = async {
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
            first.pass();
        };
        let (found, ()) = futures_util::future::join(waiter, passer).await;
        assert!(matches!(found, Lookup::Miss(None)));
        assert!(matches!(
            cache.lookup(now, "p".into()).await,
            Lookup::Miss(Some(_))
        ));
    }

    #[test]
    fn disabled_or_disconnected_caches_are_bypassed() {
        assert_eq!(ResponseCache::new(0).generation(), None);
        assert_eq!(
            ResponseCache::new(1024).generation(),
            None,
            "not live until the listener runs"
        );
    }
}
