//! In-process tests of the web shell: pages, errors and headers, on a fresh
//! SQLite database (the store tests cover both backends).

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use common::TestApp;
use convene_domain::ids::new_id;
use convene_domain::organisations::{OrganisationDetails, OrganisationKind};
use convene_store::organisations;

async fn panicking_handler() -> &'static str {
    panic!("secret internals")
}

async fn test_app(base_url: &str) -> TestApp {
    // A route that panics, to prove panics become a generic page.
    let routes = convene_web::routes().route("/test-panic", get(panicking_handler));
    TestApp::with_routes(base_url, routes).await
}

async fn send(
    app: &TestApp,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let reply = app.send(request).await;
    (reply.status, reply.headers, reply.body)
}

async fn get_page(app: &TestApp, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    send(app, Request::get(path).body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn home_page_says_what_this_is_and_lists_the_partnership() {
    let app = test_app("http://127.0.0.1:8080").await;
    let now = app.now();
    let details = OrganisationDetails {
        name: "Eastfield Community Hub".into(),
        kind: OrganisationKind::Hub,
        email: None,
        phone: None,
        website: None,
        address: None,
    };
    organisations::insert(app.state.store.conn(), new_id(), &details, now)
        .await
        .unwrap();
    let (status, headers, body) = get_page(&app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(body.contains("Eastfield Community Hub"));
    assert!(body.contains("Community hub"));
    assert!(body.contains("a shared system for a school-anchored community partnership"));
    assert!(body.contains(r#"<a href="/" class="govuk-generic-header__homepage-link convene-header__name">Convene</a>"#));
}

#[tokio::test]
async fn every_response_carries_the_security_headers_and_a_fresh_nonce() {
    let app = test_app("http://127.0.0.1:8080").await;
    let (_, first, body) = get_page(&app, "/").await;
    let (_, second, _) = get_page(&app, "/missing").await;
    for headers in [&first, &second] {
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("script-src 'self' 'nonce-"), "{csp}");
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(headers[header::REFERRER_POLICY], "same-origin");
        assert!(headers.contains_key("x-request-id"));
        assert!(
            !headers.contains_key(header::STRICT_TRANSPORT_SECURITY),
            "no HSTS over plain http"
        );
    }
    let nonce_of = |h: &axum::http::HeaderMap| {
        let csp = h[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_string();
        csp.split("'nonce-")
            .nth(1)
            .unwrap()
            .split('\'')
            .next()
            .unwrap()
            .to_string()
    };
    let nonce = nonce_of(&first);
    assert_ne!(nonce, nonce_of(&second));
    // The page's one inline script carries this response's nonce.
    assert!(body.contains(&format!(r#"<script nonce="{nonce}">"#)));
    assert_ne!(first["x-request-id"], second["x-request-id"]);
}

#[tokio::test]
async fn hsts_is_sent_when_the_base_url_is_https() {
    let app = test_app("https://convene.example").await;
    let (_, headers, _) = get_page(&app, "/healthz").await;
    assert!(
        headers[header::STRICT_TRANSPORT_SECURITY]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
}

#[tokio::test]
async fn a_client_cannot_choose_its_request_id() {
    let app = test_app("http://127.0.0.1:8080").await;
    let request = Request::get("/healthz")
        .header("x-request-id", "forged-id")
        .body(Body::empty())
        .unwrap();
    let (_, headers, _) = send(&app, request).await;
    assert_ne!(headers["x-request-id"], "forged-id");
    assert!(uuid::Uuid::parse_str(headers["x-request-id"].to_str().unwrap()).is_ok());
}

#[tokio::test]
async fn unknown_pages_are_html_404s_and_unknown_api_paths_are_json_404s() {
    let app = test_app("http://127.0.0.1:8080").await;
    let (status, headers, body) = get_page(&app, "/no-such-page").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(body.contains("Page not found"));

    let (status, headers, body) = get_page(&app, "/api/v1/no-such-thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"]["code"], "not_found");
    assert!(json["error"]["message"].is_string());
}

#[tokio::test]
async fn a_panic_becomes_a_generic_500_page_without_internals() {
    let app = test_app("http://127.0.0.1:8080").await;
    let (status, headers, body) = get_page(&app, "/test-panic").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(body.contains("Sorry, there is a problem with the service"));
    assert!(!body.contains("secret internals"));
    assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));
}

#[tokio::test]
async fn a_wrong_method_is_a_clear_405() {
    let app = test_app("http://127.0.0.1:8080").await;
    // Signing out changes state, so it is POST only.
    let (status, _, body) = get_page(&app, "/sign-out").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(body.contains("This page cannot do that"));
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let app = test_app("http://127.0.0.1:8080").await;
    let big = vec![b'a'; 2 * 1024 * 1024];
    let request = Request::post("/api/v1/anything")
        .header(header::CONTENT_LENGTH, big.len())
        .body(Body::from(big))
        .unwrap();
    let (status, _, body) = send(&app, request).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let json: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(json["error"]["code"], "payload_too_large");
}

#[tokio::test]
async fn health_and_readiness() {
    let app = test_app("http://127.0.0.1:8080").await;
    let (status, _, body) = get_page(&app, "/healthz").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"{"status":"ok"}"#)
    );
    let (status, _, body) = get_page(&app, "/readyz").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains(r#""database":"ok""#));

    // With the database gone, the process is still healthy but not ready.
    app.state.store.clone().close().await.unwrap();
    let (status, _, body) = get_page(&app, "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains(r#""database":"unreachable""#));
    let (status, _, _) = get_page(&app, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn assets_are_served_with_long_caching_under_their_fingerprint() {
    let app = test_app("http://127.0.0.1:8080").await;
    let (_, _, home) = get_page(&app, "/").await;
    let css_path = home
        .split("href=\"")
        .find(|s| s.starts_with("/assets/") && s.contains("/convene.css"))
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let (status, headers, css) = get_page(&app, &css_path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert!(
        headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert!(css.contains(".govuk-header") || css.contains(".govuk-generic-header"));
    assert!(
        !css.contains("GDS Transport"),
        "Convene is not on GOV.UK: no GDS Transport font"
    );
    let (status, _, _) = get_page(&app, "/assets/old/convene.css").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = get_page(&app, "/assets/x/../../etc/passwd").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
