//! Writes: tokens and scopes, POST / PUT / PATCH / DELETE, Markdown bodies, preconditions, races.

use actix_web::http::Method;
use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{bearer, slugs, TestApp};

fn article(title: &str) -> serde_json::Value {
    json!({"title": title, "body_markdown": "## Intro\n\nHello **world**.", "status": "published", "tags": ["Rust", "Web Dev"]})
}

#[actix_web::test]
async fn writes_need_a_token_with_the_write_scope() {
    let app = TestApp::spawn().await;
    let body = article("Hello");
    let anon = app
        .send_json(app.request(Method::PUT, "/api/v1/articles/hello"), &body)
        .await;
    anon.problem(401, "/problems/unauthorized");
    assert_eq!(anon.header("www-authenticate"), Some("Bearer"));
    let reader = app.token(&["content:read"]);
    app.put_article(&reader, "hello", &body)
        .await
        .problem(403, "/problems/forbidden");
    app.put_article(
        "folio_notarealtokenatallnotarealtokenatallnotareal",
        "hello",
        &body,
    )
    .await
    .problem(401, "/problems/unauthorized");
    let bad_scheme = app
        .send_json(
            app.request(Method::PUT, "/api/v1/articles/hello")
                .insert_header(("Authorization", "Basic eDp5")),
            &body,
        )
        .await;
    bad_scheme.problem(401, "/problems/unauthorized");
    let admin = app.token(&["admin"]);
    assert_eq!(
        app.put_article(&admin, "hello", &body).await.status,
        201,
        "admin includes content:write"
    );
    for (method, path) in [
        (Method::DELETE, "/api/v1/articles/hello"),
        (Method::POST, "/api/v1/articles"),
    ] {
        let res = app.send(bearer(app.request(method, path), &reader)).await;
        res.problem(403, "/problems/forbidden");
    }
}

