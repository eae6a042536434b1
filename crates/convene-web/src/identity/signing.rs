//! Starting and ending sessions.

use axum::http::{HeaderMap, HeaderValue, header};
use convene_domain::identity::tokens::{hash_secret, random_secret};
use convene_domain::identity::{Account, SessionStage};
use convene_domain::ids::new_id;
use convene_store::identity::accounts;
use convene_store::identity::sessions::{self, NewSession};

use super::cookies;
use crate::client::ClientAddress;
use crate::error::AppError;
use crate::state::AppState;

/// Where a person stands after proving their password: straight in, or on
/// to their second factor (or to setting one up, if their roles need it).
pub async fn stage_after_password(
    state: &AppState,
    account: &Account,
) -> Result<SessionStage, AppError> {
    if account.has_second_factor() {
        return Ok(SessionStage::AwaitingSecondFactor);
    }
    let memberships = accounts::memberships(state.store.conn(), account.id).await?;
    let needs = memberships.iter().any(|m| m.role.needs_second_factor());
    Ok(if needs {
        SessionStage::MustEnrolSecondFactor
    } else {
        SessionStage::Complete
    })
}

/// Starts a new session (a new random id every time: sessions rotate at each
/// step of signing in) and returns the cookie that carries it. Any session
/// the browser held before is ended.
pub async fn start_session(
    state: &AppState,
    account: &Account,
    stage: SessionStage,
    previous: Option<uuid::Uuid>,
    address: &ClientAddress,
    request_headers: &HeaderMap,
) -> Result<HeaderValue, AppError> {
    let token = random_secret(32).map_err(|e| AppError::Internal(e.to_string()))?;
    let csrf = random_secret(32).map_err(|e| AppError::Internal(e.to_string()))?;
    let token_hash = hash_secret(&token);
    let address_text = address.text();
    let user_agent = request_headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (user_id, now) = (account.id, state.clock.now());
    // The old session ends as the new one starts, in one transaction, in
    // the queue of writers (see `Store::transaction`).
    state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                if let Some(previous) = previous {
                    sessions::delete(txn, previous).await?;
                }
                let new = NewSession {
                    token_hash: &token_hash,
                    user_id,
                    stage,
                    csrf_token: &csrf,
                    client_address: address_text.as_deref(),
                    user_agent: user_agent.as_deref(),
                };
                sessions::create(txn, new_id(), new, now).await?;
                Ok(())
            })
        })
        .await?;
    Ok(cookies::set(
        &state.settings,
        cookies::SESSION,
        Some(&token),
    ))
}

/// A `Set-Cookie` header that removes the session cookie.
pub fn clear_session_cookie(state: &AppState) -> HeaderValue {
    cookies::set(&state.settings, cookies::SESSION, None)
}

/// Checks a password off the async threads (argon2id is deliberately slow;
/// a burst of sign-ins must not stall every other request).
pub async fn verify_password_blocking(
    password: &str,
    stored: Option<&str>,
) -> Result<bool, AppError> {
    let password = password.to_string();
    let stored = stored
        .unwrap_or(convene_domain::identity::passwords::dummy_hash())
        .to_string();
    password_work(move || convene_domain::identity::passwords::verify_password(&password, &stored))
        .await
}

/// Hashes a new password off the async threads.
pub async fn hash_password_blocking(password: &str) -> Result<String, AppError> {
    let password = password.to_string();
    password_work(move || convene_domain::identity::passwords::hash_password(&password))
        .await?
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Password hashing may use half the cores (at least one), however many
/// people sign in at once. At 500 visitors, 150 practitioners signing in
/// within seconds ran 36 ms argon2id checks on every core, and every other
/// request queued behind them; now sign-ins queue for each other instead.
fn password_permits() -> &'static tokio::sync::Semaphore {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    PERMITS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        tokio::sync::Semaphore::new((cores / 2).max(1))
    })
}

/// Runs `work` on the blocking threads once a password permit is free; the
/// permit is held until `work` ends, even if the request is dropped.
async fn password_work<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let permit = password_permits()
        .acquire()
        .await
        .map_err(|e| AppError::Internal(format!("password work: {e}")))?;
    tokio::task::spawn_blocking(move || {
        let _held = permit;
        work()
    })
    .await
    .map_err(|e| AppError::Internal(format!("password work: {e}")))
}

/// The failure counter of one sign-in name. Keyed by the email typed, so
/// names with and without an account lock alike (no enumeration).
pub fn account_key(email: &str) -> String {
    format!(
        "email:{}",
        convene_domain::identity::accounts::normalise_email(email)
    )
}

/// Counts an attempt against `key` before it is checked, so parallel
/// guesses are all counted. Refuses (429) when the key is locked, or when
/// this attempt is beyond the limit.
pub async fn reserve_attempt(state: &AppState, key: &str) -> Result<(), AppError> {
    use convene_domain::identity::throttle::ThrottleRule;
    use convene_store::identity::throttles;
    let now = state.clock.now();
    let rule = ThrottleRule::per_account();
    if let Some(wait) = throttles::get(state.store.conn(), key, now)
        .await?
        .locked_for(now)
    {
        return Err(AppError::TooManyAttempts {
            retry_after_seconds: wait.num_seconds(),
        });
    }
    let after = throttles::record_failure(&state.store, key, rule, now).await?;
    if after.failures > rule.limit {
        let wait = after
            .locked_for(now)
            .map_or(rule.lock_for.num_seconds(), |w| w.num_seconds());
        return Err(AppError::TooManyAttempts {
            retry_after_seconds: wait,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn password_work_runs_no_more_at_once_than_its_permits() {
        let permits = password_permits().available_permits();
        assert!(permits >= 1);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let jobs = (0..permits * 4 + 4).map(|_| {
            let (running, most) = (running.clone(), most.clone());
            tokio::spawn(password_work(move || {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                std::thread::sleep(std::time::Duration::from_millis(20));
                running.fetch_sub(1, Ordering::SeqCst);
            }))
        });
        for job in jobs.collect::<Vec<_>>() {
            job.await.unwrap().unwrap();
        }
        // Enough jobs for every permit to be used, never more at once.
        assert_eq!(most.load(Ordering::SeqCst), permits);
    }
}
