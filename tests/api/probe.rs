//! Regressions of the security and reliability probe's defects (D1-D15), each reproduced as the probe did.

use std::time::{Duration, Instant};

use actix_web::http::Method;
use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{bearer, fuzz_texts, slugs, TestApp};

/// The `field` and `code` of a validation problem's first error.
fn first_error(doc: &serde_json::Value) -> (String, String) {
    let e = &doc["errors"][0];
    (
        e["field"].as_str().unwrap_or_default().to_owned(),
        e["code"].as_str().unwrap_or_default().to_owned(),
    )
}

#[actix_web::test]
async fn d1_repeated_headings_render_in_linear_time_and_nesting_is_capped() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let headings = app
        .put_article(
            &w,
            "headings",
            &json!({"title": "h", "body_markdown": "# h\n".repeat(16_000)}),
        )
        .await;
    assert_eq!(headings.status, 201, "{}", headings.text());
    let toc = headings.json()["toc"].as_array().map(Vec::len);
    assert_eq!(toc, Some(16_000));
    assert!(headings.text().contains("\"h-16000\""), "ids keep counting");

    for (body, limit) in [
        ("> ".repeat(100) + "a", "64"),
        ("- ".repeat(100) + "a", "64"),
        ("1. ".repeat(100) + "a", "64"),
        ("<div>".repeat(200), "128"),
    ] {
        let doc = app
            .put_article(&w, "deep", &json!({"title": "d", "body_markdown": body}))
            .await
            .problem(422, "/problems/validation");
        assert_eq!(
            first_error(&doc),
            ("body_markdown".to_owned(), "too_complex".to_owned())
        );
        let message = doc["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(limit), "names the limit: {message}");
    }
    let fine =
        "> ".repeat(10) + "quoted\n\n" + &"- ".repeat(10) + "listed\n\n" + &"<div>".repeat(20);
    let ok = app
        .put_article(&w, "fine", &json!({"title": "f", "body_markdown": fine}))
        .await;
    assert_eq!(
        ok.status,
        201,
        "nesting under the limits renders: {}",
        ok.text()
    );
}

#[actix_web::test]
async fn d1_the_api_answers_while_a_large_body_renders() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let body = json!({"title": "big", "body_markdown": "# h\n\nSome words, a [link](/x) and `code`.\n\n".repeat(12_000)});
    let put = {
        let req = bearer(app.request(Method::PUT, "/api/v1/articles/big"), &w);
        let fut = req.send_json(&body);
        actix_web::rt::spawn(async move { fut.await.map(|r| r.status()) })
    };
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let mut slowest = Duration::ZERO;
    let mut while_rendering = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let res = app.get("/healthz").await;
        slowest = slowest.max(started.elapsed());
        assert_eq!(res.status, 200);
        if !put.is_finished() {
            while_rendering += 1;
        }
    }
    let status = put.await.expect("join").expect("sent");
    assert_eq!(status, 201);
    assert!(
        while_rendering > 0,
        "the body rendered before /healthz was asked; make it larger"
    );
    // The HTTP workers never render: the one worker of this test app answered at once.
    assert!(
        slowest < Duration::from_millis(100),
        "/healthz took {slowest:?} while a body rendered"
    );
}

#[actix_web::test]
async fn d2_any_search_text_is_a_200_or_a_400_never_a_500() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    app.publish(&w, "kafka", "Kafka in practice", &[], 1).await;
    let mut cases: Vec<String> = vec![
        "-".repeat(33),
        "- ".repeat(40),
        format!("a {}", "-".repeat(40)),
        "\"".repeat(50),
        "-\"- - -\" or or or - -".to_owned(),
    ];
    // A small fuzz over the web-search alphabet, deterministic.
    let alphabet = [
        '-', '"', ' ', 'o', 'r', 'a', '!', '&', '|', '(', ')', ':', '*', '\'', '\\',
    ];
    cases.extend(fuzz_texts(&alphabet, 200, 20261130));
    for q in &cases {
        let query: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
        for path in ["/api/v1/articles", "/api/v1/featured"] {
            let res = app.get(&format!("{path}?q={query}")).await;
            assert!(
                res.status == 200 || res.status == 400,
                "{path}?q={q:?}: {} {}",
                res.status,
                res.text()
            );
        }
    }
    let found = app.listing("articles", "q=---kafka%20kafka").await;
    assert!(slugs(&found).is_empty(), "kafka and not kafka: nothing");
    assert_eq!(slugs(&app.listing("articles", "q=kafka").await), ["kafka"]);
}

