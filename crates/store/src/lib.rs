//! # fazhi-store — persistence
//!
//! One API over SQLite (the default, embedded) and PostgreSQL (for a city), chosen by the
//! database URL. Every method is a unit of work: applying an action writes the case row, its
//! event in the tenant's hash chain and the outbox row in one transaction, or nothing. Every read
//! of cases takes a [`Scope`] that becomes part of the SQL, so a user can never load a case outside
//! their tenant and unit subtree, nor a 检举控告 withheld from them (《信访工作条例》第三十条).
//!
//! Each query is written once, with `$n` placeholders that both backends accept, and compiled for
//! both pools by the [`on_reader!`]/[`on_writer!`] macros (see `docs/decisions/0001-store-access-layer.md`).
//! The two migration folders hold the same file names in the same order.
//!
//! Only this crate touches SQL. It must not depend on axum.

/// Runs `$body` with `$pool` bound to the pool for reads, compiled once per backend.
macro_rules! on_reader {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite { reader: $pool, .. } => $body,
            $crate::Backend::Postgres($pool) => $body,
        }
    };
}

/// Runs `$body` with `$pool` bound to the pool for writes, compiled once per backend.
macro_rules! on_writer {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.backend {
            $crate::Backend::Sqlite { writer: $pool, .. } => $body,
            $crate::Backend::Postgres($pool) => $body,
        }
    };
}

mod activations;
mod attachments;
mod calendar;
mod cases;
mod events;
mod group;
mod inline;
mod links;
mod metrics;
mod model;
mod records;
mod reports;
mod sql;
mod tenants;
mod users;

pub use cases::{LIST_COUNT_CAP, TEXT_COUNT_CAP, receipt_prefix};
pub use events::{AuditFilter, ChainReport, RecordProblem, VerifyOptions};
pub use links::{CaseLink, LinkRelation, LinkedWrite};
pub use metrics::{GroupBy, GroupKey};
pub use reports::DraftVersion;

pub use activations::CodeCheck;
pub use attachments::{AttachmentRecord, NewAttachment};
pub use cases::{CaseWrite, ImportCase, ImportEvent, WithheldSet};
pub use model::*;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The case changed since the caller read it (optimistic concurrency).
    #[error("the case was changed meanwhile (now at version {current})")]
    Stale { current: i64 },
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was broken (username taken, unit code reused).
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid database URL: {0}")]
    BadUrl(String),
    /// A stored row could not be read back (a damaged or tampered database).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(sqlx::Error),
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e
            && db.is_unique_violation()
        {
            return Self::Conflict(db.message().to_string());
        }
        Self::Db(e)
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone)]
enum Backend {
    /// One writer connection (SQLite serialises writers anyway; one connection avoids busy
    /// retries) and a pool of readers (WAL lets them read while the writer writes).
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
    },
    Postgres(PgPool),
}

/// The store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Store {
    backend: Backend,
    /// SQLite only: the writer task that group-commits registrations.
    group: Option<group::Queue>,
    /// SQLite only: point reads on the calling thread (`inline.rs`).
    inline: Option<std::sync::Arc<inline::Readers>>,
    /// The key every event's MAC is made with (`fazhi_domain::event::ChainKey`); none in tests
    /// that do not need one.
    chain_key: Option<fazhi_domain::event::ChainKey>,
}

/// A database URL fit to print: the password (`postgres://user:PASSWORD@host/db`) replaced by
/// `******` (等保 2.0 §8.1.4.8 data confidentiality: authentication data is never shown).
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    // The credentials end at the last '@' before the path: a password may itself hold '@'.
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else { return url.to_string() };
    match rest[..at].split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:******{}", &rest[at..]),
        None => url.to_string(),
    }
}

