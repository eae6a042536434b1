//! The benchmark's bulk caseload writer, on both backends: what it writes
//! reads back through the ordinary paths (sealed values open, the history,
//! share and appointment are there), and the referral lists come a page at
//! a time, newest change first, with their totals.

mod common;

use convene_store::caseload::{
    CaseloadAppointment, CaseloadPerson, CaseloadReferral, CaseloadStep, insert_people,
    insert_referrals,
};
use convene_store::people::shares::basis_for;

use common::*;

fn person(id: Uuid, given: &str, recorded_by: Uuid) -> CaseloadPerson {
    CaseloadPerson {
        id,
        details: PersonDetails {
            given_name: given.into(),
            family_name: "Mensah".into(),
            date_of_birth: NaiveDate::from_ymd_opt(2017, 2, 3),
            phone: Some("07700 900123".into()),
            email: None,
            contact_preference: None,
            preferred_language: None,
            school: Some("Northgate Primary".into()),
            postcode: None,
        },
        recorded_by,
        at: t0(),
    }
}

/// A referral sent `minutes` after t0 and opened a minute later.
fn referral(w: &World, child: Uuid, parent: Uuid, minutes: i64) -> CaseloadReferral {
    let sent = t0() + Duration::minutes(minutes);
    let step = |transition, from, to, by_organisation, at| CaseloadStep {
        transition,
        from,
        to,
        by_user: w.teacher,
        by_organisation,
        at,
    };
    CaseloadReferral {
        id: new_id(),
        service_id: w.service,
        receiving_organisation_id: w.provider,
        referring_organisation_id: w.school,
        referred_by: w.teacher,
        subject_id: child,
        parent_id: Some(parent),
        need: Uuid::nil(),
        urgency: Urgency::Soon,
        reason: format!("Bulk reason {minutes}"),
        decline_reason: None,
        outcome: None,
        steps: vec![
            step("create", None, ReferralState::Draft, w.school, sent),
            step(
                "send",
                Some(ReferralState::Draft),
                ReferralState::Sent,
                w.school,
                sent,
            ),
            step(
                "open",
                Some(ReferralState::Sent),
                ReferralState::Opened,
                w.provider,
                sent + Duration::minutes(1),
            ),
        ],
        appointment: Some(CaseloadAppointment {
            id: new_id(),
            starts_at: sent + Duration::days(3),
            status: AppointmentStatus::Booked,
            booked_by: w.worker,
        }),
    }
}

store_test!(
    a_bulk_caseload_reads_back_through_the_ordinary_paths,
    |store| async move {
        let w = world(&store).await;
        let (child, parent) = (new_id(), new_id());
        let people = vec![
            person(child, "Kofi", w.school),
            person(parent, "Ama", w.school),
        ];
        let need = new_id();
        let referrals: Vec<CaseloadReferral> = (0..450)
            .map(|n| CaseloadReferral {
                need,
                ..referral(&w, child, parent, n)
            })
            .collect();
        let keys = w.keys.clone();
        store
            .transaction(move |txn| {
                Box::pin(async move {
                    insert_people(txn, &keys, &people).await?;
                    insert_referrals(txn, &keys, &referrals).await
                })
            })
            .await
            .unwrap();

        let kofi = records::get(store.conn(), &w.keys, child)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kofi.details.full_name(), "Kofi Mensah");
        assert_eq!(kofi.details.phone.as_deref(), Some("07700 900123"));

        // 450 referrals: more than one statement's worth (400 rows).
        let first = referrals::inbox(store.conn(), w.provider, ListWindow::first(25))
            .await
            .unwrap();
        assert_eq!(first.total, 450);
        assert_eq!(first.referrals.len(), 25);
        let newest = &first.referrals[0];
        let opened = referrals::get(store.conn(), &w.keys, newest.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(opened.reason, "Bulk reason 449", "newest change first");
        assert_eq!((opened.state, opened.version), (ReferralState::Opened, 3));
        assert_eq!(opened.sent_at, Some(t0() + Duration::minutes(449)));
        assert_eq!(opened.people.len(), 2);
        assert_eq!(opened.needs, vec![need]);
        let events = referrals::events(store.conn(), &w.keys, newest.id)
            .await
            .unwrap();
        let moves: Vec<&str> = events.iter().map(|e| e.transition.as_str()).collect();
        assert_eq!(moves, ["create", "send", "open"]);
        assert_eq!(
            basis_for(store.conn(), newest.id, w.provider)
                .await
                .unwrap(),
            Some(LawfulBasis::Consent)
        );
        let booked = appointments::of_referral(store.conn(), newest.id)
            .await
            .unwrap();
        assert_eq!(booked.len(), 1);

        // The last page holds the rest; a page past the end is empty.
        let last = referrals::inbox(
            store.conn(),
            w.provider,
            ListWindow {
                page: 19,
                per_page: 25,
            },
        )
        .await
        .unwrap();
        assert_eq!((last.total, last.referrals.len()), (450, 0));
        let last = referrals::inbox(
            store.conn(),
            w.provider,
            ListWindow {
                page: 18,
                per_page: 25,
            },
        )
        .await
        .unwrap();
        assert_eq!(last.referrals.len(), 25);
        let oldest = referrals::get(store.conn(), &w.keys, last.referrals[24].id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(oldest.reason, "Bulk reason 0");
        let made = referrals::outgoing(store.conn(), w.school, ListWindow::first(10))
            .await
            .unwrap();
        assert_eq!((made.total, made.referrals.len()), (450, 10));
        // The other organisation received none.
        let none = referrals::inbox(store.conn(), w.school, ListWindow::first(10))
            .await
            .unwrap();
        assert_eq!((none.total, none.referrals.len()), (0, 0));
    }
);

store_test!(
    a_bulk_batch_with_a_bad_row_writes_nothing,
    |store| async move {
        let w = world(&store).await;
        let need = new_id();
        let good = CaseloadReferral {
            need,
            ..referral(&w, w.child, w.parent, 1)
        };
        // A subject who does not exist breaks a foreign key.
        let bad = CaseloadReferral {
            need,
            ..referral(&w, new_id(), w.parent, 2)
        };
        let keys = w.keys.clone();
        let result = store
            .transaction(move |txn| {
                Box::pin(async move { insert_referrals(txn, &keys, &[good, bad]).await })
            })
            .await;
        assert!(result.is_err());
        let listed = referrals::inbox(store.conn(), w.provider, ListWindow::first(10))
            .await
            .unwrap();
        assert_eq!(listed.total, 0, "nothing of the batch was kept");
    }
);
