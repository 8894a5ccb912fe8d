//! CDN-precise caching: every public response names what it depends on (`Surrogate-Key`), and every write names
//! what it made stale (`Purge-Keys`, and `purge_keys` in the change feed and webhooks) — so that purging a write's
//! keys removes exactly the responses that changed.

use std::collections::BTreeSet;

use actix_web::http::Method;
use serde_json::{json, Value};

use crate::helpers::{bearer, TestApp};

fn keys(header: Option<&str>) -> BTreeSet<String> {
    header
        .unwrap_or_default()
        .split(' ')
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
        .collect()
}

fn article(doc: &Value) -> String {
    format!("article:{}", doc["id"].as_str().expect("id"))
}

/// A shared cache holding these public responses, keyed as Folio names them.
struct Cdn {
    held: Vec<(String, BTreeSet<String>)>,
}

impl Cdn {
    async fn fill(app: &TestApp, paths: &[&str]) -> Cdn {
        let mut held = Vec::new();
        for path in paths {
            let res = app.get(path).await;
            assert_eq!(res.status, 200, "{path}: {}", res.text());
            let k = keys(res.header("surrogate-key"));
            assert!(!k.is_empty(), "{path} names no surrogate keys");
            held.push((path.to_string(), k));
        }
        Cdn { held }
    }

    /// What purging `purge` removes.
    fn purged(&self, purge: &BTreeSet<String>) -> BTreeSet<String> {
        self.held
            .iter()
            .filter(|(_, k)| !k.is_disjoint(purge))
            .map(|(p, _)| p.clone())
            .collect()
    }
}

#[actix_web::test]
async fn responses_name_what_they_depend_on() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write", "content:read", "admin"]);
    let old = app.publish(&w, "old", "Old", &["rust"], 3).await;
    let mid = app.publish(&w, "mid", "Mid", &["go"], 2).await;
    let new = app.publish(&w, "new", "New", &[], 1).await;
    let site = app
        .send_json(
            bearer(app.request(Method::PATCH, "/api/v1/site"), &w),
            &json!({"url": "https://notes.example.com"}),
        )
        .await;
    assert_eq!(site.status, 200);

    let listing = app.get("/api/v1/articles").await;
    let listed = keys(listing.header("surrogate-key"));
    // Every public article change purges `articles`; the names shown are purged by their own changes.
    assert_eq!(
        listed,
        BTreeSet::from(["articles", "tag:go", "tag:rust"].map(str::to_owned))
    );
    // A hit of the response cache names them too.
    let hit = app.get("/api/v1/articles").await;
    assert_eq!(keys(hit.header("surrogate-key")), listed);

    // An article names itself, its tags, its neighbours (it shows their titles) and its place among them, not
    // the collection.
    let id = mid["id"].as_str().expect("id");
    let page = keys(
        app.get("/api/v1/articles/mid")
            .await
            .header("surrogate-key"),
    );
    assert_eq!(
        page,
        BTreeSet::from([
            article(&mid),
            article(&old),
            article(&new),
            format!("neighbours:{id}"),
            "tag:go".to_owned()
        ])
    );

    for (path, expected) in [
        ("/api/v1/tags", vec!["tags", "articles"]),
        ("/api/v1/tags/rust", vec!["tag:rust", "articles"]),
        ("/api/v1/site", vec!["site"]),
        ("/api/v1/changes", vec!["changes"]),
        ("/api/v1/search/suggest?q=mi", vec!["articles"]),
        (
            "/api/v1/sitemap.xml",
            vec!["articles", "pages", "tags", "authors", "site"],
        ),
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text());
        let got = keys(res.header("surrogate-key"));
        let expected: BTreeSet<String> = expected.into_iter().map(str::to_owned).collect();
        assert_eq!(got, expected, "{path}");
    }
    let related = keys(
        app.get("/api/v1/articles/old/related")
            .await
            .header("surrogate-key"),
    );
    assert!(related.contains("articles"), "{related:?}");

    // Only shared caches get keys: not a token's read, not an error, not a write.
    let private = app
        .send(bearer(app.request(Method::GET, "/api/v1/articles"), &w))
        .await;
    assert_eq!(private.header("surrogate-key"), None);
    assert_eq!(
        app.get("/api/v1/articles/nope")
            .await
            .header("surrogate-key"),
        None
    );
    let write = app
        .patch_article(&w, "new", &json!({"summary": "Changed."}))
        .await;
    assert_eq!(write.status, 200);
    assert_eq!(write.header("surrogate-key"), None);
}

