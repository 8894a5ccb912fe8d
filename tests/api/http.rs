//! HTTP behaviour shared by every endpoint: ETag / 304, caching headers, CORS, compression, request ids, limits,
//! rate limiting, database outages and graceful shutdown.

use std::io::Read;

use actix_web::http::Method;
use diesel::RunQueryDsl;
use serde_json::json;

use crate::helpers::{bearer, TestApp};

async fn one_article(app: &TestApp) -> String {
    let w = app.token(&["content:write"]);
    app.publish(&w, "first", "First", &["Rust"], 2).await;
    w
}

#[actix_web::test]
async fn listings_and_details_answer_304_until_a_write_changes_them() {
    let app = TestApp::spawn().await;
    let w = one_article(&app).await;
    for path in [
        "/api/v1/articles",
        "/api/v1/articles/first",
        "/api/v1/tags",
        "/api/v1/featured",
    ] {
        let res = app.get(path).await;
        let etag = res
            .header("etag")
            .unwrap_or_else(|| panic!("{path}: no ETag"))
            .to_owned();
        let again = app
            .send(
                app.request(Method::GET, path)
                    .insert_header(("If-None-Match", etag.clone())),
            )
            .await;
        assert_eq!(again.status, 304, "{path}");
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), Some(etag.as_str()));
        assert!(again
            .header("cache-control")
            .is_some_and(|c| c.starts_with("public")));
    }
    let list_etag = app
        .get("/api/v1/articles")
        .await
        .header("etag")
        .unwrap_or_default()
        .to_owned();
    let detail = app.get("/api/v1/articles/first").await;
    let detail_etag = detail.header("etag").unwrap_or_default().to_owned();
    let modified = detail
        .header("last-modified")
        .unwrap_or_default()
        .to_owned();
    let since = app
        .send(
            app.request(Method::GET, "/api/v1/articles/first")
                .insert_header(("If-Modified-Since", modified.clone())),
        )
        .await;
    // If-Modified-Since is not evaluated: the ETag is exact, Last-Modified cannot see a neighbour's change.
    assert_eq!(since.status, 200, "If-Modified-Since is ignored");

    // A write changes both ETags, and the old ones stop matching.
    let res = app.put_article(&w, "first", &json!({"title": "First, edited", "body_markdown": "x", "status": "published", "tags": ["Rust"]})).await;
    assert_eq!(res.status, 200);
    let list = app
        .send(
            app.request(Method::GET, "/api/v1/articles")
                .insert_header(("If-None-Match", list_etag.clone())),
        )
        .await;
    assert_eq!(list.status, 200);
    assert_ne!(list.header("etag"), Some(list_etag.as_str()));
    let one = app
        .send(
            app.request(Method::GET, "/api/v1/articles/first")
                .insert_header(("If-None-Match", detail_etag.clone())),
        )
        .await;
    assert_eq!(one.status, 200);
    assert_eq!(one.json()["title"], "First, edited");

    // A new neighbour changes the detail's ETag too, though the article itself did not change.
    let etag = app
        .get("/api/v1/articles/first")
        .await
        .header("etag")
        .unwrap_or_default()
        .to_owned();
    app.publish(&w, "second", "Second", &[], 1).await;
    let res = app
        .send(
            app.request(Method::GET, "/api/v1/articles/first")
                .insert_header(("If-None-Match", etag)),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["newer"]["slug"], "second");
}

#[actix_web::test]
async fn cache_control_is_public_for_anonymous_reads_and_private_with_a_token() {
    let app = TestApp::spawn_with(|c| {
        c.cache_max_age = 120;
        c.cache_stale_while_revalidate = 30;
    })
    .await;
    let w = one_article(&app).await;
    let public = app.get("/api/v1/articles").await;
    assert_eq!(
        public.header("cache-control"),
        Some("public, max-age=120, stale-while-revalidate=30")
    );
    assert!(public
        .headers
        .get_all("vary")
        .any(|v| v.to_str().is_ok_and(|v| v.contains("Authorization"))));
    let private = app
        .send(bearer(app.request(Method::GET, "/api/v1/articles"), &w))
        .await;
    assert_eq!(private.header("cache-control"), Some("private, no-store"));
    let write = app
        .put_article(&w, "x", &json!({"title": "X", "body_markdown": "x"}))
        .await;
    assert_eq!(write.header("cache-control"), Some("private, no-store"));
    assert_eq!(
        app.get("/api/v1/nothing").await.header("cache-control"),
        Some("no-store")
    );
    assert_eq!(
        app.get("/healthz").await.header("cache-control"),
        Some("no-store")
    );
}

