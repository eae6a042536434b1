//! The one place that answers "may this person do this to this?".
//!
//! Every route names an [`Action`]; the web layer's extractors ask [`may`]
//! before a handler runs, and handlers that load an object ask again with the
//! object's organisation. Nothing else grants access.

use uuid::Uuid;

use super::roles::Role;
use super::tokens::Scope;

/// Who is asking: a signed-in person (through a session or an API token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub user_id: Uuid,
    pub memberships: Vec<Membership>,
    /// Present when the request came with an API token: the token may do no
    /// more than its scopes allow, and no more than its owner.
    pub token_scopes: Option<Vec<Scope>>,
}

/// One role in one organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Membership {
    pub organisation_id: Uuid,
    pub role: Role,
}

/// Something a person may try to do. Actions about one organisation's things
/// carry that organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// See and change one's own account (password, second factor, tokens).
    ManageOwnAccount,
    /// See the organisations and accounts of the whole instance.
    AdministerPlatform,
    /// Invite, change roles of and disable the accounts of one organisation.
    ManageUsers { organisation_id: Uuid },
    /// Search and export the audit trail of one organisation's people.
    ReadAudit { organisation_id: Uuid },
    /// Search and export the audit trail of the whole instance.
    ReadAllAudit,
    /// Open the audit search at all (what it shows is narrowed by
    /// [`audit_scope`]).
    SearchAudit,
    /// See the directory's editing pages (administrators of any
    /// organisation, coordinators).
    ManageDirectory,
    /// Propose changes to one organisation's services.
    EditServices { organisation_id: Uuid },
    /// Approve or reject changes, and publish without approval.
    ApproveServices,
    /// Make, receive and work on referrals for one organisation, and see
    /// the people on them.
    WorkWithReferrals { organisation_id: Uuid },
}

impl Action {
    /// The API scope a token needs for this action.
    pub fn scope(self) -> Scope {
        match self {
            Self::ManageOwnAccount => Scope::Account,
            Self::AdministerPlatform | Self::ManageUsers { .. } => Scope::Admin,
            Self::ReadAudit { .. } | Self::ReadAllAudit | Self::SearchAudit => Scope::AuditRead,
            Self::ManageDirectory | Self::EditServices { .. } | Self::ApproveServices => {
                Scope::Directory
            }
            Self::WorkWithReferrals { .. } => Scope::Referrals,
        }
    }
}

