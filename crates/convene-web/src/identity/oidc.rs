//! Signing in through an organisation's own identity provider with OpenID
//! Connect: authorisation code flow with PKCE, `state` and `nonce` checked,
//! the ID token verified against the provider's keys, and its verified email
//! mapped to an existing account of that organisation. The person then goes
//! on to their second factor exactly as after a password.

use std::time::Duration;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use convene_domain::audit::{AuditAction, AuditEntry};
use convene_domain::identity::SessionStage;
use convene_domain::identity::accounts::normalise_email;
use convene_domain::identity::tokens::hash_secret;
use convene_store::identity::accounts;
use convene_store::identity::oidc::{self, OidcSettings, PendingLogin};
use convene_store::{audit, organisations};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use serde::Deserialize;
use uuid::Uuid;

use super::cookies;
use super::sign_in::signed_in;
use super::signing::{stage_after_password, start_session};
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::forms::FormErrors;
use crate::page::Page;
use crate::state::AppState;

pub const CALLBACK_PATH: &str = "/sign-in/oidc/callback";

/// The cookie that ties a sign-in's `state` to the browser that began it.
const STATE_COOKIE: &str = "convene_oidc_state";

/// An organisation people may sign in through, for the sign-in page.
#[derive(Debug, Clone)]
pub struct Provider {
    pub organisation_id: Uuid,
    pub name: String,
}

/// The organisations with their own sign-in, by name.
pub async fn providers(state: &AppState) -> Result<Vec<Provider>, AppError> {
    let conn = state.store.conn();
    let mut list = Vec::new();
    for settings in oidc::all(conn).await? {
        if let Some(organisation) = organisations::get(conn, settings.organisation_id).await? {
            list.push(Provider {
                organisation_id: organisation.id,
                name: organisation.details.name,
            });
        }
    }
    list.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(list)
}

/// A client for calls to identity providers: bounded in time, and never
/// following redirects (a token endpoint that redirects is refused).
fn http_client() -> Result<openidconnect::reqwest::Client, AppError> {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| AppError::Internal(format!("OIDC HTTP client: {e}")))
}

/// Why a sign-in through a provider failed: logged and audited, never shown.
struct Failure(String);

async fn discover(
    state: &AppState,
    settings: &OidcSettings,
    http: &openidconnect::reqwest::Client,
) -> Result<
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    Failure,
> {
    let issuer = IssuerUrl::new(settings.issuer_url.clone())
        .map_err(|e| Failure(format!("issuer URL: {e}")))?;
    let metadata = CoreProviderMetadata::discover_async(issuer, http)
        .await
        .map_err(|e| Failure(format!("discovery: {e}")))?;
    let redirect = RedirectUrl::new(state.settings.link(CALLBACK_PATH))
        .map_err(|e| Failure(format!("redirect URL: {e}")))?;
    Ok(CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(settings.client_id.clone()),
        Some(ClientSecret::new(settings.client_secret.clone())),
    )
    .set_redirect_uri(redirect))
}

/// Sends the person to their organisation's provider (a POST from the
/// sign-in page, so it carries the form token).
pub async fn start(
    State(state): State<AppState>,
    address: ClientAddress,
    Path(organisation_id): Path<Uuid>,
) -> Result<Response, AppError> {
    let settings = oidc::get(state.store.conn(), organisation_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let http = http_client()?;
    let client = match discover(&state, &settings, &http).await {
        Ok(client) => client,
        Err(Failure(reason)) => {
            tracing::warn!(%organisation_id, %reason, "identity provider unavailable");
            record_failure(&state, &address, None, &reason).await?;
            return Err(AppError::Unavailable);
        }
    };
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".to_string()))
        .set_pkce_challenge(challenge)
        .url();
    let pending = PendingLogin {
        organisation_id,
        nonce: nonce.secret().clone(),
        pkce_verifier: verifier.secret().clone(),
    };
    oidc::start_login(
        state.store.conn(),
        &hash_secret(csrf.secret()),
        &pending,
        state.clock.now(),
    )
    .await?;
    // The state also goes into a cookie of this browser: a callback carrying
    // someone else's state (login CSRF) does not match it.
    let cookie = cookies::set(&state.settings, STATE_COOKIE, Some(csrf.secret()));
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to(url.as_str())).into_response())
}

#[derive(Debug, Deserialize)]
pub struct Callback {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "identity/oidc-failed.html")]
struct FailedPage {
    page: Page,
    errors: FormErrors,
}

