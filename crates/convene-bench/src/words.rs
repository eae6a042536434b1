//! The words a generated directory is made of. Each need of Convene's
//! built-in taxonomy has the kinds of service that meet it (which become
//! names and the benchmark's search words), what they do, and the ages
//! they are for. Written for this benchmark; any likeness to a real
//! service is by chance.

/// The words of one need.
#[derive(Debug)]
pub struct NeedWords {
    /// The need's code in `convene_domain::directory::taxonomy::NEEDS`.
    pub code: &'static str,
    /// Kinds of service, as they appear in names.
    pub kinds: &'static [&'static str],
    /// Sentences saying what such a service does.
    pub activities: &'static [&'static str],
    /// Age ranges such services are for; empty when they are for anyone.
    pub ages: &'static [(u16, u16)],
}

pub const NEED_WORDS: &[NeedWords] = &[
    NeedWords {
        code: "pregnancy-and-baby",
        kinds: &[
            "Antenatal Class",
            "Baby Group",
            "Breastfeeding Support",
            "Baby Massage",
        ],
        activities: &[
            "Midwives and peer supporters help you get ready for birth and the first weeks.",
            "Drop in to have your baby weighed and talk about feeding and sleep.",
            "Meet other new parents over a cup of tea while babies play on the mats.",
        ],
        ages: &[(0, 1), (0, 2)],
    },
    NeedWords {
        code: "early-years",
        kinds: &[
            "Stay and Play",
            "Toddler Group",
            "Nursery",
            "Childminding Network",
        ],
        activities: &[
            "Messy play, songs and stories for little ones and their grown-ups.",
            "Funded childcare places for two, three and four year olds.",
            "Outdoor play, sand, water and construction in a safe garden.",
        ],
        ages: &[(0, 4), (0, 5), (2, 4)],
    },
    NeedWords {
        code: "parenting",
        kinds: &[
            "Parenting Course",
            "Family Hub",
            "Parent Support Group",
            "Dads Group",
        ],
        activities: &[
            "A ten-week course on routines, boundaries and calmer mornings.",
            "Practical help with sleep, behaviour and talking with teenagers.",
            "Parents and carers share what works in a friendly, confidential group.",
        ],
        ages: &[(0, 18), (0, 11), (11, 18)],
    },
    NeedWords {
        code: "send",
        kinds: &[
            "Speech and Language Therapy",
            "Autism Support",
            "SEND Information Service",
            "Sensory Play",
        ],
        activities: &[
            "Therapists assess communication and give families activities to practise at home.",
            "Support for children and young people with autism or ADHD, with or without a diagnosis.",
            "Impartial advice on EHC plans, school places and short breaks.",
        ],
        ages: &[(0, 25), (0, 18), (2, 11)],
    },
    NeedWords {
        code: "mental-health",
        kinds: &[
            "Counselling Service",
            "Wellbeing Cafe",
            "Youth Counselling",
            "Talking Therapies",
        ],
        activities: &[
            "Free confidential counselling for anxiety, low mood and stress.",
            "A calm space to talk, with trained listeners and peer support.",
            "Short courses on coping with worry, sleep problems and panic.",
        ],
        ages: &[(11, 25), (16, 130), (5, 18)],
    },
    NeedWords {
        code: "physical-health",
        kinds: &[
            "Health Visiting Clinic",
            "School Nursing",
            "Healthy Lifestyles",
            "Dental Clinic",
        ],
        activities: &[
            "Health checks, immunisations and advice on growing up healthy.",
            "Cooking, exercise and weight support for the whole family.",
            "Drop-in sessions with a nurse for children and young people.",
        ],
        ages: &[(0, 5), (5, 19), (0, 18)],
    },
    NeedWords {
        code: "food",
        kinds: &[
            "Food Bank",
            "Community Pantry",
            "Community Fridge",
            "Breakfast Club",
            "Community Meal",
        ],
        activities: &[
            "Emergency food parcels with a referral voucher, and someone to talk to.",
            "Members pay a small weekly amount and choose groceries worth much more.",
            "A free hot meal and company, every week, no questions asked.",
        ],
        ages: &[],
    },
    NeedWords {
        code: "money-and-debt",
        kinds: &[
            "Debt Advice",
            "Benefits Check",
            "Money Advice Service",
            "Credit Union",
        ],
        activities: &[
            "Free, confidential debt advice and help dealing with bailiffs and creditors.",
            "Check you are getting every benefit and grant you are entitled to.",
            "Budgeting help and low-cost loans and savings for local people.",
        ],
        ages: &[(16, 130), (18, 130)],
    },
    NeedWords {
        code: "housing",
        kinds: &[
            "Housing Advice",
            "Homelessness Prevention",
            "Energy Advice",
            "Tenancy Support",
        ],
        activities: &[
            "Advice if you are worried about losing your home or living with damp and disrepair.",
            "Help with energy bills, draught-proofing and switching tariffs.",
            "Support to set up and keep a tenancy, from furniture to paperwork.",
        ],
        ages: &[(16, 130), (18, 130)],
    },
    NeedWords {
        code: "warm-spaces",
        kinds: &["Warm Space", "Community Cafe", "Lunch Club", "Chatty Cafe"],
        activities: &[
            "A warm, welcoming room with free hot drinks, games and wifi.",
            "Drop in for soup, a newspaper and a friendly face.",
            "Everyone is welcome; bring the children, stay as long as you like.",
        ],
        ages: &[],
    },
    NeedWords {
        code: "domestic-abuse",
        kinds: &[
            "Domestic Abuse Support",
            "Refuge",
            "Freedom Programme",
            "Children's Recovery Group",
        ],
        activities: &[
            "Confidential support, safety planning and help with court and housing.",
            "A group programme for women who have experienced domestic abuse.",
            "Play and talking sessions for children who have lived with abuse.",
        ],
        ages: &[(16, 130), (4, 16)],
    },
    NeedWords {
        code: "youth",
        kinds: &[
            "Youth Club",
            "Football Club",
            "Youth Theatre",
            "Mentoring Project",
            "Scouts",
        ],
        activities: &[
            "Pool, table tennis, music and trips, run by qualified youth workers.",
            "Free coaching and matches for boys and girls of every ability.",
            "A trusted adult meets young people weekly to set goals and build confidence.",
        ],
        ages: &[(11, 19), (8, 13), (13, 25)],
    },
    NeedWords {
        code: "holiday-activities",
        kinds: &[
            "Holiday Club",
            "Summer Scheme",
            "Holiday Activities and Food",
        ],
        activities: &[
            "Sports, crafts and a healthy lunch every day of the school holidays.",
            "Free places for children who get benefits-related free school meals.",
            "Day trips, swimming and forest school through the summer.",
        ],
        ages: &[(5, 16), (4, 11), (11, 16)],
    },
    NeedWords {
        code: "education",
        kinds: &[
            "Homework Club",
            "English Classes",
            "Tutoring",
            "Adult Learning",
            "Reading Volunteers",
        ],
        activities: &[
            "Quiet study space, computers and volunteers to help with homework.",
            "ESOL classes from beginner to advanced, with a creche.",
            "Small-group tutoring in maths and English for pupils who have fallen behind.",
        ],
        ages: &[(7, 16), (16, 130), (5, 11)],
    },
    NeedWords {
        code: "employment",
        kinds: &[
            "Job Club",
            "Careers Advice",
            "Apprenticeship Support",
            "Work Skills Course",
        ],
        activities: &[
            "Help with CVs, applications and interviews, and a computer to use.",
            "Impartial careers guidance for young people leaving school.",
            "Training, qualifications and work placements that lead to jobs.",
        ],
        ages: &[(16, 24), (16, 130), (18, 130)],
    },
    NeedWords {
        code: "drugs-and-alcohol",
        kinds: &[
            "Drug and Alcohol Service",
            "Young People's Substance Misuse Service",
            "Family Support for Addiction",
        ],
        activities: &[
            "Non-judgemental advice, treatment and recovery groups.",
            "Support for families affected by someone else's drinking or drug use.",
            "Harm reduction, needle exchange and naloxone training.",
        ],
        ages: &[(11, 18), (18, 130)],
    },
    NeedWords {
        code: "bereavement",
        kinds: &[
            "Bereavement Support",
            "Grief Group",
            "Child Bereavement Service",
        ],
        activities: &[
            "One-to-one and group support after the death of someone close.",
            "Memory days and play sessions for grieving children and their families.",
            "Trained volunteers listen and help you find your way through grief.",
        ],
        ages: &[(0, 18), (16, 130)],
    },
    NeedWords {
        code: "advice",
        kinds: &[
            "Citizens Advice",
            "Legal Advice Clinic",
            "Immigration Advice",
            "Welfare Rights Advice",
        ],
        activities: &[
            "Free, independent advice on work, consumer rights, family and immigration problems.",
            "Volunteer solicitors answer questions at a weekly drop-in.",
            "Help to appeal benefit decisions and fill in forms.",
        ],
        ages: &[(16, 130), (18, 130)],
    },
];

