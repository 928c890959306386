//! The three administrators' pages (三员分立): the 系统管理员 manages units and users, the
//! 安全管理员 grants roles and locks or unlocks accounts, the 审计管理员 reads the audit log. Each
//! sees only their part; none sees case data.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Redirect;
use fazhi_domain::FieldError;
use fazhi_domain::ids::{CaseId, UnitId, UserId};
use fazhi_domain::role::Role;
use fazhi_domain::time_util::{day_start_ms, fmt_minute_ms, parse_date};
use fazhi_domain::unit::UnitKind;
use fazhi_service::admin::NewUser;
use fazhi_service::{App, AuditFilter, Principal, ServiceError};
use serde_json::Value as Json;

use super::forms::errors_by_field;
use super::session::{Staff, check_csrf};
use super::{Layout, PageError, PageResult, render};

/// Where an administrator lands.
pub fn home_of(p: &Principal) -> &'static str {
    if p.has_role(Role::SysAdmin) {
        "/admin/units"
    } else if p.has_role(Role::SecurityAdmin) {
        "/admin/users"
    } else if p.has_role(Role::AuditAdmin) {
        "/admin/audit"
    } else {
        "/workbench"
    }
}

pub struct UnitRow {
    pub indent: String,
    pub name: String,
    pub code: String,
    pub kind: String,
}

#[derive(Template)]
#[template(path = "admin_units.html")]
struct UnitsPage {
    layout: Layout,
    units: Vec<UnitRow>,
    parents: Vec<(String, String, bool)>,
    kinds: Vec<(String, String, bool)>,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
}

fn units_page_for(
    app: &App,
    p: &Principal,
    values: HashMap<String, String>,
    errors: &[FieldError],
    flash: Option<String>,
) -> axum::response::Response {
    let mut layout = Layout::new(app, p, "单位管理", "/admin/units").crumb("/admin/units", "单位管理");
    layout.flash = flash;
    if !errors.is_empty() {
        layout.alert = Some(errors.iter().map(FieldError::message).collect::<Vec<_>>().join("；"));
    }
    let mut units: Vec<_> = app.units().values().filter(|u| u.tenant_id == p.user.tenant_id).cloned().collect();
    units.sort_by(|a, b| a.path.cmp(&b.path));
    let parent = values.get("parent").cloned().unwrap_or_default();
    let kind = values.get("kind").cloned().unwrap_or_default();
    let page = UnitsPage {
        parents: units
            .iter()
            .map(|u| {
                (u.id.to_string(), format!("{}{}", "　".repeat(u.path.depth() - 1), u.name), u.id.to_string() == parent)
            })
            .collect(),
        units: units
            .iter()
            .map(|u| UnitRow {
                indent: "　".repeat(u.path.depth() - 1),
                name: u.name.clone(),
                code: u.code.as_str().to_string(),
                kind: u.kind.label().to_string(),
            })
            .collect(),
        kinds: [UnitKind::Department, UnitKind::Village, UnitKind::Community, UnitKind::Grid]
            .iter()
            .map(|k| (k.code().to_string(), k.label().to_string(), k.code() == kind))
            .collect(),
        errors: errors_by_field(errors),
        values,
        layout,
    };
    let mut resp = render(&page);
    if !errors.is_empty() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    resp
}

pub async fn units_page(
    State(app): State<App>,
    Staff(p): Staff,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    p.require(&[Role::SysAdmin])?;
    let flash = q.get("created").map(|c| format!("已新建单位 {c}。"));
    Ok(units_page_for(&app, &p, HashMap::new(), &[], flash))
}

