//! When services are open: ORUK schedules read as weekly openings
//! (RFC 5545 `WEEKLY` with `byday`, `opens_at`, `closes_at`, within
//! `valid_from`/`valid_to`), checked against local time in Europe/London.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc, Weekday};
use chrono_tz::Europe::London;
use serde_json::Value;

/// One weekly opening: on these days, from `opens` to `closes` (which may
/// be past midnight, into the next day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeeklyOpening {
    pub days: Vec<Weekday>,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
    pub valid_from: Option<NaiveDate>,
    pub valid_to: Option<NaiveDate>,
}

/// Local time in the UK for a UTC instant (GMT in winter, BST in summer).
pub fn london_time(at: DateTime<Utc>) -> NaiveDateTime {
    at.with_timezone(&London).naive_local()
}

/// Reads a day as RFC 5545 (`MO`) or in English (`Monday`, `mon`).
pub fn parse_day(text: &str) -> Option<Weekday> {
    let lower = text.trim().to_lowercase();
    let days = [
        (Weekday::Mon, "mo", "monday"),
        (Weekday::Tue, "tu", "tuesday"),
        (Weekday::Wed, "we", "wednesday"),
        (Weekday::Thu, "th", "thursday"),
        (Weekday::Fri, "fr", "friday"),
        (Weekday::Sat, "sa", "saturday"),
        (Weekday::Sun, "su", "sunday"),
    ];
    days.into_iter()
        .find(|(_, code, name)| {
            lower == *code || lower == *name || (lower.len() >= 3 && name.starts_with(&lower))
        })
        .map(|(day, ..)| day)
}

fn time(value: Option<&Value>) -> Option<NaiveTime> {
    let text = value?.as_str()?;
    NaiveTime::parse_from_str(text, "%H:%M:%S")
        .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M"))
        .ok()
}

fn date(value: Option<&Value>) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value?.as_str()?, "%Y-%m-%d").ok()
}

