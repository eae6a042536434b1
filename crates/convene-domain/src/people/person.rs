//! A person Convene holds for a referral: a child or young person (0 to 25)
//! or a parent or carer, with only what a referral needs.

use chrono::NaiveDate;

use crate::directory::postcodes::Postcode;
use crate::text::{ValidationErrors, optional, required};

/// The oldest a child or young person can be (support up to 25 for young
/// people with special educational needs or leaving care).
pub const OLDEST_YOUNG_PERSON: u32 = 25;

/// How the family would like to be contacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContactPreference {
    Phone,
    Text,
    Email,
    Letter,
    /// Only through the referrer (e.g. where contact at home is unsafe).
    ThroughReferrer,
}

impl ContactPreference {
    pub const ALL: [ContactPreference; 5] = [
        Self::Phone,
        Self::Text,
        Self::Email,
        Self::Letter,
        Self::ThroughReferrer,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Phone => "phone",
            Self::Text => "text",
            Self::Email => "email",
            Self::Letter => "letter",
            Self::ThroughReferrer => "through_referrer",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Phone => "Phone call",
            Self::Text => "Text message",
            Self::Email => "Email",
            Self::Letter => "Letter",
            Self::ThroughReferrer => "Only through the person who referred them",
        }
    }
}

/// A person's details, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonDetails {
    pub given_name: String,
    pub family_name: String,
    pub date_of_birth: Option<NaiveDate>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub contact_preference: Option<ContactPreference>,
    pub preferred_language: Option<String>,
    pub school: Option<String>,
    pub postcode: Option<Postcode>,
}

impl PersonDetails {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }

    /// Age in whole years on `day`.
    pub fn age_on(&self, day: NaiveDate) -> Option<u32> {
        self.date_of_birth.and_then(|born| day.years_since(born))
    }

    /// What duplicate suggestions compare: name, date of birth and postcode,
    /// when all three are known.
    pub fn duplicate_key(&self) -> Option<String> {
        let born = self.date_of_birth?;
        let postcode = self.postcode.as_ref()?;
        Some(format!(
            "{}|{}|{born}|{}",
            self.given_name,
            self.family_name,
            postcode.as_str()
        ))
    }
}

/// A person's details as typed.
#[derive(Debug, Clone, Default)]
pub struct PersonForm {
    pub given_name: String,
    pub family_name: String,
    /// `YYYY-MM-DD`, or day, month and year joined by the web layer.
    pub date_of_birth: String,
    pub phone: String,
    pub email: String,
    pub contact_preference: String,
    pub preferred_language: String,
    pub school: String,
    pub postcode: String,
}

