//! Roles people hold in an organisation, and what each role means.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A person's role in one organisation. A person may hold different roles in
/// different organisations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Runs the instance: organisations and accounts. Sees no family's
    /// personal data by virtue of this role.
    PlatformAdmin,
    /// The partnership's backbone team: partners, directory, reports.
    Coordinator,
    /// Manages their own organisation's accounts and services.
    OrganisationAdmin,
    /// Refers, and receives referrals, for their organisation.
    Practitioner,
    /// As a practitioner, plus oversight of their organisation's cases and
    /// its audit trail.
    SafeguardingLead,
    /// Hub sessions only.
    Volunteer,
    /// Aggregate statistics only, never personal records.
    Analyst,
    /// Published reports only (boards, funders).
    Viewer,
}

impl Role {
    pub const ALL: [Role; 8] = [
        Self::PlatformAdmin,
        Self::Coordinator,
        Self::OrganisationAdmin,
        Self::Practitioner,
        Self::SafeguardingLead,
        Self::Volunteer,
        Self::Analyst,
        Self::Viewer,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::PlatformAdmin => "platform_admin",
            Self::Coordinator => "coordinator",
            Self::OrganisationAdmin => "organisation_admin",
            Self::Practitioner => "practitioner",
            Self::SafeguardingLead => "safeguarding_lead",
            Self::Volunteer => "volunteer",
            Self::Analyst => "analyst",
            Self::Viewer => "viewer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::PlatformAdmin => "Platform administrator",
            Self::Coordinator => "Partnership coordinator",
            Self::OrganisationAdmin => "Organisation administrator",
            Self::Practitioner => "Practitioner",
            Self::SafeguardingLead => "Safeguarding lead",
            Self::Volunteer => "Volunteer",
            Self::Analyst => "Analyst",
            Self::Viewer => "Viewer",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Self::PlatformAdmin => {
                "Runs this instance: organisations and accounts. Cannot see families' records."
            }
            Self::Coordinator => {
                "The partnership's backbone team: partners, the directory and reports."
            }
            Self::OrganisationAdmin => "Manages this organisation's accounts and services.",
            Self::Practitioner => "Makes and receives referrals for this organisation.",
            Self::SafeguardingLead => {
                "As a practitioner, plus oversight of this organisation's cases and who has looked at them."
            }
            Self::Volunteer => "Runs hub sessions.",
            Self::Analyst => "Sees statistics only, never anyone's record.",
            Self::Viewer => "Sees published reports only.",
        }
    }

    /// Whether this role can reach personal data (families' records, or who
    /// looked at them). Such accounts must use a second factor.
    pub fn needs_second_factor(self) -> bool {
        !matches!(self, Self::Analyst | Self::Viewer)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A code that names no role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|role| role.code() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_only_aggregate_roles_skip_the_second_factor() {
        for role in Role::ALL {
            assert_eq!(role.code().parse::<Role>(), Ok(role));
        }
        let optional: Vec<_> = Role::ALL
            .into_iter()
            .filter(|r| !r.needs_second_factor())
            .collect();
        assert_eq!(optional, [Role::Analyst, Role::Viewer]);
    }
}