/// Where the provider sends the person back.
pub async fn callback(
    State(state): State<AppState>,
    page: Page,
    address: ClientAddress,
    headers: HeaderMap,
    Query(callback): Query<Callback>,
) -> Result<Response, AppError> {
    let browser_state = cookies::read(&headers, &state.settings, STATE_COOKIE);
    let clear = cookies::set(&state.settings, STATE_COOKIE, None);
    let outcome = match (&callback.state, browser_state) {
        (Some(sent), Some(kept)) if *sent == kept => finish(&state, &callback).await?,
        _ => Err((
            None,
            Failure("the state does not belong to this browser".to_string()),
        )),
    };
    let mut response = respond(&state, page, &address, &headers, outcome).await?;
    response.headers_mut().append(header::SET_COOKIE, clear);
    Ok(response)
}

async fn respond(
    state: &AppState,
    page: Page,
    address: &ClientAddress,
    headers: &HeaderMap,
    outcome: Result<Uuid, (Option<Uuid>, Failure)>,
) -> Result<Response, AppError> {
    let state = state.clone();
    match outcome {
        Ok(account_id) => {
            let account = accounts::get(state.store.conn(), account_id)
                .await?
                .ok_or(AppError::NotFound)?;
            let stage = stage_after_password(&state, &account).await?;
            let cookie = start_session(&state, &account, stage, None, address, headers).await?;
            let next = match stage {
                SessionStage::AwaitingSecondFactor => "/sign-in/second-factor",
                SessionStage::MustEnrolSecondFactor => "/account/second-factor",
                SessionStage::Complete => {
                    signed_in(&state, &account, address).await?;
                    "/account"
                }
            };
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(next)).into_response())
        }
        Err((user, Failure(reason))) => {
            tracing::info!(%reason, "sign-in through an identity provider refused");
            record_failure(&state, address, user, &reason).await?;
            let errors = FormErrors::one(
                "oidc",
                "We could not sign you in through your organisation. Try again, or sign in with your email address and password",
            );
            Ok((
                StatusCode::UNAUTHORIZED,
                Html(FailedPage { page, errors }.render()?),
            )
                .into_response())
        }
    }
}

/// Checks everything the provider sent back; the account to sign in, or why
/// not (with the account, when one was identified).
async fn finish(
    state: &AppState,
    callback: &Callback,
) -> Result<Result<Uuid, (Option<Uuid>, Failure)>, AppError> {
    let fail = |reason: &str| Ok(Err((None, Failure(reason.to_string()))));
    if let Some(error) = &callback.error {
        return fail(&format!(
            "provider returned error {:?}",
            error.chars().take(100).collect::<String>()
        ));
    }
    let (Some(code), Some(state_param)) = (&callback.code, &callback.state) else {
        return fail("callback without code or state");
    };
    let conn = state.store.conn();
    let now = state.clock.now();
    let Some(pending) = oidc::take_login(conn, &hash_secret(state_param), now).await? else {
        return fail("unknown, used or expired state");
    };
    let Some(settings) = oidc::get(conn, pending.organisation_id).await? else {
        return fail("the organisation no longer signs in with a provider");
    };
    let http = http_client()?;
    let client = match discover(state, &settings, &http).await {
        Ok(client) => client,
        Err(failure) => return Ok(Err((None, failure))),
    };
    let exchange = match client.exchange_code(AuthorizationCode::new(code.clone())) {
        Ok(request) => {
            request.set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
        }
        Err(e) => return fail(&format!("token endpoint: {e}")),
    };
    let tokens = match exchange.request_async(&http).await {
        Ok(tokens) => tokens,
        Err(e) => return fail(&format!("code exchange: {e}")),
    };
    let Some(id_token) = tokens.id_token() else {
        return fail("no ID token");
    };
    let clock = state.clock.clone();
    let verifier = client.id_token_verifier().set_time_fn(move || clock.now());
    let claims = match id_token.claims(&verifier, &Nonce::new(pending.nonce.clone())) {
        Ok(claims) => claims,
        Err(e) => return fail(&format!("ID token refused: {e}")),
    };
    let (Some(email), Some(true)) = (claims.email(), claims.email_verified()) else {
        return fail("the provider did not vouch for an email address");
    };
    let email = normalise_email(email.as_str());
    let Some(account) = accounts::find_by_email(conn, &email)
        .await?
        .filter(|a| a.is_active())
    else {
        return fail("no active account has that email address");
    };
    let member = accounts::memberships(conn, account.id)
        .await?
        .iter()
        .any(|m| m.organisation_id == pending.organisation_id);
    if !member {
        return Ok(Err((
            Some(account.id),
            Failure("the account does not belong to that organisation".into()),
        )));
    }
    Ok(Ok(account.id))
}

async fn record_failure(
    state: &AppState,
    address: &ClientAddress,
    user: Option<Uuid>,
    reason: &str,
) -> Result<(), AppError> {
    let entry = AuditEntry::new(AuditAction::SignInFailed, state.clock.now())
        .by_user(user)
        .because(
            format!("oidc: {reason}")
                .chars()
                .take(300)
                .collect::<String>(),
        )
        .from_address(address.text());
    audit::record(&state.store, entry).await?;
    Ok(())
}
