//! "Your account": password, second factor, recovery codes, sessions and
//! API tokens.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use convene_domain::audit::AuditAction;
use convene_domain::identity::passwords::check_new_password;
use convene_domain::identity::second_factor::{
    new_recovery_codes, new_secret, otpauth_url, secret_base32, secret_from_base32, verify_code,
};
use convene_domain::identity::{Role, SessionStage};
use convene_store::identity::accounts;
use convene_store::identity::credentials::{self, ApiToken};
use convene_store::identity::sessions::{self, SessionRecord};
use convene_store::{audit, organisations};
use serde::Deserialize;
use uuid::Uuid;

use super::extract::permissions::OwnAccount;
use super::extract::{Authorised, SigningIn};
use super::sign_in::signed_in;
use super::signing::{
    account_key, hash_password_blocking, reserve_attempt, start_session, verify_password_blocking,
};
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::page::Page;
use crate::state::AppState;

pub struct MembershipView {
    organisation: String,
    role: Role,
}

#[derive(Template)]
#[template(path = "identity/account.html")]
struct AccountPage {
    page: Page,
    name: String,
    email: String,
    memberships: Vec<MembershipView>,
    second_factor: bool,
    recovery_codes_left: u64,
    sessions: Vec<SessionRecord>,
    current_session: Option<Uuid>,
    tokens: Vec<ApiToken>,
    now: DateTime<Utc>,
}

impl AccountPage {
    fn is_current(&self, id: &Uuid) -> bool {
        self.current_session == Some(*id)
    }

    fn usable(&self, token: &ApiToken) -> bool {
        token.is_usable(self.now)
    }

    fn expired(&self, token: &ApiToken) -> bool {
        token.expires_at <= self.now
    }
}

pub fn when(at: &DateTime<Utc>) -> String {
    at.format("%-d %B %Y, %H:%M UTC").to_string()
}

pub async fn show(
    State(state): State<AppState>,
    page: Page,
    who: Authorised<OwnAccount>,
) -> Result<Response, AppError> {
    let conn = state.store.conn();
    let account = &who.visitor.account;
    let mut memberships = Vec::new();
    for m in &who.visitor.principal.memberships {
        let organisation = organisations::get(conn, m.organisation_id)
            .await?
            .map(|o| o.details.name)
            .unwrap_or_default();
        memberships.push(MembershipView {
            organisation,
            role: m.role,
        });
    }
    let template = AccountPage {
        page,
        name: account.display_name.clone(),
        email: account.email.clone(),
        memberships,
        second_factor: account.has_second_factor(),
        recovery_codes_left: credentials::unused_recovery_codes(conn, account.id).await?,
        sessions: sessions::list_for_user(conn, account.id).await?,
        current_session: who.visitor.session().map(|s| s.id),
        tokens: credentials::tokens_of(conn, account.id).await?,
        now: state.clock.now(),
    };
    Ok(Html(template.render()?).into_response())
}

#[derive(Template)]
#[template(path = "identity/change-password.html")]
struct ChangePasswordPage {
    page: Page,
    errors: FormErrors,
}

pub async fn show_password(page: Page, _who: Authorised<OwnAccount>) -> Result<Response, AppError> {
    Ok(Html(
        ChangePasswordPage {
            page,
            errors: FormErrors::default(),
        }
        .render()?,
    )
    .into_response())
}

#[derive(Debug, Deserialize)]
pub struct ChangePasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Authorised<OwnAccount>,
    Form(form): Form<ChangePasswordForm>,
) -> Result<Response, AppError> {
    let account = &who.visitor.account;
    let mut errors = FormErrors::default();
    // Guessing the current password from a stolen session counts against
    // the same limit as signing in.
    reserve_attempt(&state, &account_key(&account.email)).await?;
    if !verify_password_blocking(&form.current_password, account.password_hash.as_deref()).await? {
        errors.add("current_password", "Enter your current password correctly");
    }
    if let Err(problem) =
        check_new_password(&form.new_password, &[&account.email, &account.display_name])
    {
        errors.add("new_password", problem.to_string());
    } else if form.new_password != form.confirm_password {
        errors.add("confirm_password", "The passwords do not match");
    }
    if !errors.is_empty() {
        let body = ChangePasswordPage { page, errors }.render()?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(body)).into_response());
    }
    let hash = hash_password_blocking(&form.new_password).await?;
    let keep = who.visitor.session().map(|s| s.id);
    let entry = who
        .visitor
        .audit(AuditAction::PasswordChanged, &state, &address)
        .on("account", account.id);
    let user_id = account.id;
    let now = state.clock.now();
    state
        .store
        .transaction(|txn| {
            Box::pin(async move {
                accounts::set_password(txn, user_id, &hash, now).await?;
                // Every other session ends: whoever else knew the old password is out.
                sessions::delete_all_for_user(txn, user_id, keep).await?;
                audit::record_in(txn, entry).await?;
                Ok(())
            })
        })
        .await?;
    Ok(Redirect::to("/account").into_response())
}

