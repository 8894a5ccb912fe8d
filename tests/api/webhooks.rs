//! Webhooks: the admin API, signed deliveries (checked by a verifier written here from the specification),
//! exactly one delivery per event across instances, retries after errors and timeouts on the schedule, giving up,
//! and the guard against private addresses.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::Method;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use diesel::connection::SimpleConnection;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::helpers::TestApp;

/// One request a receiver got.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

/// How the receiver answers its n-th request (from 0): a status, after a delay.
type Script = Arc<dyn Fn(usize) -> (u16, Duration) + Send + Sync>;

/// A webhook receiver on a loopback port that records every request and answers as `script` says.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    _server: actix_web::dev::ServerHandle,
}

impl Receiver {
    async fn start(script: impl Fn(usize) -> (u16, Duration) + Send + Sync + 'static) -> Receiver {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let script: Script = Arc::new(script);
        let (g, s) = (got.clone(), script.clone());
        let server = HttpServer::new(move || {
            let (g, s) = (g.clone(), s.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (g, s) = (g.clone(), s.clone());
                async move {
                    let header = |name: &str| {
                        req.headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned()
                    };
                    let n = {
                        let mut got = g.lock().expect("lock");
                        got.push(Received {
                            id: header("webhook-id"),
                            timestamp: header("webhook-timestamp"),
                            signature: header("webhook-signature"),
                            body: String::from_utf8_lossy(&body).into_owned(),
                        });
                        got.len() - 1
                    };
                    let (status, delay) = s(n);
                    actix_web::rt::time::sleep(delay).await;
                    HttpResponse::build(
                        actix_web::http::StatusCode::from_u16(status).expect("status"),
                    )
                    .insert_header(("location", "http://example.com/elsewhere"))
                    .finish()
                }
            }))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .expect("bind");
        let addr = server.addrs()[0];
        let server = server.run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Receiver {
            url: format!("http://{addr}/hook"),
            got,
            _server: handle,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    async fn until(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = self.received();
            if done(&got) {
                return got;
            }
            assert!(Instant::now() < deadline, "{what}: received {got:?}");
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The Standard Webhooks check, written from the specification: one of the space-separated `v1,` signatures is
/// the base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` under the secret's decoded bytes.
fn verifies(secret: &str, r: &Received) -> bool {
    let key = STANDARD
        .decode(secret.trim_start_matches("whsec_"))
        .expect("secret is base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{}.{}.{}", r.id, r.timestamp, r.body).as_bytes());
    let expected = format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()));
    r.signature.split(' ').any(|s| s == expected)
}

fn fast(c: &mut folio::config::Config) {
    c.dispatch_interval_ms = 20;
    c.webhook_allow_private = true;
    c.webhook_timeout_ms = 400;
}

async fn create(app: &TestApp, admin: &str, body: Value) -> (String, String) {
    let res = app
        .call(Method::POST, "/api/v1/webhooks", admin, Some(&body))
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let doc = res.json();
    let id = doc["webhook"]["id"].as_str().expect("id").to_owned();
    assert_eq!(
        res.header("location"),
        Some(format!("/api/v1/webhooks/{id}").as_str())
    );
    (id, doc["secret"].as_str().expect("secret").to_owned())
}

async fn deliveries(app: &TestApp, admin: &str, id: &str, query: &str) -> Vec<Value> {
    let res = app
        .call(
            Method::GET,
            &format!("/api/v1/webhooks/{id}/deliveries?{query}"),
            admin,
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["data"].as_array().expect("data").clone()
}

/// Waits a little before the next look, failing the test after about 10 seconds of looking.
async fn patience(tries: u32) -> u32 {
    assert!(tries < 500, "gave up waiting after about 10 s");
    actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    tries + 1
}

/// Whether the webhook fan-out has read every entry of the change log.
fn fanned_out(app: &TestApp) -> bool {
    use diesel::prelude::*;
    use folio::db::schema::{change_cursors, changes};
    let mut conn = app.db();
    let read: i64 = change_cursors::table
        .find("webhooks")
        .select(change_cursors::position)
        .first(&mut conn)
        .expect("cursor");
    let last: Option<i64> = changes::table
        .select(diesel::dsl::max(changes::position))
        .first(&mut conn)
        .expect("last");
    last.is_none_or(|last| read >= last)
}

/// Makes every pending delivery due now: the test's clock, instead of waiting out the backoff.
fn advance_clock(app: &TestApp) {
    app.db()
        .batch_execute(
            "UPDATE webhook_deliveries SET next_attempt_at = now() WHERE status = 'pending'",
        )
        .expect("advance");
}

#[actix_web::test]
async fn endpoints_are_managed_by_admins_with_clear_errors() {
    let app = TestApp::spawn_with(|c| c.dispatch = false).await;
    let admin = app.token(&["admin"]);
    let writer = app.token(&["content:write"]);
    app.get("/api/v1/webhooks")
        .await
        .problem(401, "/problems/unauthorized");
    app.call(Method::GET, "/api/v1/webhooks", &writer, None)
        .await
        .problem(403, "/problems/forbidden");

    let (id, secret) = create(&app, &admin, json!({"url": "https://example.com/hook", "events": ["article.*", "tag.deleted", "article.*"], "description": "  Rebuild  "})).await;
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "{secret}"
    );
    let res = app
        .call(Method::GET, &format!("/api/v1/webhooks/{id}"), &admin, None)
        .await;
    let doc = res.json();
    assert_eq!(doc["events"], json!(["article.*", "tag.deleted"]));
    assert_eq!(doc["description"], "Rebuild");
    assert_eq!(doc["enabled"], true);
    assert!(doc.get("secret").is_none(), "the secret is shown once");
    assert_eq!(res.header("cache-control"), Some("private, no-store"));
    let list = app
        .call(Method::GET, "/api/v1/webhooks", &admin, None)
        .await
        .json();
    assert_eq!(list["data"].as_array().expect("data").len(), 1);

    // `enabled` cannot be removed by a merge patch (`null`): it would fall back to its default.
    app.call(
        Method::PATCH,
        &format!("/api/v1/webhooks/{id}"),
        &admin,
        Some(&json!({"enabled": null})),
    )
    .await
    .problem(422, "/problems/validation");
    let patched = app
        .call(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            &admin,
            Some(&json!({"enabled": false, "description": null})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(patched.json()["enabled"], false);
    assert_eq!(patched.json()["description"], Value::Null);
    assert_eq!(patched.json()["url"], "https://example.com/hook");

    // A disabled endpoint takes no ping.
    app.call(
        Method::POST,
        &format!("/api/v1/webhooks/{id}/ping"),
        &admin,
        None,
    )
    .await
    .problem(409, "/problems/conflict");
    // URLs are stored as parsed.
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            &admin,
            Some(&json!({"url": "http:hooks.example.com/a b"})),
        )
        .await;
    assert_eq!(res.json()["url"], "http://hooks.example.com/a%20b");
    let rotated = app
        .call(
            Method::POST,
            &format!("/api/v1/webhooks/{id}/rotate-secret"),
            &admin,
            None,
        )
        .await;
    assert_eq!(rotated.status, 200);
    let new_secret = rotated.json()["secret"]
        .as_str()
        .expect("secret")
        .to_owned();
    assert_ne!(new_secret, secret);

    for (body, field) in [
        (
            json!({"url": "http://127.0.0.1:9/x", "events": ["*"]}),
            "url",
        ),
        (
            json!({"url": "http://169.254.169.254/latest", "events": ["*"]}),
            "url",
        ),
        (
            json!({"url": "http://localhost:3000/", "events": ["*"]}),
            "url",
        ),
        (json!({"url": "ftp://example.com/", "events": ["*"]}), "url"),
        (
            json!({"url": "https://u:p@example.com/", "events": ["*"]}),
            "url",
        ),
        (json!({"url": "not a url", "events": ["*"]}), "url"),
        (
            json!({"url": "https://example.com/", "events": []}),
            "events",
        ),
        (
            json!({"url": "https://example.com/", "events": ["article.exploded"]}),
            "events[0]",
        ),
        (json!({"url": "https://example.com/"}), "events"),
        (
            json!({"url": "https://example.com/", "events": ["*"], "secret": "mine"}),
            "secret",
        ),
        (
            json!({"url": "https://example.com/", "events": "*"}),
            "events",
        ),
    ] {
        let res = app
            .call(Method::POST, "/api/v1/webhooks", &admin, Some(&body))
            .await;
        let doc = res.problem(422, "/problems/validation");
        assert!(
            doc["errors"]
                .as_array()
                .expect("errors")
                .iter()
                .any(|e| e["field"] == field),
            "{body} should name `{field}`: {doc}"
        );
    }
    let res = app
        .call(
            Method::POST,
            "/api/v1/webhooks",
            &admin,
            Some(&json!({"url": "http://10.0.0.8/", "events": ["*"]})),
        )
        .await;
    let doc = res.problem(422, "/problems/validation");
    assert!(
        doc["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("FOLIO_WEBHOOK_ALLOW_PRIVATE"),
        "{doc}"
    );
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            &admin,
            Some(&json!({"url": "http://127.0.0.1/"})),
        )
        .await;
    res.problem(422, "/problems/validation");

    let unknown = "00000000-0000-4000-8000-000000000000";
    for path in [
        format!("/api/v1/webhooks/{unknown}"),
        "/api/v1/webhooks/not-a-uuid".to_owned(),
        format!("/api/v1/webhooks/{unknown}/deliveries"),
    ] {
        app.call(Method::GET, &path, &admin, None)
            .await
            .problem(404, "/problems/not-found");
    }
    app.call(
        Method::POST,
        &format!("/api/v1/webhooks/{unknown}/ping"),
        &admin,
        None,
    )
    .await
    .problem(404, "/problems/not-found");
    app.call(
        Method::POST,
        &format!("/api/v1/webhooks/{id}/deliveries/{unknown}/redeliver"),
        &admin,
        None,
    )
    .await
    .problem(404, "/problems/not-found");
    app.call(
        Method::GET,
        &format!("/api/v1/webhooks/{id}/deliveries?status=lost"),
        &admin,
        None,
    )
    .await
    .problem(400, "/problems/bad-request");
    app.call(
        Method::GET,
        &format!("/api/v1/webhooks/{id}/deliveries?before={unknown}"),
        &admin,
        None,
    )
    .await
    .problem(400, "/problems/bad-request");

    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/api/v1/webhooks/{id}"),
            &admin,
            None
        )
        .await
        .status,
        204
    );
    app.call(
        Method::DELETE,
        &format!("/api/v1/webhooks/{id}"),
        &admin,
        None,
    )
    .await
    .problem(404, "/problems/not-found");
}

