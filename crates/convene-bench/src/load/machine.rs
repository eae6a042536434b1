//! What the machine did during a load run, read from /proc every half
//! second: the server's memory, CPU and disk traffic, the whole machine's
//! CPU use, and the kernel's pressure stall figures (the share of the time
//! some task waited for a CPU, or for the disk). Reported by the same time
//! slices as the requests, so a slow half minute can be put down to the
//! CPU, the disk or the server itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use super::report::SLICE;

/// How often /proc is read.
const EVERY: Duration = Duration::from_millis(500);

/// One reading. Counters only ever grow; a slice is the difference
/// between the readings at its two ends. `None` where /proc did not say
/// (another kernel, or the server gone).
#[derive(Debug, Clone, Copy, Default)]
pub struct Reading {
    /// Milliseconds into the run.
    pub at_ms: u64,
    pub rss_mb: Option<f64>,
    /// The part of it that is the server's own memory rather than pages
    /// of files it has mapped.
    pub anon_mb: Option<f64>,
    /// CPU time the server has used, in clock ticks.
    pub server_ticks: Option<u64>,
    /// Every CPU's ticks, busy and all, and how many CPUs.
    pub machine: Option<CpuTicks>,
    /// Bytes the server has read from and written to storage.
    pub server_io: Option<(u64, u64)>,
    /// Microseconds some task waited for a CPU; for the disk (some, full).
    pub cpu_waited_us: Option<u64>,
    pub io_waited_us: Option<(u64, u64)>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CpuTicks {
    pub busy: u64,
    pub total: u64,
    pub cpus: u64,
}

/// A slice of the run as the machine saw it. Percentages of the slice's
/// length; the server's CPU as a share of one core (so up to 100 times the
/// number of cores).
#[derive(Serialize, Debug, PartialEq)]
pub struct MachineSlice {
    pub name: String,
    pub server_cpu_pct: Option<f64>,
    pub machine_busy_pct: Option<f64>,
    pub cpu_waiting_pct: Option<f64>,
    pub io_waiting_pct: Option<f64>,
    pub io_all_waiting_pct: Option<f64>,
    pub server_read_mb: Option<f64>,
    pub server_written_mb: Option<f64>,
    pub rss_most_mb: Option<f64>,
}

#[derive(Serialize, Clone, Copy)]
pub struct Memory {
    pub start_mb: f64,
    pub peak_mb: f64,
    pub end_mb: f64,
    /// The most of it that was not mapped files.
    pub anon_peak_mb: Option<f64>,
}

/// The server's resident memory over the run, from the readings.
pub fn memory(readings: &[Reading]) -> Option<Memory> {
    let rss: Vec<f64> = readings.iter().filter_map(|r| r.rss_mb).collect();
    Some(Memory {
        start_mb: *rss.first()?,
        peak_mb: rss.iter().copied().reduce(f64::max)?,
        end_mb: *rss.last()?,
        anon_peak_mb: readings.iter().filter_map(|r| r.anon_mb).reduce(f64::max),
    })
}

/// The readings cut into [`SLICE`]s: each slice runs from the last reading
/// before it (or its first) to its last reading.
pub fn slices(readings: &[Reading]) -> Vec<MachineSlice> {
    let slice_ms = SLICE.as_millis() as u64;
    let mut out = Vec::new();
    let mut start: Option<&Reading> = readings.first();
    let mut rest = readings;
    while let Some(first) = rest.first() {
        let n = first.at_ms / slice_ms;
        let len = rest
            .iter()
            .position(|r| r.at_ms / slice_ms != n)
            .unwrap_or(rest.len());
        let (this, later) = rest.split_at(len);
        let (Some(from), Some(to)) = (start, this.last()) else {
            break;
        };
        out.push(between(n, from, to, this));
        start = Some(to);
        rest = later;
    }
    out
}

fn between(n: u64, from: &Reading, to: &Reading, within: &[Reading]) -> MachineSlice {
    let secs = SLICE.as_secs();
    let name = format!("{}-{} s", n * secs, (n + 1) * secs);
    let wall_us = (to.at_ms.saturating_sub(from.at_ms) * 1000) as f64;
    let share = |a: Option<u64>, b: Option<u64>| {
        let (a, b) = (a?, b?);
        (wall_us > 0.0).then(|| b.saturating_sub(a) as f64 * 100.0 / wall_us)
    };
    let machine = from.machine.zip(to.machine).and_then(|(a, b)| {
        let total = b.total.saturating_sub(a.total);
        (total > 0).then_some((a, b, total))
    });
    let mb = |a: u64, b: u64| b.saturating_sub(a) as f64 / 1_048_576.0;
    MachineSlice {
        name,
        server_cpu_pct: machine.and_then(|(_, b, total)| {
            let ticks = to.server_ticks?.saturating_sub(from.server_ticks?);
            // A core's worth of ticks over the slice is total / cpus.
            Some(ticks as f64 * 100.0 * b.cpus as f64 / total as f64)
        }),
        machine_busy_pct: machine
            .map(|(a, b, total)| b.busy.saturating_sub(a.busy) as f64 * 100.0 / total as f64),
        cpu_waiting_pct: share(from.cpu_waited_us, to.cpu_waited_us),
        io_waiting_pct: share(from.io_waited_us.map(|w| w.0), to.io_waited_us.map(|w| w.0)),
        io_all_waiting_pct: share(from.io_waited_us.map(|w| w.1), to.io_waited_us.map(|w| w.1)),
        server_read_mb: from.server_io.zip(to.server_io).map(|(a, b)| mb(a.0, b.0)),
        server_written_mb: from.server_io.zip(to.server_io).map(|(a, b)| mb(a.1, b.1)),
        rss_most_mb: within.iter().filter_map(|r| r.rss_mb).reduce(f64::max),
    }
}

/// The slices as a markdown table.
pub fn markdown(slices: &[MachineSlice]) -> String {
    let mut out = format!(
        "\nthe machine, {} s at a time (server CPU as % of one core; waiting: % of the time some task waited, for all tasks where said)\n\n\
         | slice | server CPU % | machine busy % | waiting for CPU % | waiting for disk % (some / all) | server read MB | server written MB | RSS most MB |\n\
         |---|---|---|---|---|---|---|---|\n",
        SLICE.as_secs()
    );
    let show = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.0}"));
    for s in slices {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} / {} | {} | {} | {} |\n",
            s.name,
            show(s.server_cpu_pct),
            show(s.machine_busy_pct),
            show(s.cpu_waiting_pct),
            show(s.io_waiting_pct),
            show(s.io_all_waiting_pct),
            show(s.server_read_mb),
            show(s.server_written_mb),
            show(s.rss_most_mb),
        ));
    }
    out
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// Resident memory in MB from a /proc/PID/status text: all of it
/// (`VmRSS:`) or the anonymous part (`RssAnon:`).
pub fn parse_rss_mb(status: &str, field: &str) -> Option<f64> {
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// User plus system ticks from a /proc/PID/stat text (fields 14 and 15;
/// counted after the command name, which may hold spaces).
pub fn parse_process_ticks(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

/// The machine's CPU ticks from /proc/stat: busy (everything but idle and
/// waiting for the disk), all, and the number of CPUs.
pub fn parse_machine_ticks(stat: &str) -> Option<CpuTicks> {
    let mut lines = stat.lines();
    let first = lines.next()?.strip_prefix("cpu ")?;
    let ticks: Vec<u64> = first
        .split_whitespace()
        .take(8)
        .map(|t| t.parse().ok())
        .collect::<Option<_>>()?;
    let total: u64 = ticks.iter().sum();
    let idle = ticks.get(3)? + ticks.get(4)?;
    let cpus = lines
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .count() as u64;
    Some(CpuTicks {
        busy: total - idle,
        total,
        cpus: cpus.max(1),
    })
}

/// Storage bytes read and written from a /proc/PID/io text.
pub fn parse_process_io(io: &str) -> Option<(u64, u64)> {
    let field = |name: &str| -> Option<u64> {
        let line = io.lines().find(|l| l.starts_with(name))?;
        line[name.len()..].trim().parse().ok()
    };
    Some((field("read_bytes:")?, field("write_bytes:")?))
}

/// The `total=` microseconds of a /proc/pressure line ("some" or "full").
pub fn parse_pressure(text: &str, kind: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(kind))?;
    let total = line
        .split_whitespace()
        .find_map(|f| f.strip_prefix("total="))?;
    total.parse().ok()
}

fn reading(pid: u32, at_ms: u64) -> Reading {
    let io = read("/proc/pressure/io");
    let status = read(&format!("/proc/{pid}/status"));
    Reading {
        at_ms,
        rss_mb: status.as_deref().and_then(|s| parse_rss_mb(s, "VmRSS:")),
        anon_mb: status.as_deref().and_then(|s| parse_rss_mb(s, "RssAnon:")),
        server_ticks: read(&format!("/proc/{pid}/stat")).and_then(|s| parse_process_ticks(&s)),
        machine: read("/proc/stat").and_then(|s| parse_machine_ticks(&s)),
        server_io: read(&format!("/proc/{pid}/io")).and_then(|s| parse_process_io(&s)),
        cpu_waited_us: read("/proc/pressure/cpu").and_then(|s| parse_pressure(&s, "some")),
        io_waited_us: io
            .as_deref()
            .and_then(|s| Some((parse_pressure(s, "some")?, parse_pressure(s, "full")?))),
    }
}

pub struct MachineWatch {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<Reading>>,
}

/// Reads /proc for the server `pid` every half second, from `origin`,
/// until finished.
pub fn watch(pid: u32, origin: Instant) -> MachineWatch {
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    let task = tokio::spawn(async move {
        let mut readings = Vec::new();
        loop {
            let at_ms = origin.elapsed().as_millis() as u64;
            readings.push(reading(pid, at_ms));
            if flag.load(Ordering::Relaxed) {
                break;
            }
            tokio::time::sleep(EVERY).await;
        }
        readings
    });
    MachineWatch { stop, task }
}

impl MachineWatch {
    pub async fn finish(self) -> Vec<Reading> {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_texts_are_read() {
        let status = "Name:\tconvene\nVmRSS:\t  204800 kB\nRssAnon:\t 102400 kB\nVmSwap: 0 kB\n";
        assert_eq!(parse_rss_mb(status, "VmRSS:"), Some(200.0));
        assert_eq!(parse_rss_mb(status, "RssAnon:"), Some(100.0));
        // A command name with spaces and a parenthesis.
        let stat = "4242 (convene (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9";
        assert_eq!(parse_process_ticks(stat), Some(300));
        let machine = "cpu  100 5 50 800 40 1 4 0 0 0\ncpu0 50 2 25 400 20 0 2 0 0 0\ncpu1 50 3 25 400 20 1 2 0 0 0\nintr 1\n";
        assert_eq!(
            parse_machine_ticks(machine),
            Some(CpuTicks {
                busy: 160,
                total: 1000,
                cpus: 2
            })
        );
        assert_eq!(
            parse_process_io("rchar: 9\nwchar: 8\nread_bytes: 4096\nwrite_bytes: 8192\n"),
            Some((4096, 8192))
        );
        let pressure = "some avg10=1.00 avg60=0.50 avg300=0.10 total=123456\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=789\n";
        assert_eq!(parse_pressure(pressure, "some"), Some(123_456));
        assert_eq!(parse_pressure(pressure, "full"), Some(789));
        assert_eq!(parse_pressure("", "some"), None);
        assert_eq!(parse_rss_mb("Name: x\n", "VmRSS:"), None);
    }

    fn at(
        at_ms: u64,
        rss: f64,
        server: u64,
        busy: u64,
        total: u64,
        io: u64,
        waited: u64,
    ) -> Reading {
        Reading {
            at_ms,
            rss_mb: Some(rss),
            anon_mb: Some(rss / 2.0),
            server_ticks: Some(server),
            machine: Some(CpuTicks {
                busy,
                total,
                cpus: 2,
            }),
            server_io: Some((io, io / 2)),
            cpu_waited_us: Some(waited),
            io_waited_us: Some((waited * 2, waited)),
        }
    }

    #[test]
    fn readings_become_slices_of_differences() {
        let mb = 1_048_576;
        let readings = [
            at(0, 100.0, 0, 0, 0, 0, 0),
            // 30 s on 2 CPUs at 100 ticks a second: 6,000 ticks in all.
            at(29_500, 300.0, 2_950, 2_950, 5_900, 59 * mb, 2_950_000),
            at(30_000, 250.0, 3_000, 3_000, 6_000, 60 * mb, 3_000_000),
            // The next 30 s: idle server, machine a quarter busy, no waits.
            at(60_000, 200.0, 3_000, 4_500, 12_000, 60 * mb, 3_000_000),
        ];
        let slices = slices(&readings);
        assert_eq!(slices.len(), 3);
        let first = &slices[0];
        assert_eq!(first.name, "0-30 s");
        // 2,950 ticks of 5,900 on two CPUs: a whole core.
        assert_eq!(first.server_cpu_pct, Some(100.0));
        assert_eq!(first.machine_busy_pct, Some(50.0));
        assert_eq!(first.cpu_waiting_pct, Some(10.0));
        assert_eq!(first.io_waiting_pct, Some(20.0));
        assert_eq!(first.io_all_waiting_pct, Some(10.0));
        assert_eq!(first.server_read_mb, Some(59.0));
        assert_eq!(first.server_written_mb, Some(29.5));
        assert_eq!(first.rss_most_mb, Some(300.0));
        // The next slice starts where the first ended.
        let second = &slices[1];
        assert_eq!(second.name, "30-60 s");
        assert_eq!(second.server_cpu_pct, Some(100.0));
        assert_eq!(second.server_read_mb, Some(1.0));
        let third = &slices[2];
        assert_eq!(third.server_cpu_pct, Some(0.0));
        assert_eq!(third.machine_busy_pct, Some(25.0));
        assert_eq!(third.cpu_waiting_pct, Some(0.0));
        let memory = memory(&readings).map(|m| (m.start_mb, m.peak_mb, m.end_mb, m.anon_peak_mb));
        assert_eq!(memory, Some((100.0, 300.0, 200.0, Some(150.0))));
    }

    #[test]
    fn what_proc_did_not_say_stays_unsaid() {
        let readings = [
            Reading {
                at_ms: 0,
                ..Reading::default()
            },
            Reading {
                at_ms: 1_000,
                ..Reading::default()
            },
        ];
        let slices = slices(&readings);
        assert_eq!(slices.len(), 1);
        assert_eq!(slices[0].server_cpu_pct, None);
        assert!(markdown(&slices).contains("| 0-30 s | - | - | - | - / - | - | - | - |"));
        assert!(memory(&readings).is_none());
    }
}
