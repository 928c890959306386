//! 批量操作: one action applied to the rows a user selected in a list (批量派单, 批量催办). Each row
//! goes through [`App::act`] on its own — its scope, its role check, the version the user saw and
//! the kind's rules — so a bulk action can do nothing a single one could not; one row refused
//! does not stop the others. The answer names every row refused and why. The list page and
//! `POST /api/v1/cases/bulk` both call [`App::bulk_act`]; 导出选中 is the export of the
//! selected ids ([`fazhi_store::CaseFilter::ids`]).

use fazhi_domain::ids::CaseId;
use serde_json::{Map, Value as Json};

use crate::{App, Principal, Result, ServiceError};

/// The most rows one bulk action takes (a page of the longest list).
pub const MAX_BULK_ROWS: usize = 100;

/// A selected row: the case and the version the user saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkItem {
    pub id: CaseId,
    pub version: i64,
}

impl BulkItem {
    /// A row as a list's checkbox carries it: `<case id>:<version>`.
    ///
    /// # Errors
    /// [`ServiceError::BadRequest`] for anything else.
    pub fn parse(raw: &str) -> Result<Self> {
        let bad = || ServiceError::BadRequest(format!("选中的记录“{raw}”无法识别，请刷新列表后重新选择"));
        let (id, version) = raw.trim().split_once(':').ok_or_else(bad)?;
        Ok(Self { id: CaseId::parse(id).map_err(|_| bad())?, version: version.parse().map_err(|_| bad())? })
    }
}

/// A row the action was applied to.
#[derive(Debug, Clone)]
pub struct BulkDone {
    pub id: CaseId,
    pub receipt_no: String,
    pub version: i64,
}

/// A row refused, and why (in Chinese, as the single action would have said).
#[derive(Debug, Clone)]
pub struct BulkFailure {
    pub id: CaseId,
    /// Empty when the case is not one the user may see (nothing about it is told).
    pub receipt_no: String,
    pub code: &'static str,
    pub reason: String,
}

/// What a bulk action did.
#[derive(Debug, Clone, Default)]
pub struct BulkOutcome {
    pub done: Vec<BulkDone>,
    pub failed: Vec<BulkFailure>,
}

impl BulkOutcome {
    /// "成功 N 条，失败 M 条".
    pub fn summary(&self) -> String {
        format!("成功 {} 条，失败 {} 条", self.done.len(), self.failed.len())
    }
}

impl App {
    /// Applies `action` with the same `fields` to each selected row, one at a time, each through
    /// [`App::act`]. The rows are taken in the order given; a case selected twice is acted on once.
    ///
    /// # Errors
    /// Only for the request as a whole: a user who reads no case (403), no row selected or more
    /// than [`MAX_BULK_ROWS`] (400). A row's own refusal is in [`BulkOutcome::failed`].
    pub async fn bulk_act(
        &self,
        p: &Principal,
        action: &str,
        items: &[BulkItem],
        fields: &Map<String, Json>,
    ) -> Result<BulkOutcome> {
        p.ready()?;
        p.reads_cases()?;
        if items.is_empty() {
            return Err(ServiceError::BadRequest("请先勾选要操作的记录".into()));
        }
        if items.len() > MAX_BULK_ROWS {
            return Err(ServiceError::BadRequest(format!(
                "一次最多批量操作{MAX_BULK_ROWS}条，已选{}条，请分批操作",
                items.len()
            )));
        }
        let mut out = BulkOutcome::default();
        let mut seen: Vec<CaseId> = Vec::new();
        for item in items {
            if seen.contains(&item.id) {
                continue;
            }
            seen.push(item.id);
            match self.act(p, item.id, action, fields, item.version).await {
                Ok(case) => out.done.push(BulkDone { id: case.id, receipt_no: case.receipt_no, version: case.version }),
                Err(e) => {
                    if let ServiceError::Internal(_) = e {
                        tracing::error!(case = %item.id, error = ?e, "bulk action failed");
                    }
                    // The receipt number only of a case the user may see: a 404 says no more.
                    let receipt_no = match &e {
                        ServiceError::NotFound(_) => String::new(),
                        _ => self
                            .store()
                            .case(&p.scope, item.id)
                            .await
                            .ok()
                            .flatten()
                            .map(|c| c.receipt_no)
                            .unwrap_or_default(),
                    };
                    out.failed.push(BulkFailure { id: item.id, receipt_no, code: e.code(), reason: e.to_string() });
                }
            }
        }
        Ok(out)
    }
}
