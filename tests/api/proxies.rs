//! Behind a load balancer: forwarding headers name the client only when a trusted proxy sent them, and the
//! per-address limits key on that client.

use actix_web::http::Method;

use crate::helpers::{bearer, Response, TestApp};

/// A request with a bad token, as forwarded for `client` (when given).
async fn bad_token_from(app: &TestApp, forwarded_for: Option<&str>) -> Response {
    let mut req = bearer(
        app.request(Method::GET, "/api/v1/articles"),
        "folio_not-a-real-token",
    );
    if let Some(chain) = forwarded_for {
        req = req.insert_header(("X-Forwarded-For", chain.to_owned()));
    }
    app.send(req).await
}

#[actix_web::test]
async fn without_trusted_proxies_forwarding_headers_are_ignored() {
    let app = TestApp::spawn_with(|c| c.auth_failures_per_minute = 3).await;
    for i in 0..3 {
        let res = bad_token_from(&app, Some(&format!("203.0.113.{i}"))).await;
        res.problem(401, "/problems/unauthorized");
    }
    // Claiming yet another address changes nothing: the peer (127.0.0.1) is the client, and it is over.
    let res = bad_token_from(&app, Some("198.51.100.77")).await;
    res.problem(429, "/problems/rate-limited");
    assert!(res.header("retry-after").is_some());
}

#[actix_web::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let app = TestApp::spawn_with(|c| {
        c.auth_failures_per_minute = 3;
        c.trusted_proxies = vec!["127.0.0.1/32".parse().expect("net")];
    })
    .await;
    for _ in 0..3 {
        bad_token_from(&app, Some("203.0.113.1"))
            .await
            .problem(401, "/problems/unauthorized");
    }
    bad_token_from(&app, Some("203.0.113.1"))
        .await
        .problem(429, "/problems/rate-limited");
    // Another client behind the same proxy is not locked out by the first one's failures.
    bad_token_from(&app, Some("203.0.113.2"))
        .await
        .problem(401, "/problems/unauthorized");
    // A client cannot escape by prepending addresses: the hop the proxy appended (rightmost) is the client.
    bad_token_from(&app, Some("6.6.6.6, 203.0.113.1"))
        .await
        .problem(429, "/problems/rate-limited");
    // The same through RFC 7239's header.
    let req = bearer(
        app.request(Method::GET, "/api/v1/articles"),
        "folio_not-a-real-token",
    )
    .insert_header(("Forwarded", "for=203.0.113.1;proto=https"));
    app.send(req).await.problem(429, "/problems/rate-limited");
    // Requests the proxy sent without forwarding headers are the proxy's own.
    assert_eq!(app.get("/api/v1/articles").await.status, 200);
}
