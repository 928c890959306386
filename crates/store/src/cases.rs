//! Cases: creating, applying actions (case row + event + outbox in one transaction, with
//! optimistic concurrency), reading within a scope, lists, counts and sums for metrics.

use std::collections::HashSet;

use fazhi_domain::case::{CaseRecord, Clocks, Phase};
use fazhi_domain::event::Event;
use fazhi_domain::ids::{CaseId, TenantId, UnitId, UserId};
use fazhi_domain::unit::UnitPath;
use serde_json::{Map, Value as Json};
use sqlx::types::Json as SqlJson;

use crate::attachments::NewAttachment;
use crate::events::append_event;
use crate::model::{CaseFilter, CaseListItem, Page, Reader, Scope};
use crate::records::{CaseParts, case_digest};
use crate::sql::{self, Sql, bind_all};
use crate::{Result, Store, StoreError};
use fazhi_domain::event::Seal;

/// A list counts its matches up to this many.
pub const LIST_COUNT_CAP: u64 = 10_000;

/// A free-text search counts its matches up to this many.
pub const TEXT_COUNT_CAP: u64 = 1_000;

/// A list with more matches than this is paged by walking its order (see `page_of_cases`).
const WALK_FROM: u64 = 2_000;

/// On SQLite, a term in at most this many cases leads a text search through the index.
const NARROW_PROBE: i64 = 2_000;

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

/// Whom a case is withheld from (see [`Store::withheld_set`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WithheldSet {
    pub units: Vec<(TenantId, UnitPath)>,
    pub users: Vec<UserId>,
}

impl WithheldSet {
    pub fn is_empty(&self) -> bool {
        self.units.is_empty() && self.users.is_empty()
    }

    /// Whether everyone this set withholds from is withheld from by `other` too (a unit is
    /// covered by itself or a unit above it).
    pub fn within(&self, other: &WithheldSet) -> bool {
        self.units.iter().all(|(t, p)| other.units.iter().any(|(ot, op)| ot == t && op.contains(p)))
            && self.users.iter().all(|u| other.users.contains(u))
    }
}

/// One event of an imported case (demo data, bulk generation).
#[derive(Debug, Clone)]
pub struct ImportEvent {
    pub event: Event,
}

/// The columns of `case_versions`: what figures read of a case as it was at a period's end.
pub(crate) const VERSION_COLS: &str = "case_id, version, tenant_id, kind, category, state, phase, unit_path, data, \
     opened_at, closed_at, effective_at, superseded_at";

/// A case with its whole history, written in bulk.
#[derive(Debug, Clone)]
pub struct ImportCase {
    pub case: CaseRecord,
    /// The versions before `case`, oldest first (one per event but the last); empty when only the
    /// final row is known (generated data).
    pub history: Vec<CaseRecord>,
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
    effective_at: i64,
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
     c.unit_id, c.unit_path, c.location, c.data, c.clocks, c.opened_at, c.closed_at, c.updated_at, c.effective_at, \
     c.created_by, c.version, c.search_text";

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
            effective_at: r.effective_at,
            created_by: r.created_by.map(|u| UserId::parse(&u)).transpose().map_err(corrupt)?,
            version: r.version,
            search_text: r.search_text,
        })
    }
}

/// The columns of a case row, in the order of [`case_row`]. Every path that inserts a case — one
/// registered (`insert_case!`), the group writer's batch (`group.rs`), an import
/// (`import_batch!`) — writes exactly these, from the same values, on both backends.
pub(crate) const CASE_COLUMNS: [&str; 26] = [
    "id",
    "tenant_id",
    "kind",
    "receipt_no",
    "query_digest",
    "title",
    "category",
    "urgency",
    "state",
    "phase",
    "unit_id",
    "unit_path",
    "location",
    "data",
    "clocks",
    "due_on",
    "statutory_due_on",
    "provisional",
    "opened_at",
    "closed_at",
    "updated_at",
    "created_by",
    "version",
    "search_text",
    "search_terms",
    "effective_at",
];

/// `INSERT INTO cases (<every column>) ` — the values follow.
pub(crate) fn insert_cases_sql() -> String {
    format!("INSERT INTO cases ({}) ", CASE_COLUMNS.join(", "))
}

