//! Where generated places are: towns and cities across England with their
//! centres and postcode areas, weighted roughly by population, and
//! postcodes made in each area's shape. The postcodes have the real areas'
//! letters but are invented; positions are drawn around each centre.

use crate::rng::Rng;

/// (name, latitude, longitude, postcode area, weight, spread in degrees).
pub const TOWNS: &[(&str, f64, f64, &str, u32, f64)] = &[
    ("London", 51.507, -0.128, "E", 40, 0.12),
    ("Birmingham", 52.486, -1.890, "B", 12, 0.07),
    ("Manchester", 53.481, -2.242, "M", 10, 0.07),
    ("Leeds", 53.801, -1.549, "LS", 8, 0.06),
    ("Liverpool", 53.408, -2.992, "L", 7, 0.05),
    ("Sheffield", 53.381, -1.470, "S", 7, 0.05),
    ("Bristol", 51.455, -2.588, "BS", 6, 0.05),
    ("Newcastle upon Tyne", 54.978, -1.618, "NE", 5, 0.05),
    ("Nottingham", 52.954, -1.158, "NG", 5, 0.05),
    ("Leicester", 52.637, -1.140, "LE", 5, 0.04),
    ("Coventry", 52.407, -1.512, "CV", 4, 0.04),
    ("Bradford", 53.796, -1.759, "BD", 5, 0.04),
    ("Hull", 53.745, -0.336, "HU", 3, 0.04),
    ("Stoke-on-Trent", 53.003, -2.180, "ST", 3, 0.04),
    ("Wolverhampton", 52.587, -2.129, "WV", 3, 0.03),
    ("Derby", 52.922, -1.477, "DE", 3, 0.03),
    ("Southampton", 50.910, -1.404, "SO", 3, 0.03),
    ("Portsmouth", 50.819, -1.088, "PO", 3, 0.03),
    ("Plymouth", 50.375, -4.143, "PL", 3, 0.04),
    ("Reading", 51.454, -0.978, "RG", 3, 0.03),
    ("Norwich", 52.630, 1.297, "NR", 2, 0.04),
    ("Oxford", 51.752, -1.258, "OX", 2, 0.03),
    ("Cambridge", 52.205, 0.122, "CB", 2, 0.03),
    ("Brighton", 50.823, -0.137, "BN", 3, 0.03),
    ("Exeter", 50.718, -3.534, "EX", 2, 0.04),
    ("Gloucester", 51.864, -2.244, "GL", 2, 0.03),
    ("Ipswich", 52.057, 1.148, "IP", 2, 0.03),
    ("Peterborough", 52.570, -0.240, "PE", 2, 0.03),
    ("Milton Keynes", 52.041, -0.760, "MK", 2, 0.03),
    ("Northampton", 52.240, -0.903, "NN", 2, 0.03),
    ("Luton", 51.879, -0.418, "LU", 2, 0.03),
    ("Swindon", 51.556, -1.780, "SN", 2, 0.03),
    ("Bournemouth", 50.720, -1.880, "BH", 2, 0.03),
    ("York", 53.960, -1.087, "YO", 2, 0.03),
    ("Lincoln", 53.231, -0.538, "LN", 1, 0.03),
    ("Preston", 53.763, -2.703, "PR", 2, 0.03),
    ("Blackpool", 53.817, -3.036, "FY", 1, 0.02),
    ("Bolton", 53.578, -2.430, "BL", 2, 0.03),
    ("Wigan", 53.545, -2.632, "WN", 2, 0.03),
    ("Oldham", 53.541, -2.118, "OL", 2, 0.03),
    ("Huddersfield", 53.645, -1.785, "HD", 2, 0.03),
    ("Wakefield", 53.683, -1.499, "WF", 2, 0.03),
    ("Doncaster", 53.523, -1.133, "DN", 2, 0.04),
    ("Sunderland", 54.906, -1.383, "SR", 2, 0.03),
    ("Middlesbrough", 54.574, -1.235, "TS", 2, 0.04),
    ("Carlisle", 54.893, -2.936, "CA", 1, 0.04),
    ("Lancaster", 54.047, -2.801, "LA", 1, 0.04),
    ("Chester", 53.191, -2.892, "CH", 1, 0.03),
    ("Warrington", 53.390, -2.597, "WA", 2, 0.03),
    ("Shrewsbury", 52.708, -2.754, "SY", 1, 0.04),
    ("Worcester", 52.192, -2.220, "WR", 1, 0.03),
    ("Hereford", 52.057, -2.716, "HR", 1, 0.04),
    ("Canterbury", 51.280, 1.079, "CT", 1, 0.04),
    ("Maidstone", 51.272, 0.529, "ME", 2, 0.04),
    ("Chelmsford", 51.736, 0.469, "CM", 2, 0.04),
    ("Colchester", 51.896, 0.892, "CO", 1, 0.03),
    ("Guildford", 51.236, -0.570, "GU", 2, 0.04),
    ("Crawley", 51.109, -0.187, "RH", 2, 0.04),
    ("Taunton", 51.015, -3.106, "TA", 1, 0.04),
    ("Truro", 50.263, -5.051, "TR", 1, 0.05),
    ("Salisbury", 51.069, -1.795, "SP", 1, 0.04),
    ("Bedford", 52.136, -0.467, "MK", 1, 0.03),
];

