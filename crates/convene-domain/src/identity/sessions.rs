//! How long a signed-in session lives.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    /// A session unused this long ends.
    pub idle: Duration,
    /// No session lives longer than this, however busy.
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

impl SessionPolicy {
    pub fn is_live(
        &self,
        created_at: DateTime<Utc>,
        last_seen_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> bool {
        now - last_seen_at < self.idle
            && now - created_at < self.absolute
            && now >= created_at - Duration::minutes(5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn idle_and_absolute_limits() {
        let policy = SessionPolicy::default();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
        assert!(policy.is_live(t0, t0, t0 + Duration::minutes(29)));
        assert!(!policy.is_live(t0, t0, t0 + Duration::minutes(30)));
        // Busy all day: still ends after 12 hours.
        let busy = t0 + Duration::hours(12) - Duration::minutes(1);
        assert!(policy.is_live(t0, busy, busy));
        assert!(!policy.is_live(t0, busy, t0 + Duration::hours(12)));
    }
}
