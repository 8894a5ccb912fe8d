//! The text of a search, made safe for PostgreSQL's web-search parser before it reaches SQL: a run of minus
//! signs negates once, and a token with no letter or digit (a lone `-`, `"` or `!`) is dropped, since runs of
//! negations without a term overflow the parser's stack (a 500 for anyone, before this). At most 32 terms.

/// The most terms a search keeps.
pub const MAX_TERMS: usize = 32;

/// The search as PostgreSQL will read it, or `None` when nothing searchable is left.
pub fn normalize(q: &str) -> Option<String> {
    let terms: Vec<String> = q
        .split_whitespace()
        .filter_map(|token| {
            let bare = token.trim_start_matches('-');
            if !bare.chars().any(char::is_alphanumeric) {
                return None;
            }
            Some(if bare.len() < token.len() {
                format!("-{bare}")
            } else {
                bare.to_owned()
            })
        })
        .take(MAX_TERMS)
        .collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn negation_runs_collapse_and_empty_operators_go() {
        assert_eq!(
            normalize("message queues").as_deref(),
            Some("message queues")
        );
        assert_eq!(
            normalize("\"exact phrase\" -kafka or sqs").as_deref(),
            Some("\"exact phrase\" -kafka or sqs")
        );
        assert_eq!(normalize("---kafka").as_deref(), Some("-kafka"));
        assert_eq!(normalize(&"-".repeat(40)), None);
        assert_eq!(normalize(&"- ".repeat(40)), None);
        assert_eq!(normalize("a ------").as_deref(), Some("a"));
        assert_eq!(
            normalize(&"w ".repeat(100)).map(|q| q.split(' ').count()),
            Some(32)
        );
    }
}
