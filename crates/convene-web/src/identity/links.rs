//! Accepting an invitation and resetting a forgotten password: both by a
//! single-use, expiring link sent by email.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use convene_domain::audit::{AuditAction, AuditEntry};
use convene_domain::identity::accounts::normalise_email;
use convene_domain::identity::passwords::check_new_password;
use convene_domain::identity::throttle::ThrottleRule;
use convene_domain::identity::tokens::{RESET_MINUTES, hash_secret, random_secret};
use convene_store::audit;
use convene_store::identity::credentials::{self, LinkPurpose};
use convene_store::identity::{accounts, sessions, throttles};
use serde::Deserialize;

use super::signing::{hash_password_blocking, stage_after_password, start_session};
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::mail::Email;
use crate::page::Page;
use crate::state::AppState;

/// A fresh secret for a link's URL.
pub fn new_link_secret() -> Result<String, AppError> {
    random_secret(32).map_err(|e| AppError::Internal(e.to_string()))
}

#[derive(Template)]
#[template(path = "identity/choose-password.html")]
struct ChoosePasswordPage {
    page: Page,
    errors: FormErrors,
    heading: &'static str,
    action: String,
    name: String,
}

#[derive(Template)]
#[template(path = "identity/link-expired.html")]
struct LinkExpiredPage {
    page: Page,
}

fn expired(page: Page) -> Result<Response, AppError> {
    Ok((
        StatusCode::NOT_FOUND,
        Html(LinkExpiredPage { page }.render()?),
    )
        .into_response())
}

pub async fn show_invitation(
    State(state): State<AppState>,
    page: Page,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    show_choose(state, page, token, LinkPurpose::Invitation).await
}

pub async fn show_reset(
    State(state): State<AppState>,
    page: Page,
    Path(token): Path<String>,
) -> Result<Response, AppError> {
    show_choose(state, page, token, LinkPurpose::PasswordReset).await
}

