//! Races on one slug and hostile input: each answer is a clear 4xx or a correct 2xx, never a 5xx.

use actix_web::http::Method;
use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::{bearer, Response, TestApp};

const CONTESTED: &str = "/api/v1/articles/contested";

/// Request `i` of a round: a PUT, a PATCH or a DELETE, every other one conditional on `etag`.
async fn contested_request(app: &TestApp, w: &str, etag: &str, i: usize) -> (String, Response) {
    let method = [Method::PUT, Method::PATCH, Method::DELETE][i % 3].clone();
    let mut req = bearer(app.request(method.clone(), CONTESTED), w);
    if i.is_multiple_of(2) {
        req = req.insert_header(("If-Match", etag.to_owned()));
    }
    let res = match i % 3 {
        0 => {
            let body = json!({"title": format!("Put {i}"), "body_markdown": "x"});
            app.send_json(req, &body).await
        }
        1 => {
            let body = json!({"title": format!("Patch {i}")}).to_string();
            app.send_text(req, "application/merge-patch+json", &body)
                .await
        }
        _ => app.send(req).await,
    };
    (format!("{method} {i}"), res)
}

#[actix_web::test]
async fn concurrent_put_patch_delete_of_one_slug_leave_a_requested_state() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    for round in 0..3 {
        let created = app
            .put_article(
                &w,
                "contested",
                &json!({"title": "Start", "body_markdown": "x"}),
            )
            .await;
        assert!(created.status.is_success());
        let etag = created.header("etag").unwrap_or_default().to_owned();
        let requests = (0..12).map(|i| contested_request(&app, &w, &etag, i));
        let results = join_all(requests).await;
        let mut versions = Vec::new();
        let mut titles = vec!["Start".to_owned()];
        for (what, res) in &results {
            assert!(
                [200, 201, 204, 404, 409, 412].contains(&res.status.as_u16()),
                "round {round}, {what}: {} {}",
                res.status,
                res.text()
            );
            if res.status == 200 || res.status == 201 {
                let doc = res.json();
                versions.push((
                    doc["id"].as_str().unwrap_or_default().to_owned(),
                    doc["version"].as_i64().unwrap_or_default(),
                ));
                titles.push(doc["title"].as_str().unwrap_or_default().to_owned());
            }
        }
        // A version is never handed out twice for one article (identical no-op PUTs aside, which this round has none of).
        let mut unique = versions.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique.len(),
            versions.len(),
            "round {round}: repeated versions {versions:?}"
        );
        // The final state is one a request asked for, or gone.
        let reader = app.token(&["content:read"]);
        let last = app
            .send(bearer(
                app.request(Method::GET, "/api/v1/articles/contested"),
                &reader,
            ))
            .await;
        match last.status.as_u16() {
            404 => {}
            200 => {
                let title = last.json()["title"].as_str().unwrap_or_default().to_owned();
                assert!(
                    titles.contains(&title)
                        || title.starts_with("Put ")
                        || title.starts_with("Patch "),
                    "{title}"
                );
            }
            other => panic!("final read answered {other}"),
        }
        let count = app
            .send(bearer(
                app.request(Method::GET, "/api/v1/articles?status=any"),
                &reader,
            ))
            .await
            .json();
        assert!(
            count["meta"]["pagination"]["total"].as_i64() <= Some(1),
            "no duplicate rows"
        );
    }
}

#[actix_web::test]
async fn hostile_input_gets_clear_answers() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    // Invalid UTF-8 in JSON and in Markdown.
    let res = app
        .send_bytes(
            bearer(app.request(Method::PUT, "/api/v1/articles/hostile"), &w),
            "application/json",
            b"{\"title\": \"\xff\xfe\", \"body_markdown\": \"x\"}".to_vec(),
        )
        .await;
    res.problem(400, "/problems/bad-request");
    let res = app
        .send_bytes(
            bearer(app.request(Method::PUT, "/api/v1/articles/hostile"), &w),
            "text/markdown",
            b"---\ntitle: ok\n---\n\xff\xfe body".to_vec(),
        )
        .await;
    res.problem(400, "/problems/bad-request");
    // SQL and HTML in every string field are stored and returned as text.
    let nasty = "'; DROP TABLE articles; -- <script>alert(1)</script> \" \\ %_";
    let res = app.put_article(&w, "hostile", &json!({"title": nasty, "summary": nasty, "body_markdown": nasty,
        "tags": [nasty], "seo": {"meta_title": nasty, "meta_description": nasty}, "cover_image": {"url": "https://x.example/a.png", "alt": nasty}})).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let doc = app
        .send(bearer(
            app.request(Method::GET, "/api/v1/articles/hostile"),
            &w,
        ))
        .await
        .json();
    assert_eq!(doc["title"], nasty);
    assert_eq!(doc["seo"]["meta_title"], nasty);
    assert!(!doc["body_html"]
        .as_str()
        .unwrap_or_default()
        .contains("<script"));
    assert_eq!(
        app.get("/api/v1/articles?q=%27%3B%20DROP%20TABLE%20articles%3B%20--")
            .await
            .status,
        200
    );
    // Very long slugs, enormous numbers, NUL in parameters and paths.
    let long = "a".repeat(121);
    app.put_article(&w, &long, &json!({"title": "t", "body_markdown": "x"}))
        .await
        .problem(422, "/problems/validation");
    app.get(&format!("/api/v1/articles/{long}"))
        .await
        .problem(404, "/problems/not-found");
    let huge = app
        .get(&format!("/api/v1/articles/{}", "a".repeat(30_000)))
        .await;
    assert!(
        huge.status.is_client_error(),
        "a 30,000-character path: {}",
        huge.status
    );
    for q in [
        "per_page=99999999999999999999999",
        "page=-1",
        "page=1e9",
        "tag=a%00b",
        "author=%00",
        "published_after=%00",
    ] {
        app.get(&format!("/api/v1/articles?{q}"))
            .await
            .problem(400, "/problems/bad-request");
    }
    app.get("/api/v1/tags/a%00b")
        .await
        .problem(404, "/problems/not-found");
    let res = app
        .put_article(
            &w,
            "long-tag",
            &json!({"title": "t", "body_markdown": "x", "tags": ["x".repeat(101)]}),
        )
        .await;
    res.problem(422, "/problems/validation");
}
