//! Pure rules shared by the HTTP layer and the store: value types and text processing. Nothing here touches the
//! database or HTTP.

pub mod cursor;
pub mod markdown;
pub mod scope;
pub mod slug;
pub mod time;
pub mod token;