#[derive(Template)]
#[template(path = "identity/set-up-second-factor.html")]
struct EnrolPage {
    page: Page,
    errors: FormErrors,
    secret: String,
    qr_svg: String,
    replacing: bool,
}

/// Shows a new secret to add to an authenticator app. The secret travels in
/// the form (it is the visitor's own, and proving a code from it is what
/// turns it on).
pub async fn show_enrol(
    State(state): State<AppState>,
    page: Page,
    SigningIn(visitor): SigningIn,
) -> Result<Response, AppError> {
    if visitor.stage() == SessionStage::AwaitingSecondFactor {
        return Ok(Redirect::to("/sign-in/second-factor").into_response());
    }
    let secret = new_secret().map_err(|e| AppError::Internal(e.to_string()))?;
    render_enrol(
        &state,
        page,
        &visitor.account.email,
        &secret,
        FormErrors::default(),
        visitor.account.has_second_factor(),
        StatusCode::OK,
    )
}

fn render_enrol(
    state: &AppState,
    page: Page,
    email: &str,
    secret: &[u8],
    errors: FormErrors,
    replacing: bool,
    status: StatusCode,
) -> Result<Response, AppError> {
    let url = otpauth_url(secret, email, &state.settings.instance_name)
        .ok_or_else(|| AppError::Internal("otpauth link".into()))?;
    let qr_svg = qrcode::QrCode::new(url.as_bytes())
        .map(|code| {
            let svg = code
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .build();
            // Keep only the <svg> element; the XML prolog is not valid in HTML.
            svg.find("<svg")
                .map(|i| svg[i..].to_string())
                .unwrap_or_default()
        })
        .map_err(|e| AppError::Internal(format!("QR code: {e}")))?;
    let template = EnrolPage {
        page,
        errors,
        secret: secret_base32(secret),
        qr_svg,
        replacing,
    };
    Ok((status, Html(template.render()?)).into_response())
}

#[derive(Debug, Deserialize)]
pub struct EnrolForm {
    #[serde(default)]
    secret: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    code: String,
}

#[derive(Template)]
#[template(path = "identity/recovery-codes.html")]
struct RecoveryCodesPage {
    page: Page,
    codes: Vec<String>,
}

