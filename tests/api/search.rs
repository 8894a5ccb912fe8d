//! Search: relevance on a judged set, typo tolerance, prefixes as you type, highlights, suggestions, visibility,
//! hostile input, and two instances agreeing.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{eventually, fuzz_texts, slugs, until_live, TestApp};

fn encode(q: &str) -> String {
    form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

/// Publishes an article with a body, `days_ago` days in the past.
async fn article(app: &TestApp, w: &str, slug: &str, title: &str, body: &str, days_ago: i64) {
    let at = chrono::Utc::now() - chrono::Duration::days(days_ago);
    let res = app
        .put_article(
            w,
            slug,
            &json!({"title": title, "body_markdown": body, "status": "published", "published_at": at}),
        )
        .await;
    assert!(res.status.is_success(), "{slug}: {}", res.text());
}

async fn found(app: &TestApp, q: &str) -> Vec<String> {
    slugs(&app.listing("articles", &format!("q={}", encode(q))).await)
}

/// The judged set (`tests/relevance/`): a blog of distinct topics written like a real one, and queries a reader
/// would type with the article they want. The wanted article must be in the first three for 90% of them.
#[actix_web::test]
async fn the_judged_queries_find_the_wanted_article_in_the_top_three() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/relevance");
    let corpus: Vec<Value> = serde_json::from_str(
        &std::fs::read_to_string(dir.join("corpus.json")).expect("corpus.json"),
    )
    .expect("corpus json");
    for (i, a) in corpus.iter().enumerate() {
        let slug = a["slug"].as_str().expect("slug");
        let mut body = a.clone();
        let map = body.as_object_mut().expect("object");
        map.remove("slug");
        map.insert("status".into(), json!("published"));
        let at = chrono::Utc::now() - chrono::Duration::hours(i64::try_from(i).unwrap_or(0) + 1);
        map.insert("published_at".into(), json!(at));
        let res = app.put_article(&w, slug, &body).await;
        assert!(res.status.is_success(), "{slug}: {}", res.text());
    }
    let queries = std::fs::read_to_string(dir.join("queries.tsv")).expect("queries.tsv");
    let mut judged = 0;
    let mut first = 0;
    let mut missed = Vec::new();
    let mut by_kind: std::collections::BTreeMap<String, (usize, usize)> = Default::default();
    for line in queries.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [q, wanted, kind] = cols[..] else {
            panic!("bad line {line:?}");
        };
        let top = slugs(
            &app.listing(
                "articles",
                &format!("q={}&per_page=3&fields=slug", encode(q)),
            )
            .await,
        );
        judged += 1;
        let entry = by_kind.entry(kind.to_owned()).or_default();
        entry.1 += 1;
        if top.first().is_some_and(|s| s == wanted) {
            first += 1;
        }
        if top.iter().any(|s| s == wanted) {
            entry.0 += 1;
        } else {
            missed.push(format!("{kind} {q:?}: wanted {wanted}, got {top:?}"));
        }
    }
    let hits = judged - missed.len();
    eprintln!(
        "relevance: {hits}/{judged} in the top 3 ({:.1}%), {first} first; by kind {by_kind:?}",
        100.0 * hits as f64 / judged as f64
    );
    for m in &missed {
        eprintln!("  missed {m}");
    }
    assert!(judged >= 40, "the judged set has {judged} queries");
    assert!(
        hits * 10 >= judged * 9,
        "{hits}/{judged} in the top 3: {missed:#?}"
    );
}

