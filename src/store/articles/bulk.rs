//! The bulk path for benchmark corpora. A corpus reuses a pool of distinct bodies: each body is sent, compressed
//! and turned into its search vector once, and each article sends only its own small fields, by binary `COPY`.
//! The whole load is one transaction: into an empty database it drops the secondary indexes and builds them once
//! at the end (if anything fails, nothing of it stays, indexes included).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Int4, Text};
use uuid::Uuid;

use super::links::{resolve_authors, resolve_tags};
use super::row::Content;
use crate::domain::article::{ArticleWrite, TagName};
use crate::store::{lock_counts, Result};

/// One article of a corpus: its own fields, and by position the pool body, tags and author it uses.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = corpus_staging, treat_none_as_default_value = false)]
pub struct CorpusArticle {
    pub id: Uuid,
    pub slug: String,
    pub title: String,
    pub published_at: DateTime<Utc>,
    pub featured: bool,
    pub body: i32,
    pub tags: Vec<i32>,
    pub author: i32,
}

diesel::table! {
    /// A temporary table of the loading transaction.
    corpus_staging (id) {
        id -> Uuid,
        slug -> Text,
        title -> Text,
        published_at -> Timestamptz,
        featured -> Bool,
        body -> Int4,
        tags -> Array<Int4>,
        author -> Int4,
    }
}

/// What a corpus is made of: the distinct bodies (as writes; their slug and title are not used), the tags and the
/// authors (which must exist) articles point into.
pub struct Corpus<'a> {
    pub bodies: &'a [ArticleWrite],
    pub tags: &'a [TagName],
    pub authors: &'a [String],
}

#[derive(QueryableByName)]
struct IndexDef {
    #[diesel(sql_type = Text)]
    def: String,
    #[diesel(sql_type = Text)]
    name: String,
}

/// Loads every batch `next_batch` yields (until an empty one) as new published articles; returns how many.
pub fn load_corpus(
    conn: &mut PgConnection,
    corpus: &Corpus<'_>,
    mut next_batch: impl FnMut() -> Vec<CorpusArticle>,
    mut progress: impl FnMut(usize),
) -> Result<usize> {
    conn.transaction(|conn| {
        lock_counts(conn)?;
        diesel::sql_query("SET LOCAL statement_timeout = 0").execute(conn)?;
        diesel::sql_query("SET LOCAL maintenance_work_mem = '512MB'").execute(conn)?;
        let tag_ids = resolve_tags(conn, corpus.tags)?;
        let author_ids = resolve_authors(conn, corpus.authors)?;

        diesel::sql_query(
            "CREATE TEMP TABLE corpus_bodies (n int PRIMARY KEY, content jsonb NOT NULL, body_markdown text, \
             body_html text, body_text text, body_search tsvector) ON COMMIT DROP",
        )
        .execute(conn)?;
        for (n, body) in corpus.bodies.iter().enumerate() {
            let content = Content::of(body, None);
            let fields = serde_json::json!({
                "summary": content.summary,
                "summary_derived": content.summary_derived,
                "toc": content.toc,
                "word_count": content.word_count,
                "reading_time_minutes": content.reading_time_minutes,
                "seo": content.seo,
            });
            diesel::sql_query(
                "INSERT INTO corpus_bodies (n, content, body_markdown, body_html, body_text, body_search) \
                 VALUES ($1, $2, $3, $4, $5, folio_body_search($5))",
            )
            .bind::<Int4, _>(i32::try_from(n).unwrap_or(i32::MAX))
            .bind::<diesel::sql_types::Jsonb, _>(fields)
            .bind::<Text, _>(content.body_markdown)
            .bind::<Text, _>(content.body_html)
            .bind::<Text, _>(content.body_text)
            .execute(conn)?;
        }
        diesel::sql_query(
            "CREATE TEMP TABLE corpus_staging (id uuid, slug text, title text, published_at timestamptz, \
             featured boolean, body int, tags int[], author int) ON COMMIT DROP",
        )
        .execute(conn)?;

        // Into an empty database, build the secondary indexes once at the end instead of row by row.
        let empty: bool = diesel::select(diesel::dsl::not(diesel::dsl::exists(
            crate::db::schema::articles::table.select(crate::db::schema::articles::id),
        )))
        .get_result(conn)?;
        let rebuilt: Vec<IndexDef> = if empty {
            diesel::sql_query(
                "SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i \
                 WHERE i.schemaname = 'public' AND i.tablename IN ('articles', 'article_tags', 'article_authors') \
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            )
            .load(conn)?
        } else {
            Vec::new()
        };
        for index in &rebuilt {
            diesel::sql_query(format!("DROP INDEX \"{}\"", index.name)).execute(conn)?;
        }

        let mut loaded = 0;
        loop {
            let batch = next_batch();
            if batch.is_empty() {
                break;
            }
            let size = batch.len();
            diesel::copy_from(corpus_staging::table)
                .from_insertable(batch)
                .execute(conn)?;
            diesel::sql_query(
                "INSERT INTO articles (id, slug, title, summary, summary_derived, body_markdown, body_html, \
                     body_text, toc, word_count, reading_time_minutes, status, featured, published_at, seo, search) \
                 SELECT s.id, s.slug, s.title, b.content->>'summary', (b.content->>'summary_derived')::boolean, \
                     b.body_markdown, b.body_html, b.body_text, b.content->'toc', \
                     (b.content->>'word_count')::int, (b.content->>'reading_time_minutes')::int, 'published', \
                     s.featured, s.published_at, b.content->'seo', \
                     folio_article_search_with(s.title, b.content->>'summary', b.body_search) \
                 FROM corpus_staging s JOIN corpus_bodies b ON b.n = s.body",
            )
            .execute(conn)?;
            diesel::sql_query(
                "INSERT INTO article_tags (article_id, tag_id, position) \
                 SELECT s.id, ($1::uuid[])[t.tag + 1], t.position - 1 \
                 FROM corpus_staging s CROSS JOIN LATERAL unnest(s.tags) WITH ORDINALITY AS t(tag, position)",
            )
            .bind::<Array<diesel::sql_types::Uuid>, _>(&tag_ids)
            .execute(conn)?;
            diesel::sql_query(
                "INSERT INTO article_authors (article_id, author_id, position) \
                 SELECT s.id, ($1::uuid[])[s.author + 1], 0 FROM corpus_staging s",
            )
            .bind::<Array<diesel::sql_types::Uuid>, _>(&author_ids)
            .execute(conn)?;
            // The vocabulary of the titles; the bodies' words are added once, below.
            diesel::sql_query("SELECT folio_note_words(string_agg(title, ' ')) FROM corpus_staging")
                .execute(conn)?;
            diesel::sql_query("TRUNCATE corpus_staging").execute(conn)?;
            loaded += size;
            progress(loaded);
        }
        diesel::sql_query(
            "SELECT folio_note_words(coalesce(content->>'summary', '') || ' ' || left(body_text, 250000)) \
             FROM corpus_bodies",
        )
        .execute(conn)?;
        for index in &rebuilt {
            diesel::sql_query(&index.def).execute(conn)?;
        }
        Ok(loaded)
    })
}
