//! The hash chain: appending events (always inside the caller's transaction, after locking the
//! tenant's chain head), reading timelines and the audit log, and verifying a tenant's chain.

use fazhi_domain::event::{BreakKind, ChainBreak, ChainKey, Event, Found, Seal, Verifier};
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
    subject: Option<String>,
    digest: Option<String>,
    mac: Option<String>,
}

impl EventRow {
    /// What the store sealed into the event beside its content, and its MAC.
    fn seal(&self) -> (Seal, Option<String>) {
        (Seal { subject: self.subject.clone(), digest: self.digest.clone() }, self.mac.clone())
    }
}

pub(crate) const EVENT_COLS: &str = "id, tenant_id, seq, case_id, actor_id, actor_name, action, action_label, \
     from_state, to_state, payload, attachments, occurred_at, prev_hash, hash, subject, digest, mac";

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

/// Links `$event` (an unlinked [`Event`]) to the tenant's chain head inside transaction `$tx`
/// with its [`Seal`] (and, when the store has a chain key, its MAC), inserts it with its outbox
/// row, moves the head, and evaluates to the linked event. On PostgreSQL the head row is locked
/// (`FOR UPDATE`) so concurrent writers of one tenant queue up; SQLite has one writer connection.
macro_rules! append_event {
    ($tx:expr, $pg:expr, $key:expr, $event:expr, $topic:expr, $seal:expr) => {{
        let ev: fazhi_domain::event::Event = $event;
        let seal: fazhi_domain::event::Seal = $seal;
        let key: Option<&fazhi_domain::event::ChainKey> = $key;
        let lock = if $pg { " FOR UPDATE" } else { "" };
        let (head_seq, head_hash): (i64, String) =
            sqlx::query_as(crate::sql::safe(&format!("SELECT seq, hash FROM chain_heads WHERE tenant_id = $1{lock}")))
                .bind(ev.tenant_id.to_string())
                .fetch_one(&mut *$tx)
                .await?;
        let ev = ev.link_sealed(head_seq, &head_hash, &seal);
        let mac = key.map(|k| k.mac(&ev.hash));
        sqlx::query(crate::sql::safe(&format!(
            "INSERT INTO events ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
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
        .bind(&seal.subject)
        .bind(&seal.digest)
        .bind(mac)
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

/// Appends, inside `$tx`, the event that seals a record that is not a case (a user, a unit, a
/// tenant, a calendar year) as it now is: subject and digest, written by fazhi itself.
macro_rules! seal_record {
    ($tx:expr, $pg:expr, $key:expr, $tenant:expr, $subject:expr, $digest:expr, $at:expr) => {{
        let subject: String = $subject;
        let kind = subject.split(':').next().unwrap_or("record").to_string();
        let label = format!("记录存证：{}", $crate::records::subject_label(&subject));
        let ev = fazhi_domain::event::Event {
            id: fazhi_domain::ids::EventId::new(),
            tenant_id: $tenant,
            seq: 0,
            case_id: None,
            actor_id: None,
            actor_name: "系统".into(),
            action: format!("record.{kind}"),
            action_label: label,
            from_state: None,
            to_state: None,
            payload: serde_json::json!({"subject": subject}),
            attachments: vec![],
            occurred_at: $at,
            prev_hash: String::new(),
            hash: String::new(),
        };
        let seal = fazhi_domain::event::Seal::record(subject, $digest);
        $crate::events::append_event!($tx, $pg, $key, ev, None, seal)
    }};
}
pub(crate) use {append_event, seal_record};

/// A filter for the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub tenant: Option<TenantId>,
    pub actor: Option<UserId>,
    /// Action code prefix (`user.`, `dispatch`).
    pub action: Option<String>,
    /// Exactly this action code (`dispatch`, `record.user`).
    pub action_code: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    pub case: Option<CaseId>,
    /// Who reads the log: events of cases withheld from them (检举控告, 《信访工作条例》第三十条),
    /// and the records of attempts to open such cases, are left out.
    pub reader: Option<crate::model::Reader>,
}

/// How a tenant's chain is verified.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Signed checkpoints `(seq, hash)` of this tenant the chain must pass through.
    pub anchors: Vec<(i64, String)>,
    /// Walk only after this trusted checkpoint `(seq, hash)` (the fast path); the records are
    /// checked in full either way.
    pub start_after: Option<(i64, String)>,
}

/// A record that does not match the events: what it is, which event it was held to, what differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordProblem {
    /// "案件 AT-GD-2023-000123", "用户 zhangsan", "单位 …".
    pub record: String,
    /// The event it was compared with.
    pub seq: Option<i64>,
    /// What is wrong, in words: "标题、数据（satisfaction）与第 5 号事件记录的不一致".
    pub what: String,
}

impl std::fmt::Display for RecordProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}：{}", self.record, self.what)
    }
}

