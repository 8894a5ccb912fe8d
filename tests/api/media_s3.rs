//! Uploaded files in an S3-compatible object store, shared by two `folio serve` processes: a real local S3
//! server (moto's, from PyPI: `pip install 'moto[server]'`) speaking the S3 REST protocol, to which Folio's
//! store sends SigV4-signed requests with path-style addressing.
//!
//! What this does not prove: that the signatures are right (moto does not verify them by default), AWS itself (its consistency, IAM policies, regions, virtual-hosted bucket names),
//! other S3-compatible products (MinIO, R2, Ceph) beyond the protocol moto implements, TLS to the store, or
//! multipart uploads (each file is one `PutObject`; the largest upload, 20 MiB by default, fits one).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::helpers::{create_database, database_url, drop_database};
use crate::media::png;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// Kills the process when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_up(client: &awc::Client, url: &str) {
    for _ in 0..200 {
        if client.get(url).send().await.is_ok() {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{url} did not come up");
}

fn folio(database: &str, s3: &str, port: u16) -> Killed {
    Killed(
        Command::new(env!("CARGO_BIN_EXE_folio"))
            .arg("serve")
            .env("DATABASE_URL", database)
            .env("FOLIO_BIND", format!("127.0.0.1:{port}"))
            .env("FOLIO_WORKERS", "1")
            .env("FOLIO_AUTO_MIGRATE", "false")
            .env("FOLIO_DISPATCH", "false")
            .env("FOLIO_MEDIA_STORE", "s3://folio-media/site")
            .env("AWS_ACCESS_KEY_ID", "folio-test")
            .env("AWS_SECRET_ACCESS_KEY", "folio-test-secret")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT", s3)
            .env("AWS_ALLOW_HTTP", "true")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn folio serve"),
    )
}

/// The object keys under `prefix` in the bucket, as the S3 server lists them.
async fn keys(client: &awc::Client, s3: &str, prefix: &str) -> Vec<String> {
    let mut res = client
        .get(format!("{s3}/folio-media?list-type=2&prefix={prefix}"))
        .send()
        .await
        .expect("list objects");
    let body = res.body().await.expect("listing");
    let text = String::from_utf8_lossy(&body).to_string();
    text.split("<Key>")
        .skip(1)
        .filter_map(|k| k.split("</Key>").next().map(str::to_owned))
        .collect()
}

#[actix_web::test]
async fn two_instances_share_files_in_an_s3_store() {
    let moto = which("moto_server").unwrap_or_else(|| {
        panic!("this test needs moto's S3 server: pip install 'moto[server]' (CI installs it)")
    });
    let s3_port = free_port();
    let _moto = Killed(
        Command::new(moto)
            .args(["-H", "127.0.0.1", "-p", &s3_port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn moto_server"),
    );
    let s3 = format!("http://127.0.0.1:{s3_port}");
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(30))
        .finish();
    wait_up(&client, &s3).await;
    let created = client
        .put(format!("{s3}/folio-media"))
        .send()
        .await
        .expect("create bucket");
    assert!(created.status().is_success(), "{}", created.status());

    let name = create_database(true);
    let url = database_url(&name);
    let (port_a, port_b) = (free_port(), free_port());
    let _a = folio(&url, &s3, port_a);
    let _b = folio(&url, &s3, port_b);
    let (a, b) = (
        format!("http://127.0.0.1:{port_a}"),
        format!("http://127.0.0.1:{port_b}"),
    );
    wait_up(&client, &format!("{a}/healthz")).await;
    wait_up(&client, &format!("{b}/healthz")).await;
    let mut conn = <diesel::PgConnection as diesel::Connection>::establish(&url).expect("db");
    let (_, secret) = folio::store::tokens::issue(
        &mut conn,
        "t",
        &[folio::domain::scope::Scope::ContentWrite],
        None,
    )
    .expect("token");

    // Upload through A.
    let bytes = png(1000, 500);
    let hash = folio::domain::media::hash(&bytes);
    let mut res = client
        .post(format!("{a}/api/v1/media"))
        .insert_header(("Authorization", format!("Bearer {secret}")))
        .insert_header(("Content-Type", "image/png"))
        .send_body(bytes.clone())
        .await
        .expect("upload");
    let body = res.body().await.expect("body");
    assert_eq!(res.status(), 201, "{}", String::from_utf8_lossy(&body));
    let doc: serde_json::Value = serde_json::from_slice(&body).expect("json");
    let id = doc["id"].as_str().expect("id").to_owned();

    // In the bucket, under the prefix: the original and four variants.
    let mut stored = keys(&client, &s3, "site/").await;
    stored.sort();
    let expected: Vec<String> = [
        "480w.png",
        "480w.webp",
        "960w.png",
        "960w.webp",
        "original.png",
    ]
    .iter()
    .map(|f| format!("site/{hash}/{f}"))
    .collect();
    assert_eq!(stored, expected);

    // Served by B, which never saw the upload: whole, and a range.
    let mut whole = client
        .get(format!("{b}/media/{hash}/original.png"))
        .send()
        .await
        .expect("get");
    assert_eq!(whole.status(), 200);
    assert_eq!(
        whole
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("public, max-age=31536000, immutable")
    );
    let served = whole.body().limit(64 << 20).await.expect("file");
    assert_eq!(served.len() as i64, doc["bytes"].as_i64().expect("bytes"));
    assert!(image::load_from_memory(&served).is_ok());
    let mut part = client
        .get(format!("{b}/media/{hash}/original.png"))
        .insert_header(("Range", "bytes=8-15"))
        .send()
        .await
        .expect("range");
    assert_eq!(part.status(), 206);
    assert_eq!(part.body().await.expect("part"), served[8..16]);
    let missing = client
        .get(format!("{b}/media/{hash}/123w.png"))
        .send()
        .await
        .expect("missing");
    assert_eq!(missing.status(), 404);

    // The same bytes through B: the same file.
    let again = client
        .post(format!("{b}/api/v1/media"))
        .insert_header(("Authorization", format!("Bearer {secret}")))
        .insert_header(("Content-Type", "application/octet-stream"))
        .send_body(bytes)
        .await
        .expect("upload again");
    assert_eq!(again.status(), 200);

    // Deleted through B: gone from the bucket, and from A.
    let deleted = client
        .delete(format!("{b}/api/v1/media/{id}"))
        .insert_header(("Authorization", format!("Bearer {secret}")))
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), 204);
    assert_eq!(keys(&client, &s3, "site/").await, Vec::<String>::new());
    let gone = client
        .get(format!("{a}/media/{hash}/original.png"))
        .send()
        .await
        .expect("gone");
    assert_eq!(gone.status(), 404);

    drop((_a, _b));
    drop(conn);
    drop_database(&name);
}

fn which(program: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(program))
            .find(|p| p.is_file())
    })
}
