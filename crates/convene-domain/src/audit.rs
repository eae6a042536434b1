//! The audit trail: an append-only, hash-chained record of who did what to
//! which record, when, from where and why.
//!
//! Each event's hash covers its own fields and the previous event's hash, so
//! changing or deleting any stored event breaks every hash after it, and
//! `convene audit verify` names the first broken one.

use std::fmt;

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The hash before the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What happened. Codes are stable: they are stored, hashed and searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    SignInSucceeded,
    SignInFailed,
    SignInThrottled,
    SecondFactorFailed,
    RecoveryCodeUsed,
    SignedOut,
    PasswordChanged,
    PasswordResetRequested,
    PasswordResetCompleted,
    SecondFactorEnabled,
    RecoveryCodesIssued,
    SessionRevoked,
    TokenCreated,
    TokenRevoked,
    TokenRefused,
    UserInvited,
    InvitationAccepted,
    RoleChanged,
    UserDisabled,
    UserEnabled,
    OrganisationCreated,
    SignInSettingsChanged,
    ServiceChangeProposed,
    ServiceChangeDecided,
    DirectoryImportRequested,
    ReferralChanged,
    SharingRecorded,
    SubjectAccessExported,
    PersonAnonymised,
    PeopleMerged,
    PermissionDenied,
    AuditSearched,
    AuditExported,
    AuditViewed,
    RecordViewed,
    /// A coordinator saved a message template, an organisation changed a
    /// service's reminders, or an administrator sent a message again.
    MessagingChanged,
    /// Staff stopped (or restarted) messages to a family, or the family
    /// replied STOP.
    MessagesStopped,
}

impl AuditAction {
    pub const ALL: [AuditAction; 37] = [
        Self::SignInSucceeded,
        Self::SignInFailed,
        Self::SignInThrottled,
        Self::SecondFactorFailed,
        Self::RecoveryCodeUsed,
        Self::SignedOut,
        Self::PasswordChanged,
        Self::PasswordResetRequested,
        Self::PasswordResetCompleted,
        Self::SecondFactorEnabled,
        Self::RecoveryCodesIssued,
        Self::SessionRevoked,
        Self::TokenCreated,
        Self::TokenRevoked,
        Self::TokenRefused,
        Self::UserInvited,
        Self::InvitationAccepted,
        Self::RoleChanged,
        Self::UserDisabled,
        Self::UserEnabled,
        Self::OrganisationCreated,
        Self::SignInSettingsChanged,
        Self::ServiceChangeProposed,
        Self::ServiceChangeDecided,
        Self::DirectoryImportRequested,
        Self::ReferralChanged,
        Self::SharingRecorded,
        Self::SubjectAccessExported,
        Self::PersonAnonymised,
        Self::PeopleMerged,
        Self::PermissionDenied,
        Self::AuditSearched,
        Self::AuditExported,
        Self::AuditViewed,
        Self::RecordViewed,
        Self::MessagingChanged,
        Self::MessagesStopped,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::SignInSucceeded => "sign_in_succeeded",
            Self::SignInFailed => "sign_in_failed",
            Self::SignInThrottled => "sign_in_throttled",
            Self::SecondFactorFailed => "second_factor_failed",
            Self::RecoveryCodeUsed => "recovery_code_used",
            Self::SignedOut => "signed_out",
            Self::PasswordChanged => "password_changed",
            Self::PasswordResetRequested => "password_reset_requested",
            Self::PasswordResetCompleted => "password_reset_completed",
            Self::SecondFactorEnabled => "second_factor_enabled",
            Self::RecoveryCodesIssued => "recovery_codes_issued",
            Self::SessionRevoked => "session_revoked",
            Self::TokenCreated => "token_created",
            Self::TokenRevoked => "token_revoked",
            Self::TokenRefused => "token_refused",
            Self::UserInvited => "user_invited",
            Self::InvitationAccepted => "invitation_accepted",
            Self::RoleChanged => "role_changed",
            Self::UserDisabled => "user_disabled",
            Self::UserEnabled => "user_enabled",
            Self::OrganisationCreated => "organisation_created",
            Self::SignInSettingsChanged => "sign_in_settings_changed",
            Self::ServiceChangeProposed => "service_change_proposed",
            Self::ServiceChangeDecided => "service_change_decided",
            Self::DirectoryImportRequested => "directory_import_requested",
            Self::ReferralChanged => "referral_changed",
            Self::SharingRecorded => "sharing_recorded",
            Self::SubjectAccessExported => "subject_access_exported",
            Self::PersonAnonymised => "person_anonymised",
            Self::PeopleMerged => "people_merged",
            Self::PermissionDenied => "permission_denied",
            Self::AuditSearched => "audit_searched",
            Self::AuditExported => "audit_exported",
            Self::AuditViewed => "audit_viewed",
            Self::RecordViewed => "record_viewed",
            Self::MessagingChanged => "messaging_changed",
            Self::MessagesStopped => "messages_stopped",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// One thing to record. Build with [`AuditEntry::new`] and the `with_`
/// methods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub action: String,
    pub actor_user_id: Option<Uuid>,
    pub actor_organisation_id: Option<Uuid>,
    pub actor_token_id: Option<Uuid>,
    pub object_type: Option<String>,
    pub object_id: Option<String>,
    /// The person the record is about, when it is about someone.
    pub subject_person_id: Option<Uuid>,
    /// Why, where the action needs a reason.
    pub purpose: Option<String>,
    pub client_address: Option<String>,
}

impl AuditEntry {
    /// `at` is kept to the microsecond, the precision both databases store,
    /// so the hash computed now matches the one recomputed later.
    pub fn new(action: AuditAction, at: DateTime<Utc>) -> Self {
        Self {
            at: at.trunc_subsecs(6),
            action: action.code().to_string(),
            actor_user_id: None,
            actor_organisation_id: None,
            actor_token_id: None,
            object_type: None,
            object_id: None,
            subject_person_id: None,
            purpose: None,
            client_address: None,
        }
    }

