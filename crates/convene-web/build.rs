//! Builds Convene's front end into the binary: installs GOV.UK Frontend and
//! Sass from npm when they are missing, compiles `assets/convene.scss`, and
//! copies GOV.UK Frontend's JavaScript next to it in `OUT_DIR`.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

fn main() {
    let here =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    for watched in ["build.rs", "package.json", "package-lock.json", "assets"] {
        println!("cargo:rerun-if-changed={watched}");
    }
    println!("cargo:rerun-if-env-changed=NPM");

    let modules = here.join("node_modules");
    if !modules.join("govuk-frontend/package.json").exists()
        || !modules.join("sass/package.json").exists()
    {
        npm_ci(&here);
    }

    let css = out.join("convene.css");
    run(
        Command::new("node")
            .current_dir(&here)
            .arg(modules.join("sass/sass.js"))
            .args([
                "--no-source-map",
                "--style=compressed",
                "--quiet-deps",
                "--load-path=node_modules",
            ])
            .arg("assets/convene.scss")
            .arg(&css),
        "compile assets/convene.scss with Sass",
    );
    let js = out.join("govuk-frontend.min.js");
    copy(
        &modules.join("govuk-frontend/dist/govuk/govuk-frontend.min.js"),
        &js,
    );

    // A fingerprint of the built assets goes into their URLs, so browsers can
    // cache them forever and still see a new build at once.
    let mut hasher = DefaultHasher::new();
    for file in [
        &css,
        &js,
        &here.join("assets/convene-init.js"),
        &here.join("assets/favicon.svg"),
    ] {
        fs::read(file)
            .unwrap_or_else(|e| panic!("read {}: {e}", file.display()))
            .hash(&mut hasher);
    }
    fs::write(
        out.join("asset_version.txt"),
        format!("{:012x}", hasher.finish() & 0xffff_ffff_ffff),
    )
    .expect("write asset_version.txt");
}

fn npm_ci(dir: &Path) {
    let npm = env::var("NPM").unwrap_or_else(|_| "npm".to_string());
    let status = Command::new(&npm)
        .current_dir(dir)
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .status();
    match status {
        Ok(status) if status.success() => {}
        Ok(status) => panic!(
            "\n\nconvene-web: `{npm} ci` failed ({status}) while installing GOV.UK Frontend into {}.\n\
             Check your network access to the npm registry and run `npm ci` in that folder to see why.\n",
            dir.display()
        ),
        Err(e) => panic!(
            "\n\nconvene-web needs npm (Node.js 18 or later) to install GOV.UK Frontend, but `{npm}` could not be run: {e}.\n\
             Install Node.js and npm (https://nodejs.org or your package manager), or set NPM to npm's path, then build again.\n"
        ),
    }
}

fn run(command: &mut Command, what: &str) {
    match command.status() {
        Ok(status) if status.success() => {}
        Ok(status) => panic!("\n\nconvene-web: could not {what} ({status}).\n"),
        Err(e) => panic!("\n\nconvene-web: could not {what}: {e}. Is Node.js installed?\n"),
    }
}

fn copy(from: &Path, to: &Path) {
    fs::copy(from, to)
        .unwrap_or_else(|e| panic!("copy {} to {}: {e}", from.display(), to.display()));
}
