//! Cases: creating, applying actions (case row + event + outbox in one transaction, with
//! optimistic concurrency), reading within a scope, lists, counts and sums for metrics.

use fazhi_domain::case::{CaseRecord, Clocks, Phase};
use fazhi_domain::event::Event;
use fazhi_domain::ids::{CaseId, TenantId, UnitId, UserId};
use fazhi_domain::unit::UnitPath;
use serde_json::{Map, Value as Json};
use sqlx::types::Json as SqlJson;

use crate::attachments::NewAttachment;
use crate::events::append_event;
use crate::model::{CaseFilter, CaseListItem, Page, Scope};
use crate::sql::{self, Sql, bind_all};
use crate::{Result, Store, StoreError};

/// What an action writes: the case as it is after the action, the event (unlinked: the store
/// links it to the chain), and the keyed digests of identifiers given.
#[derive(Debug, Clone)]
pub struct CaseWrite<'a> {
    pub case: &'a CaseRecord,
    pub event: Event,
    pub digests: &'a [(String, String)],
    /// The keyed digest of the public query code (set when a case is opened).
    pub query_digest: Option<&'a str>,
}

/// One event of an imported case (demo data, bulk generation).
#[derive(Debug, Clone)]
pub struct ImportEvent {
    pub event: Event,
}

/// A case with its whole history, written in bulk.
#[derive(Debug, Clone)]
pub struct ImportCase {
    pub case: CaseRecord,
    pub events: Vec<Event>,
    pub digests: Vec<(String, String)>,
    pub query_digest: Option<String>,
}

#[derive(sqlx::FromRow)]
struct CaseRow {
    id: String,
    tenant_id: String,
    kind: String,
    receipt_no: String,
    title: String,
    category: Option<String>,
    urgency: Option<String>,
    state: String,
    phase: String,
    unit_id: String,
    unit_path: String,
    location: Option<String>,
    data: SqlJson<Map<String, Json>>,
    clocks: SqlJson<Clocks>,
    opened_at: i64,
    closed_at: Option<i64>,
    updated_at: i64,
    created_by: Option<String>,
    version: i64,
    search_text: String,
}

#[derive(sqlx::FromRow)]
struct CaseListRow {
    #[sqlx(flatten)]
    case: CaseRow,
    unit_name: String,
}

const CASE_COLS: &str = "c.id, c.tenant_id, c.kind, c.receipt_no, c.title, c.category, c.urgency, c.state, c.phase, \
     c.unit_id, c.unit_path, c.location, c.data, c.clocks, c.opened_at, c.closed_at, c.updated_at, c.created_by, \
     c.version, c.search_text";

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("case: {e}"))
}

impl TryFrom<CaseRow> for CaseRecord {
    type Error = StoreError;
    fn try_from(r: CaseRow) -> Result<Self> {
        Ok(CaseRecord {
            id: CaseId::parse(&r.id).map_err(corrupt)?,
            tenant_id: TenantId::parse(&r.tenant_id).map_err(corrupt)?,
            kind: r.kind,
            receipt_no: r.receipt_no,
            title: r.title,
            category: r.category,
            urgency: r.urgency,
            state: r.state,
            phase: Phase::parse(&r.phase).map_err(corrupt)?,
            unit_id: UnitId::parse(&r.unit_id).map_err(corrupt)?,
            unit_path: UnitPath::parse(&r.unit_path).map_err(corrupt)?,
            location: r.location,
            data: r.data.0,
            clocks: r.clocks.0,
            opened_at: r.opened_at,
            closed_at: r.closed_at,
            updated_at: r.updated_at,
            created_by: r.created_by.map(|u| UserId::parse(&u)).transpose().map_err(corrupt)?,
            version: r.version,
            search_text: r.search_text,
        })
    }
}

