//! Read replicas against real streaming replication: a private primary and a `pg_basebackup -R` replica of it
//! (started once under the target directory and left running, like the suite's cluster). Public reads go to the
//! replica and everything else to the primary; a replica that stops or lags is skipped and used again when well;
//! and with replay held back, a cache invalidation is never refilled from the replica that has not replayed the
//! change.

use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use actix_web::http::Method;
use diesel::sql_types::{BigInt, Bool, Text};
use diesel::{Connection, PgConnection, RunQueryDsl};
use folio::config::Config;
use folio::db::embedded::Cluster;
use serde_json::{json, Value};

use crate::helpers::{bearer, slugs, TestApp};

struct Pair {
    primary: Cluster,
    replica: Cluster,
}

/// The primary and its replica, started on first use (across test processes, once).
fn pair() -> &'static Pair {
    static PAIR: OnceLock<Pair> = OnceLock::new();
    PAIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("folio-replica-pair");
        std::fs::create_dir_all(&dir).expect("replica pair directory");
        let lock = std::fs::File::create(dir.join(".start.lock")).expect("replica pair lock file");
        lock.lock().expect("replica pair lock");
        let mut primary = Cluster::start(&dir.join("primary"))
            .unwrap_or_else(|e| panic!("the replica tests' primary did not start: {e}"));
        primary.keep_running();
        let replica = primary
            .start_replica(&dir.join("replica"))
            .unwrap_or_else(|e| panic!("the replica tests' replica did not start: {e}"));
        Pair { primary, replica }
    })
}

/// `url` (a cluster's `folio` database) naming another database.
fn on(url: &str, database: &str) -> String {
    url.replacen("postgres:///folio?", &format!("postgres:///{database}?"), 1)
}

/// One test at a time: they stop the replica and hold back its replay. Held by a session on the primary.
struct Exclusive(#[allow(dead_code)] PgConnection);

fn exclusive() -> Exclusive {
    let pair = pair();
    let mut conn = PgConnection::establish(&on(&pair.primary.database_url(), "postgres"))
        .expect("connect to the primary");
    diesel::sql_query("SELECT pg_advisory_lock(4242)")
        .execute(&mut conn)
        .expect("replica tests' lock");
    // A test that failed may have left the replica stopped or its replay held back.
    if PgConnection::establish(&on(&pair.replica.database_url(), "postgres")).is_err() {
        let _ = pair.replica.start_again();
    }
    let mut replica = PgConnection::establish(&on(&pair.replica.database_url(), "postgres"))
        .expect("connect to the replica");
    diesel::sql_query("SELECT pg_wal_replay_resume()")
        .execute(&mut replica)
        .expect("resume replay");
    Exclusive(conn)
}

/// A migrated database on the primary, with its URLs on the primary and on the replica.
struct Database {
    name: String,
    primary: String,
    replica: String,
}

impl Database {
    fn create() -> Database {
        let pair = pair();
        let name = format!("folio_replica_{}", uuid::Uuid::new_v4().simple());
        let admin = on(&pair.primary.database_url(), "postgres");
        let mut conn = PgConnection::establish(&admin).expect("connect to the primary");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .expect("create database");
        let primary = on(&pair.primary.database_url(), &name);
        folio::db::migrate(&mut PgConnection::establish(&primary).expect("connect"))
            .expect("migrate");
        let replica = on(&pair.replica.database_url(), &name);
        let db = Database {
            name,
            primary,
            replica,
        };
        db.until_replayed();
        db
    }

    /// Waits until the replica has replayed everything the primary has inserted into its WAL so far (the position
    /// an instance's watermark is taken from).
    fn until_replayed(&self) {
        let mut primary = PgConnection::establish(&self.primary).expect("connect to the primary");
        let target: String = diesel::select(diesel::dsl::sql::<Text>(
            "pg_current_wal_insert_lsn()::text",
        ))
        .get_result(&mut primary)
        .expect("primary position");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let caught_up = PgConnection::establish(&self.replica)
                .ok()
                .and_then(|mut c| {
                    diesel::select(diesel::dsl::sql::<Bool>(&format!(
                        "pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"
                    )))
                    .get_result::<bool>(&mut c)
                    .ok()
                });
            if caught_up == Some(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the replica never replayed {target}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn replica_conn(&self) -> PgConnection {
        PgConnection::establish(&self.replica).expect("connect to the replica")
    }

    /// Articles with this slug the replica has.
    fn on_replica(&self, slug: &str) -> i64 {
        diesel::select(diesel::dsl::sql::<BigInt>(&format!(
            "(SELECT count(*) FROM articles WHERE slug = '{slug}')"
        )))
        .get_result(&mut self.replica_conn())
        .expect("count on the replica")
    }

    /// An instance on this database, reading from the replica.
    async fn app(&self, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config::for_database(&self.primary);
        config.auto_migrate = false;
        config.database_replica_urls = vec![self.replica.clone()];
        tweak(&mut config);
        TestApp::start(config, None).await
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut conn) =
            PgConnection::establish(&on(&pair().primary.database_url(), "postgres"))
        {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ))
            .execute(&mut conn);
        }
    }
}

