//! Case lists (per kind and across kinds, with export), the registration form, the case page with
//! its action forms, and attachment downloads.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::body::Body;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use fazhi_domain::FieldError;
use fazhi_domain::case::{CaseRecord, Phase};
use fazhi_domain::event::Event;
use fazhi_domain::ids::{CaseId, UnitId};
use fazhi_domain::kinds::KindDef;
use fazhi_domain::role::Role;
use fazhi_domain::time_util::{fmt_date, fmt_minute_ms, local_date, parse_date};
use fazhi_domain::unit::Unit;
use fazhi_domain::workflow::{ActionDef, FieldDef, FieldKind};
use fazhi_service::cases::CaseDetail;
use fazhi_service::{App, CaseFilter, Extent, Principal, ServiceError, SortField};
use serde::Deserialize;
use serde_json::Value as Json;
use time::Date;

use super::forms::{self, Submitted};
use super::html::url;
use super::session::{Staff, check_csrf};
use super::{Layout, PageError, PageResult, render};

/// The list filters as they travel in the URL (so a list can be bookmarked and shared).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListParams {
    pub kind: String,
    pub state: String,
    pub phase: String,
    pub unit: String,
    pub category: String,
    pub urgency: String,
    pub overdue: String,
    pub due_within: String,
    pub due_from: String,
    pub due_to: String,
    pub opened_from: String,
    pub opened_to: String,
    pub q: String,
    pub sort: String,
    pub page: String,
    pub per_page: String,
    /// A town's code (the district reading one town).
    pub tenant: String,
    /// A metric's code: list the cases it counts (a report figure's link).
    pub metric: String,
    /// The metric's period.
    pub mfrom: String,
    pub mto: String,
}

/// A date field of the filter; a bad one is noted in `errors`.
fn date_field(raw: &str, field: &str, label: &str, errors: &mut Vec<FieldError>) -> Option<Date> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    parse_date(raw).map_err(|e| errors.push(e.at(field, label))).ok()
}

