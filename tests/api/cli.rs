//! The command line and the example publisher, run as a user would run them.

use std::process::Command;

use actix_web::http::Method;

use crate::helpers::{bearer, slugs, TestApp};

fn folio(app: &TestApp, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_folio"))
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run folio")
}

#[actix_web::test]
async fn token_create_prints_the_secret_alone_on_the_first_line_then_list_and_revoke() {
    let app = TestApp::spawn().await;
    let out = folio(
        &app,
        &[
            "token",
            "create",
            "--name",
            "ci",
            "--scope",
            "content:write",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let secret = stdout.lines().next().unwrap_or_default().to_owned();
    assert!(
        secret.starts_with("folio_") && !secret.contains(' '),
        "{stdout}"
    );
    let res = app
        .send(bearer(
            app.request(Method::GET, "/api/v1/articles?status=draft"),
            &secret,
        ))
        .await;
    assert_eq!(res.status, 200, "the printed secret works");

    let list = folio(&app, &["token", "list"]);
    let listed = String::from_utf8_lossy(&list.stdout).into_owned();
    assert!(listed.contains("\tci\tcontent:write"), "{listed}");
    assert!(!listed.contains(&secret));
    let id = listed.split('\t').next().unwrap_or_default().to_owned();
    assert!(folio(&app, &["token", "revoke", &id]).status.success());
    let res = app
        .send(bearer(
            app.request(Method::GET, "/api/v1/articles?status=draft"),
            &secret,
        ))
        .await;
    assert_eq!(res.status, 401);
    assert!(
        !folio(&app, &["token", "revoke", &id]).status.success(),
        "revoking twice fails"
    );
    assert!(
        !folio(&app, &["token", "create", "--name", "x", "--scope", "root"])
            .status
            .success()
    );
}

#[actix_web::test]
async fn seed_demo_loads_a_blog_and_a_second_run_changes_nothing() {
    let app = TestApp::spawn().await;
    let first = folio(&app, &["seed", "--demo"]);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&first.stdout).trim(),
        "demo blog: 12 created, 0 updated, 0 unchanged"
    );
    let second = folio(&app, &["seed", "--demo"]);
    assert_eq!(
        String::from_utf8_lossy(&second.stdout).trim(),
        "demo blog: 0 created, 0 updated, 12 unchanged"
    );
    let listing = app.get("/api/v1/articles").await.json();
    assert_eq!(listing["meta"]["pagination"]["total"], 12);
    assert_eq!(
        app.get("/api/v1/featured").await.json()["meta"]["pagination"]["total"],
        2
    );
    assert!(
        app.get("/api/v1/tags").await.json()["meta"]["pagination"]["total"].as_i64() >= Some(4)
    );
}

#[actix_web::test]
async fn the_curl_publisher_is_idempotent() {
    let app = TestApp::spawn().await;
    let token = app.token(&["content:write"]);
    let content = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/content");
    let (url, secret) = (app.url(""), token.clone());
    let run = move || {
        Command::new("bash")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/publish.sh"))
            .arg(content)
            .env("FOLIO_URL", &url)
            .env("FOLIO_TOKEN", &secret)
            .output()
            .expect("run publish.sh")
    };
    // The script's requests go to the server running on this test's runtime: run it off that thread.
    let first = actix_web::rt::task::spawn_blocking(run.clone())
        .await
        .expect("join");
    assert!(
        first.status.success(),
        "{}{}",
        String::from_utf8_lossy(&first.stdout),
        String::from_utf8_lossy(&first.stderr)
    );
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(
        out.contains("articles: 3 created, 0 updated, 0 unchanged")
            && out.contains("pages: 1 created, 0 updated, 0 unchanged")
            && out.contains("media: 2 uploaded, 0 already stored"),
        "{out}"
    );
    // The images beside the Markdown were uploaded, and the article links the served copies, sized.
    let article = app.get("/api/v1/articles/hello-world").await.json();
    let cover = article["cover_image"]["url"]
        .as_str()
        .expect("cover url")
        .to_owned();
    let cover_bytes = std::fs::read(format!("{content}/images/cover.png")).expect("cover");
    assert_eq!(
        TestApp::served_path(&cover),
        format!(
            "/media/{}/original.png",
            folio::domain::media::hash(&cover_bytes)
        )
    );
    assert_eq!(app.get(&TestApp::served_path(&cover)).await.status, 200);
    let diagram = folio::domain::media::hash(
        &std::fs::read(format!("{content}/images/diagram.png")).expect("diagram"),
    );
    let html = article["body_html"].as_str().unwrap_or_default();
    assert!(
        html.contains(&format!(
            "/media/{diagram}/original.png\" alt=\"How a push becomes a post"
        )) && html.contains("width=\"1400\" height=\"700\" loading=\"lazy\"")
            && html.contains(&format!("/media/{diagram}/960w.png 960w")),
        "{html}"
    );
    assert!(!html.contains("./images/"), "{html}");
    let before = app
        .send(bearer(
            app.request(Method::GET, "/api/v1/articles?status=any&sort=title"),
            &token,
        ))
        .await
        .json();

    let second = actix_web::rt::task::spawn_blocking(run)
        .await
        .expect("join");
    assert!(second.status.success());
    assert!(
        String::from_utf8_lossy(&second.stdout)
            .contains("articles: 0 created, 0 updated, 3 unchanged\n")
            && String::from_utf8_lossy(&second.stdout)
                .contains("pages: 0 created, 0 updated, 1 unchanged")
            && String::from_utf8_lossy(&second.stdout)
                .contains("media: 0 uploaded, 2 already stored"),
        "{}",
        String::from_utf8_lossy(&second.stdout)
    );
    let after = app
        .send(bearer(
            app.request(Method::GET, "/api/v1/articles?status=any&sort=title"),
            &token,
        ))
        .await
        .json();
    assert_eq!(
        before["data"], after["data"],
        "versions and updated_at are untouched"
    );
    assert_eq!(
        slugs(&app.get("/api/v1/articles").await.json()),
        ["keyset-pagination", "hello-world"]
    );
    let about = app.get("/api/v1/pages/about").await;
    assert_eq!(about.status, 200, "{}", about.text());
    assert_eq!(about.json()["version"], 1, "the rerun left the page alone");
}

