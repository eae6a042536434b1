//! Directory imports as runs: the stages a run passes through, what it has
//! done so far, and the problems worth showing to the person who asked.
//!
//! A feed import lists the feed's services, fetches each one into staging,
//! and only then stores them in the directory, so a feed that fails while
//! being fetched leaves the directory as it was, and a later attempt picks
//! up from what was already fetched.

use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::RecordError;

/// Problems kept per kind; beyond this only the number is kept, so a feed
/// that is wrong everywhere cannot fill the database with reports.
pub const PROBLEMS_KEPT: usize = 500;

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStatus {
    /// Waiting for the worker.
    Queued,
    /// Listing the feed and fetching its services into staging.
    Fetching,
    /// Storing the fetched services in the directory.
    Storing,
    Finished,
    /// Stopped by an error; what was fetched is kept for another attempt.
    Failed,
}

impl ImportStatus {
    pub const ALL: [ImportStatus; 5] = [
        Self::Queued,
        Self::Fetching,
        Self::Storing,
        Self::Finished,
        Self::Failed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Fetching => "fetching",
            Self::Storing => "storing",
            Self::Finished => "finished",
            Self::Failed => "failed",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Still to do or being done.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Queued | Self::Fetching | Self::Storing)
    }

    /// What a coordinator reads.
    pub fn label(self) -> &'static str {
        match self {
            Self::Queued => "Waiting to start",
            Self::Fetching => "Fetching services",
            Self::Storing => "Saving to the directory",
            Self::Finished => "Finished",
            Self::Failed => "Stopped",
        }
    }
}

impl fmt::Display for ImportStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A refused record, as kept with its run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub record: String,
    pub field: String,
    pub reason: String,
}

impl From<&RecordError> for Refusal {
    fn from(error: &RecordError) -> Self {
        Self {
            record: error.record.clone(),
            field: error.field.clone(),
            reason: error.reason.clone(),
        }
    }
}

/// What went wrong or needs a person, record by record (up to
/// [`PROBLEMS_KEPT`] of each kind, with the full counts).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportProblems {
    pub refused: Vec<Refusal>,
    pub refused_count: u64,
    /// Services edited in Convene since they were imported: not overwritten.
    pub conflicts: Vec<String>,
    pub conflict_count: u64,
    pub warnings: Vec<String>,
    pub warning_count: u64,
}

impl ImportProblems {
    pub fn refuse(&mut self, error: &RecordError) {
        self.refused_count += 1;
        if self.refused.len() < PROBLEMS_KEPT {
            self.refused.push(error.into());
        }
    }

    pub fn conflict(&mut self, service: String) {
        self.conflict_count += 1;
        if self.conflicts.len() < PROBLEMS_KEPT {
            self.conflicts.push(service);
        }
    }

    pub fn warn(&mut self, warning: String) {
        self.warning_count += 1;
        if self.warnings.len() < PROBLEMS_KEPT {
            self.warnings.push(warning);
        }
    }

    /// Adds another batch's problems.
    pub fn absorb(&mut self, other: ImportProblems) {
        self.refused_count += other.refused_count;
        self.conflict_count += other.conflict_count;
        self.warning_count += other.warning_count;
        let room = PROBLEMS_KEPT.saturating_sub(self.refused.len());
        self.refused.extend(other.refused.into_iter().take(room));
        let room = PROBLEMS_KEPT.saturating_sub(self.conflicts.len());
        self.conflicts
            .extend(other.conflicts.into_iter().take(room));
        let room = PROBLEMS_KEPT.saturating_sub(self.warnings.len());
        self.warnings.extend(other.warnings.into_iter().take(room));
    }
}

/// One import run, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRun {
    pub id: Uuid,
    /// The feed's base URL.
    pub source: String,
    /// Everything, not only what changed since the last complete import;
    /// services the feed no longer lists are then marked inactive.
    pub full: bool,
    pub status: ImportStatus,
    pub requested_by: Option<Uuid>,
    pub requested_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Only services changed after this were asked for.
    pub modified_after: Option<DateTime<Utc>>,
    /// The feed's list of services has been read and staged.
    pub listed: bool,
    pub total: u64,
    pub fetched: u64,
    /// Staged services dealt with (stored, left alone or refused).
    pub stored: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// Services no longer listed by a full import, marked inactive.
    pub closed: u64,
    pub problems: ImportProblems,
    /// Why the run stopped, for a failed run.
    pub message: Option<String>,
}

