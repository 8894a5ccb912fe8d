//! The change log (migration `change_log`): what the change feed and the webhooks read. Triggers append to it in
//! each write's own transaction, with positions that grow in commit order; here it is read, its scheduled
//! announcements are made, and old entries are pruned.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};
use uuid::Uuid;

use super::articles::{neighbour_ids, visible_cards, ArticleRecord};
use super::authors::{AuthorWrite, Authors};
use super::pages::PageRecord;
use super::resource::{Record, SlugTable};
use super::tags::{TagWrite, Tags};
use super::{Error, Result};
use crate::db::schema::{change_cursors, changes};
use crate::domain::article::Visibility;
use crate::domain::site::SiteSettings;

/// One entry of the log.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = changes, check_for_backend(diesel::pg::Pg))]
pub struct ChangeRow {
    pub position: i64,
    pub at: DateTime<Utc>,
    #[diesel(column_name = type_)]
    pub kind: String,
    pub resource_id: Uuid,
    pub slug: String,
    pub previous_slug: Option<String>,
    pub public: bool,
}

impl ChangeRow {
    /// `article`, `tag` or `author`.
    pub fn resource(&self) -> &str {
        self.kind.split_once('.').map_or("", |(r, _)| r)
    }

    /// What purging needs of the entry; `neighbours` are its article's (see `neighbours_of`).
    pub fn purge<'a>(&'a self, neighbours: &'a [Uuid]) -> crate::domain::surrogate::Change<'a> {
        crate::domain::surrogate::Change {
            resource: self.resource(),
            id: self.resource_id,
            slug: &self.slug,
            previous_slug: self.previous_slug.as_deref(),
            public: self.public,
            neighbours,
        }
    }

    /// Whether the entry says its resource left the reader's view (a tombstone): deleted, or unpublished.
    pub fn removes(&self) -> bool {
        self.kind.ends_with(".deleted") || self.kind.ends_with(".unpublished")
    }
}

/// An entry with its resource as it is now, when the reader may still see it (none for a tombstone, nor when a
/// later entry removed it: that entry follows in the feed).
#[derive(Debug, Clone)]
pub struct Change {
    pub row: ChangeRow,
    pub article: Option<ArticleRecord>,
    pub tag: Option<Record<TagWrite>>,
    pub author: Option<Record<AuthorWrite>>,
    pub page: Option<PageRecord>,
    /// The settings now, on a `site.updated` entry.
    pub site: Option<SiteSettings>,
    /// On a public article entry whose article is public now: its neighbours in the public timeline.
    pub neighbours: Vec<Uuid>,
}

/// A page of the feed.
#[derive(Debug)]
pub struct FeedPage {
    pub changes: Vec<Change>,
    /// The position to ask from next: the last entry's while more follow, else the latest committed position.
    pub next: i64,
    pub has_more: bool,
}

/// The position to follow the log from: the greatest committed one (or the pruned bound of an empty log). Every
/// smaller position is decided (committed or rolled back), since positions are drawn under a lock held to commit;
/// a write still in flight holds a greater one, so a reader starting here sees it once it commits.
pub fn latest(conn: &mut PgConnection) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Last {
        #[diesel(sql_type = BigInt)]
        position: i64,
    }
    diesel::sql_query(
        "SELECT coalesce((SELECT max(position) FROM changes), \
                         (SELECT position FROM change_cursors WHERE name = 'pruned')) AS position",
    )
    .get_result::<Last>(conn)
    .map(|l| l.position)
}

/// The last position drawn so far, committed or not (0 before the first): no change will ever have it or a
/// smaller one.
fn drawn(conn: &mut PgConnection) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Last {
        #[diesel(sql_type = BigInt)]
        position: i64,
    }
    diesel::sql_query(
        "SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS position FROM changes_position_seq",
    )
    .get_result::<Last>(conn)
    .map(|l| l.position)
}

/// Every position at or below this one has been pruned.
pub fn pruned(conn: &mut PgConnection) -> QueryResult<i64> {
    change_cursors::table
        .find("pruned")
        .select(change_cursors::position)
        .first(conn)
}

