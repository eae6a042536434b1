//! The public pages' per-client limit: a client that makes more requests
//! in a minute than allowed is answered 429 with Retry-After, nothing else
//! is limited, and the next minute it may go on.

mod common;

use axum::http::StatusCode;
use chrono::Duration;
use common::TestApp;
use convene_web::PublicLimit;

#[tokio::test]
async fn a_client_over_its_allowance_waits_for_the_next_minute() {
    let app = TestApp::new()
        .await
        .with_settings(|s| s.public_limit = PublicLimit::new(5));
    for n in 0..5 {
        let page = app.get("/find-support").await;
        assert_eq!(page.status, StatusCode::OK, "request {n}");
    }
    let refused = app.get("/oruk/services").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = refused.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Pages that are not public search are not limited.
    assert_eq!(app.get("/healthz").await.status, StatusCode::OK);
    assert_eq!(app.get("/").await.status, StatusCode::OK);

    app.clock.advance(Duration::seconds(wait));
    assert_eq!(app.get("/find-support").await.status, StatusCode::OK);
}

#[tokio::test]
async fn no_limit_when_turned_off() {
    let app = TestApp::new()
        .await
        .with_settings(|s| s.public_limit = PublicLimit::new(0));
    for _ in 0..50 {
        assert_eq!(app.get("/oruk/services").await.status, StatusCode::OK);
    }
}
