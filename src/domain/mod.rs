//! Pure rules shared by every layer: value types and text processing. Nothing here touches the database or HTTP,
//! and nothing here imports `api`, `store`, `db` or `startup`.

pub mod article;
pub mod cursor;
pub mod field_error;
pub mod link;
pub mod markdown;
pub mod media;
pub mod page;
pub mod scope;
pub mod search;
pub mod site;
pub mod slug;
pub mod surrogate;
pub mod time;
pub mod token;
pub mod webhook;