#[actix_web::test]
async fn typos_and_prefixes_find_what_was_meant_and_exact_matches_rank_first() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    article(
        &app,
        &w,
        "k8s",
        "Kubernetes operators in practice",
        "Reconcile loops and custom resources.",
        5,
    )
    .await;
    article(
        &app,
        &w,
        "vacuum",
        "How Postgres vacuum reclaims space",
        "Dead tuples, visibility maps and bloat.",
        4,
    )
    .await;
    article(
        &app,
        &w,
        "idem",
        "Idempotent requests with keys",
        "Retry safely: the server remembers the key.",
        3,
    )
    .await;
    article(
        &app,
        &w,
        "hashing",
        "Consistent hashing for caches",
        "A ring of virtual nodes.",
        2,
    )
    .await;
    // One article spells a word wrong itself: searching that spelling finds it first, then the right one.
    article(
        &app,
        &w,
        "misspelt",
        "Notes on latncy",
        "Typed in a hurry.",
        6,
    )
    .await;
    article(
        &app,
        &w,
        "latency",
        "Tail latency at scale",
        "Percentiles and queues.",
        1,
    )
    .await;

    assert_eq!(found(&app, "kuberntes").await, ["k8s"]);
    assert_eq!(found(&app, "postgrse vacuum ").await, ["vacuum"]);
    assert_eq!(found(&app, "idempotnet requests").await, ["idem"]);
    // Two typos in a word of nine letters or more; one only in a shorter word.
    assert_eq!(found(&app, "kubrenetse").await, ["k8s"]);
    assert_eq!(found(&app, "vcauum ").await, ["vacuum"]);
    assert_eq!(found(&app, "vcauun ").await, Vec::<String>::new());
    assert_eq!(found(&app, "latncy ").await, ["misspelt", "latency"]);
    assert_eq!(found(&app, "latency ").await, ["latency", "misspelt"]);
    // As you type: the last word is a prefix until a space ends it.
    assert_eq!(found(&app, "consis").await, ["hashing"]);
    assert_eq!(found(&app, "consistent has").await, ["hashing"]);
    assert_eq!(found(&app, "consis ").await, Vec::<String>::new());
    // A word typed past its stem (`pagination` is stored as `pagin`) is completed from known words; a
    // hyphenated word is a prefix too.
    article(
        &app,
        &w,
        "keyset",
        "Keyset pagination, full-text friendly",
        "Cursors.",
        7,
    )
    .await;
    for typed in [
        "pagin",
        "pagina",
        "paginat",
        "paginati",
        "pagination",
        "keyset paginat",
        "full-t",
        "full-tex",
    ] {
        assert_eq!(found(&app, typed).await, ["keyset"], "{typed}");
    }
    // An excluded word is never widened by typo tolerance.
    assert_eq!(found(&app, "latency -latncy").await, ["latency"]);
}

#[actix_web::test]
async fn title_matches_rank_above_body_matches_and_phrases_above_scattered_words() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    article(
        &app,
        &w,
        "body-only",
        "Notes from the week",
        "We tuned the circuit breaker thresholds again.",
        1,
    )
    .await;
    article(&app, &w, "in-title", "Circuit breakers", "Failing fast.", 3).await;
    article(
        &app,
        &w,
        "scattered",
        "Electrical notes",
        "A circuit diagram. Later, in another room, a breaker.",
        2,
    )
    .await;
    assert_eq!(
        found(&app, "circuit breaker ").await,
        ["in-title", "body-only", "scattered"]
    );
    // `sort` still overrides relevance.
    assert_eq!(
        slugs(
            &app.listing("articles", "q=circuit%20breaker%20&sort=-published_at")
                .await
        ),
        ["body-only", "scattered", "in-title"]
    );
}

#[actix_web::test]
async fn highlights_mark_the_matches_and_escape_everything_else() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    article(
        &app,
        &w,
        "escaping",
        "Escaping <script> & friends in templates",
        "Never print `<script>alert(1)</script>` unescaped; an attacker's alert runs in your origin.",
        1,
    )
    .await;
    let doc = app.listing("articles", "q=escaping%20alert").await;
    let h = &doc["data"][0]["highlight"];
    assert_eq!(
        h["title"],
        "<mark>Escaping</mark> &lt;script&gt; &amp; friends in templates"
    );
    let body = h["body"].as_str().expect("body");
    assert!(body.contains("<mark>alert</mark>"), "{body}");
    assert!(!body.contains("<script"), "{body}");
    assert!(body.contains("script&gt;"), "{body}");
    let doc = app.listing("articles", "q=never%20print%20").await;
    let body = doc["data"][0]["highlight"]["body"].as_str().expect("body");
    assert!(
        body.starts_with(
            "<mark>Never</mark> <mark>print</mark> &lt;script&gt;alert(1)&lt;/script&gt;"
        ),
        "{body}"
    );
    // Prefixes and typo corrections are marked too.
    let doc = app.listing("articles", "q=templ").await;
    assert!(
        doc["data"][0]["highlight"]["title"]
            .as_str()
            .is_some_and(|t| t.contains("<mark>templates</mark>")),
        "{doc}"
    );
    let doc = app.listing("articles", "q=atacker%20escapign").await;
    assert_eq!(slugs(&doc), ["escaping"]);
    // Sparse fieldsets may ask for it; a listing without a search has none.
    let doc = app
        .listing("articles", "q=alert&fields=slug,highlight")
        .await;
    assert_eq!(doc["data"][0].as_object().map(|o| o.len()), Some(2));
    let doc = app.listing("articles", "").await;
    assert!(doc["data"][0].get("highlight").is_none(), "{doc}");
}