pub async fn create_unit(
    State(app): State<App>,
    Staff(p): Staff,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&p, f.get("_csrf").map(String::as_str))?;
    p.require(&[Role::SysAdmin])?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let mut errors = Vec::new();
    let parent =
        UnitId::parse(&get("parent")).map_err(|_| errors.push(FieldError::new("parent", "上级单位", "请选择"))).ok();
    let kind = UnitKind::parse(&get("kind")).map_err(|e| errors.push(e.at("kind", "单位类型"))).ok();
    if let (Some(parent), Some(kind), true) = (parent, kind, errors.is_empty()) {
        match app.create_unit(&p, Some(parent), &get("code"), &get("name"), kind).await {
            Ok(u) => {
                return Ok(
                    Redirect::to(&format!("/admin/units?created={}", super::html::url(&u.name))).into_response_page()
                );
            }
            Err(ServiceError::Invalid(e)) => errors = e,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(units_page_for(&app, &p, f, &errors, None))
}

trait IntoPage {
    fn into_response_page(self) -> axum::response::Response;
}

impl IntoPage for Redirect {
    fn into_response_page(self) -> axum::response::Response {
        axum::response::IntoResponse::into_response(self)
    }
}

pub struct UserRow {
    pub id: String,
    pub username: String,
    pub name: String,
    pub unit: String,
    pub roles: String,
    pub status: String,
    pub locked: bool,
    pub role_boxes: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    layout: Layout,
    sys_admin: bool,
    security: bool,
    users: Vec<UserRow>,
    units: Vec<(String, String, bool)>,
    roles: Vec<(String, String, bool)>,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
}

async fn users_page_for(
    app: &App,
    p: &Principal,
    values: HashMap<String, String>,
    errors: &[FieldError],
    flash: Option<String>,
    alert: Option<String>,
) -> PageResult {
    let users = app.list_users(p).await?;
    let mut layout = Layout::new(app, p, "用户管理", "/admin/users").crumb("/admin/users", "用户管理");
    layout.flash = flash;
    layout.alert = alert.or_else(|| {
        (!errors.is_empty()).then(|| errors.iter().map(FieldError::message).collect::<Vec<_>>().join("；"))
    });
    let now = app.now_ms();
    let mut units: Vec<_> = app.units().values().filter(|u| u.tenant_id == p.user.tenant_id).cloned().collect();
    units.sort_by(|a, b| a.path.cmp(&b.path));
    let chosen_unit = values.get("unit").cloned().unwrap_or_default();
    let chosen_roles: Vec<String> =
        values.get("roles").map(|r| r.split(',').map(String::from).collect()).unwrap_or_default();
    let assignable: Vec<Role> = Role::ALL.into_iter().filter(|r| *r != Role::District).collect();
    let page = UsersPage {
        sys_admin: p.has_role(Role::SysAdmin),
        security: p.has_role(Role::SecurityAdmin),
        users: users
            .iter()
            .map(|u| UserRow {
                id: u.id.to_string(),
                username: u.username.clone(),
                name: u.display_name.clone(),
                unit: app.unit(u.unit_id).map(|x| x.name).unwrap_or_default(),
                roles: u.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join("、"),
                status: match (u.disabled, u.locked_until) {
                    (true, _) => "已停用".into(),
                    (false, Some(t)) if t > now => {
                        if t == i64::MAX {
                            "已锁定".into()
                        } else {
                            format!("锁定至 {}", fmt_minute_ms(t))
                        }
                    }
                    _ if u.must_change_password => "待修改临时密码".into(),
                    _ => "正常".into(),
                },
                locked: u.locked_until.is_some_and(|t| t > now),
                role_boxes: assignable
                    .iter()
                    .map(|r| (r.code().to_string(), r.label().to_string(), u.roles.contains(r)))
                    .collect(),
            })
            .collect(),
        units: units
            .iter()
            .map(|u| {
                (
                    u.id.to_string(),
                    format!("{}{}", "　".repeat(u.path.depth() - 1), u.name),
                    u.id.to_string() == chosen_unit,
                )
            })
            .collect(),
        roles: assignable
            .iter()
            .map(|r| (r.code().to_string(), r.label().to_string(), chosen_roles.iter().any(|c| c == r.code())))
            .collect(),
        errors: errors_by_field(errors),
        values,
        layout,
    };
    let mut resp = render(&page);
    if !errors.is_empty() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(resp)
}

pub async fn users_page(State(app): State<App>, Staff(p): Staff) -> PageResult {
    users_page_for(&app, &p, HashMap::new(), &[], None, None).await
}

/// Collects repeated form fields (role checkboxes) into comma-joined values.
fn collect(pairs: Vec<(String, String)>) -> HashMap<String, String> {
    let mut m: HashMap<String, String> = HashMap::new();
    for (k, v) in pairs {
        m.entry(k)
            .and_modify(|x| {
                x.push(',');
                x.push_str(&v);
            })
            .or_insert(v);
    }
    m
}

fn parse_roles(raw: Option<&String>) -> Result<Vec<Role>, FieldError> {
    raw.map(|r| r.split(',').filter(|s| !s.is_empty()).map(Role::parse).collect::<Result<Vec<_>, _>>())
        .unwrap_or(Ok(vec![]))
        .map_err(|e| e.at("roles", "角色"))
}

pub async fn create_user(
    State(app): State<App>,
    Staff(p): Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = collect(pairs);
    check_csrf(&p, f.get("_csrf").map(String::as_str))?;
    p.require(&[Role::SysAdmin])?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let mut errors = Vec::new();
    let unit = UnitId::parse(&get("unit")).map_err(|_| errors.push(FieldError::new("unit", "所属单位", "请选择"))).ok();
    let roles = parse_roles(f.get("roles")).map_err(|e| errors.push(e)).unwrap_or_default();
    if let (Some(unit), true) = (unit, errors.is_empty()) {
        let new = NewUser {
            tenant: p.user.tenant_id,
            unit,
            username: get("username"),
            display_name: get("display_name"),
            roles,
            password: None,
            must_change: true,
        };
        match app.create_user(&p, new).await {
            Ok((u, temp)) => {
                let flash = format!(
                    "已创建用户 {}（{}）。临时密码：{}（请当面告知本人，首次登录须修改）",
                    u.username,
                    u.display_name,
                    temp.unwrap_or_default()
                );
                return users_page_for(&app, &p, HashMap::new(), &[], Some(flash), None).await;
            }
            Err(ServiceError::Invalid(e)) => errors = e,
            Err(e) => return Err(e.into()),
        }
    }
    users_page_for(&app, &p, f, &errors, None, None).await
}

fn user_id(raw: &str) -> Result<UserId, PageError> {
    UserId::parse(raw).map_err(|_| ServiceError::NotFound("用户不存在".into()).into())
}

pub async fn reset_password(
    State(app): State<App>,
    Staff(p): Staff,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&p, f.get("_csrf").map(String::as_str))?;
    p.require(&[Role::SysAdmin])?;
    let id = user_id(&id)?;
    let user = app
        .list_users(&p)
        .await?
        .into_iter()
        .find(|u| u.id == id)
        .ok_or_else(|| ServiceError::NotFound("用户不存在".into()))?;
    let pw = app.reset_password_as(&p.actor, &user, None).await?;
    users_page_for(
        &app,
        &p,
        HashMap::new(),
        &[],
        Some(format!("已重置 {} 的密码。临时密码：{pw}（下次登录须修改）", user.username)),
        None,
    )
    .await
}

