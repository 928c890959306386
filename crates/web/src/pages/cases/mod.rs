//! Cases on the pages: the lists (per kind and across kinds), their export, the registration
//! form, the case page with its action forms, and attachment downloads — one module each. The
//! rules are the service's (the list filter, duplicate detection, what a user may do); these
//! handlers read the request and present the answer.

mod act;
mod bulk;
mod download;
mod export;
mod list;
mod page;
mod print;
mod register;
mod reveal;

use fazhi_domain::case::{CaseRecord, Phase};
use fazhi_domain::ids::CaseId;
use fazhi_domain::time_util::{fmt_date, fmt_minute_ms};
use fazhi_domain::unit::Unit;
use fazhi_service::{App, Extent, Principal, ServiceError};
use time::Date;

use super::PageError;

pub use act::act;
pub use bulk::bulk;
pub use download::download;
pub use export::{export_all, export_kind};
pub use list::{list_all, list_kind, query};
pub use page::{case_page, case_page_with_alert};
pub use print::{print_docx, print_page};
pub(super) use register::CreatedPage;
pub use register::{create, new_page};
pub use reveal::reveal;

/// A row of a list.
pub struct Row {
    pub href: String,
    pub receipt_no: String,
    pub title: String,
    pub kind_label: String,
    pub state_label: String,
    pub tone: &'static str,
    pub unit: String,
    pub opened: String,
    pub due: String,
    pub marker: &'static str,
    /// What a list's checkbox carries: `<id>:<version>` (the version the user saw).
    pub selector: String,
    /// Reminders (催办) sent to the unit holding the case, while it is open.
    pub reminders: i64,
}

/// The colour class of a state (always shown with its text).
fn tone(c: &CaseRecord) -> &'static str {
    match c.phase {
        Phase::Open => "open",
        Phase::Closed => "closed",
        Phase::Archived => "archived",
    }
}

pub fn row(app: &App, c: &CaseRecord, unit_name: &str, today: Date, soon: Date) -> Row {
    let kind = app.kinds().get(&c.kind);
    let due = c.clocks.due_on();
    Row {
        href: format!("/cases/{}/{}", c.kind, c.id),
        receipt_no: c.receipt_no.clone(),
        title: c.title.clone(),
        kind_label: kind.map_or(c.kind.clone(), |k| k.label.to_string()),
        state_label: kind.map_or(c.state.clone(), |k| k.workflow.state_label(&c.state).to_string()),
        tone: tone(c),
        unit: unit_name.to_string(),
        opened: fmt_minute_ms(c.opened_at),
        due: due.map(fmt_date).unwrap_or_else(|| "—".into()),
        marker: match due {
            Some(d) if d < today => "已超期",
            Some(d) if d <= soon => "即将到期",
            _ => "",
        },
        selector: format!("{}:{}", c.id, c.version),
        reminders: if c.phase == Phase::Open { fazhi_domain::workflow::shared::reminders(c) } else { 0 },
    }
}

pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn opts(pairs: Vec<(String, String)>, current: &str) -> Vec<Opt> {
    pairs.into_iter().map(|(value, label)| Opt { selected: value == current, value, label }).collect()
}

/// The units a user may filter or dispatch by: those of their tenant (or district's towns), in
/// tree order, within their reach.
pub fn units_for(app: &App, p: &Principal) -> Vec<Unit> {
    let mut v: Vec<Unit> = app
        .units()
        .values()
        .filter(|u| match &p.scope.extent {
            Extent::Tenant(t) => u.tenant_id == *t,
            Extent::Subtree { tenant, path } => u.tenant_id == *tenant && path.contains(&u.path),
            Extent::Tenants(ts) => ts.contains(&u.tenant_id),
            Extent::Everything => true,
            Extent::Nothing => false,
        })
        .cloned()
        .collect();
    v.sort_by(|a, b| (a.tenant_id, a.path.as_str()).cmp(&(b.tenant_id, b.path.as_str())));
    v
}

fn parse_case(raw: &str) -> Result<CaseId, PageError> {
    CaseId::parse(raw).map_err(|_| ServiceError::case_not_found().into())
}
