//! Storing a batch at once gives exactly what storing the same services one
//! by one gives: the same outcomes, rows, terms and change sequence. On
//! both backends.

use chrono::{TimeZone, Utc};
use convene_domain::directory::{ServiceRecord, parse_service};
use convene_store::directory::{bulk, services};
use convene_store::testing::TestDatabase;
use convene_store::{Backend, Store};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

fn record(n: u32, name: &str, organisation: u32, postcode: &str, need: &str) -> ServiceRecord {
    parse_service(&json!({
        "id": format!("00000000-0000-4000-8000-{n:012}"),
        "name": name,
        "description": "Open to every family",
        "status": "active",
        "organization": { "id": format!("10000000-0000-4000-8000-{organisation:012}"), "name": format!("Organisation {organisation}") },
        "attributes": [{ "id": format!("30000000-0000-4000-8000-{n:012}"), "taxonomy_term": {
            "id": format!("40000000-0000-4000-8000-{:012}", need.len()), "name": need, "taxonomy": "needs" } }],
        "service_at_locations": [{
            "id": format!("00000000-0000-4000-9000-{n:012}"),
            "location": { "id": format!("00000000-0000-4000-a000-{n:012}"), "location_type": "physical",
                          "latitude": 53.1, "longitude": -1.8, "addresses": [{ "postal_code": postcode }] }
        }]
    }))
    .unwrap()
}

async fn rows(store: &Store, sql: &str) -> Vec<String> {
    let backend = store.conn().get_database_backend();
    store
        .conn()
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<String>("", "r").unwrap())
        .collect()
}

async fn state(store: &Store) -> Vec<Vec<String>> {
    let cast = |c: &str| match store.backend() {
        Backend::Postgres => format!("CAST({c} AS TEXT)"),
        Backend::Sqlite => format!("hex({c})"),
    };
    vec![
        rows(store, &format!("SELECT {} || name || document || source AS r FROM services ORDER BY id", cast("id"))).await,
        rows(store, &format!("SELECT {} || {} || COALESCE(postcode, '') AS r FROM service_at_locations ORDER BY id", cast("id"), cast("service_id"))).await,
        rows(store, &format!("SELECT {} || {} AS r FROM service_terms ORDER BY service_id, term_id", cast("service_id"), cast("term_id"))).await,
        rows(store, &format!("SELECT {} || name AS r FROM taxonomy_terms ORDER BY id", cast("id"))).await,
        rows(store, &format!("SELECT {} || {} AS r FROM directory_changes ORDER BY seq", cast("seq"), cast("service_id"))).await,
        rows(store, &format!("SELECT {} || name AS r FROM organisations ORDER BY id", cast("id"))).await,
    ]
}

async fn same_as_one_by_one(backend: Backend) {
    let (Some(one), Some(many)) = (
        TestDatabase::for_backend(backend).await,
        TestDatabase::for_backend(backend).await,
    ) else {
        return;
    };
    let (one_store, many_store) = (one.store().await, many.store().await);
    let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
    let first: Vec<ServiceRecord> = (0..30)
        .map(|n| {
            record(
                n,
                &format!("Group {n}"),
                n % 4,
                "BK1 1AA",
                if n % 2 == 0 { "food" } else { "parenting" },
            )
        })
        .collect();
    // Edited in Convene: the import must leave it alone.
    let local = record(99, "Our own group", 1, "BK2 2BB", "food");
    let mut second = first.clone();
    second[3] = record(3, "Group 3 renamed", 3, "BK3 2EA", "housing");
    second[7] = record(7, "Group 7 moved", 2, "BK2 2BB", "food");
    second.push(record(40, "A new group", 9, "BK1 1AA", "money"));
    second.push(record(
        99,
        "Our own group as the feed has it",
        1,
        "BK2 2BB",
        "food",
    ));
    // The same service twice in one batch: the later wins.
    second.push(record(41, "Twice, first", 5, "BK1 1AA", "food"));
    second.push(record(41, "Twice, second", 5, "BK1 1AA", "food"));

    let mut outcomes_one = Vec::new();
    let mut outcomes_many = Vec::new();
    for (store, outcomes, bulk_write) in [
        (&one_store, &mut outcomes_one, false),
        (&many_store, &mut outcomes_many, true),
    ] {
        let local = local.clone();
        store
            .transaction(move |txn| {
                Box::pin(
                    async move { services::upsert(txn, &local, services::LOCAL_SOURCE, t0).await },
                )
            })
            .await
            .unwrap();
        for batch in [first.clone(), second.clone()] {
            let got = store
                .transaction(move |txn| {
                    Box::pin(async move {
                        if bulk_write {
                            bulk::upsert_many(txn, &batch, "import:feed", t0).await
                        } else {
                            let mut all = Vec::new();
                            for record in &batch {
                                all.push(services::upsert(txn, record, "import:feed", t0).await?);
                            }
                            Ok(all)
                        }
                    })
                })
                .await
                .unwrap();
            outcomes.push(got);
        }
    }
    assert_eq!(outcomes_one, outcomes_many);
    assert!(outcomes_many[1].contains(&services::Stored::Conflict));
    assert!(outcomes_many[1].contains(&services::Stored::Unchanged));
    assert_eq!(state(&one_store).await, state(&many_store).await);
    one_store.close().await.unwrap();
    many_store.close().await.unwrap();
    one.finish().await;
    many.finish().await;
}

#[tokio::test]
async fn a_batch_stores_what_one_by_one_stores_on_sqlite() {
    same_as_one_by_one(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_batch_stores_what_one_by_one_stores_on_postgres() {
    same_as_one_by_one(Backend::Postgres).await;
}
