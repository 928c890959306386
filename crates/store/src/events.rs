//! The hash chain: appending events (always inside the caller's transaction, after locking the
//! tenant's chain head), reading timelines and the audit log, and verifying a tenant's chain.

use fazhi_domain::event::{BreakKind, ChainBreak, Event, Found, Verifier};
use fazhi_domain::ids::{CaseId, EventId, TenantId, UserId};
use serde_json::Value as Json;
use sqlx::types::Json as SqlJson;

use crate::{Result, Store, StoreError};

#[derive(sqlx::FromRow)]
pub(crate) struct EventRow {
    id: String,
    tenant_id: String,
    seq: i64,
    case_id: Option<String>,
    actor_id: Option<String>,
    actor_name: String,
    action: String,
    action_label: String,
    from_state: Option<String>,
    to_state: Option<String>,
    payload: SqlJson<Json>,
    attachments: SqlJson<Vec<String>>,
    occurred_at: i64,
    prev_hash: String,
    hash: String,
}

pub(crate) const EVENT_COLS: &str = "id, tenant_id, seq, case_id, actor_id, actor_name, action, action_label, \
     from_state, to_state, payload, attachments, occurred_at, prev_hash, hash";

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("event: {e}"))
}

impl TryFrom<EventRow> for Event {
    type Error = StoreError;
    fn try_from(r: EventRow) -> Result<Self> {
        Ok(Event {
            id: EventId::parse(&r.id).map_err(corrupt)?,
            tenant_id: TenantId::parse(&r.tenant_id).map_err(corrupt)?,
            seq: r.seq,
            case_id: r.case_id.map(|c| CaseId::parse(&c)).transpose().map_err(corrupt)?,
            actor_id: r.actor_id.map(|c| UserId::parse(&c)).transpose().map_err(corrupt)?,
            actor_name: r.actor_name,
            action: r.action,
            action_label: r.action_label,
            from_state: r.from_state,
            to_state: r.to_state,
            payload: r.payload.0,
            attachments: r.attachments.0,
            occurred_at: r.occurred_at,
            prev_hash: r.prev_hash,
            hash: r.hash,
        })
    }
}

/// Links `$event` (an unlinked [`Event`]) to the tenant's chain head inside transaction `$tx`,
/// inserts it with its outbox row, moves the head, and evaluates to the linked event. On
/// PostgreSQL the head row is locked (`FOR UPDATE`) so concurrent writers of one tenant queue up;
/// SQLite has one writer connection.
macro_rules! append_event {
    ($tx:expr, $pg:expr, $event:expr, $topic:expr) => {{
        let ev: fazhi_domain::event::Event = $event;
        let lock = if $pg { " FOR UPDATE" } else { "" };
        let (head_seq, head_hash): (i64, String) =
            sqlx::query_as(crate::sql::safe(&format!("SELECT seq, hash FROM chain_heads WHERE tenant_id = $1{lock}")))
                .bind(ev.tenant_id.to_string())
                .fetch_one(&mut *$tx)
                .await?;
        let ev = ev.link(head_seq, &head_hash);
        sqlx::query(crate::sql::safe(&format!(
            "INSERT INTO events ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
            $crate::events::EVENT_COLS
        )))
        .bind(ev.id.to_string())
        .bind(ev.tenant_id.to_string())
        .bind(ev.seq)
        .bind(ev.case_id.map(|c| c.to_string()))
        .bind(ev.actor_id.map(|c| c.to_string()))
        .bind(&ev.actor_name)
        .bind(&ev.action)
        .bind(&ev.action_label)
        .bind(&ev.from_state)
        .bind(&ev.to_state)
        .bind(sqlx::types::Json(&ev.payload))
        .bind(sqlx::types::Json(&ev.attachments))
        .bind(ev.occurred_at)
        .bind(&ev.prev_hash)
        .bind(&ev.hash)
        .execute(&mut *$tx)
        .await?;
        sqlx::query("UPDATE chain_heads SET seq = $2, hash = $3 WHERE tenant_id = $1")
            .bind(ev.tenant_id.to_string())
            .bind(ev.seq)
            .bind(&ev.hash)
            .execute(&mut *$tx)
            .await?;
        let topic: Option<String> = $topic;
        if let Some(topic) = topic {
            let payload = serde_json::json!({
                "event_id": ev.id.to_string(),
                "case_id": ev.case_id.map(|c| c.to_string()),
                "action": ev.action,
                "to_state": ev.to_state,
            });
            sqlx::query("INSERT INTO outbox (id, tenant_id, event_id, topic, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(fazhi_domain::ids::EventId::new().to_string())
                .bind(ev.tenant_id.to_string())
                .bind(ev.id.to_string())
                .bind(topic)
                .bind(sqlx::types::Json(payload))
                .bind(ev.occurred_at)
                .execute(&mut *$tx)
                .await?;
        }
        ev
    }};
}
pub(crate) use append_event;

/// A filter for the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub tenant: Option<TenantId>,
    pub actor: Option<UserId>,
    /// Action code prefix (`user.`, `dispatch`).
    pub action: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub case: Option<CaseId>,
}

