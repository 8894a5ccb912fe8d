//! Folio: a headless content API. `startup` builds the HTTP application used by both the binary and the tests;
//! `api` speaks HTTP, `store` speaks SQL, `db` owns connections, and `domain` holds the pure rules both rely on.

pub mod api;
pub mod cache;
pub mod config;
pub mod db;
pub mod domain;
pub mod seed;
pub mod startup;
pub mod store;
