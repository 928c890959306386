//! 年度报告: the annual report of a town as a page, whose every figure links to the cases it
//! counts; its draft, edited here by the 领导 or the 司法所 and kept in versions — figures shown
//! and typed as named figures (【矛盾纠纷化解率 98.68%】, inserted from the list of figures), kept
//! as codes — and taken through 起草 → 审核 → 定稿 (`fazhi_service::report_review`); downloads as
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
use fazhi_report::named::{NamedFigure, to_codes, to_named};
use fazhi_service::report_review::{Review, Stage};
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
    figures: Vec<NamedFigure>,
    downloads: Vec<(String, String)>,
    stage: String,
    /// (step, version, who, when, note), oldest first.
    steps: Vec<(String, i64, String, String, String)>,
    may_submit: bool,
    may_review: bool,
    /// Why the review buttons are not offered to this 领导 (they drafted it), if so.
    review_note: Option<String>,
}

async fn report_page_for(
    app: &App,
    p: &Principal,
    town: &Tenant,
    year: i32,
    draft_override: Option<(Draft, i64, Vec<FieldError>)>,
    flash: Option<String>,
    alert: Option<String>,
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
    let figures = app.report_figures(p, town, year, &draft).await?;
    let draft = draft.map_texts(|t| to_named(t, &figures));
    let review: Review = app.report_review(town, year).await?;
    let versions = app
        .report_draft_versions(town.id, year)
        .await?
        .into_iter()
        .map(|v| (v.version, v.saved_by_name, fmt_minute_ms(v.saved_at)))
        .collect();
    let own = p.user.tenant_id == town.id;
    let can_edit = review.may_edit(p) && own;
    let may_review = review.may_review(p) && own;
    let review_note =
        (matches!(review.stage, Stage::InReview { .. }) && p.has_role(Role::Leader) && own && !may_review)
            .then(|| "您参与了本报告的起草，按起草与审核分离的要求，应由其他领导审核。".to_string());
    let mut layout = Layout::new(app, p, &format!("{year}年度报告"), "/reports")
        .crumb("/reports", "年度报告")
        .crumb("#", &format!("{}{year}年度", town.name));
    layout.flash = flash;
    layout.alert = alert;
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
        figures,
        stage: match review.stage {
            Stage::Drafting => "起草".to_string(),
            Stage::InReview { version } => format!("审核（第{version}版）"),
            Stage::Final { version, at } => format!("定稿（第{version}版，{}）", fmt_minute_ms(at)),
        },
        steps: review
            .steps
            .iter()
            .map(|s| (s.label.clone(), s.version, s.by.clone(), fmt_minute_ms(s.at), s.note.clone()))
            .collect(),
        may_submit: review.may_submit(p) && own && version == loaded.version,
        may_review,
        review_note,
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
    report_page_for(&app, &p, &town, year, None, flash, None).await
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
    // What the writer typed holds named figures; the stored draft holds their codes.
    let figures = app.report_figures(&p, &town, year, &draft).await?;
    let draft = draft.map_texts(|t| to_codes(t, &figures));
    match app.save_report_draft(&p, year, version, &draft).await {
        Ok(v) => Ok(Redirect::to(&format!("/reports/{year}?tenant={}&saved={v}", url(&town.code))).into_response()),
        Err(ServiceError::Invalid(errs)) => {
            report_page_for(&app, &p, &town, year, Some((draft, version, errs)), None, None).await
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
                None,
            )
            .await?;
            *resp.status_mut() = StatusCode::CONFLICT;
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

/// 提交审核: a drafter hands the latest saved version to review.
pub async fn submit(
    State(app): State<App>,
    Staff(p): Staff,
    Path(year): Path<i32>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&p, f.get("_csrf").map(String::as_str))?;
    let town = app.tenant(p.user.tenant_id).ok_or_else(|| ServiceError::internal("tenant"))?;
    let version: i64 = f.get("version").and_then(|v| v.parse().ok()).unwrap_or(-1);
    let done = app.submit_report(&p, year, version).await;
    let flash = format!("第{version}版已提交审核，审核人为本镇（街道）未参与起草的领导。");
    after_step(&app, &p, &town, year, done, flash).await
}

/// 审核: a 领导 who did not draft it approves (定稿) or returns it with a reason.
pub async fn review(
    State(app): State<App>,
    Staff(p): Staff,
    Path(year): Path<i32>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&p, f.get("_csrf").map(String::as_str))?;
    let town = app.tenant(p.user.tenant_id).ok_or_else(|| ServiceError::internal("tenant"))?;
    let approve = f.get("decision").map(String::as_str) == Some("approve");
    let reason = f.get("reason").cloned().unwrap_or_default();
    let flash = if approve {
        "报告已定稿：文字不再修改，Word 文件的落款日期为定稿日期。"
    } else {
        "已退回修改，起草人可继续修改后再次提交审核。"
    };
    let done = app.review_report(&p, year, approve, &reason).await;
    after_step(&app, &p, &town, year, done, flash.to_string()).await
}

/// The report page after a step: its success said, or why it was refused (nothing changed) with
/// the refusal's status.
async fn after_step(
    app: &App,
    p: &Principal,
    town: &Tenant,
    year: i32,
    done: Result<(), ServiceError>,
    flash: String,
) -> PageResult {
    match done {
        Ok(()) => report_page_for(app, p, town, year, None, Some(flash), None).await,
        Err(e @ (ServiceError::Invalid(_) | ServiceError::WrongState(_) | ServiceError::Stale { .. })) => {
            let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::BAD_REQUEST);
            let mut resp = report_page_for(app, p, town, year, None, None, Some(format!("未完成：{e}"))).await?;
            *resp.status_mut() = status;
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
        // Named as the kind names itself: 12345工单按时办结率, not a slug.
        headers: c
            .metrics
            .iter()
            .map(|m| app.kinds().get(m.kind()).map_or("", |k| k.label).to_string() + m.name)
            .collect(),
        rows,
        pooled: c.district_pooled.iter().map(ToString::to_string).collect(),
        mean: c.town_mean.clone(),
    }))
}
