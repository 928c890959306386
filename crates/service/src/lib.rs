//! # fazhi-service — use cases
//!
//! What a user can do, whatever the door they come in by (web page, JSON API, CLI): log in; open
//! a case, act on it, list and read cases; compute figures; administer users and units; verify
//! the audit chain; import a calendar year; write prepared data (`seeding`, for the demo crate).
//! Every method takes the acting [`Principal`] (or is a system task), checks what that user may
//! do, and reads through a [`fazhi_store::Scope`] built from the user's roles and unit.
//!
//! [`App`] is built once by `fazhi serve` (and by the test kit, the same way) and shared.
//! This crate must not depend on axum.

pub mod admin;
pub mod attachments;
pub mod audit;
pub mod auth;
pub mod breakdown;
pub mod bulk;
pub mod calendar;
pub mod cases;
pub mod checkpoint;
pub mod clock;
pub mod config;
pub mod configuration;
pub mod crypto;
pub mod dashboard;
pub mod duplicates;
pub mod error;
pub mod export;
pub mod links;
pub mod list_query;
mod operations;
pub mod papers;
pub mod petitions;
pub mod public;
pub mod report;
pub mod report_review;
pub mod request;
pub mod reveal;
pub mod seeding;
pub mod throttle;
pub mod workbench;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};

use fazhi_domain::calendar::{Calendar, YearCalendar};
use fazhi_domain::event::Event;
use fazhi_domain::ids::{CaseId, EventId, TenantId, UnitId};
use fazhi_domain::kinds::Kinds;
use fazhi_domain::metric::Catalogue;
use fazhi_domain::settings::Settings;
use fazhi_domain::time_util::to_ms;
use fazhi_domain::unit::Unit;
use fazhi_store::{Store, StoreOptions};
use serde_json::Value as Json;
use time::OffsetDateTime;

pub use auth::Principal;
pub use clock::{Clock, FixedClock, SystemClock};
pub use config::Config;
pub use crypto::Crypto;
pub use error::{Result, ServiceError};

/// The application: the store, the configuration, the kinds, the calendar, the units. Cheap to
/// clone; one per process.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    config: Config,
    settings: Settings,
    kinds: Kinds,
    catalogue: Catalogue,
    calendar: RwLock<Arc<Calendar>>,
    units: RwLock<Arc<HashMap<UnitId, Unit>>>,
    tenants: RwLock<Arc<Vec<Tenant>>>,
    clock: Arc<dyn Clock>,
    crypto: Crypto,
    checkpoint_key: checkpoint::CheckpointKey,
    lookups: std::sync::Mutex<auth::RateWindow>,
    throttle: std::sync::Mutex<throttle::LoginThrottle>,
    password_checks: std::sync::Mutex<throttle::PasswordChecks>,
    /// Held across a report step's check of the stage and the event that moves it (保存, 提交审核,
    /// 审核), so that two steps at once cannot both pass the same check (two approvals, a save
    /// into a draft being submitted). One server process writes a town's report.
    report_steps: tokio::sync::Mutex<()>,
    public_checks: std::sync::Mutex<throttle::PublicChecks>,
    attempts: petitions::AttemptLog,
}

/// Reads the data key from configuration, or from `<data_dir>/secret.key`, creating that file
/// (mode 0600) with a fresh key on first start.
fn load_key(config: &Config) -> Result<[u8; 32]> {
    let configured = config.security.data_key.0.trim();
    if !configured.is_empty() {
        return Crypto::parse_key(configured).map_err(|e| ServiceError::internal_in("security.data_key", e));
    }
    let path = config.data_dir.join("secret.key");
    if path.exists() {
        let text = std::fs::read_to_string(&path).map_err(|e| ServiceError::internal_in(path.display(), e))?;
        return Crypto::parse_key(&text).map_err(|e| ServiceError::internal_in(path.display(), e));
    }
    let key = Crypto::generate_key();
    write_private(&path, &key)?;
    tracing::warn!(path = %path.display(), "generated a new data key; back it up with the database — without it personal identifiers cannot be read");
    Crypto::parse_key(&key).map_err(ServiceError::internal)
}

/// Creates the data directory owner-only (0700) when it does not exist yet: it holds the
/// database, the data key and the attachments (等保 2.0 §8.1.4.2 access control). An existing
/// directory keeps the mode its operator gave it.
fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.exists() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir).map_err(|e| ServiceError::internal_in(dir.display(), e))
}

