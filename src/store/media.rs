//! Uploaded files: their rows (`media`), which documents mention them (`article_media`, `page_media`, kept by
//! the documents' write path), and the sizes a document's images are rendered with.

use chrono::{DateTime, Utc};
use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Timestamptz;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Counted, Result};
use crate::db::schema::{article_media, articles, media, page_media, pages};
use crate::domain::markdown::{EmbeddedFile, EmbeddedImage, Images};

/// A variant as stored in `media.variants`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredVariant {
    pub file: String,
    pub content_type: String,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = media)]
pub struct MediaRecord {
    pub id: Uuid,
    pub hash: String,
    pub content_type: String,
    pub file: String,
    pub bytes: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub alt: Option<String>,
    pub filename: Option<String>,
    pub variants: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl MediaRecord {
    pub fn variants(&self) -> Vec<StoredVariant> {
        serde_json::from_value(self.variants.clone()).unwrap_or_default()
    }

    /// Every file stored for it: the original, then the variants.
    pub fn files(&self) -> Vec<String> {
        std::iter::once(self.file.clone())
            .chain(self.variants().into_iter().map(|v| v.file))
            .collect()
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = media)]
pub struct NewMedia {
    pub hash: String,
    pub content_type: String,
    pub file: String,
    pub bytes: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub alt: Option<String>,
    pub filename: Option<String>,
    pub variants: serde_json::Value,
}

pub fn by_hash(conn: &mut PgConnection, hash: &str) -> Result<Option<MediaRecord>> {
    Ok(media::table
        .filter(media::hash.eq(hash))
        .select(MediaRecord::as_select())
        .first(conn)
        .optional()?)
}

pub fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<MediaRecord>> {
    Ok(media::table
        .find(id)
        .select(MediaRecord::as_select())
        .first(conn)
        .optional()?)
}

/// Inserts the upload, or finds the row already holding the same bytes (`false`: not created).
pub fn insert(conn: &mut PgConnection, new: &NewMedia) -> Result<(MediaRecord, bool)> {
    let inserted = diesel::insert_into(media::table)
        .values(new)
        .on_conflict(media::hash)
        .do_nothing()
        .returning(MediaRecord::as_returning())
        .get_result(conn)
        .optional()?;
    match inserted {
        Some(row) => Ok((row, true)),
        None => by_hash(conn, &new.hash)?
            .map(|row| (row, false))
            .ok_or(super::Error::NotFound),
    }
}

/// Newest first, a page at a time; only the file of `hash` when given.
pub fn list(
    conn: &mut PgConnection,
    hash: Option<&str>,
    page: i64,
    per_page: i64,
) -> Result<Counted<MediaRecord>> {
    let filtered = || {
        let mut query = media::table.into_boxed();
        if let Some(hash) = hash {
            query = query.filter(media::hash.eq(hash.to_owned()));
        }
        query
    };
    let rows = filtered()
        .order((media::created_at.desc(), media::id.desc()))
        .offset((page - 1).saturating_mul(per_page))
        .limit(per_page)
        .select(MediaRecord::as_select())
        .load(conn)?;
    let total = filtered().count().get_result(conn)?;
    Ok(Counted { rows, total })
}

/// Sets the alt text (`None` clears it).
pub fn set_alt(conn: &mut PgConnection, id: Uuid, alt: Option<&str>) -> Result<MediaRecord> {
    diesel::update(media::table.find(id))
        .set((
            media::alt.eq(alt),
            media::updated_at.eq(sql::<Timestamptz>("now()")),
        ))
        .returning(MediaRecord::as_returning())
        .get_result(conn)
        .optional()?
        .ok_or(super::Error::NotFound)
}

/// The documents that mention a file, by slug (at most `limit` of each kind).
#[derive(Debug, Default, PartialEq)]
pub struct Uses {
    pub articles: Vec<String>,
    pub pages: Vec<String>,
}

impl Uses {
    pub fn is_empty(&self) -> bool {
        self.articles.is_empty() && self.pages.is_empty()
    }
}

pub fn uses(conn: &mut PgConnection, hash: &str, limit: i64) -> Result<Uses> {
    let articles = article_media::table
        .inner_join(articles::table)
        .filter(article_media::hash.eq(hash))
        .order(articles::slug)
        .limit(limit)
        .select(articles::slug)
        .load(conn)?;
    let pages = page_media::table
        .inner_join(pages::table)
        .filter(page_media::hash.eq(hash))
        .order(pages::slug)
        .limit(limit)
        .select(pages::slug)
        .load(conn)?;
    Ok(Uses { articles, pages })
}

/// Deletes the row unless a document mentions it (`Err(uses)`), or whatever mentions it when `force`.
pub fn delete(
    conn: &mut PgConnection,
    id: Uuid,
    force: bool,
) -> Result<std::result::Result<MediaRecord, Uses>> {
    conn.transaction(|conn| {
        let row = media::table
            .find(id)
            .select(MediaRecord::as_select())
            .for_update()
            .first(conn)
            .optional()?
            .ok_or(super::Error::NotFound)?;
        if !force {
            let uses = uses(conn, &row.hash, 10)?;
            if !uses.is_empty() {
                return Ok(Err(uses));
            }
        }
        diesel::delete(media::table.find(id)).execute(conn)?;
        Ok(Ok(row))
    })
}

/// The sizes of the uploads among `hashes`, for rendering the images a document shows. Their rows stay locked
/// (`FOR KEY SHARE`) until the document's transaction ends, so a delete of one waits for it and then sees the
/// document's mention.
pub fn images(conn: &mut PgConnection, hashes: &[String]) -> Result<Images> {
    let rows: Vec<MediaRecord> = media::table
        .filter(media::hash.eq_any(hashes))
        .select(MediaRecord::as_select())
        .for_key_share()
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let original = EmbeddedFile {
                file: row.file.clone(),
                width: u32::try_from(row.width?).ok()?,
                height: u32::try_from(row.height?).ok()?,
            };
            let files = std::iter::once(original)
                .chain(row.variants().into_iter().map(|v| EmbeddedFile {
                    file: v.file,
                    width: v.width,
                    height: v.height,
                }))
                .collect();
            Some((row.hash, EmbeddedImage { files }))
        })
        .collect())
}

/// Replaces the files an article mentions.
pub fn set_article_media(conn: &mut PgConnection, id: Uuid, hashes: &[String]) -> QueryResult<()> {
    diesel::delete(article_media::table.filter(article_media::article_id.eq(id))).execute(conn)?;
    let rows: Vec<_> = hashes
        .iter()
        .map(|h| (article_media::article_id.eq(id), article_media::hash.eq(h)))
        .collect();
    diesel::insert_into(article_media::table)
        .values(&rows)
        .execute(conn)
        .map(|_| ())
}

/// Replaces the files a page mentions.
pub fn set_page_media(conn: &mut PgConnection, id: Uuid, hashes: &[String]) -> QueryResult<()> {
    diesel::delete(page_media::table.filter(page_media::page_id.eq(id))).execute(conn)?;
    let rows: Vec<_> = hashes
        .iter()
        .map(|h| (page_media::page_id.eq(id), page_media::hash.eq(h)))
        .collect();
    diesel::insert_into(page_media::table)
        .values(&rows)
        .execute(conn)
        .map(|_| ())
}
