//! A national-scale caseload on top of an imported directory: an account
//! for every organisation that runs a service, a million people (children
//! and a parent or carer each) and three million referrals between the
//! organisations, spread over three years, with their history, the consent
//! they were sent on and their appointments. Written through
//! `convene_store::caseload`, so every value is sealed as Convene seals it.
//!
//! The load run (`convene-bench load`) signs in as the first `accounts`
//! accounts; their credentials go to a JSON file, which is a benchmark's
//! throwaway data and nothing else.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, anyhow};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use convene_domain::clock::{Clock, SystemClock};
use convene_domain::directory::postcodes::Postcode;
use convene_domain::identity::passwords::hash_password_with_salt;
use convene_domain::identity::second_factor::secret_base32;
use convene_domain::identity::tokens::{hash_secret, new_api_token};
use convene_domain::identity::{Role, Scope};
use convene_domain::people::{ContactPreference, PersonDetails};
use convene_domain::referrals::appointments::AppointmentStatus;
use convene_domain::referrals::{Outcome, ReferralState, Urgency};
use convene_domain::sealing::DataKeys;
use convene_store::caseload::{
    CaseloadAppointment, CaseloadPerson, CaseloadReferral, CaseloadStep, insert_people,
    insert_referrals,
};
use convene_store::directory::{services, taxonomies};
use convene_store::identity::{accounts, credentials};
use convene_store::{
    Backend, ConnectionTrait, DatabaseSettings, SqliteSynchronous, Store, StoreError,
};
use serde::Serialize;
use uuid::Uuid;

use crate::rng::Rng;

/// The password of every generated account.
pub const PASSWORD: &str = "load-test-password-1";

/// People and referrals written per transaction.
const BATCH: usize = 5_000;

pub struct Size {
    pub people: usize,
    pub referrals: usize,
    /// Accounts whose credentials the load run gets.
    pub accounts: usize,
    pub seed: u64,
}

/// What the load run needs to sign in and make referrals.
#[derive(Serialize)]
pub struct Credentials {
    pub password: String,
    pub accounts: Vec<LoadAccount>,
    /// Active services referrals can be made to.
    pub services: Vec<Uuid>,
    /// Need codes a referral can name.
    pub needs: Vec<String>,
}

#[derive(Serialize)]
pub struct LoadAccount {
    pub email: String,
    pub totp_secret: String,
    pub token: String,
    pub organisation_id: Uuid,
}

struct Organisation {
    id: Uuid,
    user: Uuid,
    services: Vec<Uuid>,
}

fn store_error(e: StoreError) -> anyhow::Error {
    anyhow!("{e}")
}

/// The keys the server is configured with, from its own variables.
pub fn keys_from_environment() -> anyhow::Result<DataKeys> {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let keys = var("CONVENE_DATA_KEYS");
    let current = match var("CONVENE_DATA_KEY_CURRENT") {
        c if c.is_empty() => keys
            .split_once(':')
            .map(|(id, _)| id.to_string())
            .unwrap_or_default(),
        c => c,
    };
    DataKeys::parse(&keys, &current, &var("CONVENE_BLIND_INDEX_KEY"))
        .map_err(|e| anyhow!("CONVENE_DATA_KEYS / CONVENE_BLIND_INDEX_KEY: {e}"))
}

