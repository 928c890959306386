//! # fazhi-bench — how fast, how big, how it grows
//!
//! `cargo run --release -p fazhi-bench -- <scenario> [options]`. Each scenario starts its own
//! server — this binary re-run as `__server`, built exactly as `fazhi serve` builds it — on a
//! fresh database in a temporary directory (SQLite, or a fresh PostgreSQL database with
//! `--database-url`), drives it over HTTP from this process, prints a table, writes JSON with
//! `--json FILE`, and stops the server. Figures are measurements, never assertions: the scenarios'
//! smoke test only checks that they run and that nothing acknowledged was lost.

/// mimalloc rather than the system allocator: under load glibc's malloc and free were a sixth of
/// the writer thread's time (perf, intake scenario); see docs/performance.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod generate;
mod load;
mod server;
mod stats;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use indicatif::ProgressBar;
use serde::Serialize;
use serde_json::{Value as Json, json};

use crate::load::{Job, token};
use crate::server::Server;
use crate::stats::Latency;

#[derive(Parser)]
#[command(name = "fazhi-bench", about = "fazhi benchmarks")]
struct Cli {
    /// PostgreSQL server (a fresh database is created and dropped); SQLite when absent.
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Write the results as JSON.
    #[arg(long, global = true)]
    json: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create work orders through the API; count what was acknowledged and what is stored.
    Intake {
        #[arg(short, default_value_t = 20_000)]
        n: usize,
        #[arg(short, default_value_t = 8)]
        c: usize,
    },
    /// Drive work orders through their whole workflow over the API.
    Act {
        #[arg(short, default_value_t = 2_000)]
        n: usize,
        #[arg(short, default_value_t = 8)]
        c: usize,
    },
    /// Lists and free-text search over bulk-generated cases, as a village handler and the district.
    List {
        #[arg(long, default_value_t = 1_000_000)]
        cases: usize,
        #[arg(long, default_value_t = 20)]
        towns: usize,
        #[arg(short, default_value_t = 8)]
        c: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// The annual report of one town and the district comparison over bulk-generated cases.
    Report {
        #[arg(long, default_value_t = 1_000_000)]
        cases: usize,
        #[arg(long, default_value_t = 20)]
        towns: usize,
    },
    /// List and report timings at several sizes, on one chart.
    Scale {
        #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
        sizes: Vec<usize>,
        #[arg(short, default_value_t = 4)]
        c: usize,
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Where to write the SVG chart.
        #[arg(long, default_value = "scale.svg")]
        svg: PathBuf,
        /// Redraw the chart from the JSON (`--json`) of an earlier run instead of measuring.
        #[arg(long)]
        replot: Option<PathBuf>,
    },
    #[command(name = "__server", hide = true)]
    Server {
        #[arg(long)]
        data_dir: PathBuf,
        #[arg(long)]
        database_url: Option<String>,
        #[arg(long)]
        port: u16,
    },
}

/// A fresh database for one scenario: a temporary directory, and on PostgreSQL a new database.
struct Fresh {
    /// Removed when dropped; `None` for reused data.
    #[allow(dead_code)]
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
    url: Option<String>,
    admin: Option<(String, String)>,
}

impl Fresh {
    async fn new(pg: Option<&str>) -> Result<Self, String> {
        // FAZHI_BENCH_KEEP=1 leaves the SQLite directory behind, to look at query plans afterwards.
        let keep = std::env::var_os("FAZHI_BENCH_KEEP").is_some();
        let dir = tempfile::Builder::new()
            .prefix("fazhi-bench-")
            .disable_cleanup(keep)
            .tempdir()
            .map_err(|e| e.to_string())?;
        if keep {
            println!("data kept in {}", dir.path().display());
        }
        let path = dir.path().to_path_buf();
        let dir = Some(dir);
        let Some(admin) = pg else { return Ok(Self { dir, path, url: None, admin: None }) };
        let name = format!("fazhi_bench_{}", uuid::Uuid::now_v7().simple());
        let status = std::process::Command::new("psql")
            .args([admin, "-qc", &format!("CREATE DATABASE {name}")])
            .status()
            .map_err(|e| format!("psql: {e}"))?;
        if !status.success() {
            return Err("CREATE DATABASE failed".into());
        }
        let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
        let url = format!("{base}/{name}");
        if keep {
            println!("database kept: {url}");
        }
        let admin = (!keep).then(|| (admin.to_string(), name));
        Ok(Self { dir, path, url: Some(url), admin })
    }

    fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Fresh {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.admin {
            let _ = std::process::Command::new("psql")
                .args([admin.as_str(), "-qc", &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")])
                .status();
        }
    }
}

#[derive(Debug, Serialize, Default)]
struct Results {
    scenario: String,
    backend: String,
    machine: String,
    figures: serde_json::Map<String, Json>,
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|k| k.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0 / 1024.0);
    format!("{cpus} cores, {mem:.0} GiB, {}", std::env::consts::OS)
}

fn row(name: &str, l: &Latency) {
    println!(
        "{name:<34} {:>9.0}/s {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>7} {:>6}",
        l.per_second, l.p50_ms, l.p95_ms, l.p99_ms, l.max_ms, l.count, l.errors
    );
}

fn header() {
    println!(
        "{:<34} {:>11} {:>8} {:>8} {:>8} {:>8} {:>7} {:>6}",
        "", "rate", "p50 ms", "p95 ms", "p99 ms", "max ms", "ok", "err"
    );
}

async fn intake(pg: Option<&str>, n: usize, c: usize, out: &mut Results) -> Result<(), String> {
    let db = Fresh::new(pg).await?;
    {
        let app = server::open(db.path(), db.url.as_deref()).await?;
        server::small_town(&app).await?;
        app.store().close().await;
    }
    let mut srv = Server::start(db.path(), db.url.as_deref()).await?;
    let body = Arc::new(json!({"kind": "work_order", "fields": {
        "title": "龙潭村路灯不亮", "content": "龙潭村村口三盏路灯已坏两周，夜间出行不便。", "category": "help",
        "urgency": "normal", "caller_name": "陈先生", "caller_phone": "13812345678", "location": "龙潭村村口"},
        // The same caller every time: a new case each time, past the duplicate check.
        "confirm_new": true}));
    let base = srv.base.clone();
    let job: Job = Arc::new(move |client, tok, _i| {
        let (base, body) = (base.clone(), body.clone());
        Box::pin(async move {
            match client.post(format!("{base}/api/v1/cases")).bearer_auth(tok).json(&*body).send().await {
                Ok(r) if r.status().as_u16() == 201 => {
                    let v: Option<Json> = r.json().await.ok();
                    (true, v.map(|v| v["case"]["receipt_no"].clone()))
                }
                _ => (false, None),
            }
        })
    });
    let (lat, bodies) = load::run(&srv.base, &["clerk".to_string()], c, Some(n), None, job).await;
    let (_, peak) = srv.rss();
    let peak = srv.kill().max(peak);
    // Killed, reopened: every acknowledged create must be there, once.
    let app = server::open(db.path(), db.url.as_deref()).await?;
    let filter = fazhi_service::CaseFilter { kind: Some("work_order".into()), ..Default::default() };
    let stored =
        app.store().count_cases(&fazhi_service::Scope::everything(), &filter).await.map_err(|e| e.to_string())?;
    let acked: std::collections::HashSet<String> = bodies.iter().filter_map(|b| b.as_str().map(String::from)).collect();
    // Read back every stored receipt number, a page at a time.
    let mut numbers = std::collections::HashSet::new();
    let mut offset = 0u32;
    loop {
        let page = app
            .store()
            .list_cases_raw(&fazhi_service::Scope::everything(), &filter, 1000, offset)
            .await
            .map_err(|e| e.to_string())?;
        if page.is_empty() {
            break;
        }
        offset += u32::try_from(page.len()).unwrap_or(u32::MAX);
        numbers.extend(page.into_iter().map(|i| i.case.receipt_no));
    }
    let lost = acked.difference(&numbers).count() as u64;
    let duplicated = stored.saturating_sub(acked.len() as u64) + (bodies.len() - acked.len()) as u64;
    app.store().close().await;
    header();
    row(&format!("create work order (C={c})"), &lat);
    println!(
        "acknowledged {}, stored {stored}, lost {lost}, duplicated {duplicated}; server peak RSS {peak:.1} MB",
        acked.len()
    );
    out.figures.insert("create".into(), json!(lat));
    out.figures.insert("acknowledged".into(), json!(acked.len()));
    out.figures.insert("stored".into(), json!(stored));
    out.figures.insert("lost".into(), json!(lost));
    out.figures.insert("duplicated".into(), json!(duplicated));
    out.figures.insert("server_peak_rss_mb".into(), json!(peak));
    Ok(())
}

async fn act(pg: Option<&str>, n: usize, c: usize, out: &mut Results) -> Result<(), String> {
    let db = Fresh::new(pg).await?;
    let longtan;
    {
        let app = server::open(db.path(), db.url.as_deref()).await?;
        server::small_town(&app).await?;
        longtan =
            app.units().values().find(|u| u.code.as_str() == "longtan").map(|u| u.id.to_string()).ok_or("no unit")?;
        app.store().close().await;
    }
    let mut srv = Server::start(db.path(), db.url.as_deref()).await?;
    let client = reqwest::Client::new();
    let clerk = token(&client, &srv.base, "clerk").await?;
    // The cases to drive, created first (not measured here: that is the intake scenario).
    let mut ids = Vec::with_capacity(n);
    for _ in 0..n {
        let r: Json = client
            .post(format!("{}/api/v1/cases", srv.base))
            .bearer_auth(&clerk)
            .json(&json!({"kind": "work_order", "fields": {"title": "路灯", "content": "路灯不亮", "category": "help", "urgency": "normal", "caller_name": "陈先生", "caller_phone": "13812345678"}, "confirm_new": true}))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .json()
            .await
            .map_err(|e| e.to_string())?;
        ids.push(r["case"]["id"].as_str().unwrap_or_default().to_string());
    }
    let ids = Arc::new(ids);
    let base = srv.base.clone();
    let steps: Arc<Vec<(&'static str, Json, bool)>> = Arc::new(vec![
        ("dispatch", json!({"unit": longtan}), false),
        ("sign", json!({}), true),
        ("reply", json!({"reply": "已修复", "reply_method": "phone"}), true),
        ("callback", json!({"result": "satisfied"}), false),
        ("archive", json!({}), false),
    ]);
    let handler = token(&client, &srv.base, "handler").await?;
    let handler = Arc::new(handler);
    // Each request is one action: action k of case i, in order per case.
    let job: Job = Arc::new(move |client, clerk_tok, i| {
        let (base, ids, steps, handler) = (base.clone(), ids.clone(), steps.clone(), handler.clone());
        Box::pin(async move {
            let case = &ids[i / 5];
            let (action, fields, by_handler) = &steps[i % 5];
            let tok = if *by_handler { handler.as_str().to_string() } else { clerk_tok };
            let body = json!({"version": (i % 5) as i64 + 1, "fields": fields});
            match client
                .post(format!("{base}/api/v1/cases/{case}/actions/{action}"))
                .bearer_auth(tok)
                .json(&body)
                .send()
                .await
            {
                Ok(r) => (r.status().is_success(), None),
                Err(_) => (false, None),
            }
        })
    });
    // One worker per case at a time keeps each case's actions in order: workers take whole cases.
    let per_worker = n.div_ceil(c.max(1));
    let mut handles = Vec::new();
    let started = Instant::now();
    for w in 0..c {
        let (job, base2, from, to) = (job.clone(), srv.base.clone(), w * per_worker, ((w + 1) * per_worker).min(n));
        handles.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let tok = token(&client, &base2, "clerk").await.unwrap_or_default();
            let mut samples = Vec::new();
            let mut errors = 0u64;
            for case in from..to {
                for k in 0..5 {
                    let t0 = Instant::now();
                    let (ok, _) = job(client.clone(), tok.clone(), case * 5 + k).await;
                    if ok { samples.push(t0.elapsed()) } else { errors += 1 }
                }
            }
            (samples, errors)
        }));
    }
    let mut samples = Vec::new();
    let mut errors = 0;
    for h in handles {
        if let Ok((s, e)) = h.await {
            samples.extend(s);
            errors += e;
        }
    }
    let lat = Latency::from(samples, errors, started.elapsed());
    let (_, peak) = srv.rss();
    let peak = srv.kill().max(peak);
    header();
    row(&format!("workflow action (C={c})"), &lat);
    println!("{n} cases × 5 actions (dispatch, sign, reply, callback, archive); server peak RSS {peak:.1} MB");
    out.figures.insert("action".into(), json!(lat));
    out.figures.insert("server_peak_rss_mb".into(), json!(peak));
    Ok(())
}

