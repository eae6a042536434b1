//! Referrals: their records and every change of state, appointments and
//! attendance, and follow-ups. Reasons and other free text are sealed.

pub mod appointments;
pub mod follow_ups;
pub mod intake;
pub mod lists;
pub mod measures;
pub mod records;

pub use records::{ListWindow, Listed, Referral, ReferralEvent, ReferralSummary};

/// A domain refusal ("a draft referral cannot be closed") as a sentence.
pub(crate) fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}