pub async fn generate(database_url: &str, size: &Size, out: &Path) -> anyhow::Result<()> {
    let keys = keys_from_environment()?;
    // Throwaway benchmark data: no fsync per batch, one connection (so the
    // large page cache below stays with it).
    let settings = DatabaseSettings {
        max_connections: 1,
        sqlite_synchronous: SqliteSynchronous::Off,
        ..DatabaseSettings::new(database_url)
    };
    let store = Store::connect(&settings).await.map_err(store_error)?;
    if store.backend() == Backend::Sqlite {
        // A gigabyte of page cache: the indexes of random ids are written
        // all over, and SQLite's default cache is 2 MB.
        store
            .conn()
            .execute_unprepared("PRAGMA cache_size = -1048576")
            .await?;
    }
    convene_store::people::keys::verify(&store, &keys)
        .await
        .map_err(store_error)?;
    let started = Instant::now();
    let now = Clock::now(&SystemClock);
    let (mut organisations, needs) = directory(&store).await?;
    if organisations.is_empty() || needs.is_empty() {
        anyhow::bail!("import a directory first: no active services or no needs taxonomy");
    }
    let credentials = make_accounts(&store, &mut organisations, size, now).await?;
    println!(
        "{} accounts in {:.1} s",
        organisations.len(),
        started.elapsed().as_secs_f64()
    );
    let families = size.people / 2;
    let mut rng = Rng::stream(size.seed, "people");
    let mut written = 0;
    while written < families {
        let batch: Vec<CaseloadPerson> = (written..(written + BATCH / 2).min(families))
            .flat_map(|f| family(&mut rng, f, &organisations, now))
            .collect();
        written += batch.len() / 2;
        let keys = keys.clone();
        store
            .transaction(|txn| Box::pin(async move { insert_people(txn, &keys, &batch).await }))
            .await
            .map_err(store_error)?;
    }
    println!(
        "{} people in {:.1} s",
        families * 2,
        started.elapsed().as_secs_f64()
    );
    let mut rng = Rng::stream(size.seed, "referrals");
    let need_ids: Vec<Uuid> = needs.values().copied().collect();
    let mut done = 0;
    while done < size.referrals {
        let count = BATCH.min(size.referrals - done);
        let batch: Vec<CaseloadReferral> = (done..done + count)
            .map(|n| {
                // A steady flow over three years, oldest first, as the
                // referrals would have been made.
                let created = now - Duration::days(3 * 365)
                    + Duration::seconds((3 * 365 * 86_400) * n as i64 / size.referrals as i64);
                referral(&mut rng, created, families, &organisations, &need_ids, now)
            })
            .collect();
        done += count;
        let keys = keys.clone();
        store
            .transaction(|txn| Box::pin(async move { insert_referrals(txn, &keys, &batch).await }))
            .await
            .map_err(store_error)?;
        if done % 250_000 == 0 {
            println!(
                "{done} referrals in {:.1} s",
                started.elapsed().as_secs_f64()
            );
        }
    }
    println!(
        "{} referrals in {:.1} s",
        size.referrals,
        started.elapsed().as_secs_f64()
    );
    let credentials = Credentials {
        needs: needs.into_keys().collect(),
        ..credentials
    };
    std::fs::write(out, serde_json::to_vec_pretty(&credentials)?)
        .with_context(|| format!("write {}", out.display()))?;
    store.close().await.map_err(store_error)?;
    Ok(())
}

/// Organisations with active services (by id, so the same seed gives the
/// same caseload), and need codes with their term ids.
async fn directory(store: &Store) -> anyhow::Result<(Vec<Organisation>, BTreeMap<String, Uuid>)> {
    let mut by_organisation: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    for service in services::rows(store.conn(), None)
        .await
        .map_err(store_error)?
    {
        if service.status == "active" && service.who_can_refer != "self" {
            by_organisation
                .entry(service.organisation_id)
                .or_default()
                .push(service.id);
        }
    }
    let organisations = by_organisation
        .into_iter()
        .map(|(id, mut services)| {
            services.sort();
            Organisation {
                id,
                user: Uuid::nil(),
                services,
            }
        })
        .collect();
    let (terms, _) = taxonomies::terms(store.conn(), None, 1, 10_000)
        .await
        .map_err(store_error)?;
    let needs = terms
        .into_iter()
        .filter(|t| t.taxonomy.as_deref().is_some_and(|t| t.contains("eed")))
        .filter_map(|t| Some((t.code?, t.id)))
        .collect();
    Ok((organisations, needs))
}

