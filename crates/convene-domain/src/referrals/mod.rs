//! Referrals: a tracked, lawful piece of work between a referring
//! organisation and a service in the directory, with its appointments.

pub mod appointments;
pub mod measures;
pub mod states;

pub use appointments::{AppointmentChange, AppointmentMode, AppointmentStatus, FollowUp};
pub use states::{Outcome, ReferralState, Side, Transition, TransitionError, next_state, side_for};

/// How soon the family needs the service to act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Urgency {
    Routine,
    Soon,
    Urgent,
}

impl Urgency {
    pub const ALL: [Urgency; 3] = [Self::Routine, Self::Soon, Self::Urgent];

    pub fn code(self) -> &'static str {
        match self {
            Self::Routine => "routine",
            Self::Soon => "soon",
            Self::Urgent => "urgent",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Routine => "Routine",
            Self::Soon => "Soon: within two weeks",
            Self::Urgent => "Urgent: within two working days",
        }
    }
}

/// Someone a referral is about: the child or young person it is for, or a
/// parent or carer named on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferralRole {
    Subject,
    ParentOrCarer,
}

impl ReferralRole {
    pub fn code(self) -> &'static str {
        match self {
            Self::Subject => "subject",
            Self::ParentOrCarer => "parent_or_carer",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Self::Subject, Self::ParentOrCarer]
            .into_iter()
            .find(|r| r.code() == code)
    }
}
