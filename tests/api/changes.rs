//! The change log and `GET /api/v1/changes`: an entry per change in commit order, none for a rollback,
//! tombstones, scheduled articles announced at their time, and a walk that sees every change once.

use std::time::{Duration, Instant};

use actix_web::http::Method;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{bearer, TestApp};

async fn feed(app: &TestApp, query: &str) -> Value {
    let res = app.get(&format!("/api/v1/changes?{query}")).await;
    assert_eq!(res.status, 200, "changes?{query}: {}", res.text());
    res.json()
}

/// Every entry after `since`, following `meta.next` page by page.
async fn walk(app: &TestApp, since: i64, limit: i64, token: Option<&str>) -> (Vec<Value>, i64) {
    let mut at = since;
    let mut out = Vec::new();
    loop {
        let path = format!(
            "/api/v1/changes?since={at}&limit={limit}{}",
            if token.is_some() { "&drafts=true" } else { "" }
        );
        let req = app.request(Method::GET, &path);
        let res = app
            .send(match token {
                Some(t) => bearer(req, t),
                None => req,
            })
            .await;
        assert_eq!(res.status, 200, "{path}: {}", res.text());
        let doc = res.json();
        out.extend(doc["data"].as_array().expect("data").iter().cloned());
        at = doc["meta"]["next"].as_i64().expect("next");
        if !doc["meta"]["has_more"].as_bool().expect("has_more") {
            return (out, at);
        }
    }
}

