//! 工作台.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use fazhi_domain::time_util::fmt_date;
use fazhi_service::App;

use super::session::Staff;
use super::{Layout, PageResult, render};
use fazhi_service::workbench::Tile;

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
}

pub async fn page(State(app): State<App>, Staff(p): Staff) -> PageResult {
    if p.scope.is_nothing() {
        return Err(super::PageError::Redirect(super::admin::home_of(&p).to_string()));
    }
    let wb = app.workbench(&p).await?;
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
        kinds,
    });
    Ok(resp)
}
