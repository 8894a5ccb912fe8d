//! Uploaded files as they leave the server: their served URLs (absolute), sizes and variants.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{rfc3339, Meta};
use crate::store::media::MediaRecord;

/// A file's bytes, as uploaded or served.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(#[allow(dead_code)] Vec<u8>);

/// A responsive variant of an image: a narrower copy, in the original's format or in WebP.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"url": "https://api.example.com/media/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08/960w.webp",
    "content_type": "image/webp", "width": 960, "height": 540, "bytes": 48213}))]
pub struct MediaVariantView {
    pub url: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
}

/// An uploaded file.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "0b6f3a52-8f1e-4f43-9c55-3c1f4d0e9a10",
    "url": "https://api.example.com/media/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08/original.png",
    "content_type": "image/png", "bytes": 182734, "width": 1920, "height": 1080,
    "alt": "Sequence diagram of the saga", "filename": "saga.png",
    "hash": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "variants": [
        {"url": "https://api.example.com/media/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08/480w.png",
         "content_type": "image/png", "width": 480, "height": 270, "bytes": 40121},
        {"url": "https://api.example.com/media/9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08/480w.webp",
         "content_type": "image/webp", "width": 480, "height": 270, "bytes": 12011}
    ],
    "created_at": "2026-11-30T09:00:00Z", "updated_at": "2026-11-30T09:00:00Z"
}))]
pub struct MediaView {
    pub id: Uuid,
    /// Where the file is served (metadata stripped); the URL never changes content, so it may be cached for ever.
    pub url: String,
    /// Sniffed from the bytes: `image/jpeg`, `image/png`, `image/gif`, `image/webp`, `image/svg+xml` or
    /// `application/pdf`.
    pub content_type: String,
    /// Size of the served file.
    pub bytes: i64,
    /// Pixels, for raster images; null otherwise.
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub alt: Option<String>,
    /// The name the upload came with, if any (informative only).
    pub filename: Option<String>,
    /// Hex SHA-256 of the bytes as uploaded: the same bytes always find this file.
    pub hash: String,
    /// Narrower copies, narrowest first; at each width the original's format, then WebP. Empty for a GIF,
    /// an SVG, a PDF, or an image no wider than the narrowest configured width.
    pub variants: Vec<MediaVariantView>,
    #[serde(serialize_with = "rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339")]
    pub updated_at: DateTime<Utc>,
}

impl MediaView {
    /// The view, with URLs under `base` (`https://api.example.com`).
    pub fn new(record: MediaRecord, base: &str) -> Self {
        let url = |file: &str| {
            format!(
                "{base}{}",
                crate::domain::media::served_path(&record.hash, file)
            )
        };
        let variants = record
            .variants()
            .into_iter()
            .map(|v| MediaVariantView {
                url: url(&v.file),
                content_type: v.content_type,
                width: v.width,
                height: v.height,
                bytes: v.bytes,
            })
            .collect();
        MediaView {
            id: record.id,
            url: url(&record.file),
            content_type: record.content_type,
            bytes: record.bytes,
            width: record.width,
            height: record.height,
            alt: record.alt,
            filename: record.filename,
            hash: record.hash,
            variants,
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// A page of uploaded files, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediaListing {
    pub data: Vec<MediaView>,
    pub meta: Meta,
    pub links: super::Links,
}
