//! 年度报告: the annual report of a town as a page, whose every figure links to the cases it
//! counts; its draft, edited here by the 领导 or the 司法所 and kept in versions; downloads as
//! Markdown, HTML and Word; and the district comparison.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use fazhi_domain::FieldError;
use fazhi_domain::metric::Period;
use fazhi_domain::role::Role;
use fazhi_domain::time_util::{fmt_date, fmt_minute_ms, local_date};
use fazhi_report::annual::{Draft, DraftSubsection};
use fazhi_service::{App, Principal, ServiceError, Tenant};

use super::forms::errors_by_field;
use super::html::url;
use super::session::{Staff, check_csrf};
use super::{Layout, PageError, PageResult, render};

/// The towns a user may read reports of (the service decides: `App::report_towns`).
fn towns_of(app: &App, p: &Principal) -> Result<Vec<Tenant>, PageError> {
    Ok(app.report_towns(p)?)
}

fn pick_town(app: &App, p: &Principal, code: Option<&String>) -> Result<Tenant, PageError> {
    Ok(app.report_town(p, code.map(String::as_str))?)
}

type TownReports = (String, String, Vec<(i32, String)>);

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    layout: Layout,
    /// (town, its code, (year, link) of the last years)
    rows: Vec<TownReports>,
    compare: bool,
}

pub async fn index(State(app): State<App>, Staff(p): Staff) -> PageResult {
    let towns = towns_of(&app, &p)?;
    let this = local_date(app.now()).year();
    let rows = towns
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                t.code.clone(),
                (this - 3..=this).rev().map(|y| (y, format!("/reports/{y}?tenant={}", t.code))).collect(),
            )
        })
        .collect();
    Ok(render(&ReportsPage {
        layout: Layout::new(&app, &p, "年度报告", "/reports").crumb("/reports", "年度报告"),
        rows,
        compare: [Role::District, Role::Leader, Role::JudicialOffice].iter().any(|r| p.has_role(*r)),
    }))
}

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    layout: Layout,
    year: i32,
    town: String,
    report_html: String,
    refused: Option<String>,
    can_edit: bool,
    draft: Draft,
    version: i64,
    saved: String,
    versions: Vec<(i64, String, String)>,
    errors: HashMap<String, String>,
    metrics: Vec<(String, String, String)>,
    downloads: Vec<(String, String)>,
}

async fn report_page_for(
    app: &App,
    p: &Principal,
    town: &Tenant,
    year: i32,
    draft_override: Option<(Draft, i64, Vec<FieldError>)>,
    flash: Option<String>,
) -> PageResult {
    let code = town.code.clone();
    let link = move |metric: &str, period: &Period| {
        format!(
            "/cases?tenant={}&metric={}&mfrom={}&mto={}",
            url(&code),
            url(metric),
            fmt_date(period.from),
            fmt_date(period.to)
        )
    };
    let current = local_date(app.now()).year();
    let draft_mode = year >= current;
    let (report_html, refused) = match app.annual_report_for(p, town, year, draft_mode, Some(&link)).await {
        Ok(r) => (r.to_html_fragment(), None),
        Err(e @ ServiceError::Invalid(_)) => (String::new(), Some(e.to_string())),
        Err(e) => return Err(e.into()),
    };
    let loaded = app.report_draft(town, year).await?;
    let (draft, version, errors) = match draft_override {
        Some((d, v, e)) => (d, v, e),
        None => (loaded.draft.clone(), loaded.version, Vec::new()),
    };
    let versions = app
        .report_draft_versions(town.id, year)
        .await?
        .into_iter()
        .map(|v| (v.version, v.saved_by_name, fmt_minute_ms(v.saved_at)))
        .collect();
    let can_edit = (p.has_role(Role::Leader) || p.has_role(Role::JudicialOffice)) && p.user.tenant_id == town.id;
    let mut layout = Layout::new(app, p, &format!("{year}年度报告"), "/reports")
        .crumb("/reports", "年度报告")
        .crumb("#", &format!("{}{year}年度", town.name));
    layout.flash = flash;
    if !errors.is_empty() {
        layout.alert = Some(format!(
            "草稿未保存，请修改：{}",
            errors.iter().map(FieldError::message).collect::<Vec<_>>().join("；")
        ));
    }
    let q = format!("tenant={}", url(&town.code));
    let page = ReportPage {
        year,
        town: town.name.clone(),
        report_html,
        refused,
        can_edit,
        saved: loaded
            .saved
            .map(|(who, at)| format!("第{}版，{who} 于 {} 保存", loaded.version, fmt_minute_ms(at)))
            .unwrap_or_else(|| "尚未保存过，以下为系统默认草稿".into()),
        draft,
        version,
        versions,
        errors: errors_by_field(&errors),
        metrics: app
            .catalogue()
            .metrics
            .iter()
            .map(|m| (format!("{{{}}}", m.code), m.name.to_string(), m.formula.clone()))
            .collect(),
        downloads: ["docx", "md", "html"]
            .iter()
            .map(|f| (format!("/reports/{year}/download/{f}?{q}"), f.to_uppercase()))
            .collect(),
        layout,
    };
    let mut resp = render(&page);
    if !page.errors.is_empty() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(resp)
}

