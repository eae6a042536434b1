//! A stand-in for GOV.UK Notify's API on 127.0.0.1, for the Notify
//! provider's tests and the worker's crash tests: it checks tokens as
//! Notify does, records every request, keeps the notifications it accepts
//! (so `find` and `report` have something to find) and answers with
//! Notify's errors when told to. It can also take a notification and then
//! never answer (the worker dies waiting), and fail every lookup by
//! reference (Notify down when the restarted worker asks).

#![allow(dead_code)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use convene_domain::clock::{Clock, SystemClock};
use convene_jobs::messaging::notify::{NotifyConfig, NotifyProvider};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};
use uuid::Uuid;

pub const SERVICE_ID: &str = "26785a09-ab16-4eb0-8407-a37497a57506";
pub const SECRET: &str = "3d844edf-8d35-48ac-975b-e847b4f122b0";
pub const SMS_TEMPLATE: &str = "f33517ff-2a88-4f6e-b855-c550268ce08a";
pub const EMAIL_TEMPLATE: &str = "a9f0c2de-1f3b-4b5c-9d8e-7f6a5b4c3d2e";

/// One request as the stand-in saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: Value,
}

#[derive(Debug, Clone)]
pub struct Stored {
    pub id: Uuid,
    pub reference: String,
    pub status: String,
}

#[derive(Debug, Default)]
pub struct Notify {
    requests: Vec<Recorded>,
    /// Answers for the next requests, before any routing: status and body.
    scripted: VecDeque<(StatusCode, String)>,
    notifications: Vec<Stored>,
    /// The next notification accepted is kept, and then never answered.
    hold_next_send: bool,
    /// Told when a held notification has been kept.
    taken: Arc<tokio::sync::Notify>,
    /// Every lookup by reference is answered with a 500.
    fail_lookups: bool,
}

type Shared = Arc<Mutex<Notify>>;

/// GOV.UK Notify's API, as much as the provider uses.
#[derive(Debug, Clone)]
pub struct FakeNotify {
    state: Shared,
    pub addr: SocketAddr,
}

impl FakeNotify {
    pub async fn start() -> Self {
        let state = Shared::default();
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { state, addr }
    }

    fn lock(&self) -> MutexGuard<'_, Notify> {
        self.state.lock().unwrap()
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn provider(&self) -> NotifyProvider {
        NotifyProvider::new(config(&self.url(), SECRET)).unwrap()
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.lock().requests.clone()
    }

    pub fn last_request(&self) -> Recorded {
        self.requests().pop().expect("a request")
    }

    /// The next request is answered with Notify's error shape.
    pub fn fail_next(&self, status: u16, error: &str, message: &str) {
        let body = json!({
            "status_code": status,
            "errors": [{"error": error, "message": message}],
        });
        self.answer_next(status, &body.to_string());
    }

    pub fn answer_next(&self, status: u16, body: &str) {
        let status = StatusCode::from_u16(status).unwrap();
        self.lock().scripted.push_back((status, body.to_string()));
    }

    pub fn set_status(&self, id: &str, status: &str) {
        let mut notify = self.lock();
        let stored = notify
            .notifications
            .iter_mut()
            .find(|n| n.id.to_string() == id)
            .expect("a stored notification");
        stored.status = status.to_string();
    }

    pub fn stored(&self) -> Vec<Stored> {
        self.lock().notifications.clone()
    }

    /// The next notification posted is kept (a lookup by its reference
    /// finds it) and then never answered; [`FakeNotify::taken`] returns
    /// once it is kept.
    pub fn hold_next_send(&self) {
        self.lock().hold_next_send = true;
    }

    /// Waits until a held notification has been kept.
    pub async fn taken(&self) {
        let taken = self.lock().taken.clone();
        taken.notified().await;
    }

    /// Lookups by reference fail with Notify's 500 while `fail` holds.
    pub fn fail_lookups(&self, fail: bool) {
        self.lock().fail_lookups = fail;
    }
}

async fn handle(
    State(state): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let request = Recorded {
        method,
        path: uri.path().to_string(),
        query: uri.query().map(str::to_string),
        headers,
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
    };
    let (response, held) = {
        let mut notify = state.lock().unwrap();
        notify.requests.push(request.clone());
        let response = answer(&mut notify, &request);
        let hold = notify.hold_next_send
            && request.method == Method::POST
            && response.status() == StatusCode::CREATED;
        if hold {
            notify.hold_next_send = false;
        }
        (response, hold.then(|| notify.taken.clone()))
    };
    if let Some(taken) = held {
        // Notify has the message; the caller never hears so.
        taken.notify_one();
        std::future::pending::<()>().await;
    }
    response
}