impl Principal {
    pub fn roles_in(&self, organisation_id: Uuid) -> impl Iterator<Item = Role> + '_ {
        self.memberships
            .iter()
            .filter(move |m| m.organisation_id == organisation_id)
            .map(|m| m.role)
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.memberships.iter().any(|m| m.role == role)
    }

    pub fn is_platform_admin(&self) -> bool {
        self.has_role(Role::PlatformAdmin)
    }

    /// Organisations in which this person holds `role`.
    pub fn organisations_with(&self, role: Role) -> Vec<Uuid> {
        let mut ids: Vec<Uuid> = self
            .memberships
            .iter()
            .filter(|m| m.role == role)
            .map(|m| m.organisation_id)
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

/// May `who` do `action`?
pub fn may(who: &Principal, action: Action) -> bool {
    if let Some(scopes) = &who.token_scopes
        && !scopes.contains(&action.scope())
    {
        return false;
    }
    match action {
        Action::ManageOwnAccount => true,
        Action::AdministerPlatform | Action::ReadAllAudit => who.is_platform_admin(),
        Action::ManageUsers { organisation_id } => {
            who.is_platform_admin()
                || who
                    .roles_in(organisation_id)
                    .any(|r| r == Role::OrganisationAdmin)
        }
        Action::ReadAudit { organisation_id } => {
            who.is_platform_admin()
                || who
                    .roles_in(organisation_id)
                    .any(|r| matches!(r, Role::OrganisationAdmin | Role::SafeguardingLead))
        }
        Action::SearchAudit => {
            audit_scope(who).is_some_and(|scope| scope.is_none_or(|orgs| !orgs.is_empty()))
        }
        Action::ManageDirectory => {
            who.has_role(Role::Coordinator) || who.has_role(Role::OrganisationAdmin)
        }
        Action::EditServices { organisation_id } => {
            who.has_role(Role::Coordinator)
                || who
                    .roles_in(organisation_id)
                    .any(|r| r == Role::OrganisationAdmin)
        }
        Action::ApproveServices => who.has_role(Role::Coordinator),
        // Only those who work with families see them: not platform
        // administrators, coordinators, analysts or volunteers by virtue
        // of their role.
        Action::WorkWithReferrals { organisation_id } => who
            .roles_in(organisation_id)
            .any(|r| matches!(r, Role::Practitioner | Role::SafeguardingLead)),
    }
}

/// The organisations `who` works with referrals for.
pub fn referral_organisations(who: &Principal) -> Vec<Uuid> {
    let mut ids: Vec<Uuid> = who
        .memberships
        .iter()
        .filter(|m| matches!(m.role, Role::Practitioner | Role::SafeguardingLead))
        .map(|m| m.organisation_id)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The roles `who` may give: platform administrators any; organisation
/// administrators those that stay within an organisation.
pub fn grantable_roles(who: &Principal) -> Vec<Role> {
    if who.is_platform_admin() {
        Role::ALL.to_vec()
    } else {
        vec![
            Role::OrganisationAdmin,
            Role::Practitioner,
            Role::SafeguardingLead,
            Role::Volunteer,
            Role::Analyst,
            Role::Viewer,
        ]
    }
}

/// The organisations whose directory listings `who` may change (`None`:
/// all of them, for coordinators).
pub fn directory_scope(who: &Principal) -> Option<Vec<Uuid>> {
    if who.has_role(Role::Coordinator) {
        None
    } else {
        Some(who.organisations_with(Role::OrganisationAdmin))
    }
}

/// Which part of the audit trail `who` may search: `Some(None)` for all of
/// it (platform admins), `Some(Some(orgs))` for the events of people acting
/// for those organisations (their safeguarding leads and administrators),
/// `None` for nothing.
pub fn audit_scope(who: &Principal) -> Option<Option<Vec<Uuid>>> {
    if who.is_platform_admin() {
        return Some(None);
    }
    let mut organisations = who.organisations_with(Role::SafeguardingLead);
    organisations.extend(who.organisations_with(Role::OrganisationAdmin));
    organisations.sort();
    organisations.dedup();
    (!organisations.is_empty()).then_some(Some(organisations))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(memberships: &[(Uuid, Role)]) -> Principal {
        Principal {
            user_id: Uuid::from_u128(99),
            memberships: memberships
                .iter()
                .map(|(organisation_id, role)| Membership {
                    organisation_id: *organisation_id,
                    role: *role,
                })
                .collect(),
            token_scopes: None,
        }
    }

    const SCHOOL: Uuid = Uuid::from_u128(1);
    const CLINIC: Uuid = Uuid::from_u128(2);

    #[test]
    fn organisation_admins_manage_only_their_own_organisation() {
        let admin = person(&[(SCHOOL, Role::OrganisationAdmin)]);
        assert!(may(
            &admin,
            Action::ManageUsers {
                organisation_id: SCHOOL
            }
        ));
        assert!(!may(
            &admin,
            Action::ManageUsers {
                organisation_id: CLINIC
            }
        ));
        assert!(!may(&admin, Action::AdministerPlatform));
    }

    #[test]
    fn every_role_is_decided_for_every_action() {
        for role in Role::ALL {
            let who = person(&[(SCHOOL, role)]);
            let expected_users = matches!(role, Role::PlatformAdmin | Role::OrganisationAdmin);
            assert_eq!(
                may(
                    &who,
                    Action::ManageUsers {
                        organisation_id: SCHOOL
                    }
                ),
                expected_users,
                "{role}"
            );
            let edits = matches!(role, Role::Coordinator | Role::OrganisationAdmin);
            assert_eq!(
                may(
                    &who,
                    Action::EditServices {
                        organisation_id: SCHOOL
                    }
                ),
                edits,
                "{role}"
            );
            assert_eq!(
                may(
                    &who,
                    Action::EditServices {
                        organisation_id: CLINIC
                    }
                ),
                role == Role::Coordinator,
                "{role}"
            );
            assert_eq!(
                may(&who, Action::ApproveServices),
                role == Role::Coordinator,
                "{role}"
            );
            assert_eq!(may(&who, Action::ManageDirectory), edits, "{role}");
            let expected_audit = matches!(
                role,
                Role::PlatformAdmin | Role::OrganisationAdmin | Role::SafeguardingLead
            );
            assert_eq!(
                may(
                    &who,
                    Action::ReadAudit {
                        organisation_id: SCHOOL
                    }
                ),
                expected_audit,
                "{role}"
            );
            assert_eq!(
                may(&who, Action::AdministerPlatform),
                role == Role::PlatformAdmin,
                "{role}"
            );
            assert!(may(&who, Action::ManageOwnAccount));
        }
    }

    #[test]
    fn a_token_does_no_more_than_its_scopes() {
        let mut admin = person(&[(SCHOOL, Role::PlatformAdmin)]);
        admin.token_scopes = Some(vec![Scope::AuditRead]);
        assert!(may(&admin, Action::ReadAllAudit));
        assert!(!may(&admin, Action::AdministerPlatform));
        // Scopes never add to what the owner may do.
        let mut viewer = person(&[(SCHOOL, Role::Viewer)]);
        viewer.token_scopes = Some(vec![Scope::Admin, Scope::AuditRead]);
        assert!(!may(&viewer, Action::AdministerPlatform));
    }
}
