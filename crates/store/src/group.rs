//! Group commit for SQLite: case registrations that arrive together are written together, by
//! one writer thread.
//!
//! SQLite has one writer. Through sqlx every statement is a hop to the connection's thread and
//! back, and every commit an fsync: registering a case one transaction at a time cost ten hops and
//! an fsync (~1 ms: ~1,000 registrations a second on the bench machine); batching them in sqlx
//! still paid ~130 µs a hop (~3,000 a second). Here a dedicated thread owns its own connection
//! (rusqlite, on the same bundled SQLite as sqlx) and takes whatever registrations are waiting (up
//! to [`MAX_BATCH`]): it numbers them with one counter update per tenant, kind and year, inserts
//! their rows, events and outbox rows with multi-row statements, links the events to the chain,
//! and commits once — all in the thread, one hop per batch. Only then does each caller get its
//! answer, so an acknowledged registration is durable (`synchronous=FULL`). If a batch fails, each
//! registration is retried alone, so one bad row fails only its own caller. Its transactions are
//! `BEGIN IMMEDIATE`, like the other writer's, so the two never deadlock; they queue on SQLite's
//! lock. PostgreSQL keeps one transaction per registration: its own group commit and many
//! connections serve there.

use std::collections::HashMap;
use std::path::PathBuf;

use fazhi_domain::case::CaseRecord;
use fazhi_domain::event::{ChainKey, Event, Seal};
use rusqlite::{Connection, ToSql, params_from_iter};
use tokio::sync::oneshot;

use crate::{Result, StoreError};

/// The most registrations one transaction writes.
pub const MAX_BATCH: usize = 64;

/// A registration waiting to be written.
pub(crate) struct Job {
    pub case: CaseRecord,
    pub event: Event,
    pub digests: Vec<(String, String)>,
    pub query_digest: Option<String>,
    pub prefix: String,
    pub year: i32,
    pub reply: oneshot::Sender<Result<(CaseRecord, Event)>>,
}

/// The queue to the writer thread (and, held alongside, the maintenance thread's stop signal: both
/// threads end when the last clone of the store is dropped).
#[derive(Debug, Clone)]
pub(crate) struct Queue {
    jobs: flume::Sender<Job>,
    #[allow(dead_code)]
    stop: std::sync::Arc<std::sync::mpsc::Sender<()>>,
    path: PathBuf,
}

pub(crate) fn db_err(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e
        && f.code == rusqlite::ErrorCode::ConstraintViolation
    {
        return StoreError::Conflict(e.to_string());
    }
    StoreError::Corrupt(format!("sqlite: {e}"))
}

impl Queue {
    /// Opens the writer's own connection to `path` and starts its thread.
    ///
    /// # Errors
    /// The database cannot be opened.
    pub fn start(path: PathBuf, key: Option<ChainKey>) -> Result<Self> {
        let conn = Connection::open(&path).map_err(db_err)?;
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -8000; \
             PRAGMA wal_autocheckpoint = 0;",
        )
        .map_err(db_err)?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(db_err)?;
        // Batches of 1 … MAX_BATCH registrations each have their own statements; keep them all.
        conn.set_prepared_statement_cache_capacity(4 * MAX_BATCH + 16);
        let stop = maintenance(&path)?;
        let (tx, rx) = flume::bounded::<Job>(4 * MAX_BATCH);
        std::thread::Builder::new()
            .name("fazhi-writer".into())
            .spawn(move || {
                let mut conn = conn;
                while let Ok(first) = rx.recv() {
                    // Whatever else is waiting goes in the same transaction; nothing waits for
                    // more (a delay cost more throughput than the larger batches gained).
                    let mut batch = vec![first];
                    while batch.len() < MAX_BATCH {
                        match rx.try_recv() {
                            Ok(j) => batch.push(j),
                            Err(_) => break,
                        }
                    }
                    run(&mut conn, batch, key.as_ref());
                }
            })
            .map_err(|e| StoreError::Corrupt(format!("writer thread: {e}")))?;
        Ok(Self { jobs: tx, stop: std::sync::Arc::new(stop), path })
    }

    /// Hands a registration to the writer; the reply comes once it is committed.
    pub async fn create(&self, job: Job) -> Result<()> {
        self.jobs.send_async(job).await.map_err(|_| StoreError::Corrupt("the writer has stopped".into()))
    }

    /// Indexes now what the maintenance thread would index within [`MAINTAIN_EVERY`]; returns how
    /// many cases.
    pub async fn catch_up_search_index(&self) -> Result<u64> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = Connection::open(&path).map_err(db_err)?;
            conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(db_err)?;
            index_pending(&mut conn).map_err(db_err)
        })
        .await
        .map_err(|e| StoreError::Corrupt(format!("indexing: {e}")))?
    }
}