/// How a service is run, said the way directories say it.
pub const ACCESS: &[&str] = &[
    "Drop in, no referral needed.",
    "Referral from a school, GP or health visitor.",
    "Self-referral by phone or online form.",
    "Booking essential; places are limited.",
    "Wheelchair accessible, with a hearing loop.",
    "Interpreters can be arranged.",
];

/// Who it is for, in descriptions.
pub const AUDIENCES: &[&str] = &[
    "families",
    "parents and carers",
    "children and young people",
    "local residents",
    "young people",
    "anyone who needs it",
];

/// Words organisations are named with.
pub const ORGANISATION_KINDS: &[&str] = &[
    "Community Trust",
    "Family Centre",
    "Children's Centre",
    "Partnership",
    "Community Association",
    "Foundation",
    "Primary School",
    "Academy",
    "Baptist Church",
    "Methodist Church",
    "Parish Church",
    "Mosque",
    "Gurdwara",
    "Housing Association",
    "Neighbourhood Network",
    "Council Early Help",
    "NHS Trust",
    "Volunteer Centre",
];

/// The first parts of local names.
pub const PLACE_PREFIXES: &[&str] = &[
    "North",
    "South",
    "East",
    "West",
    "Upper",
    "Lower",
    "Old",
    "New",
    "Great",
    "Little",
    "St Mary's",
    "St John's",
    "St Anne's",
    "St Mark's",
    "Holy Trinity",
    "Christ Church",
];

