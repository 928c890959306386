//! Configuration: one typed tree, layered — defaults, then `fazhi.toml` (or `--config FILE`), then
//! environment variables `FAZHI__SECTION__KEY=value`, then command-line flags — validated at
//! start-up. Secrets are masked whenever the configuration is printed.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use fazhi_domain::kinds::{Kinds, Registry};
use fazhi_domain::settings::{DuplicateSettings, Limits, PublicSettings, RateSettings, Settings};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A secret value: never printed.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"******\"")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("******")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// Unknown keys are refused: a misspelt key in a section is caught by the section's type, a
/// misspelt section by [`Kinds::validate_settings`] (every section not named here is a kind's).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// The kinds this installation runs: [`Kinds::standard`] (tests register their own).
    #[serde(skip)]
    pub registry: Registry,
    /// Where fazhi keeps its database, its key and attachments.
    pub data_dir: PathBuf,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub security: SecurityConfig,
    pub rates: RateSettings,
    pub limits: Limits,
    /// Repeat and duplicate detection at intake.
    pub duplicates: DuplicateSettings,
    /// The public tracking page (how long after archiving a resident may still rate).
    pub public: PublicSettings,
    /// The audit chain's key and signed checkpoints.
    pub audit: AuditConfig,
    /// Each town's public contact, by the town's code (`[towns.AT]`): printed on its papers and
    /// its tracking page under the government's name.
    pub towns: BTreeMap<String, TownContact>,
    /// Each kind's own section (named by its slug), defined in the kind's folder
    /// (its `KindSettings` type) and checked by the registry.
    #[serde(flatten)]
    pub kinds: BTreeMap<String, serde_json::Value>,
}

/// Where the checkpoint key and the signed checkpoints live, and where copies go
/// (`crate::checkpoint`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// The Ed25519 key that signs checkpoints (PKCS#8 PEM; the chain's MAC key is derived from
    /// it). Empty: `<data_dir>/checkpoint.key`, created on first start.
    pub key_file: String,
    /// The append-only file checkpoints are written to. Empty: `<data_dir>/checkpoints.jsonl`.
    /// Put it on another disk (or a WORM mount) to keep it out of reach of whoever can write the
    /// database.
    pub checkpoint_file: String,
    /// Further copies `fazhi audit verify` also checks the chains against (a copy kept elsewhere,
    /// the district's file for this town).
    pub extra_checkpoint_files: Vec<String>,
    /// While serving, a checkpoint of every chain that moved is written this often; 0: only on
    /// `fazhi audit checkpoint`.
    pub checkpoint_minutes: u32,
    /// The district's fazhi (`https://…`): each checkpoint is also sent to
    /// `{url}/api/v1/audit/checkpoints`.
    pub checkpoint_url: String,
    /// The API token of a district account on that server.
    pub checkpoint_token: Secret,
    /// On a district server: where checkpoints received from towns are appended. Empty:
    /// `<data_dir>/received-checkpoints.jsonl`.
    pub received_file: String,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            key_file: String::new(),
            checkpoint_file: String::new(),
            extra_checkpoint_files: Vec::new(),
            checkpoint_minutes: 60,
            checkpoint_url: String::new(),
            checkpoint_token: Secret::default(),
            received_file: String::new(),
        }
    }
}

impl Config {
    fn data_path(&self, configured: &str, default: &str) -> PathBuf {
        if configured.trim().is_empty() { self.data_dir.join(default) } else { PathBuf::from(configured.trim()) }
    }

    /// The checkpoint signing key's file.
    pub fn checkpoint_key_path(&self) -> PathBuf {
        self.data_path(&self.audit.key_file, "checkpoint.key")
    }

    /// The local append-only checkpoint file.
    pub fn checkpoint_path(&self) -> PathBuf {
        self.data_path(&self.audit.checkpoint_file, "checkpoints.jsonl")
    }

