//! Uploaded files: upload (raw and multipart) and dedupe, every refusal, metadata stripping, variants, serving
//! (immutable, ETag, ranges, nosniff, sandboxed SVG), sized images in articles, delete while used.

use actix_web::http::Method;
use img_parts::ImageEXIF;
use serde_json::{json, Value};

use crate::helpers::{bearer, Response, TestApp};

/// A PNG with a gradient (so that resizing has something to do).
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, ((x + y) % 256) as u8])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode png");
    out
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, 128, (y % 256) as u8])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(img)
        .write_to(
            &mut std::io::Cursor::new(&mut out),
            image::ImageFormat::Jpeg,
        )
        .expect("encode jpeg");
    out
}

/// EXIF (big-endian TIFF) with an orientation and a GPS position: 52° 31' N.
fn exif_with_gps(orientation: u16) -> Vec<u8> {
    let mut t = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    t.extend_from_slice(&2u16.to_be_bytes());
    // Orientation, SHORT, 1.
    t.extend_from_slice(&[0x01, 0x12, 0x00, 0x03, 0, 0, 0, 1]);
    t.extend_from_slice(&orientation.to_be_bytes());
    t.extend_from_slice(&[0, 0]);
    // GPSInfo, LONG, 1: the GPS IFD at 38.
    t.extend_from_slice(&[0x88, 0x25, 0x00, 0x04, 0, 0, 0, 1, 0, 0, 0, 38]);
    t.extend_from_slice(&[0, 0, 0, 0]);
    assert_eq!(t.len(), 38);
    t.extend_from_slice(&2u16.to_be_bytes());
    // GPSLatitudeRef, ASCII, 2: "N".
    t.extend_from_slice(&[0x00, 0x01, 0x00, 0x02, 0, 0, 0, 2, b'N', 0, 0, 0]);
    // GPSLatitude, RATIONAL, 3, at 68.
    t.extend_from_slice(&[0x00, 0x02, 0x00, 0x05, 0, 0, 0, 3, 0, 0, 0, 68]);
    t.extend_from_slice(&[0, 0, 0, 0]);
    assert_eq!(t.len(), 68);
    for (n, d) in [(52u32, 1u32), (31, 1), (0, 1)] {
        t.extend_from_slice(&n.to_be_bytes());
        t.extend_from_slice(&d.to_be_bytes());
    }
    t
}

fn with_exif(jpeg: Vec<u8>, exif: Vec<u8>) -> Vec<u8> {
    let mut file = img_parts::jpeg::Jpeg::from_bytes(jpeg.into()).expect("jpeg parts");
    file.set_exif(Some(exif.into()));
    file.encoder().bytes().to_vec()
}

impl TestApp {
    pub async fn upload(&self, secret: &str, content_type: &str, bytes: Vec<u8>) -> Response {
        self.upload_to("/api/v1/media", secret, content_type, bytes)
            .await
    }