pub(crate) fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| ServiceError::internal_in(path.display(), e))?;
    f.write_all(text.as_bytes()).map_err(|e| ServiceError::internal_in(path.display(), e))?;
    f.sync_all().map_err(|e| ServiceError::internal_in(path.display(), e))
}

impl App {
    /// Opens the database named by the configuration, applies migrations, and loads the key, the
    /// calendar (shipped years, then imported ones) and the units. The same function serves
    /// `fazhi serve`, every CLI command and the test kit.
    ///
    /// # Errors
    /// The data directory cannot be made, the database cannot be opened or migrated, or the key
    /// is invalid.
    pub async fn open(config: Config, clock: Arc<dyn Clock>) -> Result<Self> {
        create_private_dir(&config.data_dir)?;
        let key = load_key(&config)?;
        let url = config.database_url();
        // A driver's message may quote the URL it was given: never its password.
        let scrub = |what: &str, e: fazhi_store::StoreError| {
            ServiceError::internal(format!(
                "{what} ({}): {}",
                fazhi_store::redact_url(&url),
                fazhi_store::redact_secret_of(&url, &e.to_string())
            ))
        };
        // The chain's MAC key comes from a file outside the database (checkpoint.rs).
        let checkpoint_key = checkpoint::CheckpointKey::load_or_create(&config.checkpoint_key_path())?;
        let store = Store::connect(
            &url,
            &StoreOptions {
                max_connections: config.database.max_connections,
                chain_key: Some(checkpoint_key.chain_key()),
            },
        )
        .await
        .map_err(|e| scrub("database", e))?;
        store.migrate().await.map_err(|e| scrub("migration", e))?;
        let settings = config.settings();
        let kinds = (config.registry)(&settings);
        // The configuration was checked against the standard kinds when loaded; a test's own
        // registry checks its sections here.
        kinds.validate_settings(&settings).map_err(|e| ServiceError::BadRequest(format!("配置有误：{}", e.0)))?;
        let catalogue = kinds.catalogue(&settings);
        let attempts = petitions::AttemptLog::start(store.clone());
        let app = Self {
            inner: Arc::new(Inner {
                kinds,
                catalogue,
                settings,
                store,
                calendar: RwLock::new(Arc::new(Calendar::builtin())),
                units: RwLock::new(Arc::new(HashMap::new())),
                tenants: RwLock::new(Arc::new(Vec::new())),
                clock,
                crypto: Crypto::new(&key),
                checkpoint_key,
                lookups: std::sync::Mutex::new(auth::RateWindow::default()),
                throttle: std::sync::Mutex::new(throttle::LoginThrottle::default()),
                password_checks: std::sync::Mutex::new(throttle::PasswordChecks::default()),
                report_steps: tokio::sync::Mutex::new(()),
                public_checks: std::sync::Mutex::new(throttle::PublicChecks::default()),
                attempts,
                config,
            }),
        };
        app.reload().await?;
        app.sweep_staged_uploads();
        Ok(app)
    }

    /// Re-reads what other processes may have changed: imported calendar years, units, tenants.
    ///
    /// # Errors
    /// Database errors, or an imported calendar year that no longer parses.
    pub async fn reload(&self) -> Result<()> {
        let mut cal = Calendar::builtin();
        for (year, json) in self.store().calendar_years().await? {
            let y = YearCalendar::parse_json(&json)
                .map_err(|e| ServiceError::internal_in(format!("stored calendar {year}"), e))?;
            cal.insert(y);
        }
        self.set_calendar(cal);
        self.reload_units().await
    }

    pub(crate) async fn reload_units(&self) -> Result<()> {
        let units: HashMap<UnitId, Unit> = self.store().all_units().await?.into_iter().map(|u| (u.id, u)).collect();
        let tenants = self.store().tenants().await?;
        if let Ok(mut g) = self.inner.units.write() {
            *g = Arc::new(units);
        }
        if let Ok(mut g) = self.inner.tenants.write() {
            *g = Arc::new(tenants);
        }
        Ok(())
    }

