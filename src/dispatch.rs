//! The dispatcher: one background thread per instance that, every `FOLIO_DISPATCH_INTERVAL_MS`,
//! 1. logs the "published" entries of scheduled articles whose time has come (`folio_publish_due`);
//! 2. turns new change-log entries into webhook deliveries, one per entry and endpoint that wants it;
//! 3. claims the due deliveries and sends them, signed, a few at a time, and records each attempt: delivered,
//!    retried later (exponential backoff with jitter), or given up with the endpoint disabled;
//! 4. now and then, prunes what retention no longer keeps.
//!
//! Every step is safe with any number of instances on one database (see `store::webhooks`): nothing needs a
//! leader, and an instance that dies mid-delivery only causes a retry. It sits beside `api` (it renders the
//! same views the change feed answers) and below `startup`, which starts it and stops it with the server.

use std::io::Read;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::Utc;

use crate::api::views::{message_id, ChangeView, WebhookEvent};
use crate::config::Config;
use crate::db::Pool;
use crate::domain::webhook;
use crate::store::changes::{self, Change};
use crate::store::webhooks::{self, Attempt, Claimed, Then};

/// Deliveries sent at once, each on its own thread; a batch is done when its slowest attempt is (at most the
/// timeout).
const CONCURRENT: i64 = 8;
/// Batches keep coming while they come back full, for at most this long a turn: then the turn's other duties
/// (announcements, fan-out) come round again.
const SEND_BUDGET: Duration = Duration::from_secs(2);
/// Change-log entries turned into deliveries per transaction.
const FAN_OUT_BATCH: i64 = 200;
/// What a claim adds to the timeout before another instance may retry the attempt.
const LEASE_MARGIN: Duration = Duration::from_secs(30);
/// How much of a receiver's answer is read (and thrown away): enough to reuse the connection, never more.
const RESPONSE_CAP: u64 = 64 * 1024;
const PRUNE_EVERY: Duration = Duration::from_secs(600);
/// The error a refused address carries out of the resolver, to tell it from a network failure.
const REFUSED: &str = "webhook address refused";

/// The running dispatcher; dropping it stops the thread at its next turn.
pub struct Dispatcher {
    stop: Arc<AtomicBool>,
    _thread: Option<JoinHandle<()>>,
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
    }
}

#[derive(Debug, Clone)]
struct Settings {
    interval: Duration,
    timeout: Duration,
    allow_private: bool,
    keep_days: u32,
}

impl Dispatcher {
    /// Starts the dispatcher on `pool`, unless the configuration turns it off.
    pub fn start(pool: Pool, config: &Config) -> Dispatcher {
        let stop = Arc::new(AtomicBool::new(false));
        let settings = Settings {
            interval: Duration::from_millis(u64::from(config.dispatch_interval_ms)),
            timeout: Duration::from_millis(u64::from(config.webhook_timeout_ms)),
            allow_private: config.webhook_allow_private,
            keep_days: config.changes_retention_days,
        };
        let thread = config
            .dispatch
            .then(|| {
                let stop = Arc::clone(&stop);
                std::thread::Builder::new()
                    .name("folio-dispatch".to_owned())
                    .spawn(move || run(&pool, &settings, &stop))
                    .map_err(|e| log::error!("webhooks and scheduled-change entries stopped: cannot start the dispatcher: {e}"))
                    .ok()
            })
            .flatten();
        Dispatcher {
            stop,
            _thread: thread,
        }
    }
}

fn run(pool: &Pool, settings: &Settings, stop: &AtomicBool) {
    let agent = agent(settings);
    let mut pruned = Instant::now()
        .checked_sub(PRUNE_EVERY)
        .unwrap_or_else(Instant::now);
    let mut failing = false;
    while !stop.load(Ordering::Acquire) {
        match turn(pool, &agent, settings, &mut pruned) {
            Ok(()) => failing = false,
            // Said once per outage, not every turn.
            Err(e) if !failing => {
                failing = true;
                log::warn!("dispatcher: {e}; trying again every turn");
            }
            Err(_) => {}
        }
        std::thread::sleep(settings.interval);
    }
}

/// One turn: announcements, fan-out, deliveries, and pruning when it is due.
fn turn(
    pool: &Pool,
    agent: &ureq::Agent,
    settings: &Settings,
    pruned: &mut Instant,
) -> Result<(), String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    changes::publish_due(&mut conn).map_err(|e| e.to_string())?;
    while webhooks::fan_out(&mut conn, FAN_OUT_BATCH, &render).map_err(|e| e.to_string())?
        == FAN_OUT_BATCH as usize
    {}
    let lease = settings.timeout + LEASE_MARGIN;
    let sending = Instant::now();
    loop {
        let claimed = webhooks::claim(&mut conn, CONCURRENT, lease).map_err(|e| e.to_string())?;
        if claimed.is_empty() {
            break;
        }
        // No connection is held while receivers answer.
        drop(conn);
        let outcomes: Vec<(Attempt, Then)> = std::thread::scope(|scope| {
            let sending: Vec<_> = claimed
                .iter()
                .map(|c| scope.spawn(move || deliver(agent, c)))
                .collect();
            sending
                .into_iter()
                .zip(&claimed)
                .map(|(handle, c)| {
                    handle.join().unwrap_or_else(|_| {
                        failed(
                            c,
                            Utc::now(),
                            Duration::ZERO,
                            None,
                            "the sender panicked".to_owned(),
                        )
                    })
                })
                .collect()
        });
        conn = pool.get().map_err(|e| e.to_string())?;
        // Each outcome on its own: one that cannot be recorded (its delivery deleted meanwhile, say) loses only
        // itself, and its delivery is retried after the lease.
        for (c, (attempt, then)) in claimed.iter().zip(&outcomes) {
            match webhooks::record(&mut conn, c, attempt, then) {
                Ok(()) => {
                    if let Then::GiveUp(reason) = then {
                        log::warn!("webhook {} disabled: {reason}", c.webhook_id);
                    }
                }
                Err(e) => log::warn!(
                    "dispatcher: the attempt of {} was not recorded: {e}",
                    message_id(c.id)
                ),
            }
        }
        if (claimed.len() as i64) < CONCURRENT || sending.elapsed() >= SEND_BUDGET {
            break;
        }
    }
    if pruned.elapsed() >= PRUNE_EVERY {
        *pruned = Instant::now();
        while changes::prune(&mut conn, settings.keep_days).map_err(|e| e.to_string())? > 0 {}
        while webhooks::prune(&mut conn, settings.keep_days).map_err(|e| e.to_string())? > 0 {}
    }
    Ok(())
}