/// The result of verifying one tenant's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub tenant: TenantId,
    pub verified: u64,
    /// Where the walk started (after a checkpoint on the fast path), 0 from the beginning.
    pub started_after: i64,
    pub broken: Option<ChainBreak>,
    /// Records that do not match the last event about them, at most [`MAX_PROBLEMS`].
    pub problems: Vec<RecordProblem>,
    /// How many records disagree in all (beyond those listed).
    pub problem_count: u64,
    /// How many records (cases, users, units, …) were held to their events.
    pub records_checked: u64,
}

impl ChainReport {
    /// The chain is unbroken and every record matches its events.
    pub fn is_whole(&self) -> bool {
        self.broken.is_none() && self.problem_count == 0
    }
}

/// Record problems listed in a report; the rest are counted.
pub const MAX_PROBLEMS: usize = 50;

/// Collects record problems, listing the first [`MAX_PROBLEMS`].
#[derive(Default)]
struct Problems {
    list: Vec<RecordProblem>,
    count: u64,
    checked: u64,
}

impl Problems {
    fn push(&mut self, record: String, seq: Option<i64>, what: String) {
        self.count += 1;
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(RecordProblem { record, seq, what });
        }
    }

    /// Checks that `row` is the event it claims to be (its sealed hash and, with a key, its MAC)
    /// before its digest is trusted; reports and returns `None` otherwise.
    fn authentic(&mut self, record: &str, row: &EventRow, key: Option<&ChainKey>) -> Option<String> {
        let (seal, mac) = row.seal();
        let Ok(e) = Event::try_from(clone_row(row)) else {
            self.push(record.to_string(), Some(row.seq), format!("第 {} 号事件无法读取（被改动）", row.seq));
            return None;
        };
        if e.compute_sealed_hash(&seal) != e.hash {
            self.push(record.to_string(), Some(row.seq), format!("第 {} 号事件的内容与其摘要不符（被改动）", row.seq));
            return None;
        }
        if let Some(k) = key
            && mac.as_deref() != Some(k.mac(&e.hash).as_str())
        {
            self.push(
                record.to_string(),
                Some(row.seq),
                format!("第 {} 号事件的密钥校验码不符（不是 fazhi 写入的）", row.seq),
            );
            return None;
        }
        match seal.digest {
            Some(d) => Some(d),
            None => {
                self.push(
                    record.to_string(),
                    Some(row.seq),
                    format!("最后一个有关事件（第 {} 号）没有记录摘要，无法核对（迁移 0008 之前写入）", row.seq),
                );
                None
            }
        }
    }

    /// Compares a record's fields with the digest its last event sealed.
    fn compare(&mut self, record: &str, seq: i64, sealed: &str, fields: &[fazhi_domain::record::Field]) {
        self.checked += 1;
        if let Some(diff) = fazhi_domain::record::differences(sealed, fields) {
            self.push(
                record.to_string(),
                Some(seq),
                format!("{}与第 {seq} 号事件记录的不一致", fazhi_domain::record::describe(&diff)),
            );
        }
    }
}

