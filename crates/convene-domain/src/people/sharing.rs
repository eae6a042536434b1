//! Sharing a person's data with another organisation: every share records
//! its lawful basis (UK GDPR Article 6), the Article 9 condition when health
//! information is included, the purpose, the recipient, the items shared,
//! who decided, when, and which privacy notice the family was shown.
//! Sharing without consent needs a written justification and is flagged to
//! the referrer's safeguarding lead. A decision not to share is recorded
//! with its reasons, and withdrawn consent stops further sharing.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::text::{ValidationErrors, optional, required_multiline};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LawfulBasis {
    Consent,
    PublicTask,
    LegalObligation,
    VitalInterests,
    LegitimateInterests,
}

impl LawfulBasis {
    pub const ALL: [LawfulBasis; 5] = [
        Self::Consent,
        Self::PublicTask,
        Self::LegalObligation,
        Self::VitalInterests,
        Self::LegitimateInterests,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Consent => "consent",
            Self::PublicTask => "public_task",
            Self::LegalObligation => "legal_obligation",
            Self::VitalInterests => "vital_interests",
            Self::LegitimateInterests => "legitimate_interests",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|b| b.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Consent => "Consent: the family agreed",
            Self::PublicTask => "Public task",
            Self::LegalObligation => "Legal obligation",
            Self::VitalInterests => "Vital interests: to protect someone's life",
            Self::LegitimateInterests => "Legitimate interests",
        }
    }
}

/// Article 9 conditions for special-category (here: health) information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HealthCondition {
    ExplicitConsent,
    HealthOrSocialCare,
    /// Substantial public interest: safeguarding children and individuals
    /// at risk (Data Protection Act 2018, Schedule 1, paragraph 18).
    SafeguardingChildren,
    VitalInterests,
}

impl HealthCondition {
    pub const ALL: [HealthCondition; 4] = [
        Self::ExplicitConsent,
        Self::HealthOrSocialCare,
        Self::SafeguardingChildren,
        Self::VitalInterests,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::ExplicitConsent => "explicit_consent",
            Self::HealthOrSocialCare => "health_or_social_care",
            Self::SafeguardingChildren => "safeguarding_children",
            Self::VitalInterests => "vital_interests",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// What is shared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SharedItem {
    Name,
    DateOfBirth,
    ContactDetails,
    Postcode,
    School,
    Needs,
    ReasonForReferral,
    HealthInformation,
}

impl SharedItem {
    pub const ALL: [SharedItem; 8] = [
        Self::Name,
        Self::DateOfBirth,
        Self::ContactDetails,
        Self::Postcode,
        Self::School,
        Self::Needs,
        Self::ReasonForReferral,
        Self::HealthInformation,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::DateOfBirth => "date_of_birth",
            Self::ContactDetails => "contact_details",
            Self::Postcode => "postcode",
            Self::School => "school",
            Self::Needs => "needs",
            Self::ReasonForReferral => "reason",
            Self::HealthInformation => "health",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|i| i.code() == code)
    }
}

/// The version of Convene's privacy notice for families that staff show
/// before sharing; recorded with every share.
pub const PRIVACY_NOTICE_VERSION: &str = "2026-11";

/// A decision to share, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Share {
    pub basis: LawfulBasis,
    pub health_condition: Option<HealthCondition>,
    pub purpose: String,
    pub recipient_organisation: Uuid,
    pub items: Vec<SharedItem>,
    /// Why sharing goes ahead without the family's consent.
    pub justification: Option<String>,
    pub privacy_notice_version: String,
    pub decided_by: Uuid,
    pub decided_at: DateTime<Utc>,
}

impl Share {
    /// Shared without consent: the referrer's safeguarding lead is told.
    pub fn needs_safeguarding_review(&self) -> bool {
        self.basis != LawfulBasis::Consent
    }
}

/// The sharing part of a form, as typed.
#[derive(Debug, Clone, Default)]
pub struct ShareForm {
    pub basis: String,
    pub health_condition: String,
    pub purpose: String,
    pub items: Vec<String>,
    pub justification: String,
    pub privacy_notice_version: String,
}

