//! GOV.UK Notify: text messages and email through the government's
//! messaging service, over its REST API.
//!
//! Each message goes through one Notify template that only passes our text
//! on (`((body))`, and `((subject))` for email), so Convene renders every
//! message itself and Notify's templates never need changing.
//!
//! Notify does not de-duplicate by reference: posting the same reference
//! twice sends the message twice. So the outbox id goes to Notify as the
//! message's reference, and when an earlier attempt ended without a record
//! (the worker stopped between posting and writing down the answer) the
//! worker asks [`Provider::find`] before sending again; Notify lists
//! notifications by reference, so a message it already took is recorded as
//! sent rather than sent a second time.
//!
//! What Notify says about a message afterwards ([`Provider::report`]) is
//! mapped by `convene_domain::messaging::delivery::from_notify_status`, so
//! polling and Notify's callbacks agree.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use convene_domain::clock::{SharedClock, SystemClock};
use convene_domain::messaging::delivery::{Channel, DeliveryReport, from_notify_status};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use super::provider::{Accepted, NotSent, Outgoing, Pending, Provider};

/// Notify's API, where a configuration does not name another (tests do).
pub const DEFAULT_BASE_URL: &str = "https://api.notifications.service.gov.uk";

/// The most of an answer read; Notify's are a few kilobytes at most.
const MAX_ANSWER_BYTES: usize = 1024 * 1024;

/// How to reach Notify. `Debug` never shows the API key.
#[derive(Clone)]
pub struct NotifyConfig {
    /// Notify's key, `{key_name}-{service_id}-{secret}`, the last two UUIDs.
    pub api_key: String,
    /// Normally [`DEFAULT_BASE_URL`].
    pub base_url: String,
    /// A text message template whose content is `((body))`. Empty when this
    /// instance sends no text messages through Notify.
    pub sms_template_id: String,
    /// An email template with subject `((subject))` and body `((body))`.
    /// Empty when this instance sends no email through Notify.
    pub email_template_id: String,
    /// For every call to Notify: connecting and the whole exchange.
    pub timeout: Duration,
}

impl NotifyConfig {
    /// A configuration for Notify's own API, with a 10 second timeout.
    pub fn new(
        api_key: impl Into<String>,
        sms_template_id: impl Into<String>,
        email_template_id: impl Into<String>,
    ) -> Self {
        Self {
            api_key: api_key.into(),
            base_url: DEFAULT_BASE_URL.to_string(),
            sms_template_id: sms_template_id.into(),
            email_template_id: email_template_id.into(),
            timeout: Duration::from_secs(10),
        }
    }
}

impl fmt::Debug for NotifyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotifyConfig")
            .field("api_key", &"[redacted]")
            .field("base_url", &self.base_url)
            .field("sms_template_id", &self.sms_template_id)
            .field("email_template_id", &self.email_template_id)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Why a Notify configuration cannot be used. Never quotes the key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyConfigError {
    #[error(
        "the GOV.UK Notify API key is not in Notify's form (a key name, then the service id and the secret, both UUIDs, joined by hyphens)"
    )]
    MalformedKey,
    #[error("the GOV.UK Notify base URL must start with http:// or https://")]
    BadBaseUrl,
    #[error("the GOV.UK Notify {0} template id is not a UUID")]
    BadTemplateId(&'static str),
    #[error("the HTTP client for GOV.UK Notify could not be set up: {0}")]
    Client(String),
}

/// The two halves of an API key that matter: who we are and what we sign
/// with.
struct ApiKey {
    service_id: String,
    secret: String,
}