pub async fn set_roles(
    State(app): State<App>,
    Staff(p): Staff,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let f = collect(pairs);
    check_csrf(&p, f.get("_csrf").map(String::as_str))?;
    let id = user_id(&id)?;
    let roles = match parse_roles(f.get("roles")) {
        Ok(r) => r,
        Err(e) => return users_page_for(&app, &p, HashMap::new(), &[e], None, None).await,
    };
    match app.set_roles(&p, id, &roles).await {
        Ok(()) => {
            users_page_for(&app, &p, HashMap::new(), &[], Some("角色已更新，该用户需重新登录。".into()), None).await
        }
        Err(ServiceError::Invalid(e)) => users_page_for(&app, &p, HashMap::new(), &e, None, None).await,
        Err(e) => Err(e.into()),
    }
}

async fn lock_to(app: App, p: Principal, id: String, f: HashMap<String, String>, locked: bool) -> PageResult {
    check_csrf(&p, f.get("_csrf").map(String::as_str))?;
    let id = user_id(&id)?;
    match app.set_locked(&p, id, locked).await {
        Ok(()) => {
            users_page_for(
                &app,
                &p,
                HashMap::new(),
                &[],
                Some(if locked { "账户已锁定。" } else { "账户已解锁。" }.into()),
                None,
            )
            .await
        }
        Err(e @ ServiceError::Rule(_)) => {
            users_page_for(&app, &p, HashMap::new(), &[], None, Some(e.to_string())).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn lock(
    State(app): State<App>,
    Staff(p): Staff,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    lock_to(app, p, id, f, true).await
}

pub async fn unlock(
    State(app): State<App>,
    Staff(p): Staff,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    lock_to(app, p, id, f, false).await
}

pub struct AuditRow {
    pub at: String,
    pub actor: String,
    pub label: String,
    pub action: String,
    pub case: String,
    pub transition: String,
    pub payload: String,
    pub seq: i64,
    pub hash: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    layout: Layout,
    rows: Vec<AuditRow>,
    total: u64,
    q: HashMap<String, String>,
    errors: HashMap<String, String>,
    prev_href: Option<String>,
    next_href: Option<String>,
    page: u32,
}

/// Sealed values as their masks, for the log.
fn mask(v: &Json) -> Json {
    match v {
        Json::Object(m) if m.contains_key("enc") => m.get("mask").cloned().unwrap_or(Json::Null),
        Json::Object(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), mask(v))).collect()),
        Json::Array(a) => Json::Array(a.iter().map(mask).collect()),
        other => other.clone(),
    }
}