/// A value of a case row, typed as each driver binds it.
pub(crate) enum CaseValue {
    Text(String),
    MaybeText(Option<String>),
    Int(i64),
    MaybeInt(Option<i64>),
    Bool(bool),
    Date(Option<time::Date>),
    /// A JSON document, serialised once (the same text whichever driver writes it).
    Json(Box<serde_json::value::RawValue>),
}

/// The values of a case row, in the order of [`CASE_COLUMNS`].
///
/// # Errors
/// A value that cannot be serialised as JSON.
pub(crate) fn case_row(c: &CaseRecord, query_digest: Option<&str>) -> Result<Vec<CaseValue>> {
    use CaseValue::{Bool, Date, Int, Json, MaybeInt, MaybeText, Text};
    let json = |v: &dyn erased::Json| v.raw().map_err(|e| StoreError::Corrupt(e.to_string()));
    Ok(vec![
        Text(c.id.to_string()),
        Text(c.tenant_id.to_string()),
        Text(c.kind.clone()),
        Text(c.receipt_no.clone()),
        MaybeText(query_digest.map(String::from)),
        Text(c.title.clone()),
        MaybeText(c.category.clone()),
        MaybeText(c.urgency.clone()),
        Text(c.state.clone()),
        Text(c.phase.code().to_string()),
        Text(c.unit_id.to_string()),
        Text(c.unit_path.as_str().to_string()),
        MaybeText(c.location.clone()),
        Json(json(&c.data)?),
        Json(json(&c.clocks)?),
        Date(c.clocks.due_on()),
        Date(c.clocks.statutory_due_on()),
        Bool(c.clocks.provisional()),
        Int(c.opened_at),
        MaybeInt(c.closed_at),
        Int(c.updated_at),
        MaybeText(c.created_by.map(|u| u.to_string())),
        Int(c.version),
        Text(c.search_text.clone()),
        Text(fazhi_domain::search::terms(&c.search_text)),
        Int(c.effective_at),
    ])
}

/// Serialising a value to raw JSON through a trait object (the row's documents differ in type).
mod erased {
    pub trait Json {
        fn raw(&self) -> serde_json::Result<Box<serde_json::value::RawValue>>;
    }

    impl<T: serde::Serialize> Json for T {
        fn raw(&self) -> serde_json::Result<Box<serde_json::value::RawValue>> {
            serde_json::value::to_raw_value(self)
        }
    }
}

/// Runs `$body` with `$x` bound to a case row's value as sqlx binds it (JSON documents as
/// `sqlx::types::Json`): `q = for_case_value!(v, |x| q.bind(x))`.
macro_rules! for_case_value {
    ($v:expr, |$x:ident| $body:expr) => {
        match $v {
            $crate::cases::CaseValue::Text($x) => $body,
            $crate::cases::CaseValue::MaybeText($x) => $body,
            $crate::cases::CaseValue::Int($x) => $body,
            $crate::cases::CaseValue::MaybeInt($x) => $body,
            $crate::cases::CaseValue::Bool($x) => $body,
            $crate::cases::CaseValue::Date($x) => $body,
            $crate::cases::CaseValue::Json(j) => {
                let $x = sqlx::types::Json(j);
                $body
            }
        }
    };
}

/// Inserts a case row inside `$tx`.
macro_rules! insert_case {
    ($tx:expr, $c:expr, $query_digest:expr) => {{
        let c: &fazhi_domain::case::CaseRecord = $c;
        let values = $crate::cases::case_row(c, $query_digest)?;
        let sql = format!(
            "{}VALUES ({})",
            $crate::cases::insert_cases_sql(),
            (1..=$crate::cases::CASE_COLUMNS.len()).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
        );
        let mut q = sqlx::query(crate::sql::safe(&sql));
        for v in values {
            q = $crate::cases::for_case_value!(v, |x| q.bind(x));
        }
        q.execute(&mut *$tx).await?;
    }};
}

