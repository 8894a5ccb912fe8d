//! Articles: typed rows (`row`), the visibility predicate (`visibility`), the listing query (`listing`, made into
//! SQL in `shape`, with its totals in `totals`, its keyset windows in `keyset`, its search in `search` and what a search marks in `highlight`), single reads, neighbours and
//! related articles (`read`), the write path (`write`, with tag and author links in `links`), and the bulk loader of
//! benchmark corpora (`bulk`).

mod bulk;
mod highlight;
mod keyset;
mod links;
mod listing;
mod read;
mod row;
mod search;
mod shape;
mod totals;
pub mod visibility;
mod write;

pub use bulk::{load_corpus, Corpus, CorpusArticle};
pub use highlight::{suggest, Highlight, Suggestion};
pub use listing::{list, visible_cards, Filters, Include, ListQuery, Page, Sort, Window};
pub use read::{get, id_of, neighbour_ids, neighbours, next_publication_secs, related, renamed_to};
pub use row::{ArticleHead, ArticleRecord, AuthorLink, Neighbour, TagLink};
pub use search::{BODY_CANDIDATES, HEAD_CANDIDATES};
pub use totals::{Total, COUNT_CAP};
pub use write::{create, delete, put, update_with, Outcome, Precondition};
