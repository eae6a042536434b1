//! The referral flow in the store, on both backends: drafted, shared
//! lawfully, sent, opened, accepted, appointments kept and missed, closed
//! with an outcome; refusals change nothing; free text is sealed.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use convene_domain::directory::parse_service;
use convene_domain::ids::new_id;
use convene_domain::organisations::{OrganisationDetails, OrganisationKind};
use convene_domain::people::PersonDetails;
use convene_domain::people::sharing::{LawfulBasis, Share, SharedItem};
use convene_domain::referrals::{
    AppointmentChange, AppointmentMode, AppointmentStatus, Outcome, ReferralState, Transition,
    Urgency,
};
use convene_domain::sealing::DataKeys;
use convene_store::directory::services;
use convene_store::people::records;
use convene_store::people::shares::{self, ShareKind};
use convene_store::referrals::appointments::{self, Booking};
use convene_store::referrals::follow_ups::{self, FollowUpKind};
use convene_store::referrals::records::{self as referrals, Actor, NewReferral};
use convene_store::{Store, StoreError, organisations, store_test};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use uuid::Uuid;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

struct World {
    keys: DataKeys,
    key: String,
    index: String,
    school: Uuid,
    provider: Uuid,
    service: Uuid,
    other_service: Uuid,
    child: Uuid,
    parent: Uuid,
    teacher: Uuid,
    worker: Uuid,
}

async fn organisation(store: &Store, name: &str) -> Uuid {
    let id = new_id();
    let details = OrganisationDetails {
        name: name.into(),
        kind: OrganisationKind::Other,
        email: None,
        phone: None,
        website: None,
        address: None,
    };
    organisations::insert(store.conn(), id, &details, t0())
        .await
        .unwrap();
    id
}

async fn add_service(store: &Store, organisation: Uuid, name: &str) -> Uuid {
    let id = new_id();
    let record = parse_service(&json!({
        "id": id.to_string(), "name": name, "status": "active",
        "organization": { "id": organisation.to_string(), "name": "Provider" }
    }))
    .unwrap();
    store
        .transaction(move |txn| {
            Box::pin(async move { services::upsert(txn, &record, "local", t0()).await })
        })
        .await
        .unwrap();
    id
}

async fn world(store: &Store) -> World {
    let (key, index) = (
        DataKeys::generate_key().unwrap(),
        DataKeys::generate_key().unwrap(),
    );
    let keys = DataKeys::parse(&format!("k1:{key}"), "k1", &index).unwrap();
    let school = organisation(store, "Northgate Primary").await;
    let provider = organisation(store, "Riverside Family Support").await;
    let service = add_service(store, provider, "Parenting course").await;
    let other_service = add_service(store, provider, "Family mentoring").await;
    let person = |given: &str, born: Option<NaiveDate>| PersonDetails {
        given_name: given.into(),
        family_name: "Okafor".into(),
        date_of_birth: born,
        phone: None,
        email: None,
        contact_preference: None,
        preferred_language: None,
        school: None,
        postcode: None,
    };
    let (child, parent) = (new_id(), new_id());
    records::insert(
        store.conn(),
        &keys,
        child,
        &person("Ada", NaiveDate::from_ymd_opt(2018, 5, 1)),
        school,
        t0(),
    )
    .await
    .unwrap();
    records::insert(
        store.conn(),
        &keys,
        parent,
        &person("Grace", None),
        school,
        t0(),
    )
    .await
    .unwrap();
    World {
        keys,
        key,
        index,
        school,
        provider,
        service,
        other_service,
        child,
        parent,
        teacher: new_id(),
        worker: new_id(),
    }
}

async fn draft(store: &Store, w: &World) -> Uuid {
    let new = NewReferral {
        id: new_id(),
        service_id: w.service,
        referring_organisation_id: Some(w.school),
        referred_by: Some(w.teacher),
        subject_id: w.child,
        parents_or_carers: vec![w.parent],
        urgency: Urgency::Soon,
        reason: "Mum says bedtimes are a battle every night".into(),
        needs: vec![],
    };
    let keys = w.keys.clone();
    store
        .transaction(move |txn| {
            Box::pin(async move {
                referrals::create(txn, &keys, &new, ReferralState::Draft, None, t0()).await?;
                Ok(new.id)
            })
        })
        .await
        .unwrap()
}

