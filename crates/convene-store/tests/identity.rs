//! Identity storage on both backends.

use chrono::{Duration, TimeZone, Utc};
use convene_domain::identity::throttle::ThrottleRule;
use convene_domain::identity::tokens::hash_secret;
use convene_domain::identity::{Role, Scope, SessionStage};
use convene_domain::ids::new_id;
use convene_domain::organisations::{OrganisationDetails, OrganisationKind};
use convene_store::identity::credentials::{self, LinkPurpose};
use convene_store::identity::sessions::{self, NewSession};
use convene_store::identity::{accounts, throttles};
use convene_store::{Store, organisations, store_test};

fn t0() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

async fn organisation(store: &Store, name: &str) -> uuid::Uuid {
    let id = new_id();
    let details = OrganisationDetails {
        name: name.into(),
        kind: OrganisationKind::School,
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

store_test!(accounts_and_memberships, |store| async move {
    let school = organisation(&store, "School").await;
    let clinic = organisation(&store, "Clinic").await;
    let id = new_id();
    accounts::create(
        store.conn(),
        id,
        "amina@school.example",
        "Amina Khan",
        Some("hash"),
        t0(),
    )
    .await
    .unwrap();
    assert!(
        accounts::create(
            store.conn(),
            new_id(),
            "amina@school.example",
            "Dup",
            None,
            t0()
        )
        .await
        .is_err()
    );
    let found = accounts::find_by_email(store.conn(), "amina@school.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, id);
    assert!(found.is_active());

    accounts::set_role(store.conn(), id, school, Role::Practitioner, t0())
        .await
        .unwrap();
    accounts::set_role(store.conn(), id, school, Role::SafeguardingLead, t0())
        .await
        .unwrap();
    accounts::set_role(store.conn(), id, clinic, Role::Viewer, t0())
        .await
        .unwrap();
    let mut roles: Vec<_> = accounts::memberships(store.conn(), id)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.role)
        .collect();
    roles.sort();
    assert_eq!(roles, [Role::SafeguardingLead, Role::Viewer]);
    let members = accounts::members_of(store.conn(), school).await.unwrap();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0].1, Role::SafeguardingLead);

    accounts::set_disabled(store.conn(), id, true, t0())
        .await
        .unwrap();
    assert!(
        !accounts::get(store.conn(), id)
            .await
            .unwrap()
            .unwrap()
            .is_active()
    );
});

store_test!(a_totp_step_is_used_once, |store| async move {
    let id = new_id();
    accounts::create(store.conn(), id, "a@b.example", "A", Some("hash"), t0())
        .await
        .unwrap();
    accounts::enable_second_factor(store.conn(), id, &[7u8; 20], 100, t0())
        .await
        .unwrap();
    let account = accounts::get(store.conn(), id).await.unwrap().unwrap();
    assert_eq!(account.totp_secret.as_deref(), Some(&[7u8; 20][..]));
    assert!(account.has_second_factor());
    assert!(
        !accounts::use_totp_step(store.conn(), id, 100)
            .await
            .unwrap()
    );
    assert!(
        accounts::use_totp_step(store.conn(), id, 101)
            .await
            .unwrap()
    );
    assert!(
        !accounts::use_totp_step(store.conn(), id, 101)
            .await
            .unwrap()
    );
    assert!(!accounts::use_totp_step(store.conn(), id, 99).await.unwrap());
});

