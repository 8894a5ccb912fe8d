use crate::helpers::{create_database, database_url, drop_database, TestApp};
use folio::config::Config;

#[actix_web::test]
async fn healthz_answers_without_touching_the_database() {
    // A database that does not exist: liveness must not care.
    let config = Config {
        auto_migrate: false,
        ..Config::for_database("postgres://postgres@127.0.0.1:1/nowhere")
    };
    let app = TestApp::start(config, None).await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.json(), serde_json::json!({"status": "ok"}));
}

#[actix_web::test]
async fn readyz_is_ready_on_a_migrated_database() {
    let app = TestApp::spawn().await;
    let res = app.get("/readyz").await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json(), serde_json::json!({"status": "ready"}));
}

#[actix_web::test]
async fn readyz_is_503_while_the_database_is_unreachable() {
    // Nothing listens on port 1: every connection is refused, as when PostgreSQL is down.
    let config = Config {
        auto_migrate: false,
        ..Config::for_database("postgres://postgres@127.0.0.1:1/nowhere")
    };
    let app = TestApp::start(config, None).await;
    let started = std::time::Instant::now();
    let res = app.get("/readyz").await;
    let doc = res.problem(503, "/problems/unavailable");
    assert!(
        res.header("retry-after")
            .is_some_and(|v| v.parse::<u32>().is_ok()),
        "Retry-After"
    );
    assert!(
        doc["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("database"),
        "{doc}"
    );
    // Fails fast rather than hanging on the pool: the bound is the pool's connection timeout plus slack.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

#[actix_web::test]
async fn readyz_is_503_while_a_migration_is_pending() {
    let name = create_database(false);
    let config = Config {
        auto_migrate: false,
        ..Config::for_database(&database_url(&name))
    };
    let app = TestApp::start(config, Some(name.clone())).await;
    let res = app.get("/readyz").await;
    let doc = res.problem(503, "/problems/unavailable");
    assert!(
        doc["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("migrat"),
        "{doc}"
    );

    // Applying the migrations makes the very same process ready, with no restart.
    let mut conn = app.db();
    folio::db::migrate(&mut conn).expect("migrate");
    drop(conn);
    assert_eq!(app.get("/readyz").await.status, 200);
    drop(app);
    drop_database(&name);
}

#[actix_web::test]
async fn docs_page_is_served_by_the_binary() {
    let app = TestApp::spawn().await;
    let res = app.get("/docs").await;
    assert!(res.status.is_redirection(), "{}", res.status);
    assert_eq!(res.header("location"), Some("/docs/"));
    let page = app.get("/docs/").await;
    assert_eq!(page.status, 200);
    assert!(
        page.text().contains("swagger-ui"),
        "interactive reference page"
    );
    let init = app.get("/docs/swagger-initializer.js").await;
    assert_eq!(init.status, 200);
    assert!(
        init.text().contains("/openapi.json"),
        "the page loads Folio's own document"
    );
}
