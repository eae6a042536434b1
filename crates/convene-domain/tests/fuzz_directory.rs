//! Bad input to the directory's parsers, on purpose: mangled and
//! arbitrary ORUK JSON, feed pages and NDJSON, the CSV tables, postcodes
//! and weekly schedules. None may panic; each refusal says what is wrong.
//! Cases are few enough that the file runs in seconds.

mod fuzz;

use fuzz::*;

#[test]
fn the_valid_examples_are_valid() {
    parse_service(&valid_service()).unwrap();
    let written = write_tables(&[valid_service()], &[]).unwrap();
    let files: BTreeMap<String, String> = written.files.into_iter().collect();
    let read = read_tables(&files).unwrap();
    assert_eq!(read.documents.len(), 1, "{:?}", read.problems);
    assert!(read.problems.is_empty(), "{:?}", read.problems);
    assert_eq!(openings(&valid_service()).len(), 1);
}

// ---------------------------------------------------------------------
// ORUK JSON: one service, pages and NDJSON
// ---------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A mangled service is accepted or refused with its field and reason;
    /// what is accepted is accepted again as stored (the tidied document).
    #[test]
    fn a_mangled_service_is_accepted_or_refused_with_a_reason(document in mangled_service()) {
        match parse_service(&document) {
            Ok(record) => {
                let again = parse_service(&record.document);
                prop_assert!(again.is_ok(), "the stored document is refused: {:?}", again);
                let again = again.unwrap();
                prop_assert_eq!(again.id, record.id);
                prop_assert_eq!(&again.name, &record.name);
                prop_assert!(!record.name.trim().is_empty());
                if let (Some(min), Some(max)) = (record.minimum_age, record.maximum_age) {
                    prop_assert!(min <= max && max <= 130);
                }
                for location in &record.locations {
                    if let Some((lat, lon)) = location.coordinates {
                        prop_assert!((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon));
                    }
                }
            }
            Err(error) => {
                prop_assert!(!error.reason.trim().is_empty(), "{:?}", error);
                prop_assert!(!error.record.is_empty(), "{:?}", error);
                if document.is_object() {
                    prop_assert!(!error.field.is_empty(), "a refusal names no field: {:?}", error);
                }
                prop_assert!(!error.to_string().is_empty());
            }
        }
    }

    /// Anything at all as a service: never a panic.
    #[test]
    fn any_json_as_a_service_never_panics(value in any_json()) {
        if let Err(error) = parse_service(&value) {
            prop_assert!(!error.reason.is_empty());
        }
        let _ = openings(&value);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// One service per line: every line is one document, whatever it holds.
    #[test]
    fn ndjson_gives_one_document_per_line(
        documents in prop::collection::vec(prop_oneof![mangled_service(), any_json()], 2..6),
        crlf in any::<bool>(),
        bom in any::<bool>(),
    ) {
        let lines: Vec<String> = documents.iter().map(Value::to_string).collect();
        let mut text = lines.join(if crlf { "\r\n" } else { "\n" });
        if bom {
            text.insert(0, '\u{feff}');
        }
        let read = service_documents(&text);
        prop_assert!(read.is_ok(), "{:?}", read);
        prop_assert_eq!(read.unwrap().len(), documents.len());
    }

    /// One unreadable line refuses the whole file and says which line.
    #[test]
    fn a_bad_line_refuses_the_file_and_names_the_line(
        documents in prop::collection::vec(mangled_service(), 1..5),
        at in any::<prop::sample::Index>(),
        junk in "[^\r\n]{0,40}",
    ) {
        let mut lines: Vec<String> = documents.iter().map(Value::to_string).collect();
        let at = at.index(lines.len() + 1);
        lines.insert(at, format!("{{oops{junk}"));
        let read = service_documents(&lines.join("\n"));
        match read {
            Err(FeedError::BadLine { line, reason }) => {
                prop_assert_eq!(line, at + 1);
                prop_assert!(!reason.is_empty());
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    /// A page's contents are its documents; anything else in `contents`
    /// is refused whole.
    #[test]
    fn pages_give_their_contents(
        documents in prop::collection::vec(mangled_service(), 0..4),
        contents in any_json(),
        extra in any_json(),
    ) {
        let page = json!({"total_items": documents.len(), "contents": documents, "extra": extra});
        prop_assert_eq!(service_documents(&page.to_string()).unwrap().len(), documents.len());
        let odd = json!({"contents": contents});
        match (&contents, service_documents(&odd.to_string())) {
            (Value::Array(items), Ok(read)) => prop_assert_eq!(read.len(), items.len()),
            (Value::Array(_), other) => prop_assert!(false, "{:?}", other),
            (_, Err(e)) => prop_assert!(!e.to_string().is_empty()),
            (_, Ok(read)) => prop_assert!(false, "contents {:?} read as {:?}", contents, read),
        }
    }

    /// Arbitrary bytes (as the importer sees them, lossily decoded).
    #[test]
    fn any_bytes_as_a_feed_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        if let Err(e) = service_documents(&text) {
            prop_assert!(!e.to_string().is_empty());
        }
    }
}

// ---------------------------------------------------------------------
// CSV tables
// ---------------------------------------------------------------------

fn example_files() -> Vec<(String, String)> {
    write_tables(&[valid_service()], &[]).unwrap().files
}

/// A CSV cell that breaks things: quotes, separators, line breaks, text
/// where a number goes, ids that are not ids.
fn nasty_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        nasty_text(),
        Just("\"".to_string()),
        Just("\"unterminated".to_string()),
        Just("a,b".to_string()),
        Just("\"a\"\"b\"".to_string()),
        Just("1,2\n3".to_string()),
        Just("NaN".to_string()),
        Just("-5".to_string()),
        Just("99999999999999999999999".to_string()),
        Just("a0000000-0000-4000-8000-000000000001".to_string()),
        Just("a0000000-0000-4000-8000-000000000004".to_string()),
    ]
}