pub async fn audit_page(
    State(app): State<App>,
    Staff(p): Staff,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    p.require(&[Role::AuditAdmin])?;
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("").trim().to_string();
    let mut errors = Vec::new();
    let mut filter = AuditFilter::default();
    if !get("user").is_empty() {
        match app.store().user_by_username(&get("user")).await.map_err(ServiceError::from)? {
            Some(u) if u.tenant_id == p.user.tenant_id => filter.actor = Some(u.id),
            _ => errors.push(FieldError::new("user", "操作人", "没有这个用户名")),
        }
    }
    if !get("action").is_empty() {
        filter.action = Some(get("action"));
    }
    for (k, label) in [("from", "开始日期"), ("to", "结束日期")] {
        if !get(k).is_empty() {
            match parse_date(&get(k)) {
                Ok(d) if k == "from" => filter.from_ms = Some(day_start_ms(d)),
                Ok(d) => filter.to_ms = Some(day_start_ms(d.next_day().unwrap_or(d))),
                Err(e) => errors.push(e.at(k, label)),
            }
        }
    }
    let page: u32 = get("page").parse().ok().filter(|n| *n >= 1).unwrap_or(1);
    let (events, total) = if errors.is_empty() { app.audit_log(&p, filter, page, 50).await? } else { (Vec::new(), 0) };
    let ids: Vec<CaseId> = events.iter().filter_map(|e| e.case_id).collect();
    let receipts = app.store().receipt_numbers(&ids).await.map_err(ServiceError::from)?;
    let rows = events
        .iter()
        .map(|e| AuditRow {
            at: fmt_minute_ms(e.occurred_at),
            actor: e.actor_name.clone(),
            label: e.action_label.clone(),
            action: e.action.clone(),
            case: e.case_id.and_then(|c| receipts.get(&c.to_string()).cloned()).unwrap_or_default(),
            transition: match (&e.from_state, &e.to_state) {
                (Some(a), Some(b)) if a != b => format!("{a} → {b}"),
                (None, Some(b)) => format!("→ {b}"),
                _ => String::new(),
            },
            payload: mask(&e.payload).to_string(),
            seq: e.seq,
            hash: e.hash[..12.min(e.hash.len())].to_string(),
        })
        .collect();
    let qs: String = ["user", "action", "from", "to"]
        .iter()
        .filter(|k| !get(k).is_empty())
        .map(|k| format!("{k}={}&", super::html::url(&get(k))))
        .collect();
    let pages = total.div_ceil(50).max(1);
    let mut layout = Layout::new(&app, &p, "审计日志", "/admin/audit").crumb("/admin/audit", "审计日志");
    if !errors.is_empty() {
        layout.alert = Some(errors.iter().map(FieldError::message).collect::<Vec<_>>().join("；"));
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let mut resp = render(&AuditPage {
        layout,
        rows,
        total,
        errors: errors_by_field(&errors),
        prev_href: (page > 1).then(|| format!("/admin/audit?{qs}page={}", page - 1)),
        next_href: (u64::from(page) < pages).then(|| format!("/admin/audit?{qs}page={}", page + 1)),
        page,
        q,
    });
    *resp.status_mut() = status;
    Ok(resp)
}