/// Holds back (or lets go) the replica's replay of the primary's WAL.
fn hold_replay(db: &Database, held: bool) {
    let mut conn = db.replica_conn();
    let call = if held {
        "pg_wal_replay_pause()"
    } else {
        "pg_wal_replay_resume()"
    };
    diesel::sql_query(format!("SELECT {call}"))
        .execute(&mut conn)
        .expect("replay control");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let state: String =
            diesel::select(diesel::dsl::sql::<Text>("pg_get_wal_replay_pause_state()"))
                .get_result(&mut conn)
                .expect("replay state");
        if (state == "paused") == held {
            return;
        }
        assert!(Instant::now() < deadline, "replay never became {state}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The instance's `/readyz`: (the replica's state, its reads, the primary's reads).
async fn routing(app: &TestApp) -> (String, u64, u64) {
    let doc = app.get("/readyz").await.json();
    let replica = &doc["replicas"][0];
    (
        replica["state"].as_str().unwrap_or("absent").to_owned(),
        replica["reads"].as_u64().unwrap_or(0),
        doc["primary_reads"].as_u64().unwrap_or(0),
    )
}

/// Waits until `/readyz` reports the replica in `state`.
async fn until_state(app: &TestApp, state: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let doc = app.get("/readyz").await.json();
        if doc["replicas"][0]["state"] == state {
            return doc;
        }
        assert!(
            Instant::now() < deadline,
            "the replica never became {state}: {doc}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn public_reads_go_to_the_replica_and_token_reads_to_the_primary() {
    let _one = exclusive();
    let db = Database::create();
    let app = db.app(|c| c.cache_bytes = 0).await;
    let w = app.token(&["content:write", "content:read"]);
    app.publish(&w, "first", "First", &["rust"], 1).await;
    let draft = app
        .put_article(
            &w,
            "draft",
            &json!({"title": "Draft", "body_markdown": "x"}),
        )
        .await;
    assert_eq!(draft.status, 201, "{}", draft.text());
    let ready = until_state(&app, "healthy").await;
    assert_eq!(ready["status"], "ready");
    assert!(ready["replicas"][0]["lag_ms"].as_u64().is_some(), "{ready}");
    db.until_replayed();

    let (_, replica_before, primary_before) = routing(&app).await;
    for _ in 0..20 {
        let listing = app.get("/api/v1/articles?per_page=5").await;
        assert_eq!(listing.status, 200);
        assert_eq!(
            slugs(&listing.json()),
            ["first"],
            "the replica has the article, not the draft"
        );
        // What a CDN needs comes with a replica's answer as with the primary's.
        assert_eq!(listing.header("surrogate-key"), Some("articles tag:rust"));
    }
    let (_, replica_after, primary_after) = routing(&app).await;
    assert_eq!(
        replica_after - replica_before,
        20,
        "each anonymous listing read the replica once"
    );
    assert_eq!(
        primary_after, primary_before,
        "no public read fell back to the primary"
    );

    // A token read sees the draft: it never goes to a replica.
    for _ in 0..5 {
        let res = app
            .send(bearer(
                app.request(Method::GET, "/api/v1/articles?status=draft"),
                &w,
            ))
            .await;
        assert_eq!(slugs(&res.json()), ["draft"]);
    }
    let (_, replica_end, primary_end) = routing(&app).await;
    assert_eq!(
        replica_end, replica_after,
        "token reads leave the replica alone"
    );
    assert_eq!(
        primary_end, primary_after,
        "and are not public reads at all"
    );

    // A write through this instance is read back at once, whatever the replica has replayed, and names what a
    // CDN must purge (read from the primary's change log).
    hold_replay(&db, true);
    let second = app
        .put_article(
            &w,
            "second",
            &json!({"title": "Second", "body_markdown": "x", "status": "published"}),
        )
        .await;
    assert_eq!(second.status, 201);
    let purge = second.header("purge-keys").unwrap_or_default().to_owned();
    let id = second.json()["id"].as_str().expect("id").to_owned();
    for key in [format!("article:{id}"), "articles".to_owned()] {
        assert!(purge.split(' ').any(|k| k == key), "{key} in {purge}");
    }
    let listing = app.get("/api/v1/articles?per_page=5").await.json();
    assert_eq!(slugs(&listing), ["second", "first"], "read your own write");
    assert_eq!(
        db.on_replica("second"),
        0,
        "the replica has not replayed it"
    );
    let (_, _, primary_now) = routing(&app).await;
    assert!(primary_now > primary_end, "the primary served it");
    hold_replay(&db, false);
}

#[actix_web::test]
async fn a_replica_that_stops_is_skipped_and_used_again_once_back() {
    let _one = exclusive();
    let db = Database::create();
    let app = db.app(|c| c.cache_bytes = 0).await;
    let w = app.token(&["content:write"]);
    app.publish(&w, "kept", "Kept", &[], 1).await;
    until_state(&app, "healthy").await;
    db.until_replayed();

    pair().replica.kill().expect("stop the replica");
    let started = Instant::now();
    let mut failed = 0;
    while started.elapsed() < Duration::from_millis(1500) {
        let res = app.get("/api/v1/articles/kept").await;
        if res.status != 200 {
            failed += 1;
        }
    }
    let down = until_state(&app, "down").await;
    assert_eq!(failed, 0, "reads fell back to the primary: {down}");
    let (_, replica_reads, primary_reads) = routing(&app).await;
    assert!(primary_reads > 0);

    pair()
        .replica
        .start_again()
        .expect("start the replica again");
    until_state(&app, "healthy").await;
    db.until_replayed();
    for _ in 0..5 {
        assert_eq!(app.get("/api/v1/articles/kept").await.status, 200);
    }
    let (_, replica_again, _) = routing(&app).await;
    assert!(
        replica_again > replica_reads,
        "the replica serves reads again"
    );
}

#[actix_web::test]
async fn a_lagging_replica_is_skipped_until_it_catches_up() {
    let _one = exclusive();
    let db = Database::create();
    let app = db
        .app(|c| {
            c.cache_bytes = 0;
            c.replica_max_lag_ms = 300;
        })
        .await;
    let w = app.token(&["content:write"]);
    app.publish(&w, "one", "One", &[], 1).await;
    until_state(&app, "healthy").await;
    db.until_replayed();

    // WAL the instance hears nothing of (no content changes): only the lag bound can keep reads off the replica.
    hold_replay(&db, true);
    let mut primary = PgConnection::establish(&db.primary).expect("connect to the primary");
    diesel::sql_query("CREATE TABLE filler AS SELECT g FROM generate_series(1, 1000) g")
        .execute(&mut primary)
        .expect("write on the primary");
    let lagging = until_state(&app, "lagging").await;
    assert!(
        lagging["replicas"][0]["lag_ms"]
            .as_u64()
            .is_some_and(|l| l > 300),
        "{lagging}"
    );
    let (_, replica_before, primary_before) = routing(&app).await;
    for _ in 0..5 {
        assert_eq!(app.get("/api/v1/articles/one").await.status, 200);
    }
    let (_, replica_after, primary_after) = routing(&app).await;
    assert_eq!(
        replica_after, replica_before,
        "the lagging replica served nothing"
    );
    assert!(primary_after >= primary_before + 5);

    hold_replay(&db, false);
    until_state(&app, "healthy").await;
    app.get("/api/v1/articles/one").await;
    let (_, replica_back, _) = routing(&app).await;
    assert!(replica_back > replica_after, "caught up, it serves again");
}

#[actix_web::test]
async fn an_invalidation_is_never_refilled_from_a_replica_that_has_not_replayed_it() {
    let _one = exclusive();
    let db = Database::create();
    // A lag bound far beyond the test: only the watermark keeps the refill off the held-back replica.
    let reader = db.app(|c| c.replica_max_lag_ms = 3_600_000).await;
    let writer = db.app(|c| c.replica_max_lag_ms = 3_600_000).await;
    let w = writer.token(&["content:write"]);
    writer.publish(&w, "old", "Old", &[], 1).await;
    until_state(&reader, "healthy").await;
    db.until_replayed();
    crate::helpers::until_live(&reader, "/api/v1/articles").await;
    let (_, replica_warm, _) = routing(&reader).await;
    assert!(replica_warm > 0, "the cache was filled from the replica");

    hold_replay(&db, true);
    writer.publish(&w, "new", "New", &[], 0).await;
    // The reader hears of the write by NOTIFY and refills its cache: from the primary, since the replica (still
    // healthy by the lag bound) has not replayed it.
    let started = Instant::now();
    let listing = loop {
        let res = reader.get("/api/v1/articles").await;
        if slugs(&res.json()).contains(&"new".to_owned()) {
            break res;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the reader kept serving the old listing: {}",
            res.text()
        );
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    };
    assert_eq!(slugs(&listing.json()), ["new", "old"]);
    let again = reader.get("/api/v1/articles").await;
    assert_eq!(again.header("x-cache"), Some("hit"), "the refill was kept");
    assert_eq!(slugs(&again.json()), ["new", "old"], "and it is not stale");
    assert_eq!(
        db.on_replica("new"),
        0,
        "the replica still has not replayed the write"
    );
    let (state, _, _) = routing(&reader).await;
    assert_eq!(
        state, "healthy",
        "by the lag bound alone the replica would have served it"
    );

    // Replayed, the replica serves the reader again.
    hold_replay(&db, false);
    db.until_replayed();
    let (_, replica_before, _) = routing(&reader).await;
    reader.get("/api/v1/articles/new").await;
    let (_, replica_after, _) = routing(&reader).await;
    assert!(replica_after > replica_before, "caught up, it serves again");
}

#[actix_web::test]
async fn a_sitemap_logs_a_due_go_live_on_the_primary() {
    let _one = exclusive();
    let db = Database::create();
    // No dispatcher: the sitemap itself logs the scheduled article's go-live (a write, which a replica refuses).
    let app = db
        .app(|c| {
            c.cache_bytes = 0;
            c.dispatch = false;
        })
        .await;
    let w = app.token(&["content:write", "admin"]);
    let site = app
        .send_json(
            bearer(app.request(Method::PATCH, "/api/v1/site"), &w),
            &json!({"url": "https://notes.example.com"}),
        )
        .await;
    assert_eq!(site.status, 200);
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let scheduled = app
        .put_article(
            &w,
            "soon",
            &json!({"title": "Soon", "body_markdown": "x", "status": "published", "published_at": soon}),
        )
        .await;
    assert_eq!(scheduled.status, 201);
    until_state(&app, "healthy").await;
    db.until_replayed();
    actix_web::rt::time::sleep(Duration::from_millis(1700)).await;
    let sitemap = app.get("/api/v1/sitemap.xml").await;
    assert_eq!(sitemap.status, 200, "{}", sitemap.text());
    assert!(sitemap.text().contains("/soon"), "{}", sitemap.text());
    let logged: i64 = diesel::select(diesel::dsl::sql::<BigInt>(
        "(SELECT count(*) FROM changes WHERE type = 'article.published' AND slug = 'soon')",
    ))
    .get_result(&mut PgConnection::establish(&db.primary).expect("connect"))
    .expect("count");
    assert_eq!(logged, 1, "the go-live was logged once, on the primary");
}
