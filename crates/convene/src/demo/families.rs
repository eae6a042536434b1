//! Demo families: children referred from Northgate Primary to the NHS
//! trust's and the council's services, with referrals in every state,
//! appointments kept and missed, and outcomes. Fictional people, sealed
//! like real ones.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use convene_domain::directory::postcodes::Postcode;
use convene_domain::directory::taxonomy::need_id;
use convene_domain::ids::{new_id, stable_id};
use convene_domain::people::PersonDetails;
use convene_domain::people::households::Relationship;
use convene_domain::people::sharing::{LawfulBasis, PRIVACY_NOTICE_VERSION, Share, SharedItem};
use convene_domain::referrals::{AppointmentChange, AppointmentMode, Outcome, Transition, Urgency};
use convene_domain::sealing::DataKeys;
use convene_store::referrals::appointments::{self, Booking};
use convene_store::referrals::intake::{Child, Intake, take_in};
use convene_store::referrals::records::{self, Actor};
use convene_store::{DatabaseTransaction, Store, StoreError};

const SCHOOL: &str = "Northgate Primary School";
const REFERRER: &str = "family.support@northgate-primary.example";
const NHS: &str = "Brackenbury Community Health NHS Trust";
const NHS_PRACTITIONER: &str = "camhs@bch-nhs.example";
const COUNCIL: &str = "Brackenbury Council Early Help";
const CAMHS: &str = "Children and young people's mental health service";
const ASSESSMENT: &str = "Neurodevelopmental assessment";
const PARENTING: &str = "Parenting course: understanding your child";
const EARLY_HELP: &str = "Early Help family support";

/// What happens to a family's referral after it is sent.
#[derive(Clone, Copy)]
enum Story {
    Draft,
    Sent,
    Opened,
    /// Accepted with an appointment still to come.
    Booked,
    Declined,
    Redirected,
    /// Sessions missed then kept, closed with the outcome.
    Closed(Outcome),
}

struct Family {
    child: (&'static str, &'static str, (i32, u32, u32)),
    parent: (&'static str, Relationship, &'static str),
    postcode: &'static str,
    service: &'static str,
    provider: &'static str,
    need: &'static str,
    reason: &'static str,
    urgency: Urgency,
    story: Story,
}

const FAMILIES: &[Family] = &[
    Family {
        child: ("Lily", "Brown", (2017, 4, 12)),
        parent: ("Sarah", Relationship::Mother, "07700 900101"),
        postcode: "BK2 3NG",
        service: CAMHS,
        provider: NHS,
        need: "mental-health",
        reason: "Lily has panic attacks before school most days and has stopped eating lunch.",
        urgency: Urgency::Soon,
        story: Story::Closed(Outcome::NeedsMet),
    },
    Family {
        child: ("Noah", "Patel", (2015, 9, 3)),
        parent: ("Ravi", Relationship::Father, "07700 900102"),
        postcode: "BK2 3NG",
        service: ASSESSMENT,
        provider: NHS,
        need: "send",
        reason: "School and family think Noah may be autistic; he finds changes very hard.",
        urgency: Urgency::Routine,
        story: Story::Booked,
    },
    Family {
        child: ("Mia", "Kowalski", (2020, 1, 22)),
        parent: ("Anna", Relationship::Mother, "07700 900103"),
        postcode: "BK1 1AA",
        service: PARENTING,
        provider: COUNCIL,
        need: "parenting",
        reason: "Mum would like help with Mia's tantrums and bedtimes.",
        urgency: Urgency::Routine,
        story: Story::Sent,
    },
    Family {
        child: ("Ethan", "Hughes", (2012, 11, 30)),
        parent: ("Claire", Relationship::Mother, "07700 900104"),
        postcode: "BK3 2EA",
        service: CAMHS,
        provider: NHS,
        need: "mental-health",
        reason: "Ethan is worried about friendships and has been tearful.",
        urgency: Urgency::Routine,
        story: Story::Declined,
    },
    Family {
        child: ("Zara", "Ahmed", (2016, 6, 8)),
        parent: ("Hina", Relationship::Mother, "07700 900105"),
        postcode: "BK3 2EA",
        service: CAMHS,
        provider: NHS,
        need: "mental-health",
        reason: "Zara struggles to concentrate and her parents wonder about ADHD.",
        urgency: Urgency::Routine,
        story: Story::Redirected,
    },
    Family {
        child: ("Oliver", "Smith", (2018, 2, 14)),
        parent: ("Dean", Relationship::Father, "07700 900106"),
        postcode: "BK1 1AA",
        service: EARLY_HELP,
        provider: COUNCIL,
        need: "money-and-debt",
        reason: "Dad has lost his job and the family are behind on rent.",
        urgency: Urgency::Soon,
        story: Story::Draft,
    },
    Family {
        child: ("Ava", "Wilson", (2014, 8, 19)),
        parent: ("Paula", Relationship::Grandparent, "07700 900107"),
        postcode: "BK2 3NG",
        service: EARLY_HELP,
        provider: COUNCIL,
        need: "parenting",
        reason: "Grandma is now caring for Ava and would like support.",
        urgency: Urgency::Routine,
        story: Story::Opened,
    },
    Family {
        child: ("Jacob", "Evans", (2013, 3, 27)),
        parent: ("Kelly", Relationship::Mother, "07700 900108"),
        postcode: "BK3 2EA",
        service: CAMHS,
        provider: NHS,
        need: "mental-health",
        reason: "Jacob has been self-isolating in his room since moving house.",
        urgency: Urgency::Soon,
        story: Story::Closed(Outcome::CouldNotContact),
    },
];