    pub async fn upload_to(
        &self,
        path: &str,
        secret: &str,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Response {
        self.send_bytes(
            bearer(self.request(Method::POST, path), secret),
            content_type,
            bytes,
        )
        .await
    }

    /// The served path of a URL the API gave (`http://host/media/...` → `/media/...`).
    pub fn served_path(url: &str) -> String {
        let at = url.find("/media/").expect("a media URL");
        url[at..].to_owned()
    }
}

fn multipart(fields: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "folio-test-boundary-7c2e";
    let mut body = Vec::new();
    for (name, filename, value) in fields {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        match filename {
            Some(f) => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(value);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[actix_web::test]
async fn an_upload_is_stored_once_with_its_variants() {
    let app = TestApp::spawn().await;
    let writer = app.token(&["content:write"]);
    let bytes = png(1200, 800);
    let first = app
        .upload_to(
            "/api/v1/media?alt=A%20diagram&filename=saga.png",
            &writer,
            "application/octet-stream",
            bytes.clone(),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text());
    let doc = first.json();
    let id = doc["id"].as_str().expect("id").to_owned();
    assert_eq!(
        first.header("location"),
        Some(format!("/api/v1/media/{id}").as_str())
    );
    assert_eq!(doc["content_type"], "image/png");
    assert_eq!(
        (doc["width"].as_i64(), doc["height"].as_i64()),
        (Some(1200), Some(800))
    );
    assert_eq!(doc["alt"], "A diagram");
    assert_eq!(doc["filename"], "saga.png");
    let hash = doc["hash"].as_str().expect("hash");
    assert_eq!(hash, folio::domain::media::hash(&bytes));
    assert_eq!(
        doc["url"],
        format!("http://{}/media/{hash}/original.png", app.addr)
    );
    let variants: Vec<(String, String, i64, i64)> = doc["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .map(|v| {
            (
                TestApp::served_path(v["url"].as_str().expect("url")),
                v["content_type"].as_str().expect("type").to_owned(),
                v["width"].as_i64().expect("w"),
                v["height"].as_i64().expect("h"),
            )
        })
        .collect();
    let p = |f: &str| format!("/media/{hash}/{f}");
    assert_eq!(
        variants,
        vec![
            (p("480w.png"), "image/png".into(), 480, 320),
            (p("480w.webp"), "image/webp".into(), 480, 320),
            (p("960w.png"), "image/png".into(), 960, 640),
            (p("960w.webp"), "image/webp".into(), 960, 640),
        ]
    );
    // Each variant is served, decodes, and has the dimensions the object lists.
    for (path, content_type, w, h) in &variants {
        let served = app.get(path).await;
        assert_eq!(served.status, 200, "{path}");
        assert_eq!(served.header("content-type"), Some(content_type.as_str()));
        let decoded = image::load_from_memory(&served.body).expect("decodes");
        assert_eq!(
            (decoded.width() as i64, decoded.height() as i64),
            (*w, *h),
            "{path}"
        );
        let listed = doc["variants"]
            .as_array()
            .and_then(|vs| {
                vs.iter().find(|v| {
                    v["url"]
                        .as_str()
                        .is_some_and(|u| u.ends_with(path.as_str()))
                })
            })
            .expect("listed");
        assert_eq!(listed["bytes"].as_u64(), Some(served.body.len() as u64));
    }

    // The same bytes again, by multipart this time: the same file, 200, nothing new.
    let (content_type, body) = multipart(&[
        ("file", Some("other-name.png"), &bytes),
        ("alt", None, b"ignored"),
    ]);
    let again = app.upload(&writer, &content_type, body).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["id"], id.as_str());
    assert_eq!(again.json()["alt"], "A diagram");
    let listed = app.call(Method::GET, "/api/v1/media", &writer, None).await;
    assert_eq!(listed.status, 200, "{}", listed.text());
    assert_eq!(listed.json()["meta"]["pagination"]["total"], 1);
    assert_eq!(listed.json()["data"][0]["id"], id.as_str());
    let by_hash = app
        .call(
            Method::GET,
            &format!("/api/v1/media?hash={hash}"),
            &writer,
            None,
        )
        .await;
    assert_eq!(by_hash.json()["data"][0]["id"], id.as_str());
    let none = app
        .call(
            Method::GET,
            &format!("/api/v1/media?hash={}", "0".repeat(64)),
            &writer,
            None,
        )
        .await;
    assert_eq!(none.json()["data"], json!([]));
    app.call(Method::GET, "/api/v1/media?hash=ABC", &writer, None)
        .await
        .problem(400, "/problems/bad-request");

    // A multipart upload takes the query's alt text when its form has none.
    let (content_type, body) = multipart(&[("file", Some("small.png"), &png(10, 10))]);
    let small = app
        .upload_to(
            "/api/v1/media?alt=From%20the%20query",
            &writer,
            &content_type,
            body,
        )
        .await;
    assert_eq!(small.status, 201, "{}", small.text());
    assert_eq!(small.json()["alt"], "From the query");
    assert_eq!(small.json()["filename"], "small.png");

    // Read and alt text.
    let reader = app.token(&["content:read"]);
    let read = app
        .call(Method::GET, &format!("/api/v1/media/{id}"), &reader, None)
        .await;
    assert_eq!(read.json(), doc);
    let patched = app
        .call(
            Method::PATCH,
            &format!("/api/v1/media/{id}"),
            &writer,
            Some(&json!({"alt": "Saga, step by step"})),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text());
    assert_eq!(patched.json()["alt"], "Saga, step by step");
    // A merge patch without `alt` changes nothing; `null` clears it.
    let untouched = app
        .call(
            Method::PATCH,
            &format!("/api/v1/media/{id}"),
            &writer,
            Some(&json!({})),
        )
        .await;
    assert_eq!(untouched.json()["alt"], "Saga, step by step");
    let cleared = app
        .call(
            Method::PATCH,
            &format!("/api/v1/media/{id}"),
            &writer,
            Some(&json!({"alt": null})),
        )
        .await;
    assert_eq!(cleared.json()["alt"], Value::Null);
    app.call(
        Method::PATCH,
        &format!("/api/v1/media/{id}"),
        &writer,
        Some(&json!({"alt": "x", "width": 3})),
    )
    .await
    .problem(422, "/problems/validation");
    app.call(
        Method::GET,
        "/api/v1/media/00000000-0000-0000-0000-000000000000",
        &reader,
        None,
    )
    .await
    .problem(404, "/problems/not-found");
    app.call(Method::GET, "/api/v1/media/not-a-uuid", &reader, None)
        .await
        .problem(404, "/problems/not-found");

    // Tokens and scopes.
    app.get("/api/v1/media")
        .await
        .problem(401, "/problems/unauthorized");
    app.upload(&reader, "image/png", bytes.clone())
        .await
        .problem(403, "/problems/forbidden");
    let anonymous = app
        .send_bytes(
            app.request(Method::POST, "/api/v1/media"),
            "image/png",
            bytes,
        )
        .await;
    anonymous.problem(401, "/problems/unauthorized");
}

#[actix_web::test]
async fn every_refusal_names_its_reason() {
    let app = TestApp::spawn_with(|c| {
        c.media_max_bytes = 200_000;
        c.media_max_dimension = 4000;
    })
    .await;
    let writer = app.token(&["content:write"]);

    // A Windows executable renamed to .png and sent as image/png.
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00".to_vec();
    exe.extend_from_slice(&[0u8; 64]);
    exe[0x3c] = 0x40;
    exe.extend_from_slice(b"PE\0\0");
    let refused = app
        .upload_to(
            "/api/v1/media?filename=photo.png",
            &writer,
            "image/png",
            exe,
        )
        .await;
    let doc = refused.problem(415, "/problems/unsupported-media-type");
    assert!(
        doc["detail"]
            .as_str()
            .is_some_and(|d| d.contains("image/png, ")),
        "{doc}"
    );

    // A 1×1 PNG whose header declares 100,000 × 100,000 pixels: refused from the header.
    let mut bomb = png(1, 1);
    bomb[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32fast::hash(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    let doc = app
        .upload(&writer, "image/png", bomb)
        .await
        .problem(422, "/problems/validation");
    assert_eq!(doc["errors"][0]["field"], "file");
    assert_eq!(doc["errors"][0]["code"], "dimensions");
    let message = doc["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("100000 × 100000") && message.contains("FOLIO_MEDIA_MAX_DIMENSION"),
        "{doc}"
    );

    // Polyglots: a PNG with a ZIP archive after its end; a GIF header followed by script.
    let mut appended = png(4, 4);
    appended.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x08\x00 evil.html");
    let doc = app
        .upload(&writer, "image/png", appended)
        .await
        .problem(422, "/problems/validation");
    assert_eq!(doc["errors"][0]["code"], "polyglot", "{doc}");
    let gifar =
        b"GIF89a/*\x01\x00\x00\x00\x00*/=1;<script>alert(document.domain)</script>".to_vec();
    let doc = app
        .upload(&writer, "image/gif", gifar)
        .await
        .problem(422, "/problems/validation");
    assert_eq!(doc["errors"][0]["code"], "polyglot", "{doc}");

    // A truncated image: looks like a PNG, does not decode.
    let mut truncated = png(300, 200);
    truncated.truncate(truncated.len() / 2);
    let doc = app
        .upload(&writer, "image/png", truncated)
        .await
        .problem(422, "/problems/validation");
    assert_eq!(doc["errors"][0]["code"], "unreadable", "{doc}");

    // Over the byte limit: 413 naming it.
    let big = vec![0u8; 200_001];
    let doc = app
        .upload(&writer, "image/png", big)
        .await
        .problem(413, "/problems/payload-too-large");
    assert!(
        doc["detail"]
            .as_str()
            .is_some_and(|d| d.contains("200000") && d.contains("FOLIO_MEDIA_MAX_BYTES")),
        "{doc}"
    );
    let (ct, body) = multipart(&[("file", Some("big.png"), &vec![7u8; 200_001])]);
    app.upload(&writer, &ct, body)
        .await
        .problem(413, "/problems/payload-too-large");

    // Wider than the dimension limit though well formed.
    let doc = app
        .upload(&writer, "image/png", png(4001, 1))
        .await
        .problem(422, "/problems/validation");
    assert_eq!(doc["errors"][0]["code"], "dimensions", "{doc}");

    // Empty, no file part, unknown part, unknown parameter, bad multipart.
    app.upload(&writer, "image/png", Vec::new())
        .await
        .problem(422, "/problems/validation");
    let (ct, body) = multipart(&[("alt", None, b"only alt")]);
    let doc = app
        .upload(&writer, &ct, body)
        .await
        .problem(422, "/problems/validation");
    assert_eq!(doc["errors"][0]["field"], "file");
    let (ct, body) = multipart(&[("file", Some("a.png"), &png(2, 2)), ("caption", None, b"x")]);
    let doc = app
        .upload(&writer, &ct, body)
        .await
        .problem(422, "/problems/validation");
    assert_eq!(doc["errors"][0]["field"], "caption");
    app.upload_to("/api/v1/media?colour=red", &writer, "image/png", png(2, 2))
        .await
        .problem(400, "/problems/bad-request");
    app.upload(
        &writer,
        "multipart/form-data; boundary=x",
        b"not multipart".to_vec(),
    )
    .await
    .problem(400, "/problems/bad-request");
    let long_alt = format!("/api/v1/media?alt={}", "a".repeat(1001));
    let doc = app
        .upload_to(&long_alt, &writer, "image/png", png(2, 2))
        .await
        .problem(422, "/problems/validation");
    assert_eq!(doc["errors"][0]["field"], "alt");

    // Nothing refused was stored.
    let listed = app.call(Method::GET, "/api/v1/media", &writer, None).await;
    assert_eq!(listed.json()["meta"]["pagination"]["total"], 0);
    let stored: Vec<_> = std::fs::read_dir(app.media_dir.as_ref().expect("local"))
        .expect("media dir")
        .collect();
    assert!(stored.is_empty(), "{stored:?}");
}

#[actix_web::test]
async fn exif_and_gps_are_stripped_and_the_photo_turned_upright() {
    let app = TestApp::spawn_with(|c| c.media_widths = vec![200]).await;
    let writer = app.token(&["content:write"]);
    // Stored 600 wide and 400 tall, to be shown rotated a quarter turn (orientation 6).
    let photo = with_exif(jpeg(600, 400), exif_with_gps(6));
    let parts = img_parts::jpeg::Jpeg::from_bytes(photo.clone().into()).expect("parts");
    assert!(parts.exif().is_some(), "the upload carries EXIF");
    assert!(
        photo.windows(4).any(|w| w == b"\x88\x25\x00\x04"),
        "and a GPS pointer"
    );

    let uploaded = app.upload(&writer, "image/jpeg", photo).await;
    assert_eq!(uploaded.status, 201, "{}", uploaded.text());
    let doc = uploaded.json();
    assert_eq!(
        (doc["width"].as_i64(), doc["height"].as_i64()),
        (Some(400), Some(600))
    );
    let urls: Vec<String> = std::iter::once(doc["url"].as_str().expect("url").to_owned())
        .chain(
            doc["variants"]
                .as_array()
                .expect("variants")
                .iter()
                .map(|v| v["url"].as_str().expect("url").to_owned()),
        )
        .collect();
    assert_eq!(
        urls.len(),
        1 + 2,
        "the original, 200w.jpg and 200w.webp: {doc}"
    );
    for url in urls {
        let served = app.get(&TestApp::served_path(&url)).await;
        assert_eq!(served.status, 200);
        assert!(
            !served.body.windows(4).any(|w| w == b"Exif"),
            "{url} has EXIF"
        );
        assert!(
            !served.body.windows(4).any(|w| w == b"\x88\x25\x00\x04"),
            "{url} has GPS"
        );
        if url.ends_with(".jpg") {
            let parts =
                img_parts::jpeg::Jpeg::from_bytes(served.body.clone().into()).expect("parts");
            assert!(parts.exif().is_none(), "{url}");
        }
        let decoded = image::load_from_memory(&served.body).expect("decodes");
        assert!(decoded.height() > decoded.width(), "{url} is upright");
    }
}

#[actix_web::test]
async fn files_are_served_immutable_with_etags_and_ranges() {
    let app = TestApp::spawn().await;
    let writer = app.token(&["content:write"]);
    let doc = app.upload(&writer, "image/png", png(300, 200)).await.json();
    let path = TestApp::served_path(doc["url"].as_str().expect("url"));
    let whole = app.get(&path).await;
    assert_eq!(whole.status, 200);
    assert_eq!(
        whole.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(whole.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(whole.header("content-type"), Some("image/png"));
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    assert!(!whole
        .header("vary")
        .unwrap_or_default()
        .contains("Authorization"));
    assert_eq!(
        whole.body.len() as i64,
        doc["bytes"].as_i64().expect("bytes")
    );
    let etag = whole.header("etag").expect("etag").to_owned();

    // A token changes nothing of a public file's caching.
    let tokened = app
        .send(bearer(app.request(Method::GET, &path), &writer))
        .await;
    assert_eq!(
        tokened.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );

    let conditional = app
        .send(
            app.request(Method::GET, &path)
                .insert_header(("If-None-Match", etag.clone())),
        )
        .await;
    assert_eq!(conditional.status, 304);
    assert!(conditional.body.is_empty());
    assert_eq!(conditional.header("etag"), Some(etag.as_str()));

    let ranged = |range: &'static str| {
        app.request(Method::GET, &path)
            .insert_header(("Range", range))
    };
    let part = app.send(ranged("bytes=0-9")).await;
    assert_eq!(part.status, 206);
    assert_eq!(part.body, whole.body[..10]);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 0-9/{}", whole.body.len()).as_str())
    );
    let tail = app.send(ranged("bytes=-16")).await;
    assert_eq!(tail.status, 206);
    assert_eq!(tail.body, whole.body[whole.body.len() - 16..]);
    let open = app.send(ranged("bytes=100-")).await;
    assert_eq!(open.body, whole.body[100..]);
    let beyond = app.send(ranged("bytes=999999-")).await;
    assert_eq!(beyond.status, 416);
    assert_eq!(
        beyond.header("content-range"),
        Some(format!("bytes */{}", whole.body.len()).as_str())
    );
    // Several ranges, or an If-Range naming another version: the whole file.
    let several = app.send(ranged("bytes=0-1,5-6")).await;
    assert_eq!(
        (several.status.as_u16(), several.body.len()),
        (200, whole.body.len())
    );
    let stale = app
        .send(ranged("bytes=0-9").insert_header(("If-Range", "\"other\"")))
        .await;
    assert_eq!(stale.status, 200);

    let head = app.send(app.request(Method::HEAD, &path)).await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());

    let hash = doc["hash"].as_str().expect("hash");
    app.get(&format!("/media/{hash}/123w.png"))
        .await
        .problem(404, "/problems/not-found");
    app.get(&format!("/media/{hash}/original.html"))
        .await
        .problem(404, "/problems/not-found");
    app.get(&format!("/media/{}/original.png", "0".repeat(64)))
        .await
        .problem(404, "/problems/not-found");
    app.get("/media/..%2F..%2Fetc/passwd")
        .await
        .problem(404, "/problems/not-found");

    // SVG: accepted, served sandboxed and as a download.
    let svg = br#"<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>"#;
    let doc = app.upload(&writer, "image/svg+xml", svg.to_vec()).await;
    assert_eq!(doc.status, 201, "{}", doc.text());
    let doc = doc.json();
    assert_eq!(doc["content_type"], "image/svg+xml");
    assert_eq!(doc["variants"], json!([]));
    let served = app
        .get(&TestApp::served_path(doc["url"].as_str().expect("url")))
        .await;
    assert_eq!(served.header("content-type"), Some("image/svg+xml"));
    assert!(served
        .header("content-security-policy")
        .is_some_and(|c| c.contains("sandbox") && c.contains("default-src 'none'")));
    assert!(served
        .header("content-disposition")
        .is_some_and(|c| c.starts_with("attachment")));
    assert_eq!(served.body, svg);
}

#[actix_web::test]
async fn articles_show_uploaded_images_sized_and_keep_them_from_deletion() {
    let app = TestApp::spawn().await;
    let writer = app.token(&["content:write"]);
    let doc = app
        .upload(&writer, "image/png", png(1200, 800))
        .await
        .json();
    let id = doc["id"].as_str().expect("id").to_owned();
    let url = doc["url"].as_str().expect("url").to_owned();
    let hash = doc["hash"].as_str().expect("hash").to_owned();
    let article = app
        .put_article(
            &writer,
            "sagas",
            &json!({"title": "Sagas", "status": "published",
                    "body_markdown": format!("Intro.\n\n![The saga]({url})\n\n![elsewhere](https://example.com/x.png)\n")}),
        )
        .await;
    assert_eq!(article.status, 201, "{}", article.text());
    let html = article.json()["body_html"]
        .as_str()
        .expect("html")
        .to_owned();
    let base = &url[..url.len() - "original.png".len()];
    assert!(
        html.contains(&format!(
            "<img src=\"{url}\" alt=\"The saga\" width=\"1200\" height=\"800\" loading=\"lazy\" decoding=\"async\" srcset=\"{base}480w.png 480w, {base}960w.png 960w, {base}original.png 1200w\" sizes=\"(max-width: 1200px) 100vw, 1200px\">"
        )),
        "{html}"
    );
    assert!(
        html.contains("<img src=\"https://example.com/x.png\" alt=\"elsewhere\">"),
        "{html}"
    );
    // A page using it as its cover.
    let page = app
        .call(
            Method::PUT,
            "/api/v1/pages/about",
            &writer,
            Some(&json!({"title": "About", "body_markdown": "Hi.", "cover_image": {"url": url}})),
        )
        .await;
    assert_eq!(page.status, 201, "{}", page.text());

    let refused = app
        .call(
            Method::DELETE,
            &format!("/api/v1/media/{id}"),
            &writer,
            None,
        )
        .await;
    let problem = refused.problem(409, "/problems/conflict");
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains("article `sagas`") && detail.contains("page `about`"),
        "{problem}"
    );
    app.call(
        Method::DELETE,
        &format!("/api/v1/media/{id}?force=maybe"),
        &writer,
        None,
    )
    .await
    .problem(400, "/problems/bad-request");

    // Once the article no longer mentions it, only the page is named; forced, it goes.
    let edited = app
        .put_article(
            &writer,
            "sagas",
            &json!({"title": "Sagas", "status": "published", "body_markdown": "No picture now."}),
        )
        .await;
    assert_eq!(edited.status, 200, "{}", edited.text());
    let still = app
        .call(
            Method::DELETE,
            &format!("/api/v1/media/{id}"),
            &writer,
            None,
        )
        .await;
    let problem = still.problem(409, "/problems/conflict");
    assert!(
        !problem["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("sagas"),
        "{problem}"
    );
    let forced = app
        .call(
            Method::DELETE,
            &format!("/api/v1/media/{id}?force=true"),
            &writer,
            None,
        )
        .await;
    assert_eq!(forced.status, 204, "{}", forced.text());
    app.get(&format!("/media/{hash}/original.png"))
        .await
        .problem(404, "/problems/not-found");
    app.get(&format!("/media/{hash}/480w.webp"))
        .await
        .problem(404, "/problems/not-found");
    app.call(
        Method::DELETE,
        &format!("/api/v1/media/{id}"),
        &writer,
        None,
    )
    .await
    .problem(404, "/problems/not-found");
    let left: Vec<_> = std::fs::read_dir(app.media_dir.as_ref().expect("local").join(&hash))
        .map(|d| d.collect())
        .unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[actix_web::test]
async fn an_image_uploaded_after_the_article_is_sized_on_its_next_write() {
    let app = TestApp::spawn().await;
    let writer = app.token(&["content:write"]);
    let bytes = png(800, 600);
    let hash = folio::domain::media::hash(&bytes);
    let body =
        json!({"title": "Later", "body_markdown": format!("![x](/media/{hash}/original.png)")});
    let first: Value = app.put_article(&writer, "later", &body).await.json();
    assert!(
        !first["body_html"]
            .as_str()
            .unwrap_or_default()
            .contains("width="),
        "{first}"
    );
    assert_eq!(app.upload(&writer, "image/png", bytes).await.status, 201);
    let second = app.put_article(&writer, "later", &body).await;
    assert_eq!(second.status, 200, "{}", second.text());
    assert!(
        second.json()["body_html"]
            .as_str()
            .unwrap_or_default()
            .contains("width=\"800\" height=\"600\""),
        "{}",
        second.text()
    );
}

/// A GIF of `frames` frames of `width` × `height`, each a flat colour, looping.
fn gif(width: u16, height: u16, frames: usize) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut out, width, height, &[]).expect("gif");
        encoder.set_repeat(gif::Repeat::Infinite).expect("repeat");
        for i in 0..frames {
            let shade = (i * 60 % 256) as u8;
            let pixels: Vec<u8> = (0..usize::from(width) * usize::from(height))
                .flat_map(|_| [shade, 255 - shade, 128])
                .collect();
            let mut frame = gif::Frame::from_rgb(width, height, &pixels);
            frame.delay = 10;
            encoder.write_frame(&frame).expect("frame");
        }
    }
    out
}

#[actix_web::test]
async fn animations_webp_pdf_and_svg_are_checked_and_served_safely() {
    let app = TestApp::spawn_with(|c| c.media_max_pixels = 2_000).await;
    let writer = app.token(&["content:write"]);

    // An animation within the limit keeps its frames.
    let doc = app.upload(&writer, "image/gif", gif(20, 20, 3)).await;
    assert_eq!(doc.status, 201, "{}", doc.text());
    let doc = doc.json();
    assert_eq!(
        (doc["width"].as_i64(), doc["height"].as_i64()),
        (Some(20), Some(20))
    );
    assert_eq!(doc["variants"], json!([]));
    let served = app
        .get(&TestApp::served_path(doc["url"].as_str().expect("url")))
        .await;
    let frames = gif::DecodeOptions::new()
        .read_info(served.body.as_slice())
        .expect("gif")
        .into_iter()
        .count();
    assert_eq!(frames, 3);
    // Six frames of 400 pixels hold 2,400: more than the limit of 2,000, refused before decoding them.
    let doc = app
        .upload(&writer, "image/gif", gif(20, 20, 6))
        .await
        .problem(422, "/problems/validation");
    assert_eq!(doc["errors"][0]["code"], "dimensions", "{doc}");
    // A frame larger than the canvas (the canvas declares 2 × 2; the frame 40 × 40).
    let mut outside = gif(40, 40, 1);
    outside[6..8].copy_from_slice(&2u16.to_le_bytes());
    outside[8..10].copy_from_slice(&2u16.to_le_bytes());
    let doc = app
        .upload(&writer, "image/gif", outside)
        .await
        .problem(422, "/problems/validation");
    assert_eq!(doc["errors"][0]["code"], "unreadable", "{doc}");

    // WebP with EXIF (GPS) and XMP: served without them.
    let mut webp = Vec::new();
    image::DynamicImage::new_rgb8(30, 20)
        .write_with_encoder(image::codecs::webp::WebPEncoder::new_lossless(&mut webp))
        .expect("webp");
    let mut parts = img_parts::webp::WebP::from_bytes(webp.into()).expect("parts");
    parts.set_exif(Some(exif_with_gps(1).into()));
    parts.chunks_mut().push(img_parts::riff::RiffChunk::new(
        img_parts::webp::CHUNK_XMP,
        img_parts::riff::RiffContent::Data(
            b"<x:xmpmeta><exif:GPSLatitude>52,31N</exif:GPSLatitude></x:xmpmeta>"
                .to_vec()
                .into(),
        ),
    ));
    let webp = parts.encoder().bytes().to_vec();
    assert!(webp.windows(4).any(|w| w == b"EXIF") && webp.windows(4).any(|w| w == b"XMP "));
    let doc = app.upload(&writer, "image/webp", webp).await;
    assert_eq!(doc.status, 201, "{}", doc.text());
    let served = app
        .get(&TestApp::served_path(
            doc.json()["url"].as_str().expect("url"),
        ))
        .await;
    assert_eq!(served.header("content-type"), Some("image/webp"));
    for marker in [&b"EXIF"[..], b"XMP ", b"GPS", b"\x88\x25"] {
        assert!(
            !served.body.windows(marker.len()).any(|w| w == marker),
            "{marker:?} served"
        );
    }
    assert_eq!(
        image::load_from_memory(&served.body)
            .expect("decodes")
            .width(),
        30
    );

    // A PDF: served sandboxed, as a download.
    let pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".to_vec();
    let doc = app
        .upload(&writer, "application/octet-stream", pdf.clone())
        .await
        .json();
    assert_eq!(doc["content_type"], "application/pdf");
    assert_eq!(
        (doc["width"].clone(), doc["height"].clone()),
        (Value::Null, Value::Null)
    );
    let served = app
        .get(&TestApp::served_path(doc["url"].as_str().expect("url")))
        .await;
    assert_eq!(served.header("content-type"), Some("application/pdf"));
    assert!(served
        .header("content-security-policy")
        .is_some_and(|c| c.contains("sandbox")));
    assert!(served
        .header("content-disposition")
        .is_some_and(|c| c.starts_with("attachment")));
    assert_eq!(served.body, pdf);

    // An SVG that starts with a comment is still an SVG.
    let svg = b"<!-- drawn by hand -->\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"4\" height=\"4\"/>".to_vec();
    let doc = app.upload(&writer, "text/plain", svg).await;
    assert_eq!(doc.status, 201, "{}", doc.text());
    assert_eq!(doc.json()["content_type"], "image/svg+xml");
}

#[actix_web::test]
async fn the_same_bytes_store_lost_files_again() {
    let app = TestApp::spawn().await;
    let writer = app.token(&["content:write"]);
    let bytes = png(600, 300);
    let doc = app.upload(&writer, "image/png", bytes.clone()).await.json();
    let hash = doc["hash"].as_str().expect("hash").to_owned();
    // As a delete racing an upload of the same bytes can leave it: the row, and no files.
    std::fs::remove_dir_all(app.media_dir.as_ref().expect("local").join(&hash)).expect("remove");
    app.get(&format!("/media/{hash}/original.png"))
        .await
        .problem(404, "/problems/not-found");
    let again = app.upload(&writer, "image/png", bytes).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(again.json()["id"], doc["id"]);
    assert_eq!(
        app.get(&format!("/media/{hash}/original.png")).await.status,
        200
    );
    assert_eq!(
        app.get(&format!("/media/{hash}/480w.webp")).await.status,
        200
    );
}