    /// Where a district server appends the checkpoints its towns send.
    pub fn received_checkpoints_path(&self) -> PathBuf {
        self.data_path(&self.audit.received_file, "received-checkpoints.jsonl")
    }
}

/// How residents reach a town's government: printed on the 受理回执, the 告知书 and the tracking
/// page. Not configured: those name the government without a contact line.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TownContact {
    /// 联系电话, e.g. "020-87851234".
    pub phone: String,
    /// 地址, e.g. "广州市从化区鳌头镇……".
    pub address: String,
}

impl TownContact {
    /// "电话 020-87851234；地址 …", what is configured.
    pub fn line(&self) -> String {
        let mut parts = Vec::new();
        if !self.phone.trim().is_empty() {
            parts.push(format!("电话 {}", self.phone.trim()));
        }
        if !self.address.trim().is_empty() {
            parts.push(format!("地址 {}", self.address.trim()));
        }
        parts.join("；")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub bind: String,
    /// The address people open, e.g. `https://fazhi.example.gov.cn` when fazhi is served behind a
    /// TLS proxy. Activation links are made with it; an `https` address turns on `Secure` cookies
    /// and HSTS. Empty: links are shown as paths on this server.
    pub public_url: String,
    /// `Secure` on cookies (and HSTS). Left out: on exactly when `public_url` is `https://…`.
    pub secure_cookies: Option<bool>,
    /// Addresses of reverse proxies whose `X-Forwarded-For` names the client (login throttling and
    /// public look-ups count per client address). Empty: the connecting address is the client.
    pub trusted_proxies: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite:PATH` or `postgres://…`; empty means `sqlite:<data_dir>/fazhi.db`.
    pub url: Secret,
    pub max_connections: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityConfig {
    /// Base64 of 32 bytes. Empty: read (or create) `<data_dir>/secret.key`.
    pub data_key: Secret,
    /// Failed logins from one client address on one account, within `lockout_minutes`, after
    /// which that address may not try that account until the window has passed (等保: limit
    /// failed attempts). The same limit applies to the current password when changing it.
    pub lockout_threshold: u32,
    /// The sliding window of every login limit.
    pub lockout_minutes: u32,
    /// Failed logins from one client address on any accounts (known or not) within the window,
    /// after which that address may not log in at all until the window has passed.
    pub address_threshold: u32,
    /// Failed logins on one account from all addresses within the window, after which it may be
    /// logged in to only from addresses it has logged in from before (a spread-out guessing
    /// attack cannot lock its real user out).
    pub account_threshold: u32,
    /// How long an activation link (new account, password reset) stays valid.
    pub activation_hours: u32,
    /// A session unused this long ends (等保: log out after a timeout).
    pub session_idle_minutes: u32,
    /// A session ends this long after login, used or not.
    pub session_max_hours: u32,
    /// Public tracking-page look-ups per client per minute.
    pub public_lookups_per_minute: u32,
    /// Failed tracking-page look-ups of one receipt number per hour, from all clients together,
    /// after which that number answers 429 until the hour has passed (its query code cannot be
    /// guessed from many addresses).
    pub public_failures_per_receipt: u32,
    /// Wrong query codes from one address (any receipt numbers) within
    /// `public_lockout_minutes`, after which that address may not look up for the rest of that
    /// time; each address counts at most this many towards `public_failures_per_receipt`, so one
    /// address alone never locks a receipt number for everyone (docs/security.md).
    pub public_failures_per_address: u32,
    /// The window of `public_failures_per_address`, in minutes.
    pub public_lockout_minutes: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./fazhi-data"),
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            security: SecurityConfig::default(),
            rates: RateSettings::default(),
            limits: Limits::default(),
            duplicates: DuplicateSettings::default(),
            public: PublicSettings::default(),
            audit: AuditConfig::default(),
            towns: BTreeMap::new(),
            registry: Kinds::standard,
            kinds: Kinds::default_sections(Kinds::standard)
                .into_iter()
                .map(|(slug, v)| (slug.to_string(), v))
                .collect(),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            public_url: String::new(),
            secure_cookies: None,
            trusted_proxies: Vec::new(),
        }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { url: Secret::default(), max_connections: 8 }
    }
}

