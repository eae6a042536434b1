//! The referral flow in the store, on both backends: drafted, shared
//! lawfully, sent, opened, accepted, appointments kept and missed, closed
//! with an outcome; refusals change nothing; free text is sealed; paused
//! and full services; self-referrals.

mod common;

use common::*;

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
            referrals::inbox(store.conn(), w.provider, ListWindow::first(10))
                .await
                .unwrap()
                .referrals[0]
                .id,
            id
        );
        assert_eq!(
            referrals::outgoing(store.conn(), w.school, ListWindow::first(10))
                .await
                .unwrap()
                .referrals[0]
                .id,
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

        // What the measures read of it, from either side; nothing for an
        // organisation on neither.
        use convene_store::referrals::measures::{Side, facts};
        let expected = convene_domain::referrals::measures::ReferralFacts {
            state: ReferralState::Closed,
            accepted: true,
            declined: false,
            redirected: false,
            sent_at: Some(t0()),
            first_contact_at: Some(t0()),
            first_appointment_at: Some(t0() + Duration::days(7)),
            appointments_kept: 1,
            appointments_missed: 1,
            outcome: Some(Outcome::NeedsMet),
        };
        for side in [Side::Received(w.provider), Side::Made(w.school)] {
            assert_eq!(
                facts(store.conn(), side).await.unwrap(),
                vec![expected.clone()]
            );
        }
        assert!(
            facts(store.conn(), Side::Made(w.provider))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            facts(store.conn(), Side::Received(stranger))
                .await
                .unwrap()
                .is_empty()
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
        // The referrals page reads every service's intake at once, by name.
        let intakes =
            convene_store::referrals::intake::intakes_of_organisation(store.conn(), w.provider)
                .await
                .unwrap();
        let seen: Vec<(&str, bool, Option<u32>)> = intakes
            .iter()
            .map(|i| (i.name.as_str(), i.paused, i.capacity))
            .collect();
        assert_eq!(
            seen,
            [
                ("Family mentoring", false, None),
                ("Parenting course", false, Some(1))
            ]
        );
        assert!(
            convene_store::referrals::intake::intakes_of_organisation(store.conn(), w.school)
                .await
                .unwrap()
                .is_empty()
        );
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
            referrals::inbox(store.conn(), w.provider, ListWindow::first(10))
                .await
                .unwrap()
                .referrals
                .iter()
                .any(|r| r.id == id)
        );
    }
);