#[actix_web::test]
async fn cors_preflight_and_cross_origin_reads() {
    let app = TestApp::spawn_with(|c| {
        c.cors_origins = "https://blog.example, https://www.blog.example".to_owned()
    })
    .await;
    one_article(&app).await;
    let preflight = app
        .send(
            app.request(Method::OPTIONS, "/api/v1/articles/first")
                .insert_header(("Origin", "https://blog.example"))
                .insert_header(("Access-Control-Request-Method", "PUT"))
                .insert_header((
                    "Access-Control-Request-Headers",
                    "authorization, content-type, if-match",
                )),
        )
        .await;
    assert!(preflight.status.is_success(), "{}", preflight.status);
    assert_eq!(
        preflight.header("access-control-allow-origin"),
        Some("https://blog.example")
    );
    assert!(preflight
        .header("access-control-allow-methods")
        .is_some_and(|m| m.contains("PUT")));

    let read = app
        .send(
            app.request(Method::GET, "/api/v1/articles")
                .insert_header(("Origin", "https://www.blog.example")),
        )
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(
        read.header("access-control-allow-origin"),
        Some("https://www.blog.example")
    );
    let exposed = read
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for h in ["etag", "link", "x-request-id", "location"] {
        assert!(exposed.contains(h), "{h} not exposed: {exposed}");
    }
    let stranger = app
        .send(
            app.request(Method::GET, "/api/v1/articles")
                .insert_header(("Origin", "https://evil.example")),
        )
        .await;
    assert_ne!(
        stranger.header("access-control-allow-origin"),
        Some("https://evil.example")
    );

    let any = TestApp::spawn().await;
    let res = any
        .send(
            any.request(Method::GET, "/api/v1/articles")
                .insert_header(("Origin", "https://anywhere.example")),
        )
        .await;
    assert_eq!(
        res.header("access-control-allow-origin"),
        Some("*"),
        "the default allows every origin"
    );
    let plain = any
        .send(any.request(Method::OPTIONS, "/api/v1/articles"))
        .await;
    assert_eq!(plain.status, 204);
    assert!(plain
        .header("allow")
        .is_some_and(|a| a.contains("GET") && a.contains("POST")));
}

#[actix_web::test]
async fn gzip_and_brotli_when_asked() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    for i in 0..10 {
        app.publish(
            &w,
            &format!("post-{i}"),
            "A post with a long enough title to compress",
            &["Rust"],
            i,
        )
        .await;
    }
    let plain = app.get("/api/v1/articles").await;
    assert_eq!(plain.header("content-encoding"), None);
    let plain = plain.json();

    let gz = app
        .send(
            app.request(Method::GET, "/api/v1/articles")
                .insert_header(("Accept-Encoding", "gzip")),
        )
        .await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(gz.body.as_slice())
        .read_to_string(&mut text)
        .expect("gzip");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).expect("json"),
        plain
    );
    assert!(
        gz.body.len() < text.len() / 2,
        "compressed {} of {}",
        gz.body.len(),
        text.len()
    );

    let br = app
        .send(
            app.request(Method::GET, "/api/v1/articles")
                .insert_header(("Accept-Encoding", "br")),
        )
        .await;
    assert_eq!(br.header("content-encoding"), Some("br"));
    let mut text = String::new();
    brotli::Decompressor::new(br.body.as_slice(), 4096)
        .read_to_string(&mut text)
        .expect("brotli");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&text).expect("json"),
        plain
    );
}

#[actix_web::test]
async fn request_ids_are_echoed_when_sane_and_generated_otherwise() {
    let app = TestApp::spawn().await;
    let echoed = app
        .send(
            app.request(Method::GET, "/healthz")
                .insert_header(("X-Request-Id", "abc-123_x.y")),
        )
        .await;
    assert_eq!(echoed.header("x-request-id"), Some("abc-123_x.y"));
    let generated = app.get("/api/v1/nothing").await;
    let id = generated
        .header("x-request-id")
        .expect("generated on errors too")
        .to_owned();
    assert_eq!(id.len(), 32);
    assert_ne!(
        app.get("/healthz").await.header("x-request-id"),
        Some(id.as_str()),
        "fresh per request"
    );
    for bad in ["has space", "a/b", &"x".repeat(129), "<script>"] {
        let res = app
            .send(
                app.request(Method::GET, "/healthz")
                    .insert_header(("X-Request-Id", bad)),
            )
            .await;
        let got = res.header("x-request-id").unwrap_or_default();
        assert!(got != bad && got.len() == 32, "{bad} -> {got}");
    }
}

