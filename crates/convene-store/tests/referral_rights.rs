//! A person's rights and records on both backends: subject access,
//! anonymisation and retention, merging a person recorded twice, and key
//! rotation over referrals and sharing records.

mod common;

use common::*;

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
