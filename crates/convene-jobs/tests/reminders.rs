//! Appointment reminders end to end with a controllable clock, on both
//! backends: queued when an appointment is booked, sent at the right UK
//! time across the weekend the clocks go back, never for an appointment
//! cancelled or moved (the moved one gets its own), never to a family who
//! opted out or withdrew consent, and saying nothing a text must not say.

mod support;

use std::sync::Arc;

use convene_domain::messaging::reminders::ServiceReminders;
use convene_domain::messaging::templates::{MessageKind, Template};
use convene_store::messaging::{opt_outs, settings, templates};
use support::*;

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

store_test!(
    reminders_go_at_the_right_uk_time_across_the_clock_change,
    |store| async move {
        let w = world(&store).await;
        family_contact(&store, &w, |_| {}).await;
        let booked = utc(2026, 10, 1, 10, 0);
        let referral = accepted_referral(&store, &w, booked).await;
        // Monday 26 October 2026, 09:00 GMT. The clocks went back on
        // Sunday 25 October: a week before was BST.
        book(&store, referral, utc(2026, 10, 26, 9, 0), booked, w.worker).await;
        let queued = reminders_of(&store, referral).await;
        let due: Vec<_> = queued.iter().map(|m| m.next_attempt_at).collect();
        assert_eq!(due, vec![utc(2026, 10, 19, 8, 0), utc(2026, 10, 25, 9, 0)]);

        let clock = ManualClock::new(booked);
        let recorder = Recorder::new(Arc::new(clock.clone()));
        let messenger = messenger(recorder.clone(), &w);
        // Every ten minutes from booking until after the appointment.
        run_until(
            &store,
            &clock,
            &messenger,
            utc(2026, 10, 26, 12, 0),
            Duration::minutes(10),
        )
        .await;
        let texts = recorder.texts();
        let at: Vec<_> = texts.iter().map(|h| h.at).collect();
        // 09:00 BST, then 09:00 GMT: the same time on the family's clock.
        assert_eq!(at, vec![utc(2026, 10, 19, 8, 0), utc(2026, 10, 25, 9, 0)]);
        for text in &texts {
            assert_eq!(text.message.to, PHONE);
            assert!(
                text.message.body.starts_with("Hello Grace,")
                    && text.message.body.contains("Monday 26 October at 9:00am"),
                "{}",
                text.message.body
            );
            // The service did not allow its name.
            assert!(!text.message.body.contains("Parenting course"));
        }
        let statuses: Vec<_> = reminders_of(&store, referral)
            .await
            .into_iter()
            .map(|m| (m.status, m.channel, m.body))
            .collect();
        assert_eq!(
            statuses,
            vec![
                ("sent".to_string(), "sms".to_string(), String::new()),
                ("sent".to_string(), "sms".to_string(), String::new()),
            ],
            "sent by text, and the text is not kept"
        );
    }
);

store_test!(
    cancelled_and_moved_appointments_never_get_the_old_reminder,
    |store| async move {
        let w = world(&store).await;
        family_contact(&store, &w, |_| {}).await;
        let t = utc(2026, 11, 20, 9, 0);
        let referral = accepted_referral(&store, &w, t).await;
        // Monday 30 November 10:00: reminders on the 23rd and 29th.
        let moved = book(&store, referral, utc(2026, 11, 30, 10, 0), t, w.worker).await;
        // Friday 27 November 11:00: reminders on the 20th and 26th.
        let cancelled = book(&store, referral, utc(2026, 11, 27, 11, 0), t, w.worker).await;
        assert_eq!(reminders_of(&store, referral).await.len(), 4);

        let later = utc(2026, 11, 21, 12, 0);
        change(
            &store,
            moved,
            AppointmentChange::Reschedule {
                to: utc(2026, 12, 2, 14, 0),
            },
            later,
        )
        .await;
        change(
            &store,
            cancelled,
            AppointmentChange::Cancel { by_family: true },
            later,
        )
        .await;

        let clock = ManualClock::new(later);
        let recorder = Recorder::new(Arc::new(clock.clone()));
        let messenger = messenger(recorder.clone(), &w);
        run_until(
            &store,
            &clock,
            &messenger,
            utc(2026, 12, 3, 0, 0),
            Duration::minutes(30),
        )
        .await;
        let texts = recorder.texts();
        let at: Vec<_> = texts.iter().map(|h| h.at).collect();
        assert_eq!(at, vec![utc(2026, 11, 25, 14, 0), utc(2026, 12, 1, 14, 0)]);
        for text in &texts {
            assert!(
                text.message.body.contains("Wednesday 2 December at 2:00pm"),
                "only the new time: {}",
                text.message.body
            );
        }
        let skipped: Vec<_> = reminders_of(&store, referral)
            .await
            .into_iter()
            .filter(|m| m.status == "skipped")
            .map(|m| m.last_error.unwrap_or_default())
            .collect();
        assert_eq!(skipped.len(), 4, "{skipped:?}");
        assert!(skipped.iter().any(|r| r.contains("moved")));
        assert!(skipped.iter().any(|r| r.contains("no longer booked")));
    }
);

