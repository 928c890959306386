//! The case lists, per kind and across kinds: the filter is read by the service's one parser
//! (`ListQuery`, the same as the API's and the export's); a bad field is shown beside its input.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use fazhi_domain::FieldError;
use fazhi_domain::kinds::KindDef;
use fazhi_domain::time_util::local_date;
use fazhi_domain::workflow::ActionTag;
use fazhi_service::cases::ListQuery;
use fazhi_service::{App, Principal, ServiceError};

use super::{Opt, Row, opts, row, units_for};
use crate::pages::forms;
use crate::pages::html::url;
use crate::pages::session::Staff;
use crate::pages::{Layout, PageResult, render};

/// The URL query of a list's parameters (empty ones left out), without the page number.
pub fn query(q: &ListQuery) -> String {
    q.pairs().iter().map(|(k, v)| format!("{k}={}", url(v))).collect::<Vec<_>>().join("&")
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    layout: Layout,
    heading: String,
    action: String,
    can_open: bool,
    p: ListQuery,
    kinds: Vec<Opt>,
    states: Vec<Opt>,
    phases: Vec<Opt>,
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
    /// The search form starts unfolded (a filter was refused: its message must be seen). On a
    /// wide screen app.js unfolds it; on a phone it stays folded under its summary.
    search_open: bool,
    /// How many filters are set (shown on the folded summary).
    filters_set: usize,
    /// This URL, for the bulk result's way back.
    here: String,
    /// Rows can be selected for bulk actions (a list of one kind).
    bulk: bool,
    bulk_dispatch: Option<BulkDispatch>,
    bulk_remind: bool,
    /// The list's parameters, kept by the page-size and jump form.
    keep: Vec<(String, String)>,
    page_sizes: Vec<u32>,
}

/// The unit choice of 批量派单: the kind's 派单 field and the units it may name.
struct BulkDispatch {
    name: &'static str,
    label: &'static str,
    units: Vec<Opt>,
}

/// The page sizes offered (any 1–200 is read from the URL).
const PAGE_SIZES: [u32; 3] = [20, 50, 100];

