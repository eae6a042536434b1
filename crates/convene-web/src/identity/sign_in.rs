//! Signing in (password, then second factor) and signing out.

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use convene_domain::audit::{AuditAction, AuditEntry};
use convene_domain::identity::accounts::normalise_email;
use convene_domain::identity::second_factor::{code_at, normalise_recovery_code, verify_code};
use convene_domain::identity::throttle::ThrottleRule;
use convene_domain::identity::tokens::hash_secret;
use convene_domain::identity::{Account, SessionStage};
use convene_store::audit;
use convene_store::identity::{accounts, credentials, sessions, throttles};
use serde::Deserialize;

use super::extract::{MaybeVisitor, SigningIn};
use super::signing::{
    account_key, clear_session_cookie, reserve_attempt, stage_after_password, start_session,
    verify_password_blocking,
};
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::page::Page;
use crate::state::AppState;

/// The one message for every failed sign-in, so nobody can learn whether an
/// account exists.
const WRONG: &str = "Enter a correct email address and password";

#[derive(Template)]
#[template(path = "identity/sign-in.html")]
struct SignInPage {
    page: Page,
    errors: FormErrors,
    email: String,
    notice: Option<&'static str>,
    providers: Vec<super::oidc::Provider>,
}

#[derive(Debug, Deserialize)]
pub struct Notice {
    #[serde(default)]
    done: Option<String>,
}

fn notice_text(done: Option<&str>) -> Option<&'static str> {
    match done {
        Some("signed-out") => Some("You have signed out."),
        Some("password-reset") => {
            Some("Your password has been changed. Sign in with your new password.")
        }
        Some("expired") => {
            Some("You were signed out because you had not done anything for a while.")
        }
        _ => None,
    }
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    MaybeVisitor(visitor): MaybeVisitor,
    Query(notice): Query<Notice>,
) -> Result<Response, AppError> {
    if visitor.is_some_and(|v| v.stage() == SessionStage::Complete) {
        return Ok(Redirect::to("/account").into_response());
    }
    let template = SignInPage {
        page,
        errors: FormErrors::default(),
        email: String::new(),
        notice: notice_text(notice.done.as_deref()),
        providers: super::oidc::providers(&state).await?,
    };
    Ok(Html(template.render()?).into_response())
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

pub async fn submit(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    MaybeVisitor(visitor): MaybeVisitor,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    let email = normalise_email(&form.email);
    let address_key = format!(
        "address:{}",
        address.text().unwrap_or_else(|| "unknown".into())
    );
    if let Some(wait) = throttles::get(state.store.conn(), &address_key, now)
        .await?
        .locked_for(now)
    {
        let entry = AuditEntry::new(AuditAction::SignInThrottled, now)
            .from_address(address.text())
            .on("client", &address_key);
        audit::record(&state.store, entry).await?;
        return Err(AppError::TooManyAttempts {
            retry_after_seconds: wait.num_seconds(),
        });
    }
    // Every attempt on a name counts before it is checked (so parallel
    // guesses cannot slip past the limit); only a completed sign-in clears
    // it. The name is the email typed, whether or not it has an account.
    let key = account_key(&email);
    if let Err(refused) = reserve_attempt(&state, &key).await {
        let entry = AuditEntry::new(AuditAction::SignInThrottled, now)
            .from_address(address.text())
            .on("sign_in_name", &key);
        audit::record(&state.store, entry).await?;
        return Err(refused);
    }
    let account = accounts::find_by_email(state.store.conn(), &email).await?;
    // Always pay for one password check, so timing does not tell whether
    // the account exists.
    let stored = account.as_ref().and_then(|a| a.password_hash.clone());
    let password_ok = verify_password_blocking(&form.password, stored.as_deref()).await?;
    let user_id = account.as_ref().map(|a| a.id);
    let Some(account) = account.filter(|a| password_ok && a.is_active()) else {
        throttles::record_failure(&state.store, &address_key, ThrottleRule::per_address(), now)
            .await?;
        let entry = AuditEntry::new(AuditAction::SignInFailed, now)
            .by_user(user_id)
            .from_address(address.text());
        audit::record(&state.store, entry).await?;
        let template = SignInPage {
            page,
            errors: FormErrors::one("email", WRONG),
            email,
            notice: None,
            providers: super::oidc::providers(&state).await?,
        };
        return Ok((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            Html(template.render()?),
        )
            .into_response());
    };

    let stage = stage_after_password(&state, &account).await?;
    let previous = visitor.and_then(|v| v.session().map(|s| s.id));
    let cookie = start_session(&state, &account, stage, previous, &address, &headers).await?;
    let next = match stage {
        SessionStage::AwaitingSecondFactor => "/sign-in/second-factor",
        SessionStage::MustEnrolSecondFactor => "/account/second-factor",
        SessionStage::Complete => {
            signed_in(&state, &account, &address).await?;
            "/account"
        }
    };
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(next)).into_response())
}

