//! 工作台.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use fazhi_domain::time_util::fmt_date;
use fazhi_service::App;

use fazhi_service::workbench::Tile;

use super::cases::{Row, row};
use super::session::Staff;
use super::{Layout, PageResult, render};

/// A tile: its count and the list its link opens.
pub struct TileView {
    pub count: u64,
    pub href: String,
}

pub struct KindTilesView {
    pub kind: &'static str,
    pub label: &'static str,
    pub waiting: Option<TileView>,
    pub due_today: TileView,
    pub overdue: TileView,
    pub returned: Option<TileView>,
    /// 被催办, for a user who handles cases at a unit.
    pub reminded: Option<TileView>,
    pub can_open: bool,
    /// The registration button's words (the kind's).
    pub register: String,
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
    // The link carries the tile's own list query: the list reads it with the parser the count
    // was taken with.
    let view = |kind: &str, t: &Tile| TileView {
        count: t.count,
        href: format!("/cases/{kind}?{}", super::cases::query(&t.query)),
    };
    let kinds = wb
        .kinds
        .iter()
        .map(|k| KindTilesView {
            kind: k.kind,
            label: k.label,
            waiting: k.waiting.as_ref().map(|t| view(k.kind, t)),
            due_today: view(k.kind, &k.due_today),
            overdue: view(k.kind, &k.overdue),
            returned: k.returned.as_ref().map(|t| view(k.kind, t)),
            reminded: k.reminded.as_ref().map(|t| view(k.kind, t)),
            can_open: app.kinds().get(k.kind).is_some_and(|kd| kd.workflow.open.permits(&p.actor)),
            register: app
                .kinds()
                .get(k.kind)
                .map_or_else(|| format!("登记{}", k.label), |kd| kd.wording.register.to_string()),
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
