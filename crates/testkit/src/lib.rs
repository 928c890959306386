//! # fazhi-testkit — test support
//!
//! * [`TestDb`]: a fresh database per test — a temporary SQLite file always, and a fresh
//!   PostgreSQL database when `FAZHI_TEST_DATABASE_URL` is set (dropped afterwards). Under
//!   `CI=true` a missing PostgreSQL is a failure, never a skip.
//! * [`TestApp`]: the application built by the same [`App::open`] and [`fazhi_web::router`] that
//!   `fazhi serve` uses, on a fixed clock, with a small town ([`Town`]) and actors by role.
//!
//! For tests only.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use fazhi_domain::case::Actor;
use fazhi_domain::ids::{TenantId, UnitId, UserId};
use fazhi_domain::role::Role;
use fazhi_domain::unit::{Unit, UnitKind};
use fazhi_service::config::Secret;
use fazhi_service::{App, Config, FixedClock, Principal, SessionKind, TenantKind, UserRecord};
use http_body_util::BodyExt;
use serde_json::Value as Json;
use time::OffsetDateTime;
use time::macros::datetime;
use tower::ServiceExt;

/// The password of every fixture user.
pub const PASSWORD: &str = "Test@2024pw";

/// A Friday morning before the 2024 National Day holiday: deadlines cross 调休 days.
pub const FRIDAY: OffsetDateTime = datetime!(2024-09-27 09:00 +8);

