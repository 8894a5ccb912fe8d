//! The rest of a site: pages (written like articles, never listed with them), the site's settings, the feeds
//! (read back by an independent feed parser) and the sitemaps (checked against the protocol's XML schemas).

use std::io::Write;
use std::process::{Command, Stdio};

use actix_web::http::Method;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use crate::helpers::{bearer, eventually, until_live, TestApp};

async fn set_site(app: &TestApp, admin: &str, patch: &Value) -> Value {
    let res = app
        .call(Method::PATCH, "/api/v1/site", admin, Some(patch))
        .await;
    assert_eq!(res.status, 200, "PATCH /site: {}", res.text());
    res.json()
}

async fn put_page(
    app: &TestApp,
    secret: &str,
    slug: &str,
    body: &Value,
) -> crate::helpers::Response {
    app.put_in("pages", secret, slug, body).await
}

#[actix_web::test]
async fn pages_are_written_like_articles_and_never_listed_with_them() {
    let app = TestApp::spawn().await;
    let writer = app.token(&["content:write", "content:read"]);
    app.publish(&writer, "about-queues", "About queues", &["Systems"], 2)
        .await;

    // Markdown with front matter, like an article.
    let res = app
        .send_text(
            bearer(app.request(Method::PUT, "/api/v1/pages/about"), &writer),
            "text/markdown",
            "---\ntitle: About\nstatus: published\n---\n## Who\n\nI write about *queues*.\n",
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.header("location"), Some("/api/v1/pages/about"));
    let page = res.json();
    assert_eq!(
        page["body_html"],
        "<h2 id=\"who\">Who</h2>\n<p>I write about <em>queues</em>.</p>\n"
    );
    assert_eq!(
        page["toc"],
        json!([{"level": 2, "id": "who", "text": "Who"}])
    );
    assert_eq!(page["status"], "published");
    assert!(
        page.get("tags").is_none() && page.get("featured").is_none(),
        "{page}"
    );
    let etag = res.header("etag").expect("etag").to_owned();

    // Idempotent PUT; preconditions.
    let again = put_page(
        &app,
        &writer,
        "about",
        &json!({"title": "About", "status": "published", "published_at": page["published_at"],
                "body_markdown": "## Who\n\nI write about *queues*.\n"}),
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(
        again.json()["version"],
        1,
        "identical content writes nothing"
    );
    let res = app
        .send_json(
            bearer(app.request(Method::PUT, "/api/v1/pages/about"), &writer)
                .insert_header(("If-None-Match", "*")),
            &json!({"title": "About", "body_markdown": "x"}),
        )
        .await;
    res.problem(412, "/problems/precondition-failed");
    let res = app
        .send_json(
            bearer(app.request(Method::PATCH, "/api/v1/pages/about"), &writer)
                .insert_header(("If-Match", etag.as_str())),
            &json!({"slug": "about-me", "title": "About me"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["version"], 2);
    let res = app
        .send_json(
            bearer(
                app.request(Method::PATCH, "/api/v1/pages/about-me"),
                &writer,
            )
            .insert_header(("If-Match", etag.as_str())),
            &json!({"title": "Stale"}),
        )
        .await;
    res.problem(412, "/problems/precondition-failed");

    // The former slug redirects; the page reads with its ETag.
    let old = app.get("/api/v1/pages/about").await;
    assert_eq!(old.status, 301);
    assert_eq!(old.header("location"), Some("/api/v1/pages/about-me"));
    let read = app.get("/api/v1/pages/about-me").await;
    assert_eq!(read.status, 200);
    assert_eq!(read.json()["title"], "About me");
    assert!(read.header("last-modified").is_some());

    // Article fields are not page fields; a page and an article may share a slug.
    let res = put_page(
        &app,
        &writer,
        "uses",
        &json!({"title": "Uses", "body_markdown": "x", "tags": ["Rust"]}),
    )
    .await;
    let doc = res.problem(422, "/problems/validation");
    assert_eq!(doc["errors"][0]["field"], "tags");
    assert_eq!(doc["errors"][0]["code"], "unknown_field");
    let res = put_page(
        &app,
        &writer,
        "about-queues",
        &json!({"title": "About queues (the page)", "body_markdown": "Queue words.", "status": "published"}),
    )
    .await;
    assert_eq!(res.status, 201, "{}", res.text());

    // A draft page is visible with a token only.
    let res = put_page(
        &app,
        &writer,
        "now",
        &json!({"title": "Now", "body_markdown": "Drafting."}),
    )
    .await;
    assert_eq!(res.status, 201);
    assert_eq!(app.get("/api/v1/pages/now").await.status, 404);
    let listed = app.listing("pages", "").await;
    let slugs: Vec<&str> = listed["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|p| p["slug"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(slugs, ["about-me", "about-queues"], "public pages by title");
    assert!(
        listed["data"][0].get("body_html").is_none(),
        "listings carry no body"
    );
    let all = app
        .call(Method::GET, "/api/v1/pages", &writer, None)
        .await
        .json();
    assert_eq!(all["meta"]["pagination"]["total"], 3);

    // Never among articles: listings, the detail, search, related, neighbours.
    let articles = app.listing("articles", "").await;
    assert_eq!(articles["meta"]["pagination"]["total"], 1);
    assert_eq!(app.get_article("about-me").await.status, 404);
    let found = app.listing("articles", "q=queue").await;
    let found: Vec<&str> = found["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|a| a["slug"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(found, ["about-queues"], "search finds the article only");
    let detail = app.get_article("about-queues").await.json();
    assert_eq!(detail["newer"], Value::Null);
    assert_eq!(detail["older"], Value::Null);

    // The change log: the public sees published pages (renames with their former slug), not drafts.
    let public = app.get("/api/v1/changes?since=0").await.json();
    let pages: Vec<(String, String, Value)> = public["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter(|c| c["resource"] == "page")
        .map(|c| {
            (
                c["type"].as_str().unwrap_or("").to_owned(),
                c["slug"].as_str().unwrap_or("").to_owned(),
                c["previous_slug"].clone(),
            )
        })
        .collect();
    assert_eq!(
        pages,
        [
            ("page.published".to_owned(), "about".to_owned(), Value::Null),
            (
                "page.updated".to_owned(),
                "about-me".to_owned(),
                json!("about")
            ),
            (
                "page.published".to_owned(),
                "about-queues".to_owned(),
                Value::Null
            ),
        ],
        "{public}"
    );
    let first = public["data"]
        .as_array()
        .expect("data")
        .iter()
        .find(|c| c["resource"] == "page")
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        first["page"]["title"], "About me",
        "an entry carries the page as it is now"
    );

    // Delete.
    let res = app.delete_in("pages", &writer, "about-me").await;
    assert_eq!(res.status, 204);
    app.get("/api/v1/pages/about-me")
        .await
        .problem(404, "/problems/not-found");
    app.get("/api/v1/pages/about")
        .await
        .problem(404, "/problems/not-found");
    app.get("/api/v1/pages/Not_A_Slug")
        .await
        .problem(404, "/problems/not-found");
    app.get("/api/v1/pages?per_page=0")
        .await
        .problem(400, "/problems/bad-request");
}

#[actix_web::test]
async fn site_settings_are_public_checked_and_seen_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"]);
    let writer = app.token(&["content:write"]);
    let site = app.get("/api/v1/site").await;
    assert_eq!(site.status, 200);
    assert_eq!(site.json()["title"], "Folio");
    assert_eq!(site.json()["url"], Value::Null);
    assert_eq!(app.get("/api/v1/site").await.header("x-cache"), Some("hit"));

    let patch = json!({"title": "X"});
    let res = app
        .send_json(app.request(Method::PATCH, "/api/v1/site"), &patch)
        .await;
    res.problem(401, "/problems/unauthorized");
    let res = app
        .call(Method::PATCH, "/api/v1/site", &writer, Some(&patch))
        .await;
    res.problem(403, "/problems/forbidden");

    let bad = json!({"title": "", "url": "ftp://example.com", "locale": "not a locale",
                     "permalinks": {"article": "/posts/"}, "navigation": [{"label": "Home", "url": "javascript:alert(1)"}],
                     "feeds": {"items": 0}});
    let res = app
        .call(Method::PUT, "/api/v1/site", &admin, Some(&bad))
        .await;
    let doc = res.problem(422, "/problems/validation");
    let fields: Vec<&str> = doc["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        fields,
        [
            "feeds.items",
            "locale",
            "navigation[0].url",
            "permalinks.article",
            "title",
            "url"
        ],
        "{doc}"
    );
    let res = app
        .call(
            Method::PATCH,
            "/api/v1/site",
            &admin,
            Some(&json!({"colour": "red"})),
        )
        .await;
    res.problem(422, "/problems/validation");

    let now = set_site(
        &app,
        &admin,
        &json!({"title": "Systems Notes", "url": "https://notes.example.com/", "navigation": [{"label": "About", "url": "/about/"}],
                "permalinks": {"article": "/{year}/{slug}/"}}),
    )
    .await;
    assert_eq!(
        now["url"], "https://notes.example.com",
        "a final slash is dropped"
    );
    assert_eq!(now["permalinks"]["article"], "/{year}/{slug}/");
    assert_eq!(
        now["permalinks"]["tag"], "/tag/{slug}/",
        "the other templates keep their defaults"
    );
    // Another instance on the same database drops its cached settings too.
    let other = TestApp::start(folio::config::Config::for_database(&app.database_url), None).await;
    until_live(&other, "/api/v1/site").await;
    set_site(&app, &admin, &json!({"description": "Queues & caches"})).await;
    let took = eventually(&other, "/api/v1/site", |d| {
        d["description"] == "Queues & caches"
    })
    .await;
    eprintln!("a settings change reached the other instance's cache in {took:?}");
    // The cached settings were dropped by the write.
    let read = app.get("/api/v1/site").await;
    assert_eq!(read.json()["title"], "Systems Notes");
    assert_eq!(read.json()["navigation"][0]["label"], "About");
    // `null` returns a field to its default; PUT replaces everything.
    let now = set_site(&app, &admin, &json!({"navigation": null})).await;
    assert_eq!(now["navigation"], json!([]));
    let res = app
        .call(
            Method::PUT,
            "/api/v1/site",
            &admin,
            Some(&json!({"title": "Only a title"})),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json()["url"], Value::Null);
    assert_eq!(res.json()["title"], "Only a title");

    // Identical settings change nothing and log nothing.
    let same = app
        .call(
            Method::PUT,
            "/api/v1/site",
            &admin,
            Some(&json!({"title": "Only a title"})),
        )
        .await;
    assert_eq!(same.status, 200);

    // Each change is a public change-log entry carrying the settings.
    let changes = app.get("/api/v1/changes?since=0").await.json();
    let sites: Vec<&Value> = changes["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter(|c| c["type"] == "site.updated")
        .collect();
    assert_eq!(sites.len(), 4, "{changes}");
    assert_eq!(sites[3]["site"]["title"], "Only a title");
}

/// A tiny blog: a published article with a hostile title, tags and an author, a draft, a scheduled one and a
/// page. Answers the published article's view.
async fn small_blog(app: &TestApp, writer: &str) -> Value {
    app.author(writer, "ada", "Ada & <Co>").await;
    let at = Utc::now() - Duration::days(3);
    let res = app
        .put_article(
            writer,
            "q-and-a",
            &json!({"title": "Q&A: <script> & queues",
                    "body_markdown": "Why **queues**? Because <b>&amp;</b>.\n\n![A diagram](/img/queue.png) [notes](notes/more) [out](https://other.example/x) [up](#why)",
                    "status": "published", "published_at": at, "tags": ["Rust", "Queues & Logs"], "authors": ["ada"],
                    "cover_image": {"url": "/img/cover.png", "alt": "A cover"}}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    let article = res.json();
    app.publish(writer, "older-post", "Older post", &["Rust"], 10)
        .await;
    let res = app
        .put_article(
            writer,
            "a-draft",
            &json!({"title": "A draft", "body_markdown": "x", "tags": ["Rust"]}),
        )
        .await;
    assert_eq!(res.status, 201);
    let later = Utc::now() + Duration::days(3);
    let res = app
        .put_article(
            writer,
            "scheduled",
            &json!({"title": "Scheduled", "body_markdown": "x", "status": "published", "published_at": later, "tags": ["Rust"]}),
        )
        .await;
    assert_eq!(res.status, 201);
    let res = app
        .put_in(
            "pages",
            writer,
            "about",
            &json!({"title": "About", "body_markdown": "Me.", "status": "published"}),
        )
        .await;
    assert_eq!(res.status, 201);
    article
}

fn parse_feed(body: &[u8]) -> feed_rs::model::Feed {
    feed_rs::parser::parse(body).unwrap_or_else(|e| {
        panic!(
            "feed does not parse ({e}): {}",
            String::from_utf8_lossy(body)
        )
    })
}

fn titles(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|e| {
            e.title
                .as_ref()
                .map(|t| t.content.clone())
                .unwrap_or_default()
        })
        .collect()
}

#[actix_web::test]
async fn feeds_read_back_by_a_feed_parser() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"]);
    let writer = app.token(&["content:write"]);
    let article = small_blog(&app, &writer).await;
    app.get("/api/v1/feeds/rss")
        .await
        .problem(409, "/problems/site-url-unset");
    set_site(
        &app,
        &admin,
        &json!({"title": "Notes & <Things>", "url": "https://notes.example.com", "permalinks": {"article": "/{year}/{month}/{slug}/"}}),
    )
    .await;
    let published: DateTime<Utc> = article["published_at"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("published_at");
    let url = format!(
        "https://notes.example.com/{}/{}/q-and-a/",
        published.format("%Y"),
        published.format("%m")
    );

    for (path, content_type) in [
        ("/api/v1/feeds/rss", "application/rss+xml; charset=utf-8"),
        ("/api/v1/feeds/atom", "application/atom+xml; charset=utf-8"),
        ("/api/v1/feeds/json", "application/feed+json; charset=utf-8"),
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text());
        assert_eq!(res.header("content-type"), Some(content_type), "{path}");
        assert!(
            res.header("cache-control")
                .is_some_and(|c| c.starts_with("public")),
            "{path}"
        );
        let feed = parse_feed(&res.body);
        assert_eq!(
            feed.title.as_ref().map(|t| t.content.as_str()),
            Some("Notes & <Things>"),
            "{path}"
        );
        assert_eq!(
            titles(&feed),
            ["Q&A: <script> & queues", "Older post"],
            "{path}: newest first, public only"
        );
        let entry = &feed.entries[0];
        assert_eq!(
            entry.links.first().map(|l| l.href.as_str()),
            Some(url.as_str()),
            "{path}"
        );
        // RSS dates (RFC 2822) hold whole seconds.
        assert_eq!(
            entry.published.map(|t| t.timestamp()),
            Some(published.timestamp()),
            "{path}"
        );
        assert!(
            entry.id.ends_with(article["id"].as_str().unwrap_or("-")),
            "{path}: {}",
            entry.id
        );
        let categories: Vec<&str> = entry.categories.iter().map(|c| c.term.as_str()).collect();
        assert_eq!(categories, ["Rust", "Queues & Logs"], "{path}");
        let body = entry
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .expect("full content");
        assert!(body.contains("<strong>queues</strong>"), "{path}: {body}");
        // Relative links and images point at the site: a reader shows the body elsewhere.
        assert!(
            body.contains("src=\"https://notes.example.com/img/queue.png\""),
            "{path}: {body}"
        );
        assert!(
            body.contains(&format!("href=\"{url}notes/more\"")),
            "{path}: {body}"
        );
        assert!(
            body.contains("href=\"https://other.example/x\""),
            "{path}: {body}"
        );
        if !path.ends_with("rss") {
            // RSS names authors by `dc:creator`, which the parser does not map to authors.
            assert_eq!(
                entry.authors.first().map(|a| a.name.as_str()),
                Some("Ada & <Co>"),
                "{path}"
            );
        }
        // Conditional requests.
        let etag = res.header("etag").expect("etag").to_owned();
        let again = app
            .send(
                app.request(Method::GET, path)
                    .insert_header(("If-None-Match", etag)),
            )
            .await;
        assert_eq!(again.status, 304, "{path}");
    }
    let rss = app.get("/api/v1/feeds/rss").await.text();
    assert!(
        rss.contains("<dc:creator>Ada &amp; &lt;Co&gt;</dc:creator>"),
        "{rss}"
    );
    assert!(
        rss.contains("<atom:link href=\"http://"),
        "a self link: {rss}"
    );

    // One tag, one author.
    let tagged = parse_feed(&app.get("/api/v1/feeds/atom?tag=queues-logs").await.body);
    assert_eq!(titles(&tagged), ["Q&A: <script> & queues"]);
    assert_eq!(
        tagged.title.map(|t| t.content),
        Some("Notes & <Things> — Queues & Logs".to_owned())
    );
    let by_ada = parse_feed(&app.get("/api/v1/feeds/json?author=ada").await.body);
    assert_eq!(titles(&by_ada), ["Q&A: <script> & queues"]);
    app.get("/api/v1/feeds/rss?tag=nope")
        .await
        .problem(404, "/problems/not-found");
    app.get("/api/v1/feeds/rss?author=nope")
        .await
        .problem(404, "/problems/not-found");
    app.get("/api/v1/feeds/rss?tag=rust&author=ada")
        .await
        .problem(400, "/problems/bad-request");
    app.get("/api/v1/feeds/rss?tag=Not%20a%20slug")
        .await
        .problem(400, "/problems/bad-request");
    app.get("/api/v1/feeds/rss?limit=3")
        .await
        .problem(400, "/problems/bad-request");

    // A renamed tag is seen at once (feeds without FOLIO_PUBLIC_URL are not cached).
    let res = app
        .patch_in(
            "tags",
            &writer,
            "queues-logs",
            &json!({"name": "Queues and Logs"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let renamed = parse_feed(&app.get("/api/v1/feeds/rss").await.body);
    let terms: Vec<&str> = renamed.entries[0]
        .categories
        .iter()
        .map(|c| c.term.as_str())
        .collect();
    assert_eq!(terms, ["Rust", "Queues and Logs"]);

    // Summaries only, and fewer items, by the site's settings.
    set_site(
        &app,
        &admin,
        &json!({"feeds": {"content": "summary", "items": 1}}),
    )
    .await;
    let json_feed = app.get("/api/v1/feeds/json").await.json();
    let items = json_feed["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert!(items[0].get("content_html").is_none(), "{json_feed}");
    assert_eq!(items[0]["content_text"], items[0]["summary"]);
    let atom = parse_feed(&app.get("/api/v1/feeds/atom").await.body);
    assert!(
        atom.entries[0].content.is_none(),
        "no content in summary mode"
    );
}

/// Runs `xmllint --schema` over `xml`; panics with its report when the document is not valid.
fn assert_valid(xml: &str, schema: &str) {
    let schema = format!("{}/tests/sitemaps/{schema}", env!("CARGO_MANIFEST_DIR"));
    let mut child = Command::new("xmllint")
        .args(["--noout", "--schema", &schema, "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xmllint (libxml2-utils) must be installed: .ci/run installs it");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(xml.as_bytes())
        .expect("write to xmllint");
    let out = child.wait_with_output().expect("xmllint ran");
    assert!(
        out.status.success(),
        "not valid against {schema}: {}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The `<loc>`s of a sitemap or an index, in order.
fn locs(xml: &str) -> Vec<String> {
    xml.split("<loc>")
        .skip(1)
        .filter_map(|s| {
            s.split_once("</loc>")
                .map(|(loc, _)| loc.replace("&amp;", "&"))
        })
        .collect()
}

#[actix_web::test]
async fn sitemaps_are_valid_and_list_what_is_public() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"]);
    let writer = app.token(&["content:write"]);
    small_blog(&app, &writer).await;
    app.get("/api/v1/sitemap.xml")
        .await
        .problem(409, "/problems/site-url-unset");
    set_site(
        &app,
        &admin,
        &json!({"url": "https://notes.example.com/blog"}),
    )
    .await;

    let res = app.get("/api/v1/sitemap.xml").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        res.header("content-type"),
        Some("application/xml; charset=utf-8")
    );
    let xml = res.text();
    assert_valid(&xml, "sitemap.xsd");
    let mut listed = locs(&xml);
    listed.sort();
    assert_eq!(
        listed,
        [
            "https://notes.example.com/blog/about/",
            "https://notes.example.com/blog/author/ada/",
            "https://notes.example.com/blog/blog/older-post/",
            "https://notes.example.com/blog/blog/q-and-a/",
            "https://notes.example.com/blog/tag/queues-logs/",
            "https://notes.example.com/blog/tag/rust/",
        ],
        "public content only: no draft, no scheduled article"
    );
    assert_eq!(xml.matches("<lastmod>").count(), 6);
    // The ETag is decided before streaming: a 304 reads nothing; a change moves it.
    let etag = res.header("etag").expect("etag").to_owned();
    let again = app
        .send(
            app.request(Method::GET, "/api/v1/sitemap.xml")
                .insert_header(("If-None-Match", etag.clone())),
        )
        .await;
    assert_eq!(again.status, 304);
    app.publish(&writer, "newest", "Newest", &[], 0).await;
    let moved = app.get("/api/v1/sitemap.xml").await;
    assert_ne!(moved.header("etag"), Some(etag.as_str()));
    assert!(moved.text().contains("/blog/blog/newest/"));
}

#[actix_web::test]
async fn a_large_site_gets_a_sitemap_index_of_parts() {
    let app = TestApp::spawn_with(|c| c.sitemap_urls = 3).await;
    let admin = app.token(&["admin"]);
    let writer = app.token(&["content:write"]);
    for i in 0..8 {
        app.publish(
            &writer,
            &format!("post-{i}"),
            &format!("Post {i}"),
            &[],
            20 - i,
        )
        .await;
    }
    set_site(&app, &admin, &json!({"url": "https://x.example.org"})).await;
    let res = app.get("/api/v1/sitemap.xml").await;
    assert_eq!(res.status, 200);
    let index = res.text();
    assert_valid(&index, "siteindex.xsd");
    assert!(index.contains("<sitemapindex"), "{index}");
    let parts = locs(&index);
    assert_eq!(parts.len(), 3, "8 articles in parts of 3: {index}");
    let mut seen = Vec::new();
    for part in &parts {
        let path = part
            .split_once("/api/v1/")
            .map(|(_, p)| format!("/api/v1/{p}"))
            .expect("an API URL");
        let res = app.get(&path).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text());
        let xml = res.text();
        assert_valid(&xml, "sitemap.xsd");
        let urls = locs(&xml);
        assert!(!urls.is_empty() && urls.len() <= 3, "{path}: {xml}");
        seen.extend(urls);
    }
    let expected: Vec<String> = (0..8)
        .map(|i| format!("https://x.example.org/blog/post-{i}/"))
        .collect();
    assert_eq!(seen, expected, "every article once, oldest first");
    // The index's parts are found again after a change (this instance keeps them per change).
    app.publish(&writer, "post-8", "Post 8", &[], 1).await;
    app.publish(&writer, "post-9", "Post 9", &[], 0).await;
    let index = app.get("/api/v1/sitemap.xml").await.text();
    assert_eq!(locs(&index).len(), 4, "10 articles in parts of 3: {index}");
    app.get("/api/v1/sitemaps/articles.xml?from=nonsense")
        .await
        .problem(400, "/problems/bad-request");
    app.get("/api/v1/sitemaps/drafts.xml")
        .await
        .problem(404, "/problems/not-found");
}

#[actix_web::test]
async fn a_scheduled_page_goes_live_by_itself_everywhere() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"]);
    let writer = app.token(&["content:write"]);
    set_site(&app, &admin, &json!({"url": "https://x.example.org"})).await;
    let at = Utc::now() + Duration::milliseconds(2500);
    let res = app
        .put_in("pages", &writer, "soon", &json!({"title": "Soon", "body_markdown": "Later.", "status": "published", "published_at": at}))
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    assert_eq!(res.json()["status"], "scheduled");
    app.get("/api/v1/pages/soon")
        .await
        .problem(404, "/problems/not-found");
    until_live(&app, "/api/v1/pages").await;
    assert_eq!(
        app.listing("pages", "").await["meta"]["pagination"]["total"],
        0
    );
    let sitemap = app.get("/api/v1/sitemap.xml").await;
    let etag = sitemap.header("etag").expect("etag").to_owned();
    assert!(!sitemap.text().contains("/soon/"));

    // The cached listing changes at the page's time, with no write.
    let took = eventually(&app, "/api/v1/pages", |d| {
        d["meta"]["pagination"]["total"] == 1
    })
    .await;
    assert!(Utc::now() >= at, "visible only from its time");
    eprintln!("the scheduled page appeared {took:?} after polling began");
    let again = app
        .send(
            app.request(Method::GET, "/api/v1/sitemap.xml")
                .insert_header(("If-None-Match", etag)),
        )
        .await;
    assert_eq!(again.status, 200, "the sitemap's ETag moved at the go-live");
    assert!(again.text().contains("https://x.example.org/soon/"));
    // Announced once, at its time.
    let changes = app.get("/api/v1/changes?since=0").await.json();
    let entries: Vec<&Value> = changes["data"]
        .as_array()
        .expect("data")
        .iter()
        .filter(|c| c["slug"] == "soon")
        .collect();
    assert_eq!(entries.len(), 1, "{changes}");
    assert_eq!(entries[0]["type"], "page.published");
    let logged: DateTime<Utc> = entries[0]["at"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .expect("at");
    assert!(logged >= at, "logged at {logged}, due at {at}");
}

#[actix_web::test]
async fn feeds_name_themselves_from_the_host_not_from_unvouched_headers() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"]);
    let writer = app.token(&["content:write"]);
    app.publish(&writer, "one", "One", &["Rust"], 1).await;
    set_site(&app, &admin, &json!({"url": "https://notes.example.com"})).await;
    let read = |host: &'static str| {
        app.send(
            app.request(Method::GET, "/api/v1/feeds/json?tag=rust")
                .insert_header(("Host", host))
                .insert_header(("X-Forwarded-Host", "evil.example"))
                .insert_header(("X-Forwarded-Proto", "https")),
        )
    };
    let first = read("feeds.example:8080").await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(
        first.json()["feed_url"],
        "http://feeds.example:8080/api/v1/feeds/json?tag=rust"
    );
    assert!(
        !first.text().contains("evil.example"),
        "forwarded headers from an untrusted peer are ignored"
    );
    let second = read("other.example").await;
    assert_eq!(
        second.json()["feed_url"],
        "http://other.example/api/v1/feeds/json?tag=rust"
    );
    assert_ne!(
        second.header("x-cache"),
        Some("hit"),
        "a host-dependent feed is not kept by the response cache"
    );

    // With the API's public address configured, the feed names it and may be cached.
    let fixed = TestApp::start(
        {
            let mut c = folio::config::Config::for_database(&app.database_url);
            c.public_url = Some("https://api.example.com".to_owned());
            c
        },
        None,
    )
    .await;
    let doc = fixed.get("/api/v1/feeds/json").await.json();
    assert_eq!(doc["feed_url"], "https://api.example.com/api/v1/feeds/json");
    until_live(&fixed, "/api/v1/feeds/json").await;
    let atom = parse_feed(&fixed.get("/api/v1/feeds/atom").await.body);
    assert_eq!(
        atom.id, "https://notes.example.com/",
        "a permanent id: the page the feed follows"
    );
}

#[actix_web::test]
async fn sitemaps_cross_batches_and_kinds_without_loss() {
    let app = TestApp::spawn_with(|c| c.sitemap_batch = 2).await;
    let admin = app.token(&["admin"]);
    let writer = app.token(&["content:write"]);
    small_blog(&app, &writer).await;
    for slug in ["uses", "now"] {
        let res = app
            .put_in(
                "pages",
                &writer,
                slug,
                &json!({"title": slug, "body_markdown": "x", "status": "published"}),
            )
            .await;
        assert_eq!(res.status, 201);
    }
    set_site(
        &app,
        &admin,
        &json!({"url": "https://x.example.org", "permalinks": {"article": "/p/{slug}/"}}),
    )
    .await;
    let res = app.get("/api/v1/sitemap.xml").await;
    let xml = res.text();
    assert_valid(&xml, "sitemap.xsd");
    let listed = locs(&xml);
    let expected = [
        "https://x.example.org/about/",
        "https://x.example.org/uses/",
        "https://x.example.org/now/",
        "https://x.example.org/tag/rust/",
        "https://x.example.org/tag/queues-logs/",
        "https://x.example.org/author/ada/",
        "https://x.example.org/p/older-post/",
        "https://x.example.org/p/q-and-a/",
    ];
    let mut sorted = listed.clone();
    sorted.sort();
    let mut wanted: Vec<String> = expected.iter().map(|s| s.to_string()).collect();
    wanted.sort();
    assert_eq!(
        sorted, wanted,
        "read two rows at a time, nothing lost or repeated: {listed:?}"
    );
    // Kinds in order (pages, tags, authors, articles); pages and articles oldest first.
    let kind = |url: &str| {
        ["/tag/", "/author/", "/p/"]
            .iter()
            .position(|k| url.contains(k))
            .map_or(0, |i| i + 1)
    };
    let kinds: Vec<usize> = listed.iter().map(|u| kind(u)).collect();
    assert!(kinds.windows(2).all(|w| w[0] <= w[1]), "{listed:?}");
    assert_eq!(listed[..3], expected[..3]);
    assert_eq!(listed[6..], expected[6..]);

    // A settings change moves every sitemap's ETag.
    let etag = res.header("etag").expect("etag").to_owned();
    set_site(
        &app,
        &admin,
        &json!({"permalinks": {"article": "/posts/{slug}/"}}),
    )
    .await;
    let moved = app
        .send(
            app.request(Method::GET, "/api/v1/sitemap.xml")
                .insert_header(("If-None-Match", etag)),
        )
        .await;
    assert_eq!(moved.status, 200);
    assert!(moved
        .text()
        .contains("https://x.example.org/posts/q-and-a/"));
}

/// Runs `xmllint --noout` over `xml`: well-formed XML 1.0 or a panic with its report.
fn assert_well_formed(xml: &str) {
    let mut child = Command::new("xmllint")
        .args(["--noout", "-"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("xmllint (libxml2-utils) must be installed: .ci/run installs it");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(xml.as_bytes())
        .expect("write to xmllint");
    let out = child.wait_with_output().expect("xmllint ran");
    assert!(
        out.status.success(),
        "not well-formed: {}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[actix_web::test]
async fn text_xml_cannot_hold_and_dates_before_1970_are_handled() {
    let app = TestApp::spawn_with(|c| c.sitemap_urls = 2).await;
    let admin = app.token(&["admin"]);
    let writer = app.token(&["content:write"]);
    let res = app
        .put_article(
            &writer,
            "bells",
            &json!({"title": "Bell\u{7} & <co>\u{fffe}", "summary": "a\u{b}b", "body_markdown": "page one\u{c}page two",
                    "status": "published", "published_at": "1960-01-02T00:00:00Z", "tags": ["Ctl\u{7}Tag"]}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    app.publish(&writer, "later", "Later", &[], 1).await;
    app.publish(&writer, "latest", "Latest", &[], 0).await;
    set_site(
        &app,
        &admin,
        &json!({"url": "https://x.example.org", "description": "x\u{1}y"}),
    )
    .await;
    for path in ["/api/v1/feeds/rss", "/api/v1/feeds/atom"] {
        let xml = app.get(path).await.text();
        assert_well_formed(&xml);
        assert!(xml.contains("Bell &amp; &lt;co&gt;"), "{xml}");
    }
    let json_feed = app.get("/api/v1/feeds/json").await.json();
    assert_eq!(
        json_feed["items"][2]["title"], "Bell\u{7} & <co>\u{fffe}",
        "JSON keeps every character"
    );

    // Parts of two: the first starts before 1970, and every part answers.
    let index = app.get("/api/v1/sitemap.xml").await.text();
    assert_valid(&index, "siteindex.xsd");
    let mut seen = Vec::new();
    for part in locs(&index) {
        let path = part
            .split_once("/api/v1/")
            .map(|(_, p)| format!("/api/v1/{p}"))
            .expect("an API URL");
        let res = app.get(&path).await;
        assert_eq!(res.status, 200, "{path}: {}", res.text());
        assert_valid(&res.text(), "sitemap.xsd");
        seen.extend(locs(&res.text()));
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "https://x.example.org/blog/bells/",
            "https://x.example.org/blog/later/",
            "https://x.example.org/blog/latest/",
            "https://x.example.org/tag/ctl-tag/",
        ]
    );
}
