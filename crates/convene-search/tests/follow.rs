//! The index follows the database: built from it, then kept current from
//! the change sequence, on both backends.

use chrono::{TimeZone, Utc};
use convene_domain::directory::parse_service;
use convene_domain::directory::search::SearchQuery;
use convene_store::directory::services;
use convene_store::store_test;
use serde_json::json;
use uuid::Uuid;

fn doc(n: u32, name: &str) -> serde_json::Value {
    json!({
        "id": format!("00000000-0000-4000-8000-{n:012}"),
        "name": name,
        "description": "Open to every family",
        "status": "active",
        "organization": { "id": "10000000-0000-4000-8000-000000000001", "name": "Hub", "description": "A hub" },
        "service_at_locations": [{
            "id": format!("00000000-0000-4000-9000-{n:012}"),
            "location": { "id": format!("00000000-0000-4000-a000-{n:012}"), "location_type": "physical",
                          "latitude": 53.1, "longitude": -1.8, "addresses": [{ "postal_code": "bk1 1aa" }] }
        }]
    })
}

async fn store_service(store: &convene_store::Store, n: u32, name: &str) {
    let record = parse_service(&doc(n, name)).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
    store
        .transaction(move |txn| {
            Box::pin(async move { services::upsert(txn, &record, "import:test", now).await })
        })
        .await
        .unwrap();
}

fn words(text: &str) -> SearchQuery {
    SearchQuery {
        words: text.into(),
        ..Default::default()
    }
}

store_test!(
    the_index_loads_and_follows_every_change,
    |store| async move {
        store_service(&store, 1, "Food bank").await;
        store_service(&store, 2, "Stay and play").await;
        let index = convene_search::load(&store).await.unwrap();
        assert_eq!(index.len(), 2);
        assert_eq!(index.search(&words("food"), 0, 10, &[]).unwrap().total, 1);
        let position = index.applied();
        assert!(position > 0);

        // Nothing new: nothing applied.
        assert_eq!(convene_search::catch_up(&index, &store).await.unwrap(), 0);

        // A change, a new service and a service closed by a full import.
        store_service(&store, 1, "Baby bank").await;
        store_service(&store, 3, "Food pantry").await;
        let now = Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap();
        let listed: std::collections::HashSet<Uuid> =
            [Uuid::parse_str("00000000-0000-4000-8000-000000000001").unwrap()].into();
        let closed = store
            .transaction(move |txn| {
                Box::pin(async move {
                    services::deactivate_missing(txn, "import:test", &listed, now).await
                })
            })
            .await
            .unwrap();
        assert_eq!(
            closed.len(),
            2,
            "Stay and play and Food pantry left the feed"
        );
        assert_eq!(convene_search::catch_up(&index, &store).await.unwrap(), 4);
        assert!(index.applied() > position);
        assert_eq!(index.len(), 1);
        assert_eq!(index.search(&words("food"), 0, 10, &[]).unwrap().total, 0);
        let baby = index.search(&words("baby"), 0, 10, &[]).unwrap();
        assert_eq!(baby.total, 1);

        // Convene's own fields follow too.
        let id = baby.hits[0].id;
        let online = SearchQuery {
            delivery: Some("online".into()),
            ..Default::default()
        };
        assert_eq!(index.search(&online, 0, 10, &[]).unwrap().total, 0);
        store
            .transaction(move |txn| {
                Box::pin(async move {
                    services::set_local_fields(
                        txn,
                        id,
                        &["online".to_string()],
                        "self",
                        Uuid::nil(),
                        now,
                    )
                    .await
                })
            })
            .await
            .unwrap();
        assert_eq!(convene_search::catch_up(&index, &store).await.unwrap(), 1);
        assert_eq!(index.search(&online, 0, 10, &[]).unwrap().total, 1);

        // A fresh index built now agrees with the one that followed.
        let fresh = convene_search::load(&store).await.unwrap();
        assert_eq!(fresh.len(), index.len());
        assert_eq!(fresh.applied(), index.applied());
    }
);

store_test!(an_unchanged_import_records_no_change, |store| async move {
    store_service(&store, 1, "Food bank").await;
    let index = convene_search::load(&store).await.unwrap();
    store_service(&store, 1, "Food bank").await;
    assert_eq!(convene_search::catch_up(&index, &store).await.unwrap(), 0);
});
