//! House rules that a compiler cannot check.

use std::fs;
use std::path::Path;

use crate::root;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).expect("readable source dir") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The simulation core is deterministic and browser-free: the same seed and actions must give the same run on
/// native and wasm, which any clock, OS randomness or hash-ordered collection would break.
#[test]
fn the_core_stays_pure() {
    let core = root().join("crates/sim");
    let manifest = fs::read_to_string(core.join("Cargo.toml")).unwrap();
    let deps = manifest.split("[dependencies]").nth(1).unwrap_or("").split("\n[").next().unwrap_or("");
    for banned in ["yew", "web-sys", "js-sys", "gloo", "wasm-bindgen", "getrandom", "rand"] {
        assert!(!deps.lines().any(|l| l.trim_start().starts_with(banned)), "crates/sim must not depend on {banned}");
    }
    let mut files = Vec::new();
    rust_files(&core.join("src"), &mut files);
    assert!(files.len() >= 5, "found the core's sources");
    let banned = [
        "std::time",
        "Instant::now",
        "SystemTime",
        "thread_rng",
        "getrandom",
        "HashMap",
        "HashSet",
        "web_sys",
        "js_sys",
        "wasm_bindgen",
        "yew::",
        "gloo",
        "std::thread",
        "std::fs",
        "std::net",
    ];
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in banned {
                assert!(!code.contains(word), "{}:{}: the core must not use {word}", file.display(), n + 1);
            }
        }
    }
}

/// Only the canvas painter touches a 2D context: widgets describe scenes, they do not draw.
#[test]
fn only_the_painter_draws() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    for file in files {
        let text = fs::read_to_string(&file).unwrap();
        let allowed = file.ends_with("canvas/paint.rs") || file.ends_with("canvas/mod.rs");
        if !allowed {
            assert!(
                !text.contains("fill_rect") && !text.contains("CanvasRenderingContext2d"),
                "{} draws directly",
                file.display()
            );
        }
    }
}

/// Readers must never meet placeholder text.
#[test]
fn no_placeholders_in_the_book() {
    let dir = root().join("chapters");
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") && !path.ends_with("README.md") {
            let text = fs::read_to_string(&path).unwrap().to_lowercase();
            for word in ["coming soon", "lorem ipsum", "todo", "tbd", "placeholder", "under construction"] {
                assert!(!text.contains(word), "{} contains {word:?}", path.display());
            }
        }
    }
}

/// Trunk starts all hooks of one stage at once. Two post-build hooks that both change `dist/` would race (the
/// service worker once listed the build before its start-up script was moved out, and every offline visit failed
/// its integrity check), so one hook runs every post-build step in order.
#[test]
fn one_post_build_hook_orders_every_step() {
    let trunk = fs::read_to_string(root().join("Trunk.toml")).unwrap();
    let post_build = trunk.matches("stage = \"post_build\"").count();
    assert_eq!(post_build, 1, "Trunk.toml must have exactly one post_build hook, found {post_build}");
    let script = fs::read_to_string(root().join("scripts/post-build.sh")).unwrap();
    let csp = script.find("--bin secure-html").expect("post-build.sh runs secure-html");
    let worker = script.find("--bin precache").expect("post-build.sh runs precache");
    assert!(csp < worker, "the service worker must be written after the page is final");
}