#[actix_web::test]
async fn expired_and_revoked_tokens_stop_working() {
    let app = TestApp::spawn().await;
    let expired = app.token_expiring(
        &["content:write"],
        Some(chrono::Utc::now() - chrono::Duration::seconds(1)),
    );
    app.put_article(&expired, "x", &article("X"))
        .await
        .problem(401, "/problems/unauthorized");

    let admin = app.token(&["admin"]);
    let created = app
        .send_json(
            bearer(app.request(Method::POST, "/api/v1/tokens"), &admin),
            &json!({"name": "ci", "scopes": ["content:write"]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let doc = created.json();
    let secret = doc["secret"].as_str().expect("secret").to_owned();
    assert!(secret.starts_with("folio_") && secret.len() >= 6 + 43);
    assert_eq!(doc["scopes"], json!(["content:write"]));
    assert_eq!(
        app.put_article(&secret, "x", &article("X")).await.status,
        201
    );

    let listed = app
        .send(bearer(app.request(Method::GET, "/api/v1/tokens"), &admin))
        .await;
    assert_eq!(listed.status, 200);
    assert!(!listed.text().contains(&secret), "secrets are never listed");
    let ci = listed.json()["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["name"] == "ci")
        .cloned()
        .expect("listed");
    assert!(ci["last_used_at"].is_string(), "use is recorded: {ci}");
    assert!(ci.get("secret").is_none());

    let id = doc["id"].as_str().expect("id");
    let revoke = app.revoke_token(&admin, id).await;
    assert_eq!(revoke.status, 204);
    app.put_article(&secret, "x", &article("X"))
        .await
        .problem(401, "/problems/unauthorized");
    let again = app.revoke_token(&admin, id).await;
    again.problem(404, "/problems/not-found");

    let writer = app.token(&["content:write"]);
    app.send(bearer(app.request(Method::GET, "/api/v1/tokens"), &writer))
        .await
        .problem(403, "/problems/forbidden");
    let bad = app
        .send_json(
            bearer(app.request(Method::POST, "/api/v1/tokens"), &admin),
            &json!({"name": "", "scopes": ["root"]}),
        )
        .await;
    let doc = bad.problem(422, "/problems/validation");
    assert_eq!(doc["errors"][0]["field"], "scopes[0]", "{doc}");
}

#[actix_web::test]
async fn put_creates_then_replaces_and_identical_content_is_a_no_op() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let created = app.put_article(&w, "hello", &article("Hello")).await;
    assert_eq!(created.status, 201);
    assert_eq!(created.header("location"), Some("/api/v1/articles/hello"));
    let etag = created.header("etag").expect("etag").to_owned();
    let doc = created.json();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["status"], "published");
    assert_eq!(doc["summary"], "Hello world.");
    assert_eq!(
        doc["toc"],
        json!([{"level": 2, "id": "intro", "text": "Intro"}])
    );
    assert_eq!(doc["primary_tag"], json!({"slug": "rust", "name": "Rust"}));
    assert_eq!(
        doc["tags"][1],
        json!({"slug": "web-dev", "name": "Web Dev"})
    );
    let published_at = doc["published_at"].clone();
    assert!(
        published_at.is_string(),
        "publishing without a date sets it"
    );

    actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    let same = app.put_article(&w, "hello", &article("Hello")).await;
    assert_eq!(same.status, 200);
    assert_eq!(same.header("etag"), Some(etag.as_str()));
    let same = same.json();
    assert_eq!(same["version"], 1);
    assert_eq!(same["updated_at"], doc["updated_at"]);

    let mut changed = article("Hello again");
    changed["featured"] = json!(true);
    let res = app.put_article(&w, "hello", &changed).await;
    assert_eq!(res.status, 200);
    assert_ne!(res.header("etag"), Some(etag.as_str()));
    let res = res.json();
    assert_eq!(res["version"], 2);
    assert_eq!(res["title"], "Hello again");
    assert_eq!(
        res["published_at"], published_at,
        "later edits keep the publication date"
    );

    // A replacement is whole: omitted fields return to their defaults.
    let res = app
        .put_article(&w, "hello", &json!({"title": "Bare", "body_markdown": "x"}))
        .await
        .json();
    assert_eq!(
        (
            res["status"].clone(),
            res["featured"].clone(),
            res["tags"].clone()
        ),
        (json!("draft"), json!(false), json!([]))
    );
    assert_eq!(res["version"], 3);
}

#[actix_web::test]
async fn post_creates_with_a_derived_slug_and_conflicts_on_a_taken_one() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let post = |body: serde_json::Value| {
        let app = &app;
        let w = w.clone();
        async move {
            app.send_json(
                bearer(app.request(Method::POST, "/api/v1/articles"), &w),
                &body,
            )
            .await
        }
    };
    let res = post(
        json!({"title": "Message Queues Explained — SQS vs Kafka vs SNS", "body_markdown": "x"}),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(
        res.header("location"),
        Some("/api/v1/articles/message-queues-explained-sqs-vs-kafka-vs-sns")
    );
    assert_eq!(res.json()["status"], "draft");
    let again = post(
        json!({"title": "Message Queues Explained — SQS vs Kafka vs SNS", "body_markdown": "y"}),
    )
    .await;
    again.problem(409, "/problems/conflict");
    let cafe = post(json!({"title": "Café", "body_markdown": "x"})).await;
    assert_eq!(cafe.json()["slug"], "cafe");
}

/// `PATCH` with an `application/merge-patch+json` body.
async fn merge_patch(
    app: &TestApp,
    w: &str,
    slug: &str,
    body: serde_json::Value,
) -> crate::helpers::Response {
    let req = bearer(
        app.request(Method::PATCH, &format!("/api/v1/articles/{slug}")),
        w,
    );
    app.send_text(req, "application/merge-patch+json", &body.to_string())
        .await
}

#[actix_web::test]
async fn patch_renames_and_the_old_slug_redirects() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    assert_eq!(
        app.put_article(&w, "old-name", &article("Name"))
            .await
            .status,
        201
    );
    let res = merge_patch(
        &app,
        &w,
        "old-name",
        json!({"slug": "new-name", "featured": true, "summary": "Custom."}),
    )
    .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let doc = res.json();
    assert_eq!(
        (
            doc["slug"].clone(),
            doc["featured"].clone(),
            doc["version"].clone()
        ),
        (json!("new-name"), json!(true), json!(2))
    );
    assert_eq!(doc["summary"], "Custom.");
    assert_eq!(
        doc["tags"].as_array().map(Vec::len),
        Some(2),
        "untouched fields stay"
    );

    let moved = app.get("/api/v1/articles/old-name").await;
    assert_eq!(moved.status, 301);
    assert_eq!(moved.header("location"), Some("/api/v1/articles/new-name"));

    // `null` returns a field to its default: the summary follows the body again.
    let res = app
        .patch_article(
            &w,
            "new-name",
            &json!({"summary": null, "body_markdown": "Fresh words here."}),
        )
        .await
        .json();
    assert_eq!(res["summary"], "Fresh words here.");

    // Taking a slug that used to redirect makes it the new article's own.
    assert_eq!(
        app.put_article(&w, "old-name", &article("Reborn"))
            .await
            .status,
        201
    );
    assert_eq!(
        app.get("/api/v1/articles/old-name").await.json()["title"],
        "Reborn"
    );
}

#[actix_web::test]
async fn patches_that_cannot_apply_are_clear_problems() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    assert_eq!(
        app.put_article(&w, "mine", &article("Mine")).await.status,
        201
    );
    assert_eq!(
        app.put_article(&w, "other", &article("Other")).await.status,
        201
    );
    merge_patch(&app, &w, "mine", json!({"slug": "other"}))
        .await
        .problem(409, "/problems/conflict");
    merge_patch(&app, &w, "nowhere", json!({"featured": true}))
        .await
        .problem(404, "/problems/not-found");
    merge_patch(&app, &w, "mine", json!({"title": ""}))
        .await
        .problem(422, "/problems/validation");
    merge_patch(&app, &w, "mine", json!({"colour": "red"}))
        .await
        .problem(422, "/problems/validation");
    let wrong_type = app
        .send_text(
            bearer(app.request(Method::PATCH, "/api/v1/articles/mine"), &w),
            "text/plain",
            "{}",
        )
        .await;
    wrong_type.problem(415, "/problems/unsupported-media-type");
    let unchanged = app.get_article("mine").await.json();
    assert_eq!(
        (unchanged["version"].clone(), unchanged["title"].clone()),
        (json!(1), json!("Mine"))
    );
}