/// Checks a share; the recipient, decider and time come from the request.
pub fn check_share(
    form: &ShareForm,
    recipient_organisation: Uuid,
    decided_by: Uuid,
    decided_at: DateTime<Utc>,
) -> Result<Share, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let basis = LawfulBasis::parse(form.basis.trim());
    if basis.is_none() {
        errors.add("basis", "Choose the lawful basis for sharing");
    }
    let purpose = required_multiline(
        &mut errors,
        "purpose",
        "the purpose of sharing",
        &form.purpose,
        1000,
    );
    let parsed: Option<Vec<SharedItem>> = form.items.iter().map(|c| SharedItem::parse(c)).collect();
    let mut items = parsed.clone().unwrap_or_default();
    items.sort();
    items.dedup();
    if parsed.is_none() {
        errors.add("items", "Choose what is shared from the list");
    } else if items.is_empty() {
        errors.add("items", "Choose what is shared");
    }
    let health_condition = match form.health_condition.trim() {
        "" => None,
        code => {
            let parsed = HealthCondition::parse(code);
            if parsed.is_none() {
                errors.add("health_condition", "Choose a condition from the list");
            }
            parsed
        }
    };
    if items.contains(&SharedItem::HealthInformation) && health_condition.is_none() {
        errors.add(
            "health_condition",
            "Health information is special category data: choose the condition for sharing it",
        );
    }
    let justification = optional(
        &mut errors,
        "justification",
        "the justification",
        Some(&form.justification),
        2000,
    );
    if basis.is_some_and(|b| b != LawfulBasis::Consent) && justification.is_none() {
        errors.add(
            "justification",
            "Explain why this is shared without the family's consent",
        );
    }
    let version = optional(
        &mut errors,
        "privacy_notice_version",
        "the privacy notice version",
        Some(&form.privacy_notice_version),
        40,
    );
    if version.is_none() {
        errors.add(
            "privacy_notice_version",
            "Say which privacy notice the family was shown",
        );
    }
    match (basis, version) {
        (Some(basis), Some(version)) if errors.is_empty() => Ok(Share {
            basis,
            health_condition,
            purpose,
            recipient_organisation,
            items,
            justification,
            privacy_notice_version: version,
            decided_by,
            decided_at,
        }),
        _ => Err(errors),
    }
}

/// A person's sharing history, oldest first, as far as the next share is
/// concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentEvent {
    Given,
    Withdrawn,
}

/// Whether sharing on the basis of consent may go ahead: not once consent
/// has been withdrawn and not given again since.
pub fn consent_stands(history: &[ConsentEvent]) -> bool {
    history.last() != Some(&ConsentEvent::Withdrawn)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn form() -> ShareForm {
        ShareForm {
            basis: "consent".into(),
            health_condition: String::new(),
            purpose: "So the family support service can contact the family".into(),
            items: vec!["name".into(), "contact_details".into(), "needs".into()],
            justification: String::new(),
            privacy_notice_version: "2026-09".into(),
        }
    }

    fn check(form: &ShareForm) -> Result<Share, ValidationErrors> {
        check_share(
            form,
            Uuid::from_u128(7),
            Uuid::from_u128(8),
            Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
        )
    }

    fn fields(errors: ValidationErrors) -> Vec<&'static str> {
        errors.0.into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_consented_share_is_recorded_whole() {
        let share = check(&form()).unwrap();
        assert_eq!(share.basis, LawfulBasis::Consent);
        assert_eq!(
            share.items,
            vec![
                SharedItem::Name,
                SharedItem::ContactDetails,
                SharedItem::Needs
            ]
        );
        assert!(!share.needs_safeguarding_review());
    }

    #[test]
    fn health_information_needs_a_condition() {
        let mut f = form();
        f.items.push("health".into());
        assert_eq!(fields(check(&f).unwrap_err()), vec!["health_condition"]);
        f.health_condition = "explicit_consent".into();
        assert!(check(&f).is_ok());
    }

    #[test]
    fn sharing_without_consent_needs_a_justification_and_is_flagged() {
        let mut f = form();
        f.basis = "vital_interests".into();
        assert_eq!(fields(check(&f).unwrap_err()), vec!["justification"]);
        f.justification = "Immediate risk to the child; consent would increase it".into();
        let share = check(&f).unwrap();
        assert!(share.needs_safeguarding_review());
    }

    #[test]
    fn every_missing_part_is_named() {
        let empty = ShareForm {
            items: vec!["everything".into()],
            ..Default::default()
        };
        assert_eq!(
            fields(check(&empty).unwrap_err()),
            vec!["basis", "purpose", "items", "privacy_notice_version"]
        );
    }

    #[test]
    fn withdrawn_consent_stops_sharing_until_given_again() {
        use ConsentEvent::*;
        assert!(consent_stands(&[]));
        assert!(consent_stands(&[Given]));
        assert!(!consent_stands(&[Given, Withdrawn]));
        assert!(consent_stands(&[Given, Withdrawn, Given]));
    }
}
