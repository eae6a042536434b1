//! Measures of referrals, for a service or a referring organisation:
//! how many, how many accepted, how fast the family was first contacted and
//! first seen, how many appointments were missed, and how they ended. Rates
//! and medians are shown only from enough referrals that they neither
//! mislead nor point at a family.

use chrono::{DateTime, Utc};

use super::{Outcome, ReferralState};

/// Below this many, a rate or median is not shown (the count still is).
pub const SMALLEST_SHOWN: usize = 5;

/// Appointments whose attendance was recorded, and how many of them were
/// missed (did not attend, or was not brought).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attendance {
    pub recorded: usize,
    pub missed: usize,
}

impl Attendance {
    /// Missed of recorded, when enough were recorded to say.
    pub fn missed_rate(&self) -> Option<f64> {
        (self.recorded >= SMALLEST_SHOWN).then(|| self.missed as f64 / self.recorded as f64)
    }

    pub fn add(&mut self, missed: bool) {
        self.recorded += 1;
        if missed {
            self.missed += 1;
        }
    }
}

/// A service's appointments over a period, split by whether a reminder
/// was delivered to the family beforehand: the effect reminders have on
/// missed appointments, with the counts behind each rate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReminderEffect {
    pub service: String,
    pub with_reminder: Attendance,
    pub without_reminder: Attendance,
}

/// What is known of one referral, for measuring.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferralFacts {
    pub state: ReferralState,
    /// Ever accepted, declined or redirected (a referral keeps its history).
    pub accepted: bool,
    pub declined: bool,
    pub redirected: bool,
    pub sent_at: Option<DateTime<Utc>>,
    /// The receiving service's first response (opened or accepted).
    pub first_contact_at: Option<DateTime<Utc>>,
    pub first_appointment_at: Option<DateTime<Utc>>,
    pub appointments_kept: usize,
    pub appointments_missed: usize,
    pub outcome: Option<Outcome>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Measures {
    pub referrals: usize,
    pub accepted: usize,
    pub declined: usize,
    pub redirected: usize,
    /// Accepted of those decided, when enough were decided.
    pub acceptance_rate: Option<f64>,
    pub median_days_to_first_contact: Option<f64>,
    pub median_days_to_first_appointment: Option<f64>,
    pub appointments_kept: usize,
    pub appointments_missed: usize,
    /// Missed of those attended or missed, when enough.
    pub did_not_attend_rate: Option<f64>,
    pub outcomes: Vec<(Outcome, usize)>,
}

fn median(mut days: Vec<f64>) -> Option<f64> {
    if days.len() < SMALLEST_SHOWN {
        return None;
    }
    days.sort_by(f64::total_cmp);
    let mid = days.len() / 2;
    Some(if days.len().is_multiple_of(2) {
        (days[mid - 1] + days[mid]) / 2.0
    } else {
        days[mid]
    })
}

fn rate(part: usize, whole: usize) -> Option<f64> {
    (whole >= SMALLEST_SHOWN).then(|| part as f64 / whole as f64)
}

fn days_between(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Option<f64> {
    let (from, to) = (from?, to?);
    (to >= from).then(|| (to - from).num_minutes() as f64 / (24.0 * 60.0))
}

pub fn measure(facts: &[ReferralFacts]) -> Measures {
    let sent: Vec<&ReferralFacts> = facts
        .iter()
        .filter(|f| f.state != ReferralState::Draft)
        .collect();
    let accepted = sent.iter().filter(|f| f.accepted).count();
    let declined = sent.iter().filter(|f| f.declined).count();
    let redirected = sent.iter().filter(|f| f.redirected).count();
    let kept: usize = sent.iter().map(|f| f.appointments_kept).sum();
    let missed: usize = sent.iter().map(|f| f.appointments_missed).sum();
    let outcomes = Outcome::ALL
        .iter()
        .map(|o| (*o, sent.iter().filter(|f| f.outcome == Some(*o)).count()))
        .filter(|(_, n)| *n > 0)
        .collect();
    Measures {
        referrals: sent.len(),
        accepted,
        declined,
        redirected,
        acceptance_rate: rate(accepted, accepted + declined + redirected),
        median_days_to_first_contact: median(
            sent.iter()
                .filter_map(|f| days_between(f.sent_at, f.first_contact_at))
                .collect(),
        ),
        median_days_to_first_appointment: median(
            sent.iter()
                .filter_map(|f| days_between(f.sent_at, f.first_appointment_at))
                .collect(),
        ),
        appointments_kept: kept,
        appointments_missed: missed,
        did_not_attend_rate: rate(missed, kept + missed),
        outcomes,
    }
}

#[cfg(test)]
mod reminder_tests {
    use super::*;

    #[test]
    fn a_missed_rate_needs_enough_appointments() {
        let mut few = Attendance::default();
        for missed in [true, false, false, false] {
            few.add(missed);
        }
        assert_eq!((few.recorded, few.missed, few.missed_rate()), (4, 1, None));
        few.add(false);
        assert_eq!(few.missed_rate(), Some(0.2));
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn fact(days_to_contact: i64, accepted: bool, kept: usize, missed: usize) -> ReferralFacts {
        let sent = Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap();
        ReferralFacts {
            state: if accepted {
                ReferralState::Accepted
            } else {
                ReferralState::Declined
            },
            accepted,
            declined: !accepted,
            redirected: false,
            sent_at: Some(sent),
            first_contact_at: Some(sent + Duration::days(days_to_contact)),
            first_appointment_at: accepted.then(|| sent + Duration::days(days_to_contact * 2)),
            appointments_kept: kept,
            appointments_missed: missed,
            outcome: None,
        }
    }

    #[test]
    fn rates_and_medians_from_enough_referrals() {
        let facts = vec![
            fact(1, true, 2, 1),
            fact(2, true, 3, 0),
            fact(3, false, 0, 0),
            fact(4, true, 1, 1),
            fact(10, true, 0, 0),
        ];
        let m = measure(&facts);
        assert_eq!((m.referrals, m.accepted, m.declined), (5, 4, 1));
        assert_eq!(m.acceptance_rate, Some(0.8));
        assert_eq!(m.median_days_to_first_contact, Some(3.0));
        assert_eq!((m.appointments_kept, m.appointments_missed), (6, 2));
        assert_eq!(m.did_not_attend_rate, Some(0.25));
        // Four accepted have first appointments: too few for a median.
        assert_eq!(m.median_days_to_first_appointment, None);
    }

    #[test]
    fn small_numbers_give_counts_only_and_drafts_do_not_count() {
        let mut facts = vec![fact(1, true, 1, 1), fact(2, false, 0, 0)];
        facts.push(ReferralFacts {
            state: ReferralState::Draft,
            ..fact(1, false, 0, 0)
        });
        let m = measure(&facts);
        assert_eq!(m.referrals, 2);
        assert_eq!((m.acceptance_rate, m.did_not_attend_rate), (None, None));
        assert_eq!(m.median_days_to_first_contact, None);
        assert_eq!(measure(&[]).referrals, 0);
    }
}
