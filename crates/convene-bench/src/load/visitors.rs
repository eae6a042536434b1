//! The three kinds of visitor and the requests each makes. Every request is
//! timed from sending to the last byte of the answer; anything but the
//! expected status is an error.

use std::time::{Duration, Instant};

use convene_domain::clock::{Clock, SystemClock};
use convene_domain::identity::second_factor::{code_at, secret_from_base32};
use convene_domain::people::sharing::PRIVACY_NOTICE_VERSION;
use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Account, Recorder, Run};
use crate::rng::Rng;

/// Rounds of inbox work a practitioner does between signing in and out.
const ROUNDS_PER_VISIT: usize = 5;

struct Visitor<'r> {
    run: &'r Run,
    http: reqwest::Client,
    rng: Rng,
    recorder: Recorder,
}

/// The first 36-character id after each `marker` in `text`.
fn ids_after(text: &str, marker: &str) -> Vec<Uuid> {
    text.match_indices(marker)
        .filter_map(|(at, _)| {
            let start = at + marker.len();
            text.get(start..start + 36)?.parse().ok()
        })
        .collect()
}

/// What an error answer says, in a line: the first message of a GOV.UK
/// error summary, else the page title, else the start of the body.
fn gist(body: &str) -> String {
    let between = |start: &str, end: &str| -> Option<String> {
        let from = body.find(start)? + start.len();
        let to = body[from..].find(end)? + from;
        Some(body[from..to].trim().to_string())
    };
    between("<div class=\"govuk-error-summary__body\">", "</div>")
        .map(|list| {
            let text: String = list
                .split('<')
                .map(|part| part.split_once('>').map_or(part, |(_, t)| t))
                .collect();
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .or_else(|| between("<title>", "</title>"))
        .unwrap_or_else(|| {
            body.chars()
                .take(120)
                .collect::<String>()
                .replace('\n', " ")
        })
}

fn csrf_token(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

impl<'r> Visitor<'r> {
    fn new(run: &'r Run, seed: u64) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            // Under the server's 10 s limit for an idle connection
            // (header_timeout_seconds): a visitor waiting for its next
            // second-factor step otherwise reused a connection the server
            // was closing at that moment, and the request never left
            // (1 of 72,887 requests in one run). Browsers retry such a
            // request; this client does not, so it lets them go first.
            .pool_idle_timeout(Duration::from_secs(5))
            .build()?;
        Ok(Visitor {
            run,
            http,
            rng: Rng::new(seed),
            recorder: Recorder::new(run.started),
        })
    }

    async fn think(&mut self) {
        let (low, high) = self.run.think;
        let spread = high.saturating_sub(low).as_millis() as usize;
        let pause = low + Duration::from_millis(self.rng.below(spread + 1) as u64);
        let left = self.run.deadline.saturating_duration_since(Instant::now());
        tokio::time::sleep(pause.min(left)).await;
    }

    /// Sends `request`; the body when the status is `expected`.
    async fn send(
        &mut self,
        kind: &'static str,
        request: reqwest::RequestBuilder,
        expected: StatusCode,
    ) -> Option<String> {
        if !self.run.may_send() {
            return None;
        }
        let Ok(request) = request.build() else {
            self.recorder.error(
                kind,
                Instant::now(),
                "a request that cannot be built".into(),
            );
            return None;
        };
        let path = request.url()[url::Position::BeforePath..].to_string();
        let started = Instant::now();
        let answer = match self.http.execute(request).await {
            Ok(response) => {
                let status = response.status();
                response.text().await.map(|body| (status, body))
            }
            Err(e) => Err(e),
        };
        match answer {
            Ok((status, body)) if status == expected => {
                self.recorder.ok(kind, started);
                Some(body)
            }
            Ok((status, body)) => {
                self.recorder.error(
                    kind,
                    started,
                    format!("{status} for {path}: {}", gist(&body)),
                );
                None
            }
            Err(e) => {
                self.recorder
                    .error(kind, started, format!("{e} for {path}"));
                None
            }
        }
    }

    async fn get(&mut self, kind: &'static str, path: &str) -> Option<String> {
        let request = self.http.get(format!("{}{path}", self.run.base));
        self.send(kind, request, StatusCode::OK).await
    }

    fn done(&self) -> bool {
        !self.run.may_send_later()
    }
}

/// A family: searches find support (by words, need and age, or near a
/// postcode), opens a service, sometimes looks at the next page.
pub async fn family(run: &Run, seed: u64) -> Recorder {
    let Ok(mut v) = Visitor::new(run, seed) else {
        return Recorder::new(run.started);
    };
    while !v.done() {
        if v.rng.chance(0.25) {
            v.get("home page", "/").await;
            v.think().await;
        }
        let query = v.rng.pick(&run.searches).clone();
        let Some(page) = v
            .get("find support: search", &format!("/find-support?{query}"))
            .await
        else {
            v.think().await;
            continue;
        };
        let found = ids_after(&page, "href=\"/find-support/services/");
        v.think().await;
        let service = if found.is_empty() {
            *v.rng.pick(&run.credentials.services)
        } else {
            *v.rng.pick(&found)
        };
        v.get(
            "find support: service page",
            &format!("/find-support/services/{service}"),
        )
        .await;
        v.think().await;
        if v.rng.chance(0.3) {
            v.get(
                "find support: search",
                &format!("/find-support?{query}&page=2"),
            )
            .await;
            v.think().await;
        }
    }
    v.recorder
}

/// A system reading the directory through the ORUK API: pages through
/// services, fetches some whole, and runs searches.
pub async fn api_client(run: &Run, seed: u64) -> Recorder {
    let Ok(mut v) = Visitor::new(run, seed) else {
        return Recorder::new(run.started);
    };
    let pages = (run.credentials.services.len() / 50).max(1);
    let mut page = 1 + v.rng.below(pages);
    while !v.done() {
        let body = v
            .get(
                "ORUK API: page of services",
                &format!("/oruk/services?page={page}&per_page=50"),
            )
            .await;
        page = page % pages + 1;
        let ids = body.map(|b| service_ids(&b)).unwrap_or_default();
        v.think().await;
        if let Some(id) = (!ids.is_empty()).then(|| v.rng.pick(&ids).clone()) {
            v.get("ORUK API: one service", &format!("/oruk/services/{id}"))
                .await;
            v.think().await;
        }
        if v.rng.chance(0.5) {
            let query = v.rng.pick(&run.oruk_queries).clone();
            v.get(
                "ORUK API: search",
                &format!("/oruk/services?{query}&per_page=10"),
            )
            .await;
            v.think().await;
        }
    }
    v.recorder
}

/// A practitioner: signs in (password and code), then works their
/// referrals: the inbox, a referral, a new referral through the API, and
/// moving a received one on; signs out after a few rounds.
pub async fn practitioner(run: &Run, seed: u64, account: Account) -> Recorder {
    let Ok(mut v) = Visitor::new(run, seed) else {
        return Recorder::new(run.started);
    };
    let Some(secret) = secret_from_base32(&account.totp_secret) else {
        v.recorder
            .error("sign in: code", Instant::now(), "bad secret".into());
        return v.recorder;
    };
    // The account may have signed in during the current 30-second step in
    // an earlier run (the baseline run just before uses the same accounts):
    // its code for this step is spent, so start from the next.
    let mut last_step = unix_now() / 30;
    while !v.done() {
        if !sign_in(&mut v, &account, &secret, &mut last_step).await {
            v.think().await;
            continue;
        }
        // Now and then, how their referrals are going over a period.
        if v.rng.chance(0.2) {
            let months = v.rng.pick(&[3, 12, 36]);
            v.get(
                "referral measures (web)",
                &format!("/referrals/measures?months={months}"),
            )
            .await;
            v.think().await;
        }
        for _ in 0..ROUNDS_PER_VISIT {
            if v.done() {
                break;
            }
            work_the_inbox(&mut v, &account).await;
        }
        if let Some(page) = v.get("inbox (web)", "/referrals").await
            && let Some(token) = csrf_token(&page)
        {
            let request = run_post(&v, "/sign-out").form(&[("csrf_token", token)]);
            v.send("sign out", request, StatusCode::SEE_OTHER).await;
        }
        v.think().await;
    }
    v.recorder
}

async fn sign_in(
    v: &mut Visitor<'_>,
    account: &Account,
    secret: &[u8],
    last_step: &mut u64,
) -> bool {
    let run = v.run;
    let Some(form) = v.get("sign in: form", "/sign-in").await else {
        return false;
    };
    let Some(token) = csrf_token(&form) else {
        return false;
    };
    let request = run_post(v, "/sign-in").form(&[
        ("csrf_token", token.as_str()),
        ("email", account.email.as_str()),
        ("password", run.credentials.password.as_str()),
    ]);
    if v.send("sign in: password", request, StatusCode::SEE_OTHER)
        .await
        .is_none()
    {
        return false;
    }
    let Some(form) = v.get("sign in: code form", "/sign-in/second-factor").await else {
        return false;
    };
    let Some(token) = csrf_token(&form) else {
        return false;
    };
    // A code works once: wait for the next 30-second step if this account
    // used the current one.
    let now = unix_now();
    if now / 30 <= *last_step {
        let next = (*last_step + 1) * 30;
        tokio::time::sleep(Duration::from_secs(next.saturating_sub(now))).await;
    }
    let now = unix_now();
    *last_step = now / 30;
    let Some(code) = code_at(secret, now) else {
        return false;
    };
    let request = run_post(v, "/sign-in/second-factor")
        .form(&[("csrf_token", token.as_str()), ("code", code.as_str())]);
    v.send("sign in: code", request, StatusCode::SEE_OTHER)
        .await
        .is_some()
}

fn unix_now() -> u64 {
    u64::try_from(Clock::now(&SystemClock).timestamp()).unwrap_or(0)
}

fn run_post(v: &Visitor<'_>, path: &str) -> reqwest::RequestBuilder {
    v.http.post(format!("{}{path}", v.run.base))
}

async fn work_the_inbox(v: &mut Visitor<'_>, account: &Account) {
    let run = v.run;
    if let Some(page) = v.get("inbox (web)", "/referrals").await {
        let referrals = ids_after(&page, "href=\"/referrals/");
        v.think().await;
        if !referrals.is_empty() {
            let id = *v.rng.pick(&referrals);
            v.get("referral page (web)", &format!("/referrals/{id}"))
                .await;
            v.think().await;
        }
    }
    let service = *v.rng.pick(&run.credentials.services);
    let need = v.rng.pick(&run.credentials.needs).clone();
    let key = format!("load-{}", Uuid::new_v4().simple());
    let body = json!({
        "service_id": service,
        "child": { "given_name": "Robin", "family_name": format!("Load{}", v.rng.below(100_000)),
                   "date_of_birth": "2016-03-01" },
        "parent": { "given_name": "Alex", "family_name": "Load", "relationship": "mother",
                    "phone": "07700 900982" },
        "needs": [need],
        "reason": "The family asked for help with this",
        "urgency": "routine",
        "sharing": { "basis": "consent", "items": ["name", "contact_details", "reason"],
                     "purpose": "So the service can offer an appointment",
                     "privacy_notice_version": PRIVACY_NOTICE_VERSION },
        "send": true
    });
    let request = run_post(v, "/api/v1/referrals")
        .bearer_auth(&account.token)
        .header("Idempotency-Key", key)
        .json(&body);
    v.send("API: create referral", request, StatusCode::CREATED)
        .await;
    v.think().await;
    let request = v
        .http
        .get(format!("{}/api/v1/referrals", run.base))
        .bearer_auth(&account.token);
    let Some(list) = v.send("API: referral lists", request, StatusCode::OK).await else {
        return;
    };
    v.think().await;
    let Some((id, transition)) = movable(&list) else {
        return;
    };
    let request = v
        .http
        .get(format!("{}/api/v1/referrals/{id}", run.base))
        .bearer_auth(&account.token);
    let version = v
        .send("API: one referral", request, StatusCode::OK)
        .await
        .and_then(|body| serde_json::from_str::<Value>(&body).ok())
        .and_then(|referral| referral["version"].as_i64());
    if let Some(version) = version {
        let request = run_post(v, &format!("/api/v1/referrals/{id}/transitions"))
            .bearer_auth(&account.token)
            .header(
                "Idempotency-Key",
                format!("load-{}", Uuid::new_v4().simple()),
            )
            .json(&json!({ "transition": transition, "version": version }));
        v.send("API: move a referral on", request, StatusCode::OK)
            .await;
        v.think().await;
    }
}

/// The ids of the services on a page of the ORUK API.
fn service_ids(page: &str) -> Vec<String> {
    serde_json::from_str::<Value>(page)
        .ok()
        .and_then(|v| {
            v["contents"].as_array().map(|services| {
                services
                    .iter()
                    .filter_map(|s| s["id"].as_str().map(str::to_string))
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// A received referral that can move on (sent: open it; opened: accept
/// it).
fn movable(list: &str) -> Option<(String, &'static str)> {
    let value: Value = serde_json::from_str(list).ok()?;
    value["organisations"]
        .as_array()?
        .iter()
        .flat_map(|o| o["received"].as_array().into_iter().flatten())
        .find_map(|r| {
            let transition = match r["state"].as_str()? {
                "sent" => "open",
                "opened" => "accept",
                _ => return None,
            };
            Some((r["id"].as_str()?.to_string(), transition))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_tokens_are_read_from_pages() {
        let id = "5f0c2c0e-2d3a-4c55-9a0e-8d4f1b2c3d4e";
        let page = format!(
            "<a href=\"/referrals/{id}\">x</a><a href=\"/referrals/new\">n</a>\
             <input type=\"hidden\" name=\"csrf_token\" value=\"abc123\">"
        );
        assert_eq!(
            ids_after(&page, "href=\"/referrals/"),
            vec![id.parse::<Uuid>().unwrap()]
        );
        assert_eq!(csrf_token(&page).as_deref(), Some("abc123"));
        assert_eq!(csrf_token("<p>no form</p>"), None);
    }

    #[test]
    fn a_sent_or_opened_received_referral_moves_on() {
        let list = r#"{"organisations":[{"received":[
            {"id":"a","state":"closed","version":6},
            {"id":"b","state":"opened","version":3}],"sent":[]}]}"#;
        assert_eq!(movable(list), Some(("b".to_string(), "accept")));
        assert_eq!(movable(r#"{"organisations":[]}"#), None);
    }

    #[test]
    fn errors_are_told_in_a_line() {
        let page = "<title>Error: Find support - Convene</title><div class=\"govuk-error-summary__body\">\n<ul><li><a href=\"#postcode\">Enter a real postcode</a></li></ul></div>";
        assert_eq!(gist(page), "Enter a real postcode");
        assert_eq!(gist("<title>Not found</title>"), "Not found");
        assert_eq!(gist("{\"error\":\"bad\"}"), "{\"error\":\"bad\"}");
    }

    #[test]
    fn only_the_services_own_ids_are_taken_from_an_oruk_page() {
        let page = r#"{"contents":[{"id":"s1","organization":{"id":"o1"}},{"id":"s2"}]}"#;
        assert_eq!(service_ids(page), ["s1", "s2"]);
    }
}
