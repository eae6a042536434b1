//! `convene-bench load`: a mixed workload of virtual visitors against a
//! running Convene, for a fixed time and at most a fixed number of
//! requests, then a report: per request type the count, errors and
//! p50/p95/p99, the throughput, the same over every request for each
//! half minute of the run, and what the machine did in each half minute
//! (the server's memory, CPU and disk traffic; CPU and disk pressure).
//!
//! Visitors are closed loops with think time: each waits for its answer,
//! reads it, pauses as a person would (uniformly between the two think
//! times), and goes on. Three kinds, in proportion: families finding
//! support, practitioners working their referrals, and systems paging
//! the ORUK API.

mod machine;
mod report;
mod visitors;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Deserialize;
use uuid::Uuid;

pub use report::Recorder;

pub struct Settings {
    pub base: String,
    pub clients: usize,
    pub duration: Duration,
    pub max_requests: u64,
    pub think: (Duration, Duration),
    /// Shares of families, practitioners and API clients (summing to 100).
    pub mix: (usize, usize, usize),
    pub credentials: PathBuf,
    pub queries: PathBuf,
    pub server_pid: Option<u32>,
    pub out: Option<PathBuf>,
    pub seed: u64,
}

#[derive(Deserialize)]
pub struct Credentials {
    pub password: String,
    pub accounts: Vec<Account>,
    pub services: Vec<Uuid>,
    pub needs: Vec<String>,
}

#[derive(Deserialize, Clone)]
pub struct Account {
    pub email: String,
    pub totp_secret: String,
    pub token: String,
}

/// What every visitor shares: where to go, what to ask, when to stop.
pub struct Run {
    pub base: String,
    pub credentials: Credentials,
    /// Find-support query strings.
    pub searches: Vec<String>,
    /// ORUK /services query strings.
    pub oruk_queries: Vec<String>,
    pub think: (Duration, Duration),
    /// When the run started: requests are also reported by when they
    /// started, from here.
    pub started: Instant,
    pub deadline: Instant,
    pub max_requests: u64,
    pub sent: AtomicU64,
    pub stop: AtomicBool,
}

impl Run {
    /// Whether another request may go: before the deadline and within the
    /// count. Counts the request when it may.
    pub fn may_send(&self) -> bool {
        if self.stop.load(Ordering::Relaxed) || Instant::now() >= self.deadline {
            return false;
        }
        if self.sent.fetch_add(1, Ordering::Relaxed) >= self.max_requests {
            self.stop.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }

    /// Whether there is time and count left (without counting a request).
    pub fn may_send_later(&self) -> bool {
        !self.stop.load(Ordering::Relaxed) && Instant::now() < self.deadline
    }
}

/// `search=...&postcode=...&proximity=...` from the directory benchmark's
/// query files, as find-support's own fields.
fn find_support_query(oruk: &str) -> String {
    let mut out = Vec::new();
    for pair in oruk.split('&') {
        let Some((key, value)) = pair.split_once('=') else {
            continue;
        };
        match key {
            "search" => out.push(format!("q={value}")),
            "postcode" => out.push(format!("postcode={value}")),
            "proximity" => {
                let miles = match value.parse::<u32>().unwrap_or(0) {
                    0..=5_000 => 3,
                    5_001..=10_000 => 5,
                    _ => 10,
                };
                out.push(format!("radius={miles}"));
            }
            "minimum_age" => out.push(format!("age={value}")),
            _ => {}
        }
    }
    out.join("&")
}

fn read_queries(dir: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let mut all = Vec::new();
    for name in ["text", "need_age", "distance"] {
        let path = dir.join(format!("{name}.txt"));
        let text =
            std::fs::read_to_string(&path).with_context(|| format!("read {}", path.display()))?;
        all.extend(text.lines().filter(|l| !l.is_empty()).map(str::to_string));
    }
    if all.is_empty() {
        anyhow::bail!("no queries in {}", dir.display());
    }
    Ok(all)
}

pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let text = std::fs::read(&settings.credentials)
        .with_context(|| format!("read {}", settings.credentials.display()))?;
    let credentials: Credentials = serde_json::from_slice(&text).context("the credentials file")?;
    let oruk_queries = read_queries(&settings.queries)?;
    let searches = oruk_queries.iter().map(|q| find_support_query(q)).collect();
    let (families, practitioners, _) = settings.mix;
    let practitioner_count = settings.clients * practitioners / 100;
    if practitioner_count > credentials.accounts.len() {
        anyhow::bail!(
            "{practitioner_count} practitioners need as many accounts; the caseload has {}",
            credentials.accounts.len()
        );
    }
    let family_count = settings.clients * families / 100;
    let started = Instant::now();
    let run = Arc::new(Run {
        base: settings.base.trim_end_matches('/').to_string(),
        credentials,
        searches,
        oruk_queries,
        think: settings.think,
        started,
        deadline: started + settings.duration,
        max_requests: settings.max_requests,
        sent: AtomicU64::new(0),
        stop: AtomicBool::new(false),
    });
    let watch = settings.server_pid.map(|pid| machine::watch(pid, started));
    let mut tasks = Vec::with_capacity(settings.clients);
    for n in 0..settings.clients {
        let run = run.clone();
        let seed = settings.seed.wrapping_mul(1_000_003).wrapping_add(n as u64);
        // Visitors arrive over the first ten seconds, not all at once.
        let arrival = Duration::from_millis((n as u64 * 10_000) / settings.clients.max(1) as u64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(arrival).await;
            if n < family_count {
                visitors::family(&run, seed).await
            } else if n < family_count + practitioner_count {
                let account = run.credentials.accounts[n - family_count].clone();
                visitors::practitioner(&run, seed, account).await
            } else {
                visitors::api_client(&run, seed).await
            }
        }));
    }
    let mut recorder = Recorder::new(started);
    for task in tasks {
        recorder.merge(task.await.context("a visitor panicked")?);
    }
    let elapsed = started.elapsed();
    let readings = match watch {
        Some(watch) => watch.finish().await,
        None => Vec::new(),
    };
    let summary = recorder.summary(elapsed, settings.clients, &readings);
    print!("{}", summary.markdown());
    if let Some(out) = &settings.out {
        std::fs::write(out, serde_json::to_vec_pretty(&summary)?)
            .with_context(|| format!("write {}", out.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oruk_queries_become_find_support_fields() {
        assert_eq!(
            find_support_query("search=food+bank&postcode=LS12+4QB&proximity=8000"),
            "q=food+bank&postcode=LS12+4QB&radius=5"
        );
        assert_eq!(
            find_support_query("search=youth&taxonomy_term_id=abc&minimum_age=5&maximum_age=9"),
            "q=youth&age=5"
        );
    }
}