pub async fn report_page(
    State(app): State<App>,
    Staff(p): Staff,
    Path(year): Path<i32>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let town = pick_town(&app, &p, q.get("tenant"))?;
    let flash = q.get("saved").map(|v| format!("草稿已保存为第{v}版。"));
    report_page_for(&app, &p, &town, year, None, flash).await
}

pub async fn save_draft(
    State(app): State<App>,
    Staff(p): Staff,
    Path(year): Path<i32>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&p, f.get("_csrf").map(String::as_str))?;
    let town = app.tenant(p.user.tenant_id).ok_or_else(|| ServiceError::internal("tenant"))?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let mut achievements = Vec::new();
    for i in 0..20 {
        match (f.get(&format!("heading_{i}")), f.get(&format!("text_{i}"))) {
            (Some(h), Some(t)) => {
                achievements.push(DraftSubsection { heading: h.clone(), text: t.replace("\r\n", "\n") })
            }
            _ => break,
        }
    }
    let draft = Draft {
        title: get("title"),
        preamble: get("preamble").replace("\r\n", "\n"),
        achievements,
        problems: get("problems").replace("\r\n", "\n"),
        plans: get("plans").replace("\r\n", "\n"),
    };
    let version: i64 = get("version").parse().unwrap_or(-1);
    match app.save_report_draft(&p, year, version, &draft).await {
        Ok(v) => Ok(Redirect::to(&format!("/reports/{year}?tenant={}&saved={v}", url(&town.code))).into_response()),
        Err(ServiceError::Invalid(errs)) => {
            report_page_for(&app, &p, &town, year, Some((draft, version, errs)), None).await
        }
        Err(e @ ServiceError::Stale { .. }) => {
            let msg = format!("{e}（草稿已有新版本，本次未保存；请复制您的修改后刷新页面）");
            let mut resp = report_page_for(
                &app,
                &p,
                &town,
                year,
                Some((draft, version, vec![FieldError::new("version", "版本", msg)])),
                None,
            )
            .await?;
            *resp.status_mut() = StatusCode::CONFLICT;
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn download(
    State(app): State<App>,
    Staff(p): Staff,
    Path((year, format)): Path<(i32, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let town = pick_town(&app, &p, q.get("tenant"))?;
    let draft = year >= local_date(app.now()).year();
    let r = app.annual_report_for(&p, &town, year, draft, None).await?;
    let stem = format!("{}-{year}年度法治政府建设情况报告{}", town.name, if r.draft { "（草稿）" } else { "" });
    let (mime, bytes, ext) = match format.as_str() {
        "md" => ("text/markdown; charset=utf-8", r.to_markdown().into_bytes(), "md"),
        "html" => ("text/html; charset=utf-8", r.to_html_document().into_bytes(), "html"),
        "docx" => (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            fazhi_report::docx::to_docx(&r).map_err(ServiceError::internal)?,
            "docx",
        ),
        _ => return Err(ServiceError::NotFound("不支持的格式".into()).into()),
    };
    let disposition =
        format!("attachment; filename=\"report.{ext}\"; filename*=UTF-8''{}", url(&format!("{stem}.{ext}")));
    Ok(([(header::CONTENT_TYPE, mime.to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

#[derive(Template)]
#[template(path = "compare.html")]
struct ComparePage {
    layout: Layout,
    year: i32,
    district: String,
    headers: Vec<String>,
    rows: Vec<(String, Vec<(String, &'static str)>)>,
    pooled: Vec<String>,
    mean: Vec<String>,
}

pub async fn compare(State(app): State<App>, Staff(p): Staff, Query(q): Query<HashMap<String, String>>) -> PageResult {
    let year = q.get("year").and_then(|y| y.parse().ok()).unwrap_or(local_date(app.now()).year() - 1);
    // The district office sees every town; a town's leader and 司法所 their own beside the district.
    let c = app.compare_for(&p, year).await?;
    let pooled_bp: Vec<Option<u64>> = c
        .district_pooled
        .iter()
        .map(|f| match f {
            fazhi_domain::metric::Figure::Rate(r) => r.basis_points(),
            _ => None,
        })
        .collect();
    let rows = c
        .towns
        .iter()
        .map(|(town, figs)| {
            let cells = figs
                .iter()
                .zip(&pooled_bp)
                .map(|(f, avg)| {
                    let bp = match f {
                        fazhi_domain::metric::Figure::Rate(r) => r.basis_points(),
                        _ => None,
                    };
                    // Above or below the district: said in words, not colour alone.
                    let mark = match (bp, avg) {
                        (Some(a), Some(b)) if a > *b => "高于全区",
                        (Some(a), Some(b)) if a < *b => "低于全区",
                        (Some(_), Some(_)) => "持平",
                        _ => "",
                    };
                    (f.to_string(), mark)
                })
                .collect();
            (town.clone(), cells)
        })
        .collect();
    Ok(render(&ComparePage {
        layout: Layout::new(&app, &p, "全区对比", "/reports").crumb("/reports", "年度报告").crumb("#", "全区对比"),
        year,
        district: c.district.clone(),
        headers: c
            .metrics
            .iter()
            .map(|m| m.name.to_string() + "（" + m.code.split('.').next().unwrap_or("") + "）")
            .collect(),
        rows,
        pooled: c.district_pooled.iter().map(ToString::to_string).collect(),
        mean: c.town_mean.clone(),
    }))
}