/// Checks a person's details on `today`; `young` asks that they be a child
/// or young person (0 to 25).
pub fn check_person(
    form: &PersonForm,
    today: NaiveDate,
    young: bool,
) -> Result<PersonDetails, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let given_name = required(
        &mut errors,
        "given_name",
        "their first name",
        &form.given_name,
        100,
    );
    let family_name = required(
        &mut errors,
        "family_name",
        "their last name",
        &form.family_name,
        100,
    );
    let date_of_birth = match form.date_of_birth.trim() {
        "" if young => {
            errors.add("date_of_birth", "Enter their date of birth");
            None
        }
        "" => None,
        text => match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(born) if born > today => {
                errors.add("date_of_birth", "Date of birth must be in the past");
                None
            }
            Ok(born) if young && today.years_since(born).unwrap_or(0) > OLDEST_YOUNG_PERSON => {
                errors.add(
                    "date_of_birth",
                    format!("A child or young person must be {OLDEST_YOUNG_PERSON} or younger"),
                );
                None
            }
            Ok(born) => Some(born),
            Err(_) => {
                errors.add("date_of_birth", "Date of birth must be a real date");
                None
            }
        },
    };
    let phone = optional(
        &mut errors,
        "phone",
        "the phone number",
        Some(&form.phone),
        30,
    );
    if let Some(phone) = &phone
        && !phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '(' | ')' | '-'))
    {
        errors.add(
            "phone",
            "Enter a phone number, like 01632 960 001 or 07700 900 982",
        );
    }
    let email = optional(
        &mut errors,
        "email",
        "the email address",
        Some(&form.email),
        254,
    );
    if let Some(email) = &email
        && !email
            .split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && d.contains('.'))
    {
        errors.add(
            "email",
            "Enter an email address in the correct format, like name@example.com",
        );
    }
    let contact_preference = match form.contact_preference.trim() {
        "" => None,
        code => {
            let parsed = ContactPreference::parse(code);
            if parsed.is_none() {
                errors.add(
                    "contact_preference",
                    "Choose how they would like to be contacted",
                );
            }
            parsed
        }
    };
    let preferred_language = optional(
        &mut errors,
        "preferred_language",
        "the preferred language",
        Some(&form.preferred_language),
        60,
    );
    let school = optional(&mut errors, "school", "the school", Some(&form.school), 200);
    let postcode = match form.postcode.trim() {
        "" => None,
        text => match Postcode::parse(text) {
            Ok(postcode) => Some(postcode),
            Err(_) => {
                errors.add("postcode", "Enter a real postcode, like BK3 2EA");
                None
            }
        },
    };
    errors.into_result(PersonDetails {
        given_name,
        family_name,
        date_of_birth,
        phone,
        email,
        contact_preference,
        preferred_language,
        school,
        postcode,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn form() -> PersonForm {
        PersonForm {
            given_name: " Zoë ".into(),
            family_name: "O'Neill".into(),
            date_of_birth: "2019-03-04".into(),
            phone: "07700 900 982".into(),
            contact_preference: "text".into(),
            postcode: "bk3 2ea".into(),
            ..Default::default()
        }
    }

    fn fields(form: &PersonForm, young: bool) -> Vec<&'static str> {
        check_person(form, today(), young)
            .err()
            .map(|e| e.0.into_iter().map(|e| e.field).collect())
            .unwrap_or_default()
    }

    #[test]
    fn a_child_is_checked_and_tidied() {
        let child = check_person(&form(), today(), true).unwrap();
        assert_eq!(child.full_name(), "Zoë O'Neill");
        assert_eq!(child.age_on(today()), Some(7));
        assert_eq!(child.postcode.as_ref().map(|p| p.as_str()), Some("BK3 2EA"));
        assert_eq!(
            child.duplicate_key().unwrap(),
            "Zoë|O'Neill|2019-03-04|BK3 2EA"
        );
    }

    #[test]
    fn young_people_are_25_or_younger_on_the_day() {
        let mut f = form();
        f.date_of_birth = "2001-11-23".into(); // 25 today
        assert!(fields(&f, true).is_empty());
        f.date_of_birth = "2000-11-23".into(); // 26 today
        assert_eq!(fields(&f, true), vec!["date_of_birth"]);
        // A parent may be any age, and may have no date of birth recorded.
        assert!(fields(&f, false).is_empty());
        f.date_of_birth = String::new();
        assert!(fields(&f, false).is_empty());
        assert_eq!(fields(&f, true), vec!["date_of_birth"]);
    }

    #[test]
    fn mistakes_are_named() {
        let f = PersonForm {
            date_of_birth: "2027-01-01".into(),
            phone: "call me".into(),
            email: "nobody".into(),
            contact_preference: "pigeon".into(),
            postcode: "12345".into(),
            ..Default::default()
        };
        assert_eq!(
            fields(&f, true),
            vec![
                "given_name",
                "family_name",
                "date_of_birth",
                "phone",
                "email",
                "contact_preference",
                "postcode"
            ]
        );
        let mut g = form();
        g.date_of_birth = "2019-02-30".into();
        assert_eq!(fields(&g, true), vec!["date_of_birth"]);
    }
}