impl ApiKey {
    /// Splits a key as Notify's own clients do: the last 36 characters are
    /// the secret, the 36 before the hyphen ahead of it the service id.
    fn parse(key: &str) -> Result<Self, NotifyConfigError> {
        const UUID_LEN: usize = 36;
        let key = key.trim();
        if !key.is_ascii() || key.len() < 2 * UUID_LEN + 1 {
            return Err(NotifyConfigError::MalformedKey);
        }
        let secret = &key[key.len() - UUID_LEN..];
        let hyphen = key.len() - UUID_LEN - 1;
        let service_id = &key[hyphen - UUID_LEN..hyphen];
        let well_formed = key.as_bytes()[hyphen] == b'-'
            && Uuid::try_parse(secret).is_ok()
            && Uuid::try_parse(service_id).is_ok();
        if !well_formed {
            return Err(NotifyConfigError::MalformedKey);
        }
        Ok(Self {
            service_id: service_id.to_string(),
            secret: secret.to_string(),
        })
    }
}

/// Sends through GOV.UK Notify. One HTTP client, reused for every call.
pub struct NotifyProvider {
    base_url: String,
    key: ApiKey,
    sms_template_id: String,
    email_template_id: String,
    client: reqwest::Client,
    clock: SharedClock,
}

impl fmt::Debug for NotifyProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NotifyProvider")
            .field("base_url", &self.base_url)
            .field("service_id", &self.key.service_id)
            .field("secret", &"[redacted]")
            .field("sms_template_id", &self.sms_template_id)
            .field("email_template_id", &self.email_template_id)
            .finish_non_exhaustive()
    }
}

impl NotifyProvider {
    /// Checks the configuration and sets up the HTTP client.
    pub fn new(config: NotifyConfig) -> Result<Self, NotifyConfigError> {
        let key = ApiKey::parse(&config.api_key)?;
        let base_url = config.base_url.trim().trim_end_matches('/').to_string();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(NotifyConfigError::BadBaseUrl);
        }
        let sms_template_id = template_id(&config.sms_template_id, "text message")?;
        let email_template_id = template_id(&config.email_template_id, "email")?;
        // No redirects: the bearer token is for Notify alone.
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .user_agent("convene")
            .build()
            .map_err(|e| NotifyConfigError::Client(e.to_string()))?;
        Ok(Self {
            base_url,
            key,
            sms_template_id,
            email_template_id,
            client,
            clock: Arc::new(SystemClock),
        })
    }

    /// Signs tokens with the time from `clock` rather than the machine's:
    /// Notify refuses a token more than 30 seconds from its own time.
    #[must_use]
    pub fn with_clock(mut self, clock: SharedClock) -> Self {
        self.clock = clock;
        self
    }

    /// A fresh token for one request, as Notify asks: HS256 over the
    /// service id (`iss`) and the time it was made (`iat`).
    fn token(&self) -> Result<String, NotSent> {
        let claims = json!({
            "iss": self.key.service_id,
            "iat": self.clock.now().timestamp(),
        });
        let key = EncodingKey::from_secret(self.key.secret.as_bytes());
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &key)
            .map_err(|e| NotSent::permanent(format!("could not sign the GOV.UK Notify token: {e}")))
    }

    /// The JSON posted for `message`, or why it cannot go through Notify.
    fn notification(&self, message: &Outgoing) -> Result<(&'static str, Value), NotSent> {
        let no_template = |channel: &str| {
            NotSent::permanent(format!(
                "no GOV.UK Notify template for {channel} is set up on this instance"
            ))
        };
        let reference = message.reference.to_string();
        match message.channel {
            Channel::Sms if self.sms_template_id.is_empty() => Err(no_template("text messages")),
            Channel::Email if self.email_template_id.is_empty() => Err(no_template("email")),
            Channel::Sms => Ok((
                "sms",
                json!({
                    "phone_number": message.to,
                    "template_id": self.sms_template_id,
                    "personalisation": {"body": message.body},
                    "reference": reference,
                }),
            )),
            Channel::Email => Ok((
                "email",
                json!({
                    "email_address": message.to,
                    "template_id": self.email_template_id,
                    "personalisation": {"subject": message.subject, "body": message.body},
                    "reference": reference,
                }),
            )),
        }
    }

    /// Makes one call to Notify and reads its answer.
    async fn call(&self, request: reqwest::RequestBuilder) -> Result<Answer, NotSent> {
        let response = request
            .bearer_auth(self.token()?)
            .send()
            .await
            .map_err(|e| NotSent::temporary(unreachable(&e)))?;
        let status = response.status();
        let body = read_body(response).await;
        if status.is_success() {
            let body = body
                .and_then(|bytes| serde_json::from_slice(&bytes).ok())
                .ok_or_else(|| NotSent::temporary("GOV.UK Notify's answer could not be read"))?;
            return Ok(Answer::Success(body));
        }
        if status == StatusCode::NOT_FOUND {
            return Ok(Answer::NotFound);
        }
        let errors = body
            .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
            .map(|json| error_messages(&json))
            .unwrap_or_default();
        Err(refusal(status, &errors))
    }
}