/// Starts the store's maintenance thread. Every [`MAINTAIN_EVERY`] it
/// - indexes the text of cases registered since it last looked ([`INDEX_PENDING`]; migration
///   0005 says why this is not done inside each registration), and
/// - checkpoints the write-ahead log. SQLite would otherwise checkpoint inside whichever commit
///   crosses 1,000 log pages, and every registration waiting behind that commit would wait for
///   the copy too. Here the copy runs beside the writers (`PASSIVE` never blocks them); the
///   writers' automatic checkpoints are off (`wal_autocheckpoint = 0`, here and on the sqlx
///   writer).
fn maintenance(path: &std::path::Path) -> Result<std::sync::mpsc::Sender<()>> {
    let mut conn = Connection::open(path).map_err(db_err)?;
    conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(db_err)?;
    let (stop, stopped) = std::sync::mpsc::channel::<()>();
    std::thread::Builder::new()
        .name("fazhi-maintenance".into())
        .spawn(move || {
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(MAINTAIN_EVERY) {
                if let Err(e) = index_pending(&mut conn) {
                    // Before the first migration there is nothing to index yet.
                    if !e.to_string().contains("no such table") {
                        tracing::warn!(error = %e, "indexing case text failed; the next round will retry");
                    }
                }
                if let Err(e) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
                    tracing::warn!(error = %e, "checkpoint failed; the next one will retry");
                }
            }
        })
        .map_err(|e| StoreError::Corrupt(format!("maintenance thread: {e}")))?;
    Ok(stop)
}

/// How often the maintenance thread runs.
const MAINTAIN_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Indexes the next cases past the watermark, in rowid order, and moves the watermark: one
/// transaction of at most 500 cases, so the writers wait for it only briefly.
const INDEX_PENDING: &str = "\
    INSERT INTO cases_fts (rowid, search_terms) \
        SELECT rowid, COALESCE(search_terms, '') FROM cases \
        WHERE rowid > (SELECT upto FROM search_indexed WHERE id = 1) ORDER BY rowid LIMIT 500; \
    UPDATE search_indexed SET upto = COALESCE( \
        (SELECT MAX(rowid) FROM (SELECT rowid FROM cases WHERE rowid > upto ORDER BY rowid LIMIT 500)), upto) \
        WHERE id = 1;";

/// Runs [`INDEX_PENDING`] until nothing is left; returns how many cases it indexed.
fn index_pending(conn: &mut Connection) -> std::result::Result<u64, rusqlite::Error> {
    let mut total = 0;
    loop {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let before: i64 = tx.query_row("SELECT upto FROM search_indexed WHERE id = 1", [], |r| r.get(0))?;
        tx.execute_batch(INDEX_PENDING)?;
        let n: i64 = tx.query_row(
            "SELECT COUNT(*) FROM cases WHERE rowid > ?1 AND rowid <= (SELECT upto FROM search_indexed WHERE id = 1)",
            [before],
            |r| r.get(0),
        )?;
        tx.commit()?;
        total += u64::try_from(n).unwrap_or(0);
        if n < 500 {
            return Ok(total);
        }
    }
}

fn run(conn: &mut Connection, batch: Vec<Job>, key: Option<&ChainKey>) {
    match write(conn, &batch, key) {
        Ok(done) => {
            for (j, d) in batch.into_iter().zip(done) {
                let _ = j.reply.send(Ok(d));
            }
        }
        Err(e) if batch.len() == 1 => {
            if let Some(j) = batch.into_iter().next() {
                let _ = j.reply.send(Err(e));
            }
        }
        // Something in the batch was refused: write each alone, so only its caller hears of it.
        Err(_) => {
            for j in batch {
                let r = write(conn, std::slice::from_ref(&j), key).map(|mut v| v.remove(0));
                let _ = j.reply.send(r);
            }
        }
    }
}

