//! Load: `c` workers on their own HTTP connections, each signed in, sending requests back to back.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use crate::server::PASSWORD;
use crate::stats::Latency;

/// Signs a user in over the API.
///
/// # Errors
/// The login is refused.
pub async fn token(client: &reqwest::Client, base: &str, user: &str) -> Result<String, String> {
    let r = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"username": user, "password": PASSWORD}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let v: Json = r.json().await.map_err(|e| e.to_string())?;
    v["token"].as_str().map(String::from).ok_or_else(|| format!("login {user}: {v}"))
}

/// One request a worker makes: given the worker and the request number, send it and say whether
/// it succeeded (and what it returned).
pub type Job = Arc<dyn Fn(reqwest::Client, String, usize) -> futures_job::BoxFuture + Send + Sync>;

pub mod futures_job {
    use std::future::Future;
    use std::pin::Pin;

    /// A request's result: success, and the body for later checks.
    pub type BoxFuture = Pin<Box<dyn Future<Output = (bool, Option<serde_json::Value>)> + Send>>;
}

/// Runs `total` requests (or until `until`) over `c` workers; returns the latency figures and
/// the bodies of successful requests.
pub async fn run(
    base: &str,
    users: &[String],
    c: usize,
    total: Option<usize>,
    until: Option<Duration>,
    job: Job,
) -> (Latency, Vec<Json>) {
    let next = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    // Sign every worker in first: a login is a deliberate argon2 hash, not part of the load.
    let mut workers = Vec::new();
    for w in 0..c {
        let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap_or_default();
        let user = users[w % users.len()].clone();
        match token(&client, base, &user).await {
            Ok(tok) => workers.push((client, tok)),
            Err(e) => eprintln!("{e}"),
        }
    }
    let start = Instant::now();
    let mut handles = Vec::new();
    for (client, tok) in workers {
        let (next, errors, job) = (next.clone(), errors.clone(), job.clone());
        handles.push(tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut bodies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                if total.is_some_and(|t| i >= t) || until.is_some_and(|u| start.elapsed() >= u) {
                    break;
                }
                let t0 = Instant::now();
                let (ok, body) = job(client.clone(), tok.clone(), i).await;
                let dt = t0.elapsed();
                if ok {
                    samples.push(dt);
                    if let Some(b) = body {
                        bodies.push(b);
                    }
                } else {
                    errors.fetch_add(1, Ordering::Relaxed);
                }
            }
            (samples, bodies)
        }));
    }
    let mut samples = Vec::new();
    let mut bodies = Vec::new();
    for h in handles {
        if let Ok((s, b)) = h.await {
            samples.extend(s);
            bodies.extend(b);
        }
    }
    let wall = start.elapsed();
    (Latency::from(samples, errors.load(Ordering::Relaxed), wall), bodies)
}
