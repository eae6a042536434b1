//! The audit trail on both backends: chained, append-only, tamper-evident.

use chrono::{TimeZone, Utc};
use convene_domain::audit::{AuditAction, AuditEntry};
use convene_store::audit::{self, AuditSearch, Verification};
use convene_store::{Backend, ConnectionTrait, Store, store_test};
use uuid::Uuid;

fn entry(n: u32) -> AuditEntry {
    AuditEntry::new(
        AuditAction::RecordViewed,
        Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, n).unwrap(),
    )
    .by_user(Some(Uuid::from_u128(1)))
    .on("person", n)
    .about(Uuid::from_u128(u128::from(n)))
    .because("referral follow-up")
    .from_address(Some("192.0.2.10".into()))
}

store_test!(events_chain_and_verify, |store| async move {
    for n in 1..=5 {
        let event = audit::record(&store, entry(n)).await.unwrap();
        assert_eq!(event.seq, i64::from(n));
    }
    assert_eq!(
        audit::verify(store.conn()).await.unwrap(),
        Verification::Intact { events: 5 }
    );
    let (found, total) = audit::search(
        store.conn(),
        &AuditSearch {
            subject_person_id: Some(Uuid::from_u128(3)),
            ..Default::default()
        },
        10,
        0,
    )
    .await
    .unwrap();
    assert_eq!(total, 1);
    assert_eq!(
        found[0].entry.purpose.as_deref(),
        Some("referral follow-up")
    );
    assert_eq!(
        audit::views_of_person(store.conn(), Uuid::from_u128(3))
            .await
            .unwrap()
            .len(),
        1
    );
});

store_test!(concurrent_appends_keep_one_chain, |store| async move {
    let mut tasks = Vec::new();
    for n in 0..20 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            audit::record(&store, entry(n)).await.unwrap()
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(
        audit::verify(store.conn()).await.unwrap(),
        Verification::Intact { events: 20 }
    );
});

store_test!(
    the_database_refuses_to_change_or_delete_events,
    |store| async move {
        audit::record(&store, entry(1)).await.unwrap();
        let update = store
            .conn()
            .execute_unprepared("UPDATE audit_events SET action = 'nothing'")
            .await;
        assert!(update.unwrap_err().to_string().contains("append-only"));
        let delete = store
            .conn()
            .execute_unprepared("DELETE FROM audit_events")
            .await;
        assert!(delete.unwrap_err().to_string().contains("append-only"));
        if store.backend() == Backend::Postgres {
            let truncate = store
                .conn()
                .execute_unprepared("TRUNCATE audit_events")
                .await;
            assert!(truncate.unwrap_err().to_string().contains("append-only"));
        }
        assert_eq!(audit::count(store.conn()).await.unwrap(), 1);
    }
);

// Someone with direct database access switches the protection off and edits
// one event: verification names exactly that event.
store_test!(tampering_is_detected_and_named, |store| async move {
    let mut ids = Vec::new();
    for n in 1..=4 {
        ids.push(audit::record(&store, entry(n)).await.unwrap().id);
    }
    tamper(
        &store,
        "UPDATE audit_events SET actor_user_id = subject_person_id WHERE seq = 3",
    )
    .await;
    match audit::verify(store.conn()).await.unwrap() {
        Verification::Broken(broken) => {
            assert_eq!((broken.seq, broken.id), (3, ids[2]));
            assert!(broken.reason.contains("changed"), "{broken}");
        }
        other => panic!("tampering not detected: {other:?}"),
    }
});

store_test!(a_deleted_event_is_detected, |store| async move {
    for n in 1..=4 {
        audit::record(&store, entry(n)).await.unwrap();
    }
    tamper(&store, "DELETE FROM audit_events WHERE seq = 2").await;
    match audit::verify(store.conn()).await.unwrap() {
        Verification::Broken(broken) => assert_eq!(broken.seq, 3),
        other => panic!("deletion not detected: {other:?}"),
    }
});

async fn tamper(store: &Store, sql: &str) {
    let conn = store.conn();
    match store.backend() {
        Backend::Sqlite => {
            conn.execute_unprepared("DROP TRIGGER audit_events_no_update")
                .await
                .unwrap();
            conn.execute_unprepared("DROP TRIGGER audit_events_no_delete")
                .await
                .unwrap();
        }
        Backend::Postgres => {
            conn.execute_unprepared("ALTER TABLE audit_events DISABLE TRIGGER USER")
                .await
                .unwrap();
        }
    }
    conn.execute_unprepared(sql).await.unwrap();
}