/// A template id from the configuration: empty (that channel is not set
/// up) or a UUID.
fn template_id(id: &str, which: &'static str) -> Result<String, NotifyConfigError> {
    let id = id.trim();
    if id.is_empty() || Uuid::try_parse(id).is_ok() {
        Ok(id.to_string())
    } else {
        Err(NotifyConfigError::BadTemplateId(which))
    }
}

/// What Notify answered, short of a refusal.
enum Answer {
    Success(Value),
    NotFound,
}

impl Provider for NotifyProvider {
    /// Those with a template set up in Notify.
    fn channels(&self) -> Vec<Channel> {
        let mut channels = Vec::new();
        if !self.sms_template_id.is_empty() {
            channels.push(Channel::Sms);
        }
        if !self.email_template_id.is_empty() {
            channels.push(Channel::Email);
        }
        channels
    }

    fn send<'a>(&'a self, message: &'a Outgoing) -> Pending<'a, Accepted> {
        Box::pin(async move {
            let (kind, notification) = self.notification(message)?;
            let url = format!("{}/v2/notifications/{kind}", self.base_url);
            let answer = self
                .call(self.client.post(url).json(&notification))
                .await
                .map_err(|refused| without_recipient(refused, &message.to))?;
            let Answer::Success(body) = answer else {
                return Err(NotSent::temporary(
                    "GOV.UK Notify answered 404 Not Found: is the base URL right?",
                ));
            };
            let id = body
                .get("id")
                .and_then(Value::as_str)
                .ok_or_else(|| NotSent::temporary("GOV.UK Notify's answer had no id"))?;
            Ok(Accepted {
                provider_id: Some(id.to_string()),
            })
        })
    }

    fn find<'a>(&'a self, reference: Uuid) -> Pending<'a, Option<Accepted>> {
        Box::pin(async move {
            let url = format!("{}/v2/notifications", self.base_url);
            let reference = reference.to_string();
            let request = self.client.get(url).query(&[("reference", &reference)]);
            let Answer::Success(body) = self.call(request).await? else {
                return Ok(None);
            };
            let notifications = body
                .get("notifications")
                .and_then(Value::as_array)
                .ok_or_else(|| NotSent::temporary("GOV.UK Notify's answer could not be read"))?;
            // A notification that failed does not count: a message sent
            // again (after a technical failure, or by an administrator)
            // keeps its reference, and must not be taken for the old one.
            let failed = |n: &Value| {
                n.get("status")
                    .and_then(Value::as_str)
                    .is_some_and(|s| s.ends_with("-failure") || s.ends_with("-failed"))
            };
            let id = notifications
                .iter()
                .filter(|n| n.get("reference").and_then(Value::as_str) == Some(&reference))
                .filter(|n| !failed(n))
                .find_map(|n| n.get("id").and_then(Value::as_str));
            Ok(id.map(|id| Accepted {
                provider_id: Some(id.to_string()),
            }))
        })
    }

    fn report<'a>(&'a self, provider_id: &'a str) -> Pending<'a, Option<DeliveryReport>> {
        Box::pin(async move {
            // Notify's ids are UUIDs; anything else it never gave us, and
            // must not be pasted into a URL path.
            let Ok(id) = Uuid::try_parse(provider_id) else {
                return Ok(None);
            };
            let url = format!("{}/v2/notifications/{id}", self.base_url);
            let Answer::Success(body) = self.call(self.client.get(url)).await? else {
                return Ok(None);
            };
            Ok(body
                .get("status")
                .and_then(Value::as_str)
                .and_then(from_notify_status))
        })
    }
}

