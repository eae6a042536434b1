//! An organisation's accounts: invite, change role, disable.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use convene_domain::audit::AuditAction;
use convene_domain::identity::accounts::{Invitation, InvitationInput};
use convene_domain::identity::policy::grantable_roles;
use convene_domain::identity::{Account, Action, Role, may};
use convene_domain::organisations::Organisation;
use convene_store::identity::credentials::{self, LinkPurpose};
use convene_store::identity::{accounts, sessions};
use convene_store::{audit, organisations};
use serde::Deserialize;
use uuid::Uuid;

use super::extract::Authorised;
use super::extract::permissions::ManageUsers;
use super::links::new_link_secret;
use super::visitor::Visitor;
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::mail::Email;
use crate::page::Page;
use crate::state::AppState;

/// The roles `visitor` may give: platform admins any; organisation admins
/// those within an organisation.
fn grantable(visitor: &Visitor) -> Vec<Role> {
    grantable_roles(&visitor.principal)
}

async fn organisation(state: &AppState, id: Uuid) -> Result<Organisation, AppError> {
    organisations::get(state.store.conn(), id)
        .await?
        .ok_or(AppError::NotFound)
}

pub struct MemberView {
    pub account: Account,
    pub role: Role,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "identity/organisation-users.html")]
struct UsersPage {
    page: Page,
    organisation: Organisation,
    members: Vec<MemberView>,
    roles: Vec<Role>,
    me: Uuid,
    notice: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct UsersQuery {
    #[serde(default)]
    invited: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Authorised<ManageUsers>,
    Query(query): Query<UsersQuery>,
) -> Result<Response, AppError> {
    let organisation = organisation(&state, who.organisation_id).await?;
    let members = accounts::members_of(state.store.conn(), organisation.id)
        .await?
        .into_iter()
        .map(|(account, role)| {
            let status = if account.disabled_at.is_some() {
                "Disabled"
            } else if account.password_hash.is_none() {
                "Invited"
            } else {
                "Active"
            };
            MemberView {
                account,
                role,
                status,
            }
        })
        .collect();
    // A list of staff names and email addresses is personal data: looking at it is recorded.
    let entry = who
        .audit(AuditAction::RecordViewed, &state, &address)
        .on("organisation_users", organisation.id);
    audit::record(&state.store, entry).await?;
    let template = UsersPage {
        page,
        organisation,
        members,
        roles: grantable(&who.visitor),
        me: who.visitor.account.id,
        notice: query
            .invited
            .filter(|e| e.len() <= 254)
            .map(|email| format!("We have sent an invitation to {email}.")),
    };
    Ok(Html(template.render()?).into_response())
}

#[derive(Template)]
#[template(path = "identity/invite.html")]
struct InvitePage {
    page: Page,
    organisation: Organisation,
    errors: FormErrors,
    roles: Vec<Role>,
    email: String,
    display_name: String,
    role: String,
}

pub async fn show_invite(
    State(state): State<AppState>,
    page: Page,
    who: Authorised<ManageUsers>,
) -> Result<Response, AppError> {
    let organisation = organisation(&state, who.organisation_id).await?;
    let template = InvitePage {
        page,
        organisation,
        errors: FormErrors::default(),
        roles: grantable(&who.visitor),
        email: String::new(),
        display_name: String::new(),
        role: String::new(),
    };
    Ok(Html(template.render()?).into_response())
}

pub async fn invite(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Authorised<ManageUsers>,
    Form(input): Form<InvitationInput>,
) -> Result<Response, AppError> {
    let organisation = organisation(&state, who.organisation_id).await?;
    let roles = grantable(&who.visitor);
    let invitation: Invitation = match input.validate(&roles) {
        Ok(invitation) => invitation,
        Err(errors) => {
            let template = InvitePage {
                page,
                organisation,
                errors: errors.into(),
                roles,
                email: input.email,
                display_name: input.display_name,
                role: input.role,
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(template.render()?)).into_response());
        }
    };
    if let Some(existing) = accounts::find_by_email(state.store.conn(), &invitation.email).await? {
        // Adding someone who works elsewhere needs someone who manages all
        // of their organisations (in practice a platform administrator):
        // otherwise an administrator could pull another organisation's
        // people, and their history, into their own.
        if !manages_all_of(&state, &who.visitor, existing.id).await? {
            let errors = FormErrors::one(
                "email",
                "This person already has an account with another organisation. Ask a platform administrator to add them to yours",
            );
            let template = InvitePage {
                page,
                organisation,
                errors,
                roles,
                email: invitation.email,
                display_name: invitation.display_name,
                role: invitation.role.code().to_string(),
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(template.render()?)).into_response());
        }
    }
    let now = state.clock.now();
    let organisation_id = organisation.id;
    let mut entry = who.audit(AuditAction::UserInvited, &state, &address);
    entry.purpose = Some(format!("role {}", invitation.role.code()));
    let secret = new_link_secret()?;
    let link = {
        let invitation = invitation.clone();
        state
            .store
            .transaction(move |txn| {
                Box::pin(async move {
                    let (user_id, needs_link) = accounts::add_to_organisation(
                        txn,
                        &invitation.email,
                        &invitation.display_name,
                        organisation_id,
                        invitation.role,
                        now,
                    )
                    .await?;
                    if needs_link {
                        credentials::store_link(
                            txn,
                            LinkPurpose::Invitation,
                            user_id,
                            &secret,
                            now,
                        )
                        .await?;
                    }
                    audit::record_in(txn, entry.on("account", user_id)).await?;
                    Ok(needs_link.then_some(secret))
                })
            })
            .await?
    };
    let body = match link {
        Some(secret) => format!(
            "{} has invited you to {} as {} for {}.\n\nTo create your password, open this link within {} days:\n{}\n\nIf you were not expecting this, you can ignore this email.",
            who.visitor.account.display_name,
            state.settings.instance_name,
            invitation.role.label(),
            organisation.details.name,
            convene_domain::identity::tokens::INVITATION_DAYS,
            state.settings.link(&format!("/invitations/{secret}")),
        ),
        None => format!(
            "{} has given you the role {} for {} on {}. Sign in as usual to use it: {}",
            who.visitor.account.display_name,
            invitation.role.label(),
            organisation.details.name,
            state.settings.instance_name,
            state.settings.link("/sign-in"),
        ),
    };
    state.mailer.send(Email {
        to: invitation.email.clone(),
        subject: format!("You have been invited to {}", state.settings.instance_name),
        body,
    });
    let target = format!(
        "/organisations/{organisation_id}/users?{}",
        serde_urlencoded::to_string([("invited", invitation.email.as_str())]).unwrap_or_default()
    );
    Ok(Redirect::to(&target).into_response())
}