#[actix_web::test]
async fn d3_concurrent_puts_of_one_slug_with_new_tags_all_succeed() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    for round in 0..4 {
        let puts = (0..10).map(|i| {
            let body = json!({"title": "D", "body_markdown": format!("w{i}"),
                "tags": [format!("Dl {round} {}", i % 4), format!("Dl {round} common")]});
            let (app, w) = (&app, w.clone());
            async move { app.put_article(&w, &format!("dl-{round}"), &body).await }
        });
        for res in join_all(puts).await {
            assert!(
                matches!(res.status.as_u16(), 200 | 201),
                "round {round}: {} {}",
                res.status,
                res.text()
            );
        }
    }
}

#[actix_web::test]
async fn d4_author_links_are_http_urls_or_site_paths() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    for (field, value) in [
        ("website", "javascript:alert(document.domain)"),
        ("avatar_url", "javascript:alert(2)"),
        ("avatar_url", "data:image/svg+xml,<svg onload=alert(1)>"),
        ("website", "vbscript:x"),
        ("website", "//evil.example/x"),
    ] {
        let doc = app
            .put_in(
                "authors",
                &w,
                "mallory",
                &json!({"name": "Mallory", field: value}),
            )
            .await
            .problem(422, "/problems/validation");
        assert_eq!(doc["errors"][0]["field"], field, "{value}");
    }
    let ok = app
        .put_in(
            "authors",
            &w,
            "ok",
            &json!({"name": "Ok", "website": "https://ok.example", "avatar_url": "/a.png"}),
        )
        .await;
    assert_eq!(ok.status, 201, "{}", ok.text());
    app.put_article(&w, "c", &json!({"title": "C", "body_markdown": "x", "cover_image": {"url": "//evil.example/c.png"}}))
        .await
        .problem(422, "/problems/validation");
}

#[actix_web::test]
async fn d5_a_drafts_tags_stay_private_until_an_article_using_them_is_public() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let reader = app.token(&["content:read"]);
    let draft = app
        .put_article(
            &w,
            "embargoed",
            &json!({"title": "E", "body_markdown": "x", "tags": ["Acme Acquisition"]}),
        )
        .await;
    assert_eq!(draft.status, 201);
    assert!(slugs(&app.listing("tags", "").await).is_empty());
    assert!(slugs(&app.listing("tags", "hide_empty=false").await).is_empty());
    app.get("/api/v1/tags/acme-acquisition")
        .await
        .problem(404, "/problems/not-found");
    let listed = app
        .call(Method::GET, "/api/v1/tags", &reader, None)
        .await
        .json();
    assert_eq!(
        slugs(&listed),
        ["acme-acquisition"],
        "a content:read token sees it"
    );
    let one = app
        .call(Method::GET, "/api/v1/tags/acme-acquisition", &reader, None)
        .await;
    assert_eq!(one.status, 200);
    app.get("/api/v1/tags").await;
    let bad = app
        .call(Method::GET, "/api/v1/tags", "folio_not-a-token", None)
        .await;
    bad.problem(401, "/problems/unauthorized");

    app.patch_article(&w, "embargoed", &json!({"status": "published"}))
        .await;
    assert_eq!(slugs(&app.listing("tags", "").await), ["acme-acquisition"]);
    assert_eq!(app.get("/api/v1/tags/acme-acquisition").await.status, 200);
}

