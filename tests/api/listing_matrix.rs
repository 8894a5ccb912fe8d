//! The listing query against its definition: on a cloned database, every visibility × sort × filter, in page mode
//! and walked by cursor in both directions, must return exactly the rows a plain Rust model of the same rules
//! selects, in the same order. The model uses `domain::article::Visibility`, so this also proves that the
//! store's SQL predicate and the domain's rule agree.

use chrono::{DateTime, Duration, Utc};
use diesel::{Connection, PgConnection};
use folio::domain::article::{ArticleInput, ArticleWrite, Status, Visibility};
use folio::domain::cursor::Direction;
use folio::store::articles::{
    self as store, ArticleRecord, Filters, Include, ListQuery, Sort, Window,
};
use folio::store::authors::{AuthorWrite, Authors};
use folio::store::resource;
use uuid::Uuid;

use crate::helpers::{create_database, database_url, drop_database};

/// One article of the fixture and where it stands.
struct Row {
    record: ArticleRecord,
    tags: Vec<&'static str>,
    author: &'static str,
    body: &'static str,
}

/// Drops the database when the test ends, failed or not.
struct Db(String);

impl Drop for Db {
    fn drop(&mut self) {
        drop_database(&self.0);
    }
}

fn fixture(conn: &mut PgConnection) -> Vec<Row> {
    for slug in ["ada", "bob"] {
        let w = AuthorWrite {
            slug: slug.to_owned(),
            name: slug.to_owned(),
            bio: None,
            avatar_url: None,
            website: None,
        };
        resource::put::<Authors>(conn, &w).expect("author");
    }
    let now = Utc::now();
    let day = |d: i64| Some(now + Duration::days(d));
    // (slug, title, status, published_at, featured, tags, author, body word)
    #[allow(clippy::type_complexity)]
    let specs: [(
        &str,
        &str,
        &str,
        Option<DateTime<Utc>>,
        bool,
        &[&str],
        &str,
        &str,
    ); 12] = [
        (
            "p1",
            "delta",
            "published",
            day(-10),
            false,
            &["rust"],
            "ada",
            "zebra crossing",
        ),
        (
            "p2",
            "alpha",
            "published",
            day(-9),
            true,
            &["rust", "web"],
            "bob",
            "plain words",
        ),
        (
            "p3",
            "charlie",
            "published",
            day(-8),
            false,
            &["web"],
            "ada",
            "zebra stripes",
        ),
        (
            "p4",
            "alpha",
            "published",
            day(-7),
            false,
            &[],
            "bob",
            "plain words",
        ),
        (
            "p5",
            "echo",
            "published",
            day(-6),
            true,
            &["rust", "db"],
            "ada",
            "plain words",
        ),
        (
            "p6",
            "bravo",
            "published",
            day(-5),
            false,
            &["db"],
            "bob",
            "zebra zebra",
        ),
        (
            "p7",
            "foxtrot",
            "published",
            day(-4),
            false,
            &["rust", "web", "db"],
            "ada",
            "plain words",
        ),
        (
            "s1",
            "golf",
            "published",
            day(2),
            true,
            &["rust"],
            "ada",
            "zebra future",
        ),
        (
            "s2",
            "hotel",
            "published",
            day(3),
            false,
            &["web"],
            "bob",
            "plain words",
        ),
        (
            "d1",
            "india",
            "draft",
            None,
            false,
            &["rust"],
            "ada",
            "zebra draft",
        ),
        (
            "d2",
            "juliet",
            "draft",
            day(-20),
            true,
            &["db"],
            "bob",
            "plain words",
        ),
        (
            "d3",
            "alpha",
            "draft",
            None,
            false,
            &["web", "rust"],
            "ada",
            "plain words",
        ),
    ];
    specs
        .into_iter()
        .map(
            |(slug, title, status, published_at, featured, tags, author, body)| {
                let input = ArticleInput {
                    title: title.to_owned(),
                    slug: Some(slug.to_owned()),
                    body_markdown: format!("Some {body} here."),
                    status: Some(status.to_owned()),
                    published_at,
                    featured: Some(featured),
                    tags: Some(tags.iter().map(|t| (*t).to_owned()).collect()),
                    authors: Some(vec![author.to_owned()]),
                    ..ArticleInput::default()
                };
                let write = ArticleWrite::parse(input, None).expect("valid fixture article");
                let record = store::create(conn, &write).expect("create");
                Row {
                    record,
                    tags: tags.to_vec(),
                    author,
                    body,
                }
            },
        )
        .collect()
}

