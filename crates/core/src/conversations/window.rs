//! WhatsApp's 24 h customer service window, from the customer's last message (reference §4).
//! Our own messages do not extend it.

use chrono::{DateTime, Duration, Utc};

/// How long after the customer's last message free-form replies are allowed.
pub const WINDOW: Duration = Duration::hours(24);

/// The window's end when it is still open at `now`; `None` when closed or never opened.
pub fn window_until(last_inbound_at: Option<&str>, now: DateTime<Utc>) -> Option<String> {
    let last = DateTime::parse_from_rfc3339(last_inbound_at?)
        .ok()?
        .with_timezone(&Utc);
    let until = last + WINDOW;
    (now < until).then(|| crate::store::timestamp::to_text(until))
}

/// When the window closed, if it has (`None` while open or when the customer never wrote).
pub fn window_closed_at(last_inbound_at: Option<&str>, now: DateTime<Utc>) -> Option<String> {
    let last = DateTime::parse_from_rfc3339(last_inbound_at?)
        .ok()?
        .with_timezone(&Utc);
    let until = last + WINDOW;
    (now >= until).then(|| crate::store::timestamp::to_text(until))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_for_24_hours_after_the_last_inbound() {
        let now = DateTime::parse_from_rfc3339("2026-03-02T12:00:00.000Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            window_until(Some("2026-03-02T11:00:00.000Z"), now).as_deref(),
            Some("2026-03-03T11:00:00.000Z")
        );
        assert_eq!(window_until(Some("2026-03-01T11:59:59.999Z"), now), None);
        assert_eq!(window_until(Some("2026-03-01T12:00:00.000Z"), now), None);
        assert_eq!(window_until(None, now), None);
        assert_eq!(
            window_closed_at(Some("2026-03-01T11:00:00.000Z"), now).as_deref(),
            Some("2026-03-02T11:00:00.000Z")
        );
        assert_eq!(
            window_closed_at(Some("2026-03-02T11:00:00.000Z"), now),
            None
        );
        assert_eq!(window_closed_at(None, now), None);
    }
}
