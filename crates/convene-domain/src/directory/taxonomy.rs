//! The built-in taxonomy of family-support needs, so a new instance can
//! describe and search its services at once. Other taxonomies (imported
//! with services) sit beside it.

use uuid::Uuid;

use crate::ids::stable_id;

pub const TAXONOMY_NAME: &str = "Convene family-support needs";
pub const TAXONOMY_DESCRIPTION: &str =
    "The needs families bring to schools, hubs and their partners, in plain words.";

/// (code, name, description) of each need.
pub const NEEDS: &[(&str, &str, &str)] = &[
    (
        "pregnancy-and-baby",
        "Pregnancy and baby",
        "Antenatal care and classes, feeding support, baby groups",
    ),
    (
        "early-years",
        "Early years and childcare",
        "Stay and play, toddler groups, nursery places and childcare",
    ),
    (
        "parenting",
        "Parenting support",
        "Courses and groups for parents and carers, help with behaviour and routines",
    ),
    (
        "send",
        "Special educational needs and disabilities",
        "Support for children and young people with SEND and their families",
    ),
    (
        "mental-health",
        "Mental health and wellbeing",
        "Counselling, emotional support, children's and young people's mental health services",
    ),
    (
        "physical-health",
        "Physical health",
        "Clinics, health visiting, school nursing, healthy lifestyles",
    ),
    (
        "food",
        "Food",
        "Food banks and pantries, community meals, holiday food",
    ),
    (
        "money-and-debt",
        "Money and debt",
        "Benefits checks, debt advice, grants and budgeting help",
    ),
    (
        "housing",
        "Housing",
        "Housing advice, homelessness prevention, repairs and energy",
    ),
    (
        "warm-spaces",
        "Warm spaces and community",
        "Warm and welcoming places, community cafes, social groups",
    ),
    (
        "domestic-abuse",
        "Domestic abuse",
        "Safety planning, refuges, support for adults and children affected by abuse",
    ),
    (
        "youth",
        "Youth activities",
        "Youth clubs, sport, arts and mentoring for young people",
    ),
    (
        "holiday-activities",
        "Holiday activities",
        "Activities and food in the school holidays",
    ),
    (
        "education",
        "Education and learning",
        "Tutoring, homework clubs, adult learning and English classes",
    ),
    (
        "employment",
        "Employment and skills",
        "Careers advice, training, help into work",
    ),
    (
        "drugs-and-alcohol",
        "Drugs and alcohol",
        "Support for young people and adults with drug or alcohol use, and their families",
    ),
    (
        "bereavement",
        "Bereavement",
        "Support after the death of someone close",
    ),
    (
        "advice",
        "Advice and legal help",
        "Advice on rights, immigration, consumer and legal problems",
    ),
];

pub fn taxonomy_id() -> Uuid {
    stable_id("taxonomy", TAXONOMY_NAME)
}

pub fn need_id(code: &str) -> Uuid {
    stable_id("taxonomy_term", code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needs_have_distinct_stable_ids() {
        let ids: std::collections::HashSet<_> =
            NEEDS.iter().map(|(code, _, _)| need_id(code)).collect();
        assert_eq!(ids.len(), NEEDS.len());
        assert_eq!(need_id("food"), need_id("food"));
    }
}
