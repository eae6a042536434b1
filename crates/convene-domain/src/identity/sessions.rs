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

    /// Whether a request at `now` should record itself as the session's
    /// last activity. Once a minute is enough: the idle limit is counted
    /// from a time at most a minute early, so a session can only end
    /// sooner, never later, and a busy practitioner's every page is not a
    /// database write.
    pub fn needs_touch(&self, last_seen_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now - last_seen_at >= TOUCH_EVERY || now < last_seen_at
    }
}

/// How often a session's (or token's) last use is written down.
pub const TOUCH_EVERY: Duration = Duration::minutes(1);

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

    #[test]
    fn activity_is_written_at_most_once_a_minute() {
        let policy = SessionPolicy::default();
        let seen = Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
        assert!(!policy.needs_touch(seen, seen));
        assert!(!policy.needs_touch(seen, seen + Duration::seconds(59)));
        assert!(policy.needs_touch(seen, seen + Duration::seconds(60)));
        // A clock that went back: write the earlier time, never keep a
        // future one that would stretch the idle limit.
        assert!(policy.needs_touch(seen, seen - Duration::seconds(1)));
        // Touched a minute late at worst, the session still ends within
        // the idle limit of its real last use.
        let last_use = seen + Duration::seconds(59);
        assert!(!policy.is_live(seen, seen, last_use + policy.idle - Duration::seconds(59)));
    }
}
