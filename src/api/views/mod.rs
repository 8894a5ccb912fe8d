//! The JSON that leaves the server, separate from database rows so that a column change never silently changes
//! the API. Field names here are the contract of PRODUCT.md §2.

mod article;
mod change;
pub mod feed;
mod listing;
mod media;
mod page;
mod resource;
pub mod sitemap;
mod token;
mod webhook;

pub use article::*;
pub use change::*;
pub use listing::*;
pub use media::*;
pub use page::*;
pub use resource::*;
pub use token::*;
pub use webhook::*;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serializer;

/// RFC 3339 in UTC with a `Z`, to the second unless the time has a fraction.
pub fn rfc3339<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

pub fn rfc3339_opt<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => rfc3339(t, s),
        None => s.serialize_none(),
    }
}