async fn show_choose(
    state: AppState,
    page: Page,
    token: String,
    purpose: LinkPurpose,
) -> Result<Response, AppError> {
    let conn = state.store.conn();
    let Some(user_id) =
        credentials::peek_link(conn, purpose, &hash_secret(&token), state.clock.now()).await?
    else {
        return expired(page);
    };
    let account = accounts::get(conn, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !link_still_fits(purpose, &account) {
        return expired(page);
    }
    let (heading, action) = texts(purpose, &token);
    let template = ChoosePasswordPage {
        page,
        errors: FormErrors::default(),
        heading,
        action,
        name: account.display_name,
    };
    Ok(Html(template.render()?).into_response())
}

/// An invitation is for someone without a password; a reset for an active
/// account. Anything else is treated as an expired link.
fn link_still_fits(purpose: LinkPurpose, account: &convene_domain::identity::Account) -> bool {
    match purpose {
        LinkPurpose::Invitation => account.password_hash.is_none() && account.disabled_at.is_none(),
        LinkPurpose::PasswordReset => account.is_active(),
    }
}

fn texts(purpose: LinkPurpose, token: &str) -> (&'static str, String) {
    match purpose {
        LinkPurpose::Invitation => ("Create your password", format!("/invitations/{token}")),
        LinkPurpose::PasswordReset => ("Choose a new password", format!("/password-reset/{token}")),
    }
}

#[derive(Debug, Deserialize)]
pub struct ChooseForm {
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn accept_invitation(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<ChooseForm>,
) -> Result<Response, AppError> {
    choose(
        state,
        page,
        address,
        headers,
        token,
        LinkPurpose::Invitation,
        form,
    )
    .await
}

pub async fn complete_reset(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    headers: HeaderMap,
    Path(token): Path<String>,
    Form(form): Form<ChooseForm>,
) -> Result<Response, AppError> {
    choose(
        state,
        page,
        address,
        headers,
        token,
        LinkPurpose::PasswordReset,
        form,
    )
    .await
}

async fn choose(
    state: AppState,
    page: Page,
    address: ClientAddress,
    headers: HeaderMap,
    token: String,
    purpose: LinkPurpose,
    form: ChooseForm,
) -> Result<Response, AppError> {
    let conn = state.store.conn();
    let now = state.clock.now();
    let hash = hash_secret(&token);
    let Some(user_id) = credentials::peek_link(conn, purpose, &hash, now).await? else {
        return expired(page);
    };
    let account = accounts::get(conn, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !link_still_fits(purpose, &account) {
        return expired(page);
    }
    let mut errors = FormErrors::default();
    if let Err(problem) =
        check_new_password(&form.new_password, &[&account.email, &account.display_name])
    {
        errors.add("new_password", problem.to_string());
    } else if form.new_password != form.confirm_password {
        errors.add("confirm_password", "The passwords do not match");
    }
    if !errors.is_empty() {
        let (heading, action) = texts(purpose, &token);
        let template = ChoosePasswordPage {
            page,
            errors,
            heading,
            action,
            name: account.display_name,
        };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(template.render()?)).into_response());
    }
    let password_hash = hash_password_blocking(&form.new_password).await?;
    let action = match purpose {
        LinkPurpose::Invitation => AuditAction::InvitationAccepted,
        LinkPurpose::PasswordReset => AuditAction::PasswordResetCompleted,
    };
    let entry = AuditEntry::new(action, now)
        .by_user(Some(user_id))
        .on("account", user_id)
        .from_address(address.text());
    let used = state
        .store
        .transaction(|txn| {
            Box::pin(async move {
                // Using the link inside the transaction: two submissions of
                // one link cannot both succeed.
                if credentials::use_link(txn, purpose, &hash, now)
                    .await?
                    .is_none()
                {
                    return Ok(false);
                }
                accounts::set_password(txn, user_id, &password_hash, now).await?;
                // No older invitation or reset link may be used after this.
                credentials::expire_links_for_user(txn, user_id, now).await?;
                sessions::delete_all_for_user(txn, user_id, None).await?;
                audit::record_in(txn, entry).await?;
                Ok(true)
            })
        })
        .await?;
    if !used {
        return expired(page);
    }
    match purpose {
        LinkPurpose::PasswordReset => {
            Ok(Redirect::to("/sign-in?done=password-reset").into_response())
        }
        LinkPurpose::Invitation => {
            // A new member goes straight on to set up their second factor
            // (or in, if their roles do not need one).
            let account = accounts::get(conn, user_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let stage = stage_after_password(&state, &account).await?;
            let cookie = start_session(&state, &account, stage, None, &address, &headers).await?;
            let next = if stage == convene_domain::identity::SessionStage::Complete {
                "/account"
            } else {
                "/account/second-factor"
            };
            if stage == convene_domain::identity::SessionStage::Complete {
                super::sign_in::signed_in(&state, &account, &address).await?;
            }
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(next)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "identity/forgotten-password.html")]
struct ForgottenPage {
    page: Page,
    errors: FormErrors,
    sent: bool,
}

pub async fn show_forgotten(page: Page) -> Result<Response, AppError> {
    Ok(Html(
        ForgottenPage {
            page,
            errors: FormErrors::default(),
            sent: false,
        }
        .render()?,
    )
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct ForgottenForm {
    #[serde(default)]
    email: String,
}

/// Always answers the same way, whether or not the account exists.
pub async fn request_reset(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    Form(form): Form<ForgottenForm>,
) -> Result<Response, AppError> {
    let email = normalise_email(&form.email);
    if email.is_empty() {
        let errors = FormErrors::one("email", "Enter your email address");
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Html(
                ForgottenPage {
                    page,
                    errors,
                    sent: false,
                }
                .render()?,
            ),
        )
            .into_response());
    }
    let conn = state.store.conn();
    let now = state.clock.now();
    let key = format!(
        "reset:{}",
        address.text().unwrap_or_else(|| "unknown".into())
    );
    if let Some(wait) = throttles::get(conn, &key, now).await?.locked_for(now) {
        return Err(AppError::TooManyAttempts {
            retry_after_seconds: wait.num_seconds(),
        });
    }
    // Every request counts, so nobody can mail-bomb an address or probe
    // for accounts quickly.
    throttles::record_failure(&state.store, &key, ThrottleRule::per_account(), now).await?;
    if let Some(account) = accounts::find_by_email(conn, &email)
        .await?
        .filter(|a| a.is_active())
    {
        let secret = new_link_secret()?;
        let entry = AuditEntry::new(AuditAction::PasswordResetRequested, now)
            .by_user(Some(account.id))
            .from_address(address.text());
        let (user_id, stored) = (account.id, secret.clone());
        state
            .store
            .transaction(move |txn| {
                Box::pin(async move {
                    let purpose = LinkPurpose::PasswordReset;
                    credentials::store_link(txn, purpose, user_id, &stored, now).await?;
                    audit::record_in(txn, entry).await?;
                    Ok(())
                })
            })
            .await?;
        state.mailer.send(Email {
            to: account.email.clone(),
            subject: format!("Reset your {} password", state.settings.instance_name),
            body: format!(
                "Someone asked to reset the password for your {} account.\n\nTo choose a new password, open this link within {RESET_MINUTES} minutes:\n{}\n\nIf it was not you, you can ignore this email: your password has not changed.",
                state.settings.instance_name,
                state.settings.link(&format!("/password-reset/{secret}"))
            ),
        });
    }
    Ok(Html(
        ForgottenPage {
            page,
            errors: FormErrors::default(),
            sent: true,
        }
        .render()?,
    )
    .into_response())
}