/// The statements that record whom a case is withheld from (《信访工作条例》第三十条), one text
/// for both backends and both SQLite drivers (`?n` placeholders). Rows are only ever added: a
/// case once withheld from a reader stays withheld from them.
pub(crate) mod withhold_sql {
    /// ?1 case, ?2 the accused unit's id ('' when the marker names none), ?3 the case's tenant.
    /// The unit's path; for a unit that cannot be found, the root of the case's town — failing
    /// closed: the case is then withheld from every staff member of that town.
    pub const UNIT: &str = "INSERT INTO case_withheld_units (case_id, tenant_id, unit_path) \
         SELECT ?1, u.tenant_id, u.path FROM units u \
         WHERE u.id = ?2 OR (u.tenant_id = ?3 AND u.parent_id IS NULL AND NOT EXISTS (SELECT 1 FROM units v WHERE v.id = ?2)) \
         ON CONFLICT DO NOTHING";
    /// ?1 case, ?2 user.
    pub const USER: &str = "INSERT INTO case_withheld_users (case_id, user_id) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
    /// ?1 case: the visit a case was converted from is withheld from the same readers as the case
    /// (it carries the same accuser and words).
    pub const CONVERTED_UNITS: &str = "INSERT INTO case_withheld_units (case_id, tenant_id, unit_path) \
         SELECT l.from_case, w.tenant_id, w.unit_path FROM case_links l JOIN case_withheld_units w ON w.case_id = l.to_case \
         WHERE l.to_case = ?1 AND l.relation = 'converted' ON CONFLICT DO NOTHING";
    pub const CONVERTED_USERS: &str = "INSERT INTO case_withheld_users (case_id, user_id) \
         SELECT l.from_case, w.user_id FROM case_links l JOIN case_withheld_users w ON w.case_id = l.to_case \
         WHERE l.to_case = ?1 AND l.relation = 'converted' ON CONFLICT DO NOTHING";

    /// The text with PostgreSQL's `$n` placeholders.
    pub fn pg(text: &str) -> String {
        text.replace('?', "$")
    }
}

