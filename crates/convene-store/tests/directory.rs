//! Directory storage on both backends.

use chrono::{TimeZone, Utc};
use convene_domain::directory::parse_service;
use convene_domain::directory::postcodes::Postcode;
use convene_store::directory::postcodes::{self, PostcodeLocation};
use convene_store::directory::services::{self, ServiceFilter, Stored};
use convene_store::directory::taxonomies;
use convene_store::store_test;
use serde_json::json;

fn doc(n: u32, name: &str, min: Option<u16>, max: Option<u16>) -> serde_json::Value {
    let mut d = json!({
        "id": format!("00000000-0000-4000-8000-{n:012}"),
        "name": name,
        "status": "active",
        "organization": { "id": "10000000-0000-4000-8000-000000000001", "name": "Hub", "description": "A hub" },
        "service_at_locations": [{
            "id": format!("00000000-0000-4000-9000-{n:012}"),
            "location": { "id": format!("00000000-0000-4000-a000-{n:012}"), "location_type": "physical", "latitude": 53.1, "longitude": -1.8,
                          "addresses": [{ "postal_code": "bk1 1aa" }] }
        }]
    });
    if let Some(min) = min {
        d["minimum_age"] = json!(min);
    }
    if let Some(max) = max {
        d["maximum_age"] = json!(max);
    }
    d
}

store_test!(
    services_are_stored_whole_and_idempotently,
    |store| async move {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let record = parse_service(&doc(1, "Stay and play", Some(0), Some(4))).unwrap();
        let conn = store.conn();
        assert_eq!(
            services::upsert(conn, &record, "import:a", now)
                .await
                .unwrap(),
            Stored::Created
        );
        assert_eq!(
            services::upsert(conn, &record, "import:a", now)
                .await
                .unwrap(),
            Stored::Unchanged
        );
        let changed = parse_service(&doc(1, "Stay and play (Mondays)", Some(0), Some(4))).unwrap();
        assert_eq!(
            services::upsert(conn, &changed, "import:a", now)
                .await
                .unwrap(),
            Stored::Updated
        );
        assert_eq!(
            services::document(conn, record.id).await.unwrap().unwrap()["name"],
            "Stay and play (Mondays)"
        );
        // The organisation it names was created for it.
        assert!(
            convene_store::organisations::get(conn, record.organisation_id)
                .await
                .unwrap()
                .is_some()
        );
        // The postcode was tidied and the place stored.
        let (links, total) = services::service_at_locations(conn, 1, 10).await.unwrap();
        assert_eq!(total, 1);
        assert_eq!(links[0].service_id, record.id);
    }
);

store_test!(
    local_edits_are_not_overwritten_by_imports,
    |store| async move {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let conn = store.conn();
        let local = parse_service(&doc(2, "Edited here", None, None)).unwrap();
        services::upsert(conn, &local, services::LOCAL_SOURCE, now)
            .await
            .unwrap();
        let incoming = parse_service(&doc(2, "From the feed", None, None)).unwrap();
        assert_eq!(
            services::upsert(conn, &incoming, "import:feed", now)
                .await
                .unwrap(),
            Stored::Conflict
        );
        assert_eq!(
            services::document(conn, local.id).await.unwrap().unwrap()["name"],
            "Edited here"
        );
    }
);

store_test!(age_overlap_and_text_filters, |store| async move {
    let now = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
    let conn = store.conn();
    for (n, name, min, max) in [
        (3, "Toddlers", Some(1), Some(3)),
        (4, "Teens", Some(13), Some(19)),
        (5, "Everyone", None, None),
    ] {
        services::upsert(
            conn,
            &parse_service(&doc(n, name, min, max)).unwrap(),
            "local",
            now,
        )
        .await
        .unwrap();
    }

    assert_eq!(
        names(
            &store,
            ServiceFilter {
                minimum_age: Some(3),
                maximum_age: Some(3),
                ..Default::default()
            }
        )
        .await,
        ["Everyone", "Toddlers"]
    );
    assert_eq!(
        names(
            &store,
            ServiceFilter {
                minimum_age: Some(4),
                maximum_age: Some(12),
                ..Default::default()
            }
        )
        .await,
        ["Everyone"]
    );
    assert_eq!(
        names(
            &store,
            ServiceFilter {
                text: Some("TEEN".into()),
                ..Default::default()
            }
        )
        .await,
        ["Teens"]
    );
});

store_test!(
    the_built_in_taxonomy_is_there_and_postcodes_load,
    |store| async move {
        let conn = store.conn();
        let (terms, total) = taxonomies::terms(
            conn,
            Some(convene_domain::directory::taxonomy::taxonomy_id()),
            1,
            100,
        )
        .await
        .unwrap();
        assert_eq!(
            total as usize,
            convene_domain::directory::taxonomy::NEEDS.len()
        );
        assert!(terms.iter().any(|t| t.name == "Food"));
        let row = PostcodeLocation {
            postcode: Postcode::parse("BK3 2EA").unwrap(),
            latitude: 53.099,
            longitude: -1.765,
            lsoa: Some("E01000001".into()),
        };
        postcodes::upsert(conn, std::slice::from_ref(&row))
            .await
            .unwrap();
        postcodes::upsert(conn, std::slice::from_ref(&row))
            .await
            .unwrap();
        assert_eq!(
            postcodes::find(conn, &Postcode::parse("bk32ea").unwrap())
                .await
                .unwrap(),
            Some(row)
        );
    }
);

async fn names(store: &convene_store::Store, filter: ServiceFilter) -> Vec<String> {
    let (docs, _) = services::page(store.conn(), &filter, 1, 50).await.unwrap();
    docs.iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect()
}

store_test!(
    list_totals_are_counted_again_only_when_the_directory_changes,
    |store| async move {
        use convene_store::directory::totals::ServiceTotals;
        use sea_orm::ConnectionTrait;
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let conn = store.conn();
        let active = ServiceFilter {
            active_only: true,
            ..Default::default()
        };
        let totals = ServiceTotals::default();
        for n in 1..=3 {
            let record = parse_service(&doc(n, &format!("Service {n}"), None, None)).unwrap();
            services::upsert(conn, &record, "import:a", now)
                .await
                .unwrap();
        }
        assert_eq!(totals.total(conn, &active).await.unwrap(), 3);

        // A row changed behind the change sequence's back (nothing in
        // Convene does this): the kept total is what is answered, which
        // shows it is kept...
        conn.execute_unprepared("UPDATE services SET status = 'inactive' WHERE name = 'Service 3'")
            .await
            .unwrap();
        assert_eq!(totals.total(conn, &active).await.unwrap(), 3);
        assert_eq!(services::total(conn, &active).await.unwrap(), 2);
        // ...and another filter is counted for itself.
        assert_eq!(
            totals.total(conn, &ServiceFilter::default()).await.unwrap(),
            3
        );

        // Any recorded change to a service counts again.
        let fourth = parse_service(&doc(4, "Service 4", None, None)).unwrap();
        services::upsert(conn, &fourth, "import:a", now)
            .await
            .unwrap();
        assert_eq!(totals.total(conn, &active).await.unwrap(), 3);
        assert_eq!(
            totals.total(conn, &ServiceFilter::default()).await.unwrap(),
            4
        );
    }
);
