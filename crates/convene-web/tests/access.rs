//! Every route x every role (and anonymous): who gets in, who is turned
//! away, and how. Organisation routes answer 404 for an organisation that is
//! not the visitor's. A guard checks that no route is missing from the table.

mod common;

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use common::{Browser, TestApp};
use convene_domain::identity::Role;
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
enum Method {
    Get,
    Post,
    Put,
}

/// Who a route is for.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// Anyone, signed in or not.
    Public,
    /// Anyone with a session, even half-way through signing in.
    SigningIn,
    /// Any fully signed-in person (their own account).
    Account,
    /// Platform administrators only.
    Platform,
    /// Administrators of the organisation in the path (and platform admins).
    ManageUsers,
    /// Safeguarding leads and organisation admins anywhere, platform admins.
    Audit,
    /// Organisation administrators and coordinators.
    Directory,
    /// Coordinators.
    Approve,
    /// Practitioners and safeguarding leads (their referral lists and forms).
    Referrals,
    /// A referral: as `Referrals`, and anyone else is told it does not exist.
    Referral,
}

struct Route {
    method: Method,
    /// `{org}` is replaced by an organisation id, `{user}` by a member.
    path: &'static str,
    rule: Rule,
    form: &'static [(&'static str, &'static str)],
}

const fn route(method: Method, path: &'static str, rule: Rule) -> Route {
    Route {
        method,
        path,
        rule,
        form: &[],
    }
}