/// The entries after `since` that `visibility` may see (the public ones, or all of them), oldest first, at most
/// `limit`, each with its resource as it now is. One read-only snapshot, so an entry and the state it is shown
/// with agree.
pub fn feed(
    conn: &mut PgConnection,
    visibility: Visibility,
    since: i64,
    limit: i64,
) -> Result<FeedPage> {
    conn.build_transaction()
        .read_only()
        .repeatable_read()
        .run(|conn| {
            let floor = pruned(conn)?;
            if since < floor {
                return Err(Error::ChangesExpired { since, floor });
            }
            let last = drawn(conn)?;
            if since > last {
                return Err(Error::ChangesAhead { since, last });
            }
            let mut q = changes::table
                .select(ChangeRow::as_select())
                .filter(changes::position.gt(since))
                .order_by(changes::position.asc())
                .limit(limit + 1)
                .into_boxed();
            if visibility == Visibility::Public {
                q = q.filter(changes::public.eq(true));
            }
            let mut rows = q.load(conn)?;
            let has_more = rows.len() as i64 > limit;
            rows.truncate(usize::try_from(limit).unwrap_or(0));
            // Caught up: every entry this snapshot holds has been read (or is not for this reader), so the next read
            // starts from the latest committed position, past entries this reader does not see.
            let next = match rows.last() {
                Some(last) if has_more => last.position,
                last => latest(conn)?.max(last.map_or(since, |r| r.position)),
            };
            Ok(FeedPage {
                changes: with_resources(conn, visibility, rows)?,
                next,
                has_more,
            })
        })
}

/// `rows` with their resources' current state where `visibility` sees it: one query per kind of resource.
pub fn with_resources(
    conn: &mut PgConnection,
    visibility: Visibility,
    rows: Vec<ChangeRow>,
) -> QueryResult<Vec<Change>> {
    let wanted = |resource: &str| -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = rows
            .iter()
            .filter(|r| r.resource() == resource && !r.removes())
            .map(|r| r.resource_id)
            .collect();
        ids.sort();
        ids.dedup();
        ids
    };
    let articles = visible_cards(conn, visibility, &wanted("article"))?;
    let neighbours = neighbours_of(conn, &rows)?;
    // A reader without a token sees the tags and authors that public articles use, as in the listings.
    let shown = |count: i64| visibility != Visibility::Public || count > 0;
    let mut tags = Tags::by_ids(conn, &wanted("tag"))?;
    tags.retain(|t| shown(t.article_count));
    let mut authors = Authors::by_ids(conn, &wanted("author"))?;
    authors.retain(|a| shown(a.article_count));
    let pages = super::pages::by_ids(conn, visibility, &wanted("page"))?;
    let site = if rows.iter().any(|r| r.resource() == "site") {
        match super::site::get(conn) {
            Ok(site) => Some(site.settings),
            Err(Error::Db(e)) => return Err(e),
            Err(_) => None,
        }
    } else {
        None
    };
    Ok(rows
        .into_iter()
        .map(|row| {
            let id = row.resource_id;
            let removes = row.removes();
            let pick = |resource: &str| !removes && row.resource() == resource;
            Change {
                article: pick("article")
                    .then(|| articles.iter().find(|a| a.head.id == id).cloned())
                    .flatten(),
                tag: pick("tag")
                    .then(|| tags.iter().find(|t| t.id == id).cloned())
                    .flatten(),
                author: pick("author")
                    .then(|| authors.iter().find(|a| a.id == id).cloned())
                    .flatten(),
                page: pick("page")
                    .then(|| pages.iter().find(|p| p.id == id).cloned())
                    .flatten(),
                site: pick("site").then(|| site.clone()).flatten(),
                neighbours: neighbours.of(&row),
                row,
            }
        })
        .collect())
}

/// The timeline neighbours of the articles of public article entries (publications and edits), where the
/// article is public now.
struct Neighbours(HashMap<Uuid, Vec<Uuid>>);

impl Neighbours {
    fn wanted(row: &ChangeRow) -> bool {
        row.public && row.resource() == "article" && !row.removes()
    }

