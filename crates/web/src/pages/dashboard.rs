//! 领导驾驶舱: every kind at once (a summary row per registered kind: received, in progress,
//! overdue, on-time rate), then a kind's figures for a chosen period, by month and by unit, as
//! numbers and as SVG charts drawn on the server, and the overdue list. Figures print as the
//! report prints them (`Figure`'s `Display`: 16.67%, "—" without a denominator).

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use fazhi_domain::metric::{Figure, MetricUnit, Period};
use fazhi_domain::time_util::{fmt_date, local_date, parse_date};
use fazhi_report::charts::{self, Bar, RateLine};
use fazhi_service::{App, ServiceError};
use time::Month;

use super::cases::{Row, row};
use super::session::Staff;
use super::{Layout, PageResult, render};

pub struct Tile {
    pub name: String,
    pub value: String,
    pub formula: String,
}

pub struct Table {
    pub headers: Vec<String>,
    pub rows: Vec<(String, Option<String>, Vec<String>)>,
}

/// One kind's row of the overview, as printed.
pub struct SummaryRow {
    pub label: String,
    pub href: String,
    pub received: String,
    pub received_formula: String,
    pub in_progress: u64,
    pub in_progress_href: String,
    pub overdue: u64,
    pub overdue_href: String,
    pub rate: String,
    pub rate_name: String,
    pub rate_formula: String,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    layout: Layout,
    summary: Vec<SummaryRow>,
    kind_label: String,
    kinds: Vec<(String, String, bool)>,
    from: String,
    to: String,
    tiles: Vec<Tile>,
    month_chart: String,
    unit_chart: String,
    months: Table,
    units: Table,
    categories: Table,
    overdue: Vec<Row>,
    overdue_total: u64,
    overdue_href: String,
}

fn count(f: &Figure) -> u64 {
    match f {
        Figure::Count(n) => *n,
        _ => 0,
    }
}

fn percent(f: &Figure) -> Option<f64> {
    match f {
        Figure::Rate(r) => r.basis_points().map(|b| b as f64 / 100.0),
        _ => None,
    }
}

