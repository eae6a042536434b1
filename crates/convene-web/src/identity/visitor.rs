//! Who is making this request: resolved once per request from the session
//! cookie (pages) or a bearer token (`/api`), then read by the extractors.

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use convene_domain::audit::{AuditAction, AuditEntry};
use convene_domain::identity::tokens::hash_secret;
use convene_domain::identity::{Account, Principal, SessionStage};
use convene_store::audit;
use convene_store::identity::sessions::SessionRecord;
use convene_store::identity::{accounts, credentials, sessions};
use uuid::Uuid;

use super::cookies;
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::state::AppState;

/// How the visitor proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    Session(SessionRecord),
    Token { token_id: Uuid },
}

/// A known visitor: their account, roles and how they signed in.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub account: Account,
    pub principal: Principal,
    pub credential: Credential,
}

impl Visitor {
    pub fn stage(&self) -> SessionStage {
        match &self.credential {
            Credential::Session(session) => session.stage,
            Credential::Token { .. } => SessionStage::Complete,
        }
    }

    pub fn session(&self) -> Option<&SessionRecord> {
        match &self.credential {
            Credential::Session(session) => Some(session),
            Credential::Token { .. } => None,
        }
    }

    pub fn token_id(&self) -> Option<Uuid> {
        match &self.credential {
            Credential::Token { token_id } => Some(*token_id),
            Credential::Session(_) => None,
        }
    }

    /// The organisation the visitor acts for in the audit trail, when it is
    /// unambiguous (they belong to one). Actions about one organisation
    /// record that organisation instead (see `Authorised::audit`).
    pub fn organisation_id(&self) -> Option<Uuid> {
        match self.principal.memberships.as_slice() {
            [only] => Some(only.organisation_id),
            _ => None,
        }
    }

    /// An audit entry with the visitor as the actor.
    pub fn audit(
        &self,
        action: AuditAction,
        state: &AppState,
        address: &ClientAddress,
    ) -> AuditEntry {
        AuditEntry::new(action, state.clock.now())
            .by_user(Some(self.account.id))
            .by_organisation(self.organisation_id())
            .by_token(self.token_id())
            .from_address(address.text())
    }
}

pub fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Resolves the visitor. Pages use only the session cookie and `/api` only
/// bearer tokens, so a browser's cookie can never drive the API (no CSRF
/// there) and a token can never drive a page.
pub async fn resolve_visitor(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let address = request
        .extensions()
        .get::<ClientAddress>()
        .cloned()
        .unwrap_or(ClientAddress(None));
    let visitor = if is_api(request.uri().path()) {
        match bearer(&request) {
            None => None,
            Some(token) => match from_token(&state, &token).await {
                Ok(Some(visitor)) => Some(visitor),
                Ok(None) => {
                    let entry = AuditEntry::new(AuditAction::TokenRefused, state.clock.now())
                        .from_address(address.text());
                    if let Err(error) = audit::record(&state.store, entry).await {
                        return AppError::from(error).into_response();
                    }
                    return AppError::Unauthorised.into_response();
                }
                Err(error) => return error.into_response(),
            },
        }
    } else {
        match cookies::read(request.headers(), &state.settings, cookies::SESSION) {
            None => None,
            Some(token) => match from_session(&state, &token).await {
                Ok(visitor) => visitor,
                Err(error) => return error.into_response(),
            },
        }
    };
    if let Some(visitor) = visitor {
        request.extensions_mut().insert(visitor);
    }
    next.run(request).await
}

fn bearer(request: &Request) -> Option<String> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// Ends a session that may no longer be used. Requests write only in
/// transactions, which queue for SQLite's one writer in this process
/// (`Store::transaction`); a write outside one would wait in SQLite's busy
/// handler instead, sleeping in growing steps and holding a pooled
/// connection.
async fn end_session(state: &AppState, id: uuid::Uuid) -> Result<(), AppError> {
    state
        .store
        .transaction(move |txn| Box::pin(async move { sessions::delete(txn, id).await }))
        .await?;
    Ok(())
}

async fn from_session(state: &AppState, token: &str) -> Result<Option<Visitor>, AppError> {
    let conn = state.store.conn();
    let Some(session) = sessions::find_by_token_hash(conn, &hash_secret(token)).await? else {
        return Ok(None);
    };
    let now = state.clock.now();
    if !state
        .settings
        .session_policy
        .is_live(session.created_at, session.last_seen_at, now)
    {
        end_session(state, session.id).await?;
        return Ok(None);
    }
    let Some(account) = accounts::get(conn, session.user_id)
        .await?
        .filter(Account::is_active)
    else {
        end_session(state, session.id).await?;
        return Ok(None);
    };
    // Every request counts as activity, written down once a minute (see
    // `needs_touch`): the idle limit stays honest without a write per page.
    if state
        .settings
        .session_policy
        .needs_touch(session.last_seen_at, now)
    {
        let id = session.id;
        state
            .store
            .transaction(move |txn| Box::pin(async move { sessions::touch(txn, id, now).await }))
            .await?;
    }
    let memberships = accounts::memberships(conn, account.id).await?;
    let mut session = session;
    // A role that needs a second factor may have been given after this
    // session began: then nothing else until one is set up.
    if session.stage == SessionStage::Complete
        && !account.has_second_factor()
        && memberships.iter().any(|m| m.role.needs_second_factor())
    {
        session.stage = SessionStage::MustEnrolSecondFactor;
    }
    Ok(Some(Visitor {
        principal: Principal {
            user_id: account.id,
            memberships,
            token_scopes: None,
        },
        account,
        credential: Credential::Session(session),
    }))
}

async fn from_token(state: &AppState, token: &str) -> Result<Option<Visitor>, AppError> {
    let conn = state.store.conn();
    let now = state.clock.now();
    let Some(stored) = credentials::find_token(conn, &hash_secret(token))
        .await?
        .filter(|t| t.is_usable(now))
    else {
        return Ok(None);
    };
    let Some(account) = accounts::get(conn, stored.user_id)
        .await?
        .filter(Account::is_active)
    else {
        return Ok(None);
    };
    // Its last use, shown to its owner, to the minute: not a write per call.
    let policy = state.settings.session_policy;
    if stored
        .last_used_at
        .is_none_or(|used| policy.needs_touch(used, now))
    {
        let id = stored.id;
        state
            .store
            .transaction(move |txn| {
                Box::pin(async move { credentials::touch_token(txn, id, now).await })
            })
            .await?;
    }
    let memberships = accounts::memberships(conn, account.id).await?;
    Ok(Some(Visitor {
        principal: Principal {
            user_id: account.id,
            memberships,
            token_scopes: Some(stored.scopes),
        },
        account,
        credential: Credential::Token {
            token_id: stored.id,
        },
    }))
}