/// Inserts a case row inside `$tx`.
macro_rules! insert_case {
    ($tx:expr, $c:expr, $query_digest:expr) => {{
        let c: &fazhi_domain::case::CaseRecord = $c;
        sqlx::query(
            "INSERT INTO cases (id, tenant_id, kind, receipt_no, query_digest, title, category, urgency, state, phase, \
             unit_id, unit_path, location, data, clocks, due_on, statutory_due_on, provisional, opened_at, closed_at, \
             updated_at, created_by, version, search_text) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24)",
        )
        .bind(c.id.to_string())
        .bind(c.tenant_id.to_string())
        .bind(&c.kind)
        .bind(&c.receipt_no)
        .bind($query_digest)
        .bind(&c.title)
        .bind(&c.category)
        .bind(&c.urgency)
        .bind(&c.state)
        .bind(c.phase.code())
        .bind(c.unit_id.to_string())
        .bind(c.unit_path.as_str())
        .bind(&c.location)
        .bind(sqlx::types::Json(&c.data))
        .bind(sqlx::types::Json(&c.clocks))
        .bind(c.clocks.due_on())
        .bind(c.clocks.statutory_due_on())
        .bind(c.clocks.provisional())
        .bind(c.opened_at)
        .bind(c.closed_at)
        .bind(c.updated_at)
        .bind(c.created_by.map(|u| u.to_string()))
        .bind(c.version)
        .bind(&c.search_text)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// Records identifier digests inside `$tx`.
macro_rules! insert_digests {
    ($tx:expr, $c:expr, $digests:expr) => {{
        let c: &fazhi_domain::case::CaseRecord = $c;
        for (kind, digest) in $digests.iter() {
            sqlx::query(
                "INSERT INTO party_index (tenant_id, case_id, kind, digest) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(c.tenant_id.to_string())
            .bind(c.id.to_string())
            .bind(kind)
            .bind(digest)
            .execute(&mut *$tx)
            .await?;
        }
    }};
}

/// Updates a case row inside `$tx` if it is still at version `$expected`; otherwise returns
/// `StoreError::Stale` (or `StoreError::NotFound`) from the enclosing async block.
macro_rules! update_case {
    ($tx:expr, $c:expr, $expected:expr) => {{
        let c: &fazhi_domain::case::CaseRecord = $c;
        let done = sqlx::query(
            "UPDATE cases SET title = $3, category = $4, urgency = $5, state = $6, phase = $7, unit_id = $8, \
             unit_path = $9, location = $10, data = $11, clocks = $12, due_on = $13, statutory_due_on = $14, \
             provisional = $15, closed_at = $16, updated_at = $17, version = $18, search_text = $19 \
             WHERE id = $1 AND version = $2",
        )
        .bind(c.id.to_string())
        .bind($expected)
        .bind(&c.title)
        .bind(&c.category)
        .bind(&c.urgency)
        .bind(&c.state)
        .bind(c.phase.code())
        .bind(c.unit_id.to_string())
        .bind(c.unit_path.as_str())
        .bind(&c.location)
        .bind(sqlx::types::Json(&c.data))
        .bind(sqlx::types::Json(&c.clocks))
        .bind(c.clocks.due_on())
        .bind(c.clocks.statutory_due_on())
        .bind(c.clocks.provisional())
        .bind(c.closed_at)
        .bind(c.updated_at)
        .bind(c.version)
        .bind(&c.search_text)
        .execute(&mut *$tx)
        .await?;
        if done.rows_affected() == 0 {
            let current: Option<(i64,)> = sqlx::query_as("SELECT version FROM cases WHERE id = $1")
                .bind(c.id.to_string())
                .fetch_optional(&mut *$tx)
                .await?;
            return Err(match current {
                Some((v,)) => $crate::StoreError::Stale { current: v },
                None => $crate::StoreError::NotFound,
            });
        }
    }};
}

/// Writes imported cases with their events (chained in the order given) inside `$tx`, raising
/// receipt counters to the highest number written.
macro_rules! import_batch {
    ($tx:expr, $pg:expr, $batch:expr) => {{
        let pg: bool = $pg;
        for item in $batch.iter() {
            insert_case!($tx, &item.case, item.query_digest.as_deref());
            insert_digests!($tx, &item.case, item.digests);
            for e in &item.events {
                let _ = append_event!($tx, pg, e.clone(), None::<String>);
            }
            // AT-GD-2023-000123 → counter (tenant, kind, 2023) ≥ 123.
            let mut parts = item.case.receipt_no.rsplitn(3, '-');
            let seq = parts.next().and_then(|s| s.parse::<i64>().ok());
            let year = parts.next().and_then(|s| s.parse::<i64>().ok());
            if let (Some(seq), Some(year)) = (seq, year) {
                sqlx::query(
                    "INSERT INTO receipt_counters (tenant_id, kind, year, last) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (tenant_id, kind, year) DO UPDATE SET last = CASE WHEN receipt_counters.last > $4 THEN receipt_counters.last ELSE $4 END",
                )
                .bind(item.case.tenant_id.to_string())
                .bind(&item.case.kind)
                .bind(year)
                .bind(seq)
                .execute(&mut *$tx)
                .await?;
            }
        }
    }};
}

/// Gives `$case` (a mutable [`CaseRecord`]) the next receipt number of its tenant, kind and year
/// inside `$tx`: `$prefix` + six digits.
macro_rules! number_case {
    ($tx:expr, $case:expr, $prefix:expr, $year:expr) => {{
        let (seq,): (i64,) = sqlx::query_as(
            "INSERT INTO receipt_counters (tenant_id, kind, year, last) VALUES ($1, $2, $3, 1) \
             ON CONFLICT (tenant_id, kind, year) DO UPDATE SET last = receipt_counters.last + 1 RETURNING last",
        )
        .bind($case.tenant_id.to_string())
        .bind(&$case.kind)
        .bind(i64::from($year))
        .fetch_one(&mut *$tx)
        .await?;
        $case.receipt_no = format!("{}{seq:06}", $prefix);
    }};
}

pub(crate) use {import_batch, insert_case, insert_digests, number_case, update_case};

/// The receipt number prefix for a tenant, kind and year: AT-GD-2024-.
pub fn receipt_prefix(tenant_code: &str, kind_code: &str, year: i32) -> String {
    format!("{tenant_code}-{kind_code}-{year}-")
}

impl Store {
    /// Creates a case: numbers it (`prefix` + the next sequence of its tenant, kind and year, six
    /// digits), inserts the row, its identifier digests, its first event and outbox row — one
    /// transaction. Returns the case as stored and the linked event.
    ///
    /// # Errors
    /// Database errors; nothing is written.
    pub async fn create_case(&self, w: CaseWrite<'_>, prefix: &str, year: i32) -> Result<(CaseRecord, Event)> {
        let pg = self.is_postgres();
        let mut case = w.case.clone();
        on_writer!(self, pool => async {
            let mut tx = pool.begin().await?;
            number_case!(tx, case, prefix, year);
            insert_case!(tx, &case, w.query_digest);
            insert_digests!(tx, &case, w.digests);
            let topic = Some(format!("case.{}.{}", case.kind, w.event.action));
            let ev = append_event!(tx, pg, w.event, topic);
            tx.commit().await?;
            Ok::<_, StoreError>((case, ev))
        }.await)
    }

    /// Applies an action: updates the case row only if it is still at `expected_version`, then
    /// appends the event and outbox row — one transaction.
    ///
    /// # Errors
    /// [`StoreError::Stale`] when someone acted meanwhile (nothing is written);
    /// [`StoreError::NotFound`].
    pub async fn apply_action(&self, w: CaseWrite<'_>, expected_version: i64) -> Result<Event> {
        self.apply_action_with_files(w, expected_version, &[]).await
    }

    /// As [`Store::apply_action`], also recording the files the action attached (their bytes are
    /// already stored by content hash) — in the same transaction.
    ///
    /// # Errors
    /// As [`Store::apply_action`].
    pub async fn apply_action_with_files(
        &self,
        w: CaseWrite<'_>,
        expected_version: i64,
        files: &[NewAttachment],
    ) -> Result<Event> {
        let pg = self.is_postgres();
        let c = w.case;
        on_writer!(self, pool => async {
            let mut tx = pool.begin().await?;
            update_case!(tx, c, expected_version);
            insert_digests!(tx, c, w.digests);
            let topic = Some(format!("case.{}.{}", c.kind, w.event.action));
            let ev = append_event!(tx, pg, w.event, topic);
            for f in files {
                sqlx::query(
                    "INSERT INTO attachments (case_id, hash, tenant_id, event_id, name, mime, size, uploaded_by, uploaded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (case_id, hash) DO NOTHING",
                )
                .bind(c.id.to_string())
                .bind(&f.hash)
                .bind(c.tenant_id.to_string())
                .bind(ev.id.to_string())
                .bind(&f.name)
                .bind(&f.mime)
                .bind(f.size)
                .bind(ev.actor_id.map(|u| u.to_string()))
                .bind(ev.occurred_at)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(ev)
        }.await)
    }

    /// Writes whole cases with their histories in one transaction (demo data, bulk loads). Events
    /// are chained in the order given. Receipt counters are raised to the highest number written.
    ///
    /// # Errors
    /// Database errors; nothing of the batch is written.
    pub async fn import_cases(&self, batch: &[ImportCase]) -> Result<()> {
        let pg = self.is_postgres();
        on_writer!(self, pool => async {
            let mut tx = pool.begin().await?;
            import_batch!(tx, pg, batch);
            tx.commit().await?;
            Ok::<_, StoreError>(())
        }.await)
    }

    /// A case, if it lies within `scope`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn case(&self, scope: &Scope, id: CaseId) -> Result<Option<CaseRecord>> {
        let mut q = Sql::new(&format!("SELECT {CASE_COLS} FROM cases c WHERE 1 = 1"));
        let p = q.text_arg(id.to_string());
        q.push(&format!(" AND c.id = {p}"));
        sql::scope(&mut q, scope);
        let row: Option<CaseRow> = on_reader!(self, pool => bind_all!(sqlx::query_as(crate::sql::safe(&q.text)), &q.args).fetch_optional(pool).await)?;
        row.map(CaseRecord::try_from).transpose()
    }

    /// A case by receipt number and the digest of its query code (the public tracking page).
    ///
    /// # Errors
    /// Database errors.
    pub async fn case_by_receipt(&self, receipt_no: &str, query_digest: &str) -> Result<Option<CaseRecord>> {
        let q = format!("SELECT {CASE_COLS} FROM cases c WHERE c.receipt_no = $1 AND c.query_digest = $2");
        let row: Option<CaseRow> = on_reader!(self, pool => sqlx::query_as(crate::sql::safe(&q)).bind(receipt_no).bind(query_digest).fetch_optional(pool).await)?;
        row.map(CaseRecord::try_from).transpose()
    }

    /// Which tenant a case belongs to, whatever the reader's scope (to tell "not yours" from
    /// "does not exist").
    ///
    /// # Errors
    /// Database errors.
    pub async fn case_tenant(&self, id: CaseId) -> Result<Option<TenantId>> {
        let row: Option<(String,)> = on_reader!(self, pool => sqlx::query_as("SELECT tenant_id FROM cases WHERE id = $1").bind(id.to_string()).fetch_optional(pool).await)?;
        row.map(|(t,)| TenantId::parse(&t).map_err(corrupt)).transpose()
    }

    /// One page of cases within `scope` matching `filter`, with the total.
    ///
    /// # Errors
    /// Database errors.
    pub async fn list_cases(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        page: u32,
        per_page: u32,
    ) -> Result<Page<CaseListItem>> {
        let per_page = per_page.clamp(1, 1000);
        let page = page.max(1);
        let items = self.list_cases_raw(scope, filter, per_page, (page - 1) * per_page).await?;
        let total = self.count_cases(scope, filter).await?;
        Ok(Page { items, total, page, per_page })
    }

    /// Cases within `scope` matching `filter`, `limit` from `offset`, without the total (exports
    /// page through with this).
    ///
    /// # Errors
    /// Database errors.
    pub async fn list_cases_raw(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        limit: u32,
        offset: u32,
    ) -> Result<Vec<CaseListItem>> {
        let mut q = Sql::new(&format!(
            "SELECT {CASE_COLS}, u.name AS unit_name FROM cases c JOIN units u ON u.id = c.unit_id WHERE 1 = 1"
        ));
        sql::scope(&mut q, scope);
        sql::filter(&mut q, filter);
        sql::order(&mut q, filter);
        q.push(&format!(" LIMIT {limit} OFFSET {offset}"));
        let rows: Vec<CaseListRow> = on_reader!(self, pool => bind_all!(sqlx::query_as(crate::sql::safe(&q.text)), &q.args).fetch_all(pool).await)?;
        rows.into_iter()
            .map(|r| Ok(CaseListItem { case: CaseRecord::try_from(r.case)?, unit_name: r.unit_name }))
            .collect()
    }

    /// How many cases within `scope` match `filter`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn count_cases(&self, scope: &Scope, filter: &CaseFilter) -> Result<u64> {
        let mut q = Sql::new("SELECT COUNT(*) FROM cases c WHERE 1 = 1");
        sql::scope(&mut q, scope);
        sql::filter(&mut q, filter);
        let (n,): (i64,) = on_reader!(self, pool => bind_all!(sqlx::query_as(crate::sql::safe(&q.text)), &q.args).fetch_one(pool).await)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Open cases whose dates rest on a year without calendar data.
    ///
    /// # Errors
    /// Database errors.
    pub async fn provisional_cases(&self) -> Result<Vec<CaseRecord>> {
        let q = format!("SELECT {CASE_COLS} FROM cases c WHERE c.provisional = $1 ORDER BY c.id");
        let rows: Vec<CaseRow> =
            on_reader!(self, pool => sqlx::query_as(crate::sql::safe(&q)).bind(true).fetch_all(pool).await)?;
        rows.into_iter().map(CaseRecord::try_from).collect()
    }
}