#[actix_web::test]
async fn every_event_is_delivered_signed_and_once_across_two_instances() {
    let receiver = Receiver::start(|_| (204, Duration::ZERO)).await;
    let app = TestApp::spawn_with(fast).await;
    let mut config = folio::config::Config::for_database(&app.database_url);
    fast(&mut config);
    let other = TestApp::start(config, None).await;
    let admin = app.token(&["admin"]);
    let (id, secret) = create(
        &app,
        &admin,
        json!({"url": receiver.url, "events": ["article.*", "tag.*"]}),
    )
    .await;

    const ARTICLES: usize = 15;
    for i in 0..ARTICLES {
        let via = if i % 2 == 0 { &app } else { &other };
        let res = via.put_article(&admin, &format!("a{i}"), &json!({"title": format!("A {i}"), "body_markdown": "x", "status": "published", "tags": ["t"]})).await;
        assert_eq!(res.status, 201, "{}", res.text());
    }
    // An author's change is not asked for; a draft's is (article.*).
    app.author(&admin, "ada", "Ada").await;
    assert_eq!(
        app.put_article(&admin, "d", &json!({"title": "D", "body_markdown": "x"}))
            .await
            .status,
        201
    );
    let expected = ARTICLES + 1 + 1; // articles, tag t, the draft
    let got = receiver
        .until("every event", |got| got.len() >= expected)
        .await;
    // Both dispatchers keep polling: nothing more arrives.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let got_now = receiver.received();
    assert_eq!(
        got_now.len(),
        expected,
        "one delivery per event: {:?}",
        got_now.iter().map(|r| &r.id).collect::<Vec<_>>()
    );
    let mut ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), expected, "distinct webhook-ids");
    for r in &got {
        assert!(verifies(&secret, r), "signature of {r:?}");
        assert!(r.id.starts_with("msg_"));
        let age =
            chrono::Utc::now().timestamp() - r.timestamp.parse::<i64>().expect("unix seconds");
        assert!((0..30).contains(&age), "a current timestamp");
    }
    let mut forged = got[0].clone();
    forged.body.push(' ');
    assert!(!verifies(&secret, &forged), "the check can fail");

    let bodies: Vec<Value> = got
        .iter()
        .map(|r| serde_json::from_str(&r.body).expect("JSON body"))
        .collect();
    let mut types: Vec<&str> = bodies
        .iter()
        .map(|b| b["type"].as_str().expect("type"))
        .collect();
    types.sort();
    types.dedup();
    assert_eq!(
        types,
        ["article.created", "article.published", "tag.created"]
    );
    let published = bodies
        .iter()
        .find(|b| b["data"]["slug"] == "a3")
        .expect("a3's event");
    assert_eq!(published["type"], "article.published");
    assert_eq!(published["data"]["type"], "article.published");
    assert_eq!(published["data"]["article"]["title"], "A 3");
    assert!(published["data"]["position"].as_i64().is_some());
    // What a CDN must purge for it: the article, the collections that list it, the change feed.
    let purge: Vec<&str> = published["data"]["purge_keys"]
        .as_array()
        .expect("purge_keys")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let a3 = format!("article:{}", published["data"]["id"].as_str().expect("id"));
    for key in [a3.as_str(), "articles", "changes"] {
        assert!(purge.contains(&key), "{key} in {purge:?}");
    }
    let draft = bodies
        .iter()
        .find(|b| b["data"]["slug"] == "d")
        .expect("the draft's event");
    assert_eq!(draft["data"]["public"], false);
    assert_eq!(
        draft["data"]["purge_keys"],
        json!([]),
        "no shared cache saw a draft"
    );
    assert_eq!(draft["data"]["article"]["status"], "draft");

    let log = deliveries(&app, &admin, &id, "limit=100").await;
    assert_eq!(log.len(), expected);
    // The log in pages of 5, newest first, following `links.next`.
    let mut paged: Vec<Value> = Vec::new();
    let mut next = Some(format!("/api/v1/webhooks/{id}/deliveries?limit=5"));
    while let Some(path) = next {
        let page = app.call(Method::GET, &path, &admin, None).await.json();
        paged.extend(page["data"].as_array().expect("data").iter().cloned());
        assert_eq!(page["meta"]["has_more"], page["links"]["next"].is_string());
        next = page["links"]["next"].as_str().map(str::to_owned);
    }
    assert_eq!(paged, log, "the pages hold the whole log, in order");
    assert!(
        log.iter().all(
            |d| d["status"] == "delivered" && d["attempts"].as_array().map(Vec::len) == Some(1)
        ),
        "{log:?}"
    );
    assert_eq!(log[0]["attempts"][0]["status_code"], 204);
}

