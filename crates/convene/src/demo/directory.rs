//! Brackenbury's directory: services of the demo organisations, as ORUK 3.0
//! documents, with schedules, ages, costs, places and (fictional) postcodes.
//! Everything is derived from fixed text, so the directory is the same every
//! time.

use convene_domain::directory::postcodes::Postcode;
use convene_domain::directory::taxonomy;
use convene_domain::ids::stable_id;
use convene_store::directory::postcodes::PostcodeLocation;
use serde_json::{Value, json};

/// (postcode, latitude, longitude, place): the fictional town's postcodes,
/// placed in England so that maps and distances behave.
pub const POSTCODES: &[(&str, f64, f64, &str)] = &[
    ("BK1 1AA", 53.1000, -1.8000, "Old Town"),
    ("BK1 1HC", 53.1012, -1.7985, "Old Town"),
    ("BK1 1HS", 53.0995, -1.8021, "Old Town"),
    ("BK1 1TH", 53.1005, -1.7990, "Old Town"),
    ("BK1 2SA", 53.1040, -1.8060, "Old Town"),
    ("BK1 3SF", 53.0960, -1.8100, "Old Town"),
    ("BK1 4PS", 53.1030, -1.7940, "Old Town"),
    ("BK1 4YC", 53.1032, -1.7945, "Old Town"),
    ("BK2 4NP", 53.1180, -1.8050, "Northgate"),
    ("BK3 2EA", 53.0990, -1.7650, "Eastfield"),
    ("BK4 3MB", 53.0850, -1.8200, "Millbrook"),
    ("BK4 3MH", 53.0856, -1.8195, "Millbrook"),
    ("BK5 1QM", 53.0920, -1.7800, "Riverside"),
    ("BK5 1RA", 53.0915, -1.7810, "Riverside"),
    ("BK6 2GH", 53.1120, -1.8400, "Old Town"),
    ("BK7 1UB", 53.1250, -1.8300, "Northgate"),
];

pub fn postcodes() -> Vec<PostcodeLocation> {
    POSTCODES
        .iter()
        .filter_map(|(code, lat, lon, _)| {
            Postcode::parse(code).ok().map(|postcode| PostcodeLocation {
                postcode,
                latitude: *lat,
                longitude: *lon,
                lsoa: None,
            })
        })
        .collect()
}

