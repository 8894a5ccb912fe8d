//! `folio seed`: a small sample blog (`--demo`), written through the same write rules and store code as the API's
//! `PUT`s so seeding twice changes nothing, and the benchmark corpus (`--corpus N`), loaded in bulk.

use chrono::{Duration, Utc};

use crate::db::Pool;
use crate::domain::article::{ArticleInput, ArticleWrite, CoverImage, Status, TagName};
use crate::domain::field_error::FieldError;
use crate::store::articles::{self as store, Precondition};
use crate::store::authors::{AuthorWrite, Authors};
use crate::store::{self as stores, resource, Outcome};

/// Why seeding stopped.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Store(#[from] stores::Error),
    #[error("sample content breaks a write rule: {0:?}")]
    Invalid(Vec<FieldError>),
}

/// Creates or updates an author by slug.
async fn put_author(pool: &Pool, write: AuthorWrite) -> Result<(), SeedError> {
    stores::run(pool, move |conn| resource::put::<Authors>(conn, &write)).await?;
    Ok(())
}

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
pub async fn demo(pool: &Pool) -> Result<SeedReport, SeedError> {
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
        put_author(pool, write).await?;
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
        let write = ArticleWrite::parse(input, None).map_err(SeedError::Invalid)?;
        let outcome = stores::run(pool, move |conn| {
            store::put(conn, &write, &Precondition::None)
        })
        .await?;
        match outcome {
            Outcome::Created(_) => report.created += 1,
            Outcome::Updated(_) => report.updated += 1,
            Outcome::Unchanged(_) => report.unchanged += 1,
        }
    }
    Ok(report)
}