#[actix_web::test]
async fn d6_deleting_a_tag_or_author_while_articles_use_it_is_never_a_500() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    for round in 0..6 {
        app.put_in(
            "tags",
            &w,
            &format!("doomed-{round}"),
            &json!({"name": format!("Doomed {round}")}),
        )
        .await;
        app.author(&w, &format!("doomed-{round}"), "Doomed").await;
        let mut jobs: Vec<_> = (0..6)
            .map(|i| {
                let body = json!({"title": "D", "body_markdown": "x", "tags": [format!("Doomed {round}")],
                    "authors": [format!("doomed-{round}")]});
                let (app, w) = (&app, w.clone());
                futures_util::future::Either::Left(async move {
                    app.put_article(&w, &format!("doomed-{round}-{i}"), &body).await
                })
            })
            .collect();
        for collection in ["tags", "authors"] {
            let (app, w) = (&app, w.clone());
            let slug = format!("doomed-{round}");
            jobs.insert(
                3,
                futures_util::future::Either::Right(async move {
                    app.delete_in(collection, &w, &slug).await
                }),
            );
        }
        for res in join_all(jobs).await {
            assert!(
                matches!(res.status.as_u16(), 200 | 201 | 204 | 404 | 409 | 422),
                "round {round}: {} {}",
                res.status,
                res.text()
            );
        }
    }
}

#[actix_web::test]
async fn d7_a_body_of_many_distinct_words_is_stored_and_searchable() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let mut seed: u64 = 1;
    let words: Vec<String> = (0..100_000)
        .map(|_| {
            (0..8)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    char::from(b'a' + ((seed >> 33) % 26) as u8)
                })
                .collect()
        })
        .collect();
    let first = words[0].clone();
    let res = app
        .put_article(
            &w,
            "tsv",
            &json!({"title": "tsv", "body_markdown": words.join(" "), "status": "published"}),
        )
        .await;
    assert_eq!(
        res.status,
        201,
        "{}",
        &res.text()[..res.text().len().min(300)]
    );
    assert_eq!(
        slugs(&app.listing("articles", &format!("q={first}")).await),
        ["tsv"]
    );
}

#[actix_web::test]
async fn d8_head_is_answered_wherever_get_is() {
    let app = TestApp::spawn().await;
    for path in [
        "/healthz",
        "/api/v1/articles",
        "/api/v1/tags",
        "/openapi.json",
    ] {
        let get = app.get(path).await;
        let head = app.send(app.request(Method::HEAD, path)).await;
        assert_eq!(head.status, 200, "HEAD {path}");
        assert!(head.body.is_empty(), "HEAD {path} has no body");
        assert_eq!(
            head.header("etag"),
            get.header("etag"),
            "HEAD {path} has GET's validators"
        );
    }
    let not_allowed = app.send(app.request(Method::PUT, "/healthz")).await;
    assert_eq!(not_allowed.status, 405);
    assert_eq!(not_allowed.header("allow"), Some("GET, HEAD, OPTIONS"));
}

#[actix_web::test]
async fn d9_raw_html_cannot_choose_ids_or_classes_nor_add_form_fields() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let body = "## Real heading\n\n<div id=\"__NEXT_DATA__\" class=\"fixed inset-0\">clobber</div><h2 id=\"location\">h</h2>\n\n\
        <input type=\"password\" placeholder=\"password\">\n\n- [x] done\n\nNote[^n].\n\n[^n]: The note.\n\n```rust\nfn x() {}\n```\n";
    let doc = app
        .put_article(&w, "html", &json!({"title": "h", "body_markdown": body}))
        .await
        .json();
    let html = doc["body_html"].as_str().unwrap_or_default();
    for gone in [
        "__NEXT_DATA__",
        "fixed inset-0",
        "id=\"location\"",
        "password",
        "placeholder",
    ] {
        assert!(!html.contains(gone), "{gone} in {html}");
    }
    for kept in [
        "<h2 id=\"real-heading\">",
        "type=\"checkbox\"",
        "class=\"footnote-definition\"",
        "id=\"fn-n\"",
        "href=\"#fn-n\"",
        "class=\"language-rust\"",
    ] {
        assert!(html.contains(kept), "{kept} not in {html}");
    }
    assert_eq!(doc["toc"][0]["id"], "real-heading");
}