store_test!(sessions_are_found_by_hash_and_ended, |store| async move {
    let user = new_id();
    accounts::create(store.conn(), user, "a@b.example", "A", Some("hash"), t0())
        .await
        .unwrap();
    let (first, second) = (new_id(), new_id());
    for (id, token) in [(first, "token-1"), (second, "token-2")] {
        let new = NewSession {
            token_hash: &hash_secret(token),
            user_id: user,
            stage: SessionStage::Complete,
            csrf_token: "csrf",
            client_address: Some("127.0.0.1"),
            user_agent: Some("test"),
        };
        sessions::create(store.conn(), id, new, t0()).await.unwrap();
    }
    let found = sessions::find_by_token_hash(store.conn(), &hash_secret("token-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((found.id, found.stage), (first, SessionStage::Complete));
    assert!(
        sessions::find_by_token_hash(store.conn(), "token-1")
            .await
            .unwrap()
            .is_none(),
        "raw tokens are not stored"
    );
    sessions::touch(store.conn(), first, t0() + Duration::minutes(5))
        .await
        .unwrap();
    let touched = sessions::find_by_token_hash(store.conn(), &hash_secret("token-1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(touched.last_seen_at, t0() + Duration::minutes(5));
    assert_eq!(
        sessions::delete_all_for_user(store.conn(), user, Some(first))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        sessions::list_for_user(store.conn(), user)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        !sessions::delete_for_user(store.conn(), new_id(), first)
            .await
            .unwrap()
    );
});

store_test!(tokens_codes_and_links, |store| async move {
    let user = new_id();
    accounts::create(store.conn(), user, "a@b.example", "A", Some("hash"), t0())
        .await
        .unwrap();
    let token = credentials::create_token(
        store.conn(),
        user,
        "reporting",
        &hash_secret("cvn_x"),
        &[Scope::AuditRead],
        t0() + Duration::days(30),
        t0(),
    )
    .await
    .unwrap();
    let found = credentials::find_token(store.conn(), &hash_secret("cvn_x"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.scopes, [Scope::AuditRead]);
    assert!(found.is_usable(t0()));
    assert!(!found.is_usable(t0() + Duration::days(30)));
    assert!(
        !credentials::revoke_token(store.conn(), new_id(), token.id, t0())
            .await
            .unwrap()
    );
    assert!(
        credentials::revoke_token(store.conn(), user, token.id, t0())
            .await
            .unwrap()
    );
    assert!(
        !credentials::find_token(store.conn(), &hash_secret("cvn_x"))
            .await
            .unwrap()
            .unwrap()
            .is_usable(t0())
    );

    credentials::replace_recovery_codes(store.conn(), user, &["h1".into(), "h2".into()], t0())
        .await
        .unwrap();
    assert!(
        credentials::use_recovery_code(store.conn(), user, "h1", t0())
            .await
            .unwrap()
    );
    assert!(
        !credentials::use_recovery_code(store.conn(), user, "h1", t0())
            .await
            .unwrap()
    );
    assert_eq!(
        credentials::unused_recovery_codes(store.conn(), user)
            .await
            .unwrap(),
        1
    );

    let link = hash_secret("link");
    credentials::create_link(
        store.conn(),
        LinkPurpose::PasswordReset,
        user,
        &link,
        t0() + Duration::hours(1),
        t0(),
    )
    .await
    .unwrap();
    assert_eq!(
        credentials::use_link(store.conn(), LinkPurpose::Invitation, &link, t0())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        credentials::use_link(
            store.conn(),
            LinkPurpose::PasswordReset,
            &link,
            t0() + Duration::hours(2)
        )
        .await
        .unwrap(),
        None,
        "expired"
    );
    assert_eq!(
        credentials::use_link(store.conn(), LinkPurpose::PasswordReset, &link, t0())
            .await
            .unwrap(),
        Some(user)
    );
    assert_eq!(
        credentials::use_link(store.conn(), LinkPurpose::PasswordReset, &link, t0())
            .await
            .unwrap(),
        None
    );
});

store_test!(parallel_failures_are_all_counted, |store| async move {
    let rule = ThrottleRule::per_account();
    let mut tasks = Vec::new();
    for _ in 0..12 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            throttles::record_failure(&store, "account:race", rule, t0())
                .await
                .unwrap()
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let state = throttles::get(store.conn(), "account:race", t0())
        .await
        .unwrap();
    assert_eq!(state.failures, 12);
    assert!(state.locked_for(t0()).is_some());
});

store_test!(throttles_count_lock_and_clear, |store| async move {
    let rule = ThrottleRule::per_account();
    let mut state = throttles::get(store.conn(), "account:x", t0())
        .await
        .unwrap();
    assert_eq!(state.failures, 0);
    for i in 0..10 {
        state = throttles::record_failure(&store, "account:x", rule, t0() + Duration::seconds(i))
            .await
            .unwrap();
    }
    assert!(state.locked_for(t0() + Duration::seconds(10)).is_some());
    let stored = throttles::get(store.conn(), "account:x", t0())
        .await
        .unwrap();
    assert_eq!(stored, state);
    throttles::clear(store.conn(), "account:x").await.unwrap();
    assert_eq!(
        throttles::get(store.conn(), "account:x", t0())
            .await
            .unwrap()
            .failures,
        0
    );
});
