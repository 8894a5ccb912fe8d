//! Spawns the real application on a free port, on a database of its own cloned from a migrated template.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use actix_web::dev::ServerHandle;
use actix_web::http::header::HeaderMap;
use actix_web::http::{Method, StatusCode};
use diesel::{Connection, PgConnection, RunQueryDsl};
use folio::config::Config;
use folio::db::embedded::Cluster;
use folio::startup::Application;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// The PostgreSQL server the tests use: any database on it; tests create and drop their own. It is the one named
/// by `FOLIO_TEST_DATABASE_URL` (or `DATABASE_URL`); with neither set, a private cluster that the suite starts
/// once (or finds still running from an earlier run) under the target directory, as `folio serve` does with
/// no `DATABASE_URL`: it needs PostgreSQL's programs, not a server.
pub fn server_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let configured = ["FOLIO_TEST_DATABASE_URL", "DATABASE_URL"]
            .iter()
            .filter_map(|name| std::env::var(name).ok())
            .find(|url| !url.trim().is_empty());
        configured.unwrap_or_else(private_cluster_url)
    })
    .clone()
}

/// Starts (or reuses) the suite's private cluster and returns the URL of its `postgres` database. The cluster
/// is left running when the run ends, so the next run starts in milliseconds; stop it with
/// `pg_ctl -D target/tmp/folio-test-cluster/pg stop`.
fn private_cluster_url() -> String {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    let cluster = CLUSTER.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("folio-test-cluster");
        std::fs::create_dir_all(&dir).expect("test cluster directory");
        // Test runners that start one process per test (nextest) must not initialize the cluster twice.
        let lock = std::fs::File::create(dir.join(".start.lock")).expect("test cluster lock file");
        lock.lock().expect("test cluster lock");
        let mut cluster = Cluster::start(&dir).unwrap_or_else(|e| {
            panic!(
                "no FOLIO_TEST_DATABASE_URL is set and the private test cluster did not start: {e}"
            )
        });
        cluster.keep_running();
        cluster
    });
    database_url_in(&cluster.database_url(), "postgres")
}

/// `server_url` with its database name replaced.
pub fn database_url(name: &str) -> String {
    database_url_in(&server_url(), name)
}

/// `base` with its database name replaced (TCP and Unix-socket URLs alike).
fn database_url_in(base: &str, name: &str) -> String {
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h.to_owned(), format!("?{q}")),
        None => (base.to_owned(), String::new()),
    };
    let authority_end = head.find("://").map(|i| i + 3).unwrap_or(0);
    let root = match head[authority_end..].find('/') {
        Some(slash) => &head[..authority_end + slash],
        None => head.as_str(),
    };
    format!("{root}/{name}{query}")
}

fn admin() -> PgConnection {
    PgConnection::establish(&server_url()).unwrap_or_else(|e| {
        panic!(
            "tests need PostgreSQL at {} (set FOLIO_TEST_DATABASE_URL): {e}",
            server_url()
        )
    })
}

/// One lock for every process of a test run: `CREATE DATABASE ... TEMPLATE` fails while another session is
/// connected to the template, so building the template and cloning it never overlap.
const CLONE_LOCK: i64 = 0x466f_6c69_6f00;

fn locked<T>(conn: &mut PgConnection, f: impl FnOnce(&mut PgConnection) -> T) -> T {
    diesel::sql_query(format!("SELECT pg_advisory_lock({CLONE_LOCK})"))
        .execute(conn)
        .expect("advisory lock");
    let out = f(conn);
    diesel::sql_query(format!("SELECT pg_advisory_unlock({CLONE_LOCK})"))
        .execute(conn)
        .expect("advisory unlock");
    out
}

/// Named after a hash of the migrations, so a changed migration never reuses a stale template.
fn template_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files = BTreeMap::new();
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).expect("migrations dir") {
                let path = entry.expect("dir entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path
                        .strip_prefix(&dir)
                        .expect("inside")
                        .to_string_lossy()
                        .into_owned();
                    files.insert(rel, std::fs::read(&path).expect("migration file"));
                }
            }
        }
        let mut hash = Sha256::new();
        for (name, content) in files {
            hash.update(name.as_bytes());
            hash.update([0]);
            hash.update(&content);
        }
        let hex: String = hash
            .finalize()
            .iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect();
        format!("folio_template_{hex}")
    })
}