#[actix_web::test]
async fn token_create_piped_into_head_exits_zero() {
    let app = TestApp::spawn().await;
    let bin = env!("CARGO_BIN_EXE_folio");
    for i in 0..8 {
        let script = format!(
            "set -o pipefail; '{bin}' token create --name piped{i} --scope content:read | head -1"
        );
        let out = Command::new("bash")
            .args(["-c", &script])
            .env("DATABASE_URL", &app.database_url)
            .env("RUST_LOG", "warn")
            .output()
            .expect("run bash");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "run {i}: {:?} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.starts_with("folio_") && stdout.lines().count() == 1,
            "{stdout}"
        );
    }
}

#[actix_web::test]
async fn the_corpus_loads_whole_with_counters_indexes_and_search_vectors_as_a_write_makes_them() {
    use diesel::prelude::*;
    use diesel::sql_types::BigInt;

    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let app = TestApp::spawn().await;
    let count = |sql: &str| -> i64 {
        diesel::sql_query(sql)
            .get_result::<N>(&mut app.db())
            .map(|r| r.n)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    let indexes = "SELECT count(*) AS n FROM pg_indexes WHERE schemaname = 'public'";
    let before = count(indexes);

    let out = folio(&app, &["seed", "--corpus", "1200"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        count(indexes),
        before,
        "every index dropped for the load is back"
    );
    assert_eq!(
        count(
            "SELECT count(*) AS n FROM articles \
             WHERE search IS DISTINCT FROM folio_article_search(title, summary, body_text)"
        ),
        0,
        "the precomputed search vectors are the ones a write derives"
    );
    assert_eq!(
        app.listing("articles", "").await["meta"]["pagination"]["total"],
        1200
    );
    crate::counters::assert_exact(&app, "corpus").await;
    let found = app.listing("articles", "q=%22Article%20777%22").await;
    assert_eq!(
        slugs(&found).first().map(String::as_str),
        Some("article-777")
    );

    assert_eq!(
        count(
            "SELECT count(*) AS n FROM articles WHERE head IS DISTINCT FROM folio_article_head(title, summary)"
        ),
        0,
        "every title and summary vector is the one a write derives"
    );
    assert!(
        count("SELECT count(*) AS n FROM search_words WHERE word IN ('latency', 'article')") == 2
    );

    // 1,200 articles is past the walk threshold (about 1,095): a word on every page is found by walking the
    // timeline, a rare one by the index; both answer the same shapes.
    let common = app
        .listing("articles", "q=latency%20&per_page=5&cursor=")
        .await;
    assert_eq!(slugs(&common).len(), 5);
    assert!(common["data"][0]["highlight"]["body"]
        .as_str()
        .is_some_and(|b| b.contains("<mark>latency</mark>")));
    let next = common["meta"]["pagination"]["next_cursor"]
        .as_str()
        .expect("next cursor")
        .to_owned();
    let second = app
        .listing(
            "articles",
            &format!("q=latency%20&per_page=5&cursor={next}"),
        )
        .await;
    assert_eq!(slugs(&second).len(), 5);
    assert!(slugs(&second).iter().all(|s| !slugs(&common).contains(s)));
    let by_date = app
        .listing("articles", "q=latency%20&sort=-published_at&per_page=2")
        .await;
    assert_eq!(slugs(&by_date), ["article-1199", "article-1198"]);
    assert_eq!(
        app.listing("articles", "q=latency%20&per_page=1").await["meta"]["pagination"]
            ["total_exact"],
        false
    );
    assert!(slugs(&app.listing("articles", "q=latency%20-cache").await).is_empty());
    assert_eq!(
        slugs(&app.listing("articles", "q=latncy%20&per_page=3").await).len(),
        3
    );
    assert_eq!(
        slugs(&app.listing("articles", "q=consis&per_page=3").await).len(),
        3
    );
    assert_eq!(
        slugs(&app.listing("articles", "q=777%20").await),
        ["article-777"]
    );

    let again = folio(&app, &["seed", "--corpus", "10"]);
    assert!(
        !again.status.success(),
        "slugs already taken: nothing loads"
    );
    assert_eq!(count("SELECT count(*) AS n FROM articles"), 1200);
}
