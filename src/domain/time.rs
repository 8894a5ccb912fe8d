//! Which instants Folio accepts: those RFC 3339 can write with a four-digit year (0001 to 9999, in UTC), so
//! every date it stores can be answered, compared and put in a cursor.

use chrono::{DateTime, Datelike, Utc};

pub fn representable(t: &DateTime<Utc>) -> bool {
    (1..=9999).contains(&t.year())
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    #[test]
    fn years_outside_four_digits_are_refused() {
        let parse = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .ok()
        };
        assert!(parse("2026-04-18T09:00:00Z").is_some_and(|t| super::representable(&t)));
        assert!(parse("0000-01-01T00:00:00+23:59").is_some_and(|t| !super::representable(&t)));
        assert!(parse("9999-12-31T23:59:59-23:59").is_some_and(|t| !super::representable(&t)));
    }
}