fn exists(conn: &mut PgConnection, name: &str) -> bool {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
        .bind::<diesel::sql_types::Text, _>(name)
        .get_result::<Count>(conn)
        .expect("pg_database")
        .n
        > 0
}

/// Creates an empty database; with `migrated`, a clone of the migrated template.
pub fn create_database(migrated: bool) -> String {
    let name = format!("folio_test_{}", uuid::Uuid::new_v4().simple());
    let template = template_name();
    let mut conn = admin();
    locked(&mut conn, |conn| {
        if migrated && !exists(conn, template) {
            let building = format!("{template}_building");
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {building}"))
                .execute(conn)
                .expect("drop half-built template");
            diesel::sql_query(format!("CREATE DATABASE {building}"))
                .execute(conn)
                .expect("create template");
            {
                let mut tpl =
                    PgConnection::establish(&database_url(&building)).expect("connect template");
                folio::db::migrate(&mut tpl).expect("migrate template");
            }
            diesel::sql_query(format!("ALTER DATABASE {building} RENAME TO {template}"))
                .execute(conn)
                .expect("publish template");
        }
        let sql = if migrated {
            format!("CREATE DATABASE {name} TEMPLATE {template}")
        } else {
            format!("CREATE DATABASE {name}")
        };
        diesel::sql_query(sql)
            .execute(conn)
            .expect("create test database");
    });
    name
}

pub fn drop_database(name: &str) {
    let mut conn = admin();
    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn);
}

/// A running Folio on its own database, dropped with it.
pub struct TestApp {
    pub addr: std::net::SocketAddr,
    pub db_name: Option<String>,
    pub database_url: String,
    /// Where this app keeps uploaded files (its own directory, removed with it), when on the local disk.
    pub media_dir: Option<std::path::PathBuf>,
    handle: ServerHandle,
    client: awc::Client,
}

