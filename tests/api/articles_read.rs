//! The public read API of articles: listings, pagination, filters, search, fields, detail, related, featured.

use actix_web::http::Method;
use serde_json::json;

use crate::helpers::{bearer, slugs, TestApp};

/// Five public articles a..e (a newest), one draft and one scheduled article.
async fn blog() -> (TestApp, String) {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    app.publish(&w, "a-rust-post", "Rust ownership", &["Rust"], 1)
        .await;
    app.publish(&w, "b-db-post", "Postgres indexes", &["Databases"], 2)
        .await;
    app.publish(&w, "c-both", "Rust and Postgres", &["Rust", "Databases"], 3)
        .await;
    app.publish(&w, "d-http", "HTTP caching", &["HTTP"], 4)
        .await;
    app.publish(&w, "e-old", "Old news", &["HTTP", "Rust"], 5)
        .await;
    let draft = app
        .put_article(
            &w,
            "secret-draft",
            &json!({"title": "Draft about Rust", "body_markdown": "Rust draft.", "tags": ["Rust"]}),
        )
        .await;
    assert_eq!(draft.status, 201);
    let future = chrono::Utc::now() + chrono::Duration::days(3);
    let scheduled = app
        .put_article(
            &w,
            "secret-scheduled",
            &json!({"title": "Scheduled Rust", "body_markdown": "Later.", "status": "published",
                    "published_at": future, "tags": ["Rust"], "featured": true}),
        )
        .await;
    assert_eq!(scheduled.status, 201);
    assert_eq!(scheduled.json()["status"], "scheduled");
    (app, w)
}