store_test!(
    opted_out_or_withdrawn_families_get_no_reminder,
    |store| async move {
        let w = world(&store).await;
        family_contact(&store, &w, |_| {}).await;
        let t = utc(2026, 11, 20, 9, 0);
        let referral = accepted_referral(&store, &w, t).await;
        book(&store, referral, utc(2026, 11, 30, 10, 0), t, w.worker).await;

        // The family replied STOP from the international spelling of the
        // number staff wrote down.
        let index = opt_outs::phone_index(&w.keys, "+44 7700 900123").unwrap();
        opt_outs::opt_out(store.conn(), std::slice::from_ref(&index), "reply", None, t)
            .await
            .unwrap();
        let clock = ManualClock::new(t);
        let recorder = Recorder::new(Arc::new(clock.clone()));
        let messenger = messenger(recorder.clone(), &w);
        run_until(
            &store,
            &clock,
            &messenger,
            utc(2026, 11, 24, 0, 0),
            Duration::hours(1),
        )
        .await;
        assert!(recorder.texts().is_empty());
        let first = &reminders_of(&store, referral).await[0];
        assert_eq!(first.status, "skipped");
        assert_eq!(
            first.last_error.as_deref(),
            Some("the family opted out of reminders")
        );

        // Staff opt them back in, then the family withdraws consent.
        opt_outs::opt_in(store.conn(), &[index]).await.unwrap();
        shares::record_decision(
            store.conn(),
            &w.keys,
            w.child,
            Some(referral),
            ShareKind::ConsentWithdrawn,
            Some("The family no longer wants contact"),
            w.worker,
            w.provider,
            clock.now(),
        )
        .await
        .unwrap();
        run_until(
            &store,
            &clock,
            &messenger,
            utc(2026, 11, 30, 0, 0),
            Duration::hours(1),
        )
        .await;
        assert!(recorder.texts().is_empty());
        let second = &reminders_of(&store, referral).await[1];
        assert_eq!(
            (second.status.as_str(), second.last_error.as_deref()),
            ("skipped", Some("the family withdrew consent"))
        );
    }
);

store_test!(
    a_family_reached_only_through_the_referrer_gets_no_reminder,
    |store| async move {
        let w = world(&store).await;
        family_contact(&store, &w, |d| {
            d.contact_preference = Some(convene_domain::people::ContactPreference::ThroughReferrer)
        })
        .await;
        let t = utc(2026, 11, 20, 9, 0);
        let referral = accepted_referral(&store, &w, t).await;
        book(&store, referral, utc(2026, 11, 24, 10, 0), t, w.worker).await;
        let recorder =
            deliver_between(&store, &w, t, utc(2026, 11, 24, 0, 0), Duration::hours(1)).await;
        assert!(recorder.texts().is_empty());
        assert_eq!(reminders_of(&store, referral).await[0].status, "skipped");
    }
);