/// The benchmark corpus: `n` published articles of about 1,500 words, each with 1 to 3 of 30 tags, 10%
/// featured, by one of 3 authors, spread over 3 years. Deterministic for a given `seed`. Bodies are drawn from
/// a pool of distinct documents, each rendered once through the same rendering code as the API; titles, slugs,
/// tags, authors and dates are unique per article.
pub async fn corpus(
    pool: &Pool,
    n: usize,
    seed: u64,
    progress: impl FnMut(usize) + Send + 'static,
) -> Result<usize, SeedError> {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    use crate::domain::markdown;

    const TAGS: [&str; 30] = [
        "Rust",
        "Go",
        "Python",
        "TypeScript",
        "PostgreSQL",
        "Redis",
        "Kafka",
        "AWS",
        "Kubernetes",
        "Docker",
        "System Design",
        "Databases",
        "Performance",
        "Security",
        "Testing",
        "DevOps",
        "Frontend",
        "Backend",
        "APIs",
        "HTTP",
        "Caching",
        "Search",
        "Observability",
        "Architecture",
        "Career",
        "Open Source",
        "Machine Learning",
        "Networking",
        "Linux",
        "Compilers",
    ];
    const WORDS: [&str; 48] = [
        "system",
        "queue",
        "latency",
        "index",
        "cache",
        "request",
        "server",
        "client",
        "thread",
        "memory",
        "storage",
        "query",
        "schema",
        "deploy",
        "release",
        "service",
        "token",
        "network",
        "packet",
        "buffer",
        "stream",
        "event",
        "shard",
        "replica",
        "cluster",
        "node",
        "metric",
        "trace",
        "log",
        "error",
        "retry",
        "timeout",
        "backoff",
        "design",
        "tradeoff",
        "benchmark",
        "profile",
        "compile",
        "runtime",
        "library",
        "module",
        "interface",
        "contract",
        "version",
        "migration",
        "rollback",
        "throughput",
        "consistency",
    ];
    const POOL: usize = 500;

    for (slug, name) in [
        ("ada", "Ada Lovelace"),
        ("grace", "Grace Hopper"),
        ("linus", "Linus Torvalds"),
    ] {
        let write = AuthorWrite {
            slug: slug.to_owned(),
            name: name.to_owned(),
            bio: None,
            avatar_url: None,
            website: None,
        };
        put_author(pool, write).await?;
    }

    let mut rng = StdRng::seed_from_u64(seed);
    let sentence = |rng: &mut StdRng, words: usize| {
        let mut s: Vec<&str> = (0..words)
            .map(|_| WORDS[rng.random_range(0..WORDS.len())])
            .collect();
        let first = s[0].to_owned();
        let mut capital = first[..1].to_uppercase();
        capital.push_str(&first[1..]);
        s[0] = "";
        format!("{capital}{}.", s.join(" "))
    };
    let bodies: Vec<(String, markdown::Rendered)> = (0..POOL.min(n.max(1)))
        .map(|_| {
            let mut md = String::new();
            for section in 0..5 {
                md.push_str(&format!("## {}\n\n", sentence(&mut rng, 4).trim_end_matches('.')));
                for _ in 0..3 {
                    let paragraph: Vec<String> = (0..5).map(|_| sentence(&mut rng, 19)).collect();
                    md.push_str(&paragraph.join(" "));
                    md.push_str("\n\n");
                }
                if section == 2 {
                    md.push_str("```rust\nfn main() {\n    let answer = 42;\n    println!(\"{answer}\");\n}\n```\n\n");
                }
            }
            let rendered = markdown::render(&md);
            (md, rendered)
        })
        .collect();

    let three_years = 3 * 365 * 24 * 3600_i64;
    let end = chrono::DateTime::from_timestamp(1_793_491_200, 0).unwrap_or_default(); // 2026-11-01T00:00:00Z
    let tags: Vec<TagName> = TAGS
        .iter()
        .map(|name| TagName {
            slug: crate::domain::slug::Slug::derive(name)
                .map(|s| s.into_string())
                .unwrap_or_default(),
            name: (*name).to_owned(),
        })
        .collect();
    let authors: Vec<String> = ["ada", "grace", "linus"].map(str::to_owned).to_vec();
    let bodies: Vec<ArticleWrite> = bodies
        .into_iter()
        .map(|(md, rendered)| ArticleWrite {
            slug: "corpus".to_owned(),
            title: "Corpus".to_owned(),
            summary: None,
            derived_summary: rendered.summary,
            body_markdown: md,
            body_html: rendered.html,
            body_text: rendered.text,
            toc: rendered.toc,
            word_count: i32::try_from(rendered.word_count).unwrap_or(i32::MAX),
            reading_time_minutes: i32::try_from(rendered.reading_time_minutes).unwrap_or(i32::MAX),
            status: Status::Published,
            published_at: None,
            featured: false,
            tags: Vec::new(),
            authors: Vec::new(),
            cover_image: None,
            seo: Default::default(),
            media: Vec::new(),
        })
        .collect();
    let pool_size = bodies.len().max(1);
    let mut done = 0;
    let next_batch = move || -> Vec<store::CorpusArticle> {
        let batch: Vec<store::CorpusArticle> = (done..(done + 10_000).min(n))
            .map(|i| {
                let title = format!(
                    "Article {i}: {}",
                    sentence(&mut rng, 5).trim_end_matches('.')
                );
                let mut picked: Vec<i32> = Vec::new();
                for _ in 0..rng.random_range(1..=3) {
                    let tag = rng.random_range(0..TAGS.len() as i32);
                    if !picked.contains(&tag) {
                        picked.push(tag);
                    }
                }
                let offset =
                    three_years * i64::try_from(i).unwrap_or(0) / i64::try_from(n).unwrap_or(1);
                store::CorpusArticle {
                    id: uuid::Uuid::new_v4(),
                    slug: format!("article-{i}"),
                    title,
                    published_at: end - chrono::Duration::seconds(three_years - offset),
                    featured: rng.random_range(0..10) == 0,
                    body: i32::try_from(i % pool_size).unwrap_or(0),
                    tags: picked,
                    author: i32::try_from(i % 3).unwrap_or(0),
                }
            })
            .collect();
        done += batch.len();
        batch
    };
    let loaded = stores::run(pool, move |conn| {
        let corpus = store::Corpus {
            bodies: &bodies,
            tags: &tags,
            authors: &authors,
        };
        store::load_corpus(conn, &corpus, next_batch, progress)
    })
    .await?;
    Ok(loaded)
}