const ROUTES: &[Route] = &[
    route(Method::Get, "/", Rule::Public),
    route(Method::Get, "/healthz", Rule::Public),
    route(Method::Get, "/readyz", Rule::Public),
    route(Method::Get, "/assets/{version}/convene.css", Rule::Public),
    route(Method::Get, "/sign-in", Rule::Public),
    Route {
        method: Method::Post,
        path: "/sign-in",
        rule: Rule::Public,
        form: &[("email", "x@y.example"), ("password", "wrong")],
    },
    route(Method::Get, "/password-reset", Rule::Public),
    Route {
        method: Method::Post,
        path: "/password-reset",
        rule: Rule::Public,
        form: &[("email", "x@y.example")],
    },
    route(Method::Get, "/password-reset/{token}", Rule::Public),
    Route {
        method: Method::Post,
        path: "/password-reset/{token}",
        rule: Rule::Public,
        form: &[("new_password", "x")],
    },
    route(Method::Get, "/invitations/{token}", Rule::Public),
    Route {
        method: Method::Post,
        path: "/invitations/{token}",
        rule: Rule::Public,
        form: &[("new_password", "x")],
    },
    route(Method::Get, "/sign-in/second-factor", Rule::SigningIn),
    Route {
        method: Method::Post,
        path: "/sign-in/second-factor",
        rule: Rule::SigningIn,
        form: &[("code", "000000")],
    },
    route(Method::Get, "/account/second-factor", Rule::SigningIn),
    Route {
        method: Method::Post,
        path: "/account/second-factor",
        rule: Rule::SigningIn,
        form: &[
            ("secret", "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
            ("code", "000000"),
        ],
    },
    route(Method::Get, "/account", Rule::Account),
    route(Method::Get, "/account/password", Rule::Account),
    Route {
        method: Method::Post,
        path: "/account/password",
        rule: Rule::Account,
        form: &[("current_password", "wrong")],
    },
    route(Method::Post, "/account/recovery-codes", Rule::Account),
    route(
        Method::Post,
        "/account/sessions/{random}/end",
        Rule::Account,
    ),
    route(
        Method::Post,
        "/account/tokens/{random}/revoke",
        Rule::Account,
    ),
    route(Method::Get, "/api/v1/me", Rule::Account),
    route(Method::Get, "/admin", Rule::Platform),
    Route {
        method: Method::Post,
        path: "/admin/organisations",
        rule: Rule::Platform,
        form: &[("name", "New partner"), ("kind", "hub")],
    },
    route(Method::Get, "/organisations/{org}/users", Rule::ManageUsers),
    route(
        Method::Get,
        "/organisations/{org}/users/invite",
        Rule::ManageUsers,
    ),
    Route {
        method: Method::Post,
        path: "/organisations/{org}/users/invite",
        rule: Rule::ManageUsers,
        form: &[
            ("email", "{fresh}@school.example"),
            ("display_name", "New Person"),
            ("role", "viewer"),
        ],
    },
    Route {
        method: Method::Post,
        path: "/organisations/{org}/users/{user}/role",
        rule: Rule::ManageUsers,
        form: &[("role", "viewer")],
    },
    route(
        Method::Post,
        "/organisations/{org}/users/{user}/disable",
        Rule::ManageUsers,
    ),
    route(
        Method::Post,
        "/organisations/{org}/users/{user}/enable",
        Rule::ManageUsers,
    ),
    route(Method::Get, "/audit", Rule::Audit),
    route(Method::Get, "/audit/export.csv", Rule::Audit),
    route(Method::Get, "/api/v1/audit", Rule::Audit),
    route(Method::Post, "/sign-in/oidc/{random}", Rule::Public),
    route(Method::Get, "/find-support", Rule::Public),
    route(Method::Get, "/find-support/services/{random}", Rule::Public),
    Route {
        method: Method::Post,
        path: "/find-support/services/{random}/report",
        rule: Rule::Public,
        form: &[("message", "Wrong times")],
    },
    route(Method::Get, "/directory", Rule::Directory),
    route(Method::Get, "/directory/services/new", Rule::Directory),
    route(Method::Post, "/directory/services/new", Rule::Directory),
    route(
        Method::Get,
        "/directory/services/{random}/edit",
        Rule::Directory,
    ),
    route(
        Method::Post,
        "/directory/services/{random}/edit",
        Rule::Directory,
    ),
    route(
        Method::Get,
        "/directory/services/{random}/history",
        Rule::Directory,
    ),
    route(Method::Get, "/directory/approvals", Rule::Approve),
    route(
        Method::Post,
        "/directory/approvals/{random}/approve",
        Rule::Approve,
    ),
    route(
        Method::Post,
        "/directory/approvals/{random}/reject",
        Rule::Approve,
    ),
    route(Method::Get, "/directory/imports", Rule::Approve),
    route(Method::Post, "/directory/imports", Rule::Approve),
    route(Method::Get, "/directory/imports/{random}", Rule::Approve),
    route(
        Method::Get,
        "/directory/imports/{random}/progress",
        Rule::Approve,
    ),
    route(
        Method::Post,
        "/directory/imports/{random}/retry",
        Rule::Approve,
    ),
    // Any kind and language: those allowed in are told an unknown kind does
    // not exist (tests/messaging_pages.rs covers the real pages).
    route(Method::Get, "/messaging/templates", Rule::Approve),
    route(
        Method::Get,
        "/messaging/templates/{random}/{random}",
        Rule::Approve,
    ),
    Route {
        method: Method::Post,
        path: "/messaging/templates/{random}/{random}",
        rule: Rule::Approve,
        form: &[
            ("subject", "Reminder"),
            ("body", "Hello {{ first_name }}"),
            ("action", "preview"),
        ],
    },
    route(Method::Get, "/messaging/outbox", Rule::Platform),
    route(
        Method::Post,
        "/messaging/outbox/{random}/retry",
        Rule::Platform,
    ),
    route(
        Method::Get,
        "/find-support/services/{random}/ask",
        Rule::Public,
    ),
    route(
        Method::Post,
        "/find-support/services/{random}/ask",
        Rule::Public,
    ),
    route(Method::Get, "/referrals", Rule::Referrals),
    route(Method::Get, "/referrals/measures", Rule::Referrals),
    route(
        Method::Post,
        "/referrals/services/{random}/intake",
        Rule::Referral,
    ),
    route(Method::Get, "/referrals/new", Rule::Referrals),
    route(Method::Post, "/referrals/new", Rule::Referrals),
    route(Method::Get, "/referrals/{random}", Rule::Referral),
    route(Method::Post, "/referrals/{random}/move", Rule::Referral),
    route(
        Method::Post,
        "/referrals/{random}/appointments",
        Rule::Referral,
    ),
    route(
        Method::Post,
        "/referrals/{random}/appointments/{random}",
        Rule::Referral,
    ),
    route(Method::Post, "/follow-ups/{random}/done", Rule::Referral),
    route(Method::Get, "/people/{random}", Rule::Referral),
    route(Method::Post, "/people/{random}/consent", Rule::Referral),
    route(Method::Post, "/people/{random}/messages", Rule::Referral),
    route(
        Method::Post,
        "/referrals/services/{random}/reminders",
        Rule::Referral,
    ),
    // Their own bearer token, never a session: open to all, refused
    // without it.
    route(Method::Post, "/callbacks/notify/status", Rule::Public),
    route(Method::Post, "/callbacks/notify/inbound", Rule::Public),
    route(Method::Get, "/metrics", Rule::Public),
    route(Method::Get, "/people/{random}/export", Rule::Referral),
    route(Method::Get, "/people/{random}/export.json", Rule::Referral),
    route(Method::Post, "/people/{random}/anonymise", Rule::Referral),
    route(Method::Post, "/people/{random}/merge", Rule::Referral),
    route(Method::Post, "/people/{random}/transitions", Rule::Referral),
    route(Method::Get, "/api/v1/openapi.json", Rule::Public),
    route(Method::Get, "/api/v1/referrals", Rule::Referrals),
    route(Method::Post, "/api/v1/referrals", Rule::Referrals),
    route(Method::Get, "/api/v1/referrals/{random}", Rule::Referral),
    route(
        Method::Post,
        "/api/v1/referrals/{random}/transitions",
        Rule::Referral,
    ),
    route(
        Method::Post,
        "/api/v1/referrals/{random}/appointments",
        Rule::Referral,
    ),
    route(
        Method::Post,
        "/api/v1/referrals/{random}/appointments/{random}",
        Rule::Referral,
    ),
    route(Method::Get, "/api/v1/services", Rule::Directory),
    route(Method::Post, "/api/v1/services", Rule::Directory),
    route(Method::Get, "/api/v1/services/{random}", Rule::Directory),
    route(Method::Put, "/api/v1/services/{random}", Rule::Directory),
    route(Method::Get, "/oruk", Rule::Public),
    route(Method::Get, "/oruk/", Rule::Public),
    route(Method::Get, "/oruk/services", Rule::Public),
    route(Method::Get, "/oruk/services/{random}", Rule::Public),
    route(Method::Get, "/oruk/service_at_locations", Rule::Public),
    route(
        Method::Get,
        "/oruk/service_at_locations/{random}",
        Rule::Public,
    ),
    route(Method::Get, "/oruk/taxonomies", Rule::Public),
    route(Method::Get, "/oruk/taxonomies/{random}", Rule::Public),
    route(Method::Get, "/oruk/taxonomy_terms", Rule::Public),
    route(Method::Get, "/oruk/taxonomy_terms/{random}", Rule::Public),
    route(Method::Get, "/sign-in/oidc/callback", Rule::Public),
    // Last: it ends the session.
    route(Method::Post, "/sign-out", Rule::Public),
];

fn allowed(rule: Rule, role: Option<Role>, own_organisation: bool) -> bool {
    match (rule, role) {
        (Rule::Public, _) => true,
        (_, None) => false,
        (Rule::SigningIn | Rule::Account, Some(_)) => true,
        (Rule::Platform, Some(role)) => role == Role::PlatformAdmin,
        (Rule::ManageUsers, Some(role)) => {
            role == Role::PlatformAdmin || (own_organisation && role == Role::OrganisationAdmin)
        }
        (Rule::Audit, Some(role)) => matches!(
            role,
            Role::PlatformAdmin | Role::OrganisationAdmin | Role::SafeguardingLead
        ),
        (Rule::Directory, Some(role)) => {
            matches!(role, Role::Coordinator | Role::OrganisationAdmin)
        }
        (Rule::Approve, Some(role)) => role == Role::Coordinator,
        (Rule::Referrals | Rule::Referral, Some(role)) => {
            matches!(role, Role::Practitioner | Role::SafeguardingLead)
        }
    }
}

/// What a turned-away visitor sees.
fn refusal(rule: Rule, role: Option<Role>, path: &str) -> (StatusCode, &'static str) {
    let api = path.starts_with("/api/");
    match role {
        None if api => (StatusCode::UNAUTHORIZED, ""),
        None => (StatusCode::SEE_OTHER, "/sign-in"),
        Some(_) if matches!(rule, Rule::ManageUsers | Rule::Referral) => {
            (StatusCode::NOT_FOUND, "")
        }
        Some(_) => (StatusCode::FORBIDDEN, ""),
    }
}

struct World {
    own: Uuid,
    other: Uuid,
    member: Uuid,
    other_member: Uuid,
}

async fn request(
    browser: &mut Browser<'_>,
    route: &Route,
    path: &str,
    fresh: &str,
) -> (StatusCode, String) {
    let reply = match route.method {
        Method::Put => {
            let request = Request::put(path)
                .header(header::COOKIE, cookie(browser))
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{}"))
                .unwrap();
            browser.app.send(request).await
        }
        Method::Get => {
            if path.starts_with("/api/") {
                // The API takes tokens, not cookies; a browser session gets nothing.
                let request = Request::get(path)
                    .header(header::COOKIE, cookie(browser))
                    .body(Body::empty())
                    .unwrap();
                browser.app.send(request).await
            } else {
                browser.get(path).await
            }
        }
        Method::Post => {
            // Pick up a fresh form token from a page the visitor can see.
            browser.get("/sign-in").await;
            if browser.session_cookie().is_some() {
                browser.get("/account/second-factor").await;
            }
            let fields: Vec<(String, String)> = route
                .form
                .iter()
                .map(|(k, v)| (k.to_string(), v.replace("{fresh}", fresh)))
                .collect();
            let borrowed: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            browser.post(path, &borrowed).await
        }
    };
    let location = reply.location().to_string();
    (reply.status, location)
}

fn cookie(browser: &Browser<'_>) -> String {
    browser
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

fn fill(path: &str, world: &World, organisation: Uuid) -> String {
    let member = if organisation == world.own {
        world.member
    } else {
        world.other_member
    };
    path.replace("{org}", &organisation.to_string())
        .replace("{user}", &member.to_string())
        .replace("{random}", &Uuid::new_v4().to_string())
        .replace("{token}", "no-such-token")
        .replace("{version}", "any")
}

#[tokio::test]
async fn every_route_for_every_role() {
    let app = TestApp::new().await;
    let own = app.organisation("Northgate Primary").await;
    let other = app.organisation("Riverside Clinic").await;
    let (member, _) = app
        .account("member@school.example", own, Role::Viewer)
        .await;
    let (other_member, _) = app
        .account("member@clinic.example", other, Role::Viewer)
        .await;
    let world = World {
        own,
        other,
        member,
        other_member,
    };

    let mut visitors: Vec<Option<Role>> = vec![None];
    visitors.extend(Role::ALL.into_iter().map(Some));
    let mut checked = 0;
    for role in visitors {
        let mut browser = app.browser();
        if let Some(role) = role {
            let email = format!("{}@school.example", role.code());
            let (_, secret) = app.account(&email, own, role).await;
            app.next_code_window();
            browser.sign_in(&email, secret.as_deref()).await;
        }
        for route in ROUTES {
            let organisations: &[Uuid] = if route.path.contains("{org}") {
                &[world.own, world.other]
            } else {
                &[world.own]
            };
            for &organisation in organisations {
                let own_organisation = organisation == world.own;
                let path = fill(route.path, &world, organisation);
                let fresh = format!("{}-{}", role.map_or("anon", |r| r.code()), checked);
                let (status, location) = request(&mut browser, route, &path, &fresh).await;
                let label = format!("{:?} {} as {:?}", route.method, path, role);
                let api_needs_token =
                    path.starts_with("/api/") && !matches!(route.rule, Rule::Public);
                if matches!(route.rule, Rule::Public) {
                    // Open to all: whatever it answers, it is never an error of ours.
                    assert_ne!(status, StatusCode::INTERNAL_SERVER_ERROR, "{label}");
                    assert_ne!(status, StatusCode::FORBIDDEN, "{label}");
                } else if allowed(route.rule, role, own_organisation) && !api_needs_token {
                    assert!(
                        !matches!(
                            status,
                            StatusCode::FORBIDDEN
                                | StatusCode::UNAUTHORIZED
                                | StatusCode::INTERNAL_SERVER_ERROR
                        ) && location != "/sign-in",
                        "{label} should be allowed, got {status} {location}"
                    );
                    if route.path.contains("{org}") {
                        assert_ne!(status, StatusCode::NOT_FOUND, "{label} should be allowed");
                    }
                } else if api_needs_token {
                    assert_eq!(
                        status,
                        StatusCode::UNAUTHORIZED,
                        "{label}: the API ignores session cookies"
                    );
                } else {
                    let (expected, expected_location) = refusal(route.rule, role, &path);
                    assert_eq!(status, expected, "{label} should be refused");
                    assert_eq!(location, expected_location, "{label}");
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "{checked}");
}

/// The table above must name every route the application registers.
#[test]
fn the_table_names_every_route() {
    let source_dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut registered = BTreeSet::new();
    let mut stack = vec![source_dir];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, _) in text.match_indices(".route(") {
                    let rest = &text[i + 7..];
                    let start = rest.find('"').unwrap() + 1;
                    let end = start + rest[start..].find('"').unwrap();
                    let pattern = &rest[start..end];
                    // The handlers of this route: up to the next route or the
                    // end of the function that builds the router.
                    let next_route = rest[end..].find(".route(").map_or(rest.len(), |n| end + n);
                    let function_end = rest[end..].find("\n}").map_or(rest.len(), |n| end + n);
                    let call = &rest[end..next_route.min(function_end)];
                    for (method, token) in [("GET", "get("), ("POST", "post("), ("PUT", "put(")] {
                        if call.contains(token) {
                            registered.insert(format!("{method} {}", normalise(pattern)));
                        }
                    }
                }
            }
        }
    }
    let tabled: BTreeSet<String> = ROUTES
        .iter()
        .map(|r| {
            let method = match r.method {
                Method::Get => "GET",
                Method::Post => "POST",
                Method::Put => "PUT",
            };
            format!("{method} {}", normalise(r.path))
        })
        .collect();
    // The OpenAPI document names every API operation the router serves.
    let document = convene_web::api::openapi::document();
    let mut documented = BTreeSet::new();
    for (path, operations) in document["paths"].as_object().unwrap() {
        for method in ["get", "post", "put"] {
            if operations.get(method).is_some() {
                documented.insert(format!("{} {}", method.to_uppercase(), normalise(path)));
            }
        }
    }
    let api: BTreeSet<String> = registered
        .iter()
        .filter(|r| r.contains(" /api/v1/") && !r.ends_with("/openapi.json"))
        .cloned()
        .collect();
    let undocumented: Vec<_> = api.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "API routes missing from the OpenAPI document: {undocumented:?}"
    );
    let phantom: Vec<_> = documented.difference(&api).collect();
    assert!(
        phantom.is_empty(),
        "documented operations the router does not serve: {phantom:?}"
    );
    let missing: Vec<_> = registered.difference(&tabled).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the access table: {missing:?}"
    );
}

/// Path parameters in any spelling become `{}`; the asset route's file name too.
fn normalise(path: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in path.chars() {
        match c {
            '{' => {
                depth += 1;
                out.push_str("{}");
            }
            '}' => depth -= 1,
            _ if depth > 0 => {}
            _ => out.push(c),
        }
    }
    out.replace("/convene.css", "/{}")
}