/// A position and the town it is in.
#[derive(Debug, Clone, Copy)]
pub struct Spot {
    pub town: usize,
    pub latitude: f64,
    pub longitude: f64,
}

/// Chooses towns by weight.
#[derive(Debug)]
pub struct TownPicker {
    cumulative: Vec<u32>,
}

impl Default for TownPicker {
    fn default() -> Self {
        let mut total = 0;
        let cumulative = TOWNS
            .iter()
            .map(|town| {
                total += town.4;
                total
            })
            .collect();
        TownPicker { cumulative }
    }
}

impl TownPicker {
    pub fn pick(&self, rng: &mut Rng) -> usize {
        let total = *self.cumulative.last().unwrap_or(&1);
        let draw = rng.below(total as usize) as u32;
        self.cumulative.partition_point(|c| *c <= draw)
    }

    /// A position in or near `town`.
    pub fn spot_in(&self, town: usize, rng: &mut Rng) -> Spot {
        let (_, lat, long, _, _, spread) = TOWNS[town];
        // Longitude degrees are shorter this far north; widen them so the
        // spread is round on the ground.
        Spot {
            town,
            latitude: round6(lat + rng.normal() * spread),
            longitude: round6(long + rng.normal() * spread * 1.6),
        }
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// A postcode in `town`'s area, like `LS12 4QB`.
pub fn postcode_in(town: usize, rng: &mut Rng) -> String {
    const UNIT_LETTERS: &[u8] = b"ABDEFGHJLNPQRSTUWXYZ";
    let area = TOWNS[town].3;
    let district = 1 + rng.below(29);
    let sector = rng.below(10);
    let a = UNIT_LETTERS[rng.below(UNIT_LETTERS.len())] as char;
    let b = UNIT_LETTERS[rng.below(UNIT_LETTERS.len())] as char;
    format!("{area}{district} {sector}{a}{b}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use convene_domain::directory::postcodes::Postcode;

    #[test]
    fn postcodes_have_the_uk_shape_and_spots_stay_in_england() {
        let picker = TownPicker::default();
        let mut rng = Rng::new(3);
        for _ in 0..2_000 {
            let town = picker.pick(&mut rng);
            assert!(town < TOWNS.len());
            let code = postcode_in(town, &mut rng);
            assert_eq!(Postcode::parse(&code).map(|p| p.to_string()), Ok(code));
            let spot = picker.spot_in(town, &mut rng);
            assert!((49.5..56.0).contains(&spot.latitude), "{spot:?}");
            assert!((-6.5..2.0).contains(&spot.longitude), "{spot:?}");
        }
    }
}