#[actix_web::test]
async fn listing_defaults_envelope_and_cards() {
    let (app, _) = blog().await;
    let res = app.get("/api/v1/articles").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/json"));
    let doc = res.json();
    assert_eq!(
        slugs(&doc),
        ["a-rust-post", "b-db-post", "c-both", "d-http", "e-old"]
    );
    let p = &doc["meta"]["pagination"];
    assert_eq!(p["page"], 1);
    assert_eq!(p["per_page"], 10);
    assert_eq!(p["total"], 5);
    assert_eq!(p["total_pages"], 1);
    assert_eq!(p["prev_page"], json!(null));
    assert_eq!(p["next_page"], json!(null));
    assert_eq!(doc["links"]["self"], "/api/v1/articles?page=1&per_page=10");
    let card = &doc["data"][2];
    for field in [
        "id",
        "slug",
        "title",
        "summary",
        "word_count",
        "reading_time_minutes",
        "status",
        "featured",
        "published_at",
        "created_at",
        "updated_at",
        "version",
        "tags",
        "primary_tag",
        "authors",
        "primary_author",
        "cover_image",
        "seo",
    ] {
        assert!(card.get(field).is_some(), "card lacks {field}: {card}");
    }
    for absent in ["body_markdown", "body_html", "toc", "newer", "older"] {
        assert!(card.get(absent).is_none(), "card has {absent}");
    }
    assert_eq!(card["primary_tag"], json!({"slug": "rust", "name": "Rust"}));
    assert_eq!(
        card["tags"],
        json!([{"slug": "rust", "name": "Rust"}, {"slug": "databases", "name": "Databases"}])
    );
    assert_eq!(card["status"], "published");
    assert_eq!(card["reading_time_minutes"], 1);
    assert!(card["published_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
}

#[actix_web::test]
async fn pages_links_and_a_page_past_the_end() {
    let (app, _) = blog().await;
    let res = app
        .get("/api/v1/articles?tag=rust,http&per_page=2&page=2")
        .await;
    let doc = res.json();
    assert_eq!(slugs(&doc), ["d-http", "e-old"]);
    let p = &doc["meta"]["pagination"];
    assert_eq!(
        (
            p["page"].clone(),
            p["total"].clone(),
            p["total_pages"].clone()
        ),
        (json!(2), json!(4), json!(2))
    );
    assert_eq!(
        (p["prev_page"].clone(), p["next_page"].clone()),
        (json!(1), json!(null))
    );
    assert_eq!(
        doc["links"]["prev"],
        "/api/v1/articles?tag=rust%2Chttp&page=1&per_page=2"
    );
    assert_eq!(doc["links"]["next"], json!(null));
    assert_eq!(
        doc["links"]["last"],
        "/api/v1/articles?tag=rust%2Chttp&page=2&per_page=2"
    );
    let link = res.header("link").expect("Link header");
    assert!(
        link.contains(r#"</api/v1/articles?tag=rust%2Chttp&page=1&per_page=2>; rel="prev""#),
        "{link}"
    );
    assert!(
        link.contains(r#"rel="first""#)
            && link.contains(r#"rel="last""#)
            && !link.contains(r#"rel="next""#)
    );

    let past = app.get("/api/v1/articles?page=9").await;
    assert_eq!(past.status, 200);
    let doc = past.json();
    assert_eq!(slugs(&doc), Vec::<String>::new());
    assert_eq!(doc["meta"]["pagination"]["total"], 5);
}

#[actix_web::test]
async fn bad_query_parameters_are_400_naming_the_parameter() {
    let (app, _) = blog().await;
    for (query, names) in [
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("per_page=ten", "per_page"),
        ("page=0", "page"),
        ("page=99999999999", "page"),
        ("colour=red", "colour"),
        ("featured=yes", "featured"),
        ("sort=random", "sort"),
        ("fields=slug,password", "fields"),
        ("published_after=yesterday", "published_after"),
        ("tag=Not%20A%20Slug", "tag"),
        ("cursor=forged&page=1", "cursor"),
        ("cursor=Zm9vYmFy", "cursor"),
        ("q=%00", "q"),
        ("page=1&page=2", "page"),
    ] {
        let res = app.get(&format!("/api/v1/articles?{query}")).await;
        let doc = res.problem(400, "/problems/bad-request");
        assert!(
            doc["detail"].as_str().unwrap_or_default().contains(names),
            "{query}: {doc}"
        );
    }
}

#[actix_web::test]
async fn filters_tag_any_tag_all_author_featured_and_dates() {
    let (app, w) = blog().await;
    let get = |q: &'static str| {
        let app = &app;
        async move { slugs(&app.get(&format!("/api/v1/articles?{q}")).await.json()) }
    };
    assert_eq!(get("tag=databases").await, ["b-db-post", "c-both"]);
    assert_eq!(
        get("tag=databases,http").await,
        ["b-db-post", "c-both", "d-http", "e-old"]
    );
    assert_eq!(get("tag_all=rust,databases").await, ["c-both"]);
    assert_eq!(get("tag=nothing-here").await, Vec::<String>::new());

    app.author(&w, "ada", "Ada").await;
    let res = app
        .put_article(&w, "by-ada", &json!({"title": "By Ada", "body_markdown": "x", "status": "published",
            "published_at": chrono::Utc::now() - chrono::Duration::days(10), "authors": ["ada"], "featured": true}))
        .await;
    assert_eq!(res.status, 201);
    assert_eq!(get("author=ada").await, ["by-ada"]);
    assert_eq!(get("featured=true").await, ["by-ada"]);
    assert_eq!(get("featured=false").await.len(), 5);

    let after = (chrono::Utc::now() - chrono::Duration::hours(60))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let before = (chrono::Utc::now() - chrono::Duration::hours(36))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let q = format!("/api/v1/articles?published_after={after}&published_before={before}");
    assert_eq!(slugs(&app.get(&q).await.json()), ["b-db-post"]);
}

#[actix_web::test]
async fn sorts() {
    let (app, _) = blog().await;
    assert_eq!(
        slugs(&app.get("/api/v1/articles?sort=published_at").await.json()),
        ["e-old", "d-http", "c-both", "b-db-post", "a-rust-post"]
    );
    assert_eq!(
        slugs(&app.get("/api/v1/articles?sort=title").await.json()),
        ["d-http", "e-old", "b-db-post", "c-both", "a-rust-post"]
    );
    assert_eq!(
        slugs(&app.get("/api/v1/articles?sort=-updated_at").await.json())[0],
        "e-old"
    );
}

#[actix_web::test]
async fn sparse_fields_return_only_what_is_named() {
    let (app, _) = blog().await;
    let doc = app
        .get("/api/v1/articles?fields=slug,title,body_html&per_page=1")
        .await
        .json();
    let card = doc["data"][0].as_object().expect("object");
    let mut keys: Vec<&str> = card.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["body_html", "slug", "title"]);
    assert!(card["body_html"]
        .as_str()
        .is_some_and(|h| h.starts_with("<p>")));
    assert_eq!(
        doc["links"]["self"],
        "/api/v1/articles?fields=slug%2Ctitle%2Cbody_html&page=1&per_page=1"
    );
}

#[actix_web::test]
async fn cursor_walk_visits_each_article_once_while_articles_are_published() {
    let (app, w) = blog().await;
    let first = app.get("/api/v1/articles?cursor=&per_page=2").await.json();
    let p = &first["meta"]["pagination"];
    assert_eq!(p["page"], json!(null));
    assert_eq!(p["total_pages"], json!(null));
    assert_eq!(p["total"], 5);
    assert_eq!(p["prev_cursor"], json!(null));
    assert_eq!(first["links"]["last"], json!(null));
    let mut seen = slugs(&first);
    let mut next = p["next_cursor"].as_str().map(str::to_owned);
    let mut round = 0;
    while let Some(cursor) = next {
        // A new article goes live during the walk: it lands before the walk's position and is not visited.
        app.publish(&w, &format!("new-{round}"), "Fresh", &["Rust"], 0)
            .await;
        round += 1;
        let page = app
            .get(&format!("/api/v1/articles?cursor={cursor}&per_page=2"))
            .await;
        assert_eq!(page.status, 200, "{}", page.text());
        let doc = page.json();
        assert!(doc["meta"]["pagination"]["prev_cursor"].is_string());
        seen.extend(slugs(&doc));
        next = doc["meta"]["pagination"]["next_cursor"]
            .as_str()
            .map(str::to_owned);
    }
    assert_eq!(
        seen,
        ["a-rust-post", "b-db-post", "c-both", "d-http", "e-old"]
    );

    // And back: the prev cursor of the second page gives the first page.
    let page2 = app
        .get(&format!(
            "/api/v1/articles?cursor={}&per_page=2&sort=published_at",
            app.get("/api/v1/articles?cursor=&per_page=2&sort=published_at")
                .await
                .json()["meta"]["pagination"]["next_cursor"]
                .as_str()
                .unwrap_or_default()
        ))
        .await
        .json();
    assert_eq!(slugs(&page2), ["c-both", "b-db-post"]);
    let back = page2["links"]["prev"]
        .as_str()
        .expect("prev link")
        .to_owned();
    assert_eq!(
        slugs(&app.get(&back).await.json()),
        ["e-old", "d-http"].map(str::to_owned)
    );
}

#[actix_web::test]
async fn cursors_are_tamper_evident_and_bound_to_their_sort() {
    let (app, _) = blog().await;
    let doc = app.get("/api/v1/articles?cursor=&per_page=1").await.json();
    let cursor = doc["meta"]["pagination"]["next_cursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    let mut forged = cursor.clone().into_bytes();
    forged[5] = if forged[5] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap_or_default();
    app.get(&format!("/api/v1/articles?cursor={forged}"))
        .await
        .problem(400, "/problems/bad-request");
    app.get(&format!("/api/v1/articles?cursor={cursor}&sort=title"))
        .await
        .problem(400, "/problems/bad-request");
    assert_eq!(
        app.get(&format!("/api/v1/articles?cursor={cursor}"))
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn search_ranks_a_title_hit_above_a_body_hit() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    for (slug, title, body, days) in [
        (
            "body-hit",
            "Something else",
            "This post mentions kafka once in its body.",
            1,
        ),
        ("title-hit", "Kafka in practice", "A post about streams.", 5),
        ("no-hit", "Unrelated", "Nothing to see.", 2),
    ] {
        let res = app
            .put_article(
                &w,
                slug,
                &json!({"title": title, "body_markdown": body, "status": "published",
            "published_at": chrono::Utc::now() - chrono::Duration::days(days)}),
            )
            .await;
        assert_eq!(res.status, 201);
    }
    let doc = app.get("/api/v1/articles?q=kafka").await.json();
    assert_eq!(slugs(&doc), ["title-hit", "body-hit"]);
    assert_eq!(doc["meta"]["pagination"]["total"], 2);
    // With an explicit sort, relevance yields to it.
    assert_eq!(
        slugs(
            &app.get("/api/v1/articles?q=kafka&sort=-published_at")
                .await
                .json()
        ),
        ["body-hit", "title-hit"]
    );
    // Web-search syntax: a phrase, and exclusion.
    assert_eq!(
        slugs(
            &app.get("/api/v1/articles?q=%22kafka%20in%20practice%22")
                .await
                .json()
        ),
        ["title-hit"]
    );
    assert_eq!(
        slugs(&app.get("/api/v1/articles?q=kafka%20-streams").await.json()),
        ["body-hit"]
    );
    // Relevance works in cursor mode too.
    let c = app
        .get("/api/v1/articles?q=kafka&cursor=&per_page=1")
        .await
        .json();
    assert_eq!(slugs(&c), ["title-hit"]);
    let next = c["meta"]["pagination"]["next_cursor"]
        .as_str()
        .expect("next")
        .to_owned();
    assert_eq!(
        slugs(
            &app.get(&format!(
                "/api/v1/articles?q=kafka&cursor={next}&per_page=1"
            ))
            .await
            .json()
        ),
        ["body-hit"]
    );
}

#[actix_web::test]
async fn detail_is_whole_with_neighbours_at_both_ends() {
    let (app, _) = blog().await;
    let res = app.get("/api/v1/articles/c-both").await;
    assert_eq!(res.status, 200);
    assert!(res.header("etag").is_some_and(|e| e.starts_with('"')));
    assert!(res
        .header("last-modified")
        .is_some_and(|e| e.ends_with("GMT")));
    let doc = res.json();
    assert!(doc["body_html"].as_str().is_some_and(|h| h.contains("<p>")));
    assert!(doc["body_markdown"].is_string() && doc["toc"].is_array());
    assert_eq!(doc["newer"]["slug"], "b-db-post");
    assert_eq!(doc["older"]["slug"], "d-http");
    let newest = app.get("/api/v1/articles/a-rust-post").await.json();
    assert_eq!(
        newest["newer"],
        json!(null),
        "scheduled articles are not anyone's neighbour"
    );
    assert_eq!(newest["older"]["slug"], "b-db-post");
    let oldest = app.get("/api/v1/articles/e-old").await.json();
    assert_eq!(oldest["older"], json!(null));
    assert_eq!(oldest["newer"]["slug"], "d-http");

    let etag = res.header("etag").unwrap_or_default().to_owned();
    let cached = app
        .send(
            app.request(Method::GET, "/api/v1/articles/c-both")
                .insert_header(("If-None-Match", etag)),
        )
        .await;
    assert_eq!(cached.status, 304);
    assert!(cached.body.is_empty());

    app.get("/api/v1/articles/no-such-post")
        .await
        .problem(404, "/problems/not-found");
    app.get("/api/v1/articles/NOT_A_SLUG")
        .await
        .problem(404, "/problems/not-found");
}

#[actix_web::test]
async fn related_shares_most_tags_ties_by_newest_never_itself() {
    let (app, _) = blog().await;
    // c-both has Rust and Databases: a (Rust), b (Databases), e (HTTP, Rust) share one each; newest first.
    let doc = app.get("/api/v1/articles/c-both/related").await.json();
    assert_eq!(slugs(&doc), ["a-rust-post", "b-db-post", "e-old"]);
    let doc = app
        .get("/api/v1/articles/e-old/related?limit=1")
        .await
        .json();
    assert_eq!(slugs(&doc), ["a-rust-post"]);
    app.get("/api/v1/articles/c-both/related?limit=21")
        .await
        .problem(400, "/problems/bad-request");
    app.get("/api/v1/articles/c-both/related?size=2")
        .await
        .problem(400, "/problems/bad-request");
    app.get("/api/v1/articles/secret-draft/related")
        .await
        .problem(404, "/problems/not-found");
}

#[actix_web::test]
async fn featured_defaults_to_three_per_page() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    for i in 0..5 {
        let res = app
            .put_article(
                &w,
                &format!("f{i}"),
                &json!({"title": format!("F{i}"), "body_markdown": "x",
            "status": "published", "featured": i != 2,
            "published_at": chrono::Utc::now() - chrono::Duration::days(i)}),
            )
            .await;
        assert_eq!(res.status, 201);
    }
    let doc = app.get("/api/v1/featured").await.json();
    assert_eq!(slugs(&doc), ["f0", "f1", "f3"]);
    assert_eq!(doc["meta"]["pagination"]["per_page"], 3);
    assert_eq!(doc["meta"]["pagination"]["total"], 4);
    assert_eq!(doc["links"]["next"], "/api/v1/featured?page=2&per_page=3");
    app.get("/api/v1/featured?featured=false")
        .await
        .problem(400, "/problems/bad-request");
}

#[actix_web::test]
async fn drafts_and_scheduled_articles_are_invisible_on_every_public_path() {
    let (app, w) = blog().await;
    for path in [
        "/api/v1/articles?per_page=100",
        "/api/v1/articles?q=rust",
        "/api/v1/articles?tag=rust",
        "/api/v1/featured",
        "/api/v1/articles/c-both/related?limit=20",
    ] {
        let text = app.get(path).await.text();
        assert!(!text.contains("secret-"), "{path} leaks: {text}");
    }
    for slug in ["secret-draft", "secret-scheduled"] {
        app.get(&format!("/api/v1/articles/{slug}"))
            .await
            .problem(404, "/problems/not-found");
    }
    let neighbours = app.get("/api/v1/articles/a-rust-post").await.text();
    assert!(!neighbours.contains("secret-"));
    let rust = app.get("/api/v1/tags/rust").await.json();
    assert_eq!(rust["article_count"], 3, "counts only public articles");
    assert_eq!(
        app.get("/api/v1/articles?tag=rust").await.json()["meta"]["pagination"]["total"],
        3
    );

    // With a token, status opens them up; without one, asking is 401.
    let r = app.token(&["content:read"]);
    let get = |path: &str| bearer(app.request(Method::GET, path), &r);
    let drafts = app.send(get("/api/v1/articles?status=draft")).await;
    assert_eq!(slugs(&drafts.json()), ["secret-draft"]);
    assert_eq!(drafts.header("cache-control"), Some("private, no-store"));
    assert_eq!(
        slugs(
            &app.send(get("/api/v1/articles?status=scheduled"))
                .await
                .json()
        ),
        ["secret-scheduled"]
    );
    assert_eq!(
        app.send(get("/api/v1/articles?status=any")).await.json()["meta"]["pagination"]["total"],
        7
    );
    assert_eq!(
        app.send(get("/api/v1/articles/secret-draft")).await.json()["status"],
        "draft"
    );
    let anon = app.get("/api/v1/articles?status=draft").await;
    anon.problem(401, "/problems/unauthorized");
    assert_eq!(anon.header("www-authenticate"), Some("Bearer"));
    assert_eq!(
        app.get("/api/v1/articles?status=published").await.status,
        200
    );
    let _ = w;
}

#[actix_web::test]
async fn scheduled_article_becomes_public_by_itself() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let res = app.put_article(&w, "soon", &json!({"title": "Soon", "body_markdown": "x", "status": "published", "published_at": soon})).await;
    assert_eq!(res.json()["status"], "scheduled");
    app.get("/api/v1/articles/soon")
        .await
        .problem(404, "/problems/not-found");
    actix_web::rt::time::sleep(std::time::Duration::from_millis(2000)).await;
    let live = app.get("/api/v1/articles/soon").await;
    assert_eq!(live.status, 200);
    assert_eq!(live.json()["status"], "published");
    assert_eq!(slugs(&app.get("/api/v1/articles").await.json()), ["soon"]);
}

#[actix_web::test]
async fn the_detail_takes_fields_and_refuses_unknown_parameters() {
    let (app, _) = blog().await;
    let slug = slugs(&app.get("/api/v1/articles").await.json())[0].clone();
    let sparse = app
        .get(&format!("/api/v1/articles/{slug}?fields=slug,title,older"))
        .await;
    assert_eq!(sparse.status, 200, "{}", sparse.text());
    let doc = sparse.json();
    let mut keys: Vec<&str> = doc
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    keys.sort();
    assert_eq!(keys, ["older", "slug", "title"]);
    let whole = app.get(&format!("/api/v1/articles/{slug}")).await;
    assert_ne!(
        sparse.header("etag"),
        whole.header("etag"),
        "a sparse representation has its own ETag"
    );
    for bad in ["bogus=1", "fields=nope"] {
        app.get(&format!("/api/v1/articles/{slug}?{bad}"))
            .await
            .problem(400, "/problems/bad-request");
    }
    app.get("/api/v1/tags/rust?bogus=1")
        .await
        .problem(400, "/problems/bad-request");
}

#[actix_web::test]
async fn a_filter_slug_longer_than_any_slug_matches_nothing() {
    let (app, _) = blog().await;
    let long = "a".repeat(200);
    for param in ["tag", "tag_all", "author"] {
        let doc = app.listing("articles", &format!("{param}={long}")).await;
        assert!(slugs(&doc).is_empty(), "{param}");
    }
    app.get("/api/v1/articles?tag=rust,,web")
        .await
        .problem(400, "/problems/bad-request");
    app.get("/api/v1/articles?tag=Rust")
        .await
        .problem(400, "/problems/bad-request");
}

#[actix_web::test]
async fn tag_all_with_many_tags_needs_every_one_of_them() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let ten: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
    let ten: Vec<&str> = ten.iter().map(String::as_str).collect();
    app.publish(&w, "all-ten", "All", &ten, 2).await;
    app.publish(&w, "nine", "Nine", &ten[..9], 1).await;
    app.publish(&w, "first-and-last", "Two", &[ten[0], ten[9]], 1)
        .await;

    let every = ten.join(",");
    for (query, expected) in [
        (format!("tag_all={every}"), vec!["all-ten"]),
        (format!("tag_all={every},t0,t5"), vec!["all-ten"]),
        (
            format!("tag_all={}", ten[..9].join(",")),
            vec!["nine", "all-ten"],
        ),
        (format!("tag_all={every},nowhere"), vec![]),
        (format!("tag_all={every}&sort=title"), vec!["all-ten"]),
        (
            "tag_all=t9,t0".to_owned(),
            vec!["first-and-last", "all-ten"],
        ),
    ] {
        let doc = app.listing("articles", &query).await;
        assert_eq!(slugs(&doc), expected, "{query}");
        assert_eq!(
            doc["meta"]["pagination"]["total"],
            expected.len(),
            "{query}"
        );
    }
}