#[derive(Debug, Clone)]
enum RowChange {
    /// Replace one line (row or header) with raw text.
    Line(usize, String),
    /// Replace one cell of one line with raw text.
    Cell(usize, usize, String),
    DropLine(usize),
    DuplicateLine(usize),
    Truncate(usize),
    DropFile,
}

fn row_change() -> impl Strategy<Value = RowChange> {
    prop_oneof![
        1 => (0usize..4, nasty_cell()).prop_map(|(l, t)| RowChange::Line(l, t)),
        4 => (0usize..4, 0usize..40, nasty_cell()).prop_map(|(l, c, t)| RowChange::Cell(l, c, t)),
        1 => (0usize..4).prop_map(RowChange::DropLine),
        1 => (0usize..4).prop_map(RowChange::DuplicateLine),
        1 => (0usize..400).prop_map(RowChange::Truncate),
        1 => Just(RowChange::DropFile),
    ]
}

fn change_file(text: &str, change: &RowChange) -> Option<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let n = lines.len().max(1);
    match change {
        RowChange::Line(l, t) => {
            if let Some(line) = lines.get_mut(l % n) {
                *line = t.clone();
            }
        }
        RowChange::Cell(l, c, t) => {
            if let Some(line) = lines.get_mut(l % n) {
                let mut cells: Vec<String> = line.split(',').map(str::to_string).collect();
                let count = cells.len();
                cells[c % count] = t.clone();
                *line = cells.join(",");
            }
        }
        RowChange::DropLine(l) => {
            if l % n < lines.len() {
                lines.remove(l % n);
            }
        }
        RowChange::DuplicateLine(l) => {
            if let Some(line) = lines.get(l % n).cloned() {
                lines.insert(l % n, line);
            }
        }
        RowChange::Truncate(at) => {
            let chars: String = text.chars().take(*at).collect();
            return Some(chars);
        }
        RowChange::DropFile => return None,
    }
    Some(lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The example set with rows mangled: read or refused with a reason;
    /// each bad row is reported with its file and reason; every document
    /// read is one parse_service can judge without panicking.
    #[test]
    fn mangled_tables_are_read_or_refused_with_a_reason(
        changes in prop::collection::vec((any::<prop::sample::Index>(), row_change()), 1..5)
    ) {
        let mut files: BTreeMap<String, String> = example_files().into_iter().collect();
        for (which, change) in &changes {
            let names: Vec<String> = files.keys().cloned().collect();
            if names.is_empty() {
                break;
            }
            let name = which.get(&names).clone();
            match change_file(&files[&name], change) {
                Some(text) => {
                    files.insert(name, text);
                }
                None => {
                    files.remove(&name);
                }
            }
        }
        match read_tables(&files) {
            Ok(read) => {
                prop_assert!(read.documents.len() <= 2, "{:?}", read.documents);
                for problem in &read.problems {
                    prop_assert!(!problem.file.is_empty(), "{:?}", problem);
                    prop_assert!(!problem.reason.trim().is_empty(), "{:?}", problem);
                    prop_assert!(problem.row >= 1, "{:?}", problem);
                    prop_assert!(!problem.to_string().is_empty());
                }
                for document in &read.documents {
                    if let Err(e) = parse_service(document) {
                        prop_assert!(!e.reason.is_empty());
                    }
                }
            }
            Err(error) => {
                prop_assert!(!error.to_string().trim().is_empty());
                if !files.keys().any(|f| f.eq_ignore_ascii_case("services.csv")) {
                    prop_assert_eq!(error, TabularError::NoServices);
                }
            }
        }
    }

    /// Arbitrary text in any one table beside a good services.csv.
    #[test]
    fn any_text_in_any_table_never_panics(
        which in any::<prop::sample::Index>(),
        text in prop_oneof![
            nasty_text(),
            prop::collection::vec(nasty_cell(), 0..12).prop_map(|c| c.join(",")),
            prop::collection::vec(any::<u8>(), 0..300)
                .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        ],
        header in any::<bool>(),
    ) {
        let mut files: BTreeMap<String, String> = example_files().into_iter().collect();
        let names: Vec<String> = files.keys().cloned().collect();
        let name = which.get(&names).clone();
        let body = if header {
            let first = files[&name].lines().next().unwrap_or("").to_string();
            format!("{first}\n{text}")
        } else {
            text
        };
        files.insert(name, body);
        match read_tables(&files) {
            Ok(read) => {
                for problem in &read.problems {
                    prop_assert!(!problem.reason.trim().is_empty(), "{:?}", problem);
                }
            }
            Err(error) => prop_assert!(!error.to_string().is_empty()),
        }
    }
}

