//! The stored counters (articles per tag, per author, in all, drafts and featured) and the timeline place each link
//! carries stay exact through every kind of write: each scenario ends by comparing them with `count(*)` over the
//! rows, and the public counts the API answers with the same counts taken at the current time.

use actix_web::http::Method;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::{json, Value};

use crate::helpers::TestApp;

#[derive(QueryableByName, Debug, PartialEq)]
struct Mismatch {
    #[diesel(sql_type = Text)]
    what: String,
    #[diesel(sql_type = BigInt)]
    stored: i64,
    #[diesel(sql_type = BigInt)]
    counted: i64,
}

/// Every stored counter next to the count it stands for; only the rows that differ.
const MISMATCHES: &str = "
    SELECT 'articles.' || k AS what, stored, counted FROM (
        SELECT 'published' AS k, (SELECT published FROM article_counts) AS stored,
               (SELECT count(*) FROM articles WHERE status = 'published') AS counted
        UNION ALL SELECT 'draft', (SELECT draft FROM article_counts),
               (SELECT count(*) FROM articles WHERE status = 'draft')
        UNION ALL SELECT 'featured', (SELECT featured FROM article_counts),
               (SELECT count(*) FROM articles WHERE status = 'published' AND featured)
    ) a WHERE stored <> counted
    UNION ALL
    SELECT 'tag ' || t.slug, t.listed_count,
           (SELECT count(*) FROM article_tags l JOIN articles a ON a.id = l.article_id
            WHERE l.tag_id = t.id AND a.status = 'published')
    FROM tags t
    WHERE t.listed_count <> (SELECT count(*) FROM article_tags l JOIN articles a ON a.id = l.article_id
                             WHERE l.tag_id = t.id AND a.status = 'published')
    UNION ALL
    SELECT 'author ' || w.slug, w.listed_count,
           (SELECT count(*) FROM article_authors l JOIN articles a ON a.id = l.article_id
            WHERE l.author_id = w.id AND a.status = 'published')
    FROM authors w
    WHERE w.listed_count <> (SELECT count(*) FROM article_authors l JOIN articles a ON a.id = l.article_id
                             WHERE l.author_id = w.id AND a.status = 'published')
    UNION ALL
    SELECT 'timeline of links', 0, count(*) FROM (
        SELECT l.listed_at, a.status, a.published_at FROM article_tags l JOIN articles a ON a.id = l.article_id
        UNION ALL
        SELECT l.listed_at, a.status, a.published_at FROM article_authors l JOIN articles a ON a.id = l.article_id
    ) x WHERE x.listed_at IS DISTINCT FROM CASE WHEN x.status = 'published' THEN x.published_at END
    HAVING count(*) > 0";