#[actix_web::test]
async fn suggestions_complete_titles_as_you_type() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    article(
        &app,
        &w,
        "hashing",
        "Consistent hashing & <friends>",
        "Rings.",
        3,
    )
    .await;
    article(
        &app,
        &w,
        "consensus",
        "Consensus with Raft",
        "Leaders and terms.",
        2,
    )
    .await;
    article(
        &app,
        &w,
        "raft-log",
        "The Raft log, compacted",
        "Snapshots.",
        1,
    )
    .await;
    let draft = app
        .put_article(
            &w,
            "draft",
            &json!({"title": "Consistency models (draft)", "body_markdown": "x"}),
        )
        .await;
    assert_eq!(draft.status, 201);

    let doc = app.get("/api/v1/search/suggest?q=cons").await.json();
    let titles: Vec<&str> = doc["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|s| s["slug"].as_str().expect("slug"))
        .collect();
    assert_eq!(titles, ["consensus", "hashing"]);
    assert_eq!(
        doc["data"][1]["highlight"],
        "<mark>Consistent</mark> hashing &amp; &lt;friends&gt;"
    );
    assert_eq!(doc["data"][1]["title"], "Consistent hashing & <friends>");
    let doc = app.get("/api/v1/search/suggest?q=raft%20com").await.json();
    assert_eq!(doc["data"][0]["slug"], "raft-log");
    assert_eq!(doc["data"].as_array().map(Vec::len), Some(1));
    let doc = app.get("/api/v1/search/suggest?q=r&limit=1").await.json();
    assert_eq!(
        doc["data"].as_array().map(Vec::len),
        Some(0),
        "one letter is a whole word"
    );
    let doc = app.get("/api/v1/search/suggest?q=ra&limit=1").await.json();
    assert_eq!(doc["data"][0]["slug"], "raft-log");
    let doc = app.get("/api/v1/search/suggest?q=consiste").await.json();
    assert_eq!(
        doc["data"][0]["slug"], "hashing",
        "a word typed past its stem"
    );
    // A next word begun with a stop word or a lone letter keeps the titles of the words so far.
    for typed in ["raft w", "raft wi", "raft t"] {
        let doc = app
            .get(&format!("/api/v1/search/suggest?q={}", encode(typed)))
            .await
            .json();
        assert_eq!(
            doc["data"].as_array().map(Vec::len),
            Some(2),
            "{typed}: {doc}"
        );
    }
    let doc = app.get("/api/v1/search/suggest?q=%22%21%3A*").await.json();
    assert_eq!(doc["data"], json!([]));

    app.get("/api/v1/search/suggest")
        .await
        .problem(400, "/problems/bad-request");
    app.get("/api/v1/search/suggest?q=x&limit=11")
        .await
        .problem(400, "/problems/bad-request");
    app.get("/api/v1/search/suggest?q=x&page=2")
        .await
        .problem(400, "/problems/bad-request");
    app.get("/api/v1/search/suggest?q=%00")
        .await
        .problem(400, "/problems/bad-request");
}

