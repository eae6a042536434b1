//! Appointments on a referral: booked by the receiving practitioner once the
//! referral is accepted, moved, cancelled, and then marked attended, not
//! attended, or not brought (for a child who depends on an adult). A missed
//! appointment sets work in motion: a follow-up for the receiving
//! practitioner and a notice to the referrer. Ongoing support is simply a
//! series of appointments on the same referral.

use chrono::{DateTime, Utc};

use super::states::ReferralState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppointmentStatus {
    Booked,
    Attended,
    DidNotAttend,
    /// A child or young person who depends on an adult was not brought.
    WasNotBrought,
    CancelledByService,
    CancelledByFamily,
}

impl AppointmentStatus {
    pub const ALL: [AppointmentStatus; 6] = [
        Self::Booked,
        Self::Attended,
        Self::DidNotAttend,
        Self::WasNotBrought,
        Self::CancelledByService,
        Self::CancelledByFamily,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Booked => "booked",
            Self::Attended => "attended",
            Self::DidNotAttend => "did_not_attend",
            Self::WasNotBrought => "was_not_brought",
            Self::CancelledByService => "cancelled_by_service",
            Self::CancelledByFamily => "cancelled_by_family",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Booked => "Booked",
            Self::Attended => "Attended",
            Self::DidNotAttend => "Did not attend",
            Self::WasNotBrought => "Was not brought",
            Self::CancelledByService => "Cancelled by the service",
            Self::CancelledByFamily => "Cancelled by the family",
        }
    }

    /// Missed without notice: counts towards the did-not-attend rate.
    pub fn is_missed(self) -> bool {
        matches!(self, Self::DidNotAttend | Self::WasNotBrought)
    }
}

/// How the appointment happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppointmentMode {
    InPerson,
    Online,
    Phone,
}

impl AppointmentMode {
    pub const ALL: [AppointmentMode; 3] = [Self::InPerson, Self::Online, Self::Phone];

    pub fn code(self) -> &'static str {
        match self {
            Self::InPerson => "in_person",
            Self::Online => "online",
            Self::Phone => "phone",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.code() == code)
    }
}

/// What happens to an appointment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppointmentChange {
    Reschedule { to: DateTime<Utc> },
    Cancel { by_family: bool },
    Attended,
    DidNotAttend,
    WasNotBrought,
}

