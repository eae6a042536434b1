//! The queries the benchmark asks, as URL query strings that both Convene's
//! `/oruk/services` and the baseline's `/services` understand. Many
//! variants of each kind, so neither side answers one query from a warm
//! cache over and over.

use convene_domain::directory::taxonomy::need_id;

use crate::generate::PostcodeRow;
use crate::geography::TOWNS;
use crate::rng::Rng;
use crate::words::NEED_WORDS;

/// Words people type: each kind of service, and single words from them.
fn search_words(rng: &mut Rng, need: usize) -> String {
    let kind = rng.pick(NEED_WORDS[need].kinds).to_lowercase();
    match rng.below(4) {
        // The whole kind, e.g. "food bank".
        0 | 1 => kind,
        // The kind and a town, e.g. "youth club leeds".
        2 => format!("{kind} {}", rng.pick(TOWNS).0.to_lowercase()),
        // One word of it, e.g. "counselling".
        _ => {
            let words: Vec<&str> = kind.split(' ').filter(|w| w.len() > 3).collect();
            if words.is_empty() {
                kind.clone()
            } else {
                rng.pick(&words).to_string()
            }
        }
    }
}

/// Percent-encodes a query value (spaces as `+`).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// `count` text queries.
pub fn text(seed: u64, count: usize) -> Vec<String> {
    let mut rng = Rng::stream(seed, "text queries");
    (0..count)
        .map(|_| {
            let need = rng.below(NEED_WORDS.len());
            format!("search={}", encode(&search_words(&mut rng, need)))
        })
        .collect()
}

/// `count` queries of words, a need and an age range.
pub fn need_and_age(seed: u64, count: usize) -> Vec<String> {
    let mut rng = Rng::stream(seed, "need and age queries");
    (0..count)
        .map(|_| {
            let need = rng.below(NEED_WORDS.len());
            let words = &NEED_WORDS[need];
            // A range inside what such services are for, or a child's ages
            // when they are for anyone.
            let (low, high) = words.ages.first().copied().unwrap_or((0, 18));
            let from = low + rng.below(usize::from(high.min(40).saturating_sub(low)) + 1) as u16;
            let to = (from + rng.below(6) as u16).min(high.max(from));
            format!(
                "search={}&taxonomy_term_id={}&minimum_age={from}&maximum_age={to}",
                encode(&search_words(&mut rng, need)),
                need_id(words.code)
            )
        })
        .collect()
}

/// `count` queries of words near one of `postcodes`.
pub fn near(seed: u64, count: usize, postcodes: &[PostcodeRow]) -> Vec<String> {
    let mut rng = Rng::stream(seed, "distance queries");
    if postcodes.is_empty() {
        return Vec::new();
    }
    (0..count)
        .map(|_| {
            let need = rng.below(NEED_WORDS.len());
            let postcode = &rng.pick(postcodes).postcode;
            let metres = [5_000, 8_000, 10_000, 16_000][rng.below(4)];
            format!(
                "search={}&postcode={}&proximity={metres}",
                encode(&search_words(&mut rng, need)),
                encode(postcode)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_encoded_for_a_url() {
        assert_eq!(encode("children's centre"), "children%27s+centre");
        assert_eq!(encode("LS12 4QB"), "LS12+4QB");
    }

    #[test]
    fn age_ranges_are_never_upside_down() {
        for query in need_and_age(1, 500) {
            let number = |key: &str| -> u16 {
                let start = query.find(key).unwrap() + key.len();
                query[start..].split('&').next().unwrap().parse().unwrap()
            };
            assert!(number("minimum_age=") <= number("maximum_age="), "{query}");
        }
    }
}