/// The sort key the listing orders by, as the model computes it.
fn published_key(r: &ArticleRecord, visibility: Visibility) -> DateTime<Utc> {
    match visibility {
        Visibility::Public | Visibility::Scheduled => r.head.published_at.unwrap_or_default(),
        Visibility::Draft | Visibility::Any => r.head.published_at.unwrap_or(r.head.created_at),
    }
}

/// The ids the model selects for this query, in order (relevance: in id order, compared as a set).
fn model(rows: &[Row], visibility: Visibility, f: &Filters, sort: Sort) -> Vec<Uuid> {
    let now = Utc::now();
    let mut picked: Vec<&ArticleRecord> = rows
        .iter()
        .filter(|r| {
            let h = &r.record.head;
            visibility.sees(Status::from_stored(&h.status), h.published_at, now)
                && (f.tags_any.is_empty()
                    || f.tags_any.iter().any(|t| r.tags.contains(&t.as_str())))
                && f.tags_all.iter().all(|t| r.tags.contains(&t.as_str()))
                && f.author.as_deref().is_none_or(|a| a == r.author)
                && f.featured.is_none_or(|x| x == h.featured)
                && f.q.as_deref().is_none_or(|q| r.body.contains(q))
                && f.published_after
                    .is_none_or(|t| h.published_at.is_some_and(|p| p >= t))
                && f.published_before
                    .is_none_or(|t| h.published_at.is_some_and(|p| p < t))
        })
        .map(|r| &r.record)
        .collect();
    match sort {
        Sort::PublishedDesc => {
            picked.sort_by_key(|r| std::cmp::Reverse((published_key(r, visibility), r.head.id)))
        }
        Sort::PublishedAsc => picked.sort_by_key(|r| (published_key(r, visibility), r.head.id)),
        Sort::Title => {
            picked.sort_by(|a, b| (&a.head.title, a.head.id).cmp(&(&b.head.title, b.head.id)))
        }
        Sort::UpdatedDesc => {
            picked.sort_by_key(|r| std::cmp::Reverse((r.head.updated_at, r.head.id)))
        }
        Sort::Relevance => picked.sort_by_key(|r| r.head.id),
    }
    picked.iter().map(|r| r.head.id).collect()
}

fn ids(page: &store::Page) -> Vec<Uuid> {
    page.rows.iter().map(|r| r.head.id).collect()
}

/// Walks the whole listing forward by cursor, then back from the end; both must see the model's order.
fn walk(conn: &mut PgConnection, query: &ListQuery, case: &str) -> (Vec<Uuid>, Vec<Uuid>) {
    let per_page = 2;
    let mut forward = Vec::new();
    let mut cursor = None;
    let mut last_prev = None;
    for _ in 0..20 {
        let q = ListQuery {
            window: Window::Cursor {
                cursor: cursor.clone(),
                per_page,
            },
            ..query.clone()
        };
        let page = store::list(conn, &q).unwrap_or_else(|e| panic!("{case}: {e}"));
        forward.extend(ids(&page));
        if page.rows.is_empty() {
            break;
        }
        last_prev = page.prev.clone().or(last_prev);
        match page.next {
            Some(next) => cursor = Some(next),
            None => {
                // Step back one page from the first row of the last page, then keep going back.
                let first = page.rows.first().map(|r| r.head.id);
                let mut back: Vec<Uuid> = ids(&page);
                let mut before = page.prev.clone();
                for _ in 0..20 {
                    let Some(c) = before.take() else { break };
                    assert_eq!(c.direction, Direction::Before, "{case}");
                    let q = ListQuery {
                        window: Window::Cursor {
                            cursor: Some(c),
                            per_page,
                        },
                        ..query.clone()
                    };
                    let page = store::list(conn, &q).unwrap_or_else(|e| panic!("{case}: {e}"));
                    let mut earlier = ids(&page);
                    earlier.extend(back);
                    back = earlier;
                    before = page.prev;
                }
                assert!(first.is_some(), "{case}");
                return (forward, back);
            }
        }
    }
    (forward.clone(), forward)
}

