//! Retention: people whose referrals all finished longer ago than the
//! configured period are anonymised (see `convene_store::people::rights`),
//! each in its own transaction with an audit event. The audit trail and the
//! shape of their referrals stay, for statistics.

use chrono::Duration;
use convene_domain::audit::{AuditAction, AuditEntry};
use convene_domain::clock::SharedClock;
use convene_domain::sealing::DataKeys;
use convene_store::people::rights;
use convene_store::{Store, StoreError, audit};

/// Anonymises everyone due on the clock's today; returns how many.
pub async fn run_once(
    store: &Store,
    keys: &DataKeys,
    clock: &SharedClock,
    keep: Duration,
) -> Result<usize, StoreError> {
    let now = clock.now();
    let due = rights::due_for_retention(store.conn(), now - keep).await?;
    let mut done = 0;
    for person in due {
        let keys = keys.clone();
        let entry = AuditEntry::new(AuditAction::PersonAnonymised, now)
            .on("person", person)
            .about(person)
            .because("retention period ended");
        let anonymised = store
            .transaction(move |txn| {
                Box::pin(async move {
                    rights::anonymise(txn, &keys, person, now).await?;
                    audit::record_in(txn, entry).await
                })
            })
            .await;
        match anonymised {
            Ok(_) => done += 1,
            // A referral reopened meanwhile: next time.
            Err(StoreError::Refused(_)) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(done)
}
