//! `/api/v1/tags`: public counts, idempotent writes, renames, field rules, and what deleting a tag does.

use actix_web::http::Method;
use serde_json::json;

use crate::helpers::{slugs, TestApp};

/// Three public articles over three tags, plus a draft whose tag has no public article.
async fn tagged_blog() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    app.publish(&w, "one", "One", &["Rust", "Databases"], 3)
        .await;
    app.publish(&w, "two", "Two", &["Rust"], 2).await;
    app.publish(&w, "three", "Three", &["Rust", "HTTP"], 1)
        .await;
    let draft = app
        .put_article(
            &w,
            "draft",
            &json!({"title": "x", "body_markdown": "x", "tags": ["Lonely"]}),
        )
        .await;
    assert_eq!(draft.status, 201, "{}", draft.text());
    (app, w)
}

#[actix_web::test]
async fn the_listing_counts_public_articles_sorts_and_hides_empty_tags() {
    let (app, _) = tagged_blog().await;
    let reader = app.token(&["content:read"]);
    let doc = app
        .call(Method::GET, "/api/v1/tags", &reader, None)
        .await
        .json();
    assert_eq!(slugs(&doc), ["databases", "http", "lonely", "rust"]);
    assert_eq!(doc["meta"]["pagination"]["per_page"], 100);
    assert_eq!(doc["meta"]["pagination"]["total"], 4);
    let anonymous = app.listing("tags", "").await;
    assert_eq!(
        slugs(&anonymous),
        ["databases", "http", "rust"],
        "only a token sees a tag no public article uses"
    );

    let by_count = app
        .listing("tags", "sort=-article_count&hide_empty=true")
        .await;
    assert_eq!(
        slugs(&by_count),
        ["rust", "databases", "http"],
        "a draft's tag counts 0"
    );
    let counts: Vec<i64> = by_count["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["article_count"].as_i64())
        .collect();
    assert_eq!(counts, [3, 1, 1]);
    assert_eq!(by_count["meta"]["pagination"]["total"], 3);

    let second = app.listing("tags", "per_page=2&page=2").await;
    assert_eq!(slugs(&second), ["rust"]);
    assert_eq!(second["links"]["prev"], "/api/v1/tags?page=1&per_page=2");

    let tag = app.get("/api/v1/tags/rust").await;
    assert_eq!(tag.status, 200);
    assert_eq!(tag.json()["name"], "Rust");
    assert_eq!(tag.json()["article_count"], 3);
}

#[actix_web::test]
async fn bad_parameters_and_unknown_slugs_are_problems() {
    let app = TestApp::spawn().await;
    for query in [
        "per_page=1001",
        "per_page=0",
        "page=0",
        "sort=-name",
        "hide_empty=yes",
        "colour=red",
    ] {
        app.get(&format!("/api/v1/tags?{query}"))
            .await
            .problem(400, "/problems/bad-request");
    }
    app.get("/api/v1/tags/nope")
        .await
        .problem(404, "/problems/not-found");
    app.get("/api/v1/tags/Not%20A%20Slug")
        .await
        .problem(404, "/problems/not-found");
}

#[actix_web::test]
async fn put_is_idempotent_post_conflicts_and_patch_renames() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let body = json!({"name": "Rust", "description": "The language."});
    let created = app.put_in("tags", &w, "rust", &body).await;
    assert_eq!(
        (created.status.as_u16(), created.header("location")),
        (201, Some("/api/v1/tags/rust"))
    );
    assert_eq!(created.header("cache-control"), Some("private, no-store"));
    let same = app.put_in("tags", &w, "rust", &body).await;
    assert_eq!(same.status, 200);
    assert_eq!(
        same.json()["updated_at"],
        created.json()["updated_at"],
        "an identical PUT writes nothing"
    );
    let changed = app
        .put_in("tags", &w, "rust", &json!({"name": "Rust"}))
        .await;
    assert_eq!(
        changed.json()["description"],
        json!(null),
        "PUT replaces the whole tag"
    );

    app.create_in("tags", &w, &json!({"name": "Rust"}))
        .await
        .problem(409, "/problems/conflict");
    let made = app.create_in("tags", &w, &json!({"name": "Web Dev"})).await;
    assert_eq!(
        (made.status.as_u16(), made.json()["slug"].clone()),
        (201, json!("web-dev"))
    );

    let renamed = app
        .patch_in(
            "tags",
            &w,
            "web-dev",
            &json!({"slug": "web", "name": "Web"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    assert_eq!(renamed.json()["slug"], "web");
    app.get("/api/v1/tags/web-dev")
        .await
        .problem(404, "/problems/not-found");
    let described = app
        .patch_in("tags", &w, "web", &json!({"description": "Pages."}))
        .await;
    assert_eq!(
        described.json()["name"],
        "Web",
        "a patch keeps the fields it does not name"
    );
    app.patch_in("tags", &w, "web", &json!({"slug": "rust"}))
        .await
        .problem(409, "/problems/conflict");
    app.patch_in("tags", &w, "nope", &json!({"name": "N"}))
        .await
        .problem(404, "/problems/not-found");
}

#[actix_web::test]
async fn names_are_trimmed_and_every_bad_field_is_named() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    app.put_in("tags", &w, "rust", &json!({"name": "Rust"}))
        .await;
    for blank in ["", " ", "\n", "\u{a0}", "\u{3000}"] {
        let doc = app
            .put_in("tags", &w, "blank", &json!({"name": blank}))
            .await
            .problem(422, "/problems/validation");
        assert_eq!(doc["errors"][0]["field"], "name", "{doc}");
        app.patch_in("tags", &w, "rust", &json!({"name": blank}))
            .await
            .problem(422, "/problems/validation");
    }
    let doc = app
        .put_in(
            "tags",
            &w,
            "x",
            &json!({"name": "X", "color": "red", "slug": "y"}),
        )
        .await
        .problem(422, "/problems/validation");
    let fields: Vec<&str> = doc["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["color"],
        "unknown fields are refused before anything else: {doc}"
    );
    let mismatch = app
        .put_in("tags", &w, "x", &json!({"name": "X", "slug": "y"}))
        .await
        .problem(422, "/problems/validation");
    assert_eq!(mismatch["errors"][0]["code"], "mismatch");
    let underivable = app
        .create_in("tags", &w, &json!({"name": "!!!"}))
        .await
        .problem(422, "/problems/validation");
    assert_eq!(underivable["errors"][0]["field"], "name");
}

#[actix_web::test]
async fn deleting_a_tag_removes_it_from_its_articles() {
    let (app, w) = tagged_blog().await;
    assert_eq!(app.delete_in("tags", &w, "rust").await.status, 204);
    let one = app.get_article("one").await.json();
    assert_eq!(
        one["tags"],
        json!([{"slug": "databases", "name": "Databases"}])
    );
    assert_eq!(one["primary_tag"]["slug"], "databases");
    assert_eq!(
        app.get_article("two").await.json()["primary_tag"],
        json!(null)
    );
    app.delete_in("tags", &w, "rust")
        .await
        .problem(404, "/problems/not-found");
    let reader = app.token(&["content:read"]);
    app.delete_in("tags", &reader, "http")
        .await
        .problem(403, "/problems/forbidden");
}