/// The weekly openings in a service document. Schedules that are not
/// weekly, or lack days or times, say nothing about opening hours here.
pub fn openings(document: &Value) -> Vec<WeeklyOpening> {
    document
        .get("schedules")
        .and_then(Value::as_array)
        .map(|schedules| {
            schedules
                .iter()
                .filter(|s| {
                    s.get("freq")
                        .and_then(Value::as_str)
                        .is_none_or(|f| f.eq_ignore_ascii_case("WEEKLY"))
                })
                .filter_map(|s| {
                    let days: Vec<Weekday> = s
                        .get("byday")?
                        .as_str()?
                        .split(',')
                        .filter_map(parse_day)
                        .collect();
                    if days.is_empty() {
                        return None;
                    }
                    Some(WeeklyOpening {
                        days,
                        opens: time(s.get("opens_at"))?,
                        closes: time(s.get("closes_at"))?,
                        valid_from: date(s.get("valid_from")),
                        valid_to: date(s.get("valid_to")),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

impl WeeklyOpening {
    fn valid_on(&self, day: NaiveDate) -> bool {
        self.valid_from.is_none_or(|from| day >= from) && self.valid_to.is_none_or(|to| day <= to)
    }

    /// Open at this local moment? An opening that closes at or before it
    /// opens runs past midnight into the next day.
    pub fn is_open_at(&self, local: NaiveDateTime) -> bool {
        let today = local.date();
        let now = local.time();
        let overnight = self.closes <= self.opens;
        let open_today = self.days.contains(&today.weekday())
            && self.valid_on(today)
            && now >= self.opens
            && (overnight || now < self.closes);
        // No day before the first day chrono knows: nothing runs over.
        let Some(yesterday) = today.checked_sub_signed(Duration::days(1)) else {
            return open_today;
        };
        let still_open_from_yesterday = overnight
            && self.days.contains(&yesterday.weekday())
            && self.valid_on(yesterday)
            && now < self.closes;
        open_today || still_open_from_yesterday
    }
}

pub fn is_open_at(openings: &[WeeklyOpening], local: NaiveDateTime) -> bool {
    openings.iter().any(|o| o.is_open_at(local))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    fn doc(byday: &str, opens: &str, closes: &str) -> Value {
        json!({"schedules": [{"id": "x", "freq": "WEEKLY", "byday": byday, "opens_at": opens, "closes_at": closes}]})
    }

    fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    #[test]
    fn opening_hours_include_the_start_and_exclude_the_end() {
        let o = openings(&doc("MO,WE", "09:30:00", "11:30:00"));
        // 2026-11-23 is a Monday.
        assert!(!is_open_at(&o, local(2026, 11, 23, 9, 29)));
        assert!(is_open_at(&o, local(2026, 11, 23, 9, 30)));
        assert!(!is_open_at(&o, local(2026, 11, 23, 11, 30)));
        assert!(!is_open_at(&o, local(2026, 11, 24, 10, 0)), "Tuesday");
        assert!(is_open_at(&o, local(2026, 11, 25, 10, 0)), "Wednesday");
    }

    #[test]
    fn an_overnight_opening_runs_past_midnight() {
        let o = openings(&doc("FR", "22:00", "02:00"));
        assert!(is_open_at(&o, local(2026, 11, 27, 23, 0)), "Friday night");
        assert!(is_open_at(&o, local(2026, 11, 28, 1, 59)), "early Saturday");
        assert!(!is_open_at(&o, local(2026, 11, 28, 2, 0)));
        assert!(
            !is_open_at(&o, local(2026, 11, 28, 23, 0)),
            "Saturday night is not Friday's"
        );
    }

    #[test]
    fn local_time_follows_the_clock_changes() {
        // Clocks go forward at 01:00 UTC on Sunday 29 March 2026.
        let o = openings(&doc("SU", "00:30", "02:30"));
        let at = |h, m| london_time(Utc.with_ymd_and_hms(2026, 3, 29, h, m, 0).unwrap());
        assert_eq!(at(0, 45), local(2026, 3, 29, 0, 45));
        assert!(is_open_at(&o, at(0, 45)));
        assert_eq!(at(1, 15), local(2026, 3, 29, 2, 15), "BST has begun");
        assert!(is_open_at(&o, at(1, 15)));
        assert!(!is_open_at(&o, at(1, 45)), "02:45 BST is after closing");
        // Clocks go back at 01:00 UTC on Sunday 25 October 2026.
        let back = |h, m| london_time(Utc.with_ymd_and_hms(2026, 10, 25, h, m, 0).unwrap());
        assert_eq!(back(0, 30), local(2026, 10, 25, 1, 30), "still BST");
        assert_eq!(
            back(1, 30),
            local(2026, 10, 25, 1, 30),
            "GMT again: 01:30 happens twice"
        );
        assert!(is_open_at(
            &openings(&doc("SU", "01:00", "02:00")),
            back(1, 30)
        ));
    }

    #[test]
    fn validity_dates_and_odd_schedules() {
        let mut d = doc("MO", "09:00", "10:00");
        d["schedules"][0]["valid_to"] = json!("2026-11-01");
        assert!(!is_open_at(&openings(&d), local(2026, 11, 23, 9, 30)));
        let monthly = json!({"schedules": [{"freq": "MONTHLY", "byday": "MO", "opens_at": "09:00", "closes_at": "10:00"}]});
        assert!(openings(&monthly).is_empty());
        assert!(
            openings(
                &json!({"schedules": [{"byday": "XX", "opens_at": "09:00", "closes_at": "10:00"}]})
            )
            .is_empty()
        );
        assert_eq!(parse_day("Tuesday"), Some(Weekday::Tue));
        assert_eq!(parse_day("th"), Some(Weekday::Thu));
        assert_eq!(parse_day("wed"), Some(Weekday::Wed));
        assert_eq!(parse_day("x"), None);
    }
}
