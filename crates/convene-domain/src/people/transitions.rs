//! Key transitions: a child moving from nursery to primary school, from
//! primary to secondary (year 6 to year 7), or from school to post-16. With
//! the family's consent, the receiving school's staff see the child's open
//! referrals, so support carries on across the move.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransitionKind {
    NurseryToPrimary,
    PrimaryToSecondary,
    SchoolToPost16,
    ChangingSchool,
}

impl TransitionKind {
    pub const ALL: [TransitionKind; 4] = [
        Self::NurseryToPrimary,
        Self::PrimaryToSecondary,
        Self::SchoolToPost16,
        Self::ChangingSchool,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::NurseryToPrimary => "nursery_to_primary",
            Self::PrimaryToSecondary => "primary_to_secondary",
            Self::SchoolToPost16 => "school_to_post16",
            Self::ChangingSchool => "changing_school",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::NurseryToPrimary => "Nursery to primary school",
            Self::PrimaryToSecondary => "Year 6 to year 7",
            Self::SchoolToPost16 => "School to post-16",
            Self::ChangingSchool => "Changing school",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for kind in TransitionKind::ALL {
            assert_eq!(TransitionKind::parse(kind.code()), Some(kind));
        }
        assert_eq!(TransitionKind::parse("university"), None);
    }
}
