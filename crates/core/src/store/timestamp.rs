//! The one format of every timestamp stored in a TEXT column: RFC 3339 in UTC with exactly three
//! fractional digits and a `Z` — `2026-11-29T14:05:09.120Z`. Fixed width, so text order is time
//! order (`ORDER BY created_at` is correct) and SQLite's own date functions read it. Every writer
//! formats through [`to_text`] (or [`now_text`]); migration 0007 rewrote older rows to it.

use chrono::{DateTime, SecondsFormat, SubsecRound, Utc};

/// The current time at the precision it is stored with, so a value returned to the caller equals
/// what a later read gives back.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}

/// `t` as stored.
pub fn to_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The current time as stored.
pub fn now_text() -> String {
    to_text(now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_width_utc_with_milliseconds() {
        let t: DateTime<Utc> = "2026-11-29T11:05:09.1204567-03:00".parse().unwrap();
        assert_eq!(to_text(t), "2026-11-29T14:05:09.120Z");
        let whole: DateTime<Utc> = "2026-11-29T14:05:09Z".parse().unwrap();
        assert_eq!(to_text(whole), "2026-11-29T14:05:09.000Z");
        let n = now_text();
        assert_eq!(n.len(), 24, "{n}");
        assert!(n.ends_with('Z'));
        assert_eq!(now().timestamp_subsec_nanos() % 1_000_000, 0);
    }
}
