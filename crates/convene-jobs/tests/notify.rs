//! The GOV.UK Notify provider against a stand-in for Notify's API on
//! 127.0.0.1 (`support/fake_notify.rs`): it checks tokens as Notify does,
//! records every request, keeps the notifications it accepts (so `find`
//! and `report` have something to find) and answers with Notify's errors
//! when told to.

#[path = "support/fake_notify.rs"]
mod fake_notify;

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{Method, header};
use chrono::TimeDelta;
use convene_domain::clock::{Clock, ManualClock, SystemClock};
use convene_domain::messaging::delivery::{Channel, DeliveryReport};
use convene_jobs::messaging::notify::{NotifyConfig, NotifyConfigError, NotifyProvider};
use convene_jobs::messaging::{Accepted, NotSent, Outgoing, Provider};
use fake_notify::{
    EMAIL_TEMPLATE, FakeNotify, SECRET, SERVICE_ID, SMS_TEMPLATE, bearer, config, decode_claims,
};
use jsonwebtoken::Algorithm;
use serde_json::json;
use uuid::Uuid;

const OTHER_SECRET: &str = "9e1c0b5a-52f4-4c1e-8f77-0d6a2b3c4d5e";
const PHONE: &str = "07700900123";
const EMAIL: &str = "parent@example.org";
const BODY: &str = "Your appointment at Riverside Family Hub is at 10:00 on Tuesday.";

fn sms() -> Outgoing {
    Outgoing {
        reference: Uuid::new_v4(),
        channel: Channel::Sms,
        to: PHONE.to_string(),
        subject: String::new(),
        body: BODY.to_string(),
        family: true,
    }
}

fn email() -> Outgoing {
    Outgoing {
        reference: Uuid::new_v4(),
        channel: Channel::Email,
        to: EMAIL.to_string(),
        subject: "Your appointment on Tuesday".to_string(),
        body: BODY.to_string(),
        family: false,
    }
}

/// A refusal that says nothing about who the message was for or what it
/// said.
fn assert_discreet(not_sent: &NotSent) {
    for private in [PHONE, EMAIL, BODY] {
        assert!(!not_sent.reason.contains(private), "{}", not_sent.reason);
    }
}

#[tokio::test]
async fn tokens_are_signed_as_notify_expects() {
    let notify = FakeNotify::start().await;
    notify.provider().send(&sms()).await.unwrap();

    let request = notify.last_request();
    assert_eq!(request.headers[header::USER_AGENT], "convene");
    let token = bearer(&request);
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::HS256);
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let claims = decode_claims(&token, SECRET).unwrap();
    assert_eq!(claims["iss"], SERVICE_ID);
    let iat = claims["iat"].as_i64().unwrap();
    assert!(
        (SystemClock.now().timestamp() - iat).abs() <= 5,
        "iat {iat}"
    );
    assert!(
        decode_claims(&token, OTHER_SECRET).is_err(),
        "another secret verifies it"
    );
}

#[tokio::test]
async fn a_key_with_the_wrong_secret_is_refused_for_good() {
    let notify = FakeNotify::start().await;
    let provider =
        NotifyProvider::new(config(&format!("http://{}", notify.addr), OTHER_SECRET)).unwrap();

    let refused = provider.send(&sms()).await.unwrap_err();
    assert!(refused.permanent, "{refused:?}");
    assert!(refused.reason.contains("API key"), "{}", refused.reason);
    assert!(!refused.reason.contains(OTHER_SECRET));
    assert!(notify.stored().is_empty());
}

#[tokio::test]
async fn a_clock_far_out_is_refused_for_good() {
    let notify = FakeNotify::start().await;
    let slow = ManualClock::new(SystemClock.now() - TimeDelta::minutes(5));
    let provider = notify.provider().with_clock(Arc::new(slow));

    let refused = provider.send(&sms()).await.unwrap_err();
    assert!(refused.permanent, "{refused:?}");
    assert!(refused.reason.contains("clock"), "{}", refused.reason);
}

#[tokio::test]
async fn text_messages_are_posted_as_notify_expects() {
    let notify = FakeNotify::start().await;
    let message = sms();
    let accepted = notify.provider().send(&message).await.unwrap();

    let request = notify.last_request();
    assert_eq!(request.method, Method::POST);
    assert_eq!(request.path, "/v2/notifications/sms");
    assert_eq!(
        request.body,
        json!({
            "phone_number": PHONE,
            "template_id": SMS_TEMPLATE,
            "personalisation": {"body": BODY},
            "reference": message.reference.to_string(),
        })
    );
    let stored = notify.stored();
    assert_eq!(stored.len(), 1);
    assert_eq!(accepted.provider_id, Some(stored[0].id.to_string()));
}