#[actix_web::test]
async fn d10_an_identical_put_with_nanoseconds_or_a_leap_second_changes_nothing() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    for (slug, at) in [
        ("nanos", "2026-01-01T00:00:00.123456789Z"),
        ("leap", "2016-12-31T23:59:60Z"),
    ] {
        let body = json!({"title": "Idem", "body_markdown": "x", "status": "published", "published_at": at});
        let first = app.put_article(&w, slug, &body).await.json();
        for _ in 0..2 {
            let again = app.put_article(&w, slug, &body).await.json();
            assert_eq!(again["version"], first["version"], "{slug}");
            assert_eq!(again["updated_at"], first["updated_at"], "{slug}");
        }
    }
}

#[actix_web::test]
async fn d11_if_modified_since_never_hides_a_changed_neighbour() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    app.publish(&w, "ims-a", "IMS A", &[], 5).await;
    let first = app.get_article("ims-a").await;
    let last_modified = first
        .header("last-modified")
        .expect("last-modified")
        .to_owned();
    assert_eq!(first.json()["newer"], json!(null));
    app.publish(&w, "ims-b", "IMS B", &[], 4).await;
    let req = app
        .request(Method::GET, "/api/v1/articles/ims-a")
        .insert_header(("If-Modified-Since", last_modified));
    let res = app.send(req).await;
    assert_eq!(res.status, 200, "a changed neighbour is a changed article");
    assert_eq!(res.json()["newer"]["slug"], "ims-b");
}

#[actix_web::test]
async fn d12_redirects_from_former_slugs_say_how_to_cache_them() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let reader = app.token(&["content:read"]);
    app.publish(&w, "old-name", "Old", &[], 1).await;
    app.patch_article(&w, "old-name", &json!({"slug": "new-name"}))
        .await;
    let public = app.get("/api/v1/articles/old-name").await;
    assert_eq!(public.status, 301);
    assert!(
        public
            .header("cache-control")
            .is_some_and(|c| c.starts_with("public, max-age=")),
        "{:?}",
        public.headers
    );
    assert_eq!(
        public.header("vary").map(|v| v.contains("Authorization")),
        Some(true)
    );
    let private = app
        .call(Method::GET, "/api/v1/articles/old-name", &reader, None)
        .await;
    assert_eq!(private.status, 301);
    assert_eq!(private.header("cache-control"), Some("private, no-store"));
}

#[actix_web::test]
async fn d13_a_write_by_a_doubled_slash_path_empties_the_cache_before_answering() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    app.publish(&w, "x", "Before", &[], 1).await;
    for i in 0..10 {
        // Warm the cache (the listener may still be connecting on the first rounds).
        app.get_article("x").await;
        let res = app
            .call(
                Method::PATCH,
                "//api/v1/articles/x",
                &w,
                Some(&json!({"title": format!("T {i}")})),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(
            app.get_article("x").await.json()["title"],
            format!("T {i}"),
            "round {i}"
        );
    }
}

#[actix_web::test]
async fn d15_seo_and_cover_image_must_be_objects() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    for (field, value) in [
        ("seo", json!(["Meta T", "Meta D", "https://canon.example"])),
        ("cover_image", json!(["https://img.example/x.png", "alt"])),
    ] {
        let doc = app
            .put_article(
                &w,
                "arr",
                &json!({"title": "A", "body_markdown": "x", field: value}),
            )
            .await
            .problem(422, "/problems/validation");
        assert_eq!(first_error(&doc), (field.to_owned(), "type".to_owned()));
    }
    app.put_article(&w, "obj", &json!({"title": "A", "body_markdown": "x"}))
        .await;
    app.patch_article(&w, "obj", &json!({"seo": ["a", "b", null]}))
        .await
        .problem(422, "/problems/validation");
}

#[actix_web::test]
async fn bodies_refused_before_reading_close_the_connection() {
    let app = TestApp::spawn_with(|c| c.max_body_bytes = 4096).await;
    let w = app.token(&["content:write"]);
    let big = json!({"title": "B", "body_markdown": "x".repeat(10_000)});
    let too_large = app.put_article(&w, "big", &big).await;
    too_large.problem(413, "/problems/payload-too-large");
    assert_eq!(too_large.header("connection"), Some("close"));
    let anonymous = app
        .send_json(app.request(Method::PUT, "/api/v1/articles/big"), &big)
        .await;
    anonymous.problem(401, "/problems/unauthorized");
    assert_eq!(anonymous.header("connection"), Some("close"));
}