fn nonempty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl ListParams {
    /// The filter, or the fields that could not be read.
    pub fn to_filter(&self, app: &App) -> Result<CaseFilter, Vec<FieldError>> {
        let mut errors = Vec::new();
        let opened_from = date_field(&self.opened_from, "opened_from", "受理日期起", &mut errors);
        let opened_to = date_field(&self.opened_to, "opened_to", "受理日期止", &mut errors);
        let mut due_from = date_field(&self.due_from, "due_from", "期限起", &mut errors);
        let mut due_by = date_field(&self.due_to, "due_to", "期限止", &mut errors);
        if let Some(n) = nonempty(&self.due_within) {
            match n.parse::<u32>() {
                Ok(n) if (1..=60).contains(&n) => {
                    due_from = Some(local_date(app.now()));
                    due_by = Some(app.working_days_from_today(n));
                }
                _ => errors.push(FieldError::new("due_within", "几个工作日内到期", "应为1至60的整数")),
            }
        }
        let unit = match nonempty(&self.unit) {
            None => None,
            Some(u) => match UnitId::parse(&u).ok().and_then(|id| app.unit(id)) {
                Some(u) => Some(u.path),
                None => {
                    errors.push(FieldError::new("unit", "单位", "不存在"));
                    None
                }
            },
        };
        let kind = nonempty(&self.kind);
        if let Some(k) = &kind
            && app.kinds().get(k).is_none()
        {
            errors.push(FieldError::new("kind", "类型", "不存在"));
        }
        let phase = match self.phase.as_str() {
            "" => None,
            p => match Phase::parse(p) {
                Ok(p) => Some(p),
                Err(_) => {
                    errors.push(FieldError::new("phase", "阶段", "不存在"));
                    None
                }
            },
        };
        let s = if self.sort.is_empty() { "-opened_at" } else { self.sort.as_str() };
        let (name, descending) = s.strip_prefix('-').map_or((s, false), |n| (n, true));
        let sort = match name {
            "due_on" => SortField::DueOn,
            "opened_at" => SortField::OpenedAt,
            "updated_at" => SortField::UpdatedAt,
            "receipt_no" => SortField::ReceiptNo,
            _ => {
                errors.push(FieldError::new("sort", "排序", "不支持"));
                SortField::OpenedAt
            }
        };
        if self.q.chars().count() > 100 {
            errors.push(FieldError::new("q", "关键词", "不能超过100个字"));
        }
        let tenant = match nonempty(&self.tenant) {
            None => None,
            Some(code) => match app.tenants().iter().find(|t| t.code.eq_ignore_ascii_case(&code)) {
                Some(t) => Some(t.id),
                None => {
                    errors.push(FieldError::new("tenant", "镇（街道）", "不存在"));
                    None
                }
            },
        };
        let metric = match nonempty(&self.metric) {
            None => None,
            Some(code) => {
                let set = app
                    .catalogue()
                    .traced_set(&code)
                    .map_err(|_| errors.push(FieldError::new("metric", "指标", format!("“{code}”不存在"))))
                    .ok()
                    .cloned();
                let from = date_field(&self.mfrom, "mfrom", "统计期间起", &mut errors);
                let to = date_field(&self.mto, "mto", "统计期间止", &mut errors);
                match (set, from, to) {
                    (Some(set), Some(from), Some(to)) => Some((set, fazhi_domain::metric::Period { from, to })),
                    (Some(_), _, _) => {
                        errors.push(FieldError::new("mfrom", "统计期间", "请同时给出起止日期"));
                        None
                    }
                    _ => None,
                }
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(CaseFilter {
            tenant,
            kind,
            states: self.state.split(',').filter_map(nonempty).collect(),
            phase,
            unit,
            category: nonempty(&self.category),
            urgency: nonempty(&self.urgency),
            overdue_on: matches!(self.overdue.as_str(), "1" | "true" | "on").then(|| local_date(app.now())),
            due_from,
            due_by,
            opened_from,
            opened_to,
            text: nonempty(&self.q),
            metric,
            sort,
            descending,
        })
    }

    /// The parameters that give `f` (for links from the workbench and the dashboard).
    pub fn from_filter(app: &App, f: &CaseFilter) -> Self {
        let today = local_date(app.now());
        Self {
            kind: f.kind.clone().unwrap_or_default(),
            state: f.states.join(","),
            phase: f.phase.map(|p| p.code().to_string()).unwrap_or_default(),
            unit: f
                .unit
                .as_ref()
                .and_then(|path| app.units().values().find(|u| &u.path == path).map(|u| u.id.to_string()))
                .unwrap_or_default(),
            category: f.category.clone().unwrap_or_default(),
            urgency: f.urgency.clone().unwrap_or_default(),
            overdue: if f.overdue_on == Some(today) { "1".into() } else { String::new() },
            due_within: String::new(),
            due_from: f.due_from.map(fmt_date).unwrap_or_default(),
            due_to: f.due_by.map(fmt_date).unwrap_or_default(),
            opened_from: f.opened_from.map(fmt_date).unwrap_or_default(),
            opened_to: f.opened_to.map(fmt_date).unwrap_or_default(),
            q: f.text.clone().unwrap_or_default(),
            sort: String::new(),
            page: String::new(),
            per_page: String::new(),
            tenant: f.tenant.and_then(|t| app.tenant(t)).map(|t| t.code).unwrap_or_default(),
            metric: String::new(),
            mfrom: String::new(),
            mto: String::new(),
        }
    }

    /// The URL query of these parameters (empty ones left out), without the page number.
    pub fn query(&self) -> String {
        let pairs = [
            ("kind", &self.kind),
            ("state", &self.state),
            ("phase", &self.phase),
            ("unit", &self.unit),
            ("category", &self.category),
            ("urgency", &self.urgency),
            ("overdue", &self.overdue),
            ("due_within", &self.due_within),
            ("due_from", &self.due_from),
            ("due_to", &self.due_to),
            ("opened_from", &self.opened_from),
            ("opened_to", &self.opened_to),
            ("q", &self.q),
            ("sort", &self.sort),
            ("per_page", &self.per_page),
            ("tenant", &self.tenant),
            ("metric", &self.metric),
            ("mfrom", &self.mfrom),
            ("mto", &self.mto),
        ];
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", url(v)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

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

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    layout: Layout,
    heading: String,
    action: String,
    can_open: bool,
    p: ListParams,
    kinds: Vec<Opt>,
    states: Vec<Opt>,
    categories: Vec<Opt>,
    urgencies: Vec<Opt>,
    units: Vec<Opt>,
    sorts: Vec<Opt>,
    errors: HashMap<String, String>,
    rows: Vec<Row>,
    total: u64,
    /// The count stopped at the cap of a free-text search.
    capped: bool,
    page: u32,
    pages: u32,
    per_page: u32,
    prev_href: Option<String>,
    next_href: Option<String>,
    export_href: String,
    show_kind: bool,
    /// What a list traced from a report figure counts.
    metric_banner: Option<String>,
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

async fn list(app: App, p: Principal, kind: Option<&KindDef>, mut params: ListParams) -> PageResult {
    if p.scope.is_nothing() {
        return Err(ServiceError::Forbidden("您的角色不查看业务数据（三员分立）".into()).into());
    }
    if let Some(k) = kind {
        params.kind = k.slug.to_string();
    }
    let per_page: u32 = params.per_page.parse().ok().filter(|n| [20, 50, 100].contains(n)).unwrap_or(20);
    let page: u32 = params.page.parse().ok().filter(|n| *n >= 1).unwrap_or(1);
    let (title, base) = match kind {
        Some(k) => (k.label.to_string(), format!("/cases/{}", k.slug)),
        None => ("全部案件".to_string(), "/cases".to_string()),
    };
    let mut layout = Layout::new(&app, &p, &title, &base).crumb(&base, &title);
    let (rows, total, capped, errors) = match params.to_filter(&app) {
        Ok(filter) => {
            let result = app.list(&p, &filter, page, per_page).await?;
            let today = local_date(app.now());
            let soon = app.working_days_from_today(2);
            let rows = result.items.iter().map(|i| row(&app, &i.case, &i.unit_name, today, soon)).collect();
            (rows, result.total, result.capped, HashMap::new())
        }
        Err(errs) => {
            layout.alert = Some(
                "筛选条件有误，请按提示修改：".to_string()
                    + &errs.iter().map(FieldError::message).collect::<Vec<_>>().join("；"),
            );
            (Vec::new(), 0, false, forms::errors_by_field(&errs))
        }
    };
    let pages = u32::try_from(total.div_ceil(u64::from(per_page))).unwrap_or(1).max(1);
    let q = params.query();
    let href = |n: u32| format!("{base}?{q}{}page={n}", if q.is_empty() { "" } else { "&" });
    let states = match kind {
        Some(k) => k.workflow.states.iter().map(|s| (s.code.to_string(), s.label.to_string())).collect(),
        None => Vec::new(),
    };
    let choices = |field: &str| kind.map(|k| k.open_choices(field)).unwrap_or_default();
    let units = units_for(&app, &p)
        .into_iter()
        .map(|u| (u.id.to_string(), format!("{}{}", "　".repeat(u.path.depth().saturating_sub(1)), u.name)))
        .collect();
    let sorts = vec![
        ("-opened_at".to_string(), "受理时间（新→旧）".to_string()),
        ("opened_at".to_string(), "受理时间（旧→新）".to_string()),
        ("due_on".to_string(), "办理期限（近→远）".to_string()),
        ("-updated_at".to_string(), "最近更新".to_string()),
        ("receipt_no".to_string(), "受理编号".to_string()),
    ];
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page_view = ListPage {
        heading: title,
        action: base.clone(),
        can_open: kind.is_some_and(|k| k.workflow.open.permits(&p.actor)),
        kinds: opts(
            app.kinds().all().iter().map(|k| (k.slug.to_string(), k.label.to_string())).collect(),
            &params.kind,
        ),
        states: opts(states, &params.state),
        categories: opts(choices("category"), &params.category),
        urgencies: opts(choices("urgency"), &params.urgency),
        units: opts(units, &params.unit),
        sorts: opts(sorts, if params.sort.is_empty() { "-opened_at" } else { &params.sort }),
        errors,
        rows,
        total,
        capped,
        page,
        pages,
        per_page,
        prev_href: (page > 1).then(|| href(page - 1)),
        next_href: (page < pages).then(|| href(page + 1)),
        export_href: format!("{base}/export.xlsx?{q}"),
        show_kind: kind.is_none(),
        metric_banner: nonempty(&params.metric).and_then(|code| {
            let m = app.catalogue().get(&code)?;
            let town = nonempty(&params.tenant)
                .and_then(|c| app.tenants().iter().find(|t| t.code.eq_ignore_ascii_case(&c)).map(|t| t.name.clone()))
                .unwrap_or_default();
            let what = match &m.measure {
                fazhi_domain::metric::Measure::Ratio { num, .. } => {
                    format!("“{}”的分子“{}”", m.name, app.catalogue().get(num).map_or("", |n| n.name))
                }
                _ => format!("“{}”", m.name),
            };
            Some(format!("{town}按指标{what}列出（{} 至 {}）：{}。", params.mfrom, params.mto, m.formula))
        }),
        p: params,
        layout,
    };
    let mut resp = render(&page_view);
    *resp.status_mut() = status;
    Ok(resp)
}

pub async fn list_all(State(app): State<App>, Staff(p): Staff, Query(params): Query<ListParams>) -> PageResult {
    list(app, p, None, params).await
}

pub async fn list_kind(
    State(app): State<App>,
    Staff(p): Staff,
    Path(kind): Path<String>,
    Query(params): Query<ListParams>,
) -> PageResult {
    let k = app.kind(&kind)?.clone();
    list(app, p, Some(&k), params).await
}

async fn export(app: App, p: Principal, params: ListParams) -> PageResult {
    let filter = params.to_filter(&app).map_err(ServiceError::Invalid)?;
    let export = app.export_cases(&p, &filter).await?;
    // Open before the temporary path is removed: the open file keeps its bytes.
    let file = tokio::fs::File::open(&export.file).await.map_err(|e| ServiceError::Internal(e.to_string()))?;
    drop(export.file);
    let name = format!("案件清单-{}.xlsx", fmt_date(local_date(app.now())));
    let disposition = format!("attachment; filename=\"cases.xlsx\"; filename*=UTF-8''{}", url(&name));
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(tokio_util::io::ReaderStream::new(file)),
    )
        .into_response())
}

pub async fn export_all(State(app): State<App>, Staff(p): Staff, Query(params): Query<ListParams>) -> PageResult {
    export(app, p, params).await
}

pub async fn export_kind(
    State(app): State<App>,
    Staff(p): Staff,
    Path(kind): Path<String>,
    Query(mut params): Query<ListParams>,
) -> PageResult {
    app.kind(&kind)?;
    params.kind = kind;
    export(app, p, params).await
}

#[derive(Template)]
#[template(path = "new.html")]
struct NewPage {
    layout: Layout,
    kind: String,
    label: String,
    fields_html: String,
    candidates: Vec<super::links::CandidateRow>,
}

/// "登记成功": a registered case's receipt number and query code (also after a visit is converted).
#[derive(Template)]
#[template(path = "created.html")]
pub(super) struct CreatedPage {
    pub(super) layout: Layout,
    pub(super) label: String,
    pub(super) receipt_no: String,
    pub(super) query_code: String,
    /// The case page; empty when the case is withheld from the clerk who registered it (第三十条).
    pub(super) href: String,
    pub(super) new_href: String,
    pub(super) due: String,
}

fn new_page_for(
    app: &App,
    p: &Principal,
    k: &KindDef,
    values: &HashMap<String, String>,
    errors: &[FieldError],
    candidates: Vec<super::links::CandidateRow>,
    staff: &[(String, String)],
) -> Response {
    let mut layout = Layout::new(app, p, &format!("登记{}", k.label), &format!("/cases/{}", k.slug))
        .crumb(&format!("/cases/{}", k.slug), k.label)
        .crumb(&format!("/cases/{}/new", k.slug), "登记");
    if !errors.is_empty() {
        layout.alert = Some(format!(
            "有{}处需要修改：{}",
            errors.len(),
            errors.iter().map(FieldError::message).collect::<Vec<_>>().join("；")
        ));
    }
    let units = units_for(app, p);
    let choices = forms::Choices { units: &units, staff };
    let html = forms::fields("new", &k.workflow.open.fields, values, &forms::errors_by_field(errors), &choices);
    if !candidates.is_empty() && errors.is_empty() {
        layout.alert = Some(format!(
            "发现{}件可能重复的案件（同一人或相似事项），请先核对。如确认不是重复，请勾选“确认登记为新案件”后再次提交；如是同一事项，可在原案件页面关联或合并。",
            candidates.len()
        ));
    }
    let mut resp = render(&NewPage {
        layout,
        kind: k.slug.to_string(),
        label: k.label.to_string(),
        fields_html: html,
        candidates,
    });
    if !errors.is_empty() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    resp
}

pub async fn new_page(State(app): State<App>, Staff(p): Staff, Path(kind): Path<String>) -> PageResult {
    let k = app.kind(&kind)?;
    if !k.workflow.open.permits(&p.actor) {
        return Err(ServiceError::Forbidden(format!("您的角色不能登记{}", k.label)).into());
    }
    let staff = forms::staff_for(&app, &p, &k.workflow.open.fields.iter().collect::<Vec<_>>()).await?;
    Ok(new_page_for(&app, &p, k, &HashMap::new(), &[], Vec::new(), &staff))
}

pub async fn create(
    State(app): State<App>,
    Staff(p): Staff,
    Path(kind): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = forms::joined(pairs);
    check_csrf(&p, f.get("_csrf").map(String::as_str))?;
    let k = app.kind(&kind)?;
    let staff = forms::staff_for(&app, &p, &k.workflow.open.fields.iter().collect::<Vec<_>>()).await?;
    let submitted = Submitted { values: f.clone(), ..Default::default() };
    let input = submitted.input(&k.workflow.open.fields);
    // 重复件: the same person or the same matter already open is shown before anything is
    // registered; the clerk confirms a new case, or links or merges on the original.
    if !f.contains_key("confirm_new") {
        let candidates = super::links::duplicates(&app, &p, &kind, &input).await;
        if !candidates.is_empty() {
            return Ok(new_page_for(&app, &p, k, &f, &[], candidates, &staff));
        }
    }
    match app.open_case(&p, &kind, &input).await {
        Ok(opened) => {
            let c = &opened.case;
            let layout = Layout::new(&app, &p, "登记成功", &format!("/cases/{kind}"))
                .crumb(&format!("/cases/{kind}"), k.label)
                .crumb("#", "登记成功");
            Ok(render(&CreatedPage {
                layout,
                label: k.label.to_string(),
                receipt_no: c.receipt_no.clone(),
                query_code: opened.query_code,
                href: super::links::href_if_visible(&app, &p, &kind, c.id).await?,
                new_href: format!("/cases/{kind}/new"),
                due: c.clocks.due_on().map(fmt_date).unwrap_or_else(|| "—".into()),
            }))
        }
        Err(ServiceError::Invalid(errors)) => Ok(new_page_for(&app, &p, k, &f, &errors, Vec::new(), &staff)),
        Err(e) => Err(e.into()),
    }
}

/// One entry of the timeline.
pub struct EventView {
    pub at: String,
    pub actor: String,
    pub label: String,
    pub transition: String,
    pub details: Vec<(String, String)>,
    pub files: Vec<(String, String)>,
}

pub struct ClockRow {
    pub label: String,
    pub due: String,
    pub status: String,
    pub statutory: bool,
    pub overdue: bool,
    pub provisional: bool,
    pub steps: Vec<String>,
}

pub struct ActionView {
    pub code: String,
    pub label: String,
    pub href: String,
    pub fields_html: String,
    pub confirm: String,
    pub open: bool,
    pub files: bool,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    layout: Layout,
    receipt_no: String,
    kind_label: String,
    title: String,
    state_label: String,
    tone: &'static str,
    unit: String,
    opened: String,
    closed: String,
    query_code: Option<String>,
    /// What every reader must be told (a late request, a rule broken at the desk).
    notices: Vec<String>,
    clocks: Vec<ClockRow>,
    info: Vec<(String, String)>,
    handling: Vec<(String, String)>,
    timeline: Vec<EventView>,
    files: Vec<(String, String, String)>,
    actions: Vec<ActionView>,
    version: i64,
    links: Vec<LinkRow>,
    link_href: Option<String>,
    merge_href: Option<String>,
    same_matter: bool,
    convert: Vec<(String, String)>,
}

/// A link of the case as the page shows it.
pub struct LinkRow {
    pub label: String,
    pub href: Option<String>,
    pub text: String,
    pub note: String,
}

/// A stored value as a person reads it: masks for sealed values, labels for choices, unit names.
fn display(app: &App, f: Option<&FieldDef>, v: &Json, people: &HashMap<String, String>) -> String {
    if let Some(m) = v.get("mask").and_then(Json::as_str) {
        return m.to_string();
    }
    if let (Some(FieldKind::Users { .. }), Json::Array(ids)) = (f.map(|f| &f.kind), v) {
        let names: Vec<String> = ids
            .iter()
            .filter_map(Json::as_str)
            .map(|id| people.get(id).cloned().unwrap_or_else(|| "（已不在系统中的用户）".into()))
            .collect();
        return names.join("、");
    }
    let text = match v {
        Json::String(s) => s.clone(),
        Json::Bool(b) => {
            if *b {
                "是".into()
            } else {
                "否".into()
            }
        }
        Json::Null => String::new(),
        other => other.to_string(),
    };
    match f.map(|f| &f.kind) {
        Some(FieldKind::Choice { .. }) => f.and_then(|f| f.choice_label(&text)).map_or(text, String::from),
        Some(FieldKind::Unit { .. }) => UnitId::parse(&text).ok().and_then(|id| app.unit(id)).map_or(text, |u| u.name),
        Some(FieldKind::Money) => v.as_i64().map_or(text, |fen| fazhi_domain::values::Money::from_fen(fen).to_string()),
        _ => text,
    }
}

/// The display names of the staff users named in the case's users fields (the accused of a
/// 检举控告), in its data and in its timeline.
async fn people_named(
    app: &App,
    defs: &[&FieldDef],
    c: &CaseRecord,
    events: &[Event],
) -> Result<HashMap<String, String>, PageError> {
    let mut ids: Vec<String> = Vec::new();
    for f in defs.iter().filter(|f| matches!(f.kind, FieldKind::Users { .. })) {
        let in_events = events.iter().filter_map(|e| e.payload.get(f.name));
        for v in c.data.get(f.name).into_iter().chain(in_events) {
            ids.extend(v.as_array().into_iter().flatten().filter_map(Json::as_str).map(String::from));
        }
    }
    ids.sort();
    ids.dedup();
    let mut out = HashMap::new();
    for id in ids {
        if let Ok(uid) = fazhi_domain::ids::UserId::parse(&id)
            && let Some(name) = app.staff_name(uid).await?
        {
            out.insert(id, name);
        }
    }
    Ok(out)
}

fn all_fields(k: &KindDef) -> Vec<&FieldDef> {
    std::iter::once(&k.workflow.open).chain(&k.workflow.actions).flat_map(|a| &a.fields).collect()
}

fn event_view(
    app: &App,
    k: &KindDef,
    e: &Event,
    names: &HashMap<String, String>,
    people: &HashMap<String, String>,
    kind: &str,
    case: CaseId,
) -> EventView {
    let action: Option<&ActionDef> =
        if e.action == k.workflow.open.code { Some(&k.workflow.open) } else { k.workflow.action(&e.action) };
    let state = |s: &Option<String>| s.as_deref().map(|x| k.workflow.state_label(x).to_string());
    let transition = match (state(&e.from_state), state(&e.to_state)) {
        (Some(a), Some(b)) if a != b => format!("{a} → {b}"),
        (None, Some(b)) => format!("→ {b}"),
        _ => String::new(),
    };
    let mut details = Vec::new();
    match (&e.payload, action) {
        (Json::Object(m), Some(a)) => {
            for f in &a.fields {
                if let Some(v) = m.get(f.name) {
                    details.push((f.label.to_string(), display(app, Some(f), v, people)));
                }
            }
        }
        (Json::Object(m), None) => {
            if let Some(Json::Array(changes)) = m.get("changes") {
                for c in changes {
                    let label = c.get("clock").and_then(Json::as_str).unwrap_or("期限");
                    let b = c.get("before").and_then(Json::as_str).unwrap_or("");
                    let a = c.get("after").and_then(Json::as_str).unwrap_or("");
                    details.push((label.to_string(), format!("{b} → {a}")));
                }
            }
            if let Some(r) = m.get("reason").and_then(Json::as_str) {
                details.push(("原因".into(), r.to_string()));
            }
        }
        _ => {}
    }
    let files = e
        .attachments
        .iter()
        .map(|h| {
            (
                names.get(h).cloned().unwrap_or_else(|| h[..12.min(h.len())].to_string()),
                format!("/cases/{kind}/{case}/files/{h}"),
            )
        })
        .collect();
    EventView {
        at: fmt_minute_ms(e.occurred_at),
        actor: e.actor_name.clone(),
        label: e.action_label.clone(),
        transition,
        details,
        files,
    }
}

struct Failed<'a> {
    action: &'a str,
    values: &'a HashMap<String, String>,
    errors: &'a [FieldError],
}

async fn case_page_for(
    app: &App,
    p: &Principal,
    d: &CaseDetail,
    flash: Option<String>,
    alert: Option<String>,
    failed: Option<Failed<'_>>,
) -> Result<Response, PageError> {
    let c = &d.case;
    let k = app.kind(&c.kind)?;
    let base = format!("/cases/{}", c.kind);
    let mut layout = Layout::new(app, p, &c.receipt_no, &base).crumb(&base, k.label).crumb("#", &c.receipt_no);
    layout.flash = flash;
    layout.alert = alert;
    let files = app.case_attachments(p, c.id).await?;
    let names: HashMap<String, String> = files.iter().map(|f| (f.hash.clone(), f.name.clone())).collect();
    let field_defs = all_fields(k);
    let people = people_named(app, &field_defs, c, &d.events).await?;
    // Registration fields first, in form order; then what the procedure recorded.
    let mut info = Vec::new();
    for f in &k.workflow.open.fields {
        let v = match f.name {
            "title" => Some(Json::String(c.title.clone())),
            "category" => c.category.clone().map(Json::String),
            "urgency" => c.urgency.clone().map(Json::String),
            "location" => c.location.clone().map(Json::String),
            other => c.data.get(other).cloned(),
        };
        if let Some(v) = v {
            info.push((f.label.to_string(), display(app, Some(f), &v, &people)));
        }
    }
    let open_names: Vec<&str> = k.workflow.open.fields.iter().map(|f| f.name).collect();
    let mut handling = Vec::new();
    let mut seen = Vec::new();
    for f in &field_defs {
        if open_names.contains(&f.name) || seen.contains(&f.name) {
            continue;
        }
        if let Some(v) = c.data.get(f.name) {
            seen.push(f.name);
            handling.push((f.label.to_string(), display(app, Some(f), v, &people)));
        }
    }
    let clocks = d
        .clocks
        .iter()
        .map(|cl| ClockRow {
            label: cl.label.clone(),
            due: fmt_date(cl.due.unwrap_or(cl.deadline)),
            status: if !cl.running {
                match cl.met {
                    Some(true) => "已按期完成".into(),
                    Some(false) => "超期完成".into(),
                    None => "已停止".into(),
                }
            } else if cl.suspended {
                "中止计算中".into()
            } else if cl.overdue {
                "已超期".into()
            } else {
                "计时中".into()
            },
            statutory: cl.statutory,
            overdue: cl.overdue,
            provisional: cl.provisional,
            steps: cl.explanation.clone(),
        })
        .collect();
    let units = units_for(app, p);
    let action_fields: Vec<&FieldDef> = d.actions.iter().flat_map(|a| &a.fields).collect();
    let staff = forms::staff_for(app, p, &action_fields).await?;
    let choices = forms::Choices { units: &units, staff: &staff };
    let no_values = HashMap::new();
    let actions = d
        .actions
        .iter()
        .map(|a| {
            let (values, errors, open) = match &failed {
                Some(f) if f.action == a.code => (f.values, forms::errors_by_field(f.errors), true),
                _ => (&no_values, HashMap::new(), false),
            };
            ActionView {
                code: a.code.to_string(),
                label: a.label.to_string(),
                href: format!("/cases/{}/{}/actions/{}", c.kind, c.id, a.code),
                fields_html: forms::fields(a.code, &a.fields, values, &errors, &choices),
                confirm: a.confirm.unwrap_or("").to_string(),
                open,
                files: !a.public,
            }
        })
        .collect();
    let query_code = if p.has_role(fazhi_domain::role::Role::IntakeClerk) {
        app.query_code(p, c.id).await.ok().flatten()
    } else {
        None
    };
    let links = app
        .links(p, c.id)
        .await?
        .into_iter()
        .map(|l| match &l.other {
            Some(o) => LinkRow {
                label: l.label.to_string(),
                href: Some(format!("/cases/{}/{}", o.kind, o.id)),
                text: format!("{} {} {}（{}）", o.kind_label, o.receipt_no, o.title, o.state_label),
                note: l.note.clone(),
            },
            None => LinkRow {
                label: l.label.to_string(),
                href: None,
                text: "（不在您的管辖范围内）".into(),
                note: l.note.clone(),
            },
        })
        .collect();
    let linker = [Role::IntakeClerk, Role::Mediator, Role::Leader, Role::JudicialOffice].iter().any(|r| p.has_role(*r));
    let merge_open =
        k.workflow.action("merge").is_some_and(|a| a.from.contains(&c.state.as_str()) && a.permits(&p.actor));
    let convert = match k.workflow.action("convert") {
        Some(a) if a.from.contains(&c.state.as_str()) && a.permits(&p.actor) => {
            match a.field("target_kind").map(|f| &f.kind) {
                Some(FieldKind::Choice { options }) => options
                    .iter()
                    .map(|(code, label)| (format!("/cases/{}/{}/convert/{code}", c.kind, c.id), format!("转为{label}")))
                    .collect(),
                _ => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    let page = CasePage {
        layout,
        receipt_no: c.receipt_no.clone(),
        kind_label: k.label.to_string(),
        title: c.title.clone(),
        state_label: d.state_label.clone(),
        tone: tone(c),
        unit: d.unit_name.clone(),
        opened: fmt_minute_ms(c.opened_at),
        closed: c.closed_at.map(fmt_minute_ms).unwrap_or_default(),
        query_code,
        notices: fazhi_domain::workflow::shared::notices(&c.data),
        clocks,
        info,
        handling,
        timeline: d.events.iter().map(|e| event_view(app, k, e, &names, &people, &c.kind, c.id)).collect(),
        files: files
            .iter()
            .map(|f| {
                (f.name.clone(), format!("/cases/{}/{}/files/{}", c.kind, c.id, f.hash), fmt_minute_ms(f.uploaded_at))
            })
            .collect(),
        actions,
        version: c.version,
        links,
        link_href: (linker && c.phase != Phase::Archived).then(|| format!("/cases/{}/{}/link", c.kind, c.id)),
        merge_href: merge_open.then(|| format!("/cases/{}/{}/merge", c.kind, c.id)),
        same_matter: c.kind == "petition",
        convert,
    };
    Ok(render(&page))
}

/// The case page with a message over it (a refused link or merge).
pub async fn case_page_with_alert(
    app: &App,
    p: &Principal,
    kind: &str,
    id: CaseId,
    alert: String,
    status: StatusCode,
) -> PageResult {
    let d = app.detail(p, id).await?;
    if d.case.kind != kind {
        return Err(ServiceError::NotFound("案件不存在".into()).into());
    }
    let mut resp = case_page_for(app, p, &d, None, Some(format!("{alert}。本次操作未执行。")), None).await?;
    *resp.status_mut() = status;
    Ok(resp)
}

fn parse_case(raw: &str) -> Result<CaseId, PageError> {
    CaseId::parse(raw).map_err(|_| ServiceError::NotFound("案件不存在".into()).into())
}

pub async fn case_page(
    State(app): State<App>,
    Staff(p): Staff,
    Path((kind, id)): Path<(String, String)>,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let d = app.detail(&p, parse_case(&id)?).await?;
    if d.case.kind != kind {
        return Err(PageError::Redirect(format!("/cases/{}/{}", d.case.kind, d.case.id)));
    }
    let linked = q
        .get("linked")
        .map(|_| "已关联。".to_string())
        .or_else(|| q.get("merged").map(|_| "已作为重复件并入原案件。".to_string()));
    let flash = q.get("done").and_then(|code| {
        let k = app.kinds().get(&kind)?;
        let label = if code == k.workflow.open.code { k.workflow.open.label } else { k.workflow.action(code)?.label };
        let due = d.case.clocks.due_on().map(|x| format!("，办理期限 {}", fmt_date(x))).unwrap_or_default();
        Some(format!("已{label}。当前状态：{}；承办单位：{}{due}。", d.state_label, d.unit_name))
    });
    case_page_for(&app, &p, &d, flash.or(linked), None, None).await
}

pub async fn act(
    State(app): State<App>,
    Staff(p): Staff,
    Path((kind, id, action)): Path<(String, String, String)>,
    mp: Multipart,
) -> PageResult {
    let id = parse_case(&id)?;
    let mut submitted = match forms::read_multipart(&app, &p.csrf, mp).await {
        Ok(s) => s,
        Err(forms::ReadError::Malformed(m)) => return Err(ServiceError::BadRequest(m).into()),
        Err(forms::ReadError::Csrf) => return Err(PageError::csrf()),
        Err(forms::ReadError::Service(e)) => return Err(e.into()),
    };
    check_csrf(&p, submitted.get("_csrf"))?;
    let version: i64 = submitted
        .get("version")
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| ServiceError::BadRequest("表单缺少版本号，请刷新页面后重试".into()))?;
    let k = app.kind(&kind)?;
    let defs: Vec<FieldDef> = k.workflow.action(&action).map(|a| a.fields.clone()).unwrap_or_default();
    let input = submitted.input(&defs);
    let uploads = std::mem::take(&mut submitted.uploads);
    let result = if submitted.file_errors.is_empty() {
        app.act_with_files(&p, id, &action, &input, version, uploads).await
    } else {
        // A file was refused as it arrived: nothing is taken, the form comes back with the reason.
        Err(ServiceError::Invalid(std::mem::take(&mut submitted.file_errors)))
    };
    let (status, alert, failed_errors) = match result {
        Ok(c) => return Ok(Redirect::to(&format!("/cases/{}/{}?done={}", c.kind, c.id, url(&action))).into_response()),
        Err(ServiceError::Invalid(errors)) => {
            let label = k.workflow.action(&action).map_or(action.as_str(), |a| a.label);
            let all: Vec<String> = errors.iter().map(FieldError::message).collect();
            (StatusCode::BAD_REQUEST, format!("“{label}”未提交，请修改：{}", all.join("；")), errors)
        }
        Err(e @ ServiceError::Stale { .. }) => (StatusCode::CONFLICT, format!("{e}。本次操作未执行。"), Vec::new()),
        Err(e @ (ServiceError::WrongState(_) | ServiceError::Rule(_) | ServiceError::UnknownAction(_))) => (
            StatusCode::from_u16(e.status()).unwrap_or(StatusCode::CONFLICT),
            format!("{e}。本次操作未执行。"),
            Vec::new(),
        ),
        Err(e) => return Err(e.into()),
    };
    let d = app.detail(&p, id).await?;
    let failed = Failed { action: &action, values: &submitted.values, errors: &failed_errors };
    let mut resp = case_page_for(&app, &p, &d, None, Some(alert), Some(failed)).await?;
    *resp.status_mut() = status;
    Ok(resp)
}

pub async fn download(
    State(app): State<App>,
    Staff(p): Staff,
    Path((_kind, id, hash)): Path<(String, String, String)>,
) -> PageResult {
    let id = parse_case(&id)?;
    if hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ServiceError::NotFound("附件不存在".into()).into());
    }
    let (rec, path) = app.attachment_file(&p, id, &hash).await?;
    let file =
        tokio::fs::File::open(&path).await.map_err(|e| ServiceError::Internal(format!("{}: {e}", path.display())))?;
    let inline = rec.mime.starts_with("image/") || rec.mime == "application/pdf";
    let disposition = format!(
        "{}; filename=\"file\"; filename*=UTF-8''{}",
        if inline { "inline" } else { "attachment" },
        url(&rec.name)
    );
    Ok((
        [(header::CONTENT_TYPE, rec.mime.clone()), (header::CONTENT_DISPOSITION, disposition)],
        Body::from_stream(tokio_util::io::ReaderStream::new(file)),
    )
        .into_response())
}
