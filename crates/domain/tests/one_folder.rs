//! A kind is one folder (issue 11): outside `crates/domain/src/<kind>/`, the registry line in
//! `kinds.rs`, the demo plans (`crates/demo/src/<kind>.rs`) and tests, no source file names
//! an existing kind — not as a string (`"petition"`), a path (`petition::`), a URL segment
//! (`/petition/`) or an SQL literal (`'petition'`). The rest of fazhi reads the registry.
//!
//! Left out, and why: test code (files under `tests/`, `*tests.rs`, the test kit, and a file's
//! `#[cfg(test)]` module at its end) names kinds to exercise them; the benchmark harness
//! (`crates/bench`) drives a named kind's workload, as its scenarios document. The two lists of
//! kinds: the registry (`Kinds::standard` in `kinds.rs`) and the demo's list of its plans
//! (`crates/demo/src/lib.rs`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use fazhi_domain::kinds::Kinds;
use fazhi_domain::settings::Settings;

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            if !matches!(p.file_name().and_then(|n| n.to_str()), Some("target" | "node_modules" | ".git")) {
                files(&p, out);
            }
        } else if matches!(p.extension().and_then(|x| x.to_str()), Some("rs" | "html" | "js" | "sql")) {
            out.push(p);
        }
    }
}

fn is_test_or_exempt(rel: &str) -> bool {
    rel.contains("/tests/")
        || rel.ends_with("tests.rs")
        || rel.starts_with("crates/testkit/")
        || rel.starts_with("crates/bench/")
        || rel == "crates/domain/src/kinds.rs"
        || rel == "crates/demo/src/lib.rs"
        || rel == "crates/domain/src/testing.rs"
}

/// Where `slug` may be named: its folder, and the demo plans (a kind's plan is named by its slug;
/// the visit's plan turns visits into the other kinds' cases, so plans may name each other).
fn is_home_of(rel: &str, slug: &str, slugs: &[&str]) -> bool {
    let plan = rel.strip_prefix("crates/demo/src/").and_then(|r| r.strip_suffix(".rs")).unwrap_or("");
    rel.starts_with(&format!("crates/domain/src/{slug}/")) || slugs.contains(&plan)
}

#[test]
fn no_source_outside_a_kinds_folder_names_the_kind() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap();
    let mut all = Vec::new();
    files(&root.join("crates"), &mut all);
    assert!(all.len() > 50, "the sources were not found under {}", root.display());
    let slugs: Vec<&str> = Kinds::standard(&Settings::default()).all().iter().map(|k| k.slug).collect();
    let mut found = Vec::new();
    for path in &all {
        let rel = path.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        if is_test_or_exempt(&rel) {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        for (n, line) in text.lines().enumerate() {
            // A unit-test module closes the file: what follows is test code.
            if line.trim_start().starts_with("#[cfg(test)]") && rel.ends_with(".rs") {
                let rest: Vec<&str> = text.lines().skip(n + 1).take(2).collect();
                if rest.iter().any(|l| l.trim_start().starts_with("mod ") && l.trim_end().ends_with('{')) {
                    break;
                }
            }
            if line.trim_start().starts_with("//") {
                continue;
            }
            for slug in &slugs {
                if is_home_of(&rel, slug, &slugs) {
                    continue;
                }
                let named = [format!("\"{slug}\""), format!("{slug}::"), format!("/{slug}/"), format!("'{slug}'")]
                    .iter()
                    .any(|p| line.contains(p.as_str()));
                if named {
                    found.push(format!("{rel}:{}: names the kind {slug}: {}", n + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "kinds named outside their folders:\n{}", found.join("\n"));
}