async fn share(store: &Store, w: &World, referral: Uuid, basis: LawfulBasis) {
    let share = Share {
        basis,
        health_condition: None,
        purpose: "So the parenting course can contact the family".into(),
        recipient_organisation: w.provider,
        items: vec![
            SharedItem::Name,
            SharedItem::ContactDetails,
            SharedItem::ReasonForReferral,
        ],
        justification: (basis != LawfulBasis::Consent).then(|| "Risk of harm".to_string()),
        privacy_notice_version: "2026-09".into(),
        decided_by: w.teacher,
        decided_at: t0(),
    };
    shares::record_share(
        store.conn(),
        &w.keys,
        w.child,
        Some(referral),
        &share,
        w.school,
    )
    .await
    .unwrap();
}

async fn move_on(
    store: &Store,
    w: &World,
    id: Uuid,
    transition: Transition,
    organisation: Uuid,
    at: DateTime<Utc>,
) -> Result<ReferralState, StoreError> {
    let version = referrals::get(store.conn(), &w.keys, id)
        .await?
        .unwrap()
        .version;
    let keys = w.keys.clone();
    let actor = Actor {
        user: Some(w.worker),
        organisation,
    };
    store
        .transaction(move |txn| {
            Box::pin(async move {
                referrals::apply(txn, &keys, id, version, &transition, actor, at).await
            })
        })
        .await
}