#[actix_web::test]
async fn bodies_over_the_limit_are_413() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let big = "x".repeat(3 * 1024 * 1024);
    let md = format!("---\ntitle: Big\n---\n{big}");
    let res = app
        .send_text(
            bearer(app.request(Method::PUT, "/api/v1/articles/big"), &w),
            "text/markdown",
            &md,
        )
        .await;
    res.problem(413, "/problems/payload-too-large");
    let small = TestApp::spawn_with(|c| c.max_body_bytes = 2048).await;
    let w = small.token(&["content:write"]);
    let res = small
        .put_article(
            &w,
            "a",
            &json!({"title": "A", "body_markdown": "y".repeat(4096)}),
        )
        .await;
    res.problem(413, "/problems/payload-too-large");
    assert_eq!(
        small
            .put_article(&w, "a", &json!({"title": "A", "body_markdown": "small"}))
            .await
            .status,
        201
    );
}

#[actix_web::test]
async fn repeated_bad_tokens_get_429_with_retry_after() {
    let app = TestApp::spawn_with(|c| c.auth_failures_per_minute = 3).await;
    let good = app.token(&["content:read"]);
    let guess = |secret: String| {
        let app = &app;
        async move {
            app.send(bearer(
                app.request(Method::GET, "/api/v1/articles?status=draft"),
                &secret,
            ))
            .await
        }
    };
    for _ in 0..3 {
        guess(folio::domain::token::generate())
            .await
            .problem(401, "/problems/unauthorized");
    }
    let limited = guess(folio::domain::token::generate()).await;
    limited.problem(429, "/problems/rate-limited");
    assert!(limited
        .header("retry-after")
        .and_then(|v| v.parse::<u64>().ok())
        .is_some_and(|s| (1..=60).contains(&s)));
    // While the address waits, even a valid token is refused without a lookup; anonymous reads still work.
    guess(good).await.problem(429, "/problems/rate-limited");
    assert_eq!(app.get("/api/v1/articles").await.status, 200);
}

#[actix_web::test]
async fn public_read_limit_is_off_by_default_and_429s_when_set() {
    let app = TestApp::spawn().await;
    for _ in 0..30 {
        assert_eq!(app.get("/healthz").await.status, 200);
    }
    let limited = TestApp::spawn_with(|c| c.read_rate_limit = 2).await;
    let mut codes = Vec::new();
    for _ in 0..6 {
        codes.push(limited.get("/api/v1/tags").await.status.as_u16());
    }
    assert!(codes.contains(&429), "{codes:?}");
    let res = limited.get("/api/v1/tags").await;
    if res.status == 429 {
        res.problem(429, "/problems/rate-limited");
        assert!(res.header("retry-after").is_some());
    }
}

fn set_connections(app: &TestApp, allowed: bool) {
    let name = app.db_name.clone().expect("own database");
    let mut admin =
        <diesel::PgConnection as diesel::Connection>::establish(&crate::helpers::server_url())
            .expect("admin");
    diesel::sql_query(format!(
        "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS {allowed}"
    ))
    .execute(&mut admin)
    .expect("alter database");
    if !allowed {
        diesel::sql_query(format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
        ))
        .execute(&mut admin)
        .expect("terminate");
    }
}

#[actix_web::test]
async fn database_outage_gives_fast_503s_then_recovers_by_itself() {
    let app = TestApp::spawn().await;
    let w = one_article(&app).await;
    assert_eq!(app.get("/api/v1/articles").await.status, 200);

    set_connections(&app, false);
    // Pages never requested before, so the response cache (which may keep answering pages it already holds
    // while the database is down) cannot answer them: they must reach the database.
    for path in [
        "/api/v1/articles?per_page=7",
        "/api/v1/articles/first",
        "/readyz",
    ] {
        let started = std::time::Instant::now();
        let res = app.get(path).await;
        let doc = res.problem(503, "/problems/unavailable");
        assert!(
            res.header("retry-after")
                .is_some_and(|v| v.parse::<u32>().is_ok()),
            "{path}: {doc}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(4),
            "{path} took {:?}",
            started.elapsed()
        );
    }
    app.put_article(
        &w,
        "during",
        &json!({"title": "During", "body_markdown": "x"}),
    )
    .await
    .problem(503, "/problems/unavailable");
    assert_eq!(
        app.get("/healthz").await.status,
        200,
        "the process stays up"
    );

    set_connections(&app, true);
    assert_eq!(app.get("/api/v1/articles").await.status, 200);
    assert_eq!(app.get("/readyz").await.status, 200);
    assert_eq!(
        app.put_article(
            &w,
            "after",
            &json!({"title": "After", "body_markdown": "x"})
        )
        .await
        .status,
        201
    );
}