impl Default for SecurityConfig {
    fn default() -> Self {
        Self {
            data_key: Secret::default(),
            lockout_threshold: 5,
            lockout_minutes: 15,
            address_threshold: 20,
            account_threshold: 50,
            activation_hours: 72,
            session_idle_minutes: 30,
            session_max_hours: 12,
            public_lookups_per_minute: 10,
            public_failures_per_receipt: 10,
            public_failures_per_address: 5,
            public_lockout_minutes: 15,
        }
    }
}

/// Why the configuration was refused.
#[derive(Debug, thiserror::Error)]
#[error("配置错误：{0}")]
pub struct ConfigError(pub String);

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Reads `FAZHI__SECTION__KEY=value` variables into a table. Values are read as TOML when they
/// parse (numbers, booleans, arrays), else as strings.
fn env_table(vars: impl Iterator<Item = (String, String)>) -> toml::Table {
    let mut root = toml::Table::new();
    for (k, v) in vars {
        let Some(rest) = k.strip_prefix("FAZHI__") else { continue };
        let path: Vec<String> = rest.split("__").map(str::to_lowercase).collect();
        let value = format!("v = {v}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or(toml::Value::String(v));
        let mut t = &mut root;
        for seg in &path[..path.len() - 1] {
            t = match t.entry(seg.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new())) {
                toml::Value::Table(inner) => inner,
                other => {
                    *other = toml::Value::Table(toml::Table::new());
                    match other {
                        toml::Value::Table(inner) => inner,
                        _ => unreachable!("just set"),
                    }
                }
            };
        }
        t.insert(path[path.len() - 1].clone(), value);
    }
    root
}

impl Config {
    /// Layers defaults, the file (`path`, or `./fazhi.toml` if it exists), and the environment.
    /// `DATABASE_URL`, if set, is the database URL unless `FAZHI__DATABASE__URL` is.
    ///
    /// # Errors
    /// An unreadable or malformed file, an unknown key, a bad value — each named.
    pub fn load(path: Option<&Path>, env: impl Iterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        Self::load_for(Kinds::standard, path, env)
    }

    /// [`Config::load`] for the kinds `registry` lists: their sections' defaults, and their
    /// checks.
    ///
    /// # Errors
    /// As [`Config::load`].
    pub fn load_for(
        registry: Registry,
        path: Option<&Path>,
        env: impl Iterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let defaults = Config {
            registry,
            kinds: Kinds::default_sections(registry).into_iter().map(|(slug, v)| (slug.to_string(), v)).collect(),
            ..Config::default()
        };
        let mut table: toml::Table = toml::Table::try_from(defaults).map_err(|e| ConfigError(e.to_string()))?;
        // The defaults' masked secrets must not become values.
        if let Some(toml::Value::Table(db)) = table.get_mut("database") {
            db.insert("url".into(), toml::Value::String(String::new()));
        }
        if let Some(toml::Value::Table(s)) = table.get_mut("security") {
            s.insert("data_key".into(), toml::Value::String(String::new()));
        }
        if let Some(toml::Value::Table(s)) = table.get_mut("audit") {
            s.insert("checkpoint_token".into(), toml::Value::String(String::new()));
        }
        let file = match path {
            Some(p) => Some(p.to_path_buf()),
            None => Some(PathBuf::from("fazhi.toml")).filter(|p| p.exists()),
        };
        if let Some(p) = file {
            let text =
                std::fs::read_to_string(&p).map_err(|e| ConfigError(format!("无法读取 {}：{e}", p.display())))?;
            let over: toml::Table =
                text.parse().map_err(|e| ConfigError(format!("{} 不是有效的TOML：{e}", p.display())))?;
            merge(&mut table, over);
        }
        let vars: BTreeMap<String, String> = env.collect();
        merge(&mut table, env_table(vars.clone().into_iter()));
        if !vars.contains_key("FAZHI__DATABASE__URL")
            && let Some(url) = vars.get("DATABASE_URL").filter(|u| !u.is_empty())
        {
            let mut db = toml::Table::new();
            db.insert("url".into(), toml::Value::String(url.clone()));
            let mut over = toml::Table::new();
            over.insert("database".into(), toml::Value::Table(db));
            merge(&mut table, over);
        }
        let mut config: Config = table.try_into().map_err(|e: toml::de::Error| ConfigError(e.message().to_string()))?;
        config.registry = registry;
        config.validate()?;
        Ok(config)
    }