#[derive(QueryableByName)]
struct PublicCount {
    #[diesel(sql_type = Text)]
    slug: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Compares every counter with `count(*)`, and every public count the API answers with a count taken now.
pub(crate) async fn assert_exact(app: &TestApp, scenario: &str) {
    let mut conn = app.db();
    let wrong: Vec<Mismatch> = diesel::sql_query(MISMATCHES)
        .load(&mut conn)
        .expect("compare counters");
    assert!(wrong.is_empty(), "{scenario}: {wrong:?}");

    let public = "a.status = 'published' AND a.published_at <= now()";
    let tags: Vec<PublicCount> = diesel::sql_query(format!(
        "SELECT t.slug, (SELECT count(*) FROM article_tags l JOIN articles a ON a.id = l.article_id \
         WHERE l.tag_id = t.id AND {public}) AS n FROM tags t ORDER BY t.slug"
    ))
    .load(&mut conn)
    .expect("count tags");
    let reader = app.token(&["content:read"]);
    let listed = app
        .call(Method::GET, "/api/v1/tags?per_page=100", &reader, None)
        .await
        .json();
    let mut answered: Vec<(String, i64)> = listed["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            (
                t["slug"].as_str().unwrap_or_default().to_owned(),
                t["article_count"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    answered.sort();
    let mut expected: Vec<(String, i64)> = tags.iter().map(|t| (t.slug.clone(), t.n)).collect();
    expected.sort();
    assert_eq!(answered, expected, "{scenario}: /tags");
    for tag in &tags {
        let page = app.listing("articles", &format!("tag={}", tag.slug)).await;
        assert_eq!(
            page["meta"]["pagination"]["total"], tag.n,
            "{scenario}: total of tag {}",
            tag.slug
        );
        assert_eq!(page["meta"]["pagination"]["total_exact"], true);
    }

    let authors: Vec<PublicCount> = diesel::sql_query(format!(
        "SELECT w.slug, (SELECT count(*) FROM article_authors l JOIN articles a ON a.id = l.article_id \
         WHERE l.author_id = w.id AND {public}) AS n FROM authors w ORDER BY w.slug"
    ))
    .load(&mut conn)
    .expect("count authors");
    for author in &authors {
        let page = app
            .listing("articles", &format!("author={}", author.slug))
            .await;
        assert_eq!(
            page["meta"]["pagination"]["total"], author.n,
            "{scenario}: total of author {}",
            author.slug
        );
    }

    #[derive(QueryableByName)]
    struct Totals {
        #[diesel(sql_type = BigInt)]
        public: i64,
        #[diesel(sql_type = BigInt)]
        featured: i64,
        #[diesel(sql_type = BigInt)]
        drafts: i64,
    }
    let totals: Totals = diesel::sql_query(format!(
        "SELECT count(*) FILTER (WHERE {public}) AS public, \
                count(*) FILTER (WHERE {public} AND a.featured) AS featured, \
                count(*) FILTER (WHERE a.status = 'draft') AS drafts FROM articles a"
    ))
    .get_result(&mut conn)
    .expect("count articles");
    let total = |doc: Value| doc["meta"]["pagination"]["total"].as_i64();
    assert_eq!(
        total(app.listing("articles", "").await),
        Some(totals.public),
        "{scenario}: /articles"
    );
    assert_eq!(
        total(app.listing("featured", "").await),
        Some(totals.featured),
        "{scenario}: /featured"
    );
    assert_eq!(
        total(app.listing("articles", "featured=false").await),
        Some(totals.public - totals.featured),
        "{scenario}: not featured"
    );
    let drafts = app
        .call(Method::GET, "/api/v1/articles?status=draft", &reader, None)
        .await
        .json();
    assert_eq!(total(drafts), Some(totals.drafts), "{scenario}: drafts");
}

fn article(
    status: &str,
    at: chrono::DateTime<chrono::Utc>,
    tags: &[&str],
    authors: &[&str],
) -> Value {
    json!({
        "title": "Counted",
        "body_markdown": "Words to count.",
        "status": status,
        "published_at": at,
        "tags": tags,
        "authors": authors,
    })
}

#[actix_web::test]
async fn counters_follow_every_kind_of_write() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    app.author(&w, "ada", "Ada").await;
    app.author(&w, "bob", "Bob").await;
    let past = chrono::Utc::now() - chrono::Duration::days(2);
    let future = chrono::Utc::now() + chrono::Duration::days(2);

    for (slug, status, at, tags, authors) in [
        (
            "a1",
            "published",
            past,
            vec!["rust", "databases"],
            vec!["ada"],
        ),
        ("a2", "published", past, vec!["rust"], vec!["ada", "bob"]),
        ("a3", "draft", past, vec!["rust", "http"], vec!["bob"]),
        ("a4", "published", future, vec!["rust", "http"], vec!["ada"]),
    ] {
        let res = app
            .put_article(&w, slug, &article(status, at, &tags, &authors))
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
    }
    assert_exact(&app, "created: published, draft, scheduled").await;

    let res = app
        .patch_article(&w, "a1", &json!({"featured": true}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_exact(&app, "featured").await;

    let res = app
        .patch_article(&w, "a3", &json!({"status": "published"}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_exact(&app, "a draft published").await;

    let res = app
        .patch_article(&w, "a1", &json!({"status": "draft"}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_exact(&app, "unpublished (and featured)").await;

    let res = app
        .patch_article(
            &w,
            "a2",
            &json!({"tags": ["http", "go"], "authors": ["bob"]}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_exact(&app, "tags and authors changed").await;

    let res = app
        .patch_article(&w, "a4", &json!({"published_at": past}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_exact(&app, "a scheduled article moved into the past").await;

    let res = app
        .patch_article(&w, "a2", &json!({"slug": "a2-renamed"}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let res = app
        .put_article(
            &w,
            "a3",
            &article("published", past, &["rust", "http"], &["bob"]),
        )
        .await;
    assert!(res.status.is_success(), "{}", res.text());
    assert_exact(&app, "renamed, then an identical re-PUT").await;

    let res = app.delete_in("tags", &w, "http").await;
    assert_eq!(res.status, 204, "{}", res.text());
    assert_exact(&app, "a tag deleted").await;

    let res = app.delete_article(&w, "a2-renamed").await;
    assert_eq!(res.status, 204, "{}", res.text());
    assert_exact(&app, "an article deleted").await;

    // A writer outside the API: counters live in the database, not in Folio's code.
    diesel::sql_query("UPDATE articles SET status = 'draft' WHERE slug = 'a4'")
        .execute(&mut app.db())
        .expect("operator update");
    assert_exact(&app, "an operator's SQL").await;
    diesel::sql_query(
        "UPDATE article_tags SET tag_id = (SELECT id FROM tags WHERE slug = 'go') \
         WHERE tag_id = (SELECT id FROM tags WHERE slug = 'rust') \
         AND article_id = (SELECT id FROM articles WHERE slug = 'a3')",
    )
    .execute(&mut app.db())
    .expect("operator moves a link");
    assert_exact(&app, "a link moved to another tag").await;
    diesel::sql_query("TRUNCATE article_authors")
        .execute(&mut app.db())
        .expect("operator truncates");
    assert_exact(&app, "author links truncated").await;
    diesel::sql_query("DELETE FROM articles")
        .execute(&mut app.db())
        .expect("operator delete");
    assert_exact(&app, "everything deleted").await;
}

#[actix_web::test]
async fn a_scheduled_article_goes_live_in_every_count_by_itself() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    app.author(&w, "ada", "Ada").await;
    let soon = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let mut body = article("published", soon, &["rust"], &["ada"]);
    body["featured"] = json!(true);
    let res = app.put_article(&w, "soon", &body).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let reader = app.token(&["content:read"]);
    let tags = app
        .call(Method::GET, "/api/v1/tags", &reader, None)
        .await
        .json();
    assert_eq!(tags["data"][0]["article_count"], 0, "not live yet: {tags}");
    assert_eq!(
        app.listing("tags", "").await["data"],
        json!([]),
        "a tag of scheduled articles only is empty"
    );
    assert_exact(&app, "scheduled").await;

    actix_web::rt::time::sleep(std::time::Duration::from_millis(1700)).await;
    let tags = app.listing("tags", "").await;
    assert_eq!(tags["data"][0]["article_count"], 1, "live now: {tags}");
    assert_eq!(
        app.listing("featured", "").await["meta"]["pagination"]["total"],
        1
    );
    assert_exact(&app, "gone live").await;
}

#[actix_web::test]
async fn concurrent_writers_leave_exact_counters() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    app.author(&w, "ada", "Ada").await;
    app.author(&w, "bob", "Bob").await;
    let past = chrono::Utc::now() - chrono::Duration::days(1);
    let tag_sets: [&[&str]; 4] = [
        &["rust", "databases"],
        &["databases", "rust", "http"],
        &["http"],
        &["go", "rust"],
    ];
    // 24 writers over 8 slugs: creates, replacements with other tags, publishes and unpublishes race each other.
    let writes = (0..24).map(|i| {
        let app = &app;
        let w = &w;
        async move {
            let status = if i % 3 == 0 { "draft" } else { "published" };
            let authors: &[&str] = if i % 2 == 0 {
                &["ada"]
            } else {
                &["bob", "ada"]
            };
            let res = app
                .put_article(
                    w,
                    &format!("race-{}", i % 8),
                    &article(status, past, tag_sets[i % 4], authors),
                )
                .await;
            assert!(res.status.is_success(), "{}: {}", res.status, res.text());
        }
    });
    futures_util::future::join_all(writes).await;
    let deletes = (0..4).map(|i| {
        let app = &app;
        let w = &w;
        async move {
            let res = app.delete_article(w, &format!("race-{i}")).await;
            assert_eq!(res.status, 204, "{}", res.text());
        }
    });
    let retags = (4..8).map(|i| {
        let app = &app;
        let w = &w;
        async move {
            let res = app
                .patch_article(
                    w,
                    &format!("race-{i}"),
                    &json!({"tags": ["go"], "status": "published"}),
                )
                .await;
            assert_eq!(res.status, 200, "{}", res.text());
        }
    });
    futures_util::future::join(
        futures_util::future::join_all(deletes),
        futures_util::future::join_all(retags),
    )
    .await;
    assert_exact(&app, "after concurrent writers").await;
}

#[actix_web::test]
async fn totals_no_counter_answers_stop_at_the_cap_and_say_so() {
    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    app.publish(&w, "seed", "Seed", &["a", "b"], 3).await;
    // 1,004 more public articles tagged a and b, written by SQL for speed (the triggers keep the counters).
    diesel::sql_query(
        "WITH new AS (
             INSERT INTO articles (slug, title, summary, body_markdown, body_html, body_text, word_count,
                                   reading_time_minutes, status, published_at)
             SELECT 'bulk-' || i, 'Bulk ' || i, '', 'x', '<p>x</p>', 'x', 1, 1, 'published',
                    now() - make_interval(mins => i)
             FROM generate_series(1, 1004) i
             RETURNING id)
         INSERT INTO article_tags (article_id, tag_id, position)
         SELECT new.id, tags.id, CASE tags.slug WHEN 'a' THEN 0 ELSE 1 END FROM new, tags",
    )
    .execute(&mut app.db())
    .expect("bulk insert");
    assert_exact(&app, "bulk SQL insert").await;

    let exact = app.listing("articles", "tag=a&per_page=100").await;
    assert_eq!(exact["meta"]["pagination"]["total"], 1005);
    assert_eq!(exact["meta"]["pagination"]["total_pages"], 11);

    let capped = app.listing("articles", "tag_all=a,b&per_page=100").await;
    let pagination = &capped["meta"]["pagination"];
    assert_eq!(
        pagination["total"],
        folio::store::articles::COUNT_CAP,
        "{pagination}"
    );
    assert_eq!(pagination["total_exact"], false);
    assert_eq!(pagination["total_pages"], Value::Null);
    assert_eq!(pagination["next_page"], 2);
    assert_eq!(capped["links"]["last"], Value::Null);
    // Past the cap, pages still come, and the last one says there is no next.
    let last = app
        .listing("articles", "tag_all=a,b&per_page=100&page=11")
        .await;
    assert_eq!(last["data"].as_array().map(Vec::len), Some(5));
    assert_eq!(last["meta"]["pagination"]["next_page"], Value::Null);
    assert_eq!(last["meta"]["pagination"]["prev_page"], 10);
}

#[actix_web::test]
async fn a_link_written_by_sql_while_its_article_is_published_gets_the_new_place() {
    use diesel::Connection;

    let app = TestApp::spawn().await;
    let w = app.token(&["content:write"]);
    let res = app
        .put_article(
            &w,
            "draft",
            &json!({"title": "Draft", "body_markdown": "x", "tags": ["rust"]}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    app.put_in("tags", &w, "go", &json!({"name": "Go"})).await;

    let mut publisher = app.db();
    publisher
        .batch_execute(
            "BEGIN; UPDATE articles SET status = 'published', published_at = now() - interval '1 day' \
             WHERE slug = 'draft'",
        )
        .expect("publish, uncommitted");
    let url = app.database_url.clone();
    let linker = std::thread::spawn(move || {
        let mut conn = diesel::PgConnection::establish(&url).expect("connect");
        diesel::sql_query(
            "INSERT INTO article_tags (article_id, tag_id, position) \
             SELECT a.id, t.id, 1 FROM articles a, tags t WHERE a.slug = 'draft' AND t.slug = 'go'",
        )
        .execute(&mut conn)
        .expect("link")
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(!linker.is_finished(), "the link waits for the publish");
    publisher.batch_execute("COMMIT").expect("commit");
    assert_eq!(linker.join().expect("linker"), 1);

    assert_exact(&app, "link and publish racing in SQL").await;
    let go = app.listing("articles", "tag=go").await;
    assert_eq!(crate::helpers::slugs(&go), ["draft"]);
}