    /// The store. Only the service reaches it: the CLI and the web layer go through use cases.
    /// Tests and the benchmark harness see it through the `test-support` feature.
    #[cfg(not(feature = "test-support"))]
    pub(crate) fn store(&self) -> &Store {
        &self.inner.store
    }

    /// The store, for tests and the benchmark harness (`test-support` feature): production code
    /// goes through use cases.
    #[cfg(feature = "test-support")]
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Serialises the steps of the report's review ([`Inner::report_steps`]).
    pub(crate) async fn report_step(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.inner.report_steps.lock().await
    }

    pub(crate) fn attempts(&self) -> &petitions::AttemptLog {
        &self.inner.attempts
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    pub fn kinds(&self) -> &Kinds {
        &self.inner.kinds
    }

    pub fn catalogue(&self) -> &Catalogue {
        &self.inner.catalogue
    }

    pub fn crypto(&self) -> &Crypto {
        &self.inner.crypto
    }

    /// The key that signs checkpoints (and yields the chain's MAC key).
    pub fn checkpoint_key(&self) -> &checkpoint::CheckpointKey {
        &self.inner.checkpoint_key
    }

    pub fn now(&self) -> OffsetDateTime {
        self.inner.clock.now()
    }

    pub fn now_ms(&self) -> i64 {
        to_ms(self.now())
    }

    /// The calendar in effect.
    pub fn calendar(&self) -> Arc<Calendar> {
        self.inner.calendar.read().map(|g| Arc::clone(&g)).unwrap_or_else(|_| Arc::new(Calendar::builtin()))
    }

    fn set_calendar(&self, cal: Calendar) {
        if let Ok(mut g) = self.inner.calendar.write() {
            *g = Arc::new(cal);
        }
    }

    /// Every unit of every tenant, by id.
    pub fn units(&self) -> Arc<HashMap<UnitId, Unit>> {
        self.inner.units.read().map(|g| Arc::clone(&g)).unwrap_or_default()
    }

    pub fn unit(&self, id: UnitId) -> Option<Unit> {
        self.units().get(&id).cloned()
    }

    /// Every tenant.
    pub fn tenants(&self) -> Arc<Vec<Tenant>> {
        self.inner.tenants.read().map(|g| Arc::clone(&g)).unwrap_or_default()
    }

    pub fn tenant(&self, id: TenantId) -> Option<Tenant> {
        self.tenants().iter().find(|t| t.id == id).cloned()
    }

    /// A new, unlinked event by `actor` in the actor's tenant, about no case (the store links it
    /// into the chain). Case events set `case_id`, the states and attachments on the result.
    pub(crate) fn event(&self, actor: &fazhi_domain::case::Actor, action: &str, label: &str, payload: Json) -> Event {
        let mut payload = payload;
        // The address the request came from, for the audit (GB/T 22239-2019 §8.1.4.3: an audit
        // record names the subject of the event; the client's address identifies the terminal).
        // Under a key of its own: a case's fields may well include an "address" (事发地址).
        if let (Json::Object(m), Some(a)) = (&mut payload, request::client_address()) {
            m.entry(request::ADDRESS_KEY).or_insert(Json::String(a));
        }
        Event {
            id: EventId::new(),
            tenant_id: actor.tenant_id,
            seq: 0,
            case_id: None,
            actor_id: actor.user_id,
            actor_name: actor.name.clone(),
            action: action.to_string(),
            action_label: label.to_string(),
            from_state: None,
            to_state: None,
            payload,
            attachments: Vec::new(),
            occurred_at: self.now_ms(),
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    /// The event of a workflow action on a case.
    pub(crate) fn case_event(
        &self,
        actor: &fazhi_domain::case::Actor,
        case: CaseId,
        e: fazhi_domain::workflow::NewEvent,
    ) -> Event {
        Event {
            case_id: Some(case),
            from_state: e.from_state,
            to_state: Some(e.to_state),
            attachments: e.attachments,
            ..self.event(actor, &e.action, &e.action_label, Json::Object(e.payload))
        }
    }
}

/// Store types the other crates use through the service (they do not depend on the store).
pub use fazhi_store::{
    AuditFilter, CaseFilter, CaseListItem, ChainReport, DraftVersion, Extent, ImportCase, LIST_COUNT_CAP, Page, Reader,
    Scope, SessionKind, SortField, TEXT_COUNT_CAP, Tenant, TenantKind, UserRecord,
};