#[actix_web::test]
async fn delete_and_preconditions() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let created = app.put_article(&w, "p", &article("P")).await;
    let etag = created.header("etag").expect("etag").to_owned();

    let put_if = |header: (&'static str, String), title: &'static str| {
        let req = bearer(app.request(Method::PUT, "/api/v1/articles/p"), &w).insert_header(header);
        let app = &app;
        async move { app.send_json(req, &article(title)).await }
    };
    put_if(("If-None-Match", "*".to_owned()), "P2")
        .await
        .problem(412, "/problems/precondition-failed");
    put_if(("If-Match", "\"00000000-9-00000000\"".to_owned()), "P2")
        .await
        .problem(412, "/problems/precondition-failed");
    // Not an ETag Folio could have sent: a malformed header, not a failed precondition.
    put_if(("If-Match", "\"00000000-9\"".to_owned()), "P2")
        .await
        .problem(400, "/problems/bad-request");
    let ok = put_if(("If-Match", etag.clone()), "P2").await;
    assert_eq!(ok.status, 200);
    let new_etag = ok.header("etag").expect("etag").to_owned();
    put_if(("If-Match", etag.clone()), "P3")
        .await
        .problem(412, "/problems/precondition-failed");
    assert_eq!(
        app.get("/api/v1/articles/p").await.header("etag"),
        Some(new_etag.as_str()),
        "GET's ETag is If-Match's"
    );

    let create_only = bearer(app.request(Method::PUT, "/api/v1/articles/fresh"), &w)
        .insert_header(("If-None-Match", "*"));
    assert_eq!(
        app.send_json(create_only, &article("Fresh")).await.status,
        201
    );
    let missing = bearer(app.request(Method::PUT, "/api/v1/articles/absent"), &w)
        .insert_header(("If-Match", "*"));
    app.send_json(missing, &article("Absent"))
        .await
        .problem(412, "/problems/precondition-failed");

    let stale_delete = bearer(app.request(Method::DELETE, "/api/v1/articles/p"), &w)
        .insert_header(("If-Match", etag));
    app.send(stale_delete)
        .await
        .problem(412, "/problems/precondition-failed");
    let delete = app
        .send(bearer(
            app.request(Method::DELETE, "/api/v1/articles/p"),
            &w,
        ))
        .await;
    assert_eq!(delete.status, 204);
    assert!(delete.body.is_empty());
    app.get("/api/v1/articles/p")
        .await
        .problem(404, "/problems/not-found");
    app.delete_article(&w, "p")
        .await
        .problem(404, "/problems/not-found");
}

/// `PUT /api/v1/articles/bad` with this content type and raw body.
async fn put_raw(
    app: &TestApp,
    w: &str,
    content_type: &str,
    body: String,
) -> crate::helpers::Response {
    let req = bearer(app.request(Method::PUT, "/api/v1/articles/bad"), w);
    app.send_text(req, content_type, &body).await
}