#[tokio::test]
async fn emails_are_posted_as_notify_expects() {
    let notify = FakeNotify::start().await;
    let message = email();
    let accepted = notify.provider().send(&message).await.unwrap();

    let request = notify.last_request();
    assert_eq!(request.method, Method::POST);
    assert_eq!(request.path, "/v2/notifications/email");
    assert_eq!(
        request.body,
        json!({
            "email_address": EMAIL,
            "template_id": EMAIL_TEMPLATE,
            "personalisation": {"subject": "Your appointment on Tuesday", "body": BODY},
            "reference": message.reference.to_string(),
        })
    );
    assert_eq!(
        accepted.provider_id,
        Some(notify.stored()[0].id.to_string())
    );
}

#[tokio::test]
async fn refusals_are_final_only_when_trying_again_cannot_help() {
    let notify = FakeNotify::start().await;
    let provider = notify.provider();
    let team_only = "Can't send to this recipient using a team-only API key";
    let cases = [
        (400, "BadRequestError", team_only, true),
        (403, "AuthError", "Invalid token: API key revoked", true),
        (
            429,
            "RateLimitError",
            "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
            false,
        ),
        (
            429,
            "TooManyRequestsError",
            "Exceeded send limits (250000) for today",
            false,
        ),
        (500, "Exception", "Internal server error", false),
        (503, "Exception", "Service unavailable", false),
    ];
    for (status, kind, said, permanent) in cases {
        for message in [sms(), email()] {
            notify.fail_next(status, kind, said);
            let refused = provider.send(&message).await.unwrap_err();
            assert_eq!(refused.permanent, permanent, "{status}: {refused:?}");
            assert!(
                refused.reason.contains("GOV.UK Notify"),
                "{}",
                refused.reason
            );
            assert_discreet(&refused);
        }
    }

    notify.fail_next(400, "BadRequestError", team_only);
    let refused = provider.send(&sms()).await.unwrap_err();
    assert_eq!(
        refused.reason,
        format!("GOV.UK Notify refused the message: {team_only}")
    );
    notify.fail_next(403, "AuthError", "Invalid token: API key revoked");
    let refused = provider.send(&sms()).await.unwrap_err();
    assert!(refused.reason.contains("API key"), "{}", refused.reason);
    assert!(notify.stored().is_empty());
}

#[tokio::test]
async fn a_success_that_cannot_be_read_is_temporary() {
    let notify = FakeNotify::start().await;
    let provider = notify.provider();
    for body in ["<html>Created</html>", "{\"reference\": \"x\"}", ""] {
        notify.answer_next(201, body);
        let refused = provider.send(&sms()).await.unwrap_err();
        assert!(!refused.permanent, "{body}: {refused:?}");
    }
}

#[tokio::test]
async fn nothing_listening_is_temporary() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let provider = NotifyProvider::new(config(&format!("http://{addr}"), SECRET)).unwrap();

    let refused = provider.send(&sms()).await.unwrap_err();
    assert!(!refused.permanent, "{refused:?}");
    assert_discreet(&refused);
    assert!(!provider.find(Uuid::new_v4()).await.unwrap_err().permanent);
    let id = Uuid::new_v4().to_string();
    assert!(!provider.report(&id).await.unwrap_err().permanent);
}

#[tokio::test]
async fn a_server_that_never_answers_is_temporary_after_the_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let mut config = config(&format!("http://{addr}"), SECRET);
    config.timeout = Duration::from_millis(300);
    let provider = NotifyProvider::new(config).unwrap();

    let started = Instant::now();
    let refused = provider.send(&sms()).await.unwrap_err();
    assert!(!refused.permanent, "{refused:?}");
    assert!(refused.reason.contains("in time"), "{}", refused.reason);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn find_knows_only_what_notify_took() {
    let notify = FakeNotify::start().await;
    let provider = notify.provider();
    let message = sms();
    assert_eq!(provider.find(message.reference).await.unwrap(), None);

    let accepted = provider.send(&message).await.unwrap();
    provider.send(&email()).await.unwrap();
    assert_eq!(
        provider.find(message.reference).await.unwrap(),
        Some(accepted)
    );
    let request = notify.last_request();
    assert_eq!(request.method, Method::GET);
    assert_eq!(request.path, "/v2/notifications");
    assert_eq!(
        request.query,
        Some(format!("reference={}", message.reference))
    );
    assert_eq!(provider.find(Uuid::new_v4()).await.unwrap(), None);

    notify.fail_next(500, "Exception", "Internal server error");
    assert!(
        !provider
            .find(message.reference)
            .await
            .unwrap_err()
            .permanent
    );
    notify.fail_next(403, "AuthError", "Invalid token: API key revoked");
    assert!(
        provider
            .find(message.reference)
            .await
            .unwrap_err()
            .permanent
    );
}

