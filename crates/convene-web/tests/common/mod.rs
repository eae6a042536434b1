//! A Convene app in-process, with a controllable clock, mail kept in memory,
//! and a tiny browser (cookies and form tokens) to drive it.

#![allow(dead_code)] // each test file uses its own part

pub mod referrals;

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::{DateTime, TimeZone, Utc};
use convene_domain::clock::{Clock, ManualClock};
use convene_domain::identity::Role;
use convene_domain::identity::passwords::hash_password;
use convene_domain::ids::new_id;
use convene_domain::organisations::{OrganisationDetails, OrganisationKind};
use convene_store::identity::accounts;
use convene_store::testing::TestDatabase;
use convene_store::{Store, organisations};
use convene_web::mail::MemoryMailer;
use convene_web::{AppState, WebSettings};
use http_body_util::BodyExt;
use tower::ServiceExt;
use uuid::Uuid;

pub const PASSWORD: &str = "correct kettle orbit meadow";

pub struct TestApp {
    pub router: Router,
    pub state: AppState,
    pub clock: ManualClock,
    pub mailer: Arc<MemoryMailer>,
    pub db: TestDatabase,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_base_url("http://127.0.0.1:8080").await
    }

    pub async fn with_base_url(base_url: &str) -> Self {
        Self::with_routes(base_url, convene_web::routes()).await
    }

    pub async fn with_routes(base_url: &str, routes: axum::Router<AppState>) -> Self {
        let db = TestDatabase::sqlite();
        Self::on(db, base_url, routes).await
    }

    pub async fn on(db: TestDatabase, base_url: &str, routes: axum::Router<AppState>) -> Self {
        let store = db.store().await;
        let store_for_index = store.clone();
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap());
        let mailer = Arc::new(MemoryMailer::default());
        let state = AppState {
            store,
            clock: Arc::new(clock.clone()),
            settings: Arc::new(WebSettings::new(base_url.parse().unwrap())),
            mailer: mailer.clone(),
            directory: Arc::new(convene_search::load(&store_for_index).await.unwrap()),
            keys: Arc::new(test_keys()),
            service_totals: Arc::default(),
        };
        Self {
            router: convene_web::with_layers(routes, state.clone()),
            state,
            clock,
            mailer,
            db,
        }
    }

    /// The same app with its settings changed (e.g. to allow feeds on
    /// 127.0.0.1).
    pub fn with_settings(mut self, change: impl FnOnce(&mut WebSettings)) -> Self {
        let mut settings = (*self.state.settings).clone();
        change(&mut settings);
        self.state.settings = Arc::new(settings);
        self.router = convene_web::with_layers(convene_web::routes(), self.state.clone());
        self
    }

    /// Serves this app's routes on 127.0.0.1 (for feeds another app
    /// imports); returns its base URL.
    pub async fn serve(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let router = self.router.clone();
        tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await;
        });
        format!("http://{address}")
    }

    pub fn store(&self) -> &Store {
        &self.state.store
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        // Tests write to the store directly; the running server's follower
        // would pick that up within a second, so catch up before each request
        // (and, like the follower, carry on when the database is away).
        let _ = convene_search::catch_up(&self.state.directory, &self.state.store).await;
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    pub fn browser(&self) -> Browser<'_> {
        Browser {
            app: self,
            cookies: HashMap::new(),
            csrf: None,
        }
    }

    pub async fn organisation(&self, name: &str) -> Uuid {
        let id = new_id();
        let details = OrganisationDetails {
            name: name.into(),
            kind: OrganisationKind::School,
            email: None,
            phone: None,
            website: None,
            address: None,
        };
        organisations::insert(self.store().conn(), id, &details, self.now())
            .await
            .unwrap();
        id
    }

    /// An active account with `role` in `organisation` and, when the role
    /// needs one, a second factor (returned).
    pub async fn account(
        &self,
        email: &str,
        organisation: Uuid,
        role: Role,
    ) -> (Uuid, Option<Vec<u8>>) {
        let id = new_id();
        let hash = hash_password(PASSWORD).unwrap();
        accounts::create(
            self.store().conn(),
            id,
            email,
            email,
            Some(&hash),
            self.now(),
        )
        .await
        .unwrap();
        accounts::set_role(self.store().conn(), id, organisation, role, self.now())
            .await
            .unwrap();
        let secret = role.needs_second_factor().then(|| vec![42u8; 20]);
        if let Some(secret) = &secret {
            accounts::enable_second_factor(self.store().conn(), id, secret, 0, self.now())
                .await
                .unwrap();
        }
        (id, secret)
    }

    pub fn code(&self, secret: &[u8]) -> String {
        totp_rs::TOTP::new(
            totp_rs::Algorithm::SHA1,
            6,
            0,
            30,
            secret.to_vec(),
            None,
            "x".into(),
        )
        .unwrap()
        .generate(self.now().timestamp() as u64)
    }

    /// Moves time on by 30 seconds, so a new second-factor code is due.
    pub fn next_code_window(&self) {
        self.clock.advance(chrono::Duration::seconds(30));
    }

    pub async fn audit_actions(&self) -> Vec<String> {
        let (events, _) =
            convene_store::audit::search(self.store().conn(), &Default::default(), 1000, 0)
                .await
                .unwrap();
        events.into_iter().rev().map(|e| e.entry.action).collect()
    }
}

/// Cookies and the last page's form token, like a browser.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub cookies: HashMap<String, String>,
    pub csrf: Option<String>,
}

impl Browser<'_> {
    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn remember(&mut self, reply: &Reply) {
        for value in reply.headers.get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let pair = text.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || text.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
        if let Some(token) = form_token(&reply.body) {
            self.csrf = Some(token);
        }
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        let request = Request::get(path)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .unwrap();
        let reply = self.app.send(request).await;
        self.remember(&reply);
        reply
    }

    /// Submits a form with this browser's latest form token.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        let token = self.csrf.clone().unwrap_or_default();
        all.push(("csrf_token", &token));
        self.post_raw(path, &all).await
    }

    /// Submits exactly these fields (no form token added).
    pub async fn post_raw(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let request = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        let reply = self.app.send(request).await;
        self.remember(&reply);
        reply
    }

    /// Signs in with password and (if set) the second factor.
    pub async fn sign_in(&mut self, email: &str, secret: Option<&[u8]>) -> Reply {
        self.get("/sign-in").await;
        let reply = self
            .post("/sign-in", &[("email", email), ("password", PASSWORD)])
            .await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{}", reply.body);
        match secret {
            Some(secret) => {
                assert_eq!(reply.location(), "/sign-in/second-factor");
                self.get("/sign-in/second-factor").await;
                let code = self.app.code(secret);
                let reply = self
                    .post("/sign-in/second-factor", &[("code", &code)])
                    .await;
                assert_eq!(reply.location(), "/account", "{}", reply.body);
                reply
            }
            None => reply,
        }
    }

    pub fn session_cookie(&self) -> Option<String> {
        self.cookies.get("convene_session").cloned()
    }
}

/// Fresh keys for sealing personal data.
pub fn test_keys() -> convene_domain::sealing::DataKeys {
    use convene_domain::sealing::DataKeys;
    DataKeys::parse(
        &format!("test:{}", DataKeys::generate_key().unwrap()),
        "test",
        &DataKeys::generate_key().unwrap(),
    )
    .unwrap()
}

pub fn form_token(body: &str) -> Option<String> {
    let start = body.find(r#"name="csrf_token" value=""#)? + r#"name="csrf_token" value=""#.len();
    let end = body[start..].find('"')?;
    Some(body[start..start + end].to_string())
}