/// One demo service.
struct Demo {
    name: &'static str,
    organisation: &'static str,
    description: &'static str,
    needs: &'static [&'static str],
    ages: (Option<u16>, Option<u16>),
    /// Pence per session; 0 is free.
    cost: u32,
    /// RFC 5545 days, opening and closing times.
    when: (&'static str, &'static str, &'static str),
    /// (place name, street address, postcode)
    place: (&'static str, &'static str, &'static str),
}

const HUB_E: (&str, &str, &str) = ("Eastfield Community Hub", "Eastfield Road", "BK3 2EA");
const HUB_R: (&str, &str, &str) = ("Riverside Family Hub", "Quay Road", "BK5 1RA");
const NORTHGATE: (&str, &str, &str) = ("Northgate Primary School", "Northgate Lane", "BK2 4NP");
const EASTFIELD: (&str, &str, &str) = ("Eastfield Primary Academy", "Eastfield Road", "BK3 2EA");
const MILLBROOK_SCHOOL: (&str, &str, &str) = (
    "Millbrook Nursery and Infant School",
    "Mill Street",
    "BK4 3MB",
);
const ST_AIDANS: (&str, &str, &str) = ("St Aidan's Church Hall", "Church Walk", "BK1 2SA");
const RIVERSIDE_ACADEMY: (&str, &str, &str) = ("Riverside Academy", "Quay Road", "BK5 1RA");
const SIXTH_FORM: (&str, &str, &str) = ("Brackenbury Sixth Form College", "College Way", "BK1 3SF");
const HEALTH_CENTRE: (&str, &str, &str) = ("Brackenbury Health Centre", "Market Square", "BK1 1HC");
const HOSPITAL: (&str, &str, &str) = ("Brackenbury General Hospital", "Hospital Lane", "BK6 2GH");
const TOWN_HALL: (&str, &str, &str) = ("Brackenbury Town Hall", "Market Square", "BK1 1TH");
const YOUTH_CENTRE: (&str, &str, &str) = ("Old Town Youth Centre", "Bridge Street", "BK1 4YC");
const METHODIST_HALL: (&str, &str, &str) = ("Millbrook Methodist Hall", "Mill Street", "BK4 3MH");
const ADVICE_CENTRE: (&str, &str, &str) =
    ("Brackenbury Advice Centre", "12 High Street", "BK1 1HS");
const MENTORING: (&str, &str, &str) = ("Riverside Mentoring Base", "Quay Road", "BK5 1QM");
const POLICE: (&str, &str, &str) = ("Brackenbury Police Station", "Bridge Street", "BK1 4PS");
const UNIVERSITY: (&str, &str, &str) = ("University Campus", "Campus Road", "BK7 1UB");

const SCHOOL_DAYS: &str = "MO,TU,WE,TH,FR";

#[rustfmt::skip]
const SERVICES: &[Demo] = &[
    Demo { name: "Stay and play", organisation: "Eastfield Community Hub", description: "Play sessions for babies and toddlers with their parents and carers, with a drink and a chat.", needs: &["early-years"], ages: (Some(0), Some(4)), cost: 0, when: ("MO,WE", "09:30:00", "11:30:00"), place: HUB_E },
    Demo { name: "Eastfield food pantry", organisation: "Eastfield Community Hub", description: "A members' pantry: a weekly shop of fresh and store-cupboard food for a small membership fee.", needs: &["food", "money-and-debt"], ages: (None, None), cost: 350, when: ("TH", "13:00:00", "16:00:00"), place: HUB_E },
    Demo { name: "Warm space at Eastfield", organisation: "Eastfield Community Hub", description: "A warm, welcoming room with hot drinks, soup, wifi and phone charging. No need to book.", needs: &["warm-spaces", "food"], ages: (None, None), cost: 0, when: ("MO,TU,WE,TH,FR", "10:00:00", "15:00:00"), place: HUB_E },
    Demo { name: "Benefits and budgeting drop-in", organisation: "Eastfield Community Hub", description: "Check you are getting every benefit you are entitled to and get help with a budget.", needs: &["money-and-debt", "advice"], ages: (Some(16), None), cost: 0, when: ("TU", "10:00:00", "12:30:00"), place: HUB_E },
    Demo { name: "Community cafe", organisation: "Eastfield Community Hub", description: "Pay-what-you-can lunches cooked by local volunteers.", needs: &["food", "warm-spaces"], ages: (None, None), cost: 0, when: ("WE,FR", "12:00:00", "14:00:00"), place: HUB_E },
    Demo { name: "Riverside baby group", organisation: "Riverside Family Hub", description: "A relaxed group for parents of babies under one, with a health visitor on hand each week.", needs: &["pregnancy-and-baby", "early-years"], ages: (Some(0), Some(1)), cost: 0, when: ("TU", "10:00:00", "11:30:00"), place: HUB_R },
    Demo { name: "Family hub welcome desk", organisation: "Riverside Family Hub", description: "Talk to someone about any worry: we will find the right help with you.", needs: &["parenting", "advice"], ages: (None, None), cost: 0, when: (SCHOOL_DAYS, "09:00:00", "17:00:00"), place: HUB_R },
    Demo { name: "Toy library", organisation: "Riverside Family Hub", description: "Borrow toys, books and play equipment for free.", needs: &["early-years"], ages: (Some(0), Some(7)), cost: 0, when: ("SA", "10:00:00", "12:00:00"), place: HUB_R },
    Demo { name: "Holiday activities and food", organisation: "Riverside Family Hub", description: "Sport, crafts and a hot meal in the school holidays for children who get free school meals.", needs: &["holiday-activities", "food", "youth"], ages: (Some(5), Some(16)), cost: 0, when: (SCHOOL_DAYS, "10:00:00", "14:00:00"), place: HUB_R },
    Demo { name: "Fathers' group", organisation: "Riverside Family Hub", description: "Dads, step-dads and male carers meet with their children for activities and a brew.", needs: &["parenting"], ages: (Some(0), Some(11)), cost: 0, when: ("SA", "09:30:00", "11:30:00"), place: HUB_R },
    Demo { name: "Breakfast club", organisation: "Northgate Primary School", description: "A free breakfast and a calm start to the school day for pupils.", needs: &["food", "early-years"], ages: (Some(4), Some(11)), cost: 0, when: (SCHOOL_DAYS, "07:45:00", "08:45:00"), place: NORTHGATE },
    Demo { name: "Parent coffee morning", organisation: "Northgate Primary School", description: "Meet other parents and the family support worker; ask about anything.", needs: &["parenting"], ages: (None, None), cost: 0, when: ("FR", "09:00:00", "10:30:00"), place: NORTHGATE },
    Demo { name: "Homework club", organisation: "Northgate Primary School", description: "Help with homework, reading and times tables after school.", needs: &["education"], ages: (Some(7), Some(11)), cost: 0, when: ("TU,TH", "15:15:00", "16:30:00"), place: NORTHGATE },
    Demo { name: "After-school club", organisation: "Eastfield Primary Academy", description: "Childcare until six with games, crafts and a snack.", needs: &["early-years", "education"], ages: (Some(4), Some(11)), cost: 600, when: (SCHOOL_DAYS, "15:15:00", "18:00:00"), place: EASTFIELD },
    Demo { name: "English for parents", organisation: "Eastfield Primary Academy", description: "Friendly English classes for parents, with a creche.", needs: &["education", "employment"], ages: (Some(16), None), cost: 0, when: ("WE", "09:00:00", "11:00:00"), place: EASTFIELD },
    Demo { name: "Nurture group", organisation: "Eastfield Primary Academy", description: "Small-group support for pupils finding school hard, with regular contact with families.", needs: &["mental-health", "send"], ages: (Some(5), Some(11)), cost: 0, when: ("MO,WE,FR", "09:00:00", "12:00:00"), place: EASTFIELD },
    Demo { name: "Two-year-old places", organisation: "Millbrook Nursery and Infant School", description: "Funded nursery places for eligible two-year-olds, 15 hours a week.", needs: &["early-years"], ages: (Some(2), Some(2)), cost: 0, when: (SCHOOL_DAYS, "08:45:00", "11:45:00"), place: MILLBROOK_SCHOOL },
    Demo { name: "Speech and language drop-in", organisation: "Millbrook Nursery and Infant School", description: "Worried about how your child is talking? Speak to our trained practitioner.", needs: &["early-years", "send"], ages: (Some(1), Some(7)), cost: 0, when: ("TH", "14:00:00", "15:30:00"), place: MILLBROOK_SCHOOL },
    Demo { name: "School uniform exchange", organisation: "St Aidan's Church of England Primary School", description: "Swap or take clean, good-condition school uniform for free.", needs: &["money-and-debt"], ages: (Some(4), Some(16)), cost: 0, when: ("WE", "15:00:00", "16:30:00"), place: ST_AIDANS },
    Demo { name: "Family learning: cooking on a budget", organisation: "St Aidan's Church of England Primary School", description: "Cook simple, cheap meals together as a family over six weeks.", needs: &["food", "parenting", "education"], ages: (Some(5), Some(11)), cost: 0, when: ("TH", "15:30:00", "17:00:00"), place: ST_AIDANS },
    Demo { name: "Year 7 transition summer school", organisation: "Riverside Academy", description: "Two weeks in August to get to know the school before starting Year 7.", needs: &["education", "holiday-activities"], ages: (Some(10), Some(11)), cost: 0, when: (SCHOOL_DAYS, "09:00:00", "15:00:00"), place: RIVERSIDE_ACADEMY },
    Demo { name: "Student wellbeing service", organisation: "Riverside Academy", description: "Confidential support from a school counsellor for students.", needs: &["mental-health"], ages: (Some(11), Some(16)), cost: 0, when: (SCHOOL_DAYS, "08:30:00", "16:00:00"), place: RIVERSIDE_ACADEMY },
    Demo { name: "Revision sessions", organisation: "Riverside Academy", description: "After-school GCSE revision with teachers.", needs: &["education"], ages: (Some(14), Some(16)), cost: 0, when: ("MO,TU,WE,TH", "15:15:00", "16:30:00"), place: RIVERSIDE_ACADEMY },
    Demo { name: "Careers advice", organisation: "Brackenbury Sixth Form College", description: "One-to-one careers guidance on courses, apprenticeships and jobs.", needs: &["employment", "education"], ages: (Some(16), Some(19)), cost: 0, when: (SCHOOL_DAYS, "09:00:00", "16:00:00"), place: SIXTH_FORM },
    Demo { name: "Bursary fund", organisation: "Brackenbury Sixth Form College", description: "Help with the costs of travel, meals and equipment for students on low incomes.", needs: &["money-and-debt", "education"], ages: (Some(16), Some(19)), cost: 0, when: (SCHOOL_DAYS, "09:00:00", "16:00:00"), place: SIXTH_FORM },
    Demo { name: "Health visiting clinic", organisation: "Brackenbury Community Health NHS Trust", description: "Weigh your baby and talk to a health visitor about feeding, sleep and development.", needs: &["pregnancy-and-baby", "physical-health"], ages: (Some(0), Some(5)), cost: 0, when: ("MO,TH", "09:30:00", "12:00:00"), place: HEALTH_CENTRE },
    Demo { name: "Children and young people's mental health service", organisation: "Brackenbury Community Health NHS Trust", description: "Assessment and treatment for children and young people with mental health difficulties. Referral by a professional.", needs: &["mental-health"], ages: (Some(5), Some(18)), cost: 0, when: (SCHOOL_DAYS, "09:00:00", "17:00:00"), place: HEALTH_CENTRE },
    Demo { name: "School nursing drop-in", organisation: "Brackenbury Community Health NHS Trust", description: "Young people can talk to a school nurse about health, relationships and worries.", needs: &["physical-health", "mental-health"], ages: (Some(11), Some(19)), cost: 0, when: ("WE", "12:00:00", "14:00:00"), place: RIVERSIDE_ACADEMY },
    Demo { name: "Breastfeeding support group", organisation: "Brackenbury Community Health NHS Trust", description: "Support from trained peer supporters and an infant feeding lead.", needs: &["pregnancy-and-baby"], ages: (Some(0), Some(2)), cost: 0, when: ("FR", "10:00:00", "12:00:00"), place: HUB_E },
    Demo { name: "Neurodevelopmental assessment", organisation: "Brackenbury Community Health NHS Trust", description: "Assessment for autism and ADHD for children, by referral from school or GP.", needs: &["send", "mental-health"], ages: (Some(4), Some(18)), cost: 0, when: (SCHOOL_DAYS, "09:00:00", "17:00:00"), place: HEALTH_CENTRE },
    Demo { name: "Antenatal classes", organisation: "Brackenbury Hospitals NHS Foundation Trust", description: "Classes for parents-to-be about labour, birth and caring for a new baby.", needs: &["pregnancy-and-baby"], ages: (Some(16), None), cost: 0, when: ("TU", "18:00:00", "20:00:00"), place: HOSPITAL },
    Demo { name: "Children's asthma clinic", organisation: "Brackenbury Hospitals NHS Foundation Trust", description: "Specialist nurse clinic for children with asthma and their families.", needs: &["physical-health"], ages: (Some(2), Some(16)), cost: 0, when: ("WE", "13:30:00", "16:30:00"), place: HOSPITAL },
    Demo { name: "Maternity mental health service", organisation: "Brackenbury Hospitals NHS Foundation Trust", description: "Support for parents with moderate to severe mental health difficulties in pregnancy and the first years.", needs: &["pregnancy-and-baby", "mental-health"], ages: (Some(16), None), cost: 0, when: (SCHOOL_DAYS, "09:00:00", "17:00:00"), place: HOSPITAL },
    Demo { name: "Early Help family support", organisation: "Brackenbury Council Early Help", description: "A family support worker works with the whole family on what matters to them.", needs: &["parenting", "mental-health", "money-and-debt"], ages: (Some(0), Some(18)), cost: 0, when: (SCHOOL_DAYS, "09:00:00", "17:00:00"), place: TOWN_HALL },
    Demo { name: "Parenting course: understanding your child", organisation: "Brackenbury Council Early Help", description: "A ten-week course for parents of children up to 11, in small friendly groups.", needs: &["parenting"], ages: (Some(0), Some(11)), cost: 0, when: ("WE", "09:30:00", "11:30:00"), place: HUB_R },
    Demo { name: "Parenting teenagers course", organisation: "Brackenbury Council Early Help", description: "Eight sessions for parents and carers of 11 to 18 year olds.", needs: &["parenting"], ages: (Some(11), Some(18)), cost: 0, when: ("TH", "18:00:00", "20:00:00"), place: HUB_E },
    Demo { name: "SEND information and advice", organisation: "Brackenbury Council Early Help", description: "Impartial advice on special educational needs, EHC plans and support in school.", needs: &["send", "advice"], ages: (Some(0), Some(25)), cost: 0, when: (SCHOOL_DAYS, "09:00:00", "16:00:00"), place: TOWN_HALL },
    Demo { name: "Housing options advice", organisation: "Brackenbury Council Housing Options", description: "Help if you are homeless or at risk of losing your home.", needs: &["housing"], ages: (Some(16), None), cost: 0, when: (SCHOOL_DAYS, "09:00:00", "17:00:00"), place: TOWN_HALL },
    Demo { name: "Warm homes grants", organisation: "Brackenbury Council Housing Options", description: "Grants for insulation and heating for families on low incomes.", needs: &["housing", "money-and-debt"], ages: (Some(18), None), cost: 0, when: (SCHOOL_DAYS, "09:00:00", "17:00:00"), place: TOWN_HALL },
    Demo { name: "Youth club", organisation: "Brackenbury Council Youth Service", description: "Pool, music, sport and youth workers to talk to, three evenings a week.", needs: &["youth"], ages: (Some(11), Some(19)), cost: 50, when: ("MO,WE,FR", "18:00:00", "21:00:00"), place: YOUTH_CENTRE },
    Demo { name: "Detached youth work", organisation: "Brackenbury Council Youth Service", description: "Youth workers meet young people where they are, in parks and on estates.", needs: &["youth", "drugs-and-alcohol"], ages: (Some(11), Some(19)), cost: 0, when: ("TU,TH", "17:00:00", "21:00:00"), place: YOUTH_CENTRE },
    Demo { name: "Young carers group", organisation: "Brackenbury Council Youth Service", description: "A break, activities and support for young people who care for someone at home.", needs: &["youth", "mental-health"], ages: (Some(8), Some(18)), cost: 0, when: ("SA", "10:00:00", "13:00:00"), place: YOUTH_CENTRE },
    Demo { name: "Duke of Edinburgh's Award", organisation: "Brackenbury Council Youth Service", description: "Volunteering, skills, physical activity and expeditions.", needs: &["youth"], ages: (Some(14), Some(24)), cost: 2500, when: ("TH", "18:00:00", "20:00:00"), place: YOUTH_CENTRE },
    Demo { name: "Millbrook food pantry", organisation: "Millbrook Food Pantry", description: "Choose your own shopping from our shelves for a small weekly fee; fresh fruit and veg included.", needs: &["food"], ages: (None, None), cost: 400, when: ("TU,SA", "10:00:00", "13:00:00"), place: METHODIST_HALL },
    Demo { name: "Emergency food parcels", organisation: "Millbrook Food Pantry", description: "Three days of food for families in crisis, with a referral from any partner.", needs: &["food"], ages: (None, None), cost: 0, when: (SCHOOL_DAYS, "10:00:00", "15:00:00"), place: METHODIST_HALL },
    Demo { name: "Baby bank", organisation: "Millbrook Food Pantry", description: "Nappies, clothes, cots and prams for families who need them.", needs: &["pregnancy-and-baby", "money-and-debt"], ages: (Some(0), Some(5)), cost: 0, when: ("WE", "10:00:00", "12:00:00"), place: METHODIST_HALL },
    Demo { name: "Debt advice", organisation: "Brackenbury Money and Debt Advice", description: "Free, confidential advice to deal with debts, bailiffs and court letters.", needs: &["money-and-debt", "advice"], ages: (Some(18), None), cost: 0, when: ("MO,TU,TH", "09:30:00", "16:00:00"), place: ADVICE_CENTRE },
    Demo { name: "Energy bill help", organisation: "Brackenbury Money and Debt Advice", description: "Help with energy debts, prepayment meters and grants.", needs: &["money-and-debt", "housing"], ages: (Some(18), None), cost: 0, when: ("WE", "09:30:00", "16:00:00"), place: ADVICE_CENTRE },
    Demo { name: "Immigration and rights advice", organisation: "Brackenbury Money and Debt Advice", description: "Advice on immigration status, rights at work and consumer problems.", needs: &["advice"], ages: (Some(16), None), cost: 0, when: ("FR", "10:00:00", "14:00:00"), place: ADVICE_CENTRE },
    Demo { name: "Youth mentoring", organisation: "Riverside Youth Mentoring", description: "A trained volunteer mentor meets a young person weekly for up to 48 weeks.", needs: &["youth", "mental-health", "education"], ages: (Some(10), Some(18)), cost: 0, when: (SCHOOL_DAYS, "15:30:00", "19:00:00"), place: MENTORING },
    Demo { name: "Hospital youth workers", organisation: "Riverside Youth Mentoring", description: "Youth workers support young people in hospital after violence or self-harm.", needs: &["youth", "mental-health", "drugs-and-alcohol"], ages: (Some(11), Some(25)), cost: 0, when: ("MO,TU,WE,TH,FR,SA,SU", "10:00:00", "22:00:00"), place: HOSPITAL },
    Demo { name: "Mentoring into work", organisation: "Riverside Youth Mentoring", description: "Mentors help young people aged 16 to 24 find training and work.", needs: &["employment", "youth"], ages: (Some(16), Some(24)), cost: 0, when: ("TU,TH", "10:00:00", "16:00:00"), place: MENTORING },
    Demo { name: "Parents Together peer support", organisation: "Parents Together Brackenbury", description: "Parents supporting parents: a listening ear and someone to go with you to appointments.", needs: &["parenting", "mental-health"], ages: (None, None), cost: 0, when: ("MO", "10:00:00", "12:00:00"), place: HUB_E },
    Demo { name: "SEND parents' forum", organisation: "Parents Together Brackenbury", description: "Parents of children with SEND share experience and have a say in local services.", needs: &["send", "parenting"], ages: (None, None), cost: 0, when: ("TH", "19:00:00", "20:30:00"), place: HUB_E },
    Demo { name: "Domestic abuse support group", organisation: "Parents Together Brackenbury", description: "A confidential group for parents affected by domestic abuse, with a creche.", needs: &["domestic-abuse"], ages: (Some(16), None), cost: 0, when: ("WE", "10:00:00", "12:00:00"), place: HUB_R },
    Demo { name: "St Aidan's warm space", organisation: "Northgate Warm Spaces Network", description: "Warm room, hot lunch and company every weekday afternoon.", needs: &["warm-spaces", "food"], ages: (None, None), cost: 0, when: (SCHOOL_DAYS, "12:00:00", "16:00:00"), place: ST_AIDANS },
    Demo { name: "Homework and warm space for teens", organisation: "Northgate Warm Spaces Network", description: "A warm place with wifi and laptops for young people to study after school.", needs: &["warm-spaces", "education", "youth"], ages: (Some(11), Some(18)), cost: 0, when: ("MO,TU,WE,TH", "15:30:00", "18:30:00"), place: NORTHGATE },
    Demo { name: "Bereavement support for families", organisation: "Northgate Warm Spaces Network", description: "Group and one-to-one support for children and adults after a death.", needs: &["bereavement", "mental-health"], ages: (Some(5), None), cost: 0, when: ("TU", "16:00:00", "18:00:00"), place: ST_AIDANS },
    Demo { name: "Safer streets surgery", organisation: "Brackenbury Police Neighbourhood Team", description: "Talk to your neighbourhood officers about worries in your area.", needs: &["advice"], ages: (None, None), cost: 0, when: ("SA", "10:00:00", "12:00:00"), place: POLICE },
    Demo { name: "Youth diversion programme", organisation: "Brackenbury Police Neighbourhood Team", description: "Sport and mentoring for young people at risk of getting into trouble.", needs: &["youth", "drugs-and-alcohol"], ages: (Some(10), Some(17)), cost: 0, when: ("WE", "17:00:00", "19:00:00"), place: YOUTH_CENTRE },
    Demo { name: "Student tutoring", organisation: "University of Brackenbury Civic Partnership", description: "University students tutor pupils in maths and English, online or in school.", needs: &["education"], ages: (Some(9), Some(16)), cost: 0, when: ("MO,WE", "16:00:00", "18:00:00"), place: UNIVERSITY },
    Demo { name: "Law clinic", organisation: "University of Brackenbury Civic Partnership", description: "Free legal advice on housing, family and employment from supervised law students.", needs: &["advice", "housing"], ages: (Some(18), None), cost: 0, when: ("TH", "13:00:00", "17:00:00"), place: UNIVERSITY },
    Demo { name: "Families' psychology clinic", organisation: "University of Brackenbury Civic Partnership", description: "Supervised trainee psychologists offer short-term support for anxiety and low mood.", needs: &["mental-health"], ages: (Some(8), None), cost: 0, when: ("TU,TH", "09:00:00", "17:00:00"), place: UNIVERSITY },
    Demo { name: "Trust family liaison service", organisation: "Brackenbury Learning Trust", description: "Family liaison officers help families across the trust's schools with attendance, transitions and support.", needs: &["parenting", "education"], ages: (Some(4), Some(19)), cost: 0, when: (SCHOOL_DAYS, "08:30:00", "16:30:00"), place: TOWN_HALL },
];

/// The demo services as ORUK 3.0 documents.
pub fn services() -> Vec<Value> {
    SERVICES.iter().map(document).collect()
}

pub fn count() -> usize {
    SERVICES.len()
}

fn document(demo: &Demo) -> Value {
    let id = stable_id("service", demo.name);
    let organisation_id = stable_id("organisation", demo.organisation);
    let (place_name, street, postcode) = demo.place;
    let (lat, lon) = POSTCODES
        .iter()
        .find(|(code, ..)| *code == postcode)
        .map(|(_, lat, lon, _)| (*lat, *lon))
        .unwrap_or((53.1, -1.8));
    let location_id = stable_id("location", place_name);
    let (days, opens, closes) = demo.when;
    let mut doc = json!({
        "id": id,
        "organization_id": organisation_id,
        "name": demo.name,
        "description": demo.description,
        "status": "active",
        "last_modified": "2026-09-01T08:00:00Z",
        "organization": {
            "id": organisation_id,
            "name": demo.organisation,
            "description": format!("{} is part of the Brackenbury Partnership.", demo.organisation),
        },
        "schedules": [{
            "id": stable_id("schedule", demo.name),
            "freq": "WEEKLY",
            "byday": days,
            "opens_at": opens,
            "closes_at": closes,
            "description": format!("Open {} from {} to {}", readable_days(days), &opens[..5], &closes[..5]),
        }],
        "service_at_locations": [{
            "id": stable_id("service_at_location", &format!("{}@{place_name}", demo.name)),
            "location": {
                "id": location_id,
                "location_type": "physical",
                "name": place_name,
                "latitude": lat,
                "longitude": lon,
                "addresses": [{
                    "id": stable_id("address", place_name),
                    "address_1": street,
                    "city": "Brackenbury",
                    "state_province": "England",
                    "postal_code": postcode,
                    "country": "GB",
                    "address_type": "physical",
                }],
            },
        }],
        "cost_options": [{
            "id": stable_id("cost_option", demo.name),
            "amount": f64::from(demo.cost) / 100.0,
            "currency": "GBP",
            "amount_description": if demo.cost == 0 { "Free".to_string() } else { "Per session".to_string() },
        }],
        "attributes": demo.needs.iter().map(|code| {
            let (_, name, description) = taxonomy::NEEDS.iter().find(|(c, ..)| c == code).copied().unwrap_or((code, code, code));
            json!({
                "id": stable_id("attribute", &format!("{}:{code}", demo.name)),
                "link_type": "need",
                "taxonomy_term": {
                    "id": taxonomy::need_id(code),
                    "name": name,
                    "description": description,
                    "taxonomy": taxonomy::TAXONOMY_NAME,
                    "taxonomy_id": taxonomy::taxonomy_id(),
                },
            })
        }).collect::<Vec<_>>(),
    });
    if let Some(min) = demo.ages.0 {
        doc["minimum_age"] = json!(min);
    }
    if let Some(max) = demo.ages.1 {
        doc["maximum_age"] = json!(max);
    }
    doc
}

fn readable_days(days: &str) -> String {
    let names: Vec<&str> = days
        .split(',')
        .map(|d| match d {
            "MO" => "Monday",
            "TU" => "Tuesday",
            "WE" => "Wednesday",
            "TH" => "Thursday",
            "FR" => "Friday",
            "SA" => "Saturday",
            "SU" => "Sunday",
            other => other,
        })
        .collect();
    match names.as_slice() {
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        [] => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use convene_domain::directory::parse_service;

    #[test]
    fn every_demo_service_is_a_valid_oruk_service_with_a_known_place() {
        assert!(count() >= 60, "{}", count());
        let organisations: std::collections::HashSet<_> =
            SERVICES.iter().map(|s| s.organisation).collect();
        assert!(organisations.len() >= 20, "{}", organisations.len());
        for doc in services() {
            let record = parse_service(&doc).unwrap_or_else(|e| panic!("{e}"));
            assert!(record.warnings.is_empty(), "{:?}", record.warnings);
            assert!(record.locations[0].coordinates.is_some());
            assert!(record.locations[0].postcode.is_some());
        }
        let names: std::collections::HashSet<_> = SERVICES.iter().map(|s| s.name).collect();
        assert_eq!(names.len(), SERVICES.len(), "service names are unique");
    }

    #[test]
    fn days_read_as_english() {
        assert_eq!(readable_days("MO,WE"), "Monday and Wednesday");
        assert_eq!(readable_days("SA"), "Saturday");
    }
}