fn person(
    given: &str,
    family: &str,
    born: Option<NaiveDate>,
    phone: Option<&str>,
    postcode: &str,
) -> PersonDetails {
    PersonDetails {
        given_name: given.to_string(),
        family_name: family.to_string(),
        date_of_birth: born,
        phone: phone.map(str::to_string),
        email: None,
        contact_preference: None,
        preferred_language: None,
        school: born.map(|_| SCHOOL.to_string()),
        postcode: Postcode::parse(postcode).ok(),
    }
}

/// Seeds the families, their referrals told as if they began weeks before
/// `now`. One transaction: all of it or none.
pub async fn seed(store: &Store, keys: &DataKeys, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let keys = keys.clone();
    store
        .transaction(move |txn| {
            Box::pin(async move {
                for (n, family) in FAMILIES.iter().enumerate() {
                    let began = now - Duration::days(60 - 3 * n as i64);
                    tell(txn, &keys, family, began, now).await?;
                }
                Ok(FAMILIES.len())
            })
        })
        .await
}

async fn tell(
    txn: &DatabaseTransaction,
    keys: &DataKeys,
    family: &Family,
    began: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let school = stable_id("organisation", SCHOOL);
    let referrer = stable_id("account", REFERRER);
    let provider = stable_id("organisation", family.provider);
    let worker = stable_id("account", NHS_PRACTITIONER);
    let (given, last, (y, m, d)) = family.child;
    let (parent_name, relationship, phone) = family.parent;
    let referral_id = new_id();
    let intake = Intake {
        referral_id,
        organisation: school,
        referred_by: referrer,
        service_id: stable_id("service", family.service),
        child: Child::New(person(
            given,
            last,
            NaiveDate::from_ymd_opt(y, m, d),
            None,
            family.postcode,
        )),
        parent: Some((
            person(parent_name, last, None, Some(phone), family.postcode),
            relationship,
        )),
        urgency: family.urgency,
        reason: family.reason.to_string(),
        needs: vec![need_id(family.need)],
        share: Share {
            basis: LawfulBasis::Consent,
            health_condition: None,
            purpose: "So the service can contact the family and offer support".into(),
            recipient_organisation: provider,
            items: vec![
                SharedItem::Name,
                SharedItem::DateOfBirth,
                SharedItem::ContactDetails,
                SharedItem::Needs,
                SharedItem::ReasonForReferral,
            ],
            justification: None,
            privacy_notice_version: PRIVACY_NOTICE_VERSION.to_string(),
            decided_by: referrer,
            decided_at: began,
        },
        send: !matches!(family.story, Story::Draft),
    };
    take_in(txn, keys, intake, began).await?;
    let receiver = Actor {
        user: Some(worker),
        organisation: provider,
    };
    let mut version = 2;
    let mut step = |transition: Transition, at: DateTime<Utc>| {
        let v = version;
        version += 1;
        async move { records::apply(txn, keys, referral_id, v, &transition, receiver, at).await }
    };
    let day = |n: i64| began + Duration::days(n) + Duration::hours(2);
    match family.story {
        Story::Draft | Story::Sent => {}
        Story::Opened => {
            step(Transition::Open, day(1)).await?;
        }
        Story::Declined => {
            step(Transition::Open, day(1)).await?;
            step(Transition::Decline { reason: "Ethan's needs are better met by the school nursing drop-in; we have sent the family its details.".into() }, day(2)).await?;
        }
        Story::Redirected => {
            step(Transition::Open, day(1)).await?;
            step(
                Transition::Redirect {
                    to_service: stable_id("service", ASSESSMENT),
                    reason: "An assessment for ADHD is the right first step.".into(),
                },
                day(2),
            )
            .await?;
        }
        Story::Booked => {
            step(Transition::Open, day(1)).await?;
            step(Transition::Accept, day(2)).await?;
            let booking = Booking {
                id: new_id(),
                referral_id,
                starts_at: now + Duration::days(7) + Duration::hours(1),
                duration_minutes: 90,
                mode: AppointmentMode::InPerson,
                place: Some("Brackenbury Health Centre".into()),
                booked_by: worker,
            };
            appointments::book(txn, &booking, day(2)).await?;
        }
        Story::Closed(outcome) => {
            step(Transition::Open, day(1)).await?;
            step(Transition::Accept, day(2)).await?;
            let sessions: &[AppointmentChange] = if outcome == Outcome::NeedsMet {
                &[
                    AppointmentChange::DidNotAttend,
                    AppointmentChange::Attended,
                    AppointmentChange::Attended,
                    AppointmentChange::Attended,
                ]
            } else {
                &[
                    AppointmentChange::DidNotAttend,
                    AppointmentChange::WasNotBrought,
                ]
            };
            for (n, what) in sessions.iter().enumerate() {
                let at = day(7 + 7 * n as i64);
                let booking = Booking {
                    id: new_id(),
                    referral_id,
                    starts_at: at,
                    duration_minutes: 60,
                    mode: if n % 2 == 0 {
                        AppointmentMode::InPerson
                    } else {
                        AppointmentMode::Online
                    },
                    place: (n % 2 == 0).then(|| "Brackenbury Health Centre".to_string()),
                    booked_by: worker,
                };
                appointments::book(txn, &booking, at - Duration::days(5)).await?;
                appointments::change(txn, booking.id, 1, *what, at + Duration::hours(2)).await?;
            }
            step(
                Transition::Close { outcome },
                day(8 + 7 * sessions.len() as i64),
            )
            .await?;
        }
    }
    Ok(())
}