/// Placeholders `($a, $b, …), (…)` for `rows` rows of `cols` columns.
fn values(rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", (1..=cols).map(|c| format!("?{}", r * cols + c)).collect::<Vec<_>>().join(", ")))
        .collect::<Vec<_>>()
        .join(", ")
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A date as SQLite stores it (what sqlx writes for `time::Date`).
fn date(d: Option<time::Date>) -> Option<String> {
    d.map(fazhi_domain::time_util::fmt_date)
}

/// Writes the jobs in one transaction; returns each case as numbered and its linked event.
fn write(conn: &mut Connection, jobs: &[Job], key: Option<&ChainKey>) -> Result<Vec<(CaseRecord, Event)>> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate).map_err(db_err)?;
    // Numbers: one counter update per tenant, kind and year, in arrival order.
    let mut cases: Vec<CaseRecord> = jobs.iter().map(|j| j.case.clone()).collect();
    let mut groups: Vec<((String, String, i32), Vec<usize>)> = Vec::new();
    let mut apart: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (i, j) in jobs.iter().enumerate() {
        // A confidential case is numbered outside the public sequence (《信访工作条例》第三十条).
        if crate::cases::numbered_apart(&j.case) {
            let mut found = None;
            for _ in 0..crate::cases::APART_TRIES {
                let candidate = format!("{}{}", j.prefix, crate::cases::apart_suffix());
                let taken = apart.contains(&candidate)
                    || tx
                        .prepare_cached("SELECT 1 FROM cases WHERE receipt_no = ?1")
                        .and_then(|mut s| s.exists(rusqlite::params![candidate]))
                        .map_err(db_err)?;
                if !taken {
                    found = Some(candidate);
                    break;
                }
            }
            let no = found.ok_or_else(|| StoreError::Corrupt("no free confidential receipt number".into()))?;
            apart.insert(no.clone());
            cases[i].receipt_no = no;
            continue;
        }
        let key = (j.case.tenant_id.to_string(), j.case.kind.clone(), j.year);
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    for ((tenant, kind, year), idx) in &groups {
        let n = i64::try_from(idx.len()).unwrap_or(1);
        let last: i64 = tx
            .prepare_cached(
                "INSERT INTO receipt_counters (tenant_id, kind, year, last) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (tenant_id, kind, year) DO UPDATE SET last = receipt_counters.last + ?4 RETURNING last",
            )
            .and_then(|mut s| s.query_row(rusqlite::params![tenant, kind, i64::from(*year), n], |r| r.get(0)))
            .map_err(db_err)?;
        for (k, i) in idx.iter().enumerate() {
            let seq = last - n + 1 + i64::try_from(k).unwrap_or(0);
            cases[*i].receipt_no = format!("{}{seq:06}", jobs[*i].prefix);
        }
    }
    // Case rows.
    let columns = crate::cases::CASE_COLUMNS.len();
    let sql = format!("{}VALUES {}", crate::cases::insert_cases_sql(), values(cases.len(), columns));
    let mut args: Vec<Box<dyn ToSql>> = Vec::with_capacity(cases.len() * columns);
    for (c, j) in cases.iter().zip(jobs) {
        for v in crate::cases::case_row(c, j.query_digest.as_deref())? {
            use crate::cases::CaseValue;
            args.push(match v {
                CaseValue::Text(s) => Box::new(s),
                CaseValue::MaybeText(s) => Box::new(s),
                CaseValue::Int(i) => Box::new(i),
                CaseValue::MaybeInt(i) => Box::new(i),
                CaseValue::Bool(b) => Box::new(b),
                CaseValue::Date(d) => Box::new(date(d)),
                CaseValue::Json(j) => Box::new(j.get().to_string()),
            });
        }
    }
    tx.prepare_cached(&sql).and_then(|mut s| s.execute(params_from_iter(args.iter()))).map_err(db_err)?;
    // Identifier digests.
    let digests: Vec<(&CaseRecord, &(String, String))> =
        cases.iter().zip(jobs).flat_map(|(c, j)| j.digests.iter().map(move |d| (c, d))).collect();
    if !digests.is_empty() {
        let sql = format!(
            "INSERT INTO party_index (tenant_id, case_id, kind, digest) VALUES {} ON CONFLICT DO NOTHING",
            values(digests.len(), 4)
        );
        let mut args: Vec<String> = Vec::with_capacity(digests.len() * 4);
        for (c, (kind, digest)) in digests {
            args.extend([c.tenant_id.to_string(), c.id.to_string(), kind.clone(), digest.clone()]);
        }
        tx.prepare_cached(&sql).and_then(|mut s| s.execute(params_from_iter(args.iter()))).map_err(db_err)?;
    }
    // Whom each marked case is withheld from (第三十条), in the same transaction as its row.
    for c in &cases {
        if let Some(w) = fazhi_domain::workflow::shared::withheld_parties(&c.data) {
            use crate::cases::withhold_sql as ws;
            let id = c.id.to_string();
            let unit = w.unit.map(|u| u.to_string()).unwrap_or_default();
            tx.prepare_cached(ws::UNIT)
                .and_then(|mut s| s.execute(rusqlite::params![id, unit, c.tenant_id.to_string()]))
                .map_err(db_err)?;
            for u in &w.users {
                tx.prepare_cached(ws::USER)
                    .and_then(|mut s| s.execute(rusqlite::params![id, u.to_string()]))
                    .map_err(db_err)?;
            }
        }
    }
    // Events, linked in arrival order to each tenant's chain head.
    let mut heads: HashMap<String, (i64, String)> = HashMap::new();
    let mut linked: Vec<(Event, Seal, Option<String>)> = Vec::with_capacity(jobs.len());
    for (j, c) in jobs.iter().zip(&cases) {
        let t = j.event.tenant_id.to_string();
        if !heads.contains_key(&t) {
            let head: (i64, String) = tx
                .prepare_cached("SELECT seq, hash FROM chain_heads WHERE tenant_id = ?1")
                .and_then(|mut s| s.query_row([&t], |r| Ok((r.get(0)?, r.get(1)?))))
                .map_err(db_err)?;
            heads.insert(t.clone(), head);
        }
        let head = heads.get_mut(&t).ok_or(StoreError::NotFound)?;
        // The same digest the sqlx writers seal (records.rs): a new case has only its row and the
        // identifiers given.
        let seal = Seal::case(crate::records::case_digest(
            c,
            j.query_digest.as_deref(),
            &crate::records::CaseParts::of_digests(&j.digests),
        ));
        let ev = j.event.clone().link_sealed(head.0, &head.1, &seal);
        *head = (ev.seq, ev.hash.clone());
        let mac = key.map(|k| k.mac(&ev.hash));
        linked.push((ev, seal, mac));
    }
    let sql = format!("INSERT INTO events ({}) VALUES {}", crate::events::EVENT_COLS, values(linked.len(), 18));
    let mut args: Vec<Box<dyn ToSql>> = Vec::with_capacity(linked.len() * 18);
    for (ev, seal, mac) in &linked {
        args.push(Box::new(ev.id.to_string()));
        args.push(Box::new(ev.tenant_id.to_string()));
        args.push(Box::new(ev.seq));
        args.push(Box::new(ev.case_id.map(|c| c.to_string())));
        args.push(Box::new(ev.actor_id.map(|c| c.to_string())));
        args.push(Box::new(ev.actor_name.clone()));
        args.push(Box::new(ev.action.clone()));
        args.push(Box::new(ev.action_label.clone()));
        args.push(Box::new(ev.from_state.clone()));
        args.push(Box::new(ev.to_state.clone()));
        args.push(Box::new(json(&ev.payload)?));
        args.push(Box::new(json(&ev.attachments)?));
        args.push(Box::new(ev.occurred_at));
        args.push(Box::new(ev.prev_hash.clone()));
        args.push(Box::new(ev.hash.clone()));
        args.push(Box::new(seal.subject.clone()));
        args.push(Box::new(seal.digest.clone()));
        args.push(Box::new(mac.clone()));
    }
    tx.prepare_cached(&sql).and_then(|mut s| s.execute(params_from_iter(args.iter()))).map_err(db_err)?;
    for (t, (seq, hash)) in &heads {
        tx.prepare_cached("UPDATE chain_heads SET seq = ?2, hash = ?3 WHERE tenant_id = ?1")
            .and_then(|mut s| s.execute(rusqlite::params![t, seq, hash]))
            .map_err(db_err)?;
    }
    // Outbox rows.
    let sql = format!(
        "INSERT INTO outbox (id, tenant_id, event_id, topic, payload, created_at) VALUES {}",
        values(linked.len(), 6)
    );
    let mut args: Vec<Box<dyn ToSql>> = Vec::with_capacity(linked.len() * 6);
    for ((ev, _, _), c) in linked.iter().zip(&cases) {
        let payload = serde_json::json!({"event_id": ev.id.to_string(), "case_id": ev.case_id.map(|c| c.to_string()), "action": ev.action, "to_state": ev.to_state});
        args.push(Box::new(fazhi_domain::ids::EventId::new().to_string()));
        args.push(Box::new(ev.tenant_id.to_string()));
        args.push(Box::new(ev.id.to_string()));
        args.push(Box::new(format!("case.{}.{}", c.kind, ev.action)));
        args.push(Box::new(json(&payload)?));
        args.push(Box::new(ev.occurred_at));
    }
    tx.prepare_cached(&sql).and_then(|mut s| s.execute(params_from_iter(args.iter()))).map_err(db_err)?;
    tx.commit().map_err(db_err)?;
    Ok(cases.into_iter().zip(linked.into_iter().map(|(ev, _, _)| ev)).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_number_rows_after_one_another() {
        assert_eq!(super::values(2, 3), "(?1, ?2, ?3), (?4, ?5, ?6)");
    }
}
