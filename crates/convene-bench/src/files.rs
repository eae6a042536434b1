//! Writing a generated directory to disk: `feed.ndjson` (one full service
//! per line), `postcodes.csv` (ONSPD columns) and `queries/*.txt`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;

use crate::generate::{Directory, Size};
use crate::queries;

/// How many variants of each query kind are written.
const QUERY_VARIANTS: usize = 5_000;

/// What was written.
#[derive(Debug)]
pub struct Written {
    pub services: usize,
    pub postcodes: usize,
    pub feed_bytes: u64,
}

pub fn write(size: Size, out: &Path) -> anyhow::Result<Written> {
    std::fs::create_dir_all(out.join("queries"))
        .with_context(|| format!("cannot create {}", out.display()))?;
    let seed = size.seed;
    let mut directory = Directory::new(size);

    let feed_path = out.join("feed.ndjson");
    let mut feed = BufWriter::new(
        File::create(&feed_path)
            .with_context(|| format!("cannot write {}", feed_path.display()))?,
    );
    let mut services = 0;
    directory.services(|doc| -> std::io::Result<()> {
        serde_json::to_writer(&mut feed, &doc)?;
        feed.write_all(b"\n")?;
        services += 1;
        Ok(())
    })?;
    feed.flush()?;

    let postcodes = directory.postcodes();
    let mut csv = BufWriter::new(File::create(out.join("postcodes.csv"))?);
    writeln!(csv, "pcds,lat,long,lsoa21")?;
    for row in &postcodes {
        writeln!(
            csv,
            "{},{},{},{}",
            row.postcode, row.latitude, row.longitude, row.lsoa
        )?;
    }
    csv.flush()?;

    let lists = [
        ("text", queries::text(seed, QUERY_VARIANTS)),
        ("need_age", queries::need_and_age(seed, QUERY_VARIANTS)),
        (
            "distance",
            queries::near(seed, QUERY_VARIANTS, directory.query_postcodes()),
        ),
    ];
    for (name, list) in lists {
        let mut file = BufWriter::new(File::create(
            out.join("queries").join(format!("{name}.txt")),
        )?);
        for query in list {
            writeln!(file, "{query}")?;
        }
        file.flush()?;
    }
    Ok(Written {
        services,
        postcodes: postcodes.len(),
        feed_bytes: std::fs::metadata(&feed_path)?.len(),
    })
}
