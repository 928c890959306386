//! Links between cases, and writes that touch several cases at once: a visit turned into a new
//! case (the new case numbered, both cases' events, the link — one transaction), a duplicate
//! merged into its original, two cases linked as related. Also the look-up of cases by the keyed
//! digests of their parties' identifiers (the same person at intake).

use fazhi_domain::case::CaseRecord;
use fazhi_domain::event::Event;
use fazhi_domain::ids::{CaseId, TenantId, UserId};
use serde::Serialize;

use crate::cases::{
    CaseWrite, ImportCase, case_parts, import_batch, insert_case, insert_digests, number_case, update_case,
    withhold_case,
};
use crate::events::append_event;
use crate::records::case_digest;
use crate::{Result, Store, StoreError};
use fazhi_domain::event::Seal;

/// How two cases are linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkRelation {
    /// `from` (a visit) was turned into `to`.
    Converted,
    /// `from` (a duplicate) was closed into `to` (the original).
    Merged,
    /// The two are about related matters.
    Related,
    /// `from` is about the same matter as the earlier `to` (信访: 第三十六条第三款).
    SameMatter,
}

impl LinkRelation {
    pub const ALL: [LinkRelation; 4] = [Self::Converted, Self::Merged, Self::Related, Self::SameMatter];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Converted => "converted",
            Self::Merged => "merged",
            Self::Related => "related",
            Self::SameMatter => "same_matter",
        }
    }

    /// # Errors
    /// An unknown code (only from a damaged database or a bad request).
    pub fn parse(code: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|r| r.code() == code)
            .ok_or_else(|| StoreError::Corrupt(format!("case link: unknown relation {code}")))
    }
}

/// A link as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseLink {
    pub id: String,
    pub tenant_id: TenantId,
    pub from_case: CaseId,
    pub to_case: CaseId,
    pub relation: LinkRelation,
    pub note: String,
    pub created_by: Option<UserId>,
    pub created_at: i64,
}

impl CaseLink {
    /// A new link with a fresh time-ordered id.
    pub fn new(
        tenant_id: TenantId,
        from_case: CaseId,
        to_case: CaseId,
        relation: LinkRelation,
        note: &str,
        created_by: Option<UserId>,
        created_at: i64,
    ) -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            tenant_id,
            from_case,
            to_case,
            relation,
            note: note.to_string(),
            created_by,
            created_at,
        }
    }

    /// The link as both its cases' seals hold it (`records.rs`).
    pub(crate) fn seal_json(&self) -> serde_json::Value {
        crate::records::link_json(
            &self.id,
            &self.from_case.to_string(),
            &self.to_case.to_string(),
            self.relation.code(),
            &self.note,
            self.created_by.map(|u| u.to_string()).as_deref(),
            self.created_at,
        )
    }

    /// The other end of the link, seen from `case`.
    pub fn other(&self, case: CaseId) -> CaseId {
        if self.from_case == case { self.to_case } else { self.from_case }
    }
}

/// One case written by [`Store::write_linked`].
#[derive(Debug, Clone)]
pub enum LinkedWrite<'a> {
    /// A new case, numbered in the transaction: `prefix` + the next sequence of its tenant, kind
    /// and year.
    Create { write: CaseWrite<'a>, prefix: String, year: i32 },
    /// A case updated from the version the caller read (optimistic concurrency).
    Update { write: CaseWrite<'a>, expected_version: i64 },
}

#[derive(sqlx::FromRow)]
struct LinkRow {
    id: String,
    tenant_id: String,
    from_case: String,
    to_case: String,
    relation: String,
    note: String,
    created_by: Option<String>,
    created_at: i64,
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("case link: {e}"))
}

impl TryFrom<LinkRow> for CaseLink {
    type Error = StoreError;
    fn try_from(r: LinkRow) -> Result<Self> {
        Ok(Self {
            id: r.id,
            tenant_id: TenantId::parse(&r.tenant_id).map_err(corrupt)?,
            from_case: CaseId::parse(&r.from_case).map_err(corrupt)?,
            to_case: CaseId::parse(&r.to_case).map_err(corrupt)?,
            relation: LinkRelation::parse(&r.relation)?,
            note: r.note,
            created_by: r.created_by.map(|u| UserId::parse(&u)).transpose().map_err(corrupt)?,
            created_at: r.created_at,
        })
    }
}