#[actix_web::test]
async fn failures_are_retried_on_the_backoff_schedule() {
    // The first request gets a 500, the second takes longer than the timeout, the third succeeds.
    let receiver = Receiver::start(|n| match n {
        0 => (500, Duration::ZERO),
        1 => (200, Duration::from_millis(1500)),
        _ => (200, Duration::ZERO),
    })
    .await;
    let app = TestApp::spawn_with(fast).await;
    let admin = app.token(&["admin"]);
    let (id, secret) = create(
        &app,
        &admin,
        json!({"url": receiver.url, "events": ["tag.created"]}),
    )
    .await;
    app.put_in("tags", &admin, "t", &json!({"name": "T"})).await;

    receiver
        .until("the first attempt", |got| !got.is_empty())
        .await;
    let mut tries = 0;
    let first = loop {
        let log = deliveries(&app, &admin, &id, "").await;
        if log[0]["attempts"].as_array().is_some_and(|a| !a.is_empty()) {
            break log[0].clone();
        }
        tries = patience(tries).await;
    };
    assert_eq!(first["status"], "pending");
    assert_eq!(first["attempts"][0]["status_code"], 500);
    assert_eq!(first["attempts"][0]["error"], "the receiver answered 500");
    let at: chrono::DateTime<chrono::Utc> = first["attempts"][0]["at"]
        .as_str()
        .expect("at")
        .parse()
        .expect("time");
    let next: chrono::DateTime<chrono::Utc> = first["next_attempt_at"]
        .as_str()
        .expect("next")
        .parse()
        .expect("time");
    let wait = (next - at).num_milliseconds();
    // The first wait is 5 s with ±25% jitter, counted from when the outcome is recorded (up to 2 s after the
    // attempt began on a loaded machine).
    assert!((3_700..=8_300).contains(&wait), "first backoff {wait} ms");
    // Not retried before it is due.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 1, "no retry before its time");

    advance_clock(&app);
    receiver
        .until("the second attempt", |got| got.len() >= 2)
        .await;
    let mut tries = 0;
    let second = loop {
        let log = deliveries(&app, &admin, &id, "").await;
        if log[0]["attempts"].as_array().is_some_and(|a| a.len() >= 2) {
            break log[0].clone();
        }
        tries = patience(tries).await;
    };
    assert_eq!(second["status"], "pending");
    assert_eq!(
        second["attempts"][1]["status_code"],
        Value::Null,
        "timed out: {second}"
    );
    assert!(
        second["attempts"][1]["error"]
            .as_str()
            .expect("error")
            .contains("timed out"),
        "{second}"
    );
    let at: chrono::DateTime<chrono::Utc> = second["attempts"][1]["at"]
        .as_str()
        .expect("at")
        .parse()
        .expect("time");
    let next: chrono::DateTime<chrono::Utc> = second["next_attempt_at"]
        .as_str()
        .expect("next")
        .parse()
        .expect("time");
    let wait = (next - at).num_milliseconds();
    assert!(
        (11_000..=21_000).contains(&wait),
        "second backoff {wait} ms (15 s ± 25%)"
    );

    advance_clock(&app);
    let got = receiver
        .until("the third attempt", |got| got.len() >= 3)
        .await;
    let mut tries = 0;
    let done = loop {
        let log = deliveries(&app, &admin, &id, "").await;
        if log[0]["status"] == "delivered" {
            break log[0].clone();
        }
        tries = patience(tries).await;
    };
    assert_eq!(done["attempts"].as_array().expect("attempts").len(), 3);
    assert_eq!(done["next_attempt_at"], Value::Null);
    // One message: the same webhook-id on every attempt, each freshly signed.
    assert!(got
        .iter()
        .all(|r| r.id == got[0].id && verifies(&secret, r)));
    assert_eq!(done["message_id"], got[0].id.as_str());
}

