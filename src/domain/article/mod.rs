//! Articles' rules: the stored status, what a reader sees (`draft`, `scheduled`, `published`), which readers see
//! what (visibility), and the write rules (`write.rs`). The store's SQL predicate and every view derive from the
//! types here; nothing else decides what "public" means.

mod write;

use chrono::{DateTime, Utc};

pub use write::{ArticleInput, ArticleWrite, CoverImage, Seo, TagName, MAX_AUTHORS, MAX_TAGS};

/// The status column: what a writer chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Draft,
    Published,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Published => "published",
        }
    }

    /// The stored text; anything but `published` reads as a draft (the column's CHECK allows nothing else).
    pub fn from_stored(s: &str) -> Status {
        if s == "published" {
            Status::Published
        } else {
            Status::Draft
        }
    }
}

/// What a reader sees at a given instant: a published article whose date is ahead is `scheduled` until then,
/// and goes live by itself at that time (no job runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadStatus {
    Draft,
    Scheduled,
    Published,
}

impl ReadStatus {
    pub fn at(
        status: Status,
        published_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> ReadStatus {
        match (status, published_at) {
            (Status::Published, Some(at)) if at > now => ReadStatus::Scheduled,
            (Status::Published, _) => ReadStatus::Published,
            (Status::Draft, _) => ReadStatus::Draft,
        }
    }
}

/// Which articles a read may see. `Public` is what anyone may read; the others need a `content:read` token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Visibility {
    Public,
    Draft,
    Scheduled,
    Any,
}

impl Visibility {
    /// The read statuses this visibility admits; the store's SQL predicate is written from this list.
    pub fn admits(self, status: ReadStatus) -> bool {
        match self {
            Visibility::Public => status == ReadStatus::Published,
            Visibility::Draft => status == ReadStatus::Draft,
            Visibility::Scheduled => status == ReadStatus::Scheduled,
            Visibility::Any => true,
        }
    }

    /// Whether a row with these values is visible at `now`.
    pub fn sees(
        self,
        status: Status,
        published_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> bool {
        self.admits(ReadStatus::at(status, published_at, now))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_published_article_is_scheduled_until_its_time() {
        let now = Utc::now();
        let later = now + chrono::Duration::hours(1);
        assert_eq!(
            ReadStatus::at(Status::Published, Some(later), now),
            ReadStatus::Scheduled
        );
        assert_eq!(
            ReadStatus::at(Status::Published, Some(now), now),
            ReadStatus::Published
        );
        assert_eq!(
            ReadStatus::at(Status::Draft, Some(now), now),
            ReadStatus::Draft
        );
        assert!(Visibility::Public.sees(Status::Published, Some(now), now));
        assert!(!Visibility::Public.sees(
            Status::Published,
            Some(later),
            later - chrono::Duration::seconds(1)
        ));
        assert!(Visibility::Public.sees(Status::Published, Some(later), later));
        assert!(!Visibility::Public.sees(Status::Draft, None, now));
        assert!(Visibility::Any.sees(Status::Draft, None, now));
    }
}