store_test!(
    what_a_reminder_says_follows_the_service_and_the_family_language,
    |store| async move {
        let w = world(&store).await;
        family_contact(&store, &w, |d| d.preferred_language = Some("Polish".into())).await;
        let t = utc(2026, 11, 20, 9, 0);
        let clock = ManualClock::new(t);
        let recorder = Recorder::new(Arc::new(clock.clone()));
        let messenger = messenger(recorder.clone(), &w);

        // A service that allows its name, with a template in Polish.
        let named = ServiceReminders {
            days_before: vec![1],
            sensitive: false,
            name_allowed: true,
            phone: Some("01632 960 222".into()),
        };
        settings::set(store.conn(), w.service, &named, w.worker, t)
            .await
            .unwrap();
        let polish = Template {
            subject: "Przypomnienie".into(),
            body: "Dzień dobry {{ first_name }}, wizyta {{ service_name }}: {{ date }} {{ time }}. Tel. {{ phone }}".into(),
        };
        templates::save(
            store.conn(),
            MessageKind::Reminder,
            " polish ",
            &polish,
            w.worker,
            t,
        )
        .await
        .unwrap();
        let referral = accepted_referral(&store, &w, t).await;
        book(&store, referral, utc(2026, 11, 24, 10, 0), t, w.worker).await;
        run_until(
            &store,
            &clock,
            &messenger,
            utc(2026, 11, 24, 0, 0),
            Duration::hours(1),
        )
        .await;
        let body = recorder.texts()[0].message.body.clone();
        assert_eq!(
            body,
            "Dzień dobry Grace, wizyta Parenting course: Tuesday 24 November 10:00am. Tel. 01632 960 222"
        );

        // The same service marked sensitive: the sensitive template, with
        // the date, time and phone only, whatever else it allowed.
        let sensitive = ServiceReminders {
            sensitive: true,
            ..named
        };
        settings::set(store.conn(), w.service, &sensitive, w.worker, clock.now())
            .await
            .unwrap();
        book(
            &store,
            referral,
            utc(2026, 11, 26, 15, 30),
            clock.now(),
            w.worker,
        )
        .await;
        run_until(
            &store,
            &clock,
            &messenger,
            utc(2026, 11, 26, 0, 0),
            Duration::hours(1),
        )
        .await;
        let body = recorder.texts()[1].message.body.clone();
        assert_eq!(
            body,
            "Reminder: you have an appointment on Thursday 26 November at 3:30pm. To change it, call 01632 960 222."
        );
        assert!(!body.contains("Parenting") && !body.contains("Grace"));
    }
);

store_test!(
    measures_compare_missed_appointments_with_and_without_a_delivered_reminder,
    |store| async move {
        let w = world(&store).await;
        family_contact(&store, &w, |_| {}).await;
        let t = utc(2026, 11, 2, 9, 0);
        let referral = accepted_referral(&store, &w, t).await;
        let mut booked = Vec::new();
        for day in 0..6 {
            let at = utc(2026, 11, 10 + day, 10, 0);
            booked.push((book(&store, referral, at, t, w.worker).await, at));
        }
        let clock = ManualClock::new(t);
        let recorder = Recorder::new(Arc::new(clock.clone()));
        run_until(
            &store,
            &clock,
            &messenger(recorder.clone(), &w),
            utc(2026, 11, 16, 0, 0),
            Duration::hours(1),
        )
        .await;
        // Receipts say the first three appointments' reminders arrived;
        // the rest were sent but never reported delivered.
        for message in reminders_of(&store, referral).await {
            let first_three = booked[..3]
                .iter()
                .any(|(id, _)| Some(*id) == message.appointment_id);
            if first_three {
                outbox::record_report(
                    store.conn(),
                    message.id,
                    None,
                    &outbox::Report::Delivered,
                    clock.now(),
                )
                .await
                .unwrap();
            }
        }
        let kept = [true, true, false, false, false, true];
        for ((id, at), came) in booked.iter().zip(kept) {
            let record = if came {
                AppointmentChange::Attended
            } else {
                AppointmentChange::DidNotAttend
            };
            change(&store, *id, record, *at + Duration::minutes(50)).await;
        }
        let effect = convene_store::referrals::measures::reminder_effect(
            store.conn(),
            w.provider,
            utc(2026, 11, 1, 0, 0),
            utc(2026, 12, 1, 0, 0),
        )
        .await
        .unwrap();
        assert_eq!(effect.len(), 1);
        assert_eq!(effect[0].service, "Parenting course");
        assert_eq!(
            (
                effect[0].with_reminder.recorded,
                effect[0].with_reminder.missed
            ),
            (3, 1)
        );
        assert_eq!(
            (
                effect[0].without_reminder.recorded,
                effect[0].without_reminder.missed
            ),
            (3, 2)
        );
        // Three is too few for a rate.
        assert_eq!(effect[0].with_reminder.missed_rate(), None);
        // Outside the period, nothing.
        let before = convene_store::referrals::measures::reminder_effect(
            store.conn(),
            w.provider,
            utc(2026, 10, 1, 0, 0),
            utc(2026, 11, 1, 0, 0),
        )
        .await
        .unwrap();
        assert!(before.is_empty());
    }
);

