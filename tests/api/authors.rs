//! `/api/v1/authors`: public counts, writes with URL rules, and the guard on deleting an author with articles.

use serde_json::json;

use crate::helpers::{slugs, TestApp};

#[actix_web::test]
async fn the_listing_counts_public_articles_only() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    app.author(&w, "ada", "Ada").await;
    app.author(&w, "bob", "Bob").await;
    app.author(&w, "cy", "Cy").await;
    for (slug, status, author) in [
        ("a1", "published", "ada"),
        ("a2", "published", "ada"),
        ("c1", "draft", "cy"),
    ] {
        let res = app
            .put_article(
                &w,
                slug,
                &json!({"title": slug, "body_markdown": "x", "status": status, "authors": [author]}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
    }
    let all = app.listing("authors", "").await;
    assert_eq!(slugs(&all), ["ada", "bob", "cy"]);
    assert_eq!(all["meta"]["pagination"]["total"], 3);
    let busy = app
        .listing("authors", "hide_empty=true&sort=-article_count")
        .await;
    assert_eq!(slugs(&busy), ["ada"], "a draft does not count");
    assert_eq!(busy["data"][0]["article_count"], 2);
    assert_eq!(
        app.get("/api/v1/authors/cy").await.json()["article_count"],
        0
    );
    app.get("/api/v1/authors/nobody")
        .await
        .problem(404, "/problems/not-found");
    app.get("/api/v1/authors?sort=name&bogus=1")
        .await
        .problem(400, "/problems/bad-request");
}

#[actix_web::test]
async fn writes_check_urls_and_patch_can_clear_a_field() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let ada = app
        .put_in(
            "authors",
            &w,
            "ada",
            &json!({"name": "Ada", "website": "https://ada.example"}),
        )
        .await;
    assert_eq!(ada.status, 201);
    assert_eq!(ada.json()["website"], "https://ada.example");
    for bad in ["not a url", "relative/path", "javascript:alert(1)"] {
        let doc = app
            .put_in(
                "authors",
                &w,
                "bob",
                &json!({"name": "Bob", "website": bad}),
            )
            .await
            .problem(422, "/problems/validation");
        assert_eq!(doc["errors"][0]["field"], "website", "{doc}");
    }
    let cleared = app
        .patch_in("authors", &w, "ada", &json!({"website": null}))
        .await;
    assert_eq!(cleared.status, 200, "{}", cleared.text());
    assert_eq!(cleared.json()["website"], json!(null));
    assert_eq!(cleared.json()["name"], "Ada");
    let made = app
        .create_in("authors", &w, &json!({"name": "Grace Hopper"}))
        .await;
    assert_eq!(
        made.header("location"),
        Some("/api/v1/authors/grace-hopper")
    );
    app.create_in("authors", &w, &json!({"name": "Grace Hopper"}))
        .await
        .problem(409, "/problems/conflict");
}

#[actix_web::test]
async fn an_author_with_articles_is_not_deleted() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    app.author(&w, "ada", "Ada").await;
    app.author(&w, "bob", "Bob").await;
    let post = app
        .put_article(
            &w,
            "by-ada",
            &json!({"title": "T", "body_markdown": "x", "authors": ["ada"]}),
        )
        .await;
    assert_eq!(
        post.json()["primary_author"],
        json!({"slug": "ada", "name": "Ada", "avatar_url": null})
    );
    let doc = app
        .delete_in("authors", &w, "ada")
        .await
        .problem(409, "/problems/conflict");
    assert!(
        doc["detail"].as_str().is_some_and(|d| d.contains("ada")),
        "{doc}"
    );
    assert_eq!(app.delete_in("authors", &w, "bob").await.status, 204);
    app.delete_in("authors", &w, "bob")
        .await
        .problem(404, "/problems/not-found");
    let unknown = app
        .put_article(
            &w,
            "by-nobody",
            &json!({"title": "T", "body_markdown": "x", "authors": ["ada", "zed"]}),
        )
        .await
        .problem(422, "/problems/validation");
    assert_eq!(unknown["errors"][0]["field"], "authors[1]");
}