impl ImportRun {
    /// How far the run is, 0 to 100: fetching is the first half of the
    /// work and storing the second.
    pub fn percent_done(&self) -> u8 {
        match self.status {
            ImportStatus::Finished => 100,
            ImportStatus::Queued => 0,
            _ if !self.listed || self.total == 0 => 0,
            _ => {
                let done = self.fetched.min(self.total) + self.stored.min(self.total);
                (done * 100 / (2 * self.total)).min(99) as u8
            }
        }
    }

    /// One line for people: what happened so far.
    pub fn summary(&self) -> String {
        format!(
            "{} created, {} updated, {} unchanged, {} conflicts left for review, {} refused",
            self.created,
            self.updated,
            self.unchanged,
            self.problems.conflict_count,
            self.problems.refused_count
        )
    }
}

/// Whether a feed at `address` may be fetched when imports are limited to
/// public addresses: not this machine, its private networks, link-local
/// addresses (where cloud metadata services answer) or anything else that
/// only makes sense inside a network.
pub fn is_public_address(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                // Shared address space (carrier-grade NAT), 100.64.0.0/10.
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_address(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // Unique local fc00::/7 and link-local fe80::/10.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(status: ImportStatus, total: u64, fetched: u64, stored: u64) -> ImportRun {
        ImportRun {
            id: Uuid::nil(),
            source: "https://feed.example/oruk".into(),
            full: false,
            status,
            requested_by: None,
            requested_at: DateTime::UNIX_EPOCH,
            started_at: None,
            finished_at: None,
            modified_after: None,
            listed: true,
            total,
            fetched,
            stored,
            created: 0,
            updated: 0,
            unchanged: 0,
            closed: 0,
            problems: ImportProblems::default(),
            message: None,
        }
    }

    #[test]
    fn progress_counts_fetching_then_storing() {
        assert_eq!(run(ImportStatus::Queued, 10, 0, 0).percent_done(), 0);
        assert_eq!(run(ImportStatus::Fetching, 10, 5, 0).percent_done(), 25);
        assert_eq!(run(ImportStatus::Storing, 10, 10, 5).percent_done(), 75);
        // Never 100 until it has really finished.
        assert_eq!(run(ImportStatus::Storing, 10, 10, 10).percent_done(), 99);
        assert_eq!(run(ImportStatus::Finished, 10, 10, 10).percent_done(), 100);
        assert_eq!(run(ImportStatus::Fetching, 0, 0, 0).percent_done(), 0);
    }

    #[test]
    fn problems_are_counted_beyond_what_is_kept() {
        let mut problems = ImportProblems::default();
        let error = RecordError {
            record: "x".into(),
            field: "name".into(),
            reason: "missing".into(),
        };
        for _ in 0..PROBLEMS_KEPT + 3 {
            problems.refuse(&error);
        }
        let mut more = ImportProblems::default();
        more.refuse(&error);
        more.conflict("y".into());
        problems.absorb(more);
        assert_eq!(problems.refused.len(), PROBLEMS_KEPT);
        assert_eq!(problems.refused_count, PROBLEMS_KEPT as u64 + 4);
        assert_eq!(problems.conflicts, vec!["y".to_string()]);
        assert_eq!(problems.conflict_count, 1);
    }

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public_address(private.parse().unwrap()), "{private}");
        }
        for public in ["81.2.69.160", "100.128.0.1", "2a00:1450:4009::1"] {
            assert!(is_public_address(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn status_codes_round_trip() {
        for status in ImportStatus::ALL {
            assert_eq!(ImportStatus::parse(status.code()), Some(status));
        }
        assert_eq!(ImportStatus::parse("running"), None);
    }
}