store_test!(
    a_child_reached_only_through_the_referrer_means_no_reminder_to_the_parent,
    |store| async move {
        let w = world(&store).await;
        family_contact(&store, &w, |_| {}).await;
        let mut child = records::get(store.conn(), &w.keys, w.child)
            .await
            .unwrap()
            .unwrap()
            .details;
        child.contact_preference = Some(convene_domain::people::ContactPreference::ThroughReferrer);
        records::update(store.conn(), &w.keys, w.child, &child, t0())
            .await
            .unwrap();
        let t = utc(2026, 11, 20, 9, 0);
        let referral = accepted_referral(&store, &w, t).await;
        book(&store, referral, utc(2026, 11, 24, 10, 0), t, w.worker).await;
        let recorder =
            deliver_between(&store, &w, t, utc(2026, 11, 24, 0, 0), Duration::hours(1)).await;
        assert!(
            recorder.texts().is_empty(),
            "the parent has a phone, but no text"
        );
        let skipped = &reminders_of(&store, referral).await[0];
        assert_eq!(
            (skipped.status.as_str(), skipped.last_error.as_deref()),
            (
                "skipped",
                Some("the family is contacted only through the referrer")
            )
        );
    }
);

store_test!(
    an_evening_appointment_is_reminded_at_eight_the_evening_before,
    |store| async move {
        let w = world(&store).await;
        family_contact(&store, &w, |_| {}).await;
        let t = utc(2026, 11, 20, 9, 0);
        let referral = accepted_referral(&store, &w, t).await;
        // 21:00 GMT: the day-before reminder is due at 20:00, and goes then.
        book(&store, referral, utc(2026, 11, 25, 21, 0), t, w.worker).await;
        let recorder = deliver_between(
            &store,
            &w,
            t,
            utc(2026, 11, 25, 12, 0),
            Duration::minutes(30),
        )
        .await;
        let at: Vec<_> = recorder.texts().iter().map(|h| h.at).collect();
        assert_eq!(at, vec![utc(2026, 11, 24, 20, 0)]);
    }
);

store_test!(
    a_text_too_long_with_real_names_goes_without_the_service_name,
    |store| async move {
        let w = world(&store).await;
        // A name outside the GSM alphabet makes the text Unicode (70
        // characters a message).
        family_contact(&store, &w, |d| d.given_name = "Łucja".into()).await;
        let named = ServiceReminders {
            days_before: vec![1],
            sensitive: false,
            name_allowed: true,
            phone: Some("01632 960 222".into()),
        };
        settings::set(store.conn(), w.service, &named, w.worker, t0())
            .await
            .unwrap();
        let long = Template {
            subject: "Reminder".into(),
            body: "Hello {{ first_name }}, this is a reminder of your appointment{% if service_name %} with {{ service_name }} (for families in Brackenbury){% endif %} on {{ date }} at {{ time }}. If you cannot come, please call {{ phone }}. Please arrive early.".into(),
        };
        templates::save(
            store.conn(),
            MessageKind::Reminder,
            "english",
            &long,
            w.worker,
            t0(),
        )
        .await
        .unwrap();
        let t = utc(2026, 11, 20, 9, 0);
        let referral = accepted_referral(&store, &w, t).await;
        book(&store, referral, utc(2026, 11, 24, 10, 0), t, w.worker).await;
        let recorder =
            deliver_between(&store, &w, t, utc(2026, 11, 24, 0, 0), Duration::hours(1)).await;
        let body = recorder.texts()[0].message.body.clone();
        assert!(
            body.starts_with("Hello Łucja, this is a reminder of your appointment on"),
            "{body}"
        );
        assert!(
            convene_domain::messaging::templates::sms_fragments(&body) <= 3,
            "{body}"
        );
    }
);
