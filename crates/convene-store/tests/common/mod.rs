//! A small world for referral tests: a school, a service provider with two
//! services, a child and a parent, keys, and helpers to draft, share and
//! move referrals.

#![allow(dead_code, unused_imports)]

pub use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
pub use convene_domain::directory::parse_service;
pub use convene_domain::ids::new_id;
pub use convene_domain::organisations::{OrganisationDetails, OrganisationKind};
pub use convene_domain::people::PersonDetails;
pub use convene_domain::people::sharing::{LawfulBasis, Share, SharedItem};
pub use convene_domain::referrals::{
    AppointmentChange, AppointmentMode, AppointmentStatus, Outcome, ReferralState, Transition,
    Urgency,
};
pub use convene_domain::sealing::DataKeys;
pub use convene_store::directory::services;
pub use convene_store::people::records;
pub use convene_store::people::shares::{self, ShareKind};
pub use convene_store::referrals::appointments::{self, Booking};
pub use convene_store::referrals::follow_ups::{self, FollowUpKind};
pub use convene_store::referrals::records::{self as referrals, Actor, ListWindow, NewReferral};
pub use convene_store::{Store, StoreError, organisations, store_test};
pub use sea_orm::{ConnectionTrait, Statement};
pub use serde_json::json;
pub use uuid::Uuid;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 9, 0, 0).unwrap()
}

pub struct World {
    pub keys: DataKeys,
    pub key: String,
    pub index: String,
    pub school: Uuid,
    pub provider: Uuid,
    pub service: Uuid,
    pub other_service: Uuid,
    pub child: Uuid,
    pub parent: Uuid,
    pub teacher: Uuid,
    pub worker: Uuid,
}

pub async fn organisation(store: &Store, name: &str) -> Uuid {
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

pub async fn add_service(store: &Store, organisation: Uuid, name: &str) -> Uuid {
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

pub async fn world(store: &Store) -> World {
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

pub async fn draft(store: &Store, w: &World) -> Uuid {
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

pub async fn share(store: &Store, w: &World, referral: Uuid, basis: LawfulBasis) {
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

pub async fn move_on(
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

pub fn refused(result: Result<impl std::fmt::Debug, StoreError>) -> String {
    match result {
        Err(StoreError::Refused(reason)) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}
