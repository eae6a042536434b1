//! A referral's life: drafted by the referring organisation, sent, opened
//! by the receiving service, then accepted, declined (with a reason) or
//! redirected to another service, and finally closed with an outcome.
//! Every move is checked here, so no layer above can skip a step.

use std::fmt;

use uuid::Uuid;

/// Where a referral is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReferralState {
    Draft,
    Sent,
    Opened,
    Accepted,
    Declined,
    Redirected,
    Closed,
}

impl ReferralState {
    pub const ALL: [ReferralState; 7] = [
        Self::Draft,
        Self::Sent,
        Self::Opened,
        Self::Accepted,
        Self::Declined,
        Self::Redirected,
        Self::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Sent => "sent",
            Self::Opened => "opened",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Redirected => "redirected",
            Self::Closed => "closed",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// What people read.
    pub fn label(self) -> &'static str {
        match self {
            Self::Draft => "Draft",
            Self::Sent => "Sent",
            Self::Opened => "Opened",
            Self::Accepted => "Accepted",
            Self::Declined => "Declined",
            Self::Redirected => "Redirected",
            Self::Closed => "Closed",
        }
    }

    /// Shared with the receiving service and not yet finished: it counts
    /// towards capacity, keeps the person's record from anonymisation, and is
    /// what a school a child is moving to may see.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Sent | Self::Opened | Self::Accepted)
    }

    /// The states [`ReferralState::is_open`] holds for.
    pub const OPEN: [ReferralState; 3] = [Self::Sent, Self::Opened, Self::Accepted];
}

impl fmt::Display for ReferralState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// How a referral ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    NeedsMet,
    PartlyMet,
    NotMet,
    FamilyWithdrew,
    CouldNotContact,
}

impl Outcome {
    pub const ALL: [Outcome; 5] = [
        Self::NeedsMet,
        Self::PartlyMet,
        Self::NotMet,
        Self::FamilyWithdrew,
        Self::CouldNotContact,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::NeedsMet => "needs_met",
            Self::PartlyMet => "partly_met",
            Self::NotMet => "not_met",
            Self::FamilyWithdrew => "family_withdrew",
            Self::CouldNotContact => "could_not_contact",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::NeedsMet => "Needs met",
            Self::PartlyMet => "Needs partly met",
            Self::NotMet => "Needs not met",
            Self::FamilyWithdrew => "Family withdrew",
            Self::CouldNotContact => "Could not contact the family",
        }
    }
}

/// Something asked of a referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// The referrer sends a draft (its sharing record must be complete).
    Send,
    /// Someone at the receiving service first opens it.
    Open,
    Accept,
    Decline {
        reason: String,
    },
    /// Passed to another service, which receives it as a new referral.
    Redirect {
        to_service: Uuid,
        reason: String,
    },
    Close {
        outcome: Outcome,
    },
}

impl Transition {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Open => "open",
            Self::Accept => "accept",
            Self::Decline { .. } => "decline",
            Self::Redirect { .. } => "redirect",
            Self::Close { .. } => "close",
        }
    }
}

/// Which side of the referral someone acts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Referrer,
    Receiver,
}

/// Which side an organisation acts on, given whether it made and whether
/// it receives a referral now in `state`. An organisation that referred a
/// family to one of its own services is on both: it acts as the referrer
/// while the referral waits on the referrer (a draft to send; declined or
/// redirected, to close) and as the receiving service otherwise. (Found
/// by the load benchmark: such a referral reached the service's inbox, and
/// no one could open or accept it.)
pub fn side_for(referrer: bool, receiver: bool, state: ReferralState) -> Option<Side> {
    let waits_on_referrer = matches!(
        state,
        ReferralState::Draft | ReferralState::Declined | ReferralState::Redirected
    );
    match (referrer, receiver) {
        (true, true) if waits_on_referrer => Some(Side::Referrer),
        (_, true) => Some(Side::Receiver),
        (true, false) => Some(Side::Referrer),
        (false, false) => None,
    }
}

/// Why a move was refused, worded for the person who asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("a {from} referral cannot be {verb}")]
    NotNow {
        from: &'static str,
        verb: &'static str,
    },
    #[error("only the {0} can do that")]
    WrongSide(&'static str),
    #[error("give a reason")]
    NoReason,
    #[error("a referral cannot be redirected to the service it is for")]
    SameService,
}