/// `text` with every spelling of the URL's password (as written and percent-decoded) masked: for
/// messages of drivers that may quote what they were given.
pub fn redact_secret_of(url: &str, text: &str) -> String {
    let Some((_, rest)) = url.split_once("://") else { return text.to_string() };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else { return text.to_string() };
    let Some((_, password)) = rest[..at].split_once(':') else { return text.to_string() };
    if password.is_empty() {
        return text.to_string();
    }
    let mut out = text.replace(url, &redact_url(url));
    for spelling in [password.to_string(), percent_decode(password)] {
        if !spelling.is_empty() {
            out = out.replace(&spelling, "******");
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let hex = |c: Option<&u8>| c.and_then(|c| (*c as char).to_digit(16));
    while i < b.len() {
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (hex(b.get(i + 1)), hex(b.get(i + 2)))
        {
            // Two hex digits: at most 255.
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Creates the SQLite file, and tightens the files SQLite keeps beside it, to owner-only access
/// (0600): the database holds password hashes and case files (等保 2.0 §8.1.4.2 access control).
/// SQLite gives its `-wal` and `-shm` files the database file's mode, so creating the file 0600
/// before SQLite does covers them; files left by an older version with wider modes are narrowed.
#[cfg(unix)]
fn private_sqlite_files(path: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let io = |e: std::io::Error| StoreError::BadUrl(format!("{}: {e}", path.display()));
    if !path.exists() {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        match std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
            Ok(_) => {}
            // Another process created it meanwhile: narrowed below like any existing file.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(io(e)),
        }
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let f = std::path::PathBuf::from(format!("{}{suffix}", path.display()));
        let Ok(meta) = std::fs::metadata(&f) else { continue };
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(file = %f.display(), "database file was readable by others; narrowed to 0600");
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).map_err(io)?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn private_sqlite_files(_path: &std::path::Path) -> Result<()> {
    Ok(())
}

/// The file of a `sqlite:` URL (`sqlite:PATH`, `sqlite://PATH`, with or without `?options`).
fn sqlite_path(url: &str) -> Result<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        return Err(StoreError::BadUrl(format!("{url}: fazhi keeps its data in a file")));
    }
    Ok(std::path::PathBuf::from(path))
}

/// Options for opening a store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// PostgreSQL pool size; SQLite readers.
    pub max_connections: u32,
    /// The key events are MACed with; kept outside the database.
    pub chain_key: Option<fazhi_domain::event::ChainKey>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self { max_connections: 8, chain_key: None }
    }
}

impl Store {
    /// Opens the database at `url`: `sqlite:PATH` (created if missing) or `postgres://…`.
    ///
    /// SQLite runs in WAL mode with `synchronous=FULL` (an acknowledged write survives power
    /// loss), foreign keys on, and a busy timeout.
    ///
    /// # Errors
    /// A malformed URL, or a database that cannot be reached.
    pub async fn connect(url: &str, options: &StoreOptions) -> Result<Self> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url).map_err(|e| {
                StoreError::BadUrl(format!("{}: {}", redact_url(url), redact_secret_of(url, &e.to_string())))
            })?;
            let pool = PgPoolOptions::new()
                .max_connections(options.max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            return Ok(Self {
                backend: Backend::Postgres(pool),
                group: None,
                inline: None,
                chain_key: options.chain_key.clone(),
            });
        }
        if !url.starts_with("sqlite:") {
            return Err(StoreError::BadUrl(format!("{}: expected sqlite:PATH or postgres://…", redact_url(url))));
        }
        private_sqlite_files(&sqlite_path(url)?)?;
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::BadUrl(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            // 8 MB of page cache per connection: five connections stay well inside 100 MB.
            .pragma("cache_size", "-8000")
            // The store's checkpointer thread copies the log back (see group.rs).
            .pragma("wal_autocheckpoint", "0");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts.clone())
            .await?;
        // Each SQLite connection is a thread; on a small machine more readers only add switching.
        let reader = SqlitePoolOptions::new()
            .max_connections(options.max_connections.clamp(1, 4))
            .connect_with(opts.read_only(true))
            .await?;
        let path = sqlite_path(url)?;
        let group = Some(group::Queue::start(path.clone(), options.chain_key.clone())?);
        let inline = Some(std::sync::Arc::new(inline::Readers::new(path)));
        Ok(Self { backend: Backend::Sqlite { writer, reader }, group, inline, chain_key: options.chain_key.clone() })
    }

    /// Applies the pending migrations of this backend.
    ///
    /// # Errors
    /// A migration failed (the database is left at the last applied one).
    pub async fn migrate(&self) -> Result<()> {
        match &self.backend {
            Backend::Sqlite { writer, .. } => sqlx::migrate!("./migrations/sqlite").run(writer).await?,
            Backend::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        self.backfill_search_terms().await
    }

    /// "sqlite" or "postgres".
    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    /// How a write transaction begins. On SQLite it takes the write lock at once (`IMMEDIATE`):
    /// the group-commit thread is a second writer, and a deferred transaction that read before
    /// that thread committed could not write afterwards (`SQLITE_BUSY_SNAPSHOT`, which no busy
    /// timeout retries).
    pub(crate) fn begin_write(&self) -> &'static str {
        if self.is_postgres() { "BEGIN" } else { "BEGIN IMMEDIATE" }
    }

    /// Whether the database answers (readiness).
    ///
    /// # Errors
    /// The database does not answer.
    pub async fn ping(&self) -> Result<()> {
        on_reader!(self, pool => sqlx::query("SELECT 1").execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Closes the pools, waiting for connections in use.
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
            Backend::Postgres(pool) => pool.close().await,
        }
    }

    /// Runs a statement as-is, for tests that play an attacker with database access.
    ///
    /// # Errors
    /// The statement failed.
    #[doc(hidden)]
    pub async fn execute_raw(&self, sql: &str) -> Result<u64> {
        Ok(on_writer!(self, pool => sqlx::raw_sql(sql::safe(sql)).execute(pool).await.map(|r| r.rows_affected()))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_url_is_printed_without_its_password() {
        // 等保 2.0 §8.1.4.8: authentication data is never shown, not even in an error.
        assert_eq!(
            redact_url("postgres://fazhi:S3cret@db.local:5432/fazhi"),
            "postgres://fazhi:******@db.local:5432/fazhi"
        );
        assert_eq!(
            redact_url("postgres://fazhi:p@ss@db/fazhi?sslmode=require"),
            "postgres://fazhi:******@db/fazhi?sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x",
            "no password, nothing to hide"
        );
        assert_eq!(redact_url("sqlite:./fazhi-data/fazhi.db"), "sqlite:./fazhi-data/fazhi.db");
        let url = "postgres://fazhi:S3cr%40t@db/fazhi";
        let said = redact_secret_of(url, &format!("cannot use {url}: password S3cr@t refused"));
        assert!(!said.contains("S3cr"), "{said}");
    }

    #[tokio::test]
    async fn a_url_of_another_database_is_refused_without_echoing_its_password() {
        let e = Store::connect("mysql://fazhi:S3cret-pw@db/fazhi", &StoreOptions::default()).await.unwrap_err();
        assert!(!e.to_string().contains("S3cret-pw"), "{e}");
        let e =
            Store::connect("postgres://fazhi:S3cret-pw@db:notaport/fazhi", &StoreOptions::default()).await.unwrap_err();
        assert!(!e.to_string().contains("S3cret-pw"), "{e}");
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_sqlite_file_and_its_log_are_created_readable_by_the_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        // 等保 2.0 §8.1.4.2: the database (password hashes, case files) is not world-readable.
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("fazhi.db");
        let store = Store::connect(&format!("sqlite:{}", db.display()), &StoreOptions::default()).await.unwrap();
        store.migrate().await.unwrap();
        for f in [db.clone(), dir.path().join("fazhi.db-wal"), dir.path().join("fazhi.db-shm")] {
            let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{} has mode {mode:o}", f.display());
        }
        store.close().await;
        // A file an older version left readable by everyone is narrowed at the next start.
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        let store = Store::connect(&format!("sqlite:{}", db.display()), &StoreOptions::default()).await.unwrap();
        assert_eq!(std::fs::metadata(&db).unwrap().permissions().mode() & 0o777, 0o600);
        store.close().await;
    }
}
