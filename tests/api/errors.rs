use actix_web::http::Method;

use crate::helpers::TestApp;

#[actix_web::test]
async fn unknown_route_is_a_404_problem() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/nothing-here").await;
    let doc = res.problem(404, "/problems/not-found");
    assert!(doc["detail"]
        .as_str()
        .unwrap_or_default()
        .contains("/api/v1/nothing-here"));
    assert!(doc.get("errors").is_none());
}

#[actix_web::test]
async fn wrong_method_is_a_405_problem_with_allow() {
    let app = TestApp::spawn().await;
    let res = app.send(app.request(Method::DELETE, "/healthz")).await;
    res.problem(405, "/problems/method-not-allowed");
    let allow = res.header("allow").expect("Allow header");
    assert!(allow.split(", ").any(|m| m == "GET"), "{allow}");
    assert!(!allow.split(", ").any(|m| m == "DELETE"), "{allow}");
}