#[actix_web::test]
async fn a_write_purges_exactly_what_it_changed() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write", "admin"]);
    app.publish(&w, "a", "A", &["rust"], 5).await;
    app.publish(&w, "b", "B", &["rust"], 4).await;
    let c = app.publish(&w, "c", "C", &[], 3).await;
    app.publish(&w, "d", "D", &[], 2).await;
    app.publish(&w, "e", "E", &[], 1).await;
    let pages = app
        .put_in(
            "pages",
            &w,
            "about",
            &json!({"title": "About", "body_markdown": "Hi.", "status": "published"}),
        )
        .await;
    assert_eq!(pages.status, 201, "{}", pages.text());
    let everything = [
        "/api/v1/articles",
        "/api/v1/articles/a",
        "/api/v1/articles/b",
        "/api/v1/articles/c",
        "/api/v1/articles/d",
        "/api/v1/articles/e",
        "/api/v1/tags/rust",
        "/api/v1/site",
        "/api/v1/pages/about",
        "/api/v1/pages",
        "/api/v1/changes",
    ];
    let cdn = Cdn::fill(&app, &everything).await;

    // Editing `c`'s body: its page, its neighbours' pages (they show its title, and it might have moved next to
    // them), whatever lists articles.
    let edit = app
        .patch_article(&w, "c", &json!({"body_markdown": "New words."}))
        .await;
    assert_eq!(edit.status, 200);
    let purge = keys(edit.header("purge-keys"));
    assert!(
        purge.contains(&article(&c)) && purge.contains("articles"),
        "{purge:?}"
    );
    assert_eq!(
        cdn.purged(&purge),
        BTreeSet::from(
            [
                "/api/v1/articles",
                "/api/v1/articles/b",
                "/api/v1/articles/c",
                "/api/v1/articles/d",
                "/api/v1/tags/rust",
                "/api/v1/changes",
            ]
            .map(str::to_owned)
        ),
        "not `a` or `e`, not the site or the pages"
    );
    // The change feed's entry (what webhooks carry) names the same keys.
    let feed = app.get("/api/v1/changes?since=0&limit=100").await.json();
    let entry = feed["data"]
        .as_array()
        .expect("data")
        .iter()
        .rev()
        .find(|e| e["slug"] == "c")
        .expect("c's entry")
        .clone();
    let listed: BTreeSet<String> = entry["purge_keys"]
        .as_array()
        .expect("purge_keys")
        .iter()
        .map(|k| k.as_str().expect("key").to_owned())
        .collect();
    assert_eq!(listed, purge);

    // Publishing between `d` and `e`: `d` and `e` now show it as a neighbour.
    let at = chrono::Utc::now() - chrono::Duration::hours(36);
    let between = app
        .put_article(
            &w,
            "between",
            &json!({"title": "Between", "body_markdown": "x", "status": "published", "published_at": at}),
        )
        .await;
    assert_eq!(between.status, 201);
    let purged = cdn.purged(&keys(between.header("purge-keys")));
    for path in [
        "/api/v1/articles/d",
        "/api/v1/articles/e",
        "/api/v1/articles",
    ] {
        assert!(purged.contains(path), "{path} in {purged:?}");
    }
    for path in [
        "/api/v1/articles/a",
        "/api/v1/articles/b",
        "/api/v1/articles/c",
    ] {
        assert!(!purged.contains(path), "{path} kept");
    }

    // Renaming a tag purges what shows its name, under either slug.
    let rename = app
        .patch_in(
            "tags",
            &w,
            "rust",
            &json!({"slug": "rust-lang", "name": "Rust"}),
        )
        .await;
    assert_eq!(rename.status, 200, "{}", rename.text());
    let purge = keys(rename.header("purge-keys"));
    assert!(
        purge.contains("tag:rust") && purge.contains("tag:rust-lang"),
        "{purge:?}"
    );
    let purged = cdn.purged(&purge);
    for path in [
        "/api/v1/articles/a",
        "/api/v1/articles/b",
        "/api/v1/tags/rust",
    ] {
        assert!(purged.contains(path), "{path} in {purged:?}");
    }
    assert!(!purged.contains("/api/v1/articles/e"));

    // The settings purge what they shape; a page its own.
    let site = app
        .send_json(
            bearer(app.request(Method::PATCH, "/api/v1/site"), &w),
            &json!({"title": "Notes"}),
        )
        .await;
    assert_eq!(site.status, 200);
    assert_eq!(
        cdn.purged(&keys(site.header("purge-keys"))),
        BTreeSet::from(["/api/v1/site", "/api/v1/changes"].map(str::to_owned))
    );
    let page = app
        .patch_in("pages", &w, "about", &json!({"title": "About us"}))
        .await;
    assert_eq!(
        cdn.purged(&keys(page.header("purge-keys"))),
        BTreeSet::from(
            ["/api/v1/pages/about", "/api/v1/pages", "/api/v1/changes"].map(str::to_owned)
        )
    );

    // What no reader without a token could see purges nothing; neither does an identical write.
    let draft = app
        .put_article(
            &w,
            "draft",
            &json!({"title": "Draft", "body_markdown": "x"}),
        )
        .await;
    assert_eq!(draft.status, 201);
    assert_eq!(draft.header("purge-keys"), None);
    let again = app
        .put_article(
            &w,
            "between",
            &json!({"title": "Between", "body_markdown": "x", "status": "published", "published_at": at}),
        )
        .await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(
        again.header("purge-keys"),
        None,
        "an identical write changes nothing"
    );
}

#[actix_web::test]
async fn an_article_alone_names_its_place_so_a_new_neighbour_purges_it() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let only = app.publish(&w, "only", "Only", &[], 2).await;
    let page = keys(
        app.get("/api/v1/articles/only")
            .await
            .header("surrogate-key"),
    );
    let place = format!("neighbours:{}", only["id"].as_str().expect("id"));
    assert!(page.contains(&place), "{page:?}");
    // Its first neighbour arrives: the page (showing `newer: null`) is purged.
    let at = chrono::Utc::now() - chrono::Duration::days(1);
    let res = app
        .put_article(
            &w,
            "next",
            &json!({"title": "Next", "body_markdown": "x", "status": "published", "published_at": at}),
        )
        .await;
    assert_eq!(res.status, 201);
    let purge = keys(res.header("purge-keys"));
    assert!(purge.contains(&place), "{place} in {purge:?}");
}