#[actix_web::test]
async fn searches_see_what_the_reader_may_see_and_follow_every_write() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let r = app.token(&["content:read"]);
    let res = app
        .put_article(
            &w,
            "draft",
            &json!({"title": "Zanzibar draft", "body_markdown": "x"}),
        )
        .await;
    assert_eq!(res.status, 201);
    assert!(found(&app, "zanzibar").await.is_empty());
    let res = app
        .call(
            actix_web::http::Method::GET,
            "/api/v1/articles?q=zanzibar&status=draft",
            &r,
            None,
        )
        .await;
    assert_eq!(slugs(&res.json()), ["draft"]);

    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let res = app
        .put_article(
            &w,
            "soon",
            &json!({"title": "Zanzibar soon", "body_markdown": "x",
            "status": "published", "published_at": soon}),
        )
        .await;
    assert_eq!(res.status, 201);
    assert!(found(&app, "zanzibar").await.is_empty());
    assert!(
        app.get("/api/v1/search/suggest?q=zanz").await.json()["data"] == json!([]),
        "not suggested before its time"
    );
    actix_web::rt::time::sleep(Duration::from_millis(1600)).await;
    eventually(&app, "/api/v1/articles?q=zanzibar", |d| {
        slugs(d) == ["soon"]
    })
    .await;
    eventually(&app, "/api/v1/search/suggest?q=zanz", |d| {
        d["data"][0]["slug"] == "soon"
    })
    .await;

    let res = app
        .patch_article(&w, "soon", &json!({"title": "Quokka island"}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    eventually(&app, "/api/v1/articles?q=quokka", |d| slugs(d) == ["soon"]).await;
    eventually(&app, "/api/v1/articles?q=zanzibar", |d| slugs(d).is_empty()).await;
    assert_eq!(app.delete_article(&w, "soon").await.status, 204);
    eventually(&app, "/api/v1/articles?q=quokka", |d| slugs(d).is_empty()).await;
}

#[actix_web::test]
async fn a_write_is_found_through_another_instance() {
    let a = TestApp::spawn().await;
    let b = TestApp::start(folio::config::Config::for_database(&a.database_url), None).await;
    let w = a.token(&["content:write"]);
    article(&a, &w, "one", "Observability budgets", "Traces.", 2).await;
    until_live(&b, "/api/v1/articles?q=observability").await;
    article(&a, &w, "two", "Observability on a budget", "Metrics.", 1).await;
    let took = eventually(&b, "/api/v1/articles?q=observability", |d| {
        slugs(d).len() == 2
    })
    .await;
    eprintln!("a write through one instance was found through the other in {took:?}");
    assert_eq!(a.delete_article(&w, "one").await.status, 204);
    let took = eventually(&b, "/api/v1/articles?q=observability", |d| {
        slugs(d) == ["two"]
    })
    .await;
    eprintln!("a delete through one instance was unfindable through the other in {took:?}");
}

/// Any text is a 200 or a 400, on every path that searches; the syntax's operators never reach PostgreSQL's
/// parser as operators.
#[actix_web::test]
async fn hostile_search_text_is_never_an_error_of_the_server() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    article(&app, &w, "kafka", "Kafka", "Logs and consumers.", 1).await;
    let mut cases: Vec<String> = [
        "-".repeat(400),
        "\"".repeat(400),
        "!(".repeat(200),
        "a:* & b <-> c | !d".to_owned(),
        "'\\'' \\\\ ''".to_owned(),
        "kafka:*A & kafka <2> kafka".to_owned(),
        "\u{2}\u{3}kafka\u{3}".to_owned(),
        "𝔨𝔞𝔣𝔨𝔞 ｋａｆｋａ كافكا".to_owned(),
        "or or or - - -\"\" \"".to_owned(),
        "x".repeat(500),
    ]
    .into();
    let alphabet: Vec<char> = "ab -\"'!&|():*<>\\~^%é字 \u{2}\u{3}".chars().collect();
    cases.extend(fuzz_texts(&alphabet, 120, 7));
    for q in &cases {
        let query = encode(q);
        for path in [
            format!("/api/v1/articles?q={query}"),
            format!("/api/v1/articles?q={query}&sort=-published_at&cursor="),
            format!("/api/v1/search/suggest?q={query}"),
        ] {
            let res = app.get(&path).await;
            assert!(
                res.status == 200 || res.status == 400,
                "{path}: {} {}",
                res.status,
                res.text()
            );
        }
    }
    assert_eq!(found(&app, "kafka:* -\"\"").await, ["kafka"]);
}
