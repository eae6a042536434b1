//! Organisations: the partners of a place (schools, trusts, NHS trusts,
//! council services, voluntary organisations, hubs).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::identity::accounts::looks_like_email;
use crate::text::{self, ValidationErrors};

/// What sort of body an organisation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    School,
    Trust,
    NhsTrust,
    CouncilService,
    VoluntaryOrganisation,
    Hub,
    Other,
}

impl OrganisationKind {
    pub const ALL: [OrganisationKind; 7] = [
        Self::School,
        Self::Trust,
        Self::NhsTrust,
        Self::CouncilService,
        Self::VoluntaryOrganisation,
        Self::Hub,
        Self::Other,
    ];

    /// The stable code stored in the database and used in the API.
    pub fn code(self) -> &'static str {
        match self {
            Self::School => "school",
            Self::Trust => "trust",
            Self::NhsTrust => "nhs_trust",
            Self::CouncilService => "council_service",
            Self::VoluntaryOrganisation => "voluntary_organisation",
            Self::Hub => "hub",
            Self::Other => "other",
        }
    }

    /// The words shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Self::School => "School",
            Self::Trust => "School trust",
            Self::NhsTrust => "NHS trust",
            Self::CouncilService => "Council service",
            Self::VoluntaryOrganisation => "Voluntary organisation",
            Self::Hub => "Community hub",
            Self::Other => "Other organisation",
        }
    }
}

impl fmt::Display for OrganisationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A code that names no kind of organisation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown organisation kind {0:?}")]
pub struct UnknownOrganisationKind(pub String);

impl FromStr for OrganisationKind {
    type Err = UnknownOrganisationKind;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.code() == s)
            .ok_or_else(|| UnknownOrganisationKind(s.to_string()))
    }
}

/// What someone submits to create or change an organisation, before checking.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OrganisationInput {
    pub name: String,
    pub kind: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
}

/// An organisation's details, checked and tidied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrganisationDetails {
    pub name: String,
    pub kind: OrganisationKind,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
}

impl OrganisationInput {
    /// Checks every field and returns all problems at once.
    pub fn validate(&self) -> Result<OrganisationDetails, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let name = text::required(
            &mut errors,
            "name",
            "the organisation's name",
            &self.name,
            200,
        );
        let kind = match self.kind.parse::<OrganisationKind>() {
            Ok(kind) => Some(kind),
            Err(_) => {
                errors.add("kind", "Select what kind of organisation this is");
                None
            }
        };
        let email = text::optional(
            &mut errors,
            "email",
            "the email address",
            self.email.as_deref(),
            254,
        );
        if let Some(email) = &email
            && !looks_like_email(email)
        {
            errors.add(
                "email",
                "Enter an email address in the correct format, like name@example.org",
            );
        }
        let phone = text::optional(
            &mut errors,
            "phone",
            "the phone number",
            self.phone.as_deref(),
            30,
        );
        if let Some(phone) = &phone
            && !looks_like_phone(phone)
        {
            errors.add("phone", "Enter a phone number, like 01632 960 001");
        }
        let website = text::optional(
            &mut errors,
            "website",
            "the website",
            self.website.as_deref(),
            500,
        );
        if let Some(website) = &website
            && !(website.starts_with("https://") || website.starts_with("http://"))
        {
            errors.add("website", "Enter a website address starting with https://");
        }
        let address = text::optional(
            &mut errors,
            "address",
            "the address",
            self.address.as_deref(),
            500,
        );
        match kind {
            Some(kind) if errors.is_empty() => Ok(OrganisationDetails {
                name,
                kind,
                email,
                phone,
                website,
                address,
            }),
            _ => Err(errors),
        }
    }
}

fn looks_like_phone(phone: &str) -> bool {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    (7..=15).contains(&digits)
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '(' | ')' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> OrganisationInput {
        OrganisationInput {
            name: " Northgate Primary School ".into(),
            kind: "school".into(),
            email: Some("office@northgate.example".into()),
            phone: Some("01632 960 001".into()),
            website: Some("".into()),
            address: None,
        }
    }

    #[test]
    fn kinds_round_trip_through_their_codes() {
        for kind in OrganisationKind::ALL {
            assert_eq!(kind.code().parse::<OrganisationKind>(), Ok(kind));
        }
        assert!("police".parse::<OrganisationKind>().is_err());
    }

    #[test]
    fn valid_input_is_tidied() {
        let details = input().validate().unwrap();
        assert_eq!(details.name, "Northgate Primary School");
        assert_eq!(details.kind, OrganisationKind::School);
        assert_eq!(details.website, None);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = OrganisationInput {
            name: "".into(),
            kind: "castle".into(),
            email: Some("not-an-email".into()),
            phone: Some("call me".into()),
            website: Some("ftp://x".into()),
            address: None,
        };
        let errors = bad.validate().unwrap_err();
        let fields: Vec<_> = errors.0.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "kind", "email", "phone", "website"]);
    }
}

/// A stored organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub id: uuid::Uuid,
    #[serde(flatten)]
    pub details: OrganisationDetails,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}
