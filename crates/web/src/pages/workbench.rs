//! 工作台.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use fazhi_domain::time_util::fmt_date;
use fazhi_service::App;

use super::session::Staff;
use super::{Layout, PageResult, render};
use fazhi_service::cases::ListQuery;

use super::cases::{Row, row};

pub struct KindTilesView {
    pub kind: &'static str,
    pub label: &'static str,
    pub waiting: u64,
    pub waiting_href: String,
    pub due_today: u64,
    pub due_today_href: String,
    pub overdue: u64,
    pub overdue_href: String,
    pub returned: u64,
    pub returned_href: String,
    /// 被催办, for a user who handles cases at a unit (`None`: not their kind of tile).
    pub reminded: Option<(u64, String)>,
    pub can_open: bool,
}

#[derive(Template)]
#[template(path = "workbench.html")]
struct WorkbenchPage {
    layout: Layout,
    today: String,
    kinds: Vec<KindTilesView>,
    /// The cases waiting on the user, under the tiles.
    todo: Vec<Row>,
    /// Kinds the waiting list's filter offers.
    kind_opts: Vec<(String, String)>,
    purpose: Option<&'static str>,
}

pub async fn page(State(app): State<App>, Staff(p): Staff) -> PageResult {
    if p.scope.is_nothing() {
        return Err(super::PageError::Redirect(super::admin::home_of(&p).to_string()));
    }
    let wb = app.workbench(&p).await?;
    let soon = app.working_days_from_today(2);
    let href = |kind: &str, f: &fazhi_service::CaseFilter| {
        format!("/cases/{kind}?{}", super::cases::query(&ListQuery::from_filter(&app, f)))
    };
    let kinds = wb
        .kinds
        .iter()
        .map(|k| KindTilesView {
            kind: k.kind,
            label: k.label,
            waiting: k.waiting.count,
            waiting_href: href(k.kind, &k.waiting.filter),
            due_today: k.due_today.count,
            due_today_href: href(k.kind, &k.due_today.filter),
            overdue: k.overdue.count,
            overdue_href: href(k.kind, &k.overdue.filter),
            returned: k.returned.count,
            returned_href: href(k.kind, &k.returned.filter),
            reminded: (!k.reminded.filter.states.is_empty())
                .then(|| (k.reminded.count, href(k.kind, &k.reminded.filter))),
            can_open: app.kinds().get(k.kind).is_some_and(|kd| kd.workflow.open.permits(&p.actor)),
        })
        .collect();
    let resp: Response = render(&WorkbenchPage {
        layout: Layout::new(&app, &p, "工作台", "/workbench"),
        today: fmt_date(wb.today),
        todo: wb.todo.iter().map(|i| row(&app, &i.case, &i.unit_name, wb.today, soon)).collect(),
        kind_opts: wb.kinds.iter().map(|k| (k.kind.to_string(), k.label.to_string())).collect(),
        kinds,
        purpose: wb.purpose,
    });
    Ok(resp)
}
