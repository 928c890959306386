//! The case page: what was registered, what the procedure recorded, the clocks with their
//! explanation, the timeline, the files, the links and the forms of the actions open now.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use fazhi_domain::FieldError;
use fazhi_domain::case::{CaseRecord, Phase};
use fazhi_domain::event::Event;
use fazhi_domain::ids::{CaseId, UnitId};
use fazhi_domain::kinds::KindDef;
use fazhi_domain::role::Role;
use fazhi_domain::time_util::{fmt_date, fmt_minute_ms};
use fazhi_domain::workflow::{ActionDef, ActionTag, FieldDef, FieldKind};
use fazhi_service::cases::CaseDetail;
use fazhi_service::{App, Principal, ServiceError};
use serde_json::Value as Json;

use super::{parse_case, tone, units_for};
use crate::pages::forms;
use crate::pages::session::Staff;
use crate::pages::{Layout, PageError, PageResult, render};

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
    /// The submit button's words (确认派单, 保存办理记录).
    pub submit: String,
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
    /// Who is told the query code (来电人, 信访人 …: the kind's word).
    party: String,
    /// The papers this user may print now: (page, title, Word file).
    papers: Vec<(String, String, Option<String>)>,
    /// What every reader must be told (a late request, a rule broken at the desk).
    notices: Vec<String>,
    /// 已催办 N 次（最近 …）, while the case is open.
    reminded: Option<String>,
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
    /// The masked fields this user may reveal, as (field, label), and where the form goes.
    reveal: Vec<(String, String)>,
    reveal_href: String,
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
        // What was registered is the page's 基本信息: shown once, not again in the timeline.
        (_, Some(a)) if a.code == k.workflow.open.code => {}
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

pub(super) struct Failed<'a> {
    pub(super) action: &'a str,
    pub(super) values: &'a HashMap<String, String>,
    pub(super) errors: &'a [FieldError],
}

pub(super) async fn case_page_for(
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
                submit: a.submit_label(),
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
        k.workflow.tagged(ActionTag::Merge).is_some_and(|a| a.from.contains(&c.state.as_str()) && a.permits(&p.actor));
    // The kinds the registry can open from this one (a visit turned into a case).
    let convert = match k.workflow.tagged(ActionTag::Convert) {
        Some(a) if a.from.contains(&c.state.as_str()) && a.permits(&p.actor) => app
            .kinds()
            .conversion_targets()
            .map(|t| (format!("/cases/{}/{}/convert/{}", c.kind, c.id, t.slug), format!("转为{}", t.label)))
            .collect(),
        _ => Vec::new(),
    };
    let papers = app
        .papers(p, d)?
        .into_iter()
        .map(|x| {
            let href = format!("/cases/{}/{}/print/{}", c.kind, c.id, x.code);
            let docx = x.docx.then(|| format!("{href}/docx"));
            (href, x.title.to_string(), docx)
        })
        .collect();
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
        party: k.wording.party.to_string(),
        papers,
        notices: fazhi_domain::workflow::shared::notices(&c.data),
        reminded: {
            use fazhi_domain::workflow::shared::{REMINDED_ON, reminders};
            let n = reminders(c);
            (n > 0 && c.phase == fazhi_domain::case::Phase::Open)
                .then(|| format!("被催办 {n} 次（最近一次 {}），请抓紧办理", c.data_str(REMINDED_ON).unwrap_or("—")))
        },
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
        same_matter: app.can_link_same_matter(c),
        convert,
        reveal: app.revealable(p, c),
        reveal_href: format!("/cases/{}/{}/reveal", c.kind, c.id),
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
        return Err(ServiceError::case_not_found().into());
    }
    let mut resp = case_page_for(app, p, &d, None, Some(format!("{alert}。本次操作未执行。")), None).await?;
    *resp.status_mut() = status;
    Ok(resp)
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