pub async fn page(State(app): State<App>, Staff(p): Staff, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let kind =
        q.get("kind").filter(|k| !k.is_empty()).cloned().unwrap_or_else(|| app.kinds().all()[0].slug.to_string());
    let today = local_date(app.now());
    let default_from = time::Date::from_calendar_date(today.year(), Month::January, 1).unwrap_or(today);
    let mut errors = Vec::new();
    let mut date =
        |k: &str, label: &str, default: time::Date| match q.get(k).map(String::as_str).filter(|s| !s.is_empty()) {
            None => default,
            Some(raw) => parse_date(raw).unwrap_or_else(|e| {
                errors.push(e.at(k, label));
                default
            }),
        };
    let period = match q.get("year").and_then(|y| y.parse::<i32>().ok()).and_then(Period::year) {
        Some(p) => p,
        None => Period { from: date("from", "开始日期", default_from), to: date("to", "结束日期", today) },
    };
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors).into());
    }
    let summary = app
        .dashboard_summary(&p, period)
        .await?
        .into_iter()
        .map(|r| {
            let (rate, rate_name, rate_formula) = match &r.on_time_rate {
                Some((m, f)) => (f.to_string(), m.name.to_string(), m.formula.clone()),
                None => ("—".to_string(), "按时办结率".to_string(), "该类事项没有考核办理期限的指标".to_string()),
            };
            SummaryRow {
                label: r.label.to_string(),
                href: format!("/dashboard?kind={}&from={}&to={}", r.kind, fmt_date(period.from), fmt_date(period.to)),
                received: r.received.1.to_string(),
                received_formula: format!("{}：{}", r.received.0.name, r.received.0.formula),
                in_progress: r.in_progress,
                in_progress_href: format!("/cases/{}?phase=open", r.kind),
                overdue: r.overdue,
                overdue_href: format!("/cases/{}?overdue=1&sort=due_on", r.kind),
                rate,
                rate_name,
                rate_formula,
            }
        })
        .collect();
    let d = app.dashboard(&p, &kind, period).await?;
    let tiles = d
        .totals
        .iter()
        .map(|(m, f)| Tile { name: m.name.to_string(), value: f.to_string(), formula: m.formula.clone() })
        .collect();
    let first_count = d.totals.iter().position(|(m, _)| m.unit == MetricUnit::Cases).unwrap_or(0);
    let first_rate = d
        .totals
        .iter()
        .position(|(m, _)| m.code.ends_with("on_time_rate"))
        .or_else(|| d.totals.iter().position(|(m, _)| m.unit == MetricUnit::Rate));
    let count_name = d.totals.get(first_count).map(|(m, _)| m.name).unwrap_or("件数");
    let bars: Vec<Bar> = d
        .months
        .iter()
        .map(|r| Bar {
            label: r.label[5..].trim_start_matches('0').to_string() + "月",
            value: r.figures.get(first_count).map_or(0, |(_, f)| count(f)),
        })
        .collect();
    let line = first_rate.map(|i| RateLine {
        name: d.totals[i].0.name.to_string(),
        points: d.months.iter().map(|r| r.figures.get(i).and_then(|(_, f)| percent(f))).collect(),
    });
    let month_chart = charts::bars_svg(
        &format!("{}按月{}", d.kind_label, count_name),
        &bars,
        count_name,
        "件",
        line.as_ref(),
        860,
        340,
    )
    .map_err(ServiceError::internal)?;
    let unit_bars: Vec<Bar> = d
        .units
        .iter()
        .map(|r| Bar { label: r.label.clone(), value: r.figures.get(first_count).map_or(0, |(_, f)| count(f)) })
        .collect();
    let unit_chart = charts::hbars_svg(&format!("{}按单位{}", d.kind_label, count_name), &unit_bars, 860)
        .map_err(ServiceError::internal)?;
    let headers: Vec<String> = d.totals.iter().map(|(m, _)| m.name.to_string()).collect();
    let table = |rows: &[fazhi_service::dashboard::Row], link: bool| Table {
        headers: headers.clone(),
        rows: rows
            .iter()
            .map(|r| {
                let href = if link {
                    r.unit_id.as_ref().map(|u| {
                        format!(
                            "/cases/{kind}?unit={u}&opened_from={}&opened_to={}",
                            fmt_date(period.from),
                            fmt_date(period.to)
                        )
                    })
                } else {
                    None
                };
                (r.label.clone(), href, r.figures.iter().map(|(_, f)| f.to_string()).collect())
            })
            .collect(),
    };
    // By category (纠纷类别, 诉求类别 …): the same catalogue figures, one grouped query.
    let by_category = app.breakdown(&p, &kind, &[], &period, fazhi_service::breakdown::BreakdownBy::Category).await?;
    let categories = Table {
        headers: headers.clone(),
        rows: by_category
            .iter()
            .map(|r| (r.label.clone(), None, r.figures.iter().map(|(_, f)| f.to_string()).collect()))
            .collect(),
    };
    let soon = app.working_days_from_today(2);
    let page = DashboardPage {
        layout: Layout::new(&app, &p, "领导驾驶舱", "/dashboard").crumb("/dashboard", "领导驾驶舱"),
        summary,
        kinds: app.kinds().all().iter().map(|k| (k.slug.to_string(), k.label.to_string(), k.slug == kind)).collect(),
        kind_label: d.kind_label.to_string(),
        from: fmt_date(period.from),
        to: fmt_date(period.to),
        tiles,
        month_chart,
        unit_chart,
        months: table(&d.months, false),
        units: table(&d.units, true),
        categories,
        overdue: d.overdue.iter().map(|i| row(&app, &i.case, &i.unit_name, today, soon)).collect(),
        overdue_total: d.overdue_total,
        overdue_href: format!("/cases/{kind}?overdue=1&sort=due_on"),
    };
    Ok(render(&page))
}
