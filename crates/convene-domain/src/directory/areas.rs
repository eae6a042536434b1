//! The areas a service says it serves: ORUK `service_areas` whose `extent`
//! is GeoJSON (a Polygon or MultiPolygon, bare or in a Feature or
//! FeatureCollection). ORUK's `postcode` filter keeps only the services
//! whose area holds the postcode; a service that gives no area we can read
//! (none, free text, KML) is taken to serve everywhere, since nothing says
//! otherwise.

use serde_json::Value;

/// One ring of a polygon, as (longitude, latitude) points (GeoJSON order).
type Ring = Vec<(f64, f64)>;

/// A polygon: its outer ring, then any holes.
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    rings: Vec<Ring>,
}

/// An area a service serves: one or more polygons.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Area {
    polygons: Vec<Polygon>,
}

impl Area {
    /// Whether the point (latitude, longitude) lies inside the area. A
    /// point on an edge may fall either side; areas are drawn far coarser
    /// than that.
    pub fn covers(&self, (latitude, longitude): (f64, f64)) -> bool {
        self.polygons.iter().any(|polygon| {
            let mut rings = polygon.rings.iter();
            rings
                .next()
                .is_some_and(|outer| inside(outer, longitude, latitude))
                && !rings.any(|hole| inside(hole, longitude, latitude))
        })
    }
}

/// Even-odd ray casting: count the edges a ray eastwards from the point
/// crosses.
fn inside(ring: &[(f64, f64)], x: f64, y: f64) -> bool {
    let mut result = false;
    let mut previous = match ring.last() {
        Some(point) => *point,
        None => return false,
    };
    for &(xi, yi) in ring {
        let (xj, yj) = previous;
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            result = !result;
        }
        previous = (xi, yi);
    }
    result
}

/// The readable areas of a service document's `service_areas`.
pub fn areas(document: &Value) -> Vec<Area> {
    document
        .get("service_areas")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|area| {
            area.get("extent_type")
                .and_then(Value::as_str)
                .is_none_or(|kind| kind.eq_ignore_ascii_case("geojson"))
        })
        .filter_map(|area| area.get("extent"))
        .filter_map(|extent| match extent {
            Value::String(text) => serde_json::from_str::<Value>(text).ok(),
            Value::Object(_) => Some(extent.clone()),
            _ => None,
        })
        .map(|geometry| {
            let mut area = Area::default();
            collect(&geometry, &mut area.polygons, 0);
            area
        })
        .filter(|area| !area.polygons.is_empty())
        .collect()
}

/// Gathers the polygons of any GeoJSON object. Nesting is bounded so a
/// hostile document cannot exhaust the stack.
fn collect(geojson: &Value, into: &mut Vec<Polygon>, depth: usize) {
    if depth > 4 {
        return;
    }
    let coordinates = geojson.get("coordinates");
    match geojson.get("type").and_then(Value::as_str) {
        Some("Polygon") => into.extend(coordinates.and_then(polygon)),
        Some("MultiPolygon") => into.extend(
            coordinates
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(polygon),
        ),
        Some("Feature") => {
            if let Some(geometry) = geojson.get("geometry") {
                collect(geometry, into, depth + 1);
            }
        }
        Some("FeatureCollection") => {
            for feature in geojson
                .get("features")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                collect(feature, into, depth + 1);
            }
        }
        Some("GeometryCollection") => {
            for geometry in geojson
                .get("geometries")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                collect(geometry, into, depth + 1);
            }
        }
        _ => {}
    }
}

/// A polygon's rings, or nothing when any point is not a finite pair or
/// the outer ring is too short to enclose anything.
fn polygon(coordinates: &Value) -> Option<Polygon> {
    let rings = coordinates
        .as_array()?
        .iter()
        .map(|ring| {
            ring.as_array()?
                .iter()
                .map(|point| {
                    let pair = point.as_array()?;
                    let x = pair.first()?.as_f64()?;
                    let y = pair.get(1)?.as_f64()?;
                    (x.is_finite() && y.is_finite()).then_some((x, y))
                })
                .collect::<Option<Ring>>()
        })
        .collect::<Option<Vec<Ring>>>()?;
    (rings.first()?.len() >= 3).then_some(Polygon { rings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A square around (53.1, -1.8) with a hole in its north-east corner.
    fn square_document(extent: Value) -> Value {
        json!({"service_areas": [{"id": "x", "name": "Brackenbury", "extent_type": "geojson", "extent": extent}]})
    }

    fn square() -> Value {
        json!({"type": "Polygon", "coordinates": [
            [[-2.0, 53.0], [-1.6, 53.0], [-1.6, 53.2], [-2.0, 53.2], [-2.0, 53.0]],
            [[-1.7, 53.15], [-1.6, 53.15], [-1.6, 53.2], [-1.7, 53.2], [-1.7, 53.15]]
        ]})
    }

    #[test]
    fn a_polygon_given_as_text_covers_inside_not_outside_nor_its_hole() {
        let found = areas(&square_document(Value::String(square().to_string())));
        assert_eq!(found.len(), 1);
        assert!(found[0].covers((53.1, -1.8)));
        assert!(!found[0].covers((53.3, -1.8)), "north of it");
        assert!(!found[0].covers((53.1, -2.1)), "west of it");
        assert!(!found[0].covers((53.17, -1.65)), "in the hole");
    }

    #[test]
    fn features_and_multipolygons_are_read() {
        let feature = json!({"type": "FeatureCollection", "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "MultiPolygon", "coordinates": [
                [[[0.0, 51.0], [1.0, 51.0], [1.0, 52.0], [0.0, 51.0]]],
                square()["coordinates"].clone()
            ]}}
        ]});
        let found = areas(&square_document(feature));
        assert_eq!(found.len(), 1);
        assert!(found[0].covers((53.1, -1.8)));
        assert!(found[0].covers((51.2, 0.9)));
        assert!(!found[0].covers((51.9, 0.1)));
    }

    #[test]
    fn unreadable_extents_give_no_area() {
        for extent in [
            json!("extent"),
            json!("{\"type\": \"Polygon\", \"coordinates\": [[[0, 0], [1, 1]]]}"),
            json!({"type": "Point", "coordinates": [0, 0]}),
            json!({"type": "Polygon", "coordinates": [[[0, 0], ["a", 1], [1, 0]]]}),
            json!(42),
        ] {
            assert!(
                areas(&square_document(extent.clone())).is_empty(),
                "{extent}"
            );
        }
        let text_area = json!({"service_areas": [{"id": "x", "name": "All of Brackenbury", "extent_type": "text", "extent": square().to_string()}]});
        assert!(areas(&text_area).is_empty(), "free-text areas are not read");
        assert!(areas(&json!({})).is_empty());
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let mut geojson = square();
        for _ in 0..100 {
            geojson = json!({"type": "Feature", "geometry": geojson});
        }
        assert!(areas(&square_document(geojson)).is_empty());
    }
}
