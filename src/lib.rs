//! Folio: a headless content API. Data flows one way: `startup` builds the HTTP application (used by the binary
//! and the tests alike) → `api` speaks HTTP → `state` holds what requests share → `store` speaks SQL → `db` owns
//! connections; `domain` holds the pure rules every layer relies on and imports none of them. See ARCHITECTURE.md.

pub mod api;
pub mod cache;
pub mod client;
pub mod config;
pub mod db;
pub mod dispatch;
pub mod domain;
pub mod limits;
pub mod seed;
pub mod startup;
pub mod state;
pub mod storage;
pub mod store;
