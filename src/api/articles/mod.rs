//! `/api/v1/articles` and `/api/v1/featured`: public reads, token reads of drafts and scheduled articles, and the
//! writes CI scripts and editors make. One file per job: query parameters (`params`), listings (`list`), single
//! reads (`read`), request bodies (`input`), writes (`write`, `patch`) and conditional requests (`conditional`).

mod conditional;
mod input;
mod list;
mod params;
mod patch;
mod read;
mod write;

pub use conditional::etag;
pub(crate) use conditional::{document_etag, document_response, precondition};
pub(crate) use input::{parse, read_document};
pub use list::*;
pub use params::ArticleListParams;
pub(crate) use patch::merge_write;
pub use patch::*;
pub use read::*;
pub use write::*;

use super::problem::{ApiError, Subject};

/// The subject of messages about the article at `slug`.
fn subject(slug: &str) -> Subject<'_> {
    Subject {
        kind: "article",
        slug,
    }
}

/// The path's slug, or a 404 for anything that cannot be one.
fn path_slug(slug: &str) -> Result<String, ApiError> {
    subject(slug).path_slug()
}
