//! Exporting the current list to Excel: the same filter and scope as the page, all matching rows
//! up to 100,000, written page by page in constant memory to a temporary file that the web layer
//! streams.

use fazhi_domain::kinds::{ExportColumn, KindDef};
use fazhi_domain::time_util::{fmt_date, fmt_minute_ms};
use fazhi_domain::workflow::FieldKind;
use fazhi_report::ledger::{self, Cell};
use fazhi_store::{CaseFilter, CaseListItem};
use serde_json::Value as Json;

use crate::{App, Principal, Result, ServiceError};

/// The most rows one export writes.
pub const MAX_EXPORT_ROWS: u64 = 100_000;
const PAGE: u32 = 2_000;

const HEADERS: [&str; 14] = [
    "受理编号",
    "类型",
    "标题",
    "类别",
    "紧急程度",
    "状态",
    "承办单位",
    "受理时间",
    "办理期限",
    "是否超期",
    "办结时间",
    "当事人/来电人",
    "联系电话",
    "内容",
];
const WIDTHS: [f64; 14] = [20.0, 12.0, 30.0, 8.0, 8.0, 12.0, 18.0, 17.0, 12.0, 8.0, 17.0, 14.0, 14.0, 60.0];

/// A finished export: a temporary file (removed when dropped) and how many rows it holds.
pub struct Export {
    pub file: tempfile::TempPath,
    pub rows: u64,
}

/// A stored value as text: a sealed identifier by its mask, a number or a yes/no as written.
fn masked(v: Option<&Json>) -> Option<String> {
    match v {
        Some(Json::String(s)) => Some(s.clone()),
        Some(Json::Number(n)) => Some(n.to_string()),
        Some(Json::Bool(b)) => Some(if *b { "是" } else { "否" }.to_string()),
        Some(o) => o.get("mask").and_then(Json::as_str).map(String::from),
        None => None,
    }
}

/// A data value as printed: a choice of the kind's forms by its label, an identifier masked.
fn shown(kind: Option<&KindDef>, key: &str, v: Option<&Json>) -> Option<String> {
    let code = masked(v)?;
    let label = kind.and_then(|k| {
        std::iter::once(&k.workflow.open).chain(&k.workflow.actions).find_map(|a| match a.field(key).map(|f| &f.kind) {
            Some(FieldKind::Choice { options }) => options.iter().find(|(c, _)| *c == code).map(|(_, l)| l.clone()),
            _ => None,
        })
    });
    Some(label.unwrap_or(code))
}

impl App {
    fn ledger_row(&self, item: &CaseListItem, today: time::Date, own: &[ExportColumn]) -> Vec<Cell> {
        let c = &item.case;
        let kind = self.kinds().get(&c.kind);
        let party = kind.and_then(|k| k.capabilities.party.as_ref());
        let label = |field: &str, v: &Option<String>| {
            v.as_ref().map(|code| kind.and_then(|k| k.choice_label(field, code)).unwrap_or_else(|| code.clone()))
        };
        let mut row = vec![
            Cell::from(c.receipt_no.as_str()),
            Cell::from(kind.map_or(c.kind.as_str(), |k| k.label)),
            Cell::from(c.title.as_str()),
            Cell::from(label("category", &c.category)),
            Cell::from(label("urgency", &c.urgency)),
            Cell::from(kind.map_or(c.state.as_str(), |k| k.workflow.state_label(&c.state))),
            Cell::from(item.unit_name.as_str()),
            Cell::from(fmt_minute_ms(c.opened_at)),
            Cell::from(c.clocks.due_on().map(fmt_date)),
            Cell::from(if c.clocks.due_on().is_some_and(|d| d < today) { "已超期" } else { "" }),
            Cell::from(c.closed_at.map(fmt_minute_ms)),
            Cell::from(party.and_then(|p| masked(c.data.get(p.name)))),
            Cell::from(party.and_then(|p| masked(c.data.get(p.phone)))),
            Cell::from(masked(c.data.get("content"))),
        ];
        row.extend(own.iter().map(|col| Cell::from(shown(kind, col.key, c.data.get(col.key)))));
        row
    }

    /// Writes the cases of the user's list (same filter, same scope) to an .xlsx file.
    ///
    /// # Errors
    /// 403 for the three administrators, who read no case; more than [`MAX_EXPORT_ROWS`] rows
    /// (narrow the filter), database or writing errors.
    pub async fn export_cases(&self, p: &Principal, filter: &CaseFilter) -> Result<Export> {
        p.reads_cases()?;
        let filter = &self.as_reader(p, filter);
        let total = self.store().count_cases(&p.scope, filter).await?;
        if total > MAX_EXPORT_ROWS {
            return Err(ServiceError::Rule(format!(
                "符合条件的记录有{total}条，超过单次导出上限{MAX_EXPORT_ROWS}条，请缩小筛选范围"
            )));
        }
        let file =
            tempfile::Builder::new().suffix(".xlsx").tempfile().map_err(ServiceError::internal)?.into_temp_path();
        let path = file.to_path_buf();
        let app = self.clone();
        let scope = p.scope.clone();
        let principal = p.clone();
        let filter = filter.clone();
        let today = fazhi_domain::time_util::local_date(self.now());
        // A list of one kind also gets that kind's own columns.
        let own: Vec<ExportColumn> =
            filter.kind.as_deref().and_then(|k| self.kinds().get(k)).map(|k| k.export.clone()).unwrap_or_default();
        let mut headers: Vec<&str> = HEADERS.to_vec();
        headers.extend(own.iter().map(|c| c.label));
        let mut widths: Vec<f64> = WIDTHS.to_vec();
        widths.extend(own.iter().map(|_| 18.0));
        let handle = tokio::runtime::Handle::current();
        let rows = tokio::task::spawn_blocking(move || {
            let mut offset = 0u32;
            ledger::write(&path, "案件清单", &headers, &widths, || {
                let page = handle.block_on(app.store().list_cases_raw(&scope, &filter, PAGE, offset))?;
                offset += PAGE;
                // 信访工作条例 第三十条: the export hides what the page hides.
                Ok::<_, fazhi_store::StoreError>(
                    page.into_iter()
                        .map(|mut i| {
                            app.redact_case(&principal, &mut i.case);
                            app.ledger_row(&i, today, &own)
                        })
                        .collect(),
                )
            })
        })
        .await
        .map_err(ServiceError::internal)?
        .map_err(ServiceError::internal)?;
        Ok(Export { file, rows })
    }
}
