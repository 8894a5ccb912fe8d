//! The response cache: hits, and every way it is invalidated (a local write, another instance's write, plain SQL,
//! a scheduled article's time, a lost listener connection).

use std::time::Duration;

use actix_web::http::Method;
use diesel::RunQueryDsl;
use serde_json::json;

use crate::helpers::{bearer, eventually, slugs, until_live, TestApp};

#[actix_web::test]
async fn public_gets_are_served_from_memory_and_token_reads_bypass_it() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    app.publish(&w, "one", "One", &["Rust"], 1).await;
    until_live(&app, "/api/v1/articles").await;
    let first = app.get("/api/v1/articles?per_page=5&tag=rust").await;
    assert_eq!(first.header("x-cache"), Some("miss"));
    let second = app.get("/api/v1/articles?tag=rust&per_page=5").await;
    assert_eq!(
        second.header("x-cache"),
        Some("hit"),
        "same request, parameters in another order"
    );
    assert_eq!(first.body, second.body);
    assert_eq!(first.header("etag"), second.header("etag"));
    assert_eq!(second.header("content-type"), Some("application/json"));
    assert!(second.header("link").is_some());
    let cached_304 = app
        .send(
            app.request(Method::GET, "/api/v1/articles?per_page=5&tag=rust")
                .insert_header((
                    "If-None-Match",
                    first.header("etag").unwrap_or_default().to_owned(),
                )),
        )
        .await;
    assert_eq!(cached_304.status, 304);
    let with_token = app
        .send(bearer(
            app.request(Method::GET, "/api/v1/articles?per_page=5&tag=rust"),
            &w,
        ))
        .await;
    assert_eq!(with_token.header("x-cache"), None);
    assert_eq!(
        app.get("/api/v1/articles/nope").await.header("x-cache"),
        None,
        "errors are not cached"
    );
}

#[actix_web::test]
async fn a_write_through_this_instance_is_visible_at_once() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    app.publish(&w, "one", "One", &[], 2).await;
    until_live(&app, "/api/v1/articles").await;
    app.get("/api/v1/articles/one").await;
    assert_eq!(
        app.get("/api/v1/articles").await.header("x-cache"),
        Some("hit")
    );
    let res = app
        .put_article(
            &w,
            "one",
            &json!({"title": "One, edited", "body_markdown": "x", "status": "published"}),
        )
        .await;
    assert_eq!(res.status, 200);
    let list = app.get("/api/v1/articles").await;
    assert_eq!(list.json()["data"][0]["title"], "One, edited");
    assert_eq!(
        app.get("/api/v1/articles/one").await.json()["title"],
        "One, edited"
    );
    let patched = app
        .patch_article(&w, "one", &json!({"title": "One, patched"}))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(
        app.get("/api/v1/articles").await.json()["data"][0]["title"],
        "One, patched",
        "a PATCH empties the cache too"
    );
    let del = app.delete_article(&w, "one").await;
    assert_eq!(del.status, 204);
    assert_eq!(
        slugs(&app.get("/api/v1/articles").await.json()),
        Vec::<String>::new()
    );
}

#[actix_web::test]
async fn two_instances_on_one_database_see_each_others_writes() {
    let a = TestApp::spawn().await;
    // A second, independent Folio (its own cache and listener) on the same database.
    let b = TestApp::start(folio::config::Config::for_database(&a.database_url), None).await;
    let w = a.token(&["content:write"]);
    a.publish(&w, "one", "One", &[], 2).await;
    until_live(&b, "/api/v1/articles").await;
    assert_eq!(
        b.get("/api/v1/articles").await.header("x-cache"),
        Some("hit")
    );

    a.publish(&w, "two", "Two", &[], 1).await;
    let took = eventually(&b, "/api/v1/articles", |d| slugs(d) == ["two", "one"]).await;
    eprintln!("a write through one instance reached the other's cache in {took:?}");
    let res = b
        .put_article(
            &w,
            "one",
            &json!({"title": "Edited on B", "body_markdown": "x", "status": "published",
        "published_at": chrono::Utc::now() - chrono::Duration::days(2)}),
        )
        .await;
    assert_eq!(res.status, 200);
    eventually(&a, "/api/v1/articles", |d| {
        d["data"][1]["title"] == "Edited on B"
    })
    .await;
    eventually(&a, "/api/v1/tags", |_| true).await;
}