async fn list(app: App, p: Principal, kind: Option<&KindDef>, pairs: Vec<(String, String)>) -> PageResult {
    if p.scope.is_nothing() {
        return Err(ServiceError::no_business_data().into());
    }
    // The one parser of the list filter (the API's and the export's too).
    let (mut params, unread) = match ListQuery::from_pairs(pairs) {
        Ok(q) => (q, None),
        Err(e) => (ListQuery::default(), Some(e)),
    };
    if let Some(k) = kind {
        params.kind = k.slug.to_string();
    }
    let per_page = params.per_page();
    let page = params.page_number();
    let (title, base) = match kind {
        Some(k) => (k.label.to_string(), format!("/cases/{}", k.slug)),
        None => ("全部案件".to_string(), "/cases".to_string()),
    };
    let mut layout = Layout::new(&app, &p, &title, &base).crumb(&base, &title);
    let filter = match unread {
        Some(e) => Err(e),
        None => params.to_filter(&app),
    }
    .map_err(|e| match e {
        ServiceError::UnknownKind(_) => ServiceError::field("kind", "类型", "不存在"),
        e => e,
    });
    let mut page = page;
    let (rows, total, capped, errors) = match filter {
        Ok(filter) => {
            let mut result = app.list(&p, &filter, page, per_page).await?;
            // A page past the end (after a bigger page size was chosen): the last page.
            let last = u32::try_from(result.total.div_ceil(u64::from(per_page))).unwrap_or(1).max(1);
            if page > last && result.items.is_empty() && result.total > 0 {
                page = last;
                result = app.list(&p, &filter, page, per_page).await?;
            }
            let today = local_date(app.now());
            let soon = app.working_days_from_today(2);
            let rows = result.items.iter().map(|i| row(&app, &i.case, &i.unit_name, today, soon)).collect();
            (rows, result.total, result.capped, HashMap::new())
        }
        Err(ServiceError::Invalid(errs)) => {
            layout.alert = Some(
                "筛选条件有误，请按提示修改：".to_string()
                    + &errs.iter().map(FieldError::message).collect::<Vec<_>>().join("；"),
            );
            (Vec::new(), 0, false, forms::errors_by_field(&errs))
        }
        Err(e) => return Err(e.into()),
    };
    let pages = u32::try_from(total.div_ceil(u64::from(per_page))).unwrap_or(1).max(1);
    let q = query(&params);
    let href = |n: u32| format!("{base}?{q}{}page={n}", if q.is_empty() { "" } else { "&" });
    let mut states: Vec<(String, String)> = match kind {
        Some(k) => k.workflow.states.iter().map(|s| (s.code.to_string(), s.label.to_string())).collect(),
        None => Vec::new(),
    };
    // Several states (a workbench tile's 待我处理) are one choice of the select, named by their
    // labels, so that 查询 keeps them.
    if let Some(k) = kind.filter(|_| params.state.contains(',')) {
        let labels: Vec<&str> = params.state.split(',').map(|c| k.workflow.state_label(c.trim())).collect();
        states.insert(0, (params.state.clone(), labels.join("、")));
    }
    let phases = [("open", "办理中"), ("closed", "已办结"), ("archived", "已归档")]
        .iter()
        .map(|(c, l)| (c.to_string(), l.to_string()))
        .collect();
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
    let filters_set = params
        .pairs()
        .iter()
        // Sorting and page size filter nothing; a kind's own list is not filtered by its kind.
        .filter(|(k, _)| match *k {
            "sort" | "per_page" => false,
            "kind" => kind.is_none(),
            _ => true,
        })
        .count();
    let units_of = |kinds: &[fazhi_domain::unit::UnitKind]| -> Vec<Opt> {
        units_for(&app, &p)
            .into_iter()
            .filter(|u| kinds.is_empty() || kinds.contains(&u.kind))
            .map(|u| Opt { value: u.id.to_string(), label: u.name, selected: false })
            .collect()
    };
    let may = |tag| kind.and_then(|k| k.workflow.tagged(tag)).is_some_and(|a| a.permits(&p.actor));
    let bulk_dispatch = match kind {
        Some(k) if may(ActionTag::Dispatch) => super::bulk::dispatch_unit_field(k)
            .map(|(name, label, kinds)| BulkDispatch { name, label, units: units_of(&kinds) }),
        _ => None,
    };
    let keep: Vec<(String, String)> = params
        .pairs()
        .into_iter()
        .filter(|(k, _)| *k != "per_page")
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let search_open = !errors.is_empty();
    let here = if q.is_empty() { base.clone() } else { format!("{base}?{q}&page={page}") };
    let page_view = ListPage {
        heading: title,
        action: base.clone(),
        can_open: kind.is_some_and(|k| k.workflow.open.permits(&p.actor)),
        kinds: opts(
            app.kinds().all().iter().map(|k| (k.slug.to_string(), k.label.to_string())).collect(),
            &params.kind,
        ),
        states: opts(states, &params.state),
        phases: opts(phases, &params.phase),
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
        metric_banner: Some(params.metric.trim()).filter(|c| !c.is_empty()).and_then(|code| {
            let m = app.catalogue().get(code)?;
            let tenant = params.tenant.trim();
            let town = app
                .tenants()
                .iter()
                .find(|t| !tenant.is_empty() && t.code.eq_ignore_ascii_case(tenant))
                .map(|t| t.name.clone())
                .unwrap_or_default();
            let what = match &m.measure {
                fazhi_domain::metric::Measure::Ratio { num, .. } => {
                    format!("“{}”的分子“{}”", m.name, app.catalogue().get(num).map_or("", |n| n.name))
                }
                _ => format!("“{}”", m.name),
            };
            Some(format!("{town}按指标{what}列出（{} 至 {}）：{}。", params.mfrom, params.mto, m.formula))
        }),
        search_open,
        filters_set,
        here,
        bulk: kind.is_some(),
        bulk_remind: may(ActionTag::Remind),
        bulk_dispatch,
        keep,
        page_sizes: PAGE_SIZES.to_vec(),
        p: params,
        layout,
    };
    let mut resp = render(&page_view);
    *resp.status_mut() = status;
    Ok(resp)
}

pub async fn list_all(
    State(app): State<App>,
    Staff(p): Staff,
    Query(pairs): Query<Vec<(String, String)>>,
) -> PageResult {
    list(app, p, None, pairs).await
}

pub async fn list_kind(
    State(app): State<App>,
    Staff(p): Staff,
    Path(kind): Path<String>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> PageResult {
    let k = app.kind(&kind)?.clone();
    list(app, p, Some(&k), pairs).await
}