    /// # Errors
    /// The first invalid value, named.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let settings = self.settings();
        (self.registry)(&settings).validate_settings(&settings).map_err(|e| ConfigError(e.0))?;
        let sec = &self.security;
        for (key, v) in [
            ("lockout_threshold", sec.lockout_threshold),
            ("lockout_minutes", sec.lockout_minutes),
            ("address_threshold", sec.address_threshold),
            ("account_threshold", sec.account_threshold),
            ("activation_hours", sec.activation_hours),
            ("public_failures_per_receipt", sec.public_failures_per_receipt),
            ("public_failures_per_address", sec.public_failures_per_address),
            ("public_lockout_minutes", sec.public_lockout_minutes),
        ] {
            if v == 0 {
                return Err(ConfigError(format!("security.{key} 必须大于0")));
            }
        }
        if sec.address_threshold < sec.lockout_threshold || sec.account_threshold < sec.lockout_threshold {
            return Err(ConfigError(
                "security.address_threshold 与 security.account_threshold 不能小于 security.lockout_threshold".into(),
            ));
        }
        let url = self.server.public_url.trim();
        if !(url.is_empty() || url.starts_with("https://") || url.starts_with("http://")) {
            return Err(ConfigError(format!("server.public_url “{url}” 应以 https:// 或 http:// 开头")));
        }
        for p in &self.server.trusted_proxies {
            if p.parse::<std::net::IpAddr>().is_err() {
                return Err(ConfigError(format!("server.trusted_proxies 中的“{p}”不是有效的IP地址")));
            }
        }
        if self.security.session_idle_minutes == 0 || self.security.session_max_hours == 0 {
            return Err(ConfigError("security.session_* 必须大于0".into()));
        }
        if self.server.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError(format!("server.bind “{}” 不是有效的地址:端口", self.server.bind)));
        }
        Ok(())
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        if self.database.url.0.is_empty() {
            format!("sqlite:{}", self.data_dir.join("fazhi.db").display())
        } else {
            self.database.url.0.clone()
        }
    }

    /// Whether cookies carry `Secure` and pages HSTS: as configured, or else when the public
    /// address is `https` (behind TLS a session cookie must never travel in clear).
    pub fn secure_cookies(&self) -> bool {
        self.server.secure_cookies.unwrap_or_else(|| self.server.public_url.trim().starts_with("https://"))
    }

    /// The public address without a trailing slash (empty when not configured).
    pub fn public_url(&self) -> &str {
        self.server.public_url.trim().trim_end_matches('/')
    }

    /// The domain's local rules.
    pub fn settings(&self) -> Settings {
        Settings {
            rates: self.rates.clone(),
            limits: self.limits.clone(),
            duplicates: self.duplicates.clone(),
            public: self.public.clone(),
            kinds: self.kinds.clone(),
        }
    }

    /// The configuration as TOML, secrets masked.
    pub fn to_masked_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect::<Vec<_>>().into_iter()
    }

    #[test]
    fn a_towns_contact_is_read_by_its_code_and_a_misspelt_key_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("fazhi.toml");
        std::fs::write(&f, "[towns.AT]\nphone = \"020-87851234\"\naddress = \"鳌头镇府前路1号\"\n").unwrap();
        let c = Config::load(Some(&f), env(&[])).unwrap();
        assert_eq!(c.towns["AT"].line(), "电话 020-87851234；地址 鳌头镇府前路1号");
        assert!(c.to_masked_toml().contains("[towns.AT]"));
        std::fs::write(&f, "[towns.AT]\nphon = \"020\"\n").unwrap();
        let err = Config::load(Some(&f), env(&[])).unwrap_err().to_string();
        assert!(err.contains("phon"), "{err}");
        assert_eq!(TownContact::default().line(), "", "not configured: no contact line");
    }

    #[test]
    fn defaults_serve_on_localhost_from_the_data_dir() {
        let c = Config::load(None, env(&[])).unwrap();
        assert_eq!(c.server.bind, "127.0.0.1:8080");
        assert_eq!(c.database_url(), "sqlite:./fazhi-data/fazhi.db");
    }

    #[test]
    fn the_file_then_the_environment_override_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("fazhi.toml");
        std::fs::write(&f, "[server]\nbind = \"0.0.0.0:9000\"\n[security]\nlockout_threshold = 3\n").unwrap();
        let c = Config::load(
            Some(&f),
            env(&[("FAZHI__SECURITY__LOCKOUT_THRESHOLD", "7"), ("DATABASE_URL", "postgres://x/y")]),
        )
        .unwrap();
        assert_eq!(c.server.bind, "0.0.0.0:9000");
        assert_eq!(c.security.lockout_threshold, 7);
        assert_eq!(c.database_url(), "postgres://x/y");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("fazhi.toml");
        std::fs::write(&f, "[server]\nbnd = \"x\"\n").unwrap();
        assert!(Config::load(Some(&f), env(&[])).unwrap_err().to_string().contains("bnd"));
        assert!(
            Config::load(None, env(&[("FAZHI__SERVER__BIND", "nowhere")])).unwrap_err().to_string().contains("nowhere")
        );
    }

    #[test]
    fn cookies_are_secure_by_default_when_the_public_address_is_https() {
        // 等保 2.0 §8.1.4.1 c: credentials protected in transit — a session cookie never goes out
        // over plain HTTP once fazhi is served over TLS.
        let c = Config::load(None, env(&[])).unwrap();
        assert!(!c.secure_cookies(), "plain http on localhost by default");
        let c = Config::load(None, env(&[("FAZHI__SERVER__PUBLIC_URL", "https://fazhi.example.gov.cn/")])).unwrap();
        assert!(c.secure_cookies());
        assert_eq!(c.public_url(), "https://fazhi.example.gov.cn");
        let c = Config::load(
            None,
            env(&[
                ("FAZHI__SERVER__PUBLIC_URL", "https://fazhi.example.gov.cn"),
                ("FAZHI__SERVER__SECURE_COOKIES", "false"),
            ]),
        )
        .unwrap();
        assert!(!c.secure_cookies(), "an explicit setting wins");
        assert!(Config::load(None, env(&[("FAZHI__SERVER__PUBLIC_URL", "fazhi.example")])).is_err());
        assert!(Config::load(None, env(&[("FAZHI__SERVER__TRUSTED_PROXIES", "[\"nginx\"]")])).is_err());
        assert!(Config::load(None, env(&[("FAZHI__SECURITY__ADDRESS_THRESHOLD", "2")])).is_err());
    }

    #[test]
    fn secrets_are_masked_when_printed() {
        let c = Config::load(
            None,
            env(&[("FAZHI__SECURITY__DATA_KEY", "c2VjcmV0"), ("FAZHI__DATABASE__URL", "postgres://u:pw@h/d")]),
        )
        .unwrap();
        let shown = c.to_masked_toml();
        assert!(!shown.contains("c2VjcmV0") && !shown.contains("pw@"), "{shown}");
        assert!(!format!("{c:?}").contains("pw@"));
        assert_eq!(c.database_url(), "postgres://u:pw@h/d");
    }
}