impl TestApp {
    /// Folio on a fresh, migrated database.
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    /// Folio on a fresh, migrated database, with settings changed by `tweak`.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> TestApp {
        let name = create_database(true);
        let url = database_url(&name);
        let mut config = Config::for_database(&url);
        config.auto_migrate = false;
        tweak(&mut config);
        Self::start(config, Some(name)).await
    }

    /// Folio with exactly this configuration; `db_name`, if given, is dropped with the app.
    pub async fn start(mut config: Config, db_name: Option<String>) -> TestApp {
        // Server logs show up with a failing test's output (set RUST_LOG to see more).
        let _ = env_logger::Builder::new()
            .parse_filters(&std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_owned()))
            .is_test(true)
            .try_init();
        config.workers = Some(1);
        config.bind = "127.0.0.1:0".parse().expect("addr");
        let media_dir = (config.media_store == "local").then(|| {
            let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join(format!("media-{}", uuid::Uuid::new_v4()));
            config.media_store = dir.display().to_string();
            dir
        });
        let database_url = config.database_url.clone().unwrap_or_default();
        let app = Application::build(config).expect("application starts");
        let addr = app.addr();
        let handle = app.handle();
        actix_web::rt::spawn(app.run_until_stopped());
        TestApp {
            addr,
            db_name,
            database_url,
            media_dir,
            handle,
            client: awc::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .disable_redirects()
                .finish(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn request(&self, method: Method, path: &str) -> awc::ClientRequest {
        self.client.request(method, self.url(path))
    }

    pub async fn get(&self, path: &str) -> Response {
        Response::from(self.request(Method::GET, path).send().await).await
    }

    pub async fn send(&self, req: awc::ClientRequest) -> Response {
        Response::from(req.send().await).await
    }

    /// A direct connection to this app's database, for arranging state the API cannot.
    pub fn db(&self) -> PgConnection {
        PgConnection::establish(&self.database_url).expect("connect test database")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
        if let Some(dir) = &self.media_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some(name) = &self.db_name {
            drop_database(name);
        }
    }
}

/// A whole response, read.
pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Response {
    async fn from<S>(res: Result<awc::ClientResponse<S>, awc::error::SendRequestError>) -> Response
    where
        S: futures_core::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
            + Unpin,
    {
        let mut res = res.expect("request sent");
        let body = res.body().limit(64 * 1024 * 1024).await.expect("body read");
        Response {
            status: res.status(),
            headers: res.headers().clone(),
            body: body.to_vec(),
        }
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a problem+json answer of this status and type, and returns the document.
    #[track_caller]
    pub fn problem(&self, status: u16, kind: &str) -> Value {
        assert_eq!(
            self.status.as_u16(),
            status,
            "status; body: {}",
            self.text()
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "content type"
        );
        let doc = self.json();
        assert_eq!(doc["type"], kind, "problem type in {doc}");
        assert_eq!(doc["status"], status, "problem status in {doc}");
        assert!(
            doc["title"].as_str().is_some_and(|t| !t.is_empty()),
            "problem title in {doc}"
        );
        assert!(
            doc["detail"].as_str().is_some_and(|t| !t.is_empty()),
            "problem detail in {doc}"
        );
        doc
    }
}

/// Builds a request with a bearer token.
pub fn bearer(req: awc::ClientRequest, secret: &str) -> awc::ClientRequest {
    req.insert_header(("Authorization", format!("Bearer {secret}")))
}

impl TestApp {
    /// A token with these scopes, created the way `folio token create` does; returns its secret.
    pub fn token(&self, scopes: &[&str]) -> String {
        self.token_expiring(scopes, None)
    }

    pub fn token_expiring(
        &self,
        scopes: &[&str],
        expires_at: Option<chrono::DateTime<chrono::Utc>>,
    ) -> String {
        let scopes: Vec<folio::domain::scope::Scope> =
            scopes.iter().map(|s| s.parse().expect("scope")).collect();
        let (_, secret) = folio::store::tokens::issue(&mut self.db(), "test", &scopes, expires_at)
            .expect("create token");
        secret
    }

    pub async fn send_json(&self, req: awc::ClientRequest, body: &Value) -> Response {
        Response::from(req.send_json(body).await).await
    }

    pub async fn send_text(
        &self,
        req: awc::ClientRequest,
        content_type: &str,
        body: &str,
    ) -> Response {
        Response::from(
            req.insert_header(("Content-Type", content_type.to_owned()))
                .send_body(body.to_owned())
                .await,
        )
        .await
    }

    pub async fn send_bytes(
        &self,
        req: awc::ClientRequest,
        content_type: &str,
        body: Vec<u8>,
    ) -> Response {
        Response::from(
            req.insert_header(("Content-Type", content_type.to_owned()))
                .send_body(body)
                .await,
        )
        .await
    }

    /// `method path` with a token, and a JSON body when given.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        secret: &str,
        body: Option<&Value>,
    ) -> Response {
        let req = bearer(self.request(method, path), secret);
        match body {
            Some(body) => self.send_json(req, body).await,
            None => self.send(req).await,
        }
    }

    /// `GET /api/v1/{collection}?{query}`, anonymously; asserts a 200 and returns the listing.
    pub async fn listing(&self, collection: &str, query: &str) -> Value {
        let res = self.get(&format!("/api/v1/{collection}?{query}")).await;
        assert_eq!(res.status, 200, "GET {collection}?{query}: {}", res.text());
        res.json()
    }

    /// `GET /api/v1/articles/{slug}`, anonymously.
    pub async fn get_article(&self, slug: &str) -> Response {
        self.get(&format!("/api/v1/articles/{slug}")).await
    }

    /// `PUT /api/v1/articles/{slug}` with a JSON body.
    pub async fn put_article(&self, secret: &str, slug: &str, body: &Value) -> Response {
        self.call(
            Method::PUT,
            &format!("/api/v1/articles/{slug}"),
            secret,
            Some(body),
        )
        .await
    }

    /// `PATCH /api/v1/articles/{slug}` with a JSON merge patch.
    pub async fn patch_article(&self, secret: &str, slug: &str, patch: &Value) -> Response {
        self.call(
            Method::PATCH,
            &format!("/api/v1/articles/{slug}"),
            secret,
            Some(patch),
        )
        .await
    }

    /// `DELETE /api/v1/articles/{slug}`.
    pub async fn delete_article(&self, secret: &str, slug: &str) -> Response {
        self.call(
            Method::DELETE,
            &format!("/api/v1/articles/{slug}"),
            secret,
            None,
        )
        .await
    }

    /// `POST /api/v1/{collection}` (`tags`, `authors`) with a JSON body.
    pub async fn create_in(&self, collection: &str, secret: &str, body: &Value) -> Response {
        self.call(
            Method::POST,
            &format!("/api/v1/{collection}"),
            secret,
            Some(body),
        )
        .await
    }

    /// `PUT /api/v1/{collection}/{slug}` with a JSON body.
    pub async fn put_in(
        &self,
        collection: &str,
        secret: &str,
        slug: &str,
        body: &Value,
    ) -> Response {
        let path = format!("/api/v1/{collection}/{slug}");
        self.call(Method::PUT, &path, secret, Some(body)).await
    }

    /// `PATCH /api/v1/{collection}/{slug}` with a JSON merge patch.
    pub async fn patch_in(
        &self,
        collection: &str,
        secret: &str,
        slug: &str,
        patch: &Value,
    ) -> Response {
        let path = format!("/api/v1/{collection}/{slug}");
        self.call(Method::PATCH, &path, secret, Some(patch)).await
    }

    /// `DELETE /api/v1/{collection}/{slug}`.
    pub async fn delete_in(&self, collection: &str, secret: &str, slug: &str) -> Response {
        let path = format!("/api/v1/{collection}/{slug}");
        self.call(Method::DELETE, &path, secret, None).await
    }

    /// `POST /api/v1/tokens`.
    pub async fn create_token(&self, secret: &str, body: &Value) -> Response {
        self.call(Method::POST, "/api/v1/tokens", secret, Some(body))
            .await
    }

    /// `GET /api/v1/tokens`.
    pub async fn list_tokens(&self, secret: &str) -> Response {
        self.call(Method::GET, "/api/v1/tokens", secret, None).await
    }

    /// `DELETE /api/v1/tokens/{id}`.
    pub async fn revoke_token(&self, secret: &str, id: &str) -> Response {
        self.call(
            Method::DELETE,
            &format!("/api/v1/tokens/{id}"),
            secret,
            None,
        )
        .await
    }

    /// Publishes an article with the given tags, `days_ago` days in the past; asserts success.
    pub async fn publish(
        &self,
        secret: &str,
        slug: &str,
        title: &str,
        tags: &[&str],
        days_ago: i64,
    ) -> Value {
        let at = chrono::Utc::now() - chrono::Duration::days(days_ago);
        let res = self
            .put_article(
                secret,
                slug,
                &serde_json::json!({
                    "title": title,
                    "body_markdown": format!("Some words about {title}."),
                    "status": "published",
                    "published_at": at,
                    "tags": tags,
                }),
            )
            .await;
        assert!(
            res.status.is_success(),
            "publish {slug}: {} {}",
            res.status,
            res.text()
        );
        res.json()
    }

    /// Creates an author through the API.
    pub async fn author(&self, secret: &str, slug: &str, name: &str) {
        let res = self
            .put_in("authors", secret, slug, &serde_json::json!({"name": name}))
            .await;
        assert!(res.status.is_success(), "author {slug}: {}", res.text());
    }
}

/// The `slug` of each item of a listing's `data`.
pub fn slugs(listing: &Value) -> Vec<String> {
    listing["data"]
        .as_array()
        .unwrap_or_else(|| panic!("no data array in {listing}"))
        .iter()
        .map(|a| a["slug"].as_str().expect("slug").to_owned())
        .collect()
}

/// Waits until the cache's listener is connected and settled: the same request is then a hit. (Notifications of
/// writes made just before the listener connected may still arrive and empty the cache once.)
pub async fn until_live(app: &TestApp, path: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.get(path).await.header("x-cache") != Some("hit") {
        assert!(
            Instant::now() < deadline,
            "the response cache never went live"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls `path` until `check` holds; returns how long it took.
pub async fn eventually(
    app: &TestApp,
    path: &str,
    check: impl Fn(&serde_json::Value) -> bool,
) -> Duration {
    let started = Instant::now();
    loop {
        let doc = app.get(path).await.json();
        if check(&doc) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{path} stayed stale: {doc}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(2)).await;
    }
}

/// `count` texts of 1 to 60 characters of `alphabet`, the same for the same `seed` (a linear congruential
/// generator: a fuzz that fails fails again).
pub fn fuzz_texts(alphabet: &[char], count: usize, mut seed: u64) -> Vec<String> {
    (0..count)
        .map(|_| {
            let len = 1 + (seed % 60) as usize;
            (0..len)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    alphabet[(seed >> 33) as usize % alphabet.len()]
                })
                .collect()
        })
        .collect()
}
