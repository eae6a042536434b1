//! UK postcodes: tidied to one canonical form, or refused with a reason.

/// A postcode in canonical form, like `BK3 2EA` or `SW1A 1AA`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Postcode(String);

impl Postcode {
    /// Accepts any case and spacing; checks the shape of UK postcodes
    /// (an outward code of 2-4 characters starting with a letter, then a
    /// digit and two letters).
    pub fn parse(text: &str) -> Result<Postcode, PostcodeProblem> {
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        if compact.is_empty() {
            return Err(PostcodeProblem::Empty);
        }
        if !(5..=7).contains(&compact.len()) || !compact.chars().all(|c| c.is_ascii_alphanumeric())
        {
            return Err(PostcodeProblem::Malformed);
        }
        let (outward, inward) = compact.split_at(compact.len() - 3);
        let inward_ok = {
            let b = inward.as_bytes();
            b[0].is_ascii_digit() && b[1].is_ascii_alphabetic() && b[2].is_ascii_alphabetic()
        };
        let outward_ok = outward
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphabetic)
            && outward.chars().any(|c| c.is_ascii_digit());
        if !(inward_ok && outward_ok) {
            return Err(PostcodeProblem::Malformed);
        }
        Ok(Postcode(format!("{outward} {inward}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The outward code (`BK3` of `BK3 2EA`), the district.
    pub fn outward(&self) -> &str {
        self.0.split(' ').next().unwrap_or(&self.0)
    }
}

impl std::fmt::Display for Postcode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PostcodeProblem {
    #[error("Enter a postcode")]
    Empty,
    #[error("Enter a real postcode, like BK3 2EA")]
    Malformed,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn postcodes_are_tidied_or_refused() {
        assert_eq!(Postcode::parse(" bk3  2ea ").unwrap().as_str(), "BK3 2EA");
        assert_eq!(Postcode::parse("SW1A1AA").unwrap().as_str(), "SW1A 1AA");
        assert_eq!(Postcode::parse("M1 1AE").unwrap().outward(), "M1");
        assert_eq!(Postcode::parse(""), Err(PostcodeProblem::Empty));
        for bad in ["12345", "BK3 2E", "BK3-2EA", "ABCDEFGH", "B 2EA", "BK3 EEA"] {
            assert_eq!(
                Postcode::parse(bad),
                Err(PostcodeProblem::Malformed),
                "{bad}"
            );
        }
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_is_idempotent(text in ".{0,12}") {
            if let Ok(postcode) = Postcode::parse(&text) {
                prop_assert_eq!(Postcode::parse(postcode.as_str()), Ok(postcode.clone()));
            }
        }
    }
}