/// Work a change sets in motion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    /// A task for the receiving practitioner to contact the family.
    ContactFamily,
    /// The referrer is told the appointment was missed.
    TellReferrer,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppointmentError {
    #[error("appointments can be booked only on an accepted referral")]
    ReferralNotAccepted,
    #[error("this appointment is already {0}")]
    AlreadySettled(&'static str),
    #[error("attendance can be recorded only once the appointment has started")]
    NotYetStarted,
    #[error("choose a time in the future")]
    InThePast,
    #[error("a session that has already happened can be recorded up to {0} days afterwards")]
    TooLongAgo(i64),
}

/// Sessions that already happened (a drop-in, a mentoring session) may be
/// recorded afterwards, up to this many days later.
pub const RECORD_AFTER_DAYS: i64 = 14;

/// Whether an appointment may be booked on a referral in `state`, at `at`
/// (in the future, or recently past to record a session afterwards).
pub fn check_booking(
    state: ReferralState,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), AppointmentError> {
    if state != ReferralState::Accepted {
        return Err(AppointmentError::ReferralNotAccepted);
    }
    if at < now - chrono::Duration::days(RECORD_AFTER_DAYS) {
        return Err(AppointmentError::TooLongAgo(RECORD_AFTER_DAYS));
    }
    Ok(())
}

/// The appointment's status (and time) after `change`, and the follow-ups
/// it calls for.
pub fn apply(
    status: AppointmentStatus,
    starts_at: DateTime<Utc>,
    change: AppointmentChange,
    now: DateTime<Utc>,
) -> Result<(AppointmentStatus, DateTime<Utc>, Vec<FollowUp>), AppointmentError> {
    if status != AppointmentStatus::Booked {
        return Err(AppointmentError::AlreadySettled(status.label()));
    }
    let attendance = |result: AppointmentStatus| {
        if starts_at > now {
            return Err(AppointmentError::NotYetStarted);
        }
        let follow_ups = if result.is_missed() {
            vec![FollowUp::ContactFamily, FollowUp::TellReferrer]
        } else {
            Vec::new()
        };
        Ok((result, starts_at, follow_ups))
    };
    match change {
        AppointmentChange::Reschedule { to } => {
            if to <= now {
                return Err(AppointmentError::InThePast);
            }
            Ok((AppointmentStatus::Booked, to, Vec::new()))
        }
        AppointmentChange::Cancel { by_family } => Ok((
            if by_family {
                AppointmentStatus::CancelledByFamily
            } else {
                AppointmentStatus::CancelledByService
            },
            starts_at,
            Vec::new(),
        )),
        AppointmentChange::Attended => attendance(AppointmentStatus::Attended),
        AppointmentChange::DidNotAttend => attendance(AppointmentStatus::DidNotAttend),
        AppointmentChange::WasNotBrought => attendance(AppointmentStatus::WasNotBrought),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 23, 10, 0, 0).unwrap()
    }

    #[test]
    fn booking_needs_an_accepted_referral_and_a_future_time() {
        let later = now() + Duration::days(7);
        assert_eq!(check_booking(ReferralState::Accepted, later, now()), Ok(()));
        for state in ReferralState::ALL {
            if state != ReferralState::Accepted {
                assert_eq!(
                    check_booking(state, later, now()),
                    Err(AppointmentError::ReferralNotAccepted),
                    "{state}"
                );
            }
        }
        // A session that already happened is recorded afterwards, within
        // a fortnight.
        assert_eq!(
            check_booking(ReferralState::Accepted, now() - Duration::days(14), now()),
            Ok(())
        );
        assert_eq!(
            check_booking(ReferralState::Accepted, now() - Duration::days(15), now()),
            Err(AppointmentError::TooLongAgo(14))
        );
    }

    #[test]
    fn a_missed_appointment_calls_for_follow_up_and_can_be_rebooked() {
        let start = now() - Duration::hours(1);
        let (status, _, follow) = apply(
            AppointmentStatus::Booked,
            start,
            AppointmentChange::DidNotAttend,
            now(),
        )
        .unwrap();
        assert_eq!(status, AppointmentStatus::DidNotAttend);
        assert_eq!(
            follow,
            vec![FollowUp::ContactFamily, FollowUp::TellReferrer]
        );
        // Settled: nothing more can be recorded on it; a new one is booked.
        assert_eq!(
            apply(status, start, AppointmentChange::Attended, now()),
            Err(AppointmentError::AlreadySettled("Did not attend"))
        );
        let (status, _, follow) = apply(
            AppointmentStatus::Booked,
            start,
            AppointmentChange::WasNotBrought,
            now(),
        )
        .unwrap();
        assert!(status.is_missed() && follow.len() == 2);
        let (status, _, follow) = apply(
            AppointmentStatus::Booked,
            start,
            AppointmentChange::Attended,
            now(),
        )
        .unwrap();
        assert_eq!((status, follow), (AppointmentStatus::Attended, vec![]));
    }

    #[test]
    fn attendance_waits_for_the_appointment_and_moves_go_forward() {
        let start = now() + Duration::hours(2);
        assert_eq!(
            apply(
                AppointmentStatus::Booked,
                start,
                AppointmentChange::DidNotAttend,
                now()
            ),
            Err(AppointmentError::NotYetStarted)
        );
        let to = now() + Duration::days(3);
        assert_eq!(
            apply(
                AppointmentStatus::Booked,
                start,
                AppointmentChange::Reschedule { to },
                now()
            ),
            Ok((AppointmentStatus::Booked, to, vec![]))
        );
        assert_eq!(
            apply(
                AppointmentStatus::Booked,
                start,
                AppointmentChange::Reschedule {
                    to: now() - Duration::days(1)
                },
                now()
            ),
            Err(AppointmentError::InThePast)
        );
        assert_eq!(
            apply(
                AppointmentStatus::Booked,
                start,
                AppointmentChange::Cancel { by_family: true },
                now()
            )
            .map(|r| r.0),
            Ok(AppointmentStatus::CancelledByFamily)
        );
    }
}