fn verb(transition: &Transition) -> &'static str {
    match transition {
        Transition::Send => "sent",
        Transition::Open => "opened",
        Transition::Accept => "accepted",
        Transition::Decline { .. } => "declined",
        Transition::Redirect { .. } => "redirected",
        Transition::Close { .. } => "closed",
    }
}

/// The state after `transition`, or why it is not allowed now, for someone
/// acting on `side` of a referral to `service`.
pub fn next_state(
    from: ReferralState,
    transition: &Transition,
    side: Side,
    service: Uuid,
) -> Result<ReferralState, TransitionError> {
    use ReferralState as S;
    let refused = || TransitionError::NotNow {
        from: from.code(),
        verb: verb(transition),
    };
    let needs = |wanted: Side, name: &'static str| {
        if side == wanted {
            Ok(())
        } else {
            Err(TransitionError::WrongSide(name))
        }
    };
    match transition {
        Transition::Send => {
            needs(Side::Referrer, "referring organisation")?;
            (from == S::Draft).then_some(S::Sent).ok_or_else(refused)
        }
        Transition::Open => {
            needs(Side::Receiver, "receiving service")?;
            (from == S::Sent).then_some(S::Opened).ok_or_else(refused)
        }
        Transition::Accept => {
            needs(Side::Receiver, "receiving service")?;
            matches!(from, S::Sent | S::Opened)
                .then_some(S::Accepted)
                .ok_or_else(refused)
        }
        Transition::Decline { reason } => {
            needs(Side::Receiver, "receiving service")?;
            if !matches!(from, S::Sent | S::Opened) {
                return Err(refused());
            }
            if reason.trim().is_empty() {
                return Err(TransitionError::NoReason);
            }
            Ok(S::Declined)
        }
        Transition::Redirect { to_service, reason } => {
            needs(Side::Receiver, "receiving service")?;
            if !matches!(from, S::Sent | S::Opened) {
                return Err(refused());
            }
            if *to_service == service {
                return Err(TransitionError::SameService);
            }
            if reason.trim().is_empty() {
                return Err(TransitionError::NoReason);
            }
            Ok(S::Redirected)
        }
        Transition::Close { outcome } => {
            // The receiver closes work it took on; the referrer closes what
            // went nowhere (declined or redirected) once the family knows.
            match from {
                S::Accepted => needs(Side::Receiver, "receiving service")?,
                S::Declined | S::Redirected => needs(Side::Referrer, "referring organisation")?,
                S::Sent | S::Opened if *outcome == Outcome::FamilyWithdrew => {}
                _ => return Err(refused()),
            }
            Ok(S::Closed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ReferralState as S;

    fn service() -> Uuid {
        Uuid::from_u128(1)
    }

    fn moves() -> Vec<Transition> {
        vec![
            Transition::Send,
            Transition::Open,
            Transition::Accept,
            Transition::Decline {
                reason: "Over our age range".into(),
            },
            Transition::Redirect {
                to_service: Uuid::from_u128(2),
                reason: "Closer to home".into(),
            },
            Transition::Close {
                outcome: Outcome::NeedsMet,
            },
            Transition::Close {
                outcome: Outcome::FamilyWithdrew,
            },
        ]
    }

    #[test]
    fn the_whole_journey() {
        let mut state = S::Draft;
        for (transition, side, expected) in [
            (Transition::Send, Side::Referrer, S::Sent),
            (Transition::Open, Side::Receiver, S::Opened),
            (Transition::Accept, Side::Receiver, S::Accepted),
            (
                Transition::Close {
                    outcome: Outcome::PartlyMet,
                },
                Side::Receiver,
                S::Closed,
            ),
        ] {
            state = next_state(state, &transition, side, service()).unwrap();
            assert_eq!(state, expected);
        }
    }

    #[test]
    fn every_move_from_every_state_is_either_allowed_or_refused_by_rule() {
        // The table of allowed moves, written out independently of the
        // implementation.
        let allowed = |from: S, t: &Transition, side: Side| -> Option<S> {
            match (from, t.name(), side) {
                (S::Draft, "send", Side::Referrer) => Some(S::Sent),
                (S::Sent, "open", Side::Receiver) => Some(S::Opened),
                (S::Sent | S::Opened, "accept", Side::Receiver) => Some(S::Accepted),
                (S::Sent | S::Opened, "decline", Side::Receiver) => Some(S::Declined),
                (S::Sent | S::Opened, "redirect", Side::Receiver) => Some(S::Redirected),
                (S::Accepted, "close", Side::Receiver) => Some(S::Closed),
                (S::Declined | S::Redirected, "close", Side::Referrer) => Some(S::Closed),
                (S::Sent | S::Opened, "close", _)
                    if matches!(
                        t,
                        Transition::Close {
                            outcome: Outcome::FamilyWithdrew
                        }
                    ) =>
                {
                    Some(S::Closed)
                }
                _ => None,
            }
        };
        for from in S::ALL {
            for t in moves() {
                for side in [Side::Referrer, Side::Receiver] {
                    let got = next_state(from, &t, side, service()).ok();
                    assert_eq!(
                        got,
                        allowed(from, &t, side),
                        "{from} {} by {side:?}",
                        t.name()
                    );
                }
            }
        }
    }

    #[test]
    fn refusals_say_why() {
        assert_eq!(
            next_state(
                S::Draft,
                &Transition::Close {
                    outcome: Outcome::NeedsMet
                },
                Side::Referrer,
                service()
            )
            .unwrap_err()
            .to_string(),
            "a draft referral cannot be closed"
        );
        assert_eq!(
            next_state(S::Sent, &Transition::Accept, Side::Referrer, service()).unwrap_err(),
            TransitionError::WrongSide("receiving service")
        );
        assert_eq!(
            next_state(
                S::Opened,
                &Transition::Decline {
                    reason: "  ".into()
                },
                Side::Receiver,
                service()
            )
            .unwrap_err(),
            TransitionError::NoReason
        );
        assert_eq!(
            next_state(
                S::Opened,
                &Transition::Redirect {
                    to_service: service(),
                    reason: "x".into()
                },
                Side::Receiver,
                service()
            )
            .unwrap_err(),
            TransitionError::SameService
        );
    }

    #[test]
    fn open_means_shared_and_not_finished() {
        for s in S::ALL {
            assert_eq!(s.is_open(), S::OPEN.contains(&s), "{s}");
        }
        assert!(!S::Draft.is_open() && !S::Closed.is_open() && S::Accepted.is_open());
    }

    #[test]
    fn codes_round_trip() {
        for s in S::ALL {
            assert_eq!(S::parse(s.code()), Some(s));
        }
        for o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.code()), Some(o));
        }
    }
}