fn kinds(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| {
            format!(
                "{} {}",
                e["type"].as_str().unwrap_or("?"),
                e["slug"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

async fn start_position(app: &TestApp) -> i64 {
    let doc = feed(app, "").await;
    assert_eq!(doc["data"], json!([]), "no entries without `since`: {doc}");
    doc["meta"]["next"].as_i64().expect("next")
}

#[actix_web::test]
async fn every_change_is_an_entry_with_tombstones_and_renames() {
    let app = TestApp::spawn_with(|c| c.dispatch = false).await;
    let writer = app.token(&["content:write"]);
    let start = start_position(&app).await;

    app.put_in("tags", &writer, "rust", &json!({"name": "Rust"}))
        .await;
    app.author(&writer, "ada", "Ada").await;
    let body = |status: &str| json!({"title": "Kept", "body_markdown": "Words.", "status": status, "tags": ["rust"], "authors": ["ada"]});
    assert_eq!(
        app.put_article(&writer, "kept", &body("published"))
            .await
            .status,
        201
    );
    // Identical content writes nothing, so logs nothing.
    assert_eq!(
        app.put_article(&writer, "kept", &body("published"))
            .await
            .status,
        200
    );
    assert_eq!(
        app.patch_article(&writer, "kept", &json!({"title": "Kept, edited"}))
            .await
            .status,
        200
    );
    assert_eq!(
        app.patch_article(&writer, "kept", &json!({"slug": "kept-renamed"}))
            .await
            .status,
        200
    );
    assert_eq!(
        app.put_article(
            &writer,
            "gone",
            &json!({"title": "Gone", "body_markdown": "x", "status": "published"})
        )
        .await
        .status,
        201
    );
    assert_eq!(app.delete_article(&writer, "gone").await.status, 204);
    assert_eq!(
        app.put_article(
            &writer,
            "draft",
            &json!({"title": "Draft", "body_markdown": "x"})
        )
        .await
        .status,
        201
    );
    assert_eq!(
        app.patch_article(&writer, "draft", &json!({"title": "Draft 2"}))
            .await
            .status,
        200
    );
    assert_eq!(
        app.put_article(
            &writer,
            "flip",
            &json!({"title": "Flip", "body_markdown": "x", "status": "published"})
        )
        .await
        .status,
        201
    );
    // Unpublished and renamed at once: the public learns the slug it knew, not the draft's new one.
    assert_eq!(
        app.patch_article(
            &writer,
            "flip",
            &json!({"status": "draft", "slug": "flip-hidden"})
        )
        .await
        .status,
        200
    );
    // A draft with a tag of its own: the tag stays out of the public feed, and comes before the article.
    assert_eq!(
        app.put_article(
            &writer,
            "secret",
            &json!({"title": "Secret", "body_markdown": "x", "tags": ["embargo"]})
        )
        .await
        .status,
        201
    );
    let etag = app
        .get_article("kept-renamed")
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    assert_eq!(
        app.patch_in("tags", &writer, "rust", &json!({"name": "Rust lang"}))
            .await
            .status,
        200
    );
    // The article shows the tag's new name, so its ETag changed too.
    assert_ne!(
        app.get_article("kept-renamed").await.header("etag"),
        Some(etag.as_str())
    );

    let (public, next) = walk(&app, start, 3, None).await;
    assert_eq!(
        kinds(&public),
        [
            "article.published kept",
            "article.updated kept",
            "article.updated kept-renamed",
            "article.published gone",
            "article.deleted gone",
            "article.published flip",
            "article.unpublished flip",
            "tag.updated rust",
        ],
        "the public feed: drafts' changes (and tags and authors no public article uses yet) are not in it"
    );
    let positions: Vec<i64> = public
        .iter()
        .map(|e| e["position"].as_i64().expect("position"))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "oldest first: {positions:?}"
    );
    assert_eq!(next, *positions.last().expect("entries"));
    // Upserts carry the resource as it is now; tombstones (and entries of what a later entry removed) carry none.
    assert_eq!(public[0]["article"]["slug"], "kept-renamed");
    assert_eq!(public[0]["article"]["title"], "Kept, edited");
    assert_eq!(public[0]["article"]["primary_tag"]["name"], "Rust lang");
    assert!(
        public[0]["article"].get("body_html").is_none(),
        "a card, not the whole article"
    );
    assert_eq!(public[2]["previous_slug"], "kept");
    assert_eq!(public[1]["previous_slug"], Value::Null);
    assert_eq!(
        public[6]["previous_slug"],
        Value::Null,
        "the draft's new slug is not told"
    );
    for tombstone in [3, 4, 5, 6] {
        assert!(
            public[tombstone].get("article").is_none(),
            "{}",
            public[tombstone]
        );
    }
    assert_eq!(public[7]["tag"]["name"], "Rust lang");
    assert_eq!(public[7]["resource"], "tag");
    assert!(public.iter().all(|e| e["public"] == true));

    // With a content:read token, drafts' changes too, with their cards.
    let reader = app.token(&["content:read"]);
    let (all, _) = walk(&app, start, 100, Some(&reader)).await;
    let drafts: Vec<&Value> = all.iter().filter(|e| e["public"] == false).collect();
    assert_eq!(
        kinds(&drafts.iter().map(|e| (*e).clone()).collect::<Vec<_>>()),
        [
            "tag.created rust",
            "author.created ada",
            "article.created draft",
            "article.updated draft",
            "tag.created embargo",
            "article.created secret",
        ]
    );
    assert_eq!(drafts[1]["author"]["slug"], "ada");
    assert_eq!(drafts[3]["article"]["status"], "draft");
    assert_eq!(drafts[3]["article"]["title"], "Draft 2");
    assert_eq!(all.len(), public.len() + 6);
    // Without the token, asking for drafts is refused.
    app.get(&format!("/api/v1/changes?since={start}&drafts=true"))
        .await
        .problem(401, "/problems/unauthorized");
}

#[actix_web::test]
async fn a_rolled_back_write_logs_nothing_and_a_later_writer_waits_for_an_earlier_commit() {
    let app = TestApp::spawn_with(|c| c.dispatch = false).await;
    let start = start_position(&app).await;
    // Tags no public article uses are in the feed of a token holder only.
    let reader = app.token(&["content:read"]);

    // A write that rolls back leaves no entry (the trigger's insert is part of the transaction).
    let mut conn = app.db();
    let rolled_back: Result<(), diesel::result::Error> = conn.transaction(|c| {
        c.batch_execute("INSERT INTO tags (slug, name) VALUES ('never', 'Never')")?;
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(rolled_back.is_err());
    let (entries, _) = walk(&app, start, 100, Some(&reader)).await;
    assert_eq!(entries, Vec::<Value>::new(), "nothing for a rollback");

    // A transaction that drew a position holds the lock until it commits: a second writer waits, so the feed can
    // never show the later position without the earlier one.
    let mut first = app.db();
    first
        .batch_execute("BEGIN; INSERT INTO tags (slug, name) VALUES ('first', 'First')")
        .expect("first");
    let url = app.database_url.clone();
    let began = Instant::now();
    let second = std::thread::spawn(move || {
        let mut c = PgConnection::establish(&url).expect("connect");
        c.batch_execute("INSERT INTO tags (slug, name) VALUES ('second', 'Second')")
            .expect("second");
        began.elapsed()
    });
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let (entries, _) = walk(&app, start, 100, Some(&reader)).await;
    assert_eq!(
        entries,
        Vec::<Value>::new(),
        "neither is visible before the first commits"
    );
    // A reader starting now is given a position below the uncommitted one, so it sees that write when it commits.
    assert_eq!(
        start_position(&app).await,
        start,
        "the start position counts committed entries only"
    );
    first.batch_execute("COMMIT").expect("commit");
    let waited = second.join().expect("second writer");
    assert!(
        waited >= Duration::from_millis(250),
        "the second writer waited for the first: {waited:?}"
    );
    let (entries, _) = walk(&app, start, 100, Some(&reader)).await;
    assert_eq!(kinds(&entries), ["tag.created first", "tag.created second"]);
}

#[actix_web::test]
async fn a_feed_walk_sees_every_change_exactly_once_while_writes_commit() {
    let app = std::rc::Rc::new(TestApp::spawn_with(|c| c.dispatch = false).await);
    let writer = app.token(&["content:write"]);
    let start = start_position(&app).await;
    const WRITERS: usize = 4;
    const EACH: usize = 12;
    let writes = (0..WRITERS).map(|w| {
        let app = app.clone();
        let writer = writer.clone();
        async move {
            for i in 0..EACH {
                let slug = format!("w{w}-a{i}");
                let res = app.put_article(&writer, &slug, &json!({"title": slug, "body_markdown": "x", "status": "published", "tags": [format!("t{}", i % 3)]})).await;
                assert!(res.status.is_success(), "{}", res.text());
            }
        }
    });
    let reader = {
        let app = app.clone();
        async move {
            let mut seen = Vec::new();
            let mut at = start;
            let deadline = Instant::now() + Duration::from_secs(60);
            // Reads small pages while the writers run, until every article has been seen.
            while seen
                .iter()
                .filter(|e: &&Value| e["type"] == "article.published")
                .count()
                < WRITERS * EACH
            {
                assert!(
                    Instant::now() < deadline,
                    "the walk never caught up: {} seen",
                    seen.len()
                );
                let doc = feed(&app, &format!("since={at}&limit=5")).await;
                seen.extend(doc["data"].as_array().expect("data").iter().cloned());
                at = doc["meta"]["next"].as_i64().expect("next");
            }
            seen
        }
    };
    let (_, seen) =
        futures_util::future::join(futures_util::future::join_all(writes), reader).await;
    let positions: Vec<i64> = seen
        .iter()
        .map(|e| e["position"].as_i64().expect("position"))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "strictly increasing, so no entry twice"
    );
    let mut slugs: Vec<String> = seen
        .iter()
        .filter(|e| e["type"] == "article.published")
        .map(|e| e["slug"].as_str().expect("slug").to_owned())
        .collect();
    slugs.sort();
    slugs.dedup();
    assert_eq!(slugs.len(), WRITERS * EACH, "every article once");
    // And nothing the log holds was skipped.
    let logged: Vec<i64> = crate::changes::public_positions(&app, start);
    let upto = *positions.last().expect("positions");
    assert_eq!(
        positions,
        logged
            .into_iter()
            .filter(|p| *p <= upto)
            .collect::<Vec<_>>()
    );
}

pub fn public_positions(app: &TestApp, after: i64) -> Vec<i64> {
    use folio::db::schema::changes;
    changes::table
        .filter(changes::public.eq(true))
        .filter(changes::position.gt(after))
        .order_by(changes::position)
        .select(changes::position)
        .load(&mut app.db())
        .expect("positions")
}

#[actix_web::test]
async fn a_scheduled_article_is_announced_once_when_its_time_comes() {
    let app = TestApp::spawn_with(|c| c.dispatch_interval_ms = 20).await;
    // A second instance on the same database runs its own dispatcher: the announcement is still made once.
    let mut config = folio::config::Config::for_database(&app.database_url);
    config.dispatch_interval_ms = 20;
    let other = TestApp::start(config, None).await;
    let writer = app.token(&["content:write"]);
    let start = start_position(&app).await;
    let at = chrono::Utc::now() + chrono::Duration::milliseconds(3000);
    let res = app.put_article(&writer, "later", &json!({"title": "Later", "body_markdown": "x", "status": "published", "published_at": at})).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let (before, _) = walk(&app, start, 100, None).await;
    assert_eq!(before, Vec::<Value>::new(), "not public before its time");
    let reader = app.token(&["content:read"]);
    let (private, _) = walk(&app, start, 100, Some(&reader)).await;
    assert_eq!(kinds(&private), ["article.created later"]);

    let deadline = Instant::now() + Duration::from_secs(10);
    let entries = loop {
        let (entries, _) = walk(&other, start, 100, None).await;
        if !entries.is_empty() {
            break entries;
        }
        assert!(Instant::now() < deadline, "never announced");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(kinds(&entries), ["article.published later"]);
    assert_eq!(entries[0]["article"]["status"], "published");
    let logged_at: chrono::DateTime<chrono::Utc> = entries[0]["at"]
        .as_str()
        .expect("at")
        .parse()
        .expect("time");
    assert!(
        logged_at >= at,
        "announced at its time ({logged_at}), not before ({at})"
    );
    // Both dispatchers keep running: still exactly one announcement.
    actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    let (entries, _) = walk(&app, start, 100, None).await;
    assert_eq!(kinds(&entries), ["article.published later"]);
}

#[actix_web::test]
async fn bad_positions_and_parameters_are_clear_errors() {
    let app = TestApp::spawn_with(|c| c.dispatch = false).await;
    let writer = app.token(&["content:write"]);
    app.put_in("tags", &writer, "a", &json!({"name": "A"}))
        .await;
    app.put_in("tags", &writer, "b", &json!({"name": "B"}))
        .await;
    let latest = start_position(&app).await;
    assert!(latest >= 2);
    for query in [
        "since=-1",
        "since=x",
        "limit=0",
        "limit=501",
        "drafts=maybe",
        "colour=red",
    ] {
        app.get(&format!("/api/v1/changes?{query}"))
            .await
            .problem(400, "/problems/bad-request");
    }
    let ahead = app
        .get(&format!("/api/v1/changes?since={}", latest + 1000))
        .await;
    let doc = ahead.problem(400, "/problems/bad-request");
    assert!(
        doc["detail"]
            .as_str()
            .expect("detail")
            .contains("beyond the last change"),
        "{doc}"
    );

    // Retention pruned the first entry: a reader behind it must resync. (Only entries the webhooks have read are
    // pruned: this app runs no dispatcher, so the test moves their cursor.)
    app.db()
        .batch_execute(
            "UPDATE changes SET at = now() - interval '40 days' WHERE position = (SELECT min(position) FROM changes); \
             UPDATE change_cursors SET position = (SELECT max(position) FROM changes) WHERE name = 'webhooks'",
        )
        .expect("age an entry");
    let pruned = folio::store::changes::prune(&mut app.db(), 30).expect("prune");
    assert_eq!(pruned, 1);
    let gone = app.get("/api/v1/changes?since=0").await;
    let doc = gone.problem(410, "/problems/changes-expired");
    assert!(
        doc["detail"]
            .as_str()
            .expect("detail")
            .contains("read the content again"),
        "{doc}"
    );
    let reader = app.token(&["content:read"]);
    let (entries, _) = walk(&app, latest - 1, 100, Some(&reader)).await;
    assert_eq!(kinds(&entries), ["tag.created b"]);
    let doc = feed(&app, &format!("since={}", latest - 1)).await;

    // A public feed page is cacheable and answers 304 to its ETag.
    let res = app
        .get(&format!("/api/v1/changes?since={}", latest - 1))
        .await;
    assert!(
        res.header("cache-control")
            .is_some_and(|c| c.contains("public")),
        "{:?}",
        res.header("cache-control")
    );
    let etag = res.header("etag").expect("etag").to_owned();
    let again = app
        .send(
            app.request(
                Method::GET,
                &format!("/api/v1/changes?since={}", latest - 1),
            )
            .insert_header(("If-None-Match", etag)),
        )
        .await;
    assert_eq!(again.status, 304);
    assert_eq!(
        doc["links"]["next"],
        format!("/api/v1/changes?since={latest}")
    );
}

#[actix_web::test]
async fn a_write_that_began_before_an_announcement_does_not_announce_again() {
    let app = TestApp::spawn_with(|c| c.dispatch_interval_ms = 20).await;
    let writer = app.token(&["content:write"]);
    let start = start_position(&app).await;
    let at = chrono::Utc::now() + chrono::Duration::milliseconds(1500);
    let res = app
        .put_article(&writer, "soon", &json!({"title": "Soon", "body_markdown": "x", "status": "published", "published_at": at}))
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    // An operator's transaction begins before the article's time and writes to it after the announcement.
    let mut operator = app.db();
    operator.batch_execute("BEGIN; SELECT 1").expect("begin");
    let deadline = Instant::now() + Duration::from_secs(10);
    while walk(&app, start, 100, None).await.0.is_empty() {
        assert!(Instant::now() < deadline, "never announced");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    operator
        .batch_execute("UPDATE articles SET featured = true, version = version + 1 WHERE slug = 'soon'; COMMIT")
        .expect("update");
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let (entries, _) = walk(&app, start, 100, None).await;
    assert_eq!(
        kinds(&entries),
        ["article.published soon", "article.updated soon"]
    );
    let times: Vec<&str> = entries
        .iter()
        .map(|e| e["at"].as_str().expect("at"))
        .collect();
    let parsed: Vec<chrono::DateTime<chrono::Utc>> =
        times.iter().map(|t| t.parse().expect("time")).collect();
    assert!(
        parsed[0] <= parsed[1],
        "times grow with positions: {times:?}"
    );
}