/// Generates `cases` across `towns` into a fresh database and starts a server on it.
async fn generated(pg: Option<&str>, cases: usize, towns: usize) -> Result<(Fresh, generate::Generated), String> {
    // FAZHI_BENCH_REUSE=DIR (SQLite) or =postgres://… runs on data a previous run kept
    // (FAZHI_BENCH_KEEP=1) with the same --cases and --towns: for measuring a query change without
    // generating again.
    if let Some(reuse) = std::env::var_os("FAZHI_BENCH_REUSE") {
        let reuse = reuse.to_string_lossy().into_owned();
        let (path, url, dir) = if reuse.starts_with("postgres") {
            let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
            (dir.path().to_path_buf(), Some(reuse.clone()), Some(dir))
        } else {
            (PathBuf::from(&reuse), None, None)
        };
        println!("reusing the data in {reuse}");
        let town = generate::town_code(0);
        let g = generate::Generated {
            handler: "handler1".into(),
            district: "district".into(),
            town,
            cases,
            events: 0,
            seconds: 0.0,
        };
        return Ok((Fresh { dir, path, url, admin: None }, g));
    }
    let db = Fresh::new(pg).await?;
    let app = server::open(db.path(), db.url.as_deref()).await?;
    let pb = ProgressBar::new(cases as u64);
    let now = time::OffsetDateTime::now_utc();
    let g = generate::generate(&app, cases, towns, now.year() - 1, now, |n| pb.set_position(n as u64)).await?;
    pb.finish_and_clear();
    // The text index catches up beside the writers; measure it here rather than during the lists.
    let t0 = std::time::Instant::now();
    let indexed = app.store().catch_up_search_index().await.map_err(|e| e.to_string())?;
    if indexed > 0 {
        println!("indexed the text of {indexed} cases in {:.1} s", t0.elapsed().as_secs_f64());
    }
    app.store().close().await;
    println!("generated {} cases and {} events across {towns} towns in {:.1} s", g.cases, g.events, g.seconds);
    // After a bulk load PostgreSQL has no statistics and no visibility map until autovacuum gets
    // there (minutes later; until then a district list took 300 ms and a common word 17 s). Measure
    // the steady state, as a DBA would after an import.
    if let Some(url) = &db.url {
        let t0 = std::time::Instant::now();
        let status = std::process::Command::new("psql")
            .args([url.as_str(), "-qc", "VACUUM ANALYZE"])
            .status()
            .map_err(|e| format!("psql: {e}"))?;
        if !status.success() {
            return Err("VACUUM ANALYZE failed".into());
        }
        println!("VACUUM ANALYZE in {:.1} s", t0.elapsed().as_secs_f64());
    }
    Ok((db, g))
}

