//! Point reads on SQLite on the calling thread, without the hop to sqlx's connection thread.
//!
//! sqlx runs each SQLite connection on a thread of its own: a query is a message to it and an
//! answer back, two thread wake-ups (~130 µs under load, docs/performance.md). For a look-up by
//! primary key, which SQLite answers in microseconds, the hop is nearly all the cost: the session
//! look-up that every authenticated request makes was 17% of the server's CPU in the intake
//! benchmark. Such reads run here instead, on a small pool of read-only rusqlite connections (the
//! same bundled SQLite), inline on the async worker. Only statements that are a handful of indexed
//! look-ups belong here: anything longer would hold up the worker's other tasks.

use std::path::PathBuf;
use std::sync::Mutex;

use rusqlite::{Connection, OpenFlags};

use crate::Result;

/// Idle connections kept for reuse; more are opened when needed and closed after.
const KEEP: usize = 8;

#[derive(Debug)]
pub(crate) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

impl Readers {
    pub(crate) fn new(path: PathBuf) -> Self {
        Self { path, idle: Mutex::new(Vec::new()) }
    }

    /// Runs `f` on a read-only connection. Each statement sees the latest committed state (WAL).
    pub(crate) fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T> {
        let idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner).pop();
        let conn = match idle {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(crate::group::db_err)?;
                c.busy_timeout(std::time::Duration::from_secs(5)).map_err(crate::group::db_err)?;
                c
            }
        };
        let out = f(&conn).map_err(crate::group::db_err)?;
        let mut idle = self.idle.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if idle.len() < KEEP {
            idle.push(conn);
        }
        Ok(out)
    }
}
