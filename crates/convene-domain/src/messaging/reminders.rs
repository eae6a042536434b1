//! When appointment reminders go, and whether they go at all. By default a
//! reminder goes 7 days and 1 day before, at the appointment's time of day,
//! but only between 08:00 and 20:00 UK time; none goes for an appointment
//! cancelled or moved (the moved one gets its own), once consent is
//! withdrawn, or to a family who opted out.

use chrono::{DateTime, Days, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::London;

/// Reminders per appointment, and the hours they may be sent in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderPolicy {
    pub days_before: Vec<u32>,
    pub earliest: NaiveTime,
    pub latest: NaiveTime,
}

impl Default for ReminderPolicy {
    fn default() -> Self {
        Self {
            days_before: vec![7, 1],
            earliest: NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default(),
            latest: NaiveTime::from_hms_opt(20, 0, 0).unwrap_or_default(),
        }
    }
}

/// How a service's reminders go: when, and what they may say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceReminders {
    /// Days before an appointment that reminders go; none: no reminders.
    pub days_before: Vec<u32>,
    /// Reminders say only the date, time and phone number.
    pub sensitive: bool,
    /// Reminders may name the service (never for a sensitive one).
    pub name_allowed: bool,
    /// The number families call to change an appointment.
    pub phone: Option<String>,
}

impl Default for ServiceReminders {
    fn default() -> Self {
        Self {
            days_before: vec![7, 1],
            sensitive: false,
            name_allowed: false,
            phone: None,
        }
    }
}

impl ServiceReminders {
    pub fn policy(&self) -> ReminderPolicy {
        ReminderPolicy {
            days_before: self.days_before.clone(),
            ..ReminderPolicy::default()
        }
    }
}

/// Reads "7, 1" (days before; empty for none): at most three, each from 1
/// to 60 days.
pub fn parse_days(text: &str) -> Result<Vec<u32>, &'static str> {
    let mut days = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let day: u32 = part
            .parse()
            .map_err(|_| "Write the days as whole numbers separated by commas, like 7, 1")?;
        if !(1..=60).contains(&day) {
            return Err("Each reminder goes between 1 and 60 days before");
        }
        if !days.contains(&day) {
            days.push(day);
        }
    }
    if days.len() > 3 {
        return Err("Send at most 3 reminders for an appointment");
    }
    days.sort_unstable_by(|a, b| b.cmp(a));
    Ok(days)
}

/// A UK wall-clock time as UTC: in the hour the clocks go back the first
/// of the two; in the hour they go forward (which does not exist), the
/// moment the clocks reach.
fn from_london(local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match London.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        chrono::LocalResult::Ambiguous(first, _) => Some(first.with_timezone(&Utc)),
        chrono::LocalResult::None => London
            .from_local_datetime(&(local + chrono::Duration::hours(1)))
            .earliest()
            .map(|t| t.with_timezone(&Utc)),
    }
}

impl ReminderPolicy {
    /// When each reminder for an appointment at `starts_at` is due: the
    /// appointment's UK time of day, `days` earlier, kept inside the
    /// sending hours. Reminders already past at `booked_at` are left out.
    pub fn due_times(
        &self,
        starts_at: DateTime<Utc>,
        booked_at: DateTime<Utc>,
    ) -> Vec<(u32, DateTime<Utc>)> {
        let local = starts_at.with_timezone(&London).naive_local();
        let time = local.time().clamp(self.earliest, self.latest);
        let mut due: Vec<(u32, DateTime<Utc>)> = self
            .days_before
            .iter()
            .filter_map(|days| {
                let day = local.date().checked_sub_days(Days::new(u64::from(*days)))?;
                from_london(day.and_time(time)).map(|at| (*days, at))
            })
            .filter(|(_, at)| *at > booked_at && *at < starts_at)
            .collect();
        due.sort_by_key(|(_, at)| *at);
        due
    }

    /// The first moment at or after `now` inside the sending hours.
    pub fn next_sending_time(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let local = now.with_timezone(&London).naive_local();
        // Inclusive, as `due_times` is: a reminder due at 20:00 goes then.
        if local.time() >= self.earliest && local.time() <= self.latest {
            return now;
        }
        let day = if local.time() < self.earliest {
            local.date()
        } else {
            local.date().succ_opt().unwrap_or(local.date())
        };
        from_london(day.and_time(self.earliest)).unwrap_or(now)
    }
}

/// What is known when a reminder comes due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AtSendTime {
    /// The appointment is still booked (not cancelled or recorded).
    pub still_booked: bool,
    /// It still starts when the reminder was made for.
    pub same_time: bool,
    pub consent_withdrawn: bool,
    pub opted_out: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Send,
    Skip(&'static str),
}