/// One combination: the first page of 100, page 2 of 3, and cursor walks both ways, against the model.
fn check(
    conn: &mut PgConnection,
    rows: &[Row],
    visibility: Visibility,
    name: &str,
    f: &Filters,
    sort: Sort,
) {
    let case = format!("{visibility:?} / {name} / {sort:?}");
    let expected = model(rows, visibility, f, sort);
    let query = ListQuery {
        visibility,
        filters: f.clone(),
        sort,
        window: Window::Page {
            page: 1,
            per_page: 100,
        },
        include: Include::default(),
    };
    let page = store::list(conn, &query).unwrap_or_else(|e| panic!("{case}: {e}"));
    let mut got = ids(&page);
    let (mut forward, mut backward) = walk(conn, &query, &case);
    if sort == Sort::Relevance {
        got.sort();
        forward.sort();
        backward.sort();
    }
    assert_eq!(
        (page.total.count, page.total.exact),
        (expected.len() as i64, true),
        "{case}: total"
    );
    assert_eq!(got, expected, "{case}: page mode");
    assert_eq!(forward, expected, "{case}: cursor walk forward");
    assert_eq!(backward, expected, "{case}: cursor walk backward");
    let second = ListQuery {
        window: Window::Page {
            page: 2,
            per_page: 3,
        },
        ..query
    };
    let second = store::list(conn, &second).unwrap_or_else(|e| panic!("{case}: {e}"));
    if sort != Sort::Relevance {
        let window: Vec<Uuid> = expected.iter().skip(3).take(3).copied().collect();
        assert_eq!(ids(&second), window, "{case}: page 2 of 3");
    }
}

#[test]
fn every_visibility_sort_filter_and_window_matches_the_model() {
    let db = Db(create_database(true));
    let mut conn = PgConnection::establish(&database_url(&db.0)).expect("connect");
    let rows = fixture(&mut conn);
    let now = Utc::now();
    let filters: Vec<(&str, Filters)> = vec![
        ("none", Filters::default()),
        (
            "tag any",
            Filters {
                tags_any: vec!["web".into(), "db".into()],
                ..Filters::default()
            },
        ),
        (
            "tag all",
            Filters {
                tags_all: vec!["rust".into(), "web".into()],
                ..Filters::default()
            },
        ),
        (
            "author",
            Filters {
                author: Some("ada".into()),
                ..Filters::default()
            },
        ),
        (
            "featured",
            Filters {
                featured: Some(true),
                ..Filters::default()
            },
        ),
        (
            "not featured",
            Filters {
                featured: Some(false),
                ..Filters::default()
            },
        ),
        (
            "search",
            Filters {
                q: Some("zebra".into()),
                ..Filters::default()
            },
        ),
        (
            "dates",
            Filters {
                published_after: Some(now - Duration::days(9) - Duration::hours(1)),
                published_before: Some(now - Duration::days(5) - Duration::hours(1)),
                ..Filters::default()
            },
        ),
    ];
    let visibilities = [
        Visibility::Public,
        Visibility::Draft,
        Visibility::Scheduled,
        Visibility::Any,
    ];
    let sorts = [
        Sort::PublishedDesc,
        Sort::PublishedAsc,
        Sort::Title,
        Sort::UpdatedDesc,
    ];
    let mut cases = 0;
    for visibility in visibilities {
        for (name, f) in &filters {
            let mut all_sorts = sorts.to_vec();
            if f.q.is_some() {
                all_sorts.push(Sort::Relevance);
            }
            for sort in all_sorts {
                check(&mut conn, &rows, visibility, name, f, sort);
                cases += 1;
            }
        }
    }
    assert_eq!(cases, 4 * (8 * 4 + 1), "every combination ran");
}
