//! Folio's HTTP tests: one binary, a module per area. Each test runs the real server on its own database.

mod articles_read;
mod articles_write;
mod authors;
mod cache;
mod changes;
mod cli;
mod counters;
mod embedded;
mod errors;
mod faults;
mod helpers;
mod hostile;
mod http;
mod listing_matrix;
mod openapi;
mod ops;
mod probe;
mod proxies;
mod replicas;
mod schema;
mod search;
mod shutdown;
mod site;
mod tags;
mod tokens;
mod webhooks;
