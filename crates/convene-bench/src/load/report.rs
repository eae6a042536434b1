//! What a load run saw: every request's time by type, every error with a
//! few examples, summarised as percentiles; and what the machine did
//! (`machine`).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::machine::{self, MachineSlice, Memory, Reading};

/// Examples of errors kept, so a report says what went wrong.
const EXAMPLES: usize = 20;

/// The length of the time slices a run is also reported in, by when each
/// request started: the arrival of every visitor on a cold server and the
/// steady state after it differ, and whole-run percentiles hide which is
/// which.
pub const SLICE: Duration = Duration::from_secs(30);

pub struct Recorder {
    /// When the run started: slices are counted from here.
    origin: Instant,
    /// Microseconds, per request type.
    times: BTreeMap<&'static str, Vec<u32>>,
    /// Every request's start (milliseconds into the run), time
    /// (microseconds) and whether it failed.
    timeline: Vec<(u32, u32, bool)>,
    errors: BTreeMap<&'static str, u64>,
    examples: Vec<String>,
}

impl Recorder {
    pub fn new(origin: Instant) -> Self {
        Recorder {
            origin,
            times: BTreeMap::new(),
            timeline: Vec::new(),
            errors: BTreeMap::new(),
            examples: Vec::new(),
        }
    }

    pub fn ok(&mut self, kind: &'static str, started: Instant) {
        let into_run = started.saturating_duration_since(self.origin);
        self.record(kind, into_run, started.elapsed(), false);
    }

    fn record(&mut self, kind: &'static str, into_run: Duration, took: Duration, failed: bool) {
        let micros = u32::try_from(took.as_micros()).unwrap_or(u32::MAX);
        let at = u32::try_from(into_run.as_millis()).unwrap_or(u32::MAX);
        self.times.entry(kind).or_default().push(micros);
        self.timeline.push((at, micros, failed));
    }

    pub fn error(&mut self, kind: &'static str, started: Instant, what: String) {
        let into_run = started.saturating_duration_since(self.origin);
        self.record(kind, into_run, started.elapsed(), true);
        *self.errors.entry(kind).or_default() += 1;
        if self.examples.len() < EXAMPLES {
            self.examples.push(format!("{kind}: {what}"));
        }
    }

    pub fn merge(&mut self, other: Recorder) {
        for (kind, times) in other.times {
            self.times.entry(kind).or_default().extend(times);
        }
        self.timeline.extend(other.timeline);
        for (kind, n) in other.errors {
            *self.errors.entry(kind).or_default() += n;
        }
        let room = EXAMPLES.saturating_sub(self.examples.len());
        self.examples.extend(other.examples.into_iter().take(room));
    }

    pub fn summary(mut self, elapsed: Duration, clients: usize, readings: &[Reading]) -> Summary {
        let mut rows = Vec::new();
        let mut all = Vec::new();
        for (kind, times) in &mut self.times {
            times.sort_unstable();
            all.extend_from_slice(times);
            rows.push(Row::of(
                kind,
                times,
                self.errors.get(kind).copied().unwrap_or(0),
                elapsed,
            ));
        }
        all.sort_unstable();
        let total = Row::of("all", &all, self.errors.values().sum(), elapsed);
        Summary {
            clients,
            seconds: elapsed.as_secs_f64(),
            rows,
            total,
            slices: slices(&self.timeline, elapsed),
            memory: machine::memory(readings),
            machine: machine::slices(readings),
            error_examples: self.examples,
        }
    }
}

#[derive(Serialize)]
pub struct Row {
    pub kind: String,
    pub count: usize,
    pub errors: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// The value at or below which `share` of the sorted `times` fall
/// (nearest rank).
fn percentile(times: &[u32], share: f64) -> f64 {
    if times.is_empty() {
        return 0.0;
    }
    let rank = ((share * times.len() as f64).ceil() as usize).clamp(1, times.len());
    f64::from(times[rank - 1]) / 1000.0
}

impl Row {
    fn of(kind: &str, sorted: &[u32], errors: u64, elapsed: Duration) -> Row {
        Row {
            kind: kind.to_string(),
            count: sorted.len(),
            errors,
            per_second: sorted.len() as f64 / elapsed.as_secs_f64().max(0.001),
            p50_ms: percentile(sorted, 0.50),
            p95_ms: percentile(sorted, 0.95),
            p99_ms: percentile(sorted, 0.99),
            max_ms: percentile(sorted, 1.0),
        }
    }

