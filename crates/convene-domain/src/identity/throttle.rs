//! Limits on repeated failures (sign-in by account and by client address).

use chrono::{DateTime, Duration, Utc};

/// How many failures are allowed within a window before the key is locked,
/// and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleRule {
    pub limit: u32,
    pub window: Duration,
    pub lock_for: Duration,
}

impl ThrottleRule {
    /// 10 failures for one account lock it for 15 minutes.
    pub fn per_account() -> Self {
        Self {
            limit: 10,
            window: Duration::minutes(15),
            lock_for: Duration::minutes(15),
        }
    }

    /// A client address may fail 30 times in 15 minutes (several people may
    /// share a school's address) before it must wait 15 minutes.
    pub fn per_address() -> Self {
        Self {
            limit: 30,
            window: Duration::minutes(15),
            lock_for: Duration::minutes(15),
        }
    }
}

/// The failure count of one key (an account or an address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleState {
    pub failures: u32,
    pub window_started_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}

impl ThrottleState {
    pub fn new(now: DateTime<Utc>) -> Self {
        Self {
            failures: 0,
            window_started_at: now,
            locked_until: None,
        }
    }

    /// How long until the key may try again, if it is locked now.
    pub fn locked_for(&self, now: DateTime<Utc>) -> Option<Duration> {
        self.locked_until
            .filter(|until| *until > now)
            .map(|until| until - now)
    }

    /// The state after one more failure at `now`.
    pub fn record_failure(self, rule: ThrottleRule, now: DateTime<Utc>) -> Self {
        let mut next = if now - self.window_started_at >= rule.window
            || self.locked_for(now).is_none() && self.locked_until.is_some()
        {
            Self::new(now)
        } else {
            self
        };
        next.failures += 1;
        if next.failures >= rule.limit {
            next.locked_until = Some(now + rule.lock_for);
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_tenth_failure_locks_for_fifteen_minutes_then_releases() {
        let rule = ThrottleRule::per_account();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let mut state = ThrottleState::new(t0);
        for i in 0..9 {
            state = state.record_failure(rule, t0 + Duration::seconds(i));
            assert_eq!(state.locked_for(t0 + Duration::seconds(i)), None);
        }
        let at = t0 + Duration::seconds(9);
        state = state.record_failure(rule, at);
        assert_eq!(state.locked_for(at), Some(Duration::minutes(15)));
        assert_eq!(state.locked_for(at + Duration::minutes(15)), None);
        // After the lock, counting starts again.
        let later = at + Duration::minutes(16);
        state = state.record_failure(rule, later);
        assert_eq!(state.failures, 1);
        assert_eq!(state.locked_for(later), None);
    }

    #[test]
    fn failures_spread_beyond_the_window_never_lock() {
        let rule = ThrottleRule::per_account();
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let mut state = ThrottleState::new(t0);
        for i in 0..30 {
            let now = t0 + Duration::minutes(2 * i);
            state = state.record_failure(rule, now);
            assert_eq!(state.locked_for(now), None, "failure {i}");
        }
    }
}
