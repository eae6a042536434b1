//! The retention job anonymises people only once their referrals have been
//! finished for the whole retention period, with a controllable clock, and
//! audits each. On both backends.

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use convene_domain::clock::{ManualClock, SharedClock};
use convene_domain::directory::parse_service;
use convene_domain::ids::new_id;
use convene_domain::organisations::{OrganisationDetails, OrganisationKind};
use convene_domain::people::PersonDetails;
use convene_domain::people::sharing::{LawfulBasis, Share, SharedItem};
use convene_domain::referrals::{Transition, Urgency};
use convene_domain::sealing::DataKeys;
use convene_jobs::retention::run_once;
use convene_store::directory::services;
use convene_store::people::records;
use convene_store::referrals::intake::{Child, Intake, take_in};
use convene_store::referrals::records::{Actor, apply};
use convene_store::{audit, organisations, store_test};
use serde_json::json;

store_test!(
    people_are_anonymised_when_their_retention_period_ends,
    |store| async move {
        let t0 = Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap();
        let keys = DataKeys::parse(
            &format!("k:{}", DataKeys::generate_key().unwrap()),
            "k",
            &DataKeys::generate_key().unwrap(),
        )
        .unwrap();
        let (school, provider) = (new_id(), new_id());
        for (id, name) in [
            (school, "Northgate Primary"),
            (provider, "Riverside Family Support"),
        ] {
            let details = OrganisationDetails {
                name: name.into(),
                kind: OrganisationKind::Other,
                email: None,
                phone: None,
                website: None,
                address: None,
            };
            organisations::insert(store.conn(), id, &details, t0)
                .await
                .unwrap();
        }
        let service = new_id();
        let record = parse_service(
            &json!({ "id": service.to_string(), "name": "Parenting course", "status": "active",
        "organization": { "id": provider.to_string(), "name": "Riverside Family Support" } }),
        )
        .unwrap();
        store
            .transaction(move |txn| {
                Box::pin(async move { services::upsert(txn, &record, "local", t0).await })
            })
            .await
            .unwrap();

        let referral = new_id();
        let teacher = new_id();
        let intake = Intake {
            referral_id: referral,
            organisation: school,
            referred_by: teacher,
            service_id: service,
            child: Child::New(PersonDetails {
                given_name: "Ada".into(),
                family_name: "Okafor".into(),
                date_of_birth: chrono::NaiveDate::from_ymd_opt(2019, 5, 1),
                phone: None,
                email: None,
                contact_preference: None,
                preferred_language: None,
                school: None,
                postcode: None,
            }),
            parent: None,
            urgency: Urgency::Routine,
            reason: "Bedtimes".into(),
            needs: vec![],
            share: Share {
                basis: LawfulBasis::Consent,
                health_condition: None,
                purpose: "To offer a place".into(),
                recipient_organisation: provider,
                items: vec![SharedItem::Name],
                justification: None,
                privacy_notice_version: "2026-11".into(),
                decided_by: teacher,
                decided_at: t0,
            },
            send: true,
        };
        let (k, actor) = (
            keys.clone(),
            Actor {
                user: None,
                organisation: provider,
            },
        );
        let child = store
            .transaction(move |txn| {
                Box::pin(async move {
                    let child = take_in(txn, &k, intake, t0).await?;
                    apply(
                        txn,
                        &k,
                        referral,
                        2,
                        &Transition::Decline {
                            reason: "Full".into(),
                        },
                        actor,
                        t0,
                    )
                    .await?;
                    Ok(child)
                })
            })
            .await
            .unwrap();

        let clock = ManualClock::new(t0 + Duration::days(365));
        let shared: SharedClock = Arc::new(clock.clone());
        let keep = Duration::days(7 * 365);
        assert_eq!(
            run_once(&store, &keys, &shared, keep).await.unwrap(),
            0,
            "too soon"
        );
        assert_eq!(
            records::get(store.conn(), &keys, child)
                .await
                .unwrap()
                .unwrap()
                .details
                .given_name,
            "Ada"
        );

        clock.advance(Duration::days(7 * 365));
        assert_eq!(run_once(&store, &keys, &shared, keep).await.unwrap(), 1);
        let gone = records::get(store.conn(), &keys, child)
            .await
            .unwrap()
            .unwrap();
        assert!(gone.anonymised_at.is_some() && gone.details.given_name == "Anonymised");
        let trail = audit::views_of_person(store.conn(), child).await.unwrap();
        assert!(trail.is_empty(), "anonymising is not a view");
        let (events, _) = audit::search(store.conn(), &Default::default(), 100, 0)
            .await
            .unwrap();
        assert_eq!(
            events
                .iter()
                .filter(|e| e.entry.action == "person_anonymised")
                .count(),
            1
        );
        // Nothing more to do the next day.
        clock.advance(Duration::days(1));
        assert_eq!(run_once(&store, &keys, &shared, keep).await.unwrap(), 0);
    }
);