fn refused(result: Result<impl std::fmt::Debug, StoreError>) -> String {
    match result {
        Err(StoreError::Refused(reason)) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

store_test!(
    a_referral_goes_from_draft_to_an_outcome,
    |store| async move {
        let w = world(&store).await;
        let id = draft(&store, &w).await;

        // No sharing decision yet: it cannot be sent, and nothing changes.
        let reason = refused(move_on(&store, &w, id, Transition::Send, w.school, t0()).await);
        assert!(reason.contains("before sending"), "{reason}");
        assert_eq!(
            referrals::get(store.conn(), &w.keys, id)
                .await
                .unwrap()
                .unwrap()
                .version,
            1
        );
        // Closing a draft is refused too.
        let reason = refused(
            move_on(
                &store,
                &w,
                id,
                Transition::Close {
                    outcome: Outcome::NeedsMet,
                },
                w.school,
                t0(),
            )
            .await,
        );
        assert_eq!(reason, "A draft referral cannot be closed");

        share(&store, &w, id, LawfulBasis::Consent).await;
        assert_eq!(
            move_on(&store, &w, id, Transition::Send, w.school, t0())
                .await
                .unwrap(),
            ReferralState::Sent
        );
        // The receiver's inbox has it; the referrer's outgoing list too.
        assert_eq!(
            referrals::inbox(store.conn(), w.provider).await.unwrap()[0].id,
            id
        );
        assert_eq!(
            referrals::outgoing(store.conn(), w.school).await.unwrap()[0].id,
            id
        );
        // Only the receiving service accepts.
        assert_eq!(
            refused(move_on(&store, &w, id, Transition::Accept, w.school, t0()).await),
            "Only the receiving service can do that"
        );
        // An organisation on neither side cannot touch it.
        let stranger = organisation(&store, "Elsewhere").await;
        assert!(matches!(
            move_on(&store, &w, id, Transition::Open, stranger, t0()).await,
            Err(StoreError::NotFound)
        ));
        move_on(&store, &w, id, Transition::Open, w.provider, t0())
            .await
            .unwrap();
        move_on(&store, &w, id, Transition::Accept, w.provider, t0())
            .await
            .unwrap();

        // An appointment a week later, missed, then rebooked and attended.
        let first = new_id();
        let booking = Booking {
            id: first,
            referral_id: id,
            starts_at: t0() + Duration::days(7),
            duration_minutes: 60,
            mode: AppointmentMode::InPerson,
            place: Some("Riverside Hub, room 2".into()),
            booked_by: w.worker,
        };
        appointments::book(store.conn(), &booking, t0())
            .await
            .unwrap();
        assert_eq!(
            refused(
                appointments::change(
                    store.conn(),
                    first,
                    1,
                    AppointmentChange::DidNotAttend,
                    t0()
                )
                .await
            ),
            "Attendance can be recorded only once the appointment has started"
        );
        let later = t0() + Duration::days(7) + Duration::hours(2);
        assert_eq!(
            appointments::change(
                store.conn(),
                first,
                1,
                AppointmentChange::DidNotAttend,
                later
            )
            .await
            .unwrap(),
            AppointmentStatus::DidNotAttend
        );
        let receiver_tasks = follow_ups::open_for(store.conn(), w.provider)
            .await
            .unwrap();
        assert_eq!(
            receiver_tasks.iter().map(|f| f.kind).collect::<Vec<_>>(),
            vec![FollowUpKind::ContactFamily]
        );
        assert_eq!(receiver_tasks[0].due_at, Some(later + Duration::days(2)));
        let referrer_notices = follow_ups::open_for(store.conn(), w.school).await.unwrap();
        assert_eq!(
            referrer_notices.iter().map(|f| f.kind).collect::<Vec<_>>(),
            vec![FollowUpKind::MissedAppointment]
        );
        follow_ups::complete(
            store.conn(),
            receiver_tasks[0].id,
            w.provider,
            w.worker,
            later,
        )
        .await
        .unwrap();
        assert!(
            follow_ups::open_for(store.conn(), w.provider)
                .await
                .unwrap()
                .is_empty()
        );

        let second = new_id();
        let rebooked = Booking {
            id: second,
            starts_at: later + Duration::days(3),
            ..booking.clone()
        };
        appointments::book(store.conn(), &rebooked, later)
            .await
            .unwrap();
        let after = later + Duration::days(3) + Duration::minutes(30);
        appointments::change(store.conn(), second, 1, AppointmentChange::Attended, after)
            .await
            .unwrap();
        // A stale version is refused.
        assert!(
            refused(
                appointments::change(
                    store.conn(),
                    second,
                    1,
                    AppointmentChange::DidNotAttend,
                    after
                )
                .await
            )
            .contains("Someone else changed this appointment")
        );
        assert_eq!(
            appointments::of_referral(store.conn(), id)
                .await
                .unwrap()
                .len(),
            2
        );

        move_on(
            &store,
            &w,
            id,
            Transition::Close {
                outcome: Outcome::NeedsMet,
            },
            w.provider,
            after,
        )
        .await
        .unwrap();
        let closed = referrals::get(store.conn(), &w.keys, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (closed.state, closed.outcome, closed.closed_at),
            (ReferralState::Closed, Some(Outcome::NeedsMet), Some(after))
        );
        let events = referrals::events(store.conn(), &w.keys, id).await.unwrap();
        assert_eq!(
            events
                .iter()
                .map(|e| e.transition.as_str())
                .collect::<Vec<_>>(),
            vec!["create", "send", "open", "accept", "close"]
        );
        assert_eq!(
            referrals::of_person(store.conn(), w.parent)
                .await
                .unwrap()
                .len(),
            1
        );

        // Booking on a closed referral is refused.
        let late = Booking {
            id: new_id(),
            starts_at: after + Duration::days(1),
            ..booking
        };
        assert_eq!(
            refused(appointments::book(store.conn(), &late, after).await),
            "Appointments can be booked only on an accepted referral"
        );
    }
);

store_test!(sealed_text_and_lawful_sharing, |store| async move {
    let w = world(&store).await;
    let id = draft(&store, &w).await;
    // Shared without consent: a safeguarding review for the referrer.
    share(&store, &w, id, LawfulBasis::VitalInterests).await;
    assert_eq!(
        follow_ups::open_for(store.conn(), w.school)
            .await
            .unwrap()
            .iter()
            .map(|f| f.kind)
            .collect::<Vec<_>>(),
        vec![FollowUpKind::SafeguardingReview]
    );
    move_on(&store, &w, id, Transition::Send, w.school, t0())
        .await
        .unwrap();
    move_on(
        &store,
        &w,
        id,
        Transition::Decline {
            reason: "The family lives outside our area".into(),
        },
        w.provider,
        t0(),
    )
    .await
    .unwrap();
    let declined = referrals::get(store.conn(), &w.keys, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        declined.decline_reason.as_deref(),
        Some("The family lives outside our area")
    );

    let backend = store.conn().get_database_backend();
    let mut raw = String::new();
    for sql in [
        "SELECT reason AS t FROM referrals",
        "SELECT decline_reason AS t FROM referrals",
        "SELECT detail AS t FROM referral_events",
        "SELECT purpose AS t FROM shares",
        "SELECT justification AS t FROM shares",
    ] {
        for row in store
            .conn()
            .query_all_raw(Statement::from_string(backend, sql))
            .await
            .unwrap()
        {
            let value: Option<String> = row.try_get("", "t").unwrap();
            raw.push_str(&value.unwrap_or_default());
        }
    }
    for plain in [
        "bedtimes",
        "outside our area",
        "parenting course can contact",
        "Risk of harm",
    ] {
        assert!(!raw.contains(plain), "{plain} is readable in the database");
    }
});

store_test!(
    withdrawn_consent_stops_sending_and_redirects_go_onward,
    |store| async move {
        let w = world(&store).await;
        let id = draft(&store, &w).await;
        share(&store, &w, id, LawfulBasis::Consent).await;
        shares::record_decision(
            store.conn(),
            &w.keys,
            w.child,
            Some(id),
            ShareKind::ConsentWithdrawn,
            Some("Mum phoned to say no"),
            w.teacher,
            w.school,
            t0() + Duration::minutes(5),
        )
        .await
        .unwrap();
        let reason = refused(move_on(&store, &w, id, Transition::Send, w.school, t0()).await);
        assert!(reason.contains("withdrawn consent"), "{reason}");
        shares::record_decision(
            store.conn(),
            &w.keys,
            w.child,
            Some(id),
            ShareKind::ConsentGiven,
            None,
            w.teacher,
            w.school,
            t0() + Duration::minutes(10),
        )
        .await
        .unwrap();
        move_on(&store, &w, id, Transition::Send, w.school, t0())
            .await
            .unwrap();

        let onward = Transition::Redirect {
            to_service: w.other_service,
            reason: "Mentoring suits Ada better".into(),
        };
        assert_eq!(
            move_on(&store, &w, id, onward, w.provider, t0())
                .await
                .unwrap(),
            ReferralState::Redirected
        );
        let original = referrals::get(store.conn(), &w.keys, id)
            .await
            .unwrap()
            .unwrap();
        let next = referrals::get(store.conn(), &w.keys, original.redirected_to.unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (next.state, next.service_id, next.redirected_from),
            (ReferralState::Sent, w.other_service, Some(id))
        );
        assert_eq!(next.reason, original.reason);
        assert_eq!(next.people.len(), 2);
        let history = shares::history(store.conn(), &w.keys, w.child)
            .await
            .unwrap();
        assert_eq!(
            history.iter().map(|h| h.kind).collect::<Vec<_>>(),
            vec![
                ShareKind::Shared,
                ShareKind::ConsentWithdrawn,
                ShareKind::ConsentGiven
            ]
        );
        assert_eq!(history[1].purpose.as_deref(), Some("Mum phoned to say no"));
        // Not sharing needs reasons.
        assert!(matches!(
            shares::record_decision(
                store.conn(),
                &w.keys,
                w.child,
                None,
                ShareKind::NotShared,
                Some("  "),
                w.teacher,
                w.school,
                t0()
            )
            .await,
            Err(StoreError::Refused(_))
        ));
    }
);

store_test!(
    rights_export_everything_and_anonymise_when_finished,
    |store| async move {
        use convene_store::people::rights;
        let w = world(&store).await;
        let id = draft(&store, &w).await;
        share(&store, &w, id, LawfulBasis::Consent).await;
        move_on(&store, &w, id, Transition::Send, w.school, t0())
            .await
            .unwrap();

        let everything = rights::subject_access(store.conn(), &w.keys, w.child)
            .await
            .unwrap();
        assert_eq!(everything["person"]["given_name"], "Ada");
        assert_eq!(
            everything["referrals"][0]["reason"],
            "Mum says bedtimes are a battle every night"
        );
        assert_eq!(
            everything["referrals"][0]["history"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(everything["sharing"][0]["lawful_basis"], "consent");
        assert_eq!(everything["households"].as_array().unwrap().len(), 0);

        // Not while the referral is open; not due for retention either.
        assert!(matches!(
            store
                .transaction({
                    let keys = w.keys.clone();
                    let child = w.child;
                    move |txn| {
                        Box::pin(async move { rights::anonymise(txn, &keys, child, t0()).await })
                    }
                })
                .await,
            Err(StoreError::Refused(_))
        ));
        let years_later = t0() + Duration::days(8 * 365);
        assert!(
            rights::due_for_retention(store.conn(), years_later)
                .await
                .unwrap()
                .iter()
                .all(|p| *p != w.child)
        );

        move_on(
            &store,
            &w,
            id,
            Transition::Close {
                outcome: Outcome::FamilyWithdrew,
            },
            w.school,
            t0(),
        )
        .await
        .unwrap();
        // Due only once the period after the referral ended has passed.
        assert!(
            !rights::due_for_retention(store.conn(), t0())
                .await
                .unwrap()
                .contains(&w.child)
        );
        let due = rights::due_for_retention(store.conn(), years_later)
            .await
            .unwrap();
        assert!(due.contains(&w.child) && due.contains(&w.parent));

        let (keys, child) = (w.keys.clone(), w.child);
        store
            .transaction(move |txn| {
                Box::pin(async move { rights::anonymise(txn, &keys, child, years_later).await })
            })
            .await
            .unwrap();
        let gone = records::get(store.conn(), &w.keys, w.child)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(gone.details.given_name, rights::ANONYMISED);
        assert_eq!(
            (gone.details.date_of_birth, gone.anonymised_at),
            (None, Some(years_later))
        );
        assert!(
            records::named(store.conn(), &w.keys, "Ada", "Okafor")
                .await
                .unwrap()
                .is_empty()
        );
        let referral = referrals::get(store.conn(), &w.keys, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(referral.reason, "[removed]");
        // The shape stays for statistics.
        assert_eq!(
            (referral.state, referral.outcome),
            (ReferralState::Closed, Some(Outcome::FamilyWithdrew))
        );
        assert!(
            shares::history(store.conn(), &w.keys, w.child)
                .await
                .unwrap()[0]
                .purpose
                .is_none()
        );
        assert!(
            !rights::due_for_retention(store.conn(), years_later)
                .await
                .unwrap()
                .contains(&w.child)
        );
    }
);

store_test!(
    paused_or_full_services_take_no_new_referrals_and_families_can_refer_themselves,
    |store| async move {
        use convene_store::referrals::intake::{SelfReferral, set_intake, take_in_self_referral};
        let w = world(&store).await;
        set_intake(store.conn(), w.service, true, None)
            .await
            .unwrap();
        let first = draft(&store, &w).await;
        share(&store, &w, first, LawfulBasis::Consent).await;
        let reason = refused(move_on(&store, &w, first, Transition::Send, w.school, t0()).await);
        assert_eq!(
            reason,
            "Parenting course is not taking new referrals at the moment"
        );

        set_intake(store.conn(), w.service, false, Some(1))
            .await
            .unwrap();
        move_on(&store, &w, first, Transition::Send, w.school, t0())
            .await
            .unwrap();
        let second = draft(&store, &w).await;
        share(&store, &w, second, LawfulBasis::Consent).await;
        let reason = refused(move_on(&store, &w, second, Transition::Send, w.school, t0()).await);
        assert!(reason.contains("is full at the moment"), "{reason}");

        // A family refers themselves to the other service: straight to its inbox.
        let asked = SelfReferral {
            referral_id: new_id(),
            service_id: w.other_service,
            person: PersonDetails {
                given_name: "Sam".into(),
                family_name: "Reid".into(),
                date_of_birth: NaiveDate::from_ymd_opt(2010, 1, 9),
                phone: Some("07700 900555".into()),
                email: None,
                contact_preference: None,
                preferred_language: None,
                school: None,
                postcode: None,
            },
            asking: None,
            reason: "I want someone to talk to".into(),
            privacy_notice_version: "2026-11".into(),
        };
        let id = asked.referral_id;
        let keys = w.keys.clone();
        store
            .transaction(move |txn| {
                Box::pin(async move { take_in_self_referral(txn, &keys, asked, t0()).await })
            })
            .await
            .unwrap();
        let received = referrals::get(store.conn(), &w.keys, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (received.state, received.referring_organisation_id),
            (ReferralState::Sent, None)
        );
        assert!(
            referrals::inbox(store.conn(), w.provider)
                .await
                .unwrap()
                .iter()
                .any(|r| r.id == id)
        );
    }
);

store_test!(
    merging_moves_everything_to_the_record_kept,
    |store| async move {
        use convene_store::people::merging;
        let w = world(&store).await;
        let first = draft(&store, &w).await;
        share(&store, &w, first, LawfulBasis::Consent).await;
        // The same child recorded again elsewhere, with a referral of its own.
        let again = new_id();
        let mut details = records::get(store.conn(), &w.keys, w.child)
            .await
            .unwrap()
            .unwrap()
            .details;
        details.phone = Some("07700 900999".into());
        records::insert(store.conn(), &w.keys, again, &details, w.provider, t0())
            .await
            .unwrap();
        let second = new_id();
        let new = NewReferral {
            id: second,
            service_id: w.other_service,
            referring_organisation_id: Some(w.school),
            referred_by: Some(w.teacher),
            subject_id: again,
            parents_or_carers: vec![w.parent],
            urgency: Urgency::Routine,
            reason: "Recorded twice".into(),
            needs: vec![],
        };
        let keys = w.keys.clone();
        store
            .transaction(move |txn| {
                Box::pin(async move {
                    referrals::create(txn, &keys, &new, ReferralState::Draft, None, t0()).await
                })
            })
            .await
            .unwrap();

        store
            .transaction({
                let (again, child) = (again, w.child);
                move |txn| Box::pin(async move { merging::merge(txn, again, child, t0()).await })
            })
            .await
            .unwrap();
        let moved = referrals::get(store.conn(), &w.keys, second)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(moved.subject_id, w.child);
        assert_eq!(
            referrals::of_person(store.conn(), w.child)
                .await
                .unwrap()
                .len(),
            2
        );
        assert!(
            referrals::of_person(store.conn(), again)
                .await
                .unwrap()
                .is_empty()
        );
        let old = records::get(store.conn(), &w.keys, again)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            old.merged_into,
            Some(w.child),
            "the duplicate says where it went"
        );
        // Anonymising the record kept takes the merged one with it (drafts
        // were never shared, so they do not hold it back).
        {
            use convene_store::people::rights;
            let (keys, child) = (w.keys.clone(), w.child);
            store
                .transaction(move |txn| {
                    Box::pin(async move { rights::anonymise(txn, &keys, child, t0()).await })
                })
                .await
                .unwrap();
            let earlier = records::get(store.conn(), &w.keys, again)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(earlier.details.given_name, rights::ANONYMISED);
            assert_eq!(earlier.details.phone, None);
        }
        assert!(matches!(
            store
                .transaction({
                    let child = w.child;
                    move |txn| {
                        Box::pin(async move { merging::merge(txn, child, child, t0()).await })
                    }
                })
                .await,
            Err(StoreError::Refused(_))
        ));
    }
);

store_test!(
    rotation_reseals_referrals_and_shares_too,
    |store| async move {
        use convene_store::people::keys;
        let w = world(&store).await;
        let id = draft(&store, &w).await;
        share(&store, &w, id, LawfulBasis::Consent).await;
        move_on(&store, &w, id, Transition::Send, w.school, t0())
            .await
            .unwrap();
        move_on(
            &store,
            &w,
            id,
            Transition::Decline {
                reason: "Outside our area".into(),
            },
            w.provider,
            t0(),
        )
        .await
        .unwrap();
        // A referral passed to another organisation's service is refused.
        let elsewhere = organisation(&store, "Elsewhere Trust").await;
        let other = add_service(&store, elsewhere, "Elsewhere group").await;
        let second = draft(&store, &w).await;
        share(&store, &w, second, LawfulBasis::Consent).await;
        move_on(&store, &w, second, Transition::Send, w.school, t0())
            .await
            .unwrap();
        let reason = refused(
            move_on(
                &store,
                &w,
                second,
                Transition::Redirect {
                    to_service: other,
                    reason: "x".into(),
                },
                w.provider,
                t0(),
            )
            .await,
        );
        assert!(
            reason.contains("only to another of your own services"),
            "{reason}"
        );

        keys::verify(&store, &w.keys).await.unwrap();
        let new_key = DataKeys::generate_key().unwrap();
        let both = DataKeys::parse(&format!("k1:{},k2:{new_key}", w.key), "k2", &w.index).unwrap();
        keys::rotate(&store, &both).await.unwrap();
        let only_new = DataKeys::parse(&format!("k2:{new_key}"), "k2", &w.index).unwrap();
        keys::verify(&store, &only_new).await.unwrap();
        let read = referrals::get(store.conn(), &only_new, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(read.decline_reason.as_deref(), Some("Outside our area"));
        let events = referrals::events(store.conn(), &only_new, id)
            .await
            .unwrap();
        assert!(
            events
                .iter()
                .any(|e| e.detail.as_deref() == Some("Outside our area"))
        );
        let history = shares::history(store.conn(), &only_new, w.child)
            .await
            .unwrap();
        assert!(history[0].purpose.is_some());
    }
);
