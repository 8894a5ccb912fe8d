//! The SQL translation of `domain::article::Visibility`: the only place SQL says what a reader may see.

use std::borrow::Cow;

use crate::domain::article::{ReadStatus, Visibility};

const READ_STATUSES: [ReadStatus; 3] = [
    ReadStatus::Draft,
    ReadStatus::Scheduled,
    ReadStatus::Published,
];

/// `ReadStatus::at` over the `articles` row, as SQL.
fn status_sql(status: ReadStatus) -> &'static str {
    match status {
        ReadStatus::Draft => "articles.status = 'draft'",
        ReadStatus::Scheduled => {
            "(articles.status = 'published' AND articles.published_at > now())"
        }
        ReadStatus::Published => {
            "(articles.status = 'published' AND articles.published_at <= now())"
        }
    }
}

/// The rows `visibility` admits, as a predicate over `articles`.
pub fn predicate(visibility: Visibility) -> Cow<'static, str> {
    let admitted: Vec<&str> = READ_STATUSES
        .into_iter()
        .filter(|s| visibility.admits(*s))
        .map(status_sql)
        .collect();
    match admitted.as_slice() {
        [one] => Cow::Borrowed(one),
        all if all.len() == READ_STATUSES.len() => Cow::Borrowed("TRUE"),
        some => Cow::Owned(format!("({})", some.join(" OR "))),
    }
}

/// `predicate` said of another table with the same status columns (`pages`).
pub fn predicate_of(visibility: Visibility, table: &str) -> String {
    predicate(visibility).replace("articles.", &format!("{table}."))
}

/// `predicate` over a tag or author link aliased `link`, from the timeline place it carries (`listed_at`: the
/// article's `published_at` while it is published, NULL while it is a draft; the migration's `folio_listed_at`
/// says the same in SQL, and triggers keep it). Only the views that admit published articles alone have one.
pub fn link_predicate(visibility: Visibility, link: &str) -> Option<String> {
    match visibility {
        Visibility::Public => Some(format!("{link}.listed_at <= now()")),
        Visibility::Scheduled => Some(format!("{link}.listed_at > now()")),
        Visibility::Draft | Visibility::Any => None,
    }
}

/// The number of public articles linked to the current row of `table` (tags, authors): the stored counter of its
/// published links less the scheduled ones, which a range scan of the timeline index finds.
pub fn public_count(table: &str, link: &str, fk: &str) -> String {
    format!(
        "({table}.listed_count - (SELECT count(*) FROM {link} s WHERE s.{fk} = {table}.id AND {}))",
        link_predicate(Visibility::Scheduled, "s").unwrap_or_default()
    )
}

/// Only published rows have a `published_at` for sure; other views sort drafts by creation time.
pub fn published_key(visibility: Visibility) -> &'static str {
    match visibility {
        Visibility::Public | Visibility::Scheduled => "articles.published_at",
        Visibility::Draft | Visibility::Any => {
            "COALESCE(articles.published_at, articles.created_at)"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_visibility_has_one_predicate() {
        assert_eq!(
            predicate(Visibility::Public),
            "(articles.status = 'published' AND articles.published_at <= now())"
        );
        assert_eq!(predicate(Visibility::Draft), "articles.status = 'draft'");
        assert_eq!(predicate(Visibility::Any), "TRUE");
    }

    #[test]
    fn links_know_public_and_scheduled_only() {
        assert_eq!(
            link_predicate(Visibility::Public, "l").as_deref(),
            Some("l.listed_at <= now()")
        );
        assert_eq!(link_predicate(Visibility::Draft, "l"), None);
        assert!(public_count("tags", "article_tags", "tag_id").contains("s.listed_at > now()"));
    }
}