/// The result of verifying one tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub tenant: TenantId,
    pub verified: u64,
    pub broken: Option<ChainBreak>,
    /// Cases whose row no longer matches their events (state or version), at most 20.
    pub mismatched_cases: Vec<String>,
}

impl Store {
    /// Appends an event that belongs to no case action (a user created, a role granted, a login
    /// failure, a calendar year imported).
    ///
    /// # Errors
    /// Database errors.
    pub async fn append_event(&self, event: Event) -> Result<Event> {
        let pg = self.is_postgres();
        on_writer!(self, pool => async {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let topic = Some(format!("system.{}", event.action));
            let ev = append_event!(tx, pg, event, topic);
            tx.commit().await?;
            Ok::<_, StoreError>(ev)
        }.await)
    }

    /// A case's timeline, oldest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn events_of_case(&self, case: CaseId) -> Result<Vec<Event>> {
        let sql = format!("SELECT {EVENT_COLS} FROM events WHERE case_id = $1 ORDER BY seq");
        let rows: Vec<EventRow> = on_reader!(self, pool => sqlx::query_as(crate::sql::safe(&sql)).bind(case.to_string()).fetch_all(pool).await)?;
        rows.into_iter().map(Event::try_from).collect()
    }

    /// The audit log, newest first, one page.
    ///
    /// # Errors
    /// Database errors.
    pub async fn audit_log(&self, f: &AuditFilter, limit: u32, offset: u32) -> Result<(Vec<Event>, u64)> {
        let mut clauses = vec!["1 = 1".to_string()];
        let mut args: Vec<crate::sql::Arg> = Vec::new();
        let mut push = |clause: &str, a: crate::sql::Arg| {
            args.push(a);
            clauses.push(clause.replace('?', &format!("${}", args.len())));
        };
        if let Some(t) = f.tenant {
            push("tenant_id = ?", crate::sql::Arg::Text(t.to_string()));
        }
        if let Some(u) = f.actor {
            push("actor_id = ?", crate::sql::Arg::Text(u.to_string()));
        }
        if let Some(a) = &f.action {
            // A prefix taken literally: `_` is in many action codes (user.roles_changed).
            let literal = a.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            push("action LIKE ? ESCAPE '\\'", crate::sql::Arg::Text(format!("{literal}%")));
        }
        if let Some(ms) = f.from_ms {
            push("occurred_at >= ?", crate::sql::Arg::Int(ms));
        }
        if let Some(ms) = f.to_ms {
            push("occurred_at < ?", crate::sql::Arg::Int(ms));
        }
        if let Some(c) = f.case {
            push("case_id = ?", crate::sql::Arg::Text(c.to_string()));
        }
        let where_ = clauses.join(" AND ");
        let list = format!(
            "SELECT {EVENT_COLS} FROM events WHERE {where_} ORDER BY occurred_at DESC, seq DESC LIMIT {limit} OFFSET {offset}"
        );
        let count = format!("SELECT COUNT(*) FROM events WHERE {where_}");
        let rows: Vec<EventRow> = on_reader!(self, pool => crate::sql::bind_all!(sqlx::query_as(crate::sql::safe(&list)), &args).fetch_all(pool).await)?;
        let (total,): (i64,) = on_reader!(self, pool => crate::sql::bind_all!(sqlx::query_as(crate::sql::safe(&count)), &args).fetch_one(pool).await)?;
        let events = rows.into_iter().map(Event::try_from).collect::<Result<Vec<_>>>()?;
        Ok((events, u64::try_from(total).unwrap_or(0)))
    }

    /// Receipt numbers of cases by id (the audit log names cases, whatever the reader's scope:
    /// auditors see who did what to which case, not the case itself).
    ///
    /// # Errors
    /// Database errors.
    pub async fn receipt_numbers(&self, ids: &[CaseId]) -> Result<std::collections::HashMap<String, String>> {
        if ids.is_empty() {
            return Ok(std::collections::HashMap::new());
        }
        let ps: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT id, receipt_no FROM cases WHERE id IN ({})", ps.join(", "));
        let rows: Vec<(String, String)> = on_reader!(self, pool => {
            let mut q = sqlx::query_as(crate::sql::safe(&sql));
            for id in ids {
                q = q.bind(id.to_string());
            }
            q.fetch_all(pool).await
        })?;
        Ok(rows.into_iter().collect())
    }

    /// Walks a tenant's chain in pages of `seq` order and checks every link, the chain head, and
    /// that each case row still matches its events (its state is its last event's, its version the
    /// number of its events). Memory stays flat: one page at a time.
    ///
    /// # Errors
    /// Database errors (a broken chain is a result, not an error).
    pub async fn verify_chain(&self, tenant: TenantId, mut progress: impl FnMut(u64)) -> Result<ChainReport> {
        const PAGE: i64 = 5_000;
        let t = tenant.to_string();
        let head: Option<(i64, String)> = on_reader!(self, pool => sqlx::query_as("SELECT seq, hash FROM chain_heads WHERE tenant_id = $1")
            .bind(&t)
            .fetch_optional(pool)
            .await)?;
        let mut verifier = Verifier::new();
        let mut after = i64::MIN;
        let sql =
            format!("SELECT {EVENT_COLS} FROM events WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT {PAGE}");
        let broken = 'walk: loop {
            let rows: Vec<EventRow> = on_reader!(self, pool => sqlx::query_as(crate::sql::safe(&sql)).bind(&t).bind(after).fetch_all(pool).await)?;
            let n = rows.len();
            for row in rows {
                let (seq, raw_id, raw_case) = (row.seq, row.id.clone(), row.case_id.clone());
                after = seq;
                // A row that no longer even parses was tampered with: report it, do not fail.
                let Ok(e) = Event::try_from(row) else {
                    break 'walk Some(ChainBreak {
                        kind: BreakKind::Edited,
                        seq,
                        event_id: raw_id,
                        case: raw_case.clone().unwrap_or_else(|| "—".into()),
                        case_id: raw_case,
                    });
                };
                match verifier.feed(e) {
                    Ok(()) => {}
                    Err(Found::Break(b)) => break 'walk Some(b),
                    Err(Found::Unresolved(u)) => {
                        let exists: Option<(i64,)> = on_reader!(self, pool => sqlx::query_as("SELECT seq FROM events WHERE tenant_id = $1 AND hash = $2")
                            .bind(&t)
                            .bind(&u.hash)
                            .fetch_optional(pool)
                            .await)?;
                        break 'walk Some(u.resolve(exists.is_some()));
                    }
                }
            }
            progress(verifier.count());
            if n < usize::try_from(PAGE).unwrap_or(usize::MAX) {
                break 'walk None;
            }
        };
        let verified = verifier.count();
        let broken = match broken {
            Some(b) => Some(b),
            None => verifier.finish(head).err(),
        };
        // A case row edited behind the chain's back: its state or version disagrees with its events.
        let mismatched: Vec<(String,)> = on_reader!(self, pool => sqlx::query_as(
            "SELECT c.receipt_no FROM cases c \
             LEFT JOIN (SELECT case_id, COUNT(*) AS n, MAX(seq) AS last_seq FROM events WHERE tenant_id = $1 AND case_id IS NOT NULL GROUP BY case_id) e \
               ON e.case_id = c.id \
             LEFT JOIN events l ON l.tenant_id = $1 AND l.seq = e.last_seq \
             WHERE c.tenant_id = $1 AND (e.n IS NULL OR e.n <> c.version OR l.to_state IS NULL OR l.to_state <> c.state) \
             ORDER BY c.receipt_no LIMIT 20",
        )
        .bind(&t)
        .fetch_all(pool)
        .await)?;
        Ok(ChainReport { tenant, verified, broken, mismatched_cases: mismatched.into_iter().map(|(r,)| r).collect() })
    }
}