/// One practitioner account per organisation (password and second factor
/// set up); API tokens and credentials for the first `size.accounts`.
async fn make_accounts(
    store: &Store,
    organisations: &mut [Organisation],
    size: &Size,
    now: DateTime<Utc>,
) -> anyhow::Result<Credentials> {
    // One argon2 hash for every account: the benchmark measures signing
    // in, not how long the generator takes to hash 8,000 passwords.
    let hash = hash_password_with_salt(PASSWORD, b"convene-bench-01");
    let mut rng = Rng::stream(size.seed, "accounts");
    let mut load_accounts = Vec::new();
    for (n, organisation) in organisations.iter_mut().enumerate() {
        let user = rng.uuid();
        let secret: Vec<u8> = (0..20).map(|_| rng.next_u64() as u8).collect();
        let email = format!("practitioner{n}@bench.convene.test");
        let token = (n < size.accounts)
            .then(new_api_token)
            .transpose()
            .map_err(|e| anyhow!("{e}"))?;
        let (hash, email2, secret2, token2) =
            (hash.clone(), email.clone(), secret.clone(), token.clone());
        let organisation_id = organisation.id;
        store
            .transaction(|txn| {
                Box::pin(async move {
                    accounts::create(
                        txn,
                        user,
                        &email2,
                        &format!("Practitioner {n}"),
                        Some(&hash),
                        now,
                    )
                    .await?;
                    accounts::set_role(txn, user, organisation_id, Role::Practitioner, now).await?;
                    accounts::enable_second_factor(txn, user, &secret2, 0, now).await?;
                    if let Some(token) = token2 {
                        credentials::create_token(
                            txn,
                            user,
                            "load test",
                            &hash_secret(&token),
                            &[Scope::Referrals],
                            now + Duration::days(30),
                            now,
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .await
            .map_err(store_error)?;
        organisation.user = user;
        if let Some(token) = token {
            load_accounts.push(LoadAccount {
                email,
                totp_secret: secret_base32(&secret),
                token,
                organisation_id,
            });
        }
    }
    Ok(Credentials {
        password: PASSWORD.to_string(),
        accounts: load_accounts,
        services: organisations
            .iter()
            .flat_map(|o| o.services.iter().copied())
            .collect(),
        needs: Vec::new(),
    })
}

const GIVEN: &[&str] = &[
    "Aisha", "Ben", "Chloe", "Daniel", "Ella", "Finley", "Grace", "Harry", "Isla", "Jacob", "Kai",
    "Leah", "Mohammed", "Nia", "Oliver", "Priya", "Quinn", "Rosie", "Sam", "Tyler", "Zofia",
    "Amir", "Bethany", "Callum", "Demi", "Ethan", "Freya", "Gabriel", "Hana", "Ivan",
];
const FAMILY: &[&str] = &[
    "Ahmed", "Brown", "Campbell", "Davies", "Evans", "Fletcher", "Green", "Hughes", "Iqbal",
    "Jones", "Kowalski", "Lewis", "Mensah", "Nowak", "O'Brien", "Patel", "Quayle", "Roberts",
    "Smith", "Taylor", "Usman", "Walker", "Wright", "Young", "Begum", "Clarke", "Hussain",
    "Murphy", "Okafor", "Singh",
];

fn postcode(rng: &mut Rng) -> Option<Postcode> {
    let areas = ["LS", "BD", "M", "B", "NE", "L", "S", "NG", "LE", "HU"];
    let text = format!(
        "{}{} {}{}{}",
        rng.pick(&areas),
        1 + rng.below(20),
        rng.below(10),
        (b'A' + rng.below(26) as u8) as char,
        (b'A' + rng.below(26) as u8) as char
    );
    Postcode::parse(&text).ok()
}

/// A child and their parent or carer, recorded by one organisation.
fn family(
    rng: &mut Rng,
    number: usize,
    organisations: &[Organisation],
    now: DateTime<Utc>,
) -> [CaseloadPerson; 2] {
    let family_name = rng.pick(FAMILY).to_string();
    let recorded_by = rng.pick(organisations).id;
    let at = now - Duration::days(rng.below(3 * 365) as i64 + 30);
    let home = postcode(rng);
    let born = NaiveDate::from_ymd_opt(2008, 1, 1)
        .and_then(|d| d.checked_add_days(chrono::Days::new(rng.below(17 * 365) as u64)));
    let child = PersonDetails {
        given_name: rng.pick(GIVEN).to_string(),
        family_name: family_name.clone(),
        date_of_birth: born,
        phone: None,
        email: None,
        contact_preference: None,
        preferred_language: None,
        school: Some(format!("School {}", number % 20_000)),
        postcode: home.clone(),
    };
    let parent = PersonDetails {
        given_name: rng.pick(GIVEN).to_string(),
        family_name,
        date_of_birth: None,
        phone: Some(format!("07700 9{:05}", number % 100_000)),
        email: rng
            .chance(0.5)
            .then(|| format!("parent{number}@example.com")),
        contact_preference: Some(ContactPreference::Text),
        preferred_language: None,
        school: None,
        postcode: home,
    };
    [
        CaseloadPerson {
            id: person_id(number, 0),
            details: child,
            recorded_by,
            at,
        },
        CaseloadPerson {
            id: person_id(number, 1),
            details: parent,
            recorded_by,
            at,
        },
    ]
}

/// An id as Convene makes them (version 7: time-ordered) for a row made
/// at `at`.
fn time_ordered_id(rng: &mut Rng, at: DateTime<Utc>) -> Uuid {
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&rng.next_u64().to_le_bytes());
    random[8..].copy_from_slice(&rng.next_u64().to_le_bytes()[..2]);
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid()
}

/// People's ids follow from their family's number, so referrals can name
/// them without a lookup.
fn person_id(family: usize, member: u64) -> Uuid {
    Uuid::from_u64_pair(0xc0de_0000_0000_0000 | family as u64, member)
}

/// A referral between two organisations, as far along as its age makes
/// likely: most older ones closed, the newest still waiting.
fn referral(
    rng: &mut Rng,
    created: DateTime<Utc>,
    families: usize,
    organisations: &[Organisation],
    needs: &[Uuid],
    now: DateTime<Utc>,
) -> CaseloadReferral {
    let id = time_ordered_id(rng, created);
    let receiver = rng.pick(organisations);
    let referrer = rng.pick(organisations);
    let family = rng.below(families);
    let age_days = (now - created).num_days();
    let step = |transition, from, to, by: &Organisation, at| CaseloadStep {
        transition,
        from,
        to,
        by_user: by.user,
        by_organisation: by.id,
        at,
    };
    let mut at = created;
    let mut later = |rng: &mut Rng, days: usize| {
        at += Duration::hours(1 + rng.below(24 * days.max(1)) as i64);
        at.min(now)
    };
    let mut steps = vec![
        step("create", None, ReferralState::Draft, referrer, created),
        step(
            "send",
            Some(ReferralState::Draft),
            ReferralState::Sent,
            referrer,
            later(rng, 1),
        ),
    ];
    // Where it has got to: newer referrals are further from closed.
    let progress = if age_days < 14 {
        rng.below(3)
    } else if age_days < 90 {
        1 + rng.below(4)
    } else {
        4
    };
    let declined = rng.chance(0.08);
    let mut outcome = None;
    let mut decline_reason = None;
    let mut appointment = None;
    if progress >= 1 {
        steps.push(step(
            "open",
            Some(ReferralState::Sent),
            ReferralState::Opened,
            receiver,
            later(rng, 3),
        ));
    }
    if progress >= 2 && declined {
        decline_reason = Some("The family's needs are better met by another service".into());
        steps.push(step(
            "decline",
            Some(ReferralState::Opened),
            ReferralState::Declined,
            receiver,
            later(rng, 3),
        ));
    } else if progress >= 2 {
        let accepted = later(rng, 3);
        steps.push(step(
            "accept",
            Some(ReferralState::Opened),
            ReferralState::Accepted,
            receiver,
            accepted,
        ));
        let starts_at = accepted + Duration::days(3 + rng.below(20) as i64);
        let status = if starts_at > now {
            AppointmentStatus::Booked
        } else if rng.chance(0.18) {
            AppointmentStatus::DidNotAttend
        } else {
            AppointmentStatus::Attended
        };
        appointment = Some(CaseloadAppointment {
            id: time_ordered_id(rng, accepted),
            starts_at,
            status,
            booked_by: receiver.user,
        });
        if progress >= 4 && starts_at < now {
            outcome = Some(*rng.pick(&[
                Outcome::NeedsMet,
                Outcome::NeedsMet,
                Outcome::PartlyMet,
                Outcome::NotMet,
                Outcome::FamilyWithdrew,
            ]));
            let closed = (starts_at + Duration::days(7 + rng.below(60) as i64)).min(now);
            steps.push(step(
                "close",
                Some(ReferralState::Accepted),
                ReferralState::Closed,
                receiver,
                closed,
            ));
        }
    }
    CaseloadReferral {
        id,
        service_id: *rng.pick(&receiver.services),
        receiving_organisation_id: receiver.id,
        referring_organisation_id: referrer.id,
        referred_by: referrer.user,
        subject_id: person_id(family, 0),
        parent_id: rng.chance(0.9).then(|| person_id(family, 1)),
        need: *rng.pick(needs),
        urgency: *rng.pick(&[
            Urgency::Routine,
            Urgency::Routine,
            Urgency::Soon,
            Urgency::Urgent,
        ]),
        reason: "Referred after a conversation with the family about the support they want".into(),
        decline_reason,
        outcome,
        steps,
        appointment,
    }
}
