//! The committed `openapi/openapi.json` is byte for byte what the server serves and what `folio openapi` prints.
//! After an intended change: `EXPECTORATE=overwrite cargo test openapi` rewrites the committed copy.

use crate::helpers::TestApp;

#[actix_web::test]
async fn served_document_printed_document_and_committed_copy_agree() {
    let app = TestApp::spawn().await;
    let res = app.get("/openapi.json").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("content-type"), Some("application/json"));
    let served = res.text();

    let printed = std::process::Command::new(env!("CARGO_BIN_EXE_folio"))
        .arg("openapi")
        .env_remove("DATABASE_URL")
        .output()
        .expect("run folio openapi");
    assert!(
        printed.status.success(),
        "{}",
        String::from_utf8_lossy(&printed.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&printed.stdout),
        served,
        "`folio openapi` and /openapi.json differ"
    );

    expectorate::assert_contents("openapi/openapi.json", &served);
}

#[actix_web::test]
async fn every_documented_operation_has_an_id_a_summary_and_responses() {
    let app = TestApp::spawn().await;
    let doc = app.get("/openapi.json").await.json();
    assert_eq!(
        doc["openapi"].as_str().map(|v| v.starts_with("3.1")),
        Some(true)
    );
    let paths = doc["paths"].as_object().expect("paths");
    assert!(
        paths.contains_key("/healthz")
            && paths.contains_key("/readyz")
            && paths.contains_key("/openapi.json")
    );
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            let name = format!("{method} {path}");
            assert!(op["operationId"].is_string(), "{name}: operationId");
            assert!(
                op["summary"].as_str().is_some_and(|s| !s.is_empty()),
                "{name}: summary"
            );
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{name}: a success response"
            );
        }
    }
}