/// Reads a body up to [`MAX_ANSWER_BYTES`].
async fn read_body(mut response: reqwest::Response) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ANSWER_BYTES {
            return None;
        }
    }
    Some(body)
}

/// Notify's error messages, from `{"errors": [{"error", "message"}]}`.
fn error_messages(json: &Value) -> Vec<String> {
    json.get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| e.get("message").and_then(Value::as_str))
        .map(|m| m.chars().take(300).collect())
        .take(5)
        .collect()
}

/// What a refusal means for the message. A 400 is about this message and
/// will not change; a 403 is the key or the clock, which need a person; a
/// rate limit or Notify's own fault passes.
fn refusal(status: StatusCode, errors: &[String]) -> NotSent {
    let said = if errors.is_empty() {
        format!("answered {status}")
    } else {
        errors.join("; ")
    };
    match status.as_u16() {
        400 => NotSent::permanent(format!("GOV.UK Notify refused the message: {said}")),
        401 | 403 => NotSent::permanent(format!(
            "GOV.UK Notify refused the API key: the key is wrong or revoked, or this server's clock is more than 30 seconds out ({said})"
        )),
        429 => NotSent::temporary(format!(
            "GOV.UK Notify is limiting how fast messages are sent: {said}"
        )),
        500..=599 => NotSent::temporary(format!("GOV.UK Notify had a fault: {said}")),
        _ => NotSent::temporary(format!("GOV.UK Notify answered unexpectedly: {said}")),
    }
}

/// Notify's messages do not quote the recipient, but a reason is shown to
/// staff and kept, so make sure.
fn without_recipient(mut not_sent: NotSent, recipient: &str) -> NotSent {
    let recipient = recipient.trim();
    if !recipient.is_empty() {
        not_sent.reason = not_sent.reason.replace(recipient, "[recipient]");
    }
    not_sent
}

/// Why Notify could not be reached, without the URL (it carries the
/// reference) or the request.
fn unreachable(error: &reqwest::Error) -> String {
    let what = if error.is_timeout() {
        "did not answer in time"
    } else if error.is_connect() {
        "could not be reached"
    } else {
        "could not be reached or broke off the answer"
    };
    format!("GOV.UK Notify {what}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVICE: &str = "26785a09-ab16-4eb0-8407-a37497a57506";
    const SECRET: &str = "3d844edf-8d35-48ac-975b-e847b4f122b0";

    #[test]
    fn keys_split_like_notify_clients_split_them() {
        let key = ApiKey::parse(&format!("convene_live-{SERVICE}-{SECRET}\n")).unwrap();
        assert_eq!(key.service_id, SERVICE);
        assert_eq!(key.secret, SECRET);
        // A key name with hyphens of its own.
        let key = ApiKey::parse(&format!("my-key-name-{SERVICE}-{SECRET}")).unwrap();
        assert_eq!(key.service_id, SERVICE);
    }

    #[test]
    fn malformed_keys_are_refused() {
        for key in [
            String::new(),
            SECRET.to_string(),
            format!("name-{SERVICE}{SECRET}"),
            format!("name-{SERVICE}_{SECRET}"),
            format!("name-{SERVICE}-{}", &SECRET[..35]),
            format!("name-{SERVICE}-{}é", &SECRET[..35]),
            format!("name-{}-{SECRET}", SERVICE.replace('a', "z")),
        ] {
            assert!(ApiKey::parse(&key).is_err(), "{key}");
        }
    }

    #[test]
    fn refusals_are_permanent_only_when_retrying_cannot_help() {
        let said = vec!["Rate limit exceeded".to_string()];
        let cases = [
            (400, true),
            (403, true),
            (429, false),
            (500, false),
            (503, false),
        ];
        for (status, permanent) in cases {
            let status = StatusCode::from_u16(status).unwrap();
            assert_eq!(refusal(status, &said).permanent, permanent, "{status}");
        }
    }
}