fn answer(notify: &mut Notify, request: &Recorded) -> Response {
    if let Err(message) = verify(&request.headers) {
        return error(StatusCode::FORBIDDEN, "AuthError", message);
    }
    if let Some((status, body)) = notify.scripted.pop_front() {
        return (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    }
    route(notify, request)
}

fn route(notify: &mut Notify, request: &Recorded) -> Response {
    let path = request.path.as_str();
    match (&request.method, path.strip_prefix("/v2/notifications")) {
        (&Method::POST, Some("/sms" | "/email")) => accept(notify, &request.body),
        (&Method::GET, Some("")) if notify.fail_lookups => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Exception",
            "Internal server error",
        ),
        (&Method::GET, Some("")) => {
            let reference = request
                .query
                .as_deref()
                .unwrap_or_default()
                .split('&')
                .find_map(|pair| pair.strip_prefix("reference="));
            let found: Vec<Value> = notify
                .notifications
                .iter()
                .filter(|n| Some(n.reference.as_str()) == reference)
                .map(describe)
                .collect();
            let links = json!({"current": "/v2/notifications"});
            json_answer(
                StatusCode::OK,
                json!({"notifications": found, "links": links}),
            )
        }
        (&Method::GET, Some(id)) => {
            let id = id.trim_start_matches('/');
            match notify.notifications.iter().find(|n| n.id.to_string() == id) {
                Some(found) => json_answer(StatusCode::OK, describe(found)),
                None => error(StatusCode::NOT_FOUND, "NoResultFound", "No result found"),
            }
        }
        _ => error(StatusCode::NOT_FOUND, "NotFound", "Not found"),
    }
}

fn accept(notify: &mut Notify, body: &Value) -> Response {
    let (Some(reference), Some(template)) =
        (body["reference"].as_str(), body["template_id"].as_str())
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "ValidationError",
            "reference and template_id are required",
        );
    };
    let stored = Stored {
        id: Uuid::new_v4(),
        reference: reference.to_string(),
        status: "created".to_string(),
    };
    let answer = json!({
        "id": stored.id,
        "reference": reference,
        "content": {"body": body["personalisation"]["body"]},
        "template": {"id": template, "version": 1},
    });
    notify.notifications.push(stored);
    json_answer(StatusCode::CREATED, answer)
}

fn describe(stored: &Stored) -> Value {
    json!({"id": stored.id, "reference": stored.reference, "status": stored.status})
}

fn json_answer(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

fn error(status: StatusCode, kind: &str, message: &str) -> Response {
    let body = json!({
        "status_code": status.as_u16(),
        "errors": [{"error": kind, "message": message}],
    });
    json_answer(status, body)
}

/// Notify's checks: a bearer token signed with the service's secret, from
/// the service, made within 30 seconds of now.
fn verify(headers: &HeaderMap) -> Result<(), &'static str> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .ok_or("Unauthorized: authentication token must be provided")?;
    let claims = decode_claims(token, SECRET)
        .map_err(|_| "Invalid token: signature, api token not found")?;
    if claims["iss"] != SERVICE_ID {
        return Err("Invalid token: service not found");
    }
    let iat = claims["iat"]
        .as_i64()
        .ok_or("Invalid token: iat field not provided")?;
    if (SystemClock.now().timestamp() - iat).abs() > 30 {
        return Err("Error: Your system clock must be accurate to within 30 seconds");
    }
    Ok(())
}

/// A token's claims, if it is HS256 and signed with `secret`.
pub fn decode_claims(token: &str, secret: &str) -> Result<Value, jsonwebtoken::errors::Error> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let key = DecodingKey::from_secret(secret.as_bytes());
    jsonwebtoken::decode::<Value>(token, &key, &validation).map(|data| data.claims)
}

/// The bearer token a request carried.
pub fn bearer(request: &Recorded) -> String {
    let value = request.headers[header::AUTHORIZATION].to_str().unwrap();
    value
        .strip_prefix("Bearer ")
        .expect("a bearer token")
        .to_string()
}

/// A configuration for the stand-in at `base_url`, with a key whose
/// secret is `secret` and a 5 second timeout.
pub fn config(base_url: &str, secret: &str) -> NotifyConfig {
    NotifyConfig {
        api_key: format!("convene_test-{SERVICE_ID}-{secret}"),
        base_url: base_url.to_string(),
        sms_template_id: SMS_TEMPLATE.to_string(),
        email_template_id: EMAIL_TEMPLATE.to_string(),
        timeout: Duration::from_secs(5),
    }
}