#[cfg(test)]
mod side_tests {
    use uuid::Uuid;

    use super::*;

    #[test]
    fn each_organisation_acts_on_its_own_side() {
        for state in ReferralState::ALL {
            assert_eq!(side_for(true, false, state), Some(Side::Referrer));
            assert_eq!(side_for(false, true, state), Some(Side::Receiver));
            assert_eq!(side_for(false, false, state), None);
        }
    }

    #[test]
    fn an_organisation_referring_to_its_own_service_can_take_every_step() {
        use ReferralState as S;
        let service = Uuid::nil();
        let step = |state, transition: &Transition| {
            next_state(
                state,
                transition,
                side_for(true, true, state).unwrap(),
                service,
            )
        };
        // Sent, opened and accepted by itself, then closed with an outcome.
        assert_eq!(step(S::Draft, &Transition::Send), Ok(S::Sent));
        assert_eq!(step(S::Sent, &Transition::Open), Ok(S::Opened));
        assert_eq!(step(S::Opened, &Transition::Accept), Ok(S::Accepted));
        let close = Transition::Close {
            outcome: Outcome::NeedsMet,
        };
        assert_eq!(step(S::Accepted, &close), Ok(S::Closed));
        // Declined by itself, then closed as the referrer.
        let decline = Transition::Decline {
            reason: "Full this term".into(),
        };
        assert_eq!(step(S::Sent, &decline), Ok(S::Declined));
        assert_eq!(step(S::Declined, &close), Ok(S::Closed));
    }
}
