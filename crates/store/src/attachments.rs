//! Files attached to cases: which case, which event, what file. The bytes are stored by the
//! service under the data directory, named by their SHA-256.

use fazhi_domain::ids::{CaseId, UserId};

use crate::{Result, Store, StoreError};

/// A file attached by an action, before it is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    /// SHA-256 of the bytes, lower-case hex.
    pub hash: String,
    pub name: String,
    pub mime: String,
    pub size: i64,
}

/// A recorded attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentRecord {
    pub case_id: CaseId,
    pub hash: String,
    pub event_id: String,
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub uploaded_by: Option<UserId>,
    pub uploaded_at: i64,
}

type Row = (String, String, String, String, String, i64, Option<String>, i64);

fn record(r: Row) -> Result<AttachmentRecord> {
    let bad = |e: fazhi_domain::Invalid| StoreError::Corrupt(format!("attachment: {e}"));
    Ok(AttachmentRecord {
        case_id: CaseId::parse(&r.0).map_err(bad)?,
        hash: r.1,
        event_id: r.2,
        name: r.3,
        mime: r.4,
        size: r.5,
        uploaded_by: r.6.map(|u| UserId::parse(&u)).transpose().map_err(bad)?,
        uploaded_at: r.7,
    })
}

const COLS: &str = "case_id, hash, event_id, name, mime, size, uploaded_by, uploaded_at";

impl Store {
    /// The files attached to a case, oldest first. The caller has checked the case is visible.
    ///
    /// # Errors
    /// Database errors.
    pub async fn attachments_of_case(&self, case: CaseId) -> Result<Vec<AttachmentRecord>> {
        let sql = format!("SELECT {COLS} FROM attachments WHERE case_id = $1 ORDER BY uploaded_at, hash");
        let rows: Vec<Row> = on_reader!(self, pool => sqlx::query_as(crate::sql::safe(&sql)).bind(case.to_string()).fetch_all(pool).await)?;
        rows.into_iter().map(record).collect()
    }

    /// One attachment of a case.
    ///
    /// # Errors
    /// Database errors.
    pub async fn attachment(&self, case: CaseId, hash: &str) -> Result<Option<AttachmentRecord>> {
        let sql = format!("SELECT {COLS} FROM attachments WHERE case_id = $1 AND hash = $2");
        let row: Option<Row> = on_reader!(self, pool => sqlx::query_as(crate::sql::safe(&sql)).bind(case.to_string()).bind(hash).fetch_optional(pool).await)?;
        row.map(record).transpose()
    }
}