/// The `field` of each error of a validation problem, in order.
fn error_fields(doc: &serde_json::Value) -> Vec<&str> {
    doc["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str())
        .collect()
}

#[actix_web::test]
async fn malformed_unreadable_and_oversized_bodies_are_400_413_415() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let json = "application/json";
    put_raw(&app, &w, json, "{\"title\": ".to_owned())
        .await
        .problem(400, "/problems/bad-request");
    put_raw(&app, &w, json, "[1, 2]".to_owned())
        .await
        .problem(400, "/problems/bad-request");
    put_raw(&app, &w, "application/xml", "<a/>".to_owned())
        .await
        .problem(415, "/problems/unsupported-media-type");
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    put_raw(&app, &w, json, deep)
        .await
        .problem(400, "/problems/bad-request");
    let huge = json!({"title": "Big", "body_markdown": "x".repeat(3 * 1024 * 1024)}).to_string();
    put_raw(&app, &w, json, huge)
        .await
        .problem(413, "/problems/payload-too-large");
    assert_eq!(app.get("/api/v1/articles?status=any").await.status, 401);
    assert!(
        slugs(&app.get("/api/v1/articles").await.json()).is_empty(),
        "nothing was written"
    );
}

#[actix_web::test]
async fn unknown_and_invalid_fields_are_each_named() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let put = |body: serde_json::Value| put_raw(&app, &w, "application/json", body.to_string());
    let doc = put(json!({"title": "T", "body_markdown": "x", "colour": "red", "tittle": "T"}))
        .await
        .problem(422, "/problems/validation");
    assert_eq!(error_fields(&doc), ["colour", "tittle"]);
    assert_eq!(doc["errors"][0]["code"], "unknown_field");

    let doc = put(json!({"title": "x".repeat(201), "body_markdown": "x", "summary": "s".repeat(501),
        "status": "scheduled", "slug": "Bad Slug", "tags": ["ok", ""], "seo": {"canonical_url": "javascript:alert(1)"}}))
        .await
        .problem(422, "/problems/validation");
    let fields = error_fields(&doc);
    for f in [
        "title",
        "summary",
        "status",
        "slug",
        "tags[1]",
        "seo.canonical_url",
    ] {
        assert!(fields.contains(&f), "{f} not in {fields:?}");
    }
    assert_eq!(
        doc["detail"],
        format!("{} fields are invalid", fields.len())
    );
    put(json!({"title": " ", "body_markdown": "x"}))
        .await
        .problem(422, "/problems/validation");
    let doc = put(json!({"title": "T", "body_markdown": "x", "featured": "yes"}))
        .await
        .problem(422, "/problems/validation");
    assert_eq!(doc["errors"][0]["field"], "featured");
    let doc = put(json!({"title": "T", "body_markdown": "x", "slug": "other"}))
        .await
        .problem(422, "/problems/validation");
    assert_eq!(doc["errors"][0]["code"], "mismatch");
    assert!(
        slugs(&app.get("/api/v1/articles").await.json()).is_empty(),
        "nothing was written"
    );
}

#[actix_web::test]
async fn values_the_store_cannot_hold_are_refused_before_it() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let put = |body: serde_json::Value| put_raw(&app, &w, "application/json", body.to_string());
    // Dates RFC 3339 cannot write back (years outside 0001-9999 in UTC) are refused.
    let doc = put(
        json!({"title": "T", "body_markdown": "x", "status": "published",
        "published_at": "0000-01-01T00:00:00+23:59"}),
    )
    .await
    .problem(422, "/problems/validation");
    assert_eq!(doc["errors"][0]["field"], "published_at");
    app.get("/api/v1/articles?published_after=9999-12-31T23:59:59-23:59")
        .await
        .problem(400, "/problems/bad-request");
    let doc = put(json!({"title": "T\u{0}", "body_markdown": "x"}))
        .await
        .problem(422, "/problems/validation");
    assert_eq!(doc["errors"][0]["field"], "title");
    let doc = put(json!({"title": "T", "body_markdown": "x", "authors": ["ghost"]}))
        .await
        .problem(422, "/problems/validation");
    assert_eq!(
        doc["errors"][0],
        json!({"field": "authors[0]", "code": "not_found", "message": "no author has the slug `ghost`"})
    );
    let many: Vec<String> = (0..10_000).map(|i| format!("tag {i}")).collect();
    put(json!({"title": "T", "body_markdown": "x", "tags": many}))
        .await
        .problem(422, "/problems/validation");
    assert!(
        slugs(&app.get("/api/v1/articles").await.json()).is_empty(),
        "nothing was written"
    );
}

