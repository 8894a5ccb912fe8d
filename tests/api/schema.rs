//! `src/db/schema.rs` must describe the migrated database: every column it names must exist with a type diesel
//! can read.

use diesel::{QueryDsl, RunQueryDsl, Table};
use folio::db::schema::*;

use crate::helpers::TestApp;

#[actix_web::test]
async fn schema_rs_matches_the_migrations() {
    let app = TestApp::spawn().await;
    let mut conn = app.db();
    macro_rules! check {
        ($($table:ident),+) => {$(
            $table::table
                .select($table::table::all_columns())
                .limit(0)
                .execute(&mut conn)
                .unwrap_or_else(|e| panic!("{}: {e}", stringify!($table)));
        )+};
    }
    check!(
        api_tokens,
        article_authors,
        article_counts,
        article_slug_history,
        article_tags,
        articles,
        authors,
        change_cursors,
        changes,
        scheduled_articles,
        search_words,
        tags,
        webhook_attempts,
        webhook_deliveries,
        webhooks
    );

    // And the database has no column schema.rs forgets (articles.search and articles.head are read through SQL only).
    let count = |table: &str| -> i64 {
        diesel::dsl::sql_query("SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1")
            .bind::<diesel::sql_types::Text, _>(table)
            .execute(&mut app.db())
            .expect("columns") as i64
    };
    assert_eq!(count("articles"), 19 + 2);
    assert_eq!(count("search_words"), 1);
    assert_eq!(count("instance_secrets"), 2);
    assert_eq!(count("tags"), 7);
    assert_eq!(count("authors"), 9);
    assert_eq!(count("api_tokens"), 7);
    assert_eq!(count("article_tags"), 4);
    assert_eq!(count("article_authors"), 4);
    assert_eq!(count("article_counts"), 4);
    assert_eq!(count("article_slug_history"), 3);
    assert_eq!(count("changes"), 7);
    assert_eq!(count("change_cursors"), 2);
    assert_eq!(count("scheduled_articles"), 2);
    assert_eq!(count("webhooks"), 12);
    assert_eq!(count("webhook_deliveries"), 11);
    assert_eq!(count("webhook_attempts"), 6);
}