    pub fn by_user(mut self, user_id: Option<Uuid>) -> Self {
        self.actor_user_id = user_id;
        self
    }

    pub fn by_organisation(mut self, organisation_id: Option<Uuid>) -> Self {
        self.actor_organisation_id = organisation_id;
        self
    }

    pub fn by_token(mut self, token_id: Option<Uuid>) -> Self {
        self.actor_token_id = token_id;
        self
    }

    pub fn on(mut self, object_type: &str, object_id: impl ToString) -> Self {
        self.object_type = Some(object_type.to_string());
        self.object_id = Some(object_id.to_string());
        self
    }

    pub fn about(mut self, person_id: Uuid) -> Self {
        self.subject_person_id = Some(person_id);
        self
    }

    pub fn because(mut self, purpose: impl Into<String>) -> Self {
        self.purpose = Some(purpose.into());
        self
    }

    pub fn from_address(mut self, address: Option<String>) -> Self {
        self.client_address = address;
        self
    }
}

/// A stored event: its place in the chain and its hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    pub seq: i64,
    pub id: Uuid,
    #[serde(flatten)]
    pub entry: AuditEntry,
    pub prev_hash: String,
    pub hash: String,
}

/// The hash of an event: SHA-256 over the previous hash and a canonical
/// JSON array of the event's fields, in a fixed order.
pub fn chain_hash(prev_hash: &str, seq: i64, id: Uuid, entry: &AuditEntry) -> String {
    let canonical = serde_json::json!([
        prev_hash,
        seq,
        id,
        entry.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
        entry.action,
        entry.actor_user_id,
        entry.actor_organisation_id,
        entry.actor_token_id,
        entry.object_type,
        entry.object_id,
        entry.subject_person_id,
        entry.purpose,
        entry.client_address,
    ]);
    hex::encode(Sha256::digest(canonical.to_string().as_bytes()))
}

/// Where the chain first fails.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit event #{seq} ({id}) {reason}")]
pub struct ChainBreak {
    pub seq: i64,
    pub id: Uuid,
    pub reason: String,
}

/// Walks the chain in order, one event at a time, so that a long trail can be
/// checked page by page.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    previous_hash: String,
    previous_seq: i64,
    checked: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            previous_hash: GENESIS_HASH.to_string(),
            previous_seq: 0,
            checked: 0,
        }
    }
}

impl ChainVerifier {
    pub fn check(&mut self, event: &AuditEvent) -> Result<(), ChainBreak> {
        let broken = |reason: &str| ChainBreak {
            seq: event.seq,
            id: event.id,
            reason: reason.to_string(),
        };
        if event.seq != self.previous_seq + 1 {
            return Err(ChainBreak {
                seq: event.seq,
                id: event.id,
                reason: format!(
                    "follows #{}: an event is missing before it",
                    self.previous_seq
                ),
            });
        }
        if event.prev_hash != self.previous_hash {
            return Err(broken("does not link to the event before it"));
        }
        if chain_hash(&event.prev_hash, event.seq, event.id, &event.entry) != event.hash {
            return Err(broken(
                "does not match its hash: it was changed after it was written",
            ));
        }
        self.previous_hash = event.hash.clone();
        self.previous_seq = event.seq;
        self.checked += 1;
        Ok(())
    }

    pub fn checked(&self) -> u64 {
        self.checked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn chain(n: i64) -> Vec<AuditEvent> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let entry = AuditEntry::new(
                    AuditAction::RecordViewed,
                    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap(),
                )
                .by_user(Some(Uuid::from_u128(7)))
                .on("person", seq)
                .about(Uuid::from_u128(seq as u128));
                let id = Uuid::from_u128(1000 + seq as u128);
                let hash = chain_hash(&prev, seq, id, &entry);
                let event = AuditEvent {
                    seq,
                    id,
                    entry,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                event
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        let mut verifier = ChainVerifier::default();
        for event in chain(5) {
            verifier.check(&event).unwrap();
        }
        assert_eq!(verifier.checked(), 5);
    }

    #[test]
    fn a_changed_event_is_named() {
        let mut events = chain(5);
        events[2].entry.actor_user_id = Some(Uuid::from_u128(8));
        let mut verifier = ChainVerifier::default();
        let failure = events.iter().find_map(|e| verifier.check(e).err()).unwrap();
        assert_eq!(failure.seq, 3);
        assert!(failure.to_string().contains("changed after it was written"));
    }

    #[test]
    fn a_deleted_event_is_named() {
        let mut events = chain(5);
        events.remove(1);
        let mut verifier = ChainVerifier::default();
        let failure = events.iter().find_map(|e| verifier.check(e).err()).unwrap();
        assert_eq!(failure.seq, 3);
        assert!(failure.to_string().contains("missing"));
    }

    #[test]
    fn every_action_code_parses_back() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.code()), Some(action));
        }
    }
}