#[actix_web::test]
async fn endpoints_are_disabled_after_the_last_attempt_or_a_410() {
    let receiver = Receiver::start(|n| {
        if n == 0 {
            (500, Duration::ZERO)
        } else {
            (410, Duration::ZERO)
        }
    })
    .await;
    let app = TestApp::spawn_with(fast).await;
    let admin = app.token(&["admin"]);
    let (id, _) = create(&app, &admin, json!({"url": receiver.url, "events": ["*"]})).await;
    // Paused while a change is logged, then a ping on its last attempt.
    app.db()
        .batch_execute(&format!(
            "UPDATE webhooks SET enabled = false WHERE id = '{id}'"
        ))
        .expect("pause");
    app.put_in("tags", &admin, "t", &json!({"name": "T"})).await;
    // The dispatcher reads the log on its own schedule: wait until it has passed the tag's entry (while the
    // endpoint is still disabled) before going on.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !fanned_out(&app) {
        assert!(
            Instant::now() < deadline,
            "the fan-out never read the tag's entry"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    // A ping that has used all its attempts but one (queued straight in the table: the API takes no ping for a
    // disabled endpoint), then the endpoint enabled again.
    let ping_id: uuid::Uuid = {
        use diesel::prelude::*;
        use folio::db::schema::webhook_deliveries as d;
        diesel::insert_into(d::table)
            .values((
                d::webhook_id.eq(uuid::Uuid::parse_str(&id).expect("id")),
                d::event_type.eq("ping"),
                d::payload.eq(r#"{"type":"ping"}"#),
                d::attempts.eq(folio::domain::webhook::MAX_ATTEMPTS - 1),
            ))
            .returning(d::id)
            .get_result(&mut app.db())
            .expect("queue a ping")
    };
    app.db()
        .batch_execute(&format!(
            "UPDATE webhooks SET enabled = true WHERE id = '{id}'"
        ))
        .expect("enable");
    receiver
        .until("the last attempt", |got| !got.is_empty())
        .await;
    let mut tries = 0;
    let webhook = loop {
        let doc = app
            .call(Method::GET, &format!("/api/v1/webhooks/{id}"), &admin, None)
            .await
            .json();
        if doc["enabled"] == false {
            break doc;
        }
        tries = patience(tries).await;
    };
    let reason = webhook["disabled_reason"].as_str().expect("reason");
    assert!(
        reason.contains("failed 12 attempts") && reason.contains("answered 500"),
        "{reason}"
    );
    let failed = deliveries(&app, &admin, &id, "status=failed").await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["event_type"], "ping");

    // Re-enabling clears the reason; a redelivery is attempted again, and a 410 disables at once.
    let res = app
        .call(
            Method::PATCH,
            &format!("/api/v1/webhooks/{id}"),
            &admin,
            Some(&json!({"enabled": true})),
        )
        .await;
    assert_eq!(res.json()["disabled_reason"], Value::Null);
    let res = app
        .call(
            Method::POST,
            &format!("/api/v1/webhooks/{id}/deliveries/{ping_id}/redeliver"),
            &admin,
            None,
        )
        .await;
    assert_eq!(res.status, 202, "{}", res.text());
    assert_eq!(res.json()["status"], "pending");
    receiver.until("the redelivery", |got| got.len() >= 2).await;
    let mut tries = 0;
    let webhook = loop {
        let doc = app
            .call(Method::GET, &format!("/api/v1/webhooks/{id}"), &admin, None)
            .await
            .json();
        if doc["enabled"] == false {
            break doc;
        }
        tries = patience(tries).await;
    };
    assert!(
        webhook["disabled_reason"]
            .as_str()
            .expect("reason")
            .contains("410"),
        "{webhook}"
    );
    // The tag was created while the endpoint was disabled: no delivery was queued for it.
    let all = deliveries(&app, &admin, &id, "limit=100").await;
    assert_eq!(all.len(), 1, "{all:?}");
    // Pages: newest first, `before` continues.
    let page = app
        .call(
            Method::GET,
            &format!("/api/v1/webhooks/{id}/deliveries?limit=1"),
            &admin,
            None,
        )
        .await
        .json();
    assert_eq!(page["meta"]["has_more"], false);
    assert_eq!(page["links"]["next"], Value::Null);
}

#[actix_web::test]
async fn private_addresses_and_redirects_are_refused_when_sending() {
    let receiver = Receiver::start(|_| (302, Duration::ZERO)).await;
    // The guard is on (the default): an endpoint whose address turned private since it was written (here written
    // straight to the database, as a DNS change would make it) is refused when its delivery resolves it.
    let app = TestApp::spawn_with(|c| c.dispatch_interval_ms = 20).await;
    let admin = app.token(&["admin"]);
    let (id, _) = create(
        &app,
        &admin,
        json!({"url": "https://example.com/hook", "events": ["*"]}),
    )
    .await;
    app.db()
        .batch_execute(&format!(
            "UPDATE webhooks SET url = '{}' WHERE id = '{id}'",
            receiver.url
        ))
        .expect("point it home");
    app.put_in("tags", &admin, "t", &json!({"name": "T"})).await;
    let mut tries = 0;
    let webhook = loop {
        let doc = app
            .call(Method::GET, &format!("/api/v1/webhooks/{id}"), &admin, None)
            .await
            .json();
        if doc["enabled"] == false {
            break doc;
        }
        tries = patience(tries).await;
    };
    let reason = webhook["disabled_reason"].as_str().expect("reason");
    assert!(
        reason.contains("127.0.0.1") && reason.contains("loopback"),
        "{reason}"
    );
    assert!(
        receiver.received().is_empty(),
        "nothing reached the private address"
    );

    // Allowed (development): a redirect is an answer, not followed, and a failure.
    let app = TestApp::spawn_with(fast).await;
    let admin = app.token(&["admin"]);
    let (id, _) = create(&app, &admin, json!({"url": receiver.url, "events": ["*"]})).await;
    let ping = app
        .call(
            Method::POST,
            &format!("/api/v1/webhooks/{id}/ping"),
            &admin,
            None,
        )
        .await;
    assert_eq!(ping.status, 202);
    receiver.until("the ping", |got| !got.is_empty()).await;
    let mut tries = 0;
    let attempt = loop {
        let log = deliveries(&app, &admin, &id, "").await;
        if let Some(a) = log[0]["attempts"].as_array().and_then(|a| a.first()) {
            break a.clone();
        }
        tries = patience(tries).await;
    };
    assert_eq!(attempt["status_code"], 302);
    assert!(attempt["error"]
        .as_str()
        .expect("error")
        .contains("not followed"));
    let body: Value = serde_json::from_str(&receiver.received()[0].body).expect("ping body");
    assert_eq!(body["type"], "ping");
    assert_eq!(body["data"]["webhook_id"], id.as_str());
}
