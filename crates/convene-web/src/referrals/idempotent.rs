//! Idempotency for the JSON API: a keyed `POST` runs once, in one
//! transaction with its key, and the same request with the same key gets
//! the first answer again.

use axum::Json;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use convene_domain::text::{FieldError, ValidationErrors};
use convene_store::idempotency::{self, Remembered};
use convene_store::{DatabaseTransaction, StoreError, TransactionBody};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::AppError;
use crate::state::AppState;

const KEY_HEADER: &str = "idempotency-key";

/// Runs `work` once per idempotency key: in one transaction with the key,
/// so a replay is exactly the first answer.
pub async fn keyed<F>(
    state: &AppState,
    user: Uuid,
    headers: &HeaderMap,
    scope: String,
    body: &Bytes,
    work: F,
) -> Result<Response, AppError>
where
    F: for<'c> FnOnce(&'c DatabaseTransaction) -> TransactionBody<'c, (u16, Value)>
        + Send
        + 'static,
{
    let key = match headers.get(KEY_HEADER) {
        None => None,
        Some(value) => {
            let key = value
                .to_str()
                .ok()
                .map(str::trim)
                .filter(|k| (1..=200).contains(&k.len()))
                .ok_or_else(|| {
                    AppError::BadRequest("Idempotency-Key must be 1 to 200 characters".into())
                })?;
            Some(key.to_string())
        }
    };
    let hash = hex::encode(Sha256::digest([scope.as_bytes(), b"\n", body].concat()));
    if let Some(key) = &key
        && let Some(first) = idempotency::find(state.store.conn(), user, key).await?
    {
        return replay(first, &scope, &hash);
    }
    let now = state.clock.now();
    let (saved_key, saved_scope, saved_hash) = (key.clone(), scope.clone(), hash.clone());
    let done = state
        .store
        .transaction(move |txn| {
            Box::pin(async move {
                let (status, body) = work(txn).await?;
                if let Some(key) = saved_key {
                    let answer = Remembered {
                        scope: saved_scope,
                        request_hash: saved_hash,
                        status,
                        body: body.to_string(),
                    };
                    idempotency::remember(txn, user, &key, &answer, now).await?;
                }
                Ok((status, body))
            })
        })
        .await;
    match done {
        Ok((status, body)) => Ok(answer(status, body)),
        // Another request with the same key finished first: replay it.
        // Another request with the same key got there first (PostgreSQL: its
        // key row; SQLite: the database was busy with it): replay its answer
        // once it has one.
        Err(StoreError::Database(error)) => match &key {
            Some(key) => {
                for _ in 0..50 {
                    if let Some(first) = idempotency::find(state.store.conn(), user, key).await? {
                        return replay(first, &scope, &hash);
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(StoreError::Database(error).into())
            }
            None => Err(StoreError::Database(error).into()),
        },
        Err(StoreError::Refused(reason)) => {
            Err(AppError::Invalid(ValidationErrors(vec![FieldError {
                field: "request",
                message: reason,
            }])))
        }
        Err(other) => Err(other.into()),
    }
}

fn answer(status: u16, body: Value) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    (status, Json(body)).into_response()
}

fn replay(first: Remembered, scope: &str, hash: &str) -> Result<Response, AppError> {
    if first.scope != scope || first.request_hash != hash {
        return Err(AppError::Invalid(ValidationErrors(vec![FieldError {
            field: "idempotency_key",
            message: "this Idempotency-Key was used for a different request".into(),
        }])));
    }
    let body: Value = serde_json::from_str(&first.body).unwrap_or(Value::Null);
    let mut response = answer(first.status, body);
    response.headers_mut().insert(
        "idempotent-replayed",
        axum::http::HeaderValue::from_static("true"),
    );
    Ok(response)
}
