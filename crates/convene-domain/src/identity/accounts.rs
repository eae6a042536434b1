//! Accounts: the people who sign in.

use std::fmt;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::roles::Role;
use crate::text::{self, ValidationErrors};

/// A stored account. Its secrets (password hash, TOTP secret) never print.
#[derive(Clone, PartialEq, Eq)]
pub struct Account {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_last_step: Option<i64>,
    pub totp_enabled_at: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("id", &self.id)
            .field("email", &"[personal]")
            .field("second_factor", &self.totp_enabled_at.is_some())
            .field("disabled", &self.disabled_at.is_some())
            .finish()
    }
}

impl Account {
    pub fn is_active(&self) -> bool {
        self.disabled_at.is_none() && self.password_hash.is_some()
    }

    pub fn has_second_factor(&self) -> bool {
        self.totp_enabled_at.is_some() && self.totp_secret.is_some()
    }
}

/// Where a signed-in session is in the sign-in journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionStage {
    /// The password was right; the second factor is still to come.
    AwaitingSecondFactor,
    /// Signed in, but must set up a second factor before anything else.
    MustEnrolSecondFactor,
    /// Fully signed in.
    Complete,
}

impl SessionStage {
    pub fn code(self) -> &'static str {
        match self {
            Self::AwaitingSecondFactor => "awaiting_second_factor",
            Self::MustEnrolSecondFactor => "must_enrol_second_factor",
            Self::Complete => "complete",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [
            Self::AwaitingSecondFactor,
            Self::MustEnrolSecondFactor,
            Self::Complete,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// Normalises an email address for lookup: trimmed and lower-cased.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// An invitation as submitted by an administrator.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct InvitationInput {
    pub email: String,
    pub display_name: String,
    pub role: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    pub email: String,
    pub display_name: String,
    pub role: Role,
}

impl InvitationInput {
    pub fn validate(&self, allowed_roles: &[Role]) -> Result<Invitation, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let email = normalise_email(&text::required(
            &mut errors,
            "email",
            "an email address",
            &self.email,
            254,
        ));
        if !email.is_empty() && !looks_like_email(&email) {
            errors.add(
                "email",
                "Enter an email address in the correct format, like name@example.org",
            );
        }
        let display_name = text::required(
            &mut errors,
            "display_name",
            "their full name",
            &self.display_name,
            200,
        );
        let role = match self.role.parse::<Role>() {
            Ok(role) if allowed_roles.contains(&role) => Some(role),
            _ => {
                errors.add("role", "Select a role");
                None
            }
        };
        match role {
            Some(role) if errors.is_empty() => Ok(Invitation {
                email,
                display_name,
                role,
            }),
            _ => Err(errors),
        }
    }
}

pub fn looks_like_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitations_check_email_name_and_allowed_role() {
        let input = InvitationInput {
            email: " Amina.Khan@School.Example ".into(),
            display_name: "Amina Khan".into(),
            role: "practitioner".into(),
        };
        let ok = input.validate(&[Role::Practitioner]).unwrap();
        assert_eq!(ok.email, "amina.khan@school.example");
        let refused = input.validate(&[Role::Viewer]).unwrap_err();
        assert_eq!(refused.0[0].field, "role");
        let bad = InvitationInput {
            email: "nope".into(),
            display_name: "".into(),
            role: "x".into(),
        };
        assert_eq!(bad.validate(&Role::ALL).unwrap_err().0.len(), 3);
    }

    #[test]
    fn accounts_never_print_their_secrets() {
        let account = Account {
            id: Uuid::nil(),
            email: "a@b.example".into(),
            display_name: "A".into(),
            password_hash: Some("$argon2id$secret".into()),
            totp_secret: Some(vec![1, 2, 3]),
            totp_last_step: None,
            totp_enabled_at: None,
            disabled_at: None,
            created_at: DateTime::<Utc>::MIN_UTC,
        };
        let printed = format!("{account:?}");
        assert!(!printed.contains("argon2") && !printed.contains("a@b"));
    }
}
