//! Which instants Folio accepts: those RFC 3339 can write with a four-digit year (0001 to 9999, in UTC), so
//! every date it stores can be answered, compared and put in a cursor.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};

pub fn representable(t: &DateTime<Utc>) -> bool {
    (1..=9999).contains(&t.year())
}

/// The instant as PostgreSQL stores it: to the microsecond, and a leap second (`23:59:60`) as the next second's
/// start. Writes compare what they would store with what is stored, so they must round the same way.
pub fn as_stored(t: DateTime<Utc>) -> DateTime<Utc> {
    let nanos = t.nanosecond();
    let (leap, nanos) = match nanos.checked_sub(1_000_000_000) {
        Some(over) => (true, over),
        None => (false, nanos),
    };
    let micros = t.with_nanosecond(nanos / 1000 * 1000).unwrap_or(t);
    if leap {
        micros + Duration::seconds(1)
    } else {
        micros
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    #[test]
    fn stored_instants_are_microseconds_and_leap_seconds_roll_over() {
        let parse = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .ok()
        };
        let nanos = parse("2026-01-01T00:00:00.123456789Z").expect("valid");
        assert_eq!(
            super::as_stored(nanos),
            parse("2026-01-01T00:00:00.123456Z").expect("valid")
        );
        let leap = parse("2016-12-31T23:59:60.5Z").expect("valid");
        assert_eq!(
            super::as_stored(leap),
            parse("2017-01-01T00:00:00.5Z").expect("valid")
        );
        let plain = parse("2026-04-18T09:00:00Z").expect("valid");
        assert_eq!(super::as_stored(plain), plain);
    }

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
