//! `/api/v1/tokens`: admin only; a secret shown once; revocation takes effect at once.

use serde_json::json;

use crate::helpers::TestApp;

#[actix_web::test]
async fn only_admin_tokens_manage_tokens() {
    let app = TestApp::spawn().await;
    let writer = app.token(&["content:write"]);
    app.list_tokens(&writer)
        .await
        .problem(403, "/problems/forbidden");
    app.create_token(&writer, &json!({"name": "x", "scopes": ["admin"]}))
        .await
        .problem(403, "/problems/forbidden");
    let anonymous = app.get("/api/v1/tokens").await;
    anonymous.problem(401, "/problems/unauthorized");
    assert_eq!(anonymous.header("www-authenticate"), Some("Bearer"));
}

#[actix_web::test]
async fn a_secret_is_shown_once_works_at_once_and_stops_when_revoked() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"]);
    let created = app
        .create_token(
            &admin,
            &json!({"name": "ci", "scopes": ["content:write", "content:read"]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    assert_eq!(created.header("cache-control"), Some("private, no-store"));
    let doc = created.json();
    let secret = doc["secret"].as_str().expect("secret").to_owned();
    let id = doc["id"].as_str().expect("id").to_owned();
    assert!(secret.starts_with("folio_"));
    assert_eq!(
        doc["scopes"],
        json!(["content:read", "content:write"]),
        "sorted, without repeats"
    );
    assert_eq!(
        created.header("location"),
        Some(format!("/api/v1/tokens/{id}").as_str())
    );

    let listed = app.list_tokens(&admin).await;
    assert_eq!(listed.status, 200);
    assert!(
        !listed.text().contains(&secret),
        "a listing never shows a secret"
    );
    assert!(listed.json()["data"]
        .as_array()
        .is_some_and(|t| t.iter().any(|t| t["id"] == id.as_str())));

    let write = app
        .put_article(&secret, "x", &json!({"title": "X", "body_markdown": "x"}))
        .await;
    assert_eq!(write.status, 201, "the new token works at once");
    assert_eq!(app.revoke_token(&admin, &id).await.status, 204);
    app.put_article(&secret, "y", &json!({"title": "Y", "body_markdown": "y"}))
        .await
        .problem(401, "/problems/unauthorized");
    app.revoke_token(&admin, &id)
        .await
        .problem(404, "/problems/not-found");
    app.revoke_token(&admin, "not-a-uuid")
        .await
        .problem(404, "/problems/not-found");
}

#[actix_web::test]
async fn bad_token_requests_name_each_field() {
    let app = TestApp::spawn().await;
    let admin = app.token(&["admin"]);
    let cases = [
        (json!({"name": "x", "scopes": []}), "scopes"),
        (json!({"name": "", "scopes": ["admin"]}), "name"),
        (json!({"name": "x", "scopes": ["root"]}), "scopes[0]"),
        (
            json!({"name": "x", "scopes": ["admin"], "expires_at": "2001-01-01T00:00:00Z"}),
            "expires_at",
        ),
        (
            json!({"name": "x", "scopes": ["admin"], "owner": "me"}),
            "owner",
        ),
    ];
    for (body, field) in cases {
        let doc = app
            .create_token(&admin, &body)
            .await
            .problem(422, "/problems/validation");
        assert_eq!(doc["errors"][0]["field"], field, "{body} -> {doc}");
    }
}