/// `s` percent-encoded for a query string.
fn percent(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

async fn timed_get(base: &str, who: &str, c: usize, seconds: u64, path: String) -> Result<Latency, String> {
    let base2 = base.to_string();
    let job: Job = Arc::new(move |client, tok, _| {
        let url = format!("{base2}{path}");
        Box::pin(async move {
            match client.get(url).bearer_auth(tok).send().await {
                Ok(r) => {
                    let ok = r.status().is_success();
                    let _ = r.bytes().await;
                    (ok, None)
                }
                Err(_) => (false, None),
            }
        })
    });
    Ok(load::run(base, &[who.to_string()], c, None, Some(Duration::from_secs(seconds)), job).await.0)
}

struct ListFigures {
    rows: Vec<(String, Latency)>,
    peak: f64,
}

async fn list_queries(
    srv: &mut Server,
    g: &generate::Generated,
    c: usize,
    seconds: u64,
) -> Result<ListFigures, String> {
    let filtered = "/api/v1/cases?kind=work_order&state=handling&overdue=true&sort=due_on&per_page=20".to_string();
    // 纠纷 is in a fifth of the cases; the name in one in 10,000.
    let text = "/api/v1/cases?q=%E7%BA%A0%E7%BA%B7&per_page=20".to_string();
    let rare = format!("/api/v1/cases?q={}&per_page=20", percent(generate::RARE_NAME));
    let mut rows = Vec::new();
    for (name, who, path) in [
        ("filtered first page, village handler", g.handler.as_str(), filtered.clone()),
        ("filtered first page, district", g.district.as_str(), filtered),
        ("text search 纠纷, village handler", g.handler.as_str(), text.clone()),
        ("text search 纠纷, district", g.district.as_str(), text),
        ("text search of a name, district", g.district.as_str(), rare),
    ] {
        let l = timed_get(&srv.base, who, c, seconds, path).await?;
        srv.rss();
        rows.push((name.to_string(), l));
    }
    let (_, peak) = srv.rss();
    Ok(ListFigures { rows, peak })
}

async fn report_timings(srv: &mut Server, g: &generate::Generated) -> Result<(f64, f64), String> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(600)).build().map_err(|e| e.to_string())?;
    let tok = token(&client, &srv.base, &g.district).await?;
    let year = time::OffsetDateTime::now_utc().year() - 1;
    let mut best = (f64::MAX, f64::MAX);
    for _ in 0..3 {
        let t0 = Instant::now();
        let r = client
            .get(format!("{}/api/v1/reports/annual?year={year}&tenant={}", srv.base, g.town))
            .bearer_auth(&tok)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !r.status().is_success() {
            return Err(format!("report: {}", r.text().await.unwrap_or_default()));
        }
        let _ = r.bytes().await;
        best.0 = best.0.min(t0.elapsed().as_secs_f64());
        let t0 = Instant::now();
        let r = client
            .get(format!("{}/api/v1/reports/compare?year={year}", srv.base))
            .bearer_auth(&tok)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !r.status().is_success() {
            return Err(format!("compare: {}", r.text().await.unwrap_or_default()));
        }
        let _ = r.bytes().await;
        best.1 = best.1.min(t0.elapsed().as_secs_f64());
        srv.rss();
    }
    Ok(best)
}

