//! The scenarios run end to end at toy sizes: each starts its server, drives it, stops it and
//! writes its JSON. No timing is asserted (figures are measurements, see docs/performance.md);
//! what is asserted is what must hold at any speed: nothing acknowledged is lost or duplicated,
//! no request fails, the figures are there.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] functions

use std::process::Command;

use serde_json::Value as Json;

fn run(args: &[&str]) -> Json {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("out.json");
    let out = Command::new(env!("CARGO_BIN_EXE_fazhi-bench"))
        .args(args)
        .arg("--json")
        .arg(&json)
        .output()
        .expect("run fazhi-bench");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{args:?}\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    println!("{stdout}");
    serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap()
}

fn errors(v: &Json) -> u64 {
    v["errors"].as_u64().unwrap()
}

#[test]
fn intake_loses_and_duplicates_nothing() {
    let r = run(&["intake", "-n", "200", "-c", "4"]);
    let f = &r["figures"];
    assert_eq!(f["acknowledged"], 200);
    assert_eq!(f["stored"], 200);
    assert_eq!(f["lost"], 0);
    assert_eq!(f["duplicated"], 0);
    assert_eq!(errors(&f["create"]), 0);
    assert!(f["server_peak_rss_mb"].as_f64().unwrap() > 0.0);
}

#[test]
fn act_drives_cases_through_their_workflow() {
    let r = run(&["act", "-n", "10", "-c", "2"]);
    assert_eq!(r["figures"]["action"]["count"], 50);
    assert_eq!(errors(&r["figures"]["action"]), 0);
}

#[test]
fn list_and_report_run_over_generated_cases() {
    let r = run(&["list", "--cases", "400", "--towns", "2", "-c", "2", "--seconds", "1"]);
    let f = &r["figures"];
    assert_eq!(f["cases"], 400);
    for name in ["filtered first page, village handler", "filtered first page, district"] {
        assert!(f[name]["count"].as_u64().unwrap() > 0, "{name}: {f}");
        assert_eq!(errors(&f[name]), 0, "{name}");
    }
    let r = run(&["report", "--cases", "400", "--towns", "2"]);
    assert!(r["figures"]["annual_report_seconds"].as_f64().unwrap() > 0.0);
    assert!(r["figures"]["compare_seconds"].as_f64().unwrap() > 0.0);
}
