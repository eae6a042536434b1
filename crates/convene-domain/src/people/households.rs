//! Households: the people who live together, and how each relates to the
//! household's children.

/// A member's place in the household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relationship {
    /// A child or young person (0 to 25) the household looks after.
    Child,
    Mother,
    Father,
    Parent,
    StepParent,
    FosterCarer,
    KinshipCarer,
    Grandparent,
    Guardian,
    /// An older brother or sister who is not a child of the household.
    Sibling,
    OtherAdult,
}

impl Relationship {
    pub const ALL: [Relationship; 11] = [
        Self::Child,
        Self::Mother,
        Self::Father,
        Self::Parent,
        Self::StepParent,
        Self::FosterCarer,
        Self::KinshipCarer,
        Self::Grandparent,
        Self::Guardian,
        Self::Sibling,
        Self::OtherAdult,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Child => "child",
            Self::Mother => "mother",
            Self::Father => "father",
            Self::Parent => "parent",
            Self::StepParent => "step_parent",
            Self::FosterCarer => "foster_carer",
            Self::KinshipCarer => "kinship_carer",
            Self::Grandparent => "grandparent",
            Self::Guardian => "guardian",
            Self::Sibling => "sibling",
            Self::OtherAdult => "other_adult",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Child => "Child or young person",
            Self::Mother => "Mother",
            Self::Father => "Father",
            Self::Parent => "Parent",
            Self::StepParent => "Step-parent",
            Self::FosterCarer => "Foster carer",
            Self::KinshipCarer => "Kinship carer",
            Self::Grandparent => "Grandparent",
            Self::Guardian => "Guardian",
            Self::Sibling => "Sibling",
            Self::OtherAdult => "Other adult",
        }
    }

    /// Holds parental responsibility or cares for the children day to day.
    pub fn is_parent_or_carer(self) -> bool {
        !matches!(self, Self::Child | Self::Sibling | Self::OtherAdult)
    }

    /// Checked as a child or young person (0 to 25).
    pub fn is_young(self) -> bool {
        self == Self::Child
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_roles_are_sorted() {
        for r in Relationship::ALL {
            assert_eq!(Relationship::parse(r.code()), Some(r));
        }
        assert!(Relationship::FosterCarer.is_parent_or_carer());
        assert!(!Relationship::Child.is_parent_or_carer());
        assert!(Relationship::Child.is_young());
        assert!(!Relationship::Sibling.is_young());
    }
}