/// The last parts of local names.
pub const PLACE_SUFFIXES: &[&str] = &[
    "field", "brook", "wood", "hill", "gate", "bridge", "ford", "moor", "dale", "green", "lane",
    "park", "side", "well", "worth", "ley", "croft", "mead",
];

/// Neighbourhood stems, joined with a suffix (e.g. Ashfield).
pub const PLACE_STEMS: &[&str] = &[
    "Ash", "Oak", "Elm", "Birch", "Beech", "Hawth", "Mill", "Stone", "Kings", "Queens", "Church",
    "Broad", "Long", "Fair", "Brook", "Marsh", "Hol", "Red", "White", "Black", "Green", "Bright",
    "Clay", "Chester", "Wick", "Thorn", "Willow", "Castle", "Spring",
];

/// Kinds of building services meet in.
pub const VENUES: &[&str] = &[
    "Community Centre",
    "Library",
    "Family Hub",
    "Primary School",
    "Church Hall",
    "Leisure Centre",
    "Health Centre",
    "Youth Centre",
    "Village Hall",
    "Children's Centre",
];

pub const STREET_KINDS: &[&str] = &["Road", "Street", "Lane", "Avenue", "Close", "Way", "Drive"];

/// (name, ISO 639-1 code) of languages services are offered in besides
/// English.
pub const LANGUAGES: &[(&str, &str)] = &[
    ("Polish", "pl"),
    ("Urdu", "ur"),
    ("Punjabi", "pa"),
    ("Arabic", "ar"),
    ("Bengali", "bn"),
    ("Romanian", "ro"),
    ("Somali", "so"),
    ("Gujarati", "gu"),
    ("Ukrainian", "uk"),
    ("British Sign Language", "sgn"),
];

/// How a session is attended.
pub const ATTENDING: &[&str] = &["in person", "online", "by phone", "in person or online"];

/// ORUK schedule days.
pub const DAYS: &[&str] = &["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