async fn list(
    pg: Option<&str>,
    cases: usize,
    towns: usize,
    c: usize,
    seconds: u64,
    out: &mut Results,
) -> Result<(), String> {
    let (db, g) = generated(pg, cases, towns).await?;
    let mut srv = Server::start(db.path(), db.url.as_deref()).await?;
    let f = list_queries(&mut srv, &g, c, seconds).await?;
    let peak = srv.kill().max(f.peak);
    header();
    for (name, l) in &f.rows {
        row(name, l);
        out.figures.insert(name.clone(), json!(l));
    }
    println!("server peak RSS {peak:.1} MB");
    out.figures.insert("generation_seconds".into(), json!(g.seconds));
    out.figures.insert("cases".into(), json!(g.cases));
    out.figures.insert("events".into(), json!(g.events));
    out.figures.insert("server_peak_rss_mb".into(), json!(peak));
    Ok(())
}

async fn report(pg: Option<&str>, cases: usize, towns: usize, out: &mut Results) -> Result<(), String> {
    let (db, g) = generated(pg, cases, towns).await?;
    let mut srv = Server::start(db.path(), db.url.as_deref()).await?;
    let (annual, compare) = report_timings(&mut srv, &g).await?;
    let peak = srv.kill();
    println!(
        "annual report of one town: {annual:.3} s; district comparison of {towns} towns: {compare:.3} s; server peak RSS {peak:.1} MB"
    );
    out.figures.insert("annual_report_seconds".into(), json!(annual));
    out.figures.insert("compare_seconds".into(), json!(compare));
    out.figures.insert("generation_seconds".into(), json!(g.seconds));
    out.figures.insert("cases".into(), json!(g.cases));
    out.figures.insert("events".into(), json!(g.events));
    out.figures.insert("server_peak_rss_mb".into(), json!(peak));
    Ok(())
}

