//! Places: the neighbourhoods a partnership serves. Later issues add their
//! small areas (LSOAs), deprivation and population.

use serde::{Deserialize, Serialize};

use crate::text::{self, ValidationErrors};

/// What someone submits to create or change a place, before checking.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PlaceInput {
    pub name: String,
    pub description: Option<String>,
}

/// A place's details, checked and tidied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaceDetails {
    pub name: String,
    pub description: Option<String>,
}

impl PlaceInput {
    pub fn validate(&self) -> Result<PlaceDetails, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let name = text::required(&mut errors, "name", "the place's name", &self.name, 200);
        let description = text::optional(
            &mut errors,
            "description",
            "the description",
            self.description.as_deref(),
            5000,
        );
        errors.into_result(PlaceDetails { name, description })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_place_needs_a_name() {
        let errors = PlaceInput::default().validate().unwrap_err();
        assert_eq!(errors.0[0].field, "name");
        let ok = PlaceInput {
            name: "Eastfield".into(),
            description: Some("Estate east of the river".into()),
        };
        assert_eq!(ok.validate().unwrap().name, "Eastfield");
    }
}

/// A stored place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Place {
    pub id: uuid::Uuid,
    #[serde(flatten)]
    pub details: PlaceDetails,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}