/// The PostgreSQL server for tests, if configured. Prints why when it is not; panics under CI.
pub fn postgres_url() -> Option<String> {
    match std::env::var("FAZHI_TEST_DATABASE_URL") {
        Ok(u) if !u.trim().is_empty() => Some(u),
        _ => {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "CI=true but FAZHI_TEST_DATABASE_URL is not set: the PostgreSQL half of the tests cannot be skipped under CI"
                );
            }
            static SAID: OnceLock<()> = OnceLock::new();
            SAID.get_or_init(|| eprintln!("skipping PostgreSQL tests: FAZHI_TEST_DATABASE_URL is not set"));
            None
        }
    }
}

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh database for one test, removed when dropped.
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// A fresh SQLite file in a temporary directory.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let url = format!("sqlite:{}", dir.path().join("fazhi.db").display());
        Self { backend: Backend::Sqlite, url, dir, pg: None }
    }

    /// A fresh PostgreSQL database, or `None` (with the reason printed) when none is configured.
    pub async fn postgres() -> Option<Self> {
        let admin = postgres_url()?;
        let name = format!("fazhi_t_{}", uuid::Uuid::now_v7().simple());
        let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
            .await
            .expect("connect to FAZHI_TEST_DATABASE_URL");
        sqlx::Executor::execute(&mut conn, sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .await
            .expect("create test database");
        let _ = sqlx::Connection::close(conn).await;
        let url = match admin.rfind('/') {
            Some(i) if admin[..i].contains("://") && i > admin.find("://").map_or(0, |j| j + 2) => {
                format!("{}/{name}", &admin[..i])
            }
            _ => format!("{}/{name}", admin.trim_end_matches('/')),
        };
        Some(Self {
            backend: Backend::Postgres,
            url,
            dir: tempfile::tempdir().expect("temporary directory"),
            pg: Some((admin, name)),
        })
    }

    /// SQLite always, then PostgreSQL when configured: the backends a contract test runs on.
    pub async fn all() -> Vec<Self> {
        let mut v = vec![Self::sqlite()];
        if let Some(pg) = Self::postgres().await {
            v.push(pg);
        }
        v
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.pg.take() {
            // Dropped from a plain thread: the test's runtime may be shutting down.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return };
                rt.block_on(async {
                    if let Ok(mut conn) = <sqlx::PgConnection as sqlx::Connection>::connect(&admin).await {
                        let _ = sqlx::Executor::execute(
                            &mut conn,
                            sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")),
                        )
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

/// A user of the fixture town.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub username: String,
    pub id: UserId,
    pub actor: Actor,
}

/// The fixture: district 从化区 (CH) with towns 鳌头镇 (AT) and 温泉镇 (WQ).
#[derive(Debug, Clone)]
pub struct Town {
    pub district: TenantId,
    pub tenant: TenantId,
    pub other_tenant: TenantId,
    pub units: HashMap<&'static str, Unit>,
    pub users: HashMap<&'static str, TestUser>,
}

impl Town {
    pub fn unit(&self, code: &str) -> UnitId {
        self.units[code].id
    }
    pub fn user(&self, name: &str) -> &TestUser {
        &self.users[name]
    }
}

/// The application under test.
pub struct TestApp {
    pub app: App,
    pub clock: Arc<FixedClock>,
    pub router: Router,
    pub town: Town,
    pub db: TestDb,
}

/// The app on `db` with no tenants at all (the demo loader and the CLI start from there), the
/// way `serve` builds it, on a clock set to `at`.
pub async fn bare_app(db: &TestDb, at: OffsetDateTime) -> (App, Arc<FixedClock>) {
    bare_app_with(db, at, |_| {}).await
}

/// As [`bare_app`], with the configuration changed by `tweak` first (TLS, proxies, limits).
pub async fn bare_app_with(db: &TestDb, at: OffsetDateTime, tweak: impl FnOnce(&mut Config)) -> (App, Arc<FixedClock>) {
    let mut config = Config::load(None, std::iter::empty()).expect("default config");
    config.data_dir = db.dir.path().to_path_buf();
    config.database.url = Secret(db.url.clone());
    config.database.max_connections = 4;
    config.security.data_key = Secret("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into());
    tweak(&mut config);
    let clock = Arc::new(FixedClock::new(at));
    let app = App::open(config, clock.clone()).await.expect("open app");
    (app, clock)
}

/// A password hash computed once per test process (argon2 is slow on purpose).
fn fixture_hash(app: &App) -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| app.hash_password(PASSWORD).expect("hash")).clone()
}

/// username, unit code, role, tenant ("AT", "WQ" or "CH")
const USERS: &[(&str, &str, Role, &str)] = &[
    ("clerk", "zzzx", Role::IntakeClerk, "AT"),
    ("leader", "aotou", Role::Leader, "AT"),
    ("handler_longtan", "longtan", Role::Handler, "AT"),
    ("handler_xitang", "xitang", Role::Handler, "AT"),
    ("grid_longtan", "longtan-g1", Role::GridWorker, "AT"),
    ("officer", "zfb", Role::EnforcementOfficer, "AT"),
    ("reviewer", "zfb", Role::LegalReviewer, "AT"),
    ("mediator", "sfs", Role::Mediator, "AT"),
    ("advisor", "sfs", Role::LegalAdvisor, "AT"),
    ("sifasuo", "sfs", Role::JudicialOffice, "AT"),
    ("admin", "zzzx", Role::SysAdmin, "AT"),
    ("security", "zzzx", Role::SecurityAdmin, "AT"),
    ("auditor", "zzzx", Role::AuditAdmin, "AT"),
    ("district", "conghua", Role::District, "CH"),
    ("wq_clerk", "wq-zzzx", Role::IntakeClerk, "WQ"),
    ("wq_handler", "wq-village", Role::Handler, "WQ"),
];

impl TestApp {
    /// The app on a fresh SQLite database.
    pub async fn sqlite() -> Self {
        Self::on(TestDb::sqlite()).await
    }

    /// The app on `db`, with the fixture town, at [`FRIDAY`].
    pub async fn on(db: TestDb) -> Self {
        Self::on_with(db, |_| {}).await
    }

    /// The app on `db` with its configuration changed by `tweak` (e.g. served over TLS).
    pub async fn on_with(db: TestDb, tweak: impl FnOnce(&mut Config)) -> Self {
        let (app, clock) = bare_app_with(&db, FRIDAY, tweak).await;
        let town = Self::build_town(&app).await;
        let router = fazhi_web::router(app.clone());
        Self { app, clock, router, town, db }
    }

    async fn build_town(app: &App) -> Town {
        let district = app.create_tenant("CH", "从化区", TenantKind::District, None).await.expect("district");
        let at = app.create_tenant("AT", "鳌头镇", TenantKind::Town, Some(district.id)).await.expect("town");
        let wq = app.create_tenant("WQ", "温泉镇", TenantKind::Town, Some(district.id)).await.expect("other town");
        let mut units: HashMap<&'static str, Unit> = HashMap::new();
        let mk = |t: TenantId| Actor::system(t);
        let add = async |tenant: TenantId,
                         parent: Option<&str>,
                         code: &'static str,
                         name: &str,
                         kind: UnitKind,
                         units: &mut HashMap<&'static str, Unit>| {
            let p = parent.map(|c| units[c].id);
            let u = app.create_unit_as(&mk(tenant), tenant, p, code, name, kind).await.expect("unit");
            units.insert(code, u);
        };
        add(district.id, None, "conghua", "从化区司法局", UnitKind::District, &mut units).await;
        add(at.id, None, "aotou", "鳌头镇人民政府", UnitKind::Town, &mut units).await;
        for (code, name) in [("zzzx", "综治中心"), ("zfb", "综合行政执法办公室"), ("sfs", "司法所")] {
            add(at.id, Some("aotou"), code, name, UnitKind::Department, &mut units).await;
        }
        add(at.id, Some("aotou"), "longtan", "龙潭村", UnitKind::Village, &mut units).await;
        add(at.id, Some("longtan"), "longtan-g1", "龙潭村第一网格", UnitKind::Grid, &mut units).await;
        add(at.id, Some("aotou"), "xitang", "西塘村", UnitKind::Village, &mut units).await;
        add(wq.id, None, "wenquan", "温泉镇人民政府", UnitKind::Town, &mut units).await;
        add(wq.id, Some("wenquan"), "wq-zzzx", "温泉镇综治中心", UnitKind::Department, &mut units).await;
        add(wq.id, Some("wenquan"), "wq-village", "石海村", UnitKind::Village, &mut units).await;
        let hash = fixture_hash(app);
        let mut users = HashMap::new();
        for (username, unit, role, tenant) in USERS {
            let tenant_id = match *tenant {
                "AT" => at.id,
                "WQ" => wq.id,
                _ => district.id,
            };
            let u = &units[unit];
            let rec = UserRecord {
                id: UserId::new(),
                tenant_id,
                unit_id: u.id,
                username: (*username).into(),
                display_name: format!("{}（{}）", role.label(), u.name),
                password_hash: hash.clone(),
                must_change_password: false,
                failed_logins: 0,
                locked_until: None,
                disabled: false,
                created_at: 0,
                password_changed_at: 0,
                last_login_at: None,
                roles: vec![*role],
            };
            app.store().insert_user(&rec).await.expect("user");
            let actor = Actor {
                kind: fazhi_domain::case::ActorKind::Staff,
                user_id: Some(rec.id),
                name: rec.display_name.clone(),
                tenant_id,
                unit_id: Some(u.id),
                unit_path: Some(u.path.clone()),
                roles: vec![*role],
            };
            users.insert(*username, TestUser { username: (*username).into(), id: rec.id, actor });
        }
        Town { district: district.id, tenant: at.id, other_tenant: wq.id, units, users }
    }

    /// Logs a fixture user in through the service and returns their principal.
    pub async fn principal(&self, username: &str) -> Principal {
        let ok = self.app.login(username, PASSWORD, SessionKind::Api).await.expect("login");
        self.app.authenticate(&ok.token, SessionKind::Api).await.expect("authenticate")
    }

    /// Logs a fixture user in through the API and returns the bearer token.
    pub async fn token(&self, username: &str) -> String {
        let (status, body) = self
            .request(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(serde_json::json!({"username": username, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login {username}: {body}");
        body["token"].as_str().expect("token").to_string()
    }

    /// Sends a request to the router in-process.
    pub async fn request(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Json>,
    ) -> (StatusCode, Json) {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => req.header("content-type", "application/json").body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .expect("request");
        self.send(req).await
    }

    /// Sends a raw request (for malformed bodies).
    pub async fn send(&self, req: Request<Body>) -> (StatusCode, Json) {
        let resp = self.router.clone().oneshot(req).await.expect("response");
        let status = resp.status();
        let bytes = resp.into_body().collect().await.expect("body").to_bytes();
        let json = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Json::String(String::from_utf8_lossy(&bytes).into_owned()));
        (status, json)
    }

    /// A valid registration form for a work order.
    pub fn work_order_fields() -> Json {
        serde_json::json!({
            "title": "龙潭村路灯不亮",
            "content": "龙潭村村口三盏路灯已坏两周，夜间出行不便，涉及劳资纠纷的工人下夜班回家不安全。",
            "category": "help",
            "urgency": "normal",
            "caller_name": "陈先生",
            "caller_phone": "13812345678",
            "caller_idcard": "440524188001010014",
            "location": "龙潭村村口",
        })
    }
}

/// Valid registration forms for the kinds `visit`, `dispute` and `petition`.
impl TestApp {
    /// A group visit of eight people with two representatives, about unpaid wages.
    pub fn visit_fields() -> Json {
        serde_json::json!({
            "title": "反映龙潭村村道工程拖欠工资",
            "content": "八名工人反映在龙潭村村道硬化工程务工，包工头拖欠工资共计六万元，多次催讨未果。",
            "category": "conflict",
            "visitor_count": 8,
            "party_name": "陈大明",
            "party_phone": "13812345678",
            "party_idcard": "440524188001010014",
            "party_address": "龙潭村五队",
            "representatives": "陈大明、李小红",
        })
    }

    /// A neighbours' dispute at 龙潭村.
    pub fn dispute_fields() -> Json {
        serde_json::json!({
            "title": "龙潭村两户宅基地界址纠纷",
            "content": "陈某与李某因宅基地界址及滴水位置发生争执，多次口角。",
            "category": "homestead",
            "source": "phone",
            "party_name": "陈某",
            "party_phone": "13912345678",
            "respondent_name": "李某",
            "amount": "12000",
            "location": "龙潭村三队",
        })
    }

    /// A petition of `category` (`claim`, `suggestion`; an `accusation` also needs `accused_unit`).
    pub fn petition_fields(category: &str) -> Json {
        serde_json::json!({
            "title": "请求解决宅基地确权登记问题",
            "content": "信访人黄某请求协调办理其宅基地确权登记，材料已提交多时未办结。",
            "category": category,
            "channel": "letter",
            "party_name": "黄某",
            "party_phone": "13712345678",
            "party_address": "龙潭村五队",
        })
    }
}

/// `n` imported copies of `case` (new ids, receipts `IMPORT-000001`…, searchable text
/// "`receipt` `word``i`"), each with its registration event: more cases than a test could register
/// one by one, written by `Store::import_cases`.
pub fn imported_copies(case: &fazhi_domain::case::CaseRecord, n: usize, word: &str) -> Vec<fazhi_store::ImportCase> {
    (0..n)
        .map(|i| {
            let mut case = case.clone();
            case.id = fazhi_domain::ids::CaseId::new();
            case.receipt_no = format!("IMPORT-{:06}", i + 1);
            case.search_text = format!("{} {word}{i}", case.receipt_no);
            let event = fazhi_domain::event::Event {
                id: fazhi_domain::ids::EventId::new(),
                tenant_id: case.tenant_id,
                seq: 0,
                case_id: Some(case.id),
                actor_id: None,
                actor_name: "导入".into(),
                action: "open".into(),
                action_label: "登记".into(),
                from_state: None,
                to_state: Some(case.state.clone()),
                payload: serde_json::json!({}),
                attachments: vec![],
                occurred_at: case.opened_at,
                prev_hash: String::new(),
                hash: String::new(),
            };
            fazhi_store::ImportCase { case, history: vec![], events: vec![event], digests: vec![], query_digest: None }
        })
        .collect()
}