#[actix_web::test]
async fn markdown_with_front_matter() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let put = |slug: &'static str, body: &'static str| {
        let req = bearer(
            app.request(Method::PUT, &format!("/api/v1/articles/{slug}")),
            &w,
        );
        let app = &app;
        async move {
            app.send_text(req, "text/markdown; charset=utf-8", body)
                .await
        }
    };
    let doc = "---\ntitle: \"Hello, front matter\"\nstatus: published\npublished_at: 2026-04-18T09:00:00Z\ntags: [Meta, Rust]\nfeatured: true\n---\n# Heading\n\nThe body.\n";
    let res = put("fm", doc).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let a = res.json();
    assert_eq!(a["title"], "Hello, front matter");
    assert_eq!(a["published_at"], "2026-04-18T09:00:00Z");
    assert_eq!(a["body_markdown"], "# Heading\n\nThe body.\n");
    assert_eq!(a["featured"], true);
    let again = put("fm", doc).await;
    assert_eq!(
        (again.status.as_u16(), again.json()["version"].clone()),
        (200, json!(1))
    );

    let broken = put("fm", "---\ntitle: [unclosed\nstatus: draft\n---\nBody\n").await;
    let problem = broken.problem(400, "/problems/bad-request");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("line"),
        "{problem}"
    );
    put("fm", "---\ntitle: never closed\nBody\n")
        .await
        .problem(400, "/problems/bad-request");
    put("fm", "---\n- a list\n---\nBody\n")
        .await
        .problem(400, "/problems/bad-request");
    let bomb = "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\ntitle: bomb\n---\nBody\n";
    let res = put("bomb", bomb).await;
    assert!(
        res.status.is_client_error(),
        "a YAML alias bomb is refused: {}",
        res.status
    );
    let doc = put("fm2", "---\ntitle: T\nbody_markdown: no\n---\nBody\n")
        .await
        .problem(422, "/problems/validation");
    assert_eq!(doc["errors"][0]["field"], "body_markdown");
    let doc = put("fm3", "Just a body, no front matter.\n")
        .await
        .problem(422, "/problems/validation");
    assert_eq!(
        doc["errors"][0],
        json!({"field": "title", "code": "required", "message": "is required"})
    );
}

#[actix_web::test]
async fn rendering_is_sanitized() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let body = "<script>alert(1)</script>\n\n<img src=\"x.png\" onerror=\"alert(1)\">\n\n[a](javascript:alert(1)) and <a href=\"javascript:alert(2)\" onclick=\"x()\">b</a>\n\n## Same\n\n## Same\n";
    let res = app
        .put_article(&w, "xss", &json!({"title": "XSS", "body_markdown": body}))
        .await;
    assert_eq!(res.status, 201);
    let html = res.json()["body_html"]
        .as_str()
        .unwrap_or_default()
        .to_lowercase();
    assert!(
        !html.contains("<script") && !html.contains("onerror") && !html.contains("onclick"),
        "{html}"
    );
    assert!(!html.contains("javascript:"), "{html}");
    assert!(
        html.contains("<img src=\"x.png\""),
        "harmless markup stays: {html}"
    );
    assert!(
        html.contains("id=\"same\"") && html.contains("id=\"same-2\""),
        "{html}"
    );
}

#[actix_web::test]
async fn ten_concurrent_puts_of_one_new_slug_create_it_once() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let body = article("Race");
    let results = join_all((0..10).map(|_| app.put_article(&w, "race", &body))).await;
    let mut codes: Vec<u16> = results.iter().map(|r| r.status.as_u16()).collect();
    codes.sort();
    assert_eq!(
        codes,
        [200, 200, 200, 200, 200, 200, 200, 200, 200, 201],
        "{:?}",
        results.iter().map(|r| r.text()).collect::<Vec<_>>()
    );
    assert!(
        results.iter().all(|r| r.json()["version"] == 1),
        "identical content: no new versions"
    );
    let listing = app.get("/api/v1/articles").await.json();
    assert_eq!(listing["meta"]["pagination"]["total"], 1);
}

#[actix_web::test]
async fn concurrent_creation_of_the_same_new_tag_does_not_fail() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let bodies: Vec<_> = (0..8)
        .map(|i| json!({"title": format!("T{i}"), "body_markdown": "x", "status": "published", "tags": ["Brand New", "Another New"]}))
        .collect();
    let results = join_all(bodies.iter().enumerate().map(|(i, b)| {
        let slug = format!("t{i}");
        let app = &app;
        let w = w.clone();
        async move { app.put_article(&w, &slug, b).await }
    }))
    .await;
    assert!(
        results.iter().all(|r| r.status == 201),
        "{:?}",
        results.iter().map(|r| r.text()).collect::<Vec<_>>()
    );
    let tags = app.get("/api/v1/tags").await.json();
    assert_eq!(slugs(&tags), ["another-new", "brand-new"]);
    assert_eq!(tags["data"][1]["article_count"], 8);
}