/// Records whom `$c` is withheld from inside `$tx`, if its data carries the confidentiality
/// marker: in the same transaction as the case row, so a case is never readable before its
/// rule is. Also extends the rule to the visit it was converted from.
macro_rules! withhold_case {
    ($tx:expr, $pg:expr, $c:expr) => {{
        let c: &fazhi_domain::case::CaseRecord = $c;
        if let Some(w) = fazhi_domain::workflow::shared::withheld_parties(&c.data) {
            use $crate::cases::withhold_sql as ws;
            let q = |t: &str| if $pg { ws::pg(t) } else { t.to_string() };
            let id = c.id.to_string();
            sqlx::query(crate::sql::safe(&q(ws::UNIT)))
                .bind(&id)
                .bind(w.unit.map(|u| u.to_string()).unwrap_or_default())
                .bind(c.tenant_id.to_string())
                .execute(&mut *$tx)
                .await?;
            for u in &w.users {
                sqlx::query(crate::sql::safe(&q(ws::USER))).bind(&id).bind(u.to_string()).execute(&mut *$tx).await?;
            }
            for t in [ws::CONVERTED_UNITS, ws::CONVERTED_USERS] {
                sqlx::query(crate::sql::safe(&q(t))).bind(&id).execute(&mut *$tx).await?;
            }
        }
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

/// Reads, inside `$tx`, what hangs off case `$id` (its party digests, attachments and links) for
/// its seal (`records.rs`).
macro_rules! case_parts {
    ($tx:expr, $id:expr) => {{
        let rows: Vec<$crate::records::PartRow> =
            sqlx::query_as(crate::sql::safe(&$crate::records::parts_of_case_sql()))
                .bind($id.to_string())
                .fetch_all(&mut *$tx)
                .await?;
        let mut parts = $crate::records::CaseParts::default();
        for r in &rows {
            parts.push(r);
        }
        let versions: Vec<$crate::records::VersionRow> =
            sqlx::query_as(crate::sql::safe(&$crate::records::versions_sql("case_id = $1")))
                .bind($id.to_string())
                .fetch_all(&mut *$tx)
                .await?;
        parts.versions = versions.iter().map($crate::records::version_json).collect();
        parts.normalise()
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
             provisional = $15, closed_at = $16, updated_at = $17, version = $18, search_text = $19, \
             search_terms = $20, effective_at = $21 WHERE id = $1 AND version = $2",
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
        .bind(fazhi_domain::search::terms(&c.search_text))
        .bind(c.effective_at)
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
    ($tx:expr, $pg:expr, $key:expr, $batch:expr, $links:expr, $after_rows:block) => {{
        let pg: bool = $pg;
        let key: Option<&fazhi_domain::event::ChainKey> = $key;
        let batch: &[$crate::cases::ImportCase] = $batch;
        let links: &[$crate::links::CaseLink] = $links;
        // Many rows per statement: a statement per row was ~130 µs of round trip each on SQLite,
        // which made a million generated cases take a quarter of an hour. Rows per statement stay
        // well under SQLite's 32,766 bound parameters.
        const CASE_ROWS: usize = 400;
        const EVENT_ROWS: usize = 1_000;
        // (18 columns × 1,000 rows stays under SQLite's 32,766 bound parameters.)
        for chunk in batch.chunks(CASE_ROWS) {
            let rows = chunk
                .iter()
                .map(|item| $crate::cases::case_row(&item.case, item.query_digest.as_deref()))
                .collect::<$crate::Result<Vec<_>>>()?;
            let mut qb = sqlx::QueryBuilder::new($crate::cases::insert_cases_sql());
            qb.push_values(rows, |mut b, values| {
                for v in values {
                    $crate::cases::for_case_value!(v, |x| {
                        b.push_bind(x);
                    });
                }
            });
            qb.build().execute(&mut *$tx).await?;
        }
        // The versions each imported case went through before its last: the same rows the
        // `cases_keep_versions` trigger keeps for cases updated one action at a time.
        let versions: Vec<(&fazhi_domain::case::CaseRecord, i64)> = batch
            .iter()
            .flat_map(|item| {
                let next = item.history.iter().skip(1).map(|c| c.effective_at).chain([item.case.effective_at]);
                item.history.iter().zip(next)
            })
            .collect();
        for chunk in versions.chunks(CASE_ROWS) {
            let mut qb = sqlx::QueryBuilder::new(format!("INSERT INTO case_versions ({}) ", $crate::cases::VERSION_COLS));
            qb.push_values(chunk, |mut b, (c, superseded)| {
                b.push_bind(c.id.to_string())
                    .push_bind(c.version)
                    .push_bind(c.tenant_id.to_string())
                    .push_bind(c.kind.clone())
                    .push_bind(c.category.clone())
                    .push_bind(c.state.clone())
                    .push_bind(c.phase.code())
                    .push_bind(c.unit_path.as_str().to_string())
                    .push_bind(sqlx::types::Json(c.data.clone()))
                    .push_bind(c.opened_at)
                    .push_bind(c.closed_at)
                    .push_bind(c.effective_at)
                    .push_bind(*superseded);
            });
            qb.build().execute(&mut *$tx).await?;
        }
        for item in batch {
            insert_digests!($tx, &item.case, item.digests);
            withhold_case!($tx, pg, &item.case);
        }
        $after_rows
        // Each case's last event seals the case as imported (its row, identifiers and links; an
        // imported case has no attachments); the events before it have no row to seal.
        let mut seals: std::collections::HashMap<fazhi_domain::ids::EventId, fazhi_domain::event::Seal> =
            std::collections::HashMap::new();
        for item in batch {
            if let Some(last) = item.events.last() {
                let mut parts = $crate::records::CaseParts::of_digests(&item.digests);
                for l in links.iter().filter(|l| l.from_case == item.case.id || l.to_case == item.case.id) {
                    parts.links.push(l.seal_json());
                }
                let next = item.history.iter().skip(1).map(|c| c.effective_at).chain([item.case.effective_at]);
                for (v, superseded) in item.history.iter().zip(next) {
                    parts.versions.push($crate::records::version_json(&$crate::records::VersionRow::of(v, superseded)));
                }
                let parts = parts.normalise();
                let digest = $crate::records::case_digest(&item.case, item.query_digest.as_deref(), &parts);
                seals.insert(last.id, fazhi_domain::event::Seal::case(digest));
            }
        }
        // Events: linked in memory to each tenant's chain head, in the order given.
        let mut heads: std::collections::HashMap<fazhi_domain::ids::TenantId, (i64, String)> =
            std::collections::HashMap::new();
        let mut linked: Vec<(fazhi_domain::event::Event, fazhi_domain::event::Seal, Option<String>)> = Vec::new();
        let lock = if pg { " FOR UPDATE" } else { "" };
        for e in batch.iter().flat_map(|item| item.events.iter()) {
            if !heads.contains_key(&e.tenant_id) {
                let head: (i64, String) = sqlx::query_as(crate::sql::safe(&format!(
                    "SELECT seq, hash FROM chain_heads WHERE tenant_id = $1{lock}"
                )))
                .bind(e.tenant_id.to_string())
                .fetch_one(&mut *$tx)
                .await?;
                heads.insert(e.tenant_id, head);
            }
            let head = heads.get_mut(&e.tenant_id).ok_or(StoreError::NotFound)?;
            let seal = seals.remove(&e.id).unwrap_or_default();
            let ev = e.clone().link_sealed(head.0, &head.1, &seal);
            *head = (ev.seq, ev.hash.clone());
            let mac = key.map(|k| k.mac(&ev.hash));
            linked.push((ev, seal, mac));
        }
        for chunk in linked.chunks(EVENT_ROWS) {
            let mut qb = sqlx::QueryBuilder::new(format!("INSERT INTO events ({}) ", $crate::events::EVENT_COLS));
            qb.push_values(chunk, |mut b, (ev, seal, mac)| {
                b.push_bind(ev.id.to_string())
                    .push_bind(ev.tenant_id.to_string())
                    .push_bind(ev.seq)
                    .push_bind(ev.case_id.map(|c| c.to_string()))
                    .push_bind(ev.actor_id.map(|c| c.to_string()))
                    .push_bind(ev.actor_name.clone())
                    .push_bind(ev.action.clone())
                    .push_bind(ev.action_label.clone())
                    .push_bind(ev.from_state.clone())
                    .push_bind(ev.to_state.clone())
                    .push_bind(sqlx::types::Json(ev.payload.clone()))
                    .push_bind(sqlx::types::Json(ev.attachments.clone()))
                    .push_bind(ev.occurred_at)
                    .push_bind(ev.prev_hash.clone())
                    .push_bind(ev.hash.clone())
                    .push_bind(seal.subject.clone())
                    .push_bind(seal.digest.clone())
                    .push_bind(mac.clone());
            });
            qb.build().execute(&mut *$tx).await?;
        }
        for (tenant, (seq, hash)) in &heads {
            sqlx::query("UPDATE chain_heads SET seq = $2, hash = $3 WHERE tenant_id = $1")
                .bind(tenant.to_string())
                .bind(*seq)
                .bind(hash)
                .execute(&mut *$tx)
                .await?;
        }
        // Receipt counters rise to the highest number written: AT-GD-2023-000123 → (tenant, kind,
        // 2023) ≥ 123.
        let mut highest: std::collections::BTreeMap<(String, String, i64), i64> = std::collections::BTreeMap::new();
        for item in batch {
            let mut parts = item.case.receipt_no.rsplitn(3, '-');
            let seq = parts.next().and_then(|s| s.parse::<i64>().ok());
            let year = parts.next().and_then(|s| s.parse::<i64>().ok());
            if let (Some(seq), Some(year)) = (seq, year) {
                let top = highest.entry((item.case.tenant_id.to_string(), item.case.kind.clone(), year)).or_insert(seq);
                *top = (*top).max(seq);
            }
        }
        for ((tenant, kind, year), seq) in highest {
            sqlx::query(
                "INSERT INTO receipt_counters (tenant_id, kind, year, last) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (tenant_id, kind, year) DO UPDATE SET last = CASE WHEN receipt_counters.last > $4 THEN receipt_counters.last ELSE $4 END",
            )
            .bind(tenant)
            .bind(kind)
            .bind(year)
            .bind(seq)
            .execute(&mut *$tx)
            .await?;
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

pub(crate) use {
    case_parts, for_case_value, import_batch, insert_case, insert_digests, number_case, update_case, withhold_case,
};

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
        // SQLite: the writer task commits registrations that arrive together in one transaction.
        if let Some(queue) = &self.group {
            let (reply, answer) = tokio::sync::oneshot::channel();
            queue
                .create(crate::group::Job {
                    case: w.case.clone(),
                    event: w.event,
                    digests: w.digests.to_vec(),
                    query_digest: w.query_digest.map(String::from),
                    prefix: prefix.to_string(),
                    year,
                    reply,
                })
                .await?;
            return answer.await.map_err(|_| StoreError::Corrupt("the writer dropped a registration".into()))?;
        }
        let pg = self.is_postgres();
        let mut case = w.case.clone();
        on_writer!(self, pool => async {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            number_case!(tx, case, prefix, year);
            insert_case!(tx, &case, w.query_digest);
            insert_digests!(tx, &case, w.digests);
            withhold_case!(tx, pg, &case);
            let topic = Some(format!("case.{}.{}", case.kind, w.event.action));
            let seal = Seal::case(case_digest(&case, w.query_digest, &CaseParts::of_digests(w.digests)));
            let ev = append_event!(tx, pg, self.chain_key.as_ref(), w.event, topic, seal);
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
            let mut tx = pool.begin_with(self.begin_write()).await?;
            update_case!(tx, c, expected_version);
            insert_digests!(tx, c, w.digests);
            withhold_case!(tx, pg, c);
            // The files first, so the event seals the case with them.
            for f in files {
                sqlx::query(
                    "INSERT INTO attachments (case_id, hash, tenant_id, event_id, name, mime, size, uploaded_by, uploaded_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (case_id, hash) DO NOTHING",
                )
                .bind(c.id.to_string())
                .bind(&f.hash)
                .bind(c.tenant_id.to_string())
                .bind(w.event.id.to_string())
                .bind(&f.name)
                .bind(&f.mime)
                .bind(f.size)
                .bind(w.event.actor_id.map(|u| u.to_string()))
                .bind(w.event.occurred_at)
                .execute(&mut *tx)
                .await?;
            }
            let topic = Some(format!("case.{}.{}", c.kind, w.event.action));
            let parts = case_parts!(tx, c.id);
            let seal = Seal::case(case_digest(c, parts.query_digest.as_deref(), &parts));
            let ev = append_event!(tx, pg, self.chain_key.as_ref(), w.event, topic, seal);
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
            let mut tx = pool.begin_with(self.begin_write()).await?;
            import_batch!(tx, pg, self.chain_key.as_ref(), batch, &[], {});
            tx.commit().await?;
            Ok::<_, StoreError>(())
        }.await)
    }

    /// Computes the search terms of cases written before there were any (migration 0005), a
    /// thousand at a time; the index triggers pick them up.
    ///
    /// # Errors
    /// Database errors.
    pub(crate) async fn backfill_search_terms(&self) -> Result<()> {
        loop {
            let rows: Vec<(String, String)> = on_writer!(self, pool => sqlx::query_as(
                "SELECT id, search_text FROM cases WHERE search_terms IS NULL LIMIT 1000",
            )
            .fetch_all(pool)
            .await)?;
            if rows.is_empty() {
                return Ok(());
            }
            on_writer!(self, pool => async {
                let mut tx = pool.begin_with(self.begin_write()).await?;
                for (id, text) in &rows {
                    sqlx::query("UPDATE cases SET search_terms = $2 WHERE id = $1")
                        .bind(id)
                        .bind(fazhi_domain::search::terms(text))
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok::<_, StoreError>(())
            }
            .await)?;
        }
    }

    /// Brings the SQLite text index up to date now (the maintenance thread otherwise does so
    /// within a quarter of a second; see migration 0005); returns how many cases it indexed.
    /// PostgreSQL's index is always up to date.
    ///
    /// # Errors
    /// Database errors.
    pub async fn catch_up_search_index(&self) -> Result<u64> {
        match &self.group {
            Some(queue) => queue.catch_up_search_index().await,
            None => Ok(0),
        }
    }

    /// A case, if it lies within `scope`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn case(&self, scope: &Scope, id: CaseId) -> Result<Option<CaseRecord>> {
        let mut q = Sql::new(&format!("SELECT {CASE_COLS} FROM cases c WHERE 1 = 1"));
        let p = q.text_arg(id.to_string());
        q.push(&format!(" AND c.id = {p}"));
        sql::scope(&mut q, scope, self.is_postgres());
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

    /// Whether the case exists and is withheld from the scope's reader (检举控告, 《信访工作条例》
    /// 第三十条), however far the reader reaches: an attempt to open it is recorded. `false` for
    /// fazhi's own scopes, which have no reader.
    ///
    /// # Errors
    /// Database errors.
    pub async fn is_withheld(&self, scope: &Scope, id: CaseId) -> Result<bool> {
        Ok(match &scope.reader {
            Some(r) => self.withheld_among(r, &[id]).await?.contains(&id),
            None => false,
        })
    }

    /// Which of these cases are withheld from `reader`, however far the reader reaches.
    ///
    /// # Errors
    /// Database errors.
    pub async fn withheld_among(&self, reader: &Reader, ids: &[CaseId]) -> Result<HashSet<CaseId>> {
        if ids.is_empty() {
            return Ok(HashSet::new());
        }
        let mut q = Sql::new("");
        let withheld = sql::withheld_ids(&mut q, reader);
        let ps: Vec<String> = ids.iter().map(|i| q.text_arg(i.to_string())).collect();
        q.text = format!("SELECT DISTINCT case_id FROM ({withheld}) w WHERE case_id IN ({})", ps.join(", "));
        let rows: Vec<(String,)> = on_reader!(self, pool => bind_all!(sqlx::query_as(crate::sql::safe(&q.text)), &q.args).fetch_all(pool).await)?;
        rows.into_iter().map(|(c,)| CaseId::parse(&c).map_err(corrupt)).collect()
    }

    /// Whom a case is withheld from, as the store keeps it: the accused units' paths (with their
    /// tenant) and the accused users, each sorted. Empty for a case withheld from nobody.
    ///
    /// # Errors
    /// Database errors.
    pub async fn withheld_set(&self, id: CaseId) -> Result<WithheldSet> {
        let units: Vec<(String, String)> = on_reader!(self, pool => sqlx::query_as(
            "SELECT tenant_id, unit_path FROM case_withheld_units WHERE case_id = $1 ORDER BY tenant_id, unit_path",
        )
        .bind(id.to_string())
        .fetch_all(pool)
        .await)?;
        let users: Vec<(String,)> = on_reader!(self, pool => sqlx::query_as(
            "SELECT user_id FROM case_withheld_users WHERE case_id = $1 ORDER BY user_id",
        )
        .bind(id.to_string())
        .fetch_all(pool)
        .await)?;
        Ok(WithheldSet {
            units: units
                .into_iter()
                .map(|(t, p)| Ok((TenantId::parse(&t).map_err(corrupt)?, UnitPath::parse(&p).map_err(corrupt)?)))
                .collect::<Result<_>>()?,
            users: users.into_iter().map(|(u,)| UserId::parse(&u).map_err(corrupt)).collect::<Result<_>>()?,
        })
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
        let plan = self.text_plan(filter).await?;
        let (total, capped) = self.count_capped(scope, filter, &plan).await?;
        // Many matches across several towns: walk the list's order and stop at the page (see
        // `page_of_cases`); few: gather them through the towns' indexes and sort.
        let walk = capped || total > WALK_FROM;
        let items = self.page_of_cases(scope, filter, &plan, per_page, (page - 1) * per_page, walk).await?;
        Ok(Page { items, total, capped, page, per_page })
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
        let plan = self.text_plan(filter).await?;
        self.page_of_cases(scope, filter, &plan, limit, offset, false).await
    }

    /// `SELECT {select} FROM cases c WHERE …`: the cases within `scope` that match `filter` with
    /// its text answered by `plan` — the one query the page and both counts are built on.
    /// `unindexed_scope`: see `page_of_cases`.
    fn matching(
        &self,
        select: &str,
        scope: &Scope,
        filter: &CaseFilter,
        plan: &sql::TextPlan,
        unindexed_scope: bool,
    ) -> Sql {
        let pg = self.is_postgres();
        let mut q = Sql::new(&format!("SELECT {select} FROM {} WHERE 1 = 1", sql::cases_from(plan, pg)));
        if unindexed_scope && !pg {
            sql::scope_unindexed(&mut q, scope);
        } else {
            sql::scope(&mut q, scope, pg);
        }
        sql::filter(&mut q, filter);
        sql::text_index(&mut q, plan, pg, scope);
        q
    }

    /// One page of cases. `walk`: the matches are many, so on SQLite a district's several towns
    /// are not looked up town by town (which gathers every match and sorts them: 1.7 s for a
    /// common word at a million cases) but checked while walking an index in the list's order,
    /// which stops at the page (1 ms). SQLite's planner cannot tell the two apart, as it does not
    /// know how many cases a town or a word has, so the town condition is made unindexable
    /// (`+c.tenant_id`, the documented way to steer it).
    async fn page_of_cases(
        &self,
        scope: &Scope,
        filter: &CaseFilter,
        plan: &sql::TextPlan,
        limit: u32,
        offset: u32,
        walk: bool,
    ) -> Result<Vec<CaseListItem>> {
        // The page is chosen on keys alone, then its rows are read: ordering and skipping then
        // touch only what an index holds, never whole case rows (their data and clocks), which
        // made the district's first page of overdue cases sort megabytes per request.
        let key = if self.is_postgres() { "c.id" } else { "c.rowid" };
        let mut q = self.matching(&format!("{key} AS k"), scope, filter, plan, walk);
        sql::order(&mut q, filter, key);
        q.push(&format!(" LIMIT {limit} OFFSET {offset}"));
        let mut outer = Sql::new("");
        sql::order(&mut outer, filter, key);
        q.text = format!(
            "SELECT {CASE_COLS}, u.name AS unit_name FROM ({}) p JOIN cases c ON {key} = p.k \
             JOIN units u ON u.id = c.unit_id{}",
            q.text, outer.text
        );
        let rows: Vec<CaseListRow> = on_reader!(self, pool => bind_all!(sqlx::query_as(crate::sql::safe(&q.text)), &q.args).fetch_all(pool).await)?;
        rows.into_iter()
            .map(|r| Ok(CaseListItem { case: CaseRecord::try_from(r.case)?, unit_name: r.unit_name }))
            .collect()
    }

    /// How many cases within `scope` match `filter`, and whether that is only a lower bound: a
    /// list stops counting at [`LIST_COUNT_CAP`], a free-text search at [`TEXT_COUNT_CAP`] (the
    /// list then says "10000 条以上"). Nobody pages that far, and counting every match across a
    /// district costs more than the page itself (60,000 overdue cases: 5 ms, a common word: 4 s).
    /// Figures that must be exact come from the metrics, not from list counts.
    async fn count_capped(&self, scope: &Scope, filter: &CaseFilter, plan: &sql::TextPlan) -> Result<(u64, bool)> {
        let mut q = self.matching("1", scope, filter, plan, false);
        let cap = if *plan == sql::TextPlan::NoText { LIST_COUNT_CAP } else { TEXT_COUNT_CAP };
        q.text = format!("SELECT COUNT(*) FROM ({} LIMIT {}) t", q.text, cap + 1);
        let (n,): (i64,) = on_reader!(self, pool => bind_all!(sqlx::query_as(crate::sql::safe(&q.text)), &q.args).fetch_one(pool).await)?;
        let n = u64::try_from(n).unwrap_or(0);
        Ok(if n > cap { (cap, true) } else { (n, false) })
    }

    /// How many cases within `scope` match `filter`, exactly (workbench tiles, exports, checks).
    ///
    /// # Errors
    /// Database errors.
    pub async fn count_cases(&self, scope: &Scope, filter: &CaseFilter) -> Result<u64> {
        let plan = self.text_plan(filter).await?;
        let q = self.matching("COUNT(*)", scope, filter, &plan, false);
        let (n,): (i64,) = on_reader!(self, pool => bind_all!(sqlx::query_as(crate::sql::safe(&q.text)), &q.args).fetch_one(pool).await)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// How the free-text filter of `filter` is answered. PostgreSQL's planner weighs the term
    /// index itself. SQLite's cannot know how many cases a term is in, so the index is asked
    /// first: a term in few cases leads the query through the index; a common one (more than
    /// [`NARROW_PROBE`] cases) is better found by walking the list in its order and checking each
    /// case, which stops as soon as the page is full.
    async fn text_plan(&self, filter: &CaseFilter) -> Result<sql::TextPlan> {
        let Some(text) = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(sql::TextPlan::NoText);
        };
        let Some(terms) = fazhi_domain::search::query_terms(text) else { return Ok(sql::TextPlan::Scan) };
        if self.is_postgres() {
            return Ok(sql::TextPlan::Index(terms.join(" ")));
        }
        // FTS5 query: each pair a quoted string, all required. Pairs are Han characters only, so
        // nothing needs escaping inside the quotes.
        let fts = terms.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>().join(" ");
        let (n,): (i64,) = on_reader!(self, pool => sqlx::query_as(
            "SELECT COUNT(*) FROM (SELECT 1 FROM cases_fts WHERE cases_fts MATCH $1 LIMIT $2) t",
        )
        .bind(&fts)
        .bind(NARROW_PROBE + 1)
        .fetch_one(pool)
        .await)?;
        Ok(if n <= NARROW_PROBE { sql::TextPlan::Index(fts) } else { sql::TextPlan::Scan })
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