pub async fn enrol(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    headers: HeaderMap,
    SigningIn(visitor): SigningIn,
    Form(form): Form<EnrolForm>,
) -> Result<Response, AppError> {
    if visitor.stage() == SessionStage::AwaitingSecondFactor {
        return Ok(Redirect::to("/sign-in/second-factor").into_response());
    }
    let secret = secret_from_base32(form.secret.trim())
        .filter(|s| s.len() >= 16)
        .ok_or_else(|| {
            AppError::BadRequest("The set-up form was damaged. Start setting up again.".into())
        })?;
    let now = state.clock.now();
    let replacing = visitor.account.has_second_factor();
    if replacing {
        // Swapping the second factor needs the password again, so a
        // borrowed session cannot quietly take the account over.
        reserve_attempt(&state, &account_key(&visitor.account.email)).await?;
        if !verify_password_blocking(
            &form.current_password,
            visitor.account.password_hash.as_deref(),
        )
        .await?
        {
            let errors =
                FormErrors::one("current_password", "Enter your current password correctly");
            return render_enrol(
                &state,
                page,
                &visitor.account.email,
                &secret,
                errors,
                replacing,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    }
    let Some(step) = verify_code(&secret, &form.code, now.timestamp(), None) else {
        let errors = FormErrors::one(
            "code",
            "Enter the 6-digit code shown in your authenticator app",
        );
        return render_enrol(
            &state,
            page,
            &visitor.account.email,
            &secret,
            errors,
            replacing,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let codes = new_recovery_codes().map_err(|e| AppError::Internal(e.to_string()))?;
    let hashes: Vec<String> = codes.iter().map(|(_, hash)| hash.clone()).collect();
    let user_id = visitor.account.id;
    let enabled = visitor
        .audit(AuditAction::SecondFactorEnabled, &state, &address)
        .on("account", user_id);
    let issued = visitor
        .audit(AuditAction::RecoveryCodesIssued, &state, &address)
        .on("account", user_id);
    state
        .store
        .transaction(|txn| {
            Box::pin(async move {
                accounts::enable_second_factor(txn, user_id, &secret, step, now).await?;
                credentials::replace_recovery_codes(txn, user_id, &hashes, now).await?;
                audit::record_in(txn, enabled).await?;
                audit::record_in(txn, issued).await?;
                Ok(())
            })
        })
        .await?;
    let mut response = Html(
        RecoveryCodesPage {
            page,
            codes: codes.into_iter().map(|(code, _)| code).collect(),
        }
        .render()?,
    )
    .into_response();
    if visitor.stage() == SessionStage::MustEnrolSecondFactor {
        // Enrolment finishes signing in: a new session, fully signed in.
        let account = accounts::get(state.store.conn(), user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let previous = visitor.session().map(|s| s.id);
        let cookie = start_session(
            &state,
            &account,
            SessionStage::Complete,
            previous,
            &address,
            &headers,
        )
        .await?;
        signed_in(&state, &account, &address).await?;
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

pub async fn regenerate_recovery_codes(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    who: Authorised<OwnAccount>,
) -> Result<Response, AppError> {
    if !who.visitor.account.has_second_factor() {
        return Ok(Redirect::to("/account/second-factor").into_response());
    }
    let codes = new_recovery_codes().map_err(|e| AppError::Internal(e.to_string()))?;
    let hashes: Vec<String> = codes.iter().map(|(_, hash)| hash.clone()).collect();
    let user_id = who.visitor.account.id;
    let now = state.clock.now();
    let entry = who
        .visitor
        .audit(AuditAction::RecoveryCodesIssued, &state, &address)
        .on("account", user_id);
    state
        .store
        .transaction(|txn| {
            Box::pin(async move {
                credentials::replace_recovery_codes(txn, user_id, &hashes, now).await?;
                audit::record_in(txn, entry).await?;
                Ok(())
            })
        })
        .await?;
    Ok(Html(
        RecoveryCodesPage {
            page,
            codes: codes.into_iter().map(|(code, _)| code).collect(),
        }
        .render()?,
    )
    .into_response())
}

pub async fn end_session(
    State(state): State<AppState>,
    address: ClientAddress,
    who: Authorised<OwnAccount>,
    Path(session_id): Path<Uuid>,
) -> Result<Response, AppError> {
    let user_id = who.visitor.account.id;
    let entry = who
        .visitor
        .audit(AuditAction::SessionRevoked, &state, &address)
        .on("session", session_id);
    let ended = state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                let ended = sessions::delete_for_user(txn, user_id, session_id).await?;
                if ended {
                    audit::record_in(txn, entry).await?;
                }
                Ok(ended)
            })
        })
        .await?;
    if !ended {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/account").into_response())
}

pub async fn revoke_token(
    State(state): State<AppState>,
    address: ClientAddress,
    who: Authorised<OwnAccount>,
    Path(token_id): Path<Uuid>,
) -> Result<Response, AppError> {
    let now = state.clock.now();
    if !credentials::revoke_token(state.store.conn(), who.visitor.account.id, token_id, now).await?
    {
        return Err(AppError::NotFound);
    }
    let entry = who
        .visitor
        .audit(AuditAction::TokenRevoked, &state, &address)
        .on("api_token", token_id);
    audit::record(&state.store, entry).await?;
    Ok(Redirect::to("/account").into_response())
}