async fn scale(
    pg: Option<&str>,
    sizes: &[usize],
    c: usize,
    seconds: u64,
    svg: &Path,
    out: &mut Results,
) -> Result<(), String> {
    let mut points = Vec::new();
    for &n in sizes {
        let towns = (n / 50_000).clamp(1, 20);
        let (db, g) = generated(pg, n, towns).await?;
        let mut srv = Server::start(db.path(), db.url.as_deref()).await?;
        let f = list_queries(&mut srv, &g, c, seconds).await?;
        let (annual, compare) = report_timings(&mut srv, &g).await?;
        let peak = srv.kill().max(f.peak);
        let p99 = |i: usize| f.rows[i].1.p99_ms;
        println!(
            "{n:>9} cases: list p99 {:.2}/{:.2} ms, text p99 {:.2}/{:.2} ms, report {:.3} s, compare {:.3} s, peak RSS {peak:.1} MB",
            p99(0),
            p99(1),
            p99(2),
            p99(3),
            annual,
            compare
        );
        points.push(json!({"cases": n, "towns": towns, "list_p99_ms_handler": p99(0), "list_p99_ms_district": p99(1), "text_p99_ms_handler": p99(2), "text_p99_ms_district": p99(3), "annual_report_s": annual, "compare_s": compare, "server_peak_rss_mb": peak, "generation_s": g.seconds}));
    }
    chart(&points, svg)?;
    println!("chart: {}", svg.display());
    out.figures.insert("points".into(), json!(points));
    Ok(())
}

/// Draws the chart of an earlier scale run's JSON.
fn replot(from: &Path, svg: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(from).map_err(|e| format!("{}: {e}", from.display()))?;
    let json: Json = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", from.display()))?;
    let points = json["figures"]["points"].as_array().ok_or_else(|| format!("{}: no scale points", from.display()))?;
    chart(points, svg)?;
    println!("chart: {}", svg.display());
    Ok(())
}

