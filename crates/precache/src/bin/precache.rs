//! Trunk post-build hook: writes `sw.js` into the staging directory (`TRUNK_STAGING_DIR`, or the first argument).
//! A release build gets the precaching worker; a development build (`trunk serve`) the retiring one, so live
//! reloads are never served from an offline copy.

use std::path::PathBuf;
use std::process::ExitCode;

use precache::{retiring_worker_js, Manifest, WORKER_FILE};

fn main() -> ExitCode {
    let Some(dir) = std::env::args_os().nth(1).or_else(|| std::env::var_os("TRUNK_STAGING_DIR")).map(PathBuf::from)
    else {
        eprintln!("usage: precache <built book directory>  (or set TRUNK_STAGING_DIR)");
        return ExitCode::FAILURE;
    };
    // Trunk names the profile; run by hand, the tool assumes the release build it is meant for.
    let release = std::env::var("TRUNK_PROFILE").map_or(true, |profile| profile == "release");
    let (source, summary) = if release {
        match Manifest::read_dir(&dir) {
            Ok(manifest) => {
                let summary = format!(
                    "precache: version {}, {} files, {} bytes",
                    manifest.version,
                    manifest.files.len(),
                    manifest.total_bytes()
                );
                (manifest.worker_js(), summary)
            }
            Err(error) => {
                eprintln!("precache: cannot read {}: {error}", dir.display());
                return ExitCode::FAILURE;
            }
        }
    } else {
        (retiring_worker_js(), "precache: development build, the worker only retires older ones".to_owned())
    };
    if let Err(error) = std::fs::write(dir.join(WORKER_FILE), source) {
        eprintln!("precache: cannot write {}: {error}", dir.join(WORKER_FILE).display());
        return ExitCode::FAILURE;
    }
    println!("{summary}");
    ExitCode::SUCCESS
}