fn clone_row(r: &EventRow) -> EventRow {
    EventRow {
        id: r.id.clone(),
        tenant_id: r.tenant_id.clone(),
        seq: r.seq,
        case_id: r.case_id.clone(),
        actor_id: r.actor_id.clone(),
        actor_name: r.actor_name.clone(),
        action: r.action.clone(),
        action_label: r.action_label.clone(),
        from_state: r.from_state.clone(),
        to_state: r.to_state.clone(),
        payload: SqlJson(r.payload.0.clone()),
        attachments: SqlJson(r.attachments.0.clone()),
        occurred_at: r.occurred_at,
        prev_hash: r.prev_hash.clone(),
        hash: r.hash.clone(),
        subject: r.subject.clone(),
        digest: r.digest.clone(),
        mac: r.mac.clone(),
    }
}

/// Cases checked per round trip.
const CASE_PAGE: i64 = 1_000;

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
            let ev = append_event!(tx, pg, self.chain_key.as_ref(), event, topic, Seal::default());
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
        if let Some(c) = &f.action_code {
            push("action = ?", crate::sql::Arg::Text(c.clone()));
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
        if let Some(r) = &f.reader {
            let mut q = crate::sql::Sql { text: String::new(), args: std::mem::take(&mut args) };
            let ids = crate::sql::withheld_ids(&mut q, r);
            args = q.args;
            clauses.push(format!("COALESCE(case_id, payload->>'case_id', '') NOT IN (SELECT case_id FROM ({ids}) w)"));
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

    /// Receipt numbers and kinds of cases by id (as [`Store::receipt_numbers`]; the kind gives
    /// the names of the states an event moved between).
    ///
    /// # Errors
    /// Database errors.
    pub async fn receipts_and_kinds(
        &self,
        ids: &[CaseId],
    ) -> Result<std::collections::HashMap<String, (String, String)>> {
        if ids.is_empty() {
            return Ok(std::collections::HashMap::new());
        }
        let ps: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT id, receipt_no, kind FROM cases WHERE id IN ({})", ps.join(", "));
        let rows: Vec<(String, String, String)> = on_reader!(self, pool => {
            let mut q = sqlx::query_as(crate::sql::safe(&sql));
            for id in ids {
                q = q.bind(id.to_string());
            }
            q.fetch_all(pool).await
        })?;
        Ok(rows.into_iter().map(|(id, r, k)| (id, (r, k))).collect())
    }

    /// The case of a tenant with this receipt number, if any (the audit log's filter by case).
    ///
    /// # Errors
    /// Database errors.
    pub async fn case_id_by_receipt(&self, tenant: TenantId, receipt_no: &str) -> Result<Option<CaseId>> {
        let row: Option<(String,)> = on_reader!(self, pool => sqlx::query_as("SELECT id FROM cases WHERE tenant_id = $1 AND receipt_no = $2")
            .bind(tenant.to_string())
            .bind(receipt_no)
            .fetch_optional(pool)
            .await)?;
        Ok(row.and_then(|(id,)| CaseId::parse(&id).ok()))
    }

    /// The actions recorded in a tenant's log with the names they were recorded under (the audit
    /// page's choice of action): (code, name), in code order.
    ///
    /// # Errors
    /// Database errors.
    pub async fn action_names(&self, tenant: TenantId) -> Result<Vec<(String, String)>> {
        let rows: Vec<(String, String)> = on_reader!(self, pool => sqlx::query_as("SELECT DISTINCT action, action_label FROM events WHERE tenant_id = $1 ORDER BY action, action_label")
            .bind(tenant.to_string())
            .fetch_all(pool)
            .await)?;
        Ok(rows)
    }

    /// Walks a tenant's chain and checks its records ([`Store::verify_chain_with`] without
    /// checkpoints).
    ///
    /// # Errors
    /// Database errors (a broken chain is a result, not an error).
    pub async fn verify_chain(&self, tenant: TenantId, progress: impl FnMut(u64)) -> Result<ChainReport> {
        self.verify_chain_with(tenant, &VerifyOptions::default(), progress).await
    }

    /// Walks a tenant's chain in pages of `seq` order and checks every link, every MAC (when the
    /// store has a chain key), the signed checkpoints given, and the chain head; then holds every
    /// record to the last event about it: each case row (with its party digests, attachments and
    /// links), each user, unit, report draft and calendar year, and the tenant itself. Memory stays
    /// flat: one page at a time.
    ///
    /// # Errors
    /// Database errors (a broken chain or a changed record is a result, not an error).
    pub async fn verify_chain_with(
        &self,
        tenant: TenantId,
        opts: &VerifyOptions,
        mut progress: impl FnMut(u64),
    ) -> Result<ChainReport> {
        const PAGE: i64 = 5_000;
        let t = tenant.to_string();
        let head: Option<(i64, String)> = on_reader!(self, pool => sqlx::query_as("SELECT seq, hash FROM chain_heads WHERE tenant_id = $1")
            .bind(&t)
            .fetch_optional(pool)
            .await)?;
        let mut verifier = Verifier::new().with_key(self.chain_key.clone()).with_anchors(
            opts.anchors
                .iter()
                .filter(|(s, _)| opts.start_after.as_ref().is_none_or(|(from, _)| s > from))
                .cloned()
                .collect(),
        );
        let mut after = i64::MIN;
        let mut started_after = 0;
        let mut missing_start = None;
        if let Some((seq, hash)) = &opts.start_after {
            // The walk trusts the chain up to the checkpoint; the event there must still be the one
            // signed (a chain emptied or cut before it would otherwise look whole).
            let at: Option<(String, String)> = on_reader!(self, pool => sqlx::query_as("SELECT id, hash FROM events WHERE tenant_id = $1 AND seq = $2")
                .bind(&t)
                .bind(seq)
                .fetch_optional(pool)
                .await)?;
            if at.as_ref().is_none_or(|(_, h)| h != hash) {
                missing_start = Some(ChainBreak {
                    kind: BreakKind::Anchor,
                    seq: *seq,
                    event_id: at.map_or_else(|| "—".to_string(), |(id, _)| id),
                    case_id: None,
                    case: "—".into(),
                });
            }
            verifier = verifier.starting_after(*seq, hash.clone());
            after = *seq;
            started_after = *seq;
        }
        let sql =
            format!("SELECT {EVENT_COLS} FROM events WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT {PAGE}");
        let broken = 'walk: loop {
            let rows: Vec<EventRow> = on_reader!(self, pool => sqlx::query_as(crate::sql::safe(&sql)).bind(&t).bind(after).fetch_all(pool).await)?;
            let n = rows.len();
            for row in rows {
                let (seq, raw_id, raw_case) = (row.seq, row.id.clone(), row.case_id.clone());
                after = seq;
                let (seal, mac) = row.seal();
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
                match verifier.feed_sealed(e, &seal, mac.as_deref()) {
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
        let broken = match (missing_start, broken) {
            (Some(b), _) | (None, Some(b)) => Some(b),
            (None, None) => verifier.finish(head).err(),
        };
        let mut problems = Problems::default();
        self.check_cases(&t, &mut problems).await?;
        self.check_other_records(&t, &mut problems).await?;
        Ok(ChainReport {
            tenant,
            verified,
            started_after,
            broken,
            problems: problems.list,
            problem_count: problems.count,
            records_checked: problems.checked,
        })
    }

    /// Holds every case row of tenant `t` (with its party digests, attachments and links) to the
    /// digest sealed by its last event, a page of cases at a time, each page read in one snapshot
    /// so a case written meanwhile is seen whole. Also finds events of cases whose row is gone,
    /// and party, attachment and link rows of cases that do not exist.
    async fn check_cases(&self, t: &str, problems: &mut Problems) -> Result<()> {
        use crate::records::{
            CASE_RAW_COLS, CASE_SCHEME, CaseParts, CaseSealRow, PartRow, VersionRow, case_fields_raw,
        };
        use std::collections::HashMap;
        let key = self.chain_key.clone();
        let pg = self.is_postgres();
        let mut lo = String::new();
        loop {
            let page = on_reader!(self, pool => async {
                let mut tx = pool.begin().await?;
                if pg {
                    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *tx).await?;
                }
                let cases: Vec<CaseSealRow> = sqlx::query_as(crate::sql::safe(&format!(
                    "SELECT {CASE_RAW_COLS} FROM cases c WHERE c.tenant_id = $1 AND c.id > $2 ORDER BY c.id LIMIT {CASE_PAGE}"
                )))
                .bind(t)
                .bind(&lo)
                .fetch_all(&mut *tx)
                .await?;
                let full = i64::try_from(cases.len()).unwrap_or(0) == CASE_PAGE;
                // The page covers ids in (lo, hi]; the last page covers everything past lo.
                let hi = if full { cases.last().map(|c| c.raw.id.clone()) } else { None };
                // Led by the case-id range, never by the tenant: SQLite would otherwise pick an index
                // that starts with the tenant and read all its rows for every page (`+` makes the
                // term unindexable, the documented way to steer its planner).
                let tenant = if pg { "tenant_id" } else { "+tenant_id" };
                let range = |col: &str| match hi {
                    Some(_) => format!("{tenant} = $1 AND {col} > $2 AND {col} <= $3"),
                    None => format!("{tenant} = $1 AND {col} > $2"),
                };
                let parts_sql = crate::records::parts_sql(&range("case_id"), &range("case_id"), &range("from_case"), &range("to_case"));
                let mut q = sqlx::query_as::<_, PartRow>(crate::sql::safe(&parts_sql)).bind(t).bind(&lo);
                if let Some(h) = &hi {
                    q = q.bind(h.clone());
                }
                let parts: Vec<PartRow> = q.fetch_all(&mut *tx).await?;
                let mut q = sqlx::query_as::<_, VersionRow>(crate::sql::safe(&crate::records::versions_sql(&range("case_id"))))
                    .bind(t)
                    .bind(&lo);
                if let Some(h) = &hi {
                    q = q.bind(h.clone());
                }
                let versions: Vec<VersionRow> = q.fetch_all(&mut *tx).await?;
                let last_sql = format!(
                    "SELECT {EVENT_COLS} FROM events e WHERE {} AND e.seq = (SELECT MAX(x.seq) FROM events x WHERE x.case_id = e.case_id)",
                    range("case_id")
                );
                let mut q = sqlx::query_as::<_, EventRow>(crate::sql::safe(&last_sql)).bind(t).bind(&lo);
                if let Some(h) = &hi {
                    q = q.bind(h.clone());
                }
                let last: Vec<EventRow> = q.fetch_all(&mut *tx).await?;
                tx.commit().await?;
                Ok::<_, StoreError>((cases, parts, versions, last, hi))
            }.await)?;
            let (cases, parts, versions, last, hi) = page;
            let mut by_case: HashMap<String, CaseParts> = HashMap::new();
            for r in &parts {
                by_case.entry(r.9.clone()).or_default().push(r);
            }
            for v in &versions {
                by_case.entry(v.case_id.clone()).or_default().versions.push(crate::records::version_json(v));
            }
            let mut events: HashMap<String, EventRow> =
                last.into_iter().filter_map(|e| e.case_id.clone().map(|c| (c, e))).collect();
            for c in &cases {
                let record = format!("案件 {}", c.raw.receipt_no);
                let parts = by_case.remove(&c.raw.id).unwrap_or_default().normalise();
                let Some(ev) = events.remove(&c.raw.id) else {
                    problems.checked += 1;
                    problems.push(record, None, "没有任何事件记录它（在链外写入）".into());
                    continue;
                };
                let Some(sealed) = problems.authentic(&record, &ev, key.as_ref()) else { continue };
                if fazhi_domain::record::scheme_of(&sealed) != CASE_SCHEME {
                    problems.push(record, Some(ev.seq), format!("第 {} 号事件的摘要格式未知", ev.seq));
                    continue;
                }
                problems.compare(&record, ev.seq, &sealed, &case_fields_raw(&c.raw, &c.columns(), &parts));
            }
            // Whatever is left in the range belongs to no case row.
            let mut gone: Vec<(String, i64)> = events.into_iter().map(|(c, e)| (c, e.seq)).collect();
            gone.sort();
            for (case, seq) in gone {
                problems.push(
                    format!("案件 {case}"),
                    Some(seq),
                    format!("案件记录已被删除（第 {seq} 号事件记录了它）"),
                );
            }
            let mut orphans: Vec<String> = by_case.into_keys().collect();
            orphans.sort();
            for case in orphans {
                problems.push(
                    format!("案件 {case}"),
                    None,
                    "当事人索引、附件、关联或历史版本行指向不存在的案件记录".into(),
                );
            }
            match (hi, cases.last()) {
                (Some(_), Some(last)) => lo = last.raw.id.clone(),
                _ => return Ok(()),
            }
        }
    }

    /// Holds the tenant, its units, users and report drafts, and the calendar years, to the last
    /// event about each (events with a subject): every record must have one, and every subject
    /// the chain knows must still have its record.
    async fn check_other_records(&self, t: &str, problems: &mut Problems) -> Result<()> {
        use crate::records::*;
        use std::collections::{BTreeMap, HashMap};
        let key = self.chain_key.clone();
        let pg = self.is_postgres();
        let (subject_rows, tenants, units, users, roles, drafts, years) = on_reader!(self, pool => async {
            let mut tx = pool.begin().await?;
            if pg {
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ").execute(&mut *tx).await?;
            }
            let subject_rows: Vec<EventRow> = sqlx::query_as(crate::sql::safe(&format!(
                "SELECT {EVENT_COLS} FROM events e WHERE e.tenant_id = $1 AND e.subject IS NOT NULL \
                 AND e.seq = (SELECT MAX(x.seq) FROM events x WHERE x.tenant_id = $1 AND x.subject = e.subject)"
            )))
            .bind(t)
            .fetch_all(&mut *tx)
            .await?;
            let tenants: Vec<TenantSealRow> = sqlx::query_as(crate::sql::safe(&format!("SELECT {TENANT_SEAL_COLS} FROM tenants WHERE id = $1")))
                .bind(t).fetch_all(&mut *tx).await?;
            let units: Vec<UnitSealRow> = sqlx::query_as(crate::sql::safe(&format!("SELECT {UNIT_SEAL_COLS} FROM units WHERE tenant_id = $1")))
                .bind(t).fetch_all(&mut *tx).await?;
            let users: Vec<UserSealRow> = sqlx::query_as(crate::sql::safe(&format!("SELECT {USER_SEAL_COLS} FROM users WHERE tenant_id = $1")))
                .bind(t).fetch_all(&mut *tx).await?;
            let roles: Vec<(String, String)> = sqlx::query_as(
                "SELECT r.user_id, r.role FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.tenant_id = $1",
            )
            .bind(t).fetch_all(&mut *tx).await?;
            let drafts: Vec<DraftSealRow> = sqlx::query_as(crate::sql::safe(&format!("SELECT {DRAFT_SEAL_COLS} FROM report_drafts WHERE tenant_id = $1")))
                .bind(t).fetch_all(&mut *tx).await?;
            let years: Vec<CalendarSealRow> = sqlx::query_as(crate::sql::safe(&format!("SELECT {CALENDAR_SEAL_COLS} FROM calendar_years")))
                .fetch_all(&mut *tx).await?;
            tx.commit().await?;
            Ok::<_, StoreError>((subject_rows, tenants, units, users, roles, drafts, years))
        }.await)?;
        let mut last: HashMap<String, EventRow> =
            subject_rows.into_iter().filter_map(|e| e.subject.clone().map(|s| (s, e))).collect();
        let mut role_map: HashMap<String, Vec<String>> = HashMap::new();
        for (u, r) in roles {
            role_map.entry(u).or_default().push(r);
        }
        // Every record as (subject, how it is named, scheme, fields).
        let mut records: BTreeMap<String, (String, &'static str, Vec<fazhi_domain::record::Field>)> = BTreeMap::new();
        for r in &tenants {
            records.insert(subject::tenant(&r.id), (format!("租户 {}", r.code), "tenant1", tenant_fields(r)));
        }
        for r in &units {
            records.insert(subject::unit(&r.id), (format!("单位 {}（{}）", r.name, r.path), "unit1", unit_fields(r)));
        }
        for r in &users {
            let roles = role_map.remove(&r.id).unwrap_or_default();
            records.insert(subject::user(&r.id), (format!("用户 {}", r.username), "user1", user_fields(r, &roles)));
        }
        for r in &drafts {
            records.insert(
                subject::draft(r.year, r.version),
                (format!("{} 年度报告草稿第 {} 版", r.year, r.version), "draft1", draft_fields(r)),
            );
        }
        for r in &years {
            records.insert(
                subject::calendar(r.year),
                (format!("{} 年节假日安排", r.year), "calendar1", calendar_fields(r)),
            );
        }
        for (subject, (name, scheme, fields)) in records {
            let Some(ev) = last.remove(&subject) else {
                problems.checked += 1;
                problems.push(name, None, "没有任何事件记录它（在链外写入）".into());
                continue;
            };
            let Some(sealed) = problems.authentic(&name, &ev, key.as_ref()) else { continue };
            if fazhi_domain::record::scheme_of(&sealed) != scheme {
                problems.push(name, Some(ev.seq), format!("第 {} 号事件的摘要格式未知", ev.seq));
                continue;
            }
            problems.compare(&name, ev.seq, &sealed, &fields);
        }
        let mut gone: Vec<(String, i64)> = last.into_iter().map(|(s, e)| (s, e.seq)).collect();
        gone.sort();
        for (subject, seq) in gone {
            problems.push(subject_label(&subject), Some(seq), format!("记录已被删除（第 {seq} 号事件记录了它）"));
        }
        Ok(())
    }

    /// Every event of a tenant with what was sealed into it and its MAC, in chain order — for
    /// tests that play an attacker who rewrites the chain.
    ///
    /// # Errors
    /// Database errors.
    #[doc(hidden)]
    pub async fn raw_chain(&self, tenant: TenantId) -> Result<Vec<(Event, Seal, Option<String>)>> {
        let sql = format!("SELECT {EVENT_COLS} FROM events WHERE tenant_id = $1 ORDER BY seq");
        let rows: Vec<EventRow> = on_reader!(self, pool => sqlx::query_as(crate::sql::safe(&sql)).bind(tenant.to_string()).fetch_all(pool).await)?;
        rows.into_iter()
            .map(|r| {
                let (seal, mac) = r.seal();
                Ok((Event::try_from(r)?, seal, mac))
            })
            .collect()
    }

    /// A tenant's chain head `(seq, hash)`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn chain_head(&self, tenant: TenantId) -> Result<Option<(i64, String)>> {
        Ok(on_reader!(self, pool => sqlx::query_as("SELECT seq, hash FROM chain_heads WHERE tenant_id = $1")
            .bind(tenant.to_string())
            .fetch_optional(pool)
            .await)?)
    }

    /// One page of a tenant's attachments `(case id, receipt number, file hash)` after `after`, in
    /// order (verification re-hashes each file from disk).
    ///
    /// # Errors
    /// Database errors.
    pub async fn attachment_files(
        &self,
        tenant: TenantId,
        after: Option<(String, String)>,
        limit: u32,
    ) -> Result<Vec<(String, String, String)>> {
        let (a_case, a_hash) = after.unwrap_or_default();
        let rows: Vec<(String, String, String)> = on_reader!(self, pool => sqlx::query_as(crate::sql::safe(&format!(
            "SELECT a.case_id, COALESCE(c.receipt_no, a.case_id), a.hash FROM attachments a LEFT JOIN cases c ON c.id = a.case_id \
             WHERE a.tenant_id = $1 AND (a.case_id > $2 OR (a.case_id = $2 AND a.hash > $3)) ORDER BY a.case_id, a.hash LIMIT {limit}"
        )))
        .bind(tenant.to_string())
        .bind(&a_case)
        .bind(&a_hash)
        .fetch_all(pool)
        .await)?;
        Ok(rows)
    }
}
