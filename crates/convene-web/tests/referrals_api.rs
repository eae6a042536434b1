//! The referral flow through the JSON API with tokens, on SQLite and
//! PostgreSQL, including idempotency: the same key replays the first answer
//! (also when two requests race), a different body with the same key is
//! refused, and invalid moves change nothing.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Duration;
use common::TestApp;
use convene_domain::clock::SharedClock;
use convene_domain::identity::tokens::hash_secret;
use convene_domain::identity::{Role, Scope};
use convene_jobs::import::import_services;
use convene_store::identity::credentials;
use convene_store::testing::TestDatabase;
use serde_json::{Value, json};
use uuid::Uuid;

fn call(
    method: &str,
    path: &str,
    token: &str,
    key: Option<&str>,
    body: Option<&Value>,
) -> Request<Body> {
    let mut request = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"));
    if let Some(key) = key {
        request = request.header("Idempotency-Key", key);
    }
    if body.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/json");
    }
    request
        .body(body.map_or(Body::empty(), |b| Body::from(b.to_string())))
        .unwrap()
}

async fn flow(db: TestDatabase) {
    let app = TestApp::on(db, "http://127.0.0.1:8080", convene_web::routes()).await;
    let school = app.organisation("Northgate Primary").await;
    let provider = app.organisation("Riverside Family Support").await;
    let service = Uuid::new_v4();
    let clock: SharedClock = Arc::new(app.clock.clone());
    import_services(
        app.store(),
        &clock,
        &[json!({ "id": service.to_string(), "name": "Calmer bedtimes course", "status": "active",
                  "organization": { "id": provider.to_string(), "name": "Riverside Family Support" } })],
        "local",
    )
    .await
    .unwrap();
    let (teacher, _) = app
        .account("fsw@northgate.example", school, Role::Practitioner)
        .await;
    let (worker, _) = app
        .account("worker@riverside.example", provider, Role::Practitioner)
        .await;
    let (analyst, _) = app
        .account("analyst@northgate.example", school, Role::Analyst)
        .await;
    let later = app.now() + Duration::days(30);
    for (user, token, scopes) in [
        (teacher, "cvn_teacher", vec![Scope::Referrals]),
        (worker, "cvn_worker", vec![Scope::Referrals]),
        (teacher, "cvn_teacher_account", vec![Scope::Account]),
        (analyst, "cvn_analyst", vec![Scope::Referrals]),
    ] {
        credentials::create_token(
            app.store().conn(),
            user,
            "t",
            &hash_secret(token),
            &scopes,
            later,
            app.now(),
        )
        .await
        .unwrap();
    }
    let referral = json!({
        "service_id": service,
        "child": { "given_name": "Ada", "family_name": "Okafor", "date_of_birth": "2019-05-01" },
        "parent": { "given_name": "Grace", "family_name": "Okafor", "relationship": "mother", "phone": "07700 900982" },
        "needs": ["parenting"],
        "reason": "Bedtimes are a battle every night",
        "urgency": "soon",
        "sharing": { "basis": "consent", "items": ["name", "contact_details", "reason"],
                     "purpose": "So the course can offer a place", "privacy_notice_version": "2026-11" },
        "send": true
    });

    // Bad input: a clear error and nothing made.
    let mut bad = referral.clone();
    bad["urgency"] = json!("yesterday");
    bad["sharing"]["basis"] = json!("because");
    let refused = app
        .send(call(
            "POST",
            "/api/v1/referrals",
            "cvn_teacher",
            Some("k0"),
            Some(&bad),
        ))
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("urgency") && refused.body.contains("lawful basis"),
        "{}",
        refused.body
    );
    let listed = app
        .send(call("GET", "/api/v1/referrals", "cvn_teacher", None, None))
        .await;
    let listed: Value = serde_json::from_str(&listed.body).unwrap();
    assert_eq!(
        listed["organisations"][0]["sent"].as_array().unwrap().len(),
        0
    );

    // A child id alone opens nothing: only someone the organisation works with.
    let mut by_id = referral.clone();
    by_id.as_object_mut().unwrap().remove("child");
    by_id["child_id"] = json!(Uuid::new_v4());
    let unknown = app
        .send(call(
            "POST",
            "/api/v1/referrals",
            "cvn_teacher",
            None,
            Some(&by_id),
        ))
        .await;
    assert_eq!(
        unknown.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        unknown.body
    );
    assert!(unknown.body.contains("No such child"), "{}", unknown.body);

    // A token without the referrals scope, and an analyst: refused.
    let wrong_scope = app
        .send(call(
            "POST",
            "/api/v1/referrals",
            "cvn_teacher_account",
            None,
            Some(&referral),
        ))
        .await;
    assert_eq!(wrong_scope.status, StatusCode::FORBIDDEN);
    let analyst = app
        .send(call("GET", "/api/v1/referrals", "cvn_analyst", None, None))
        .await;
    assert_eq!(analyst.status, StatusCode::FORBIDDEN);

    // Two identical requests with one key, at once: one referral, one answer.
    let (a, b) = tokio::join!(
        app.send(call(
            "POST",
            "/api/v1/referrals",
            "cvn_teacher",
            Some("create-1"),
            Some(&referral)
        )),
        app.send(call(
            "POST",
            "/api/v1/referrals",
            "cvn_teacher",
            Some("create-1"),
            Some(&referral)
        )),
    );
    assert_eq!(
        (a.status, b.status),
        (StatusCode::CREATED, StatusCode::CREATED),
        "{} / {}",
        a.body,
        b.body
    );
    assert_eq!(a.body, b.body, "the same answer");
    let created: Value = serde_json::from_str(&a.body).unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["state"], "sent");
    let again = app
        .send(call(
            "POST",
            "/api/v1/referrals",
            "cvn_teacher",
            Some("create-1"),
            Some(&referral),
        ))
        .await;
    assert_eq!(again.body, a.body);
    assert_eq!(
        again
            .headers
            .get("idempotent-replayed")
            .map(|v| v.to_str().unwrap()),
        Some("true")
    );
    let listed = app
        .send(call("GET", "/api/v1/referrals", "cvn_teacher", None, None))
        .await;
    let listed: Value = serde_json::from_str(&listed.body).unwrap();
    assert_eq!(
        listed["organisations"][0]["sent"].as_array().unwrap().len(),
        1,
        "made once"
    );
    assert_eq!(listed["organisations"][0]["sent_total"], 1);
    // Lists come a page at a time: past the end is empty, the total stays.
    let later = app
        .send(call(
            "GET",
            "/api/v1/referrals?page=2&per_page=1",
            "cvn_teacher",
            None,
            None,
        ))
        .await;
    let later: Value = serde_json::from_str(&later.body).unwrap();
    assert_eq!(later["organisations"][0]["sent"], json!([]));
    assert_eq!(later["organisations"][0]["sent_total"], 1);
    for bad in ["page=0", "per_page=0", "per_page=201", "page=x"] {
        let refused = app
            .send(call(
                "GET",
                &format!("/api/v1/referrals?{bad}"),
                "cvn_teacher",
                None,
                None,
            ))
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    // The same key for a different request: refused.
    let mut other = referral.clone();
    other["reason"] = json!("Something else");
    let reused = app
        .send(call(
            "POST",
            "/api/v1/referrals",
            "cvn_teacher",
            Some("create-1"),
            Some(&other),
        ))
        .await;
    assert_eq!(reused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reused.body.contains("different request"));

    // The service works it.
    let move_on = |transition: Value, key: &'static str| {
        let path = format!("/api/v1/referrals/{id}/transitions");
        let app = &app;
        async move {
            app.send(call(
                "POST",
                &path,
                "cvn_worker",
                Some(key),
                Some(&transition),
            ))
            .await
        }
    };
    // An invalid move (closing before accepting) changes nothing.
    let early = move_on(
        json!({ "transition": "close", "version": 2, "outcome": "needs_met" }),
        "t0",
    )
    .await;
    assert_eq!(
        early.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        early.body
    );
    assert!(
        early.body.contains("A sent referral cannot be closed"),
        "{}",
        early.body
    );
    let opened = move_on(json!({ "transition": "open", "version": 2 }), "t1").await;
    assert_eq!(opened.status, StatusCode::OK, "{}", opened.body);
    let accepted = move_on(json!({ "transition": "accept", "version": 3 }), "t2").await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    // Replaying an earlier move replays its answer, not a second move.
    let replayed = move_on(json!({ "transition": "accept", "version": 3 }), "t2").await;
    assert_eq!(replayed.body, accepted.body);
    // A stale version is refused.
    let stale = move_on(json!({ "transition": "accept", "version": 3 }), "t3").await;
    assert_eq!(stale.status, StatusCode::UNPROCESSABLE_ENTITY);

    let booking = json!({ "starts_at": (app.now() + Duration::days(1)).to_rfc3339(), "duration_minutes": 45, "mode": "phone" });
    let booked = app
        .send(call(
            "POST",
            &format!("/api/v1/referrals/{id}/appointments"),
            "cvn_worker",
            Some("b1"),
            Some(&booking),
        ))
        .await;
    assert_eq!(booked.status, StatusCode::CREATED, "{}", booked.body);
    let appointment = serde_json::from_str::<Value>(&booked.body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.clock.advance(Duration::days(2));
    let missed = app
        .send(call(
            "POST",
            &format!("/api/v1/referrals/{id}/appointments/{appointment}"),
            "cvn_worker",
            Some("c1"),
            Some(&json!({ "change": "did_not_attend", "version": 1 })),
        ))
        .await;
    assert_eq!(missed.status, StatusCode::OK, "{}", missed.body);
    // The referrer cannot book for the service.
    let not_theirs = app
        .send(call(
            "POST",
            &format!("/api/v1/referrals/{id}/appointments"),
            "cvn_teacher",
            None,
            Some(&booking),
        ))
        .await;
    assert_eq!(not_theirs.status, StatusCode::BAD_REQUEST);
    let closed = move_on(
        json!({ "transition": "close", "version": 4, "outcome": "could_not_contact" }),
        "t4",
    )
    .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);

    // The referrer reads it; it says what happened.
    let read = app
        .send(call(
            "GET",
            &format!("/api/v1/referrals/{id}"),
            "cvn_teacher",
            None,
            None,
        ))
        .await;
    let read: Value = serde_json::from_str(&read.body).unwrap();
    assert_eq!(read["state"], "closed");
    assert_eq!(read["outcome"], "could_not_contact");
    assert_eq!(read["appointments"][0]["status"], "did_not_attend");
    assert_eq!(read["reason"], "Bedtimes are a battle every night");
    // Someone else's token cannot.
    let stranger = app
        .send(call(
            "GET",
            &format!("/api/v1/referrals/{id}"),
            "cvn_analyst",
            None,
            None,
        ))
        .await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);
    app.db.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_referral_flow_through_the_api_on_sqlite() {
    flow(TestDatabase::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_referral_flow_through_the_api_on_postgres() {
    let Some(db) = TestDatabase::postgres().await else {
        return;
    };
    flow(db).await;
}