/// The body of a change's webhook: the change as a `content:read` feed shows it.
fn render(change: &Change) -> String {
    let kind = change.row.kind.clone();
    let timestamp = change.row.at;
    let body = ChangeView::of(change.clone(), Utc::now()).map(|data| WebhookEvent {
        kind,
        timestamp,
        data,
    });
    body.and_then(|b| serde_json::to_string(&b).ok())
        .unwrap_or_else(|| {
            serde_json::json!({"type": change.row.kind, "timestamp": change.row.at, "data": {"position": change.row.position}})
                .to_string()
        })
}

/// The HTTP client: the timeout covers the whole exchange, redirects are answers (a failure), and every address a
/// name resolves to is checked before connecting to it (so a name cannot smuggle a private address past the check
/// made when the endpoint was written, nor rebind to one between check and connection).
fn agent(settings: &Settings) -> ureq::Agent {
    let allow_private = settings.allow_private;
    ureq::AgentBuilder::new()
        .timeout(settings.timeout)
        // The overall timeout does not bound connecting by itself.
        .timeout_connect(settings.timeout)
        .redirects(0)
        .user_agent(concat!("Folio-Webhooks/", env!("CARGO_PKG_VERSION")))
        .resolver(move |netloc: &str| -> std::io::Result<Vec<SocketAddr>> {
            let addresses: Vec<SocketAddr> = netloc.to_socket_addrs()?.collect();
            if !allow_private {
                if let Some((address, why)) = addresses
                    .iter()
                    .find_map(|a| webhook::forbidden(a.ip()).map(|why| (a.ip(), why)))
                {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::PermissionDenied,
                        format!("{REFUSED}: {netloc} resolves to {address}, a {why} address (FOLIO_WEBHOOK_ALLOW_PRIVATE allows it)"),
                    ));
                }
            }
            Ok(addresses)
        })
        .build()
}

/// One attempt: sign, send, read a bounded answer, and decide what follows.
fn deliver(agent: &ureq::Agent, c: &Claimed) -> (Attempt, Then) {
    let id = message_id(c.id);
    let timestamp = Utc::now().timestamp();
    let secrets: Vec<&str> = std::iter::once(c.secret.as_str())
        .chain(c.previous_secret.as_deref())
        .collect();
    let signature = webhook::signature(&secrets, &id, timestamp, &c.payload);
    let started = Utc::now();
    let clock = Instant::now();
    let sent = agent
        .post(&c.url)
        .set("content-type", "application/json")
        .set("webhook-id", &id)
        .set("webhook-timestamp", &timestamp.to_string())
        .set("webhook-signature", &signature)
        .send_string(&c.payload);
    let (code, error) = match sent {
        Ok(response) => {
            let code = response.status();
            drain(response);
            (
                Some(code),
                (!(200..300).contains(&code))
                    .then(|| format!("the receiver answered {code} (redirects are not followed)")),
            )
        }
        Err(ureq::Error::Status(code, response)) => {
            drain(response);
            (Some(code), Some(format!("the receiver answered {code}")))
        }
        Err(ureq::Error::Transport(t)) => (None, Some(t.to_string())),
    };
    let duration = clock.elapsed();
    match error {
        None => (
            Attempt {
                started,
                duration,
                status_code: code,
                error: None,
            },
            Then::Delivered,
        ),
        Some(error) => failed(c, started, duration, code, error),
    }
}

fn drain(response: ureq::Response) {
    let mut sink = Vec::new();
    let _ = response
        .into_reader()
        .take(RESPONSE_CAP)
        .read_to_end(&mut sink);
}

/// A failed attempt, and whether it is retried or given up.
fn failed(
    c: &Claimed,
    started: chrono::DateTime<Utc>,
    duration: Duration,
    code: Option<u16>,
    error: String,
) -> (Attempt, Then) {
    let then = if error.contains(REFUSED) {
        Then::GiveUp(error.clone())
    } else if code == Some(410) {
        Then::GiveUp(format!(
            "the receiver answered 410 Gone at {}",
            started.to_rfc3339()
        ))
    } else if c.attempt >= webhook::MAX_ATTEMPTS {
        Then::GiveUp(format!(
            "delivery {} failed {} attempts over about a day; the last, at {}: {error}",
            message_id(c.id),
            c.attempt,
            started.to_rfc3339()
        ))
    } else {
        Then::Retry(webhook::backoff(c.attempt, rand::random::<f64>()))
    };
    (
        Attempt {
            started,
            duration,
            status_code: code,
            error: Some(error),
        },
        then,
    )
}