/// Inserts a link row inside `$tx`.
macro_rules! insert_link {
    ($tx:expr, $link:expr) => {{
        let l: &CaseLink = $link;
        sqlx::query(
            "INSERT INTO case_links (id, tenant_id, from_case, to_case, relation, note, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&l.id)
        .bind(l.tenant_id.to_string())
        .bind(l.from_case.to_string())
        .bind(l.to_case.to_string())
        .bind(l.relation.code())
        .bind(&l.note)
        .bind(l.created_by.map(|u| u.to_string()))
        .bind(l.created_at)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// A visit converted into a case withheld from some readers becomes withheld from them too
/// (《信访工作条例》第三十条: the visit carries the accuser's name and words), inside `$tx`.
macro_rules! convert_withholding {
    ($tx:expr, $pg:expr, $link:expr) => {{
        let l: &CaseLink = $link;
        if l.relation == LinkRelation::Converted {
            use crate::cases::withhold_sql as ws;
            for t in [ws::CONVERTED_UNITS, ws::CONVERTED_USERS] {
                let text = if $pg { ws::pg(t) } else { t.to_string() };
                sqlx::query(crate::sql::safe(&text)).bind(l.to_case.to_string()).execute(&mut *$tx).await?;
            }
        }
    }};
}

impl Store {
    /// Writes several cases and the link between them in one transaction, in the order given:
    /// new cases are numbered and inserted, updated cases are written only if still at the
    /// version their caller read; every write appends its event (and outbox row) to the chain.
    /// Returns each case as written (new ones with their receipt number) with its linked event.
    ///
    /// # Errors
    /// [`StoreError::Stale`] when a case changed meanwhile, [`StoreError::Conflict`] when the two
    /// cases are already linked; nothing at all is written then.
    pub async fn write_linked(
        &self,
        writes: Vec<LinkedWrite<'_>>,
        link: &CaseLink,
    ) -> Result<Vec<(CaseRecord, Event)>> {
        let pg = self.is_postgres();
        on_writer!(self, pool => async {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            // The rows first, then the link, then the events: each event seals its case with the
            // link in place.
            let mut rows: Vec<CaseRecord> = Vec::new();
            for w in &writes {
                match w {
                    LinkedWrite::Create { write, prefix, year } => {
                        let mut case = write.case.clone();
                        number_case!(tx, case, prefix, *year);
                        insert_case!(tx, &case, write.query_digest);
                        insert_digests!(tx, &case, write.digests);
                        withhold_case!(tx, pg, &case);
                        rows.push(case);
                    }
                    LinkedWrite::Update { write, expected_version } => {
                        let c = write.case;
                        update_case!(tx, c, *expected_version);
                        insert_digests!(tx, c, write.digests);
                        withhold_case!(tx, pg, c);
                        // A case numbered earlier in this transaction (a visit's new case getting
                        // its link event) was given to us before it had its number.
                        let mut c = c.clone();
                        if let Some(numbered) = rows.iter().find(|r| r.id == c.id) {
                            c.receipt_no.clone_from(&numbered.receipt_no);
                        }
                        rows.push(c);
                    }
                }
            }
            insert_link!(tx, link);
            convert_withholding!(tx, pg, link);
            let mut out = Vec::new();
            for (w, case) in writes.iter().zip(rows) {
                let write = match w {
                    LinkedWrite::Create { write, .. } | LinkedWrite::Update { write, .. } => write,
                };
                let topic = Some(format!("case.{}.{}", case.kind, write.event.action));
                let parts = case_parts!(tx, case.id);
                let seal = Seal::case(case_digest(&case, parts.query_digest.as_deref(), &parts));
                let ev = append_event!(tx, pg, self.chain_key.as_ref(), write.event.clone(), topic, seal);
                out.push((case, ev));
            }
            tx.commit().await?;
            Ok::<_, StoreError>(out)
        }.await)
    }

    /// As [`Store::import_cases`], with links between the imported cases — one transaction.
    ///
    /// # Errors
    /// Database errors; nothing of the batch is written.
    pub async fn import_linked(&self, batch: &[ImportCase], links: &[CaseLink]) -> Result<()> {
        let pg = self.is_postgres();
        on_writer!(self, pool => async {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            // Links before the events that seal their cases (the cases exist by then).
            import_batch!(tx, pg, self.chain_key.as_ref(), batch, links, {
                for l in links {
                    insert_link!(tx, l);
                    convert_withholding!(tx, pg, l);
                }
            });
            tx.commit().await?;
            Ok::<_, StoreError>(())
        }.await)
    }

    /// Every link of a case, oldest first (whatever the reader's scope: the service shows only
    /// the other ends the reader may see).
    ///
    /// # Errors
    /// Database errors.
    pub async fn links_of(&self, case: CaseId) -> Result<Vec<CaseLink>> {
        let rows: Vec<LinkRow> = on_reader!(self, pool => sqlx::query_as(
            "SELECT id, tenant_id, from_case, to_case, relation, note, created_by, created_at FROM case_links \
             WHERE from_case = $1 OR to_case = $1 ORDER BY created_at, id",
        )
        .bind(case.to_string())
        .fetch_all(pool)
        .await)?;
        rows.into_iter().map(CaseLink::try_from).collect()
    }

    /// The cases of a tenant whose parties gave one of these identifiers, by keyed digest
    /// (`(kind, digest)`, as [`fazhi_domain::workflow::Sealer::digest`] makes them): each case
    /// once, with the identifier kinds that matched, newest first, at most `limit`.
    ///
    /// # Errors
    /// Database errors.
    pub async fn cases_by_digests(
        &self,
        tenant: TenantId,
        digests: &[(String, String)],
        limit: u32,
    ) -> Result<Vec<(CaseId, Vec<String>)>> {
        if digests.is_empty() {
            return Ok(Vec::new());
        }
        let mut clauses = Vec::new();
        for i in 0..digests.len() {
            clauses.push(format!("(kind = ${} AND digest = ${})", 2 + 2 * i, 3 + 2 * i));
        }
        let sql = format!(
            "SELECT case_id, kind FROM party_index WHERE tenant_id = $1 AND ({}) ORDER BY case_id DESC",
            clauses.join(" OR ")
        );
        let rows: Vec<(String, String)> = on_reader!(self, pool => {
            let mut q = sqlx::query_as(crate::sql::safe(&sql)).bind(tenant.to_string());
            for (kind, digest) in digests {
                q = q.bind(kind.clone()).bind(digest.clone());
            }
            q.fetch_all(pool).await
        })?;
        let mut out: Vec<(CaseId, Vec<String>)> = Vec::new();
        for (case, kind) in rows {
            let id = CaseId::parse(&case).map_err(corrupt)?;
            match out.iter_mut().find(|(c, _)| *c == id) {
                Some((_, kinds)) => {
                    if !kinds.contains(&kind) {
                        kinds.push(kind);
                    }
                }
                None => {
                    if out.len() >= usize::try_from(limit).unwrap_or(usize::MAX) {
                        break;
                    }
                    out.push((id, vec![kind]));
                }
            }
        }
        Ok(out)
    }
}