/// Whether `visitor` manages every organisation the account belongs to.
async fn manages_all_of(
    state: &AppState,
    visitor: &Visitor,
    user_id: Uuid,
) -> Result<bool, AppError> {
    Ok(accounts::memberships(state.store.conn(), user_id)
        .await?
        .iter()
        .all(|m| {
            may(
                &visitor.principal,
                Action::ManageUsers {
                    organisation_id: m.organisation_id,
                },
            )
        }))
}

/// Nobody changes the account of someone whose role they could not give
/// (an organisation administrator cannot demote a platform administrator).
fn refuse_if_above(visitor: &Visitor, role: Role) -> Result<(), AppError> {
    if grantable(visitor).contains(&role) {
        Ok(())
    } else {
        Err(AppError::BadRequest(
            "Only a platform administrator can change this person's account".into(),
        ))
    }
}

/// The member `user_id` of the route's organisation, or 404.
async fn member(
    state: &AppState,
    organisation_id: Uuid,
    user_id: Uuid,
) -> Result<(Account, Role), AppError> {
    accounts::members_of(state.store.conn(), organisation_id)
        .await?
        .into_iter()
        .find(|(account, _)| account.id == user_id)
        .ok_or(AppError::NotFound)
}

#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

pub async fn change_role(
    State(state): State<AppState>,
    address: ClientAddress,
    who: Authorised<ManageUsers>,
    Path((organisation_id, user_id)): Path<(Uuid, Uuid)>,
    Form(form): Form<RoleForm>,
) -> Result<Response, AppError> {
    let (account, current_role) = member(&state, organisation_id, user_id).await?;
    refuse_if_above(&who.visitor, current_role)?;
    let role = form
        .role
        .parse::<Role>()
        .ok()
        .filter(|r| grantable(&who.visitor).contains(r))
        .ok_or_else(|| AppError::BadRequest("Select a role you can give".into()))?;
    let now = state.clock.now();
    let mut entry = who
        .audit(AuditAction::RoleChanged, &state, &address)
        .on("account", account.id);
    entry.purpose = Some(format!("role {}", role.code()));
    state
        .store
        .transaction(|txn| {
            Box::pin(async move {
                accounts::set_role(txn, user_id, organisation_id, role, now).await?;
                // New rights (and maybe a second factor) apply from their next sign-in.
                sessions::delete_all_for_user(txn, user_id, None).await?;
                audit::record_in(txn, entry).await?;
                Ok(())
            })
        })
        .await?;
    Ok(Redirect::to(&format!("/organisations/{organisation_id}/users")).into_response())
}

pub async fn disable(
    state: State<AppState>,
    address: ClientAddress,
    who: Authorised<ManageUsers>,
    path: Path<(Uuid, Uuid)>,
) -> Result<Response, AppError> {
    set_disabled(state, address, who, path, true).await
}

pub async fn enable(
    state: State<AppState>,
    address: ClientAddress,
    who: Authorised<ManageUsers>,
    path: Path<(Uuid, Uuid)>,
) -> Result<Response, AppError> {
    set_disabled(state, address, who, path, false).await
}

async fn set_disabled(
    State(state): State<AppState>,
    address: ClientAddress,
    who: Authorised<ManageUsers>,
    Path((organisation_id, user_id)): Path<(Uuid, Uuid)>,
    disabled: bool,
) -> Result<Response, AppError> {
    let (account, current_role) = member(&state, organisation_id, user_id).await?;
    if account.id == who.visitor.account.id {
        return Err(AppError::BadRequest(
            "You cannot disable your own account".into(),
        ));
    }
    // An account is one person across organisations: only someone who
    // manages every organisation they belong to may switch it off.
    if !manages_all_of(&state, &who.visitor, user_id).await? {
        return Err(AppError::BadRequest(
            "This person also works for another organisation. Ask a platform administrator to change their account".into(),
        ));
    }
    refuse_if_above(&who.visitor, current_role)?;
    let now = state.clock.now();
    let action = if disabled {
        AuditAction::UserDisabled
    } else {
        AuditAction::UserEnabled
    };
    let entry = who.audit(action, &state, &address).on("account", user_id);
    state
        .store
        .transaction(|txn| {
            Box::pin(async move {
                accounts::set_disabled(txn, user_id, disabled, now).await?;
                sessions::delete_all_for_user(txn, user_id, None).await?;
                audit::record_in(txn, entry).await?;
                Ok(())
            })
        })
        .await?;
    Ok(Redirect::to(&format!("/organisations/{organisation_id}/users")).into_response())
}