    fn markdown(&self) -> String {
        format!(
            "| {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.0} |\n",
            self.kind,
            self.count,
            self.errors,
            self.per_second,
            self.p50_ms,
            self.p95_ms,
            self.p99_ms,
            self.max_ms
        )
    }
}

/// All requests (errors too) by the slice of the run in which they
/// started. The last slice may be shorter: its rate is over its own length.
fn slices(timeline: &[(u32, u32, bool)], elapsed: Duration) -> Vec<Row> {
    let slice_ms = SLICE.as_millis() as u32;
    let mut by_slice = BTreeMap::<u32, (Vec<u32>, u64)>::new();
    for (at, micros, failed) in timeline {
        let (times, errors) = by_slice.entry(at / slice_ms).or_default();
        times.push(*micros);
        *errors += u64::from(*failed);
    }
    by_slice
        .into_iter()
        .map(|(n, (mut times, errors))| {
            times.sort_unstable();
            let from = Duration::from_millis(u64::from(n * slice_ms));
            let length = elapsed.saturating_sub(from).min(SLICE);
            let name = format!("{}-{} s", from.as_secs(), (from + length).as_secs());
            Row::of(&name, &times, errors, length)
        })
        .collect()
}

#[derive(Serialize)]
pub struct Summary {
    pub clients: usize,
    pub seconds: f64,
    pub rows: Vec<Row>,
    pub total: Row,
    /// Every request by when it started, [`SLICE`] at a time, errors
    /// included.
    pub slices: Vec<Row>,
    pub memory: Option<Memory>,
    /// The machine by the same slices (empty without the server's pid).
    pub machine: Vec<MachineSlice>,
    pub error_examples: Vec<String>,
}

impl Summary {
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "{} clients for {:.0} s\n\n| request | count | errors | per second | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---|---|---|---|---|---|\n",
            self.clients, self.seconds
        );
        for row in &self.rows {
            out.push_str(&row.markdown());
        }
        out.push_str(&self.total.markdown());
        out.push_str(&format!(
            "\nby when the request started, {} s at a time\n\n| started | count | errors | per second | p50 ms | p95 ms | p99 ms | max ms |\n|---|---|---|---|---|---|---|---|\n",
            SLICE.as_secs()
        ));
        for slice in &self.slices {
            out.push_str(&slice.markdown());
        }
        if let Some(m) = self.memory {
            out.push_str(&format!(
                "\nserver memory (RSS): {:.0} MB at the start, {:.0} MB at most, {:.0} MB at the end\n",
                m.start_mb, m.peak_mb, m.end_mb
            ));
            if let Some(anon) = m.anon_peak_mb {
                out.push_str(&format!(
                    "of which not mapped files (RssAnon): {anon:.0} MB at most\n"
                ));
            }
        }
        if !self.machine.is_empty() {
            out.push_str(&machine::markdown(&self.machine));
        }
        for example in &self.error_examples {
            out.push_str(&format!("error: {example}\n"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let times: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile(&times, 0.50), 50.0);
        assert_eq!(percentile(&times, 0.95), 95.0);
        assert_eq!(percentile(&times, 0.99), 99.0);
        assert_eq!(percentile(&times, 1.0), 100.0);
        assert_eq!(percentile(&[7000], 0.99), 7.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
    }

    #[test]
    fn errors_count_and_merge() {
        let mut a = Recorder::new(Instant::now());
        let mut b = Recorder::new(Instant::now());
        let now = Instant::now();
        a.ok("search", now);
        b.error("search", now, "500".into());
        b.ok("inbox", now);
        a.merge(b);
        let summary = a.summary(Duration::from_secs(1), 2, &[]);
        assert_eq!(summary.total.count, 3);
        assert_eq!(summary.total.errors, 1);
        assert_eq!(summary.rows.len(), 2);
        assert_eq!(summary.error_examples, vec!["search: 500".to_string()]);
        assert_eq!(summary.slices.len(), 1);
        assert_eq!((summary.slices[0].count, summary.slices[0].errors), (3, 1));
    }

    #[test]
    fn requests_are_sliced_by_when_they_started() {
        let mut recorder = Recorder::new(Instant::now());
        let ms = Duration::from_millis;
        // A slow start (two requests of 2 s in the first slice), then fast.
        recorder.record("search", ms(1_000), ms(2_000), false);
        recorder.record("search", ms(29_999), ms(2_000), true);
        recorder.record("search", ms(30_000), ms(4), false);
        recorder.record("inbox", ms(45_000), ms(6), false);
        recorder.record("search", ms(61_000), ms(8), false);
        let summary = recorder.summary(ms(70_000), 1, &[]);
        let seen: Vec<(&str, usize, u64, f64)> = summary
            .slices
            .iter()
            .map(|s| (s.kind.as_str(), s.count, s.errors, s.p95_ms))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("0-30 s", 2, 1, 2000.0),
                ("30-60 s", 2, 0, 6.0),
                ("60-70 s", 1, 0, 8.0)
            ]
        );
        // The last slice's rate is over its own 10 s.
        assert_eq!(summary.slices[2].per_second, 0.1);
        assert_eq!(summary.total.count, 5);
    }
}
