//! The syntax of a search, as PostgreSQL will read it.

use super::*;

fn ts(q: &str) -> Option<String> {
    Query::parse(q).map(|q| q.tsquery(&Corrections::new()))
}

#[test]
fn web_search_syntax_becomes_quoted_operands() {
    assert_eq!(
        ts("message queues ").as_deref(),
        Some("'message' & 'queues'")
    );
    assert_eq!(
        ts("\"exact phrase\" -kafka or sqs ").as_deref(),
        Some("'exact phrase' & !'kafka' | 'sqs'")
    );
    assert_eq!(
        ts("write-ahead log ").as_deref(),
        Some("'write-ahead' & 'log'")
    );
    assert_eq!(
        ts("node.js http/2, (c++)").as_deref(),
        Some("'node.js' & 'http/2' & 'c'")
    );
    assert_eq!(ts("---kafka").as_deref(), Some("!'kafka'"));
    assert_eq!(ts("-\"two words\"").as_deref(), Some("!'two words'"));
    assert_eq!(
        ts("\"unclosed phrase").as_deref(),
        Some("'unclosed phrase'")
    );
    assert_eq!(ts("\"kafka\"").as_deref(), Some("'kafka'"));
    assert_eq!(ts("or or kafka or").as_deref(), Some("'kafka'"));
    assert_eq!(ts("it's O'Reilly ").as_deref(), Some("'it s' & 'O Reilly'"));
}

#[test]
fn hostile_text_leaves_nothing_or_plain_words() {
    assert_eq!(ts(&"-".repeat(40)), None);
    assert_eq!(ts(&"- ".repeat(40)), None);
    assert_eq!(ts("!!! & | <-> :* ' \\"), None);
    assert_eq!(ts("a ------").as_deref(), Some("'a'"));
    assert_eq!(
        ts("'; DROP TABLE articles; --").as_deref(),
        Some("'drop' & 'table' & 'articles'")
    );
    assert_eq!(ts("a'b\\c<d>e\"f").as_deref(), Some("'a b c d e' & 'f'"));
    assert_eq!(ts("x:*A&!y").as_deref(), Some("'x:*A&!y':*"));
    let many = Query::parse(&"w ".repeat(100)).map(|q| q.terms.len());
    assert_eq!(many, Some(MAX_TERMS));
}

#[test]
fn the_last_word_typed_is_a_prefix() {
    assert_eq!(
        ts("consistent hash").as_deref(),
        Some("'consistent' & 'hash':*")
    );
    assert_eq!(
        ts("consistent hash ").as_deref(),
        Some("'consistent' & 'hash'")
    );
    assert_eq!(ts("c").as_deref(), Some("'c'"));
    assert_eq!(ts("-kafka").as_deref(), Some("!'kafka'"));
    assert_eq!(ts("\"raft lead\"").as_deref(), Some("'raft lead'"));
}

#[test]
fn corrections_widen_words_but_not_exclusions() {
    let q = Query::parse("kuberntes -kafak operator ").expect("query");
    assert_eq!(q.correctable(), ["kuberntes", "operator"]);
    let mut c = Corrections::new();
    c.insert("kuberntes".into(), vec!["kubernetes".into()]);
    c.insert("kafak".into(), vec!["kafka".into()]);
    assert_eq!(
        q.tsquery(&c),
        "('kuberntes' | 'kubernetes') & !'kafak' & 'operator'"
    );
    assert_eq!(q.ranked(&c), "('kuberntes' | 'kubernetes') & 'operator'");
    assert_eq!(q.any(&c), "('kuberntes' | 'kubernetes') | 'operator'");
}

#[test]
fn stems_open_each_wanted_word() {
    let q = Query::parse("Hashing consistent -kafka \"write-ahead log\" kuberntes").expect("query");
    let mut c = Corrections::new();
    c.insert("kuberntes".into(), vec!["kubernetes".into()]);
    assert_eq!(
        q.stems(&c),
        ["ahea", "consist", "hash", "kubern", "kuberne", "log", "writ"]
    );
}

#[test]
fn a_word_typed_past_its_stem_is_completed_from_known_words() {
    let mut q = Query::parse("keyset paginat").expect("query");
    assert_eq!(q.completable(), Some("paginat"));
    q.complete(vec!["pagination".into(), "paginated".into()]);
    assert_eq!(
        q.tsquery(&Corrections::new()),
        "'keyset' & ('paginat':* | 'pagination' | 'paginated')"
    );
    // A whole word matched ranks above a word only begun.
    assert_eq!(q.exact(), "'keyset' & 'paginat'");
    assert_eq!(
        q.suggestion().as_deref(),
        Some("'keyset':A & ('paginat':*A | 'pagination':A | 'paginated':A)")
    );
    assert_eq!(q.suggestion_so_far().as_deref(), Some("'keyset':A"));
    assert_eq!(
        Query::parse("keyset paginat ").and_then(|q| q.completable().map(str::to_owned)),
        None
    );
    assert_eq!(ts("full-t").as_deref(), Some("'full-t':*"));
    assert_eq!(
        Query::parse("search full-t")
            .and_then(|q| q.suggestion())
            .as_deref(),
        Some("'search':A & 'full-t':*A")
    );
}

#[test]
fn together_and_suggestion() {
    let q = Query::parse("consistent hash").expect("query");
    assert_eq!(q.together().as_deref(), Some("('consistent' <-> 'hash':*)"));
    assert_eq!(
        q.suggestion().as_deref(),
        Some("'consistent':A & 'hash':*A")
    );
    assert_eq!(
        Query::parse("kafka or sqs").and_then(|q| q.together()),
        None
    );
    assert_eq!(Query::parse("kafka").and_then(|q| q.together()), None);
}

#[test]
fn typo_distance_grows_with_length() {
    assert!(is_correction("postgrse", "postgres"));
    assert!(is_correction("idempotnet", "idempotent"));
    assert!(is_correction("kuberntes", "kubernetes"));
    assert!(!is_correction("cache", "cache"));
    assert!(!is_correction("cahce", "chance"));
    assert!(!is_correction("node", "nods"));
    assert!(is_correction("consistnet", "consistent"));
    assert!(!is_correction("postgres", "progress"));
}