#[tokio::test]
async fn reports_follow_notify_statuses() {
    let notify = FakeNotify::start().await;
    let provider = notify.provider();
    let Accepted {
        provider_id: Some(id),
    } = provider.send(&sms()).await.unwrap()
    else {
        panic!("Notify gives an id");
    };

    assert_eq!(
        provider.report(&id).await.unwrap(),
        Some(DeliveryReport::Pending)
    );
    assert_eq!(
        notify.last_request().path,
        format!("/v2/notifications/{id}")
    );
    notify.set_status(&id, "delivered");
    assert_eq!(
        provider.report(&id).await.unwrap(),
        Some(DeliveryReport::Delivered)
    );
    notify.set_status(&id, "permanent-failure");
    let report = provider.report(&id).await.unwrap();
    assert!(
        matches!(report, Some(DeliveryReport::Undelivered { .. })),
        "{report:?}"
    );
    notify.set_status(&id, "technical-failure");
    let report = provider.report(&id).await.unwrap();
    assert!(
        matches!(report, Some(DeliveryReport::SendAgain { .. })),
        "{report:?}"
    );
    notify.set_status(&id, "exploded");
    assert_eq!(provider.report(&id).await.unwrap(), None);

    let unknown = Uuid::new_v4().to_string();
    assert_eq!(provider.report(&unknown).await.unwrap(), None);
    let requests = notify.requests().len();
    assert_eq!(
        provider.report("../../v2/notifications").await.unwrap(),
        None
    );
    assert_eq!(
        notify.requests().len(),
        requests,
        "not a Notify id: not asked"
    );

    notify.fail_next(429, "RateLimitError", "Exceeded rate limit");
    assert!(!provider.report(&id).await.unwrap_err().permanent);
}

#[test]
fn malformed_keys_are_refused() {
    for key in [
        String::new(),
        "not a key".to_string(),
        format!("convene_test-{SERVICE_ID}"),
        format!("convene_test-{SERVICE_ID}{SECRET}"),
        format!("convene_test-{SECRET}-not-a-service-id-at-all-at-all-oops"),
    ] {
        let mut config = config("http://127.0.0.1:1", SECRET);
        config.api_key = key.clone();
        let refused = NotifyProvider::new(config).unwrap_err();
        assert_eq!(refused, NotifyConfigError::MalformedKey, "{key}");
        assert!(!refused.to_string().contains(SECRET));
    }
}

#[test]
fn other_configuration_mistakes_are_refused() {
    let mut bad_url = config("api.notifications.service.gov.uk", SECRET);
    assert_eq!(
        NotifyProvider::new(bad_url.clone()).unwrap_err(),
        NotifyConfigError::BadBaseUrl
    );
    bad_url.base_url = "https://api.notifications.service.gov.uk/".into();
    bad_url.sms_template_id = "reminder".into();
    assert!(matches!(
        NotifyProvider::new(bad_url).unwrap_err(),
        NotifyConfigError::BadTemplateId(_)
    ));
}

#[tokio::test]
async fn a_channel_without_a_template_is_refused_for_good() {
    let notify = FakeNotify::start().await;
    let mut config = config(&format!("http://{}", notify.addr), SECRET);
    config.sms_template_id = String::new();
    let provider = NotifyProvider::new(config).unwrap();

    let refused = provider.send(&sms()).await.unwrap_err();
    assert!(refused.permanent, "{refused:?}");
    assert!(notify.requests().is_empty());
    provider.send(&email()).await.unwrap();
}

#[test]
fn debug_output_never_shows_the_secret() {
    let config = config("http://127.0.0.1:1", SECRET);
    let shown = format!("{config:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    let provider = NotifyProvider::new(config).unwrap();
    let shown = format!("{provider:?}");
    assert!(!shown.contains(SECRET), "{shown}");
    assert!(shown.contains(SERVICE_ID), "{shown}");
}

#[test]
fn the_defaults_are_notify_itself() {
    let config = NotifyConfig::new(
        format!("convene_live-{SERVICE_ID}-{SECRET}"),
        SMS_TEMPLATE,
        EMAIL_TEMPLATE,
    );
    assert_eq!(config.base_url, "https://api.notifications.service.gov.uk");
    assert_eq!(config.timeout, Duration::from_secs(10));
    NotifyProvider::new(config).unwrap();
}