pub fn decide(now: AtSendTime) -> Decision {
    if !now.still_booked {
        Decision::Skip("the appointment is no longer booked")
    } else if !now.same_time {
        Decision::Skip("the appointment moved; the new time has its own reminders")
    } else if now.consent_withdrawn {
        Decision::Skip("the family withdrew consent")
    } else if now.opted_out {
        Decision::Skip("the family opted out of reminders")
    } else {
        Decision::Send
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn seven_days_and_one_day_before_at_the_same_uk_time() {
        let policy = ReminderPolicy::default();
        // Wednesday 18 November 2026, 14:30 GMT.
        let due = policy.due_times(utc(2026, 11, 18, 14, 30), utc(2026, 11, 1, 9, 0));
        assert_eq!(
            due,
            vec![
                (7, utc(2026, 11, 11, 14, 30)),
                (1, utc(2026, 11, 17, 14, 30))
            ]
        );
    }

    #[test]
    fn across_the_spring_clock_change() {
        let policy = ReminderPolicy::default();
        // Monday 30 March 2026 09:00 BST (08:00 UTC); the clocks went
        // forward on Sunday 29 March. A week before was still GMT.
        let due = policy.due_times(utc(2026, 3, 30, 8, 0), utc(2026, 3, 1, 9, 0));
        assert_eq!(
            due,
            vec![(7, utc(2026, 3, 23, 9, 0)), (1, utc(2026, 3, 29, 8, 0))]
        );
    }

    #[test]
    fn across_the_autumn_clock_change() {
        let policy = ReminderPolicy::default();
        // Monday 26 October 2026 09:00 GMT; the clocks went back on Sunday
        // 25 October. A week before was BST.
        let due = policy.due_times(utc(2026, 10, 26, 9, 0), utc(2026, 10, 1, 9, 0));
        assert_eq!(
            due,
            vec![(7, utc(2026, 10, 19, 8, 0)), (1, utc(2026, 10, 25, 9, 0))]
        );
    }

    #[test]
    fn early_and_late_appointments_are_reminded_in_sending_hours() {
        let policy = ReminderPolicy::default();
        // 07:15 and 21:00 UK time in November (GMT).
        let early = policy.due_times(utc(2026, 11, 20, 7, 15), utc(2026, 11, 1, 9, 0));
        assert_eq!(early[1], (1, utc(2026, 11, 19, 8, 0)));
        let late = policy.due_times(utc(2026, 11, 20, 21, 0), utc(2026, 11, 1, 9, 0));
        assert_eq!(late[1], (1, utc(2026, 11, 19, 20, 0)));
    }

    #[test]
    fn reminders_already_past_when_booked_are_left_out() {
        let policy = ReminderPolicy::default();
        let due = policy.due_times(utc(2026, 11, 20, 10, 0), utc(2026, 11, 18, 10, 0));
        assert_eq!(due, vec![(1, utc(2026, 11, 19, 10, 0))]);
        assert!(
            policy
                .due_times(utc(2026, 11, 20, 10, 0), utc(2026, 11, 20, 9, 0))
                .is_empty()
        );
    }

    #[test]
    fn the_next_sending_time_respects_uk_hours() {
        let policy = ReminderPolicy::default();
        // 06:00 BST (05:00 UTC) in summer: wait for 08:00 BST.
        assert_eq!(
            policy.next_sending_time(utc(2026, 7, 1, 5, 0)),
            utc(2026, 7, 1, 7, 0)
        );
        // 12:00 GMT: now.
        assert_eq!(
            policy.next_sending_time(utc(2026, 11, 2, 12, 0)),
            utc(2026, 11, 2, 12, 0)
        );
        // 20:30 GMT: tomorrow 08:00.
        assert_eq!(
            policy.next_sending_time(utc(2026, 11, 2, 20, 30)),
            utc(2026, 11, 3, 8, 0)
        );
    }

    #[test]
    fn reminder_days_are_read_and_checked() {
        assert_eq!(parse_days("7, 1"), Ok(vec![7, 1]));
        assert_eq!(parse_days("1,14,1"), Ok(vec![14, 1]));
        assert_eq!(parse_days(" "), Ok(vec![]));
        assert!(parse_days("0").is_err());
        assert!(parse_days("61").is_err());
        assert!(parse_days("a week").is_err());
        assert!(parse_days("1,2,3,4").is_err());
    }

    #[test]
    fn nothing_goes_for_cancelled_moved_withdrawn_or_opted_out() {
        let fine = AtSendTime {
            still_booked: true,
            same_time: true,
            consent_withdrawn: false,
            opted_out: false,
        };
        assert_eq!(decide(fine), Decision::Send);
        for changed in [
            AtSendTime {
                still_booked: false,
                ..fine
            },
            AtSendTime {
                same_time: false,
                ..fine
            },
            AtSendTime {
                consent_withdrawn: true,
                ..fine
            },
            AtSendTime {
                opted_out: true,
                ..fine
            },
        ] {
            assert!(matches!(decide(changed), Decision::Skip(_)), "{changed:?}");
        }
    }
}