// ---------------------------------------------------------------------
// Postcodes
// ---------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any unicode at all: refused, or one canonical ASCII postcode.
    #[test]
    fn any_unicode_postcode_is_canonical_or_refused(text in prop_oneof![
        any::<String>(),
        "\\PC{0,12}",
        "[a-zA-Z0-9 \u{a0}\u{3000}\u{2003}ＡＢ１２]{0,12}",
    ]) {
        match Postcode::parse(&text) {
            Ok(postcode) => {
                let s = postcode.as_str();
                prop_assert!(s.is_ascii(), "{:?}", s);
                prop_assert_eq!(s.matches(' ').count(), 1);
                prop_assert!((6..=8).contains(&s.len()), "{:?}", s);
                prop_assert_eq!(s.to_uppercase(), s);
                prop_assert!(!postcode.outward().is_empty());
                prop_assert!(s.starts_with(postcode.outward()));
            }
            Err(problem) => prop_assert!(!problem.to_string().is_empty()),
        }
    }

    /// A real postcode with any whitespace (unicode too) anywhere inside,
    /// in any case, reads as itself.
    #[test]
    fn spacing_and_case_do_not_matter(
        code in prop::sample::select(vec!["BK3 2EA", "SW1A 1AA", "M1 1AE", "LS1 1AA", "EC1A 1BB", "W1A 0AX"]),
        spaces in prop::collection::vec(
            prop::sample::select(vec!["", " ", "  ", "\t", "\u{a0}", "\u{3000}", "\n"]),
            8,
        ),
        lower in prop::collection::vec(any::<bool>(), 8),
    ) {
        let compact: Vec<char> = code.chars().filter(|c| *c != ' ').collect();
        let mut typed = String::new();
        for (i, c) in compact.iter().enumerate() {
            typed.push_str(spaces[i]);
            typed.push(if lower[i] { c.to_ascii_lowercase() } else { *c });
        }
        typed.push_str(spaces[7]);
        prop_assert_eq!(Postcode::parse(&typed).map(|p| p.as_str().to_string()), Ok(code.to_string()));
    }
}