#[actix_web::test]
async fn plain_sql_changes_invalidate_through_the_trigger() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    app.publish(&w, "one", "One", &["Rust"], 1).await;
    until_live(&app, "/api/v1/tags").await;
    assert_eq!(app.get("/api/v1/tags").await.header("x-cache"), Some("hit"));
    diesel::sql_query("UPDATE tags SET name = 'Rust (lang)' WHERE slug = 'rust'")
        .execute(&mut app.db())
        .expect("sql");
    eventually(&app, "/api/v1/tags", |d| {
        d["data"][0]["name"] == "Rust (lang)"
    })
    .await;
}

#[actix_web::test]
async fn a_scheduled_article_appears_when_its_time_comes_though_the_page_was_cached() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    app.publish(&w, "now", "Now", &[], 1).await;
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let res = app.put_article(&w, "soon", &json!({"title": "Soon", "body_markdown": "x", "status": "published", "published_at": soon})).await;
    assert_eq!(res.status, 201);
    until_live(&app, "/api/v1/articles").await;
    assert_eq!(
        app.get("/api/v1/articles").await.header("x-cache"),
        Some("hit")
    );
    assert_eq!(slugs(&app.get("/api/v1/articles").await.json()), ["now"]);
    actix_web::rt::time::sleep(Duration::from_millis(1600)).await;
    eventually(&app, "/api/v1/articles", |d| slugs(d) == ["soon", "now"]).await;
}

#[actix_web::test]
async fn while_the_listener_is_disconnected_the_cache_is_bypassed_and_then_rebuilt() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    app.publish(&w, "one", "One", &[], 1).await;
    until_live(&app, "/api/v1/articles").await;
    assert_eq!(
        app.get("/api/v1/articles").await.header("x-cache"),
        Some("hit")
    );
    // Cut the listener's connection, and change content in the same breath: the notification is lost.
    let mut conn = app.db();
    diesel::sql_query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = 'LISTEN folio_content'")
        .execute(&mut conn)
        .expect("terminate listener");
    diesel::sql_query("UPDATE articles SET title = 'Changed unheard'")
        .execute(&mut conn)
        .expect("sql");
    eventually(&app, "/api/v1/articles", |d| {
        d["data"][0]["title"] == "Changed unheard"
    })
    .await;
    // And once it reconnects, the cache serves again.
    until_live(&app, "/api/v1/articles").await;
    let again = app.get("/api/v1/articles").await;
    assert_eq!(again.json()["data"][0]["title"], "Changed unheard");
}

#[actix_web::test]
async fn a_burst_for_a_just_invalidated_page_is_computed_once() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    for i in 0..12 {
        app.publish(&w, &format!("a{i}"), "A", &["Rust"], i).await;
    }
    until_live(&app, "/api/v1/tags").await;
    app.publish(&w, "new", "New", &["Rust"], 0).await;
    // Let the write's own notification arrive (it empties the cache once more), then stay quiet.
    actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    until_live(&app, "/api/v1/tags").await;

    let page = "/api/v1/articles?tag=rust&per_page=7";
    let burst = (0..32).map(|_| app.get(page));
    let answers = futures_util::future::join_all(burst).await;
    let misses = answers
        .iter()
        .filter(|r| r.header("x-cache") == Some("miss"))
        .count();
    assert!(answers.iter().all(|r| r.status == 200));
    assert!(answers.iter().all(|r| r.body == answers[0].body));
    assert_eq!(misses, 1, "one request computed the page, 31 waited for it");
}
