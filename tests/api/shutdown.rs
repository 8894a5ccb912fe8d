//! SIGTERM lets in-flight requests finish, then the process exits 0.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{create_database, database_url, drop_database};

#[actix_web::test]
async fn sigterm_during_a_slow_request_lets_it_finish_then_exits_zero() {
    let name = create_database(true);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let mut child = Command::new(env!("CARGO_BIN_EXE_folio"))
        .arg("serve")
        .env("DATABASE_URL", database_url(&name))
        .env("FOLIO_BIND", format!("127.0.0.1:{port}"))
        .env("FOLIO_WORKERS", "1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn folio serve");
    let base = format!("http://127.0.0.1:{port}");
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();
    let mut up = false;
    for _ in 0..100 {
        if client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            up = true;
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "server did not come up");

    let mut conn =
        <diesel::PgConnection as diesel::Connection>::establish(&database_url(&name)).expect("db");
    let (_, secret) = folio::store::tokens::issue(
        &mut conn,
        "t",
        &[folio::domain::scope::Scope::ContentWrite],
        None,
    )
    .expect("token");

    // A raw connection, so the request is certainly in flight (headers and part of the body sent) when the
    // signal arrives; the rest of the body follows after it.
    let pid = nix::unistd::Pid::from_raw(i32::try_from(child.id()).expect("pid"));
    let response = actix_web::rt::task::spawn_blocking(move || {
        use std::io::{Read, Write};
        let body =
            br#"{"title": "Slow", "body_markdown": "arrives slowly", "status": "published"}"#;
        let head = format!(
            "PUT /api/v1/articles/slow HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {secret}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.write_all(head.as_bytes()).expect("head");
        stream.write_all(&body[..10]).expect("first part");
        std::thread::sleep(Duration::from_millis(300));
        nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
        std::thread::sleep(Duration::from_millis(700));
        stream
            .write_all(&body[10..])
            .expect("rest of the body after SIGTERM");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("response");
        response
    })
    .await
    .expect("join");
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");

    let status = actix_web::rt::task::spawn_blocking(move || child.wait())
        .await
        .expect("join")
        .expect("wait");
    assert!(status.success(), "exit status {status:?}");
    assert!(
        client.get(format!("{base}/healthz")).send().await.is_err(),
        "no longer listening"
    );
    let count: i64 = diesel::RunQueryDsl::get_result(
        diesel::dsl::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
            "(SELECT count(*) FROM articles)",
        )),
        &mut conn,
    )
    .expect("count");
    assert_eq!(count, 1);
    drop(conn);
    drop_database(&name);
}
