//! `folio seed --demo`: a small sample blog, written through the same validation, rendering and store code as
//! the API's `PUT`s, so seeding twice changes nothing.

use chrono::{Duration, Utc};

use crate::api::articles::{put_input, ArticleInput};
use crate::api::problem::ApiError;
use crate::api::views::CoverImage;
use crate::db;
use crate::startup::AppState;
use crate::store::articles::{Outcome, Precondition};
use crate::store::authors::{self, AuthorWrite};

/// What seeding did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

const TOPICS: [(&str, &str, &[&str]); 12] = [
    (
        "Message Queues Explained — SQS vs Kafka vs SNS",
        "A queue, a log and a topic walk into a bar.",
        &["System Design", "AWS"],
    ),
    (
        "Keyset Pagination in PostgreSQL",
        "Why OFFSET gets slower on every page, and what to do instead.",
        &["Databases", "PostgreSQL"],
    ),
    (
        "Rust Error Handling Without Tears",
        "thiserror for libraries, a single error type for services.",
        &["Rust"],
    ),
    (
        "Caching HTTP Responses with ETags",
        "Conditional requests save bandwidth and keep clients honest.",
        &["HTTP", "System Design"],
    ),
    (
        "Full-Text Search with tsvector",
        "PostgreSQL's search is good enough for most blogs.",
        &["Databases", "PostgreSQL"],
    ),
    (
        "Designing Idempotent APIs",
        "PUT by slug, and why retries should be boring.",
        &["HTTP", "System Design"],
    ),
    (
        "Async Rust on Two Cores",
        "Blocking calls belong on the blocking pool.",
        &["Rust", "Performance"],
    ),
    (
        "Measuring Before Optimizing",
        "Benchmarks beat intuition, every time.",
        &["Performance"],
    ),
    (
        "Schema Migrations That Roll Back",
        "Every up needs a down, and a test.",
        &["Databases"],
    ),
    (
        "Markdown to HTML, Safely",
        "Render at write time, sanitize always.",
        &["Rust", "Security"],
    ),
    (
        "API Tokens Done Right",
        "Prefixes, hashes and scopes.",
        &["Security", "HTTP"],
    ),
    (
        "Drafts, Schedules and Time Zones",
        "A post goes live by itself when its time comes.",
        &["System Design"],
    ),
];

/// Loads the demo blog: two authors, twelve articles over a handful of tags, two of them featured.
pub async fn demo(state: &AppState) -> Result<SeedReport, ApiError> {
    let people = [
        (
            "ada",
            "Ada Lovelace",
            "Writes about engines and the programs that drive them.",
        ),
        (
            "grace",
            "Grace Hopper",
            "Compilers, debugging, and the occasional moth.",
        ),
    ];
    for (slug, name, bio) in people {
        let write = AuthorWrite {
            slug: slug.to_owned(),
            name: name.to_owned(),
            bio: Some(bio.to_owned()),
            avatar_url: None,
            website: None,
        };
        db::run(&state.pool, move |conn| {
            authors::put(conn, &write).map_err(|e| ApiError::Internal(e.to_string()))
        })
        .await?;
    }
    // Fixed dates, so a second run is a no-op.
    let base = Utc::now()
        .date_naive()
        .and_hms_opt(9, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_else(Utc::now);
    let mut report = SeedReport::default();
    for (i, (title, lead, tags)) in TOPICS.iter().enumerate() {
        let days = i64::try_from(TOPICS.len() - i).unwrap_or(1) * 7;
        let body = format!(
            "{lead}\n\n## The problem\n\n{}\n\n## A way through\n\n{}\n\n```rust\nfn main() {{\n    println!(\"{title}\");\n}}\n```\n\n## Takeaways\n\n- Measure first.\n- Keep it simple.\n",
            "Every system grows until its simplest parts become its hardest. ".repeat(20),
            "Small steps, each verified, add up to large changes that hold. ".repeat(25),
        );
        let input = ArticleInput {
            title: (*title).to_owned(),
            body_markdown: body,
            status: Some("published".to_owned()),
            published_at: Some(base - Duration::days(days)),
            featured: Some(i == 0 || i == 3),
            tags: Some(tags.iter().map(|t| (*t).to_owned()).collect()),
            authors: Some(vec![people[i % 2].0.to_owned()]),
            cover_image: (i % 3 == 0).then(|| CoverImage {
                url: format!("https://images.example.com/covers/{i}.jpg"),
                alt: Some(format!("Cover for {title}")),
            }),
            ..ArticleInput::default()
        };
        let slug = crate::domain::slug::Slug::derive(title)
            .map(|s| s.into_string())
            .ok_or_else(|| ApiError::Internal(format!("no slug for {title}")))?;
        match put_input(state, slug, input, Precondition::None).await? {
            Outcome::Created(_) => report.created += 1,
            Outcome::Updated(_) => report.updated += 1,
            Outcome::Unchanged(_) => report.unchanged += 1,
        }
    }
    Ok(report)
}