    fn of(&self, row: &ChangeRow) -> Vec<Uuid> {
        match Self::wanted(row) {
            true => self.0.get(&row.resource_id).cloned().unwrap_or_default(),
            false => Vec::new(),
        }
    }
}

fn neighbours_of(conn: &mut PgConnection, rows: &[ChangeRow]) -> QueryResult<Neighbours> {
    let mut ids: Vec<Uuid> = rows
        .iter()
        .filter(|r| Neighbours::wanted(r))
        .map(|r| r.resource_id)
        .collect();
    ids.sort();
    ids.dedup();
    Ok(Neighbours(neighbour_ids(conn, &ids)?.into_iter().collect()))
}

/// An entry with the neighbours of its article (see `neighbours_of`).
pub type WithNeighbours = (ChangeRow, Vec<Uuid>);

/// The public entries after `since` (at most `limit`, oldest first), each with the neighbours of its article:
/// what a write's `Purge-Keys` are made of. Also says whether more followed.
pub fn public_since(
    conn: &mut PgConnection,
    since: i64,
    limit: i64,
) -> QueryResult<(Vec<WithNeighbours>, bool)> {
    let mut rows: Vec<ChangeRow> = changes::table
        .select(ChangeRow::as_select())
        .filter(changes::position.gt(since))
        .filter(changes::public.eq(true))
        .order_by(changes::position.asc())
        .limit(limit + 1)
        .load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let neighbours = neighbours_of(conn, &rows)?;
    Ok((
        rows.into_iter()
            .map(|row| {
                let n = neighbours.of(&row);
                (row, n)
            })
            .collect(),
        more,
    ))
}

/// Logs "published" for the scheduled articles whose time has come (exactly once each, whoever calls it);
/// answers how many.
pub fn publish_due(conn: &mut PgConnection) -> QueryResult<i32> {
    #[derive(QueryableByName)]
    struct Logged {
        #[diesel(sql_type = Integer)]
        logged: i32,
    }
    diesel::sql_query("SELECT folio_publish_due() AS logged")
        .get_result::<Logged>(conn)
        .map(|l| l.logged)
}

/// Entries deleted per pruning transaction, so that pruning a large backlog never holds locks for long.
const PRUNE_BATCH: i64 = 10_000;

/// Deletes entries older than `keep_days` days that the webhooks have already read, oldest first, in one batch;
/// moves the `pruned` cursor past them. Answers how many were deleted. Instances that prune at the same time take
/// turns on the cursor's row.
pub fn prune(conn: &mut PgConnection, keep_days: u32) -> QueryResult<usize> {
    conn.transaction(|conn| {
        #[derive(QueryableByName)]
        struct Pruned {
            #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
            upto: Option<i64>,
            #[diesel(sql_type = BigInt)]
            deleted: i64,
        }
        let pruned: Pruned = diesel::sql_query(
            "WITH cursor AS (SELECT position FROM change_cursors WHERE name = 'pruned' FOR UPDATE), \
                  bound AS (SELECT max(c.position) AS upto FROM changes c \
                            WHERE c.at < now() - make_interval(days => $1) \
                              AND c.position <= (SELECT position FROM change_cursors WHERE name = 'webhooks')), \
                  doomed AS (SELECT c.position FROM changes c, bound \
                             WHERE c.position <= bound.upto AND c.position > (SELECT position FROM cursor) \
                             ORDER BY c.position LIMIT $2), \
                  gone AS (DELETE FROM changes c USING doomed WHERE c.position = doomed.position \
                           RETURNING c.position) \
             SELECT max(position) AS upto, count(*) AS deleted FROM gone",
        )
        .bind::<Integer, _>(i32::try_from(keep_days).unwrap_or(i32::MAX))
        .bind::<BigInt, _>(PRUNE_BATCH)
        .get_result(conn)?;
        if let Some(upto) = pruned.upto {
            diesel::update(change_cursors::table.find("pruned"))
                .set(change_cursors::position.eq(upto))
                .execute(conn)?;
        }
        Ok(usize::try_from(pruned.deleted).unwrap_or(0))
    })
}
