//! The baseline's one search query, built from the same parameters as
//! Convene's `/oruk/services`: words (all must match, ranked by `ts_rank`),
//! a need, an age range that must overlap the service's, and a distance
//! computed in SQL (haversine) after a bounding-box pre-filter that can use
//! the position index.

use sea_orm::Value;
use uuid::Uuid;

/// How many results a search returns.
pub const RESULTS: u32 = 10;

const EARTH_RADIUS_MILES: f64 = 3958.8;
const MILES_PER_DEGREE_OF_LATITUDE: f64 = 69.05;

/// A checked search.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Search {
    pub words: String,
    pub need: Option<Uuid>,
    pub ages_from: Option<i32>,
    pub ages_to: Option<i32>,
    /// (latitude, longitude, radius in miles).
    pub near: Option<(f64, f64, f64)>,
}

/// SQL and its parameters. Columns: id, name, description,
/// organisation_name, minimum_age, maximum_age, rank, miles, total.
pub fn sql(search: &Search) -> (String, Vec<Value>) {
    let mut values: Vec<Value> = Vec::new();
    let mut next = |value: Value| {
        values.push(value);
        format!("${}", values.len())
    };
    let mut from = String::from("baseline_services s");
    let mut conditions: Vec<String> = Vec::new();
    let words = search.words.trim();
    let rank = if words.is_empty() {
        "0::real".to_string()
    } else {
        from.push_str(&format!(
            " CROSS JOIN plainto_tsquery('english', {}) q",
            next(words.to_string().into())
        ));
        conditions.push("s.tsv @@ q".into());
        "ts_rank(s.tsv, q)".to_string()
    };
    let mut miles = "NULL::double precision".to_string();
    if let Some((lat, long, radius)) = search.near {
        let dlat = radius / MILES_PER_DEGREE_OF_LATITUDE;
        let dlong = dlat / lat.to_radians().cos().abs().max(0.01);
        let (lat, long) = (next(lat.into()), next(long.into()));
        let (dlat, dlong) = (next(dlat.into()), next(dlong.into()));
        let radius = next(radius.into());
        from.push_str(&format!(
            " JOIN (SELECT l.service_id, min(2 * {EARTH_RADIUS_MILES} * asin(sqrt(\
                power(sin(radians(l.latitude - {lat}) / 2), 2) + \
                cos(radians({lat})) * cos(radians(l.latitude)) * \
                power(sin(radians(l.longitude - {long}) / 2), 2)))) AS miles \
             FROM baseline_locations l \
             WHERE l.latitude BETWEEN {lat} - {dlat} AND {lat} + {dlat} \
               AND l.longitude BETWEEN {long} - {dlong} AND {long} + {dlong} \
             GROUP BY l.service_id) near ON near.service_id = s.id"
        ));
        conditions.push(format!("near.miles <= {radius}"));
        miles = "near.miles".into();
    }
    if let Some(need) = search.need {
        conditions.push(format!("s.need_ids @> ARRAY[{}::uuid]", next(need.into())));
    }
    if let Some(from_age) = search.ages_from {
        conditions.push(format!(
            "(s.maximum_age IS NULL OR s.maximum_age >= {})",
            next(from_age.into())
        ));
    }
    if let Some(to_age) = search.ages_to {
        conditions.push(format!(
            "(s.minimum_age IS NULL OR s.minimum_age <= {})",
            next(to_age.into())
        ));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    let order = if search.near.is_some() {
        "rank DESC, miles, s.name"
    } else {
        "rank DESC, s.name"
    };
    let sql = format!(
        "SELECT s.id, s.name, s.description, s.organisation_name, s.minimum_age, s.maximum_age, \
         {rank} AS rank, {miles} AS miles, count(*) OVER () AS total \
         FROM {from}{filter} ORDER BY {order} LIMIT {RESULTS}"
    );
    (sql, values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_filters_asked_for_are_in_the_sql_with_one_parameter_each() {
        let (plain, values) = sql(&Search {
            words: "food bank".into(),
            ..Default::default()
        });
        assert!(plain.contains("plainto_tsquery") && !plain.contains("need_ids"));
        assert_eq!(values.len(), 1);

        let (all, values) = sql(&Search {
            words: "youth club".into(),
            need: Some(Uuid::nil()),
            ages_from: Some(5),
            ages_to: Some(11),
            near: Some((53.8, -1.5, 5.0)),
        });
        for part in [
            "need_ids @>",
            "maximum_age >=",
            "minimum_age <=",
            "near.miles <=",
        ] {
            assert!(all.contains(part), "{part}");
        }
        assert_eq!(values.len(), 9);
        assert!(all.contains(&format!("${}", values.len())));
        assert!(!all.contains(&format!("${}", values.len() + 1)));
    }

    #[test]
    fn no_words_means_no_text_condition() {
        let (plain, values) = sql(&Search::default());
        assert!(!plain.contains("@@") && !plain.contains("WHERE"));
        assert!(values.is_empty());
    }
}
