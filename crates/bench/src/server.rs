//! The server under test: this same binary re-run as `__server`, which builds the application
//! exactly as `fazhi serve` does (`App::open` + `fazhi_web::serve_on`) in its own process, so
//! its memory can be measured alone. It is stopped with SIGKILL: every acknowledged write must
//! survive that.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fazhi_domain::case::Actor;
use fazhi_domain::role::Role;
use fazhi_domain::unit::UnitKind;
use fazhi_service::admin::NewUser;
use fazhi_service::config::Secret;
use fazhi_service::{App, Config, SystemClock, TenantKind};

/// The password of every bench user.
pub const PASSWORD: &str = "Bench@2024pw";
/// A fixed data key, so the bench process and the server read the same identifiers.
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The configuration of a bench database.
pub fn config(data_dir: &Path, database_url: Option<&str>) -> Config {
    let mut c = Config::load(None, std::iter::empty()).unwrap_or_default();
    c.data_dir = data_dir.to_path_buf();
    if let Some(u) = database_url {
        c.database.url = Secret(u.to_string());
    }
    c.security.data_key = Secret(KEY.into());
    // Load generators log in once per connection and keep going for minutes.
    c.security.session_idle_minutes = 120;
    c.security.public_lookups_per_minute = 1_000_000;
    c
}

/// Opens the application in this process (data generation, verification).
///
/// # Errors
/// As `App::open`.
pub async fn open(data_dir: &Path, database_url: Option<&str>) -> Result<App, String> {
    App::open(config(data_dir, database_url), Arc::new(SystemClock)).await.map_err(|e| e.to_string())
}

/// The small town the intake and act scenarios use: 综治中心 and 龙潭村, a clerk and a handler.
///
/// # Errors
/// Database errors.
pub async fn small_town(app: &App) -> Result<(), String> {
    if !app.tenants().is_empty() {
        return Ok(());
    }
    let e = |x: fazhi_service::ServiceError| x.to_string();
    let district = app.create_tenant("CH", "从化区", TenantKind::District, None).await.map_err(e)?;
    let town = app.create_tenant("AT", "鳌头镇", TenantKind::Town, Some(district.id)).await.map_err(e)?;
    let sys = Actor::system(town.id);
    let root = app.create_unit_as(&sys, town.id, None, "aotou", "鳌头镇人民政府", UnitKind::Town).await.map_err(e)?;
    let zzzx =
        app.create_unit_as(&sys, town.id, Some(root.id), "zzzx", "综治中心", UnitKind::Department).await.map_err(e)?;
    let longtan =
        app.create_unit_as(&sys, town.id, Some(root.id), "longtan", "龙潭村", UnitKind::Village).await.map_err(e)?;
    for (u, unit, role) in [("clerk", zzzx.id, Role::IntakeClerk), ("handler", longtan.id, Role::Handler)] {
        app.create_user_as(
            &sys,
            NewUser {
                tenant: town.id,
                unit,
                username: u.into(),
                display_name: u.into(),
                roles: vec![role],
                password: Some(PASSWORD.into()),
                must_change: false,
            },
        )
        .await
        .map_err(e)?;
    }
    Ok(())
}

/// A running server.
pub struct Server {
    child: Child,
    pub base: String,
    pub pid: u32,
    peak_seen: f64,
}

impl Server {
    /// Starts the server on a free port and waits until it answers `/readyz`.
    ///
    /// # Errors
    /// The server does not start within a minute.
    pub async fn start(data_dir: &Path, database_url: Option<&str>) -> Result<Server, String> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .map_err(|e| e.to_string())?;
        let exe: PathBuf = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut cmd = Command::new(exe);
        cmd.arg("__server").arg("--data-dir").arg(data_dir).arg("--port").arg(port.to_string());
        if let Some(u) = database_url {
            cmd.arg("--database-url").arg(u);
        }
        let child = cmd.stdout(Stdio::null()).stderr(Stdio::inherit()).spawn().map_err(|e| e.to_string())?;
        let pid = child.id();
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let start = Instant::now();
        loop {
            if let Ok(r) = client.get(format!("{base}/readyz")).send().await
                && r.status().is_success()
            {
                break;
            }
            // Generous: a reused database may first run a migration over a million rows.
            if start.elapsed() > Duration::from_secs(900) {
                return Err("the server did not start within 900 s".into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(Server { child, base, pid, peak_seen: 0.0 })
    }

    /// Samples the server's memory; returns (current, peak) MB.
    pub fn rss(&mut self) -> (f64, f64) {
        let (now, peak) = crate::stats::rss_mb(self.pid);
        self.peak_seen = self.peak_seen.max(peak);
        (now, self.peak_seen)
    }

    /// Kills the server (SIGKILL) and returns its peak memory in MB.
    pub fn kill(mut self) -> f64 {
        let (_, peak) = self.rss();
        let _ = self.child.kill();
        let _ = self.child.wait();
        peak
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `__server`: runs the application like `fazhi serve`.
pub fn run(data_dir: PathBuf, database_url: Option<String>, port: u16) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let app = open(&data_dir, database_url.as_deref()).await?;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.map_err(|e| e.to_string())?;
        fazhi_web::serve_on(app, listener).await.map_err(|e| e.to_string())
    })
}