/// The scale chart: each timing against the number of cases, both axes logarithmic so that a
/// flat line (lists) and a straight rising one (reports, linear in cases) read as such.
fn chart(points: &[Json], path: &Path) -> Result<(), String> {
    use plotters::prelude::*;
    let series = [
        ("list_p99_ms_handler", "列表首页 p99（承办人）", RGBColor(31, 111, 209)),
        ("list_p99_ms_district", "列表首页 p99（区级）", RGBColor(23, 85, 159)),
        ("text_p99_ms_handler", "全文检索 p99（承办人）", RGBColor(47, 153, 81)),
        ("text_p99_ms_district", "全文检索 p99（区级）", RGBColor(30, 122, 60)),
        ("annual_report_s", "一个镇的年度报告", RGBColor(180, 35, 24)),
        ("compare_s", "全区对比", RGBColor(214, 120, 0)),
    ];
    let val = |p: &Json, k: &str| p[k].as_f64().unwrap_or(0.0) * if k.ends_with("_s") { 1000.0 } else { 1.0 };
    let ys: Vec<f64> =
        points.iter().flat_map(|p| series.iter().map(move |(k, _, _)| val(p, k))).filter(|v| *v > 0.0).collect();
    let (y0, y1) = (ys.iter().copied().fold(f64::MAX, f64::min).min(1.0), ys.iter().copied().fold(1.0, f64::max));
    let xs: Vec<f64> = points.iter().map(|p| p["cases"].as_f64().unwrap_or(1.0)).collect();
    let (x0, x1) = (xs.iter().copied().fold(f64::MAX, f64::min).max(1.0), xs.iter().copied().fold(1.0, f64::max));
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let mut ch = ChartBuilder::on(&root)
        .caption("fazhi 规模曲线：耗时随案件数量的增长", ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d((x0 * 0.8..x1 * 1.25).log_scale(), (y0 * 0.7..y1 * 1.6).log_scale())
        .map_err(|e| e.to_string())?;
    ch.configure_mesh()
        .x_desc("案件数（对数刻度）")
        .y_desc("毫秒（对数刻度）")
        .x_label_formatter(&|x| {
            let n = x.round();
            if n >= 10_000.0 { format!("{}万", n / 10_000.0) } else { format!("{n}") }
        })
        .y_label_formatter(&|y| if *y >= 10.0 { format!("{y:.0}") } else { format!("{y:.1}") })
        .draw()
        .map_err(|e| e.to_string())?;
    for (k, label, color) in series {
        let pts: Vec<(f64, f64)> =
            points.iter().map(|p| (p["cases"].as_f64().unwrap_or(1.0), val(p, k))).filter(|(_, y)| *y > 0.0).collect();
        ch.draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        ch.draw_series(pts.into_iter().map(|p| Circle::new(p, 3, color.filled()))).map_err(|e| e.to_string())?;
    }
    ch.configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Cmd::Server { data_dir, database_url, port } = cli.cmd {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("warn"))
            .with_writer(std::io::stderr)
            .init();
        return match server::run(data_dir, database_url, port) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("server: {e}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let pg = cli.database_url.clone();
    let mut out = Results {
        backend: if pg.is_some() { "postgres".into() } else { "sqlite".into() },
        machine: machine(),
        ..Default::default()
    };
    let result = rt.block_on(async {
        match cli.cmd {
            Cmd::Intake { n, c } => {
                out.scenario = "intake".into();
                intake(pg.as_deref(), n, c, &mut out).await
            }
            Cmd::Act { n, c } => {
                out.scenario = "act".into();
                act(pg.as_deref(), n, c, &mut out).await
            }
            Cmd::List { cases, towns, c, seconds } => {
                out.scenario = "list".into();
                list(pg.as_deref(), cases, towns, c, seconds, &mut out).await
            }
            Cmd::Report { cases, towns } => {
                out.scenario = "report".into();
                report(pg.as_deref(), cases, towns, &mut out).await
            }
            Cmd::Scale { replot: Some(from), svg, .. } => replot(&from, &svg),
            Cmd::Scale { sizes, c, seconds, svg, replot: None } => {
                out.scenario = "scale".into();
                scale(pg.as_deref(), &sizes, c, seconds, &svg, &mut out).await
            }
            Cmd::Server { .. } => Ok(()),
        }
    });
    out.figures.insert("bench_peak_rss_mb".into(), json!(stats::own_peak_mb()));
    if let Err(e) = result {
        eprintln!("error: {e}");
        return std::process::ExitCode::FAILURE;
    }
    if let Some(path) = cli.json
        && let Err(e) = std::fs::write(&path, serde_json::to_string_pretty(&out).unwrap_or_default())
    {
        eprintln!("{}: {e}", path.display());
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