// ---------------------------------------------------------------------
// Schedules
// ---------------------------------------------------------------------

fn time_text() -> impl Strategy<Value = Value> {
    prop_oneof![
        (0u32..30, 0u32..70).prop_map(|(h, m)| json!(format!("{h:02}:{m:02}"))),
        (0u32..30, 0u32..70, 0u32..70).prop_map(|(h, m, s)| json!(format!("{h:02}:{m:02}:{s:02}"))),
        Just(json!("24:00")),
        Just(json!("23:59:60")),
        Just(json!("-01:00")),
        Just(json!("9am")),
        any_json(),
    ]
}

fn day_text() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::collection::vec(
            prop::sample::select(vec![
                "MO", "tu", " We ", "thursday", "Fri", "sat", "SUNDAY", "XX", "", "mon,", "Ｍｏ",
                "İ", "ß",
            ]),
            0..8,
        )
        .prop_map(|days| json!(days.join(","))),
        any_json(),
    ]
}

fn date_text() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        (-300_000i32..300_000, 0u32..14, 0u32..33)
            .prop_map(|(y, m, d)| json!(format!("{y:04}-{m:02}-{d:02}"))),
        Just(json!("+262142-12-31")),
        Just(json!("-262143-01-01")),
        any_json(),
    ]
}

fn schedule() -> impl Strategy<Value = Value> {
    (
        prop::option::of(prop_oneof![Just(json!("WEEKLY")), Just(json!("weekly")), Just(json!("MONTHLY")), any_json()]),
        day_text(),
        time_text(),
        time_text(),
        date_text(),
        date_text(),
    )
        .prop_map(|(freq, byday, opens, closes, from, to)| {
            let mut s = json!({"byday": byday, "opens_at": opens, "closes_at": closes, "valid_from": from, "valid_to": to});
            if let Some(freq) = freq {
                s["freq"] = freq;
            }
            s
        })
}

/// Local times from 1900 to 2200.
fn local_time() -> impl Strategy<Value = NaiveDateTime> {
    (-25_567i64..84_000, 0u32..86_400).prop_map(|(days, seconds)| {
        NaiveDate::from_ymd_opt(1970, 1, 1)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap()
            + chrono::Duration::days(days)
            + chrono::Duration::seconds(i64::from(seconds))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Odd schedules give openings whose fields came from the schedule,
    /// and asking whether they are open never panics.
    #[test]
    fn odd_schedules_never_panic(
        schedules in prop::collection::vec(schedule(), 0..4),
        at in local_time(),
    ) {
        let document = json!({"schedules": schedules});
        let found = openings(&document);
        prop_assert!(found.len() <= schedules.len());
        for opening in &found {
            prop_assert!(!opening.days.is_empty());
        }
        let _ = is_open_at(&found, at);
    }

    /// Open every day from a time to the same time: open always.
    #[test]
    fn an_all_day_every_day_opening_is_always_open(
        at in local_time(),
        (h, m) in (0u32..24, 0u32..60),
    ) {
        let time = NaiveTime::from_hms_opt(h, m, 0).unwrap();
        let opening = WeeklyOpening {
            days: vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun],
            opens: time,
            closes: time,
            valid_from: None,
            valid_to: None,
        };
        prop_assert!(opening.is_open_at(at));
    }

    #[test]
    fn day_names_never_panic(text in nasty_text()) {
        let _ = parse_day(&text);
    }

    /// Any UTC instant chrono can hold has a London time.
    #[test]
    fn london_time_never_panics(seconds in any::<i64>()) {
        if let Some(at) = Utc.timestamp_opt(seconds, 0).single() {
            let _ = london_time(at);
        }
    }
}

/// Found by the properties above and fixed: `WeeklyOpening::is_open_at`
/// panicked at the earliest date chrono can hold, subtracting a day
/// unchecked. Kept as a regression test.
#[test]
fn is_open_at_the_earliest_time_does_not_panic() {
    let opening = openings(
        &json!({"schedules": [{"byday": "MO", "opens_at": "22:00", "closes_at": "02:00"}]}),
    );
    let _ = is_open_at(&opening, NaiveDateTime::MIN);
}