pub async fn signed_in(
    state: &AppState,
    account: &Account,
    address: &ClientAddress,
) -> Result<(), AppError> {
    let key = account_key(&account.email);
    let entry = AuditEntry::new(AuditAction::SignInSucceeded, state.clock.now())
        .by_user(Some(account.id))
        .from_address(address.text());
    state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                throttles::clear(txn, &key).await?;
                audit::record_in(txn, entry).await?;
                Ok(())
            })
        })
        .await?;
    Ok(())
}

#[derive(Template)]
#[template(path = "identity/second-factor.html")]
struct SecondFactorPage {
    page: Page,
    errors: FormErrors,
    demo_code: Option<String>,
}

pub async fn show_second_factor(
    State(state): State<AppState>,
    page: Page,
    SigningIn(visitor): SigningIn,
) -> Result<Response, AppError> {
    if visitor.stage() != SessionStage::AwaitingSecondFactor {
        return Ok(Redirect::to("/account").into_response());
    }
    let demo_code = demo_code(&state, &visitor.account);
    Ok(Html(
        SecondFactorPage {
            page,
            errors: FormErrors::default(),
            demo_code,
        }
        .render()?,
    )
    .into_response())
}

/// On a demo instance only, the code the person would read from their app.
fn demo_code(state: &AppState, account: &Account) -> Option<String> {
    if !state.settings.demo_mode {
        return None;
    }
    let secret = account.totp_secret.as_ref()?;
    let now = u64::try_from(state.clock.now().timestamp()).ok()?;
    code_at(secret, now)
}

#[derive(Debug, Deserialize)]
pub struct SecondFactorForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    recovery_code: String,
}

pub async fn submit_second_factor(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    headers: HeaderMap,
    SigningIn(visitor): SigningIn,
    Form(form): Form<SecondFactorForm>,
) -> Result<Response, AppError> {
    if visitor.stage() != SessionStage::AwaitingSecondFactor {
        return Ok(Redirect::to("/account").into_response());
    }
    let now = state.clock.now();
    let account = &visitor.account;
    // Codes count against the same limit as passwords: knowing the password
    // does not buy unlimited guesses at the code.
    reserve_attempt(&state, &account_key(&account.email)).await?;
    let accepted = if !form.recovery_code.trim().is_empty() {
        let hash = hash_secret(&normalise_recovery_code(&form.recovery_code));
        let entry = visitor.audit(AuditAction::RecoveryCodeUsed, &state, &address);
        let user_id = account.id;
        state
            .store
            .transaction(move |txn| {
                Box::pin(async move {
                    let used = credentials::use_recovery_code(txn, user_id, &hash, now).await?;
                    if used {
                        audit::record_in(txn, entry).await?;
                    }
                    Ok(used)
                })
            })
            .await?
    } else {
        match verify_code_for(account, &form.code, now.timestamp()) {
            Some(step) => {
                let id = account.id;
                state
                    .store
                    .transaction(move |txn| {
                        Box::pin(async move { accounts::use_totp_step(txn, id, step).await })
                    })
                    .await?
            }
            None => false,
        }
    };
    if !accepted {
        let entry = visitor.audit(AuditAction::SecondFactorFailed, &state, &address);
        audit::record(&state.store, entry).await?;
        let demo_code = demo_code(&state, account);
        let errors = FormErrors::one(
            "code",
            "Enter the 6-digit code from your authenticator app, or a recovery code you have not used",
        );
        let template = SecondFactorPage {
            page,
            errors,
            demo_code,
        };
        return Ok((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            Html(template.render()?),
        )
            .into_response());
    }
    let previous = visitor.session().map(|s| s.id);
    let cookie = start_session(
        &state,
        account,
        SessionStage::Complete,
        previous,
        &address,
        &headers,
    )
    .await?;
    signed_in(&state, account, &address).await?;
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/account")).into_response())
}

fn verify_code_for(account: &Account, code: &str, now: i64) -> Option<i64> {
    verify_code(
        account.totp_secret.as_deref()?,
        code,
        now,
        account.totp_last_step,
    )
}

pub async fn sign_out(
    State(state): State<AppState>,
    address: ClientAddress,
    MaybeVisitor(visitor): MaybeVisitor,
) -> Result<Response, AppError> {
    if let Some(visitor) = visitor {
        let session_id = visitor.session().map(|s| s.id);
        let entry = visitor.audit(AuditAction::SignedOut, &state, &address);
        state
            .store
            .transaction(move |txn| {
                Box::pin(async move {
                    if let Some(id) = session_id {
                        sessions::delete(txn, id).await?;
                    }
                    audit::record_in(txn, entry).await?;
                    Ok(())
                })
            })
            .await?;
    }
    Ok((
        [(header::SET_COOKIE, clear_session_cookie(&state))],
        Redirect::to("/sign-in?done=signed-out"),
    )
        .into_response())
}
