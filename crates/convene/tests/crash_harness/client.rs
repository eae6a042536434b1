//! The harness's clients: a seeded random source, the requests they make
//! (create a referral, move one on) with their Idempotency-Keys, what was
//! acknowledged, and the loop each client runs until the server dies.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use convene_domain::people::sharing::PRIVACY_NOTICE_VERSION;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{convene, run, stderr, stdout};

/// xorshift64*: small, seeded, good enough to pick moments and actions.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

pub fn convene_ok(dir: &Path, url: &str, args: &[&str]) -> String {
    let output = run({
        let mut c = convene(dir, url);
        c.args(args);
        c
    });
    assert!(
        output.status.success(),
        "convene {args:?} failed:\n{}\n{}",
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}

pub fn token(dir: &Path, url: &str, user: &str) -> String {
    convene_ok(
        dir,
        url,
        &["token", "create", "--user", user, "--scopes", "referrals"],
    )
    .lines()
    .next()
    .unwrap_or_default()
    .trim()
    .to_string()
}

/// A request the client sent; kept, with its key, until it is acknowledged.
#[derive(Clone, Debug)]
pub enum Op {
    Create {
        key: String,
        body: Value,
    },
    Move {
        referral: Uuid,
        key: String,
        body: Value,
        to: &'static str,
    },
}

#[derive(Clone, Copy, Debug)]
pub struct Acked {
    pub state: &'static str,
    pub version: i64,
}

#[derive(Default)]
pub struct Shared {
    /// Every referral whose creation was acknowledged, with the state and
    /// version of the last acknowledged answer about it.
    pub acked: Mutex<HashMap<Uuid, Acked>>,
    /// Acknowledged referrals no request is in flight or pending for, that
    /// can still move on.
    pub ready: Mutex<Vec<Uuid>>,
    /// Requests without a definite answer, to retry with the same key.
    pub pending: Mutex<Vec<Op>>,
    pub creates: AtomicU64,
    pub moves: AtomicU64,
    pub failed: AtomicU64,
    pub replayed: AtomicU64,
    /// Answers other than 2xx (the server was up and said no).
    pub refused: Mutex<Vec<String>>,
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub referrer: String,
    pub receiver: String,
}

impl Client {
    /// Sends `op`; `Ok` with the answer when acknowledged (2xx and a body).
    pub async fn send(&self, op: &Op, shared: &Shared) -> Result<Value, ()> {
        let (path, token, key, body) = match op {
            Op::Create { key, body } => {
                ("/api/v1/referrals".to_string(), &self.referrer, key, body)
            }
            Op::Move {
                referral,
                key,
                body,
                ..
            } => (
                format!("/api/v1/referrals/{referral}/transitions"),
                &self.receiver,
                key,
                body,
            ),
        };
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(body)
            .send()
            .await
            .map_err(|_| ())?;
        let status = response.status();
        let replayed = response.headers().contains_key("idempotent-replayed");
        let text = response.text().await.map_err(|_| ())?;
        if !status.is_success() {
            shared
                .refused
                .lock()
                .unwrap()
                .push(format!("{status} for {op:?}: {text}"));
            return Err(());
        }
        if replayed {
            shared.replayed.fetch_add(1, Ordering::Relaxed);
        }
        serde_json::from_str(&text).map_err(|_| ())
    }

    /// Sends `op` and records what came of it.
    pub async fn perform(&self, op: Op, shared: &Shared) -> bool {
        let Ok(answer) = self.send(&op, shared).await else {
            shared.failed.fetch_add(1, Ordering::Relaxed);
            shared.pending.lock().unwrap().push(op);
            return false;
        };
        let id: Uuid = answer["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("no id in {answer}"));
        let state = match answer["state"].as_str() {
            Some("sent") => "sent",
            Some("opened") => "opened",
            Some("accepted") => "accepted",
            other => panic!("unexpected state {other:?} in {answer}"),
        };
        let version = answer["version"].as_i64().expect("a version");
        match op {
            Op::Create { .. } => {
                assert_eq!((state, version), ("sent", 2), "{answer}");
                let first = shared
                    .acked
                    .lock()
                    .unwrap()
                    .insert(id, Acked { state, version });
                assert!(first.is_none(), "two creations answered with {id}");
                shared.creates.fetch_add(1, Ordering::Relaxed);
            }
            Op::Move { referral, to, .. } => {
                assert_eq!((id, state), (referral, to), "{answer}");
                let mut acked = shared.acked.lock().unwrap();
                let known = acked.get_mut(&id).expect("moved an acknowledged referral");
                assert_eq!(version, known.version + 1, "{answer}");
                *known = Acked { state, version };
                shared.moves.fetch_add(1, Ordering::Relaxed);
            }
        }
        if state != "accepted" {
            shared.ready.lock().unwrap().push(id);
        }
        true
    }
}

pub fn create_op(service: Uuid, rng: &mut Rng) -> Op {
    let key = format!("crash-create-{}", Uuid::new_v4().simple());
    let body = json!({
        "service_id": service,
        "child": { "given_name": "Robin", "family_name": format!("Crash{}", rng.below(100_000)),
                   "date_of_birth": "2015-05-01" },
        "parent": { "given_name": "Alex", "family_name": "Crash", "relationship": "mother",
                    "phone": "07700 900982" },
        "needs": ["mental-health"],
        "reason": format!("Crash harness referral {key}"),
        "urgency": "soon",
        "sharing": { "basis": "consent", "items": ["name", "contact_details", "reason"],
                     "purpose": "So the service can offer an appointment",
                     "privacy_notice_version": PRIVACY_NOTICE_VERSION },
        "send": true
    });
    Op::Create { key, body }
}

pub fn move_op(referral: Uuid, acked: Acked) -> Op {
    let (transition, to) = match acked.state {
        "sent" => ("open", "opened"),
        "opened" => ("accept", "accepted"),
        other => panic!("{referral} cannot move on from {other}"),
    };
    Op::Move {
        referral,
        key: format!("crash-move-{}", Uuid::new_v4().simple()),
        body: json!({ "transition": transition, "version": acked.version }),
        to,
    }
}

/// One client: retries what is pending, else moves a referral on (one in
/// three) or creates one, until told to stop.
pub async fn client_loop(
    client: Arc<Client>,
    shared: Arc<Shared>,
    stop: Arc<AtomicBool>,
    seed: u64,
    service: Uuid,
) {
    let mut rng = Rng::new(seed);
    while !stop.load(Ordering::Relaxed) {
        let retry = shared.pending.lock().unwrap().pop();
        let op = match retry {
            Some(op) => op,
            None => {
                let picked = if rng.below(3) == 0 {
                    let mut ready = shared.ready.lock().unwrap();
                    if ready.is_empty() {
                        None
                    } else {
                        let at = rng.below(ready.len() as u64) as usize;
                        Some(ready.swap_remove(at))
                    }
                } else {
                    None
                };
                match picked {
                    Some(referral) => {
                        let acked = shared.acked.lock().unwrap()[&referral];
                        move_op(referral, acked)
                    }
                    None => create_op(service, &mut rng),
                }
            }
        };
        if !client.perform(op, &shared).await {
            // The server is probably down; do not spin.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// One last attempt at an unanswered request.
pub async fn settle(client: &Client, op: Op, shared: &Shared) -> Result<(), ()> {
    let before = shared.pending.lock().unwrap().len();
    if client.perform(op, shared).await {
        Ok(())
    } else {
        // `perform` queued it again; this loop retries it itself.
        let mut pending = shared.pending.lock().unwrap();
        if pending.len() > before {
            pending.pop();
        }
        Err(())
    }
}
