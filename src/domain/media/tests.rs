use super::*;

fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::DynamicImage::new_rgb8(width, height)
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode");
    out
}

fn limits() -> Limits {
    Limits {
        max_dimension: 10_000,
        max_pixels: 40_000_000,
        widths: vec![2, 4],
    }
}

#[test]
fn kinds_are_sniffed_from_the_bytes() {
    assert_eq!(sniff(&png(3, 2)), Ok(Kind::Png));
    assert_eq!(
        sniff(b"<?xml version=\"1.0\"?>\n<!-- x -->\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
        Ok(Kind::Svg)
    );
    let exe = sniff(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff");
    assert!(
        matches!(exe, Err(Refusal::Kind { found: Some(_) })),
        "{exe:?}"
    );
    assert!(matches!(
        sniff(b"hello"),
        Err(Refusal::Kind { found: None })
    ));
    assert!(matches!(
        sniff(b"<html><svg></svg></html>"),
        Err(Refusal::Kind { .. })
    ));
}

#[test]
fn appended_files_and_early_markup_are_polyglots() {
    let mut file = png(2, 2);
    file.extend_from_slice(b"PK\x03\x04 a zip archive");
    assert!(
        matches!(sniff(&file), Err(Refusal::Polyglot(_))),
        "{:?}",
        sniff(&file)
    );
    let mut gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00".to_vec();
    gif.extend_from_slice(b"<script>alert(1)</script>");
    assert!(matches!(sniff(&gif), Err(Refusal::Polyglot(_))));
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n\n";
    assert_eq!(sniff(pdf), Ok(Kind::Pdf));
    let mut appended = pdf.to_vec();
    appended.extend_from_slice(b"PK\x03\x04");
    assert!(matches!(sniff(&appended), Err(Refusal::Polyglot(_))));
}

#[test]
fn declared_dimensions_are_checked_before_decoding() {
    let mut file = png(1, 1);
    // IHDR's width and height, then its CRC (the decoder checks it).
    file[16..20].copy_from_slice(&100_000u32.to_be_bytes());
    file[20..24].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32fast::hash(&file[12..29]);
    file[29..33].copy_from_slice(&crc.to_be_bytes());
    let refused = raster::check_dimensions(Kind::Png, &file, &limits());
    assert!(
        matches!(&refused, Err(Refusal::Dimensions(m)) if m.contains("100000 × 100000")),
        "{refused:?}"
    );
}

#[test]
fn variants_are_made_for_narrower_widths_in_both_formats() {
    let prepared = prepare_raster(Kind::Png, &png(5, 3), &limits()).expect("prepared");
    assert_eq!((prepared.original.width, prepared.original.height), (5, 3));
    let made: Vec<_> = prepared
        .variants
        .iter()
        .map(|v| (v.file.as_str(), v.width, v.height))
        .collect();
    assert_eq!(
        made,
        vec![
            ("2w.png", 2, 1),
            ("2w.webp", 2, 1),
            ("4w.png", 4, 2),
            ("4w.webp", 4, 2)
        ]
    );
    assert_eq!(scaled_height_of(4000, 3000, 480), 360);
}

fn scaled_height_of(w: u32, h: u32, width: u32) -> u32 {
    raster::scaled_height(w, h, width)
}

#[test]
fn mentions_and_served_urls() {
    let h = "a".repeat(64);
    let text = format!(
        "![x](https://cdn.example/media/{h}/original.png) [y](/media/{h}/960w.webp) /media/{}/x /media/short/",
        "b".repeat(64)
    );
    let found: Vec<_> = mentioned(&text).into_iter().collect();
    assert_eq!(found, vec![h.clone(), "b".repeat(64)]);
    assert_eq!(
        served_file(&format!("https://x/media/{h}/960w.png")),
        Some((h.as_str(), "960w.png"))
    );
    assert_eq!(served_file(&format!("/media/{h}/evil.html")), None);
    assert!(is_file_name("original.jpg") && is_file_name("480w.webp"));
    assert!(!is_file_name("w.png") && !is_file_name("480w.exe") && !is_file_name("../x.png"));
    assert_eq!(
        hash(b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}
