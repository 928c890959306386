//! The three administrators' pages (三员分立): the 系统管理员 manages units and creates accounts
//! (without roles; the user sets the password through a one-time activation link), the 安全管理员
//! issues the activation code that link needs, grants business roles and locks or unlocks accounts, the 审计管理员 reads the audit log (who,
//! when, which case, which action — not what the case says). Each sees only their part; none sees
//! case data. The rules are the service's (`fazhi_service::admin`); these pages only show them.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use fazhi_domain::FieldError;
use fazhi_domain::ids::{UnitId, UserId};
use fazhi_domain::role::Role;
use fazhi_domain::time_util::{day_start_ms, fmt_minute_ms, parse_date};
use fazhi_domain::unit::UnitKind;
use fazhi_service::admin::{Activation, NewUser};
use fazhi_service::audit::AuditQuery;
use fazhi_service::{App, Principal, ServiceError};

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
    } else if p.user.roles.is_empty() {
        "/account"
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
    /// Awaiting activation: the 安全管理员 may issue its activation code.
    pub awaiting: bool,
    /// An administrator's account: managed at the command line only, no buttons here.
    pub admin: bool,
    pub role_boxes: Vec<(String, String, bool)>,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    layout: Layout,
    sys_admin: bool,
    security: bool,
    /// The activation link just issued: shown this once, to be handed to the user.
    activation: Option<ActivationView>,
    /// The activation code just issued (安全管理员): shown this once, to be handed to the user.
    code: Option<CodeView>,
    users: Vec<UserRow>,
    units: Vec<(String, String, bool)>,
    values: HashMap<String, String>,
    errors: HashMap<String, String>,
}

pub struct CodeView {
    pub username: String,
    pub name: String,
    pub code: String,
}

pub struct ActivationView {
    pub username: String,
    pub name: String,
    pub url: String,
    pub expires: String,
}

impl ActivationView {
    fn of(u: &fazhi_service::UserRecord, a: &Activation) -> Self {
        Self {
            username: u.username.clone(),
            name: u.display_name.clone(),
            url: a.url.clone(),
            expires: fmt_minute_ms(a.expires_at),
        }
    }
}

/// The roles the 安全管理员 may grant to a user of `tenant`: the business roles — 区级监督 only at
/// a district office, the town's roles only in a town; never an administrator role.
fn grantable(app: &App, tenant: fazhi_domain::ids::TenantId) -> Vec<Role> {
    let district_office = app.tenant(tenant).is_some_and(|t| t.kind == fazhi_service::TenantKind::District);
    Role::ALL.into_iter().filter(|r| !r.is_admin() && ((*r == Role::District) == district_office)).collect()
}

async fn users_page_for(
    app: &App,
    p: &Principal,
    values: HashMap<String, String>,
    errors: &[FieldError],
    flash: Option<String>,
    alert: Option<String>,
    activation: Option<ActivationView>,
) -> PageResult {
    users_page_with(app, p, values, errors, flash, alert, activation, None).await
}

#[allow(clippy::too_many_arguments)] // each is one thing the page may show
async fn users_page_with(
    app: &App,
    p: &Principal,
    values: HashMap<String, String>,
    errors: &[FieldError],
    flash: Option<String>,
    alert: Option<String>,
    activation: Option<ActivationView>,
    code: Option<CodeView>,
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
    let assignable = grantable(app, p.user.tenant_id);
    let page = UsersPage {
        sys_admin: p.has_role(Role::SysAdmin),
        security: p.has_role(Role::SecurityAdmin),
        activation,
        code,
        users: users
            .iter()
            .map(|u| UserRow {
                id: u.id.to_string(),
                username: u.username.clone(),
                name: u.display_name.clone(),
                unit: app.unit(u.unit_id).map(|x| x.name).unwrap_or_default(),
                roles: if u.roles.is_empty() {
                    "（未分配）".into()
                } else {
                    u.roles.iter().map(|r| r.label()).collect::<Vec<_>>().join("、")
                },
                status: fazhi_service::admin::account_status(u, now),
                locked: u.locked_until.is_some_and(|t| t > now),
                awaiting: fazhi_service::admin::awaiting_activation(u),
                admin: u.roles.iter().any(|r| r.is_admin()) || u.id == p.user.id,
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
    users_page_for(&app, &p, HashMap::new(), &[], None, None, None).await
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
    // Roles are not asked here: a form that sends some anyway is refused by the service (三员分立).
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
            Ok((u, activation)) => {
                let flash =
                    format!("已创建账户 {}（{}），尚无角色：请安全管理员授予业务角色。", u.username, u.display_name);
                let view = ActivationView::of(&u, &activation);
                return users_page_for(&app, &p, HashMap::new(), &[], Some(flash), None, Some(view)).await;
            }
            Err(ServiceError::Invalid(e)) => errors = e,
            Err(e @ ServiceError::Forbidden(_)) => {
                return users_page_for(&app, &p, f, &[], None, Some(e.to_string()), None).await.map(|mut r| {
                    *r.status_mut() = StatusCode::FORBIDDEN;
                    r
                });
            }
            Err(e) => return Err(e.into()),
        }
    }
    users_page_for(&app, &p, f, &errors, None, None, None).await
}

fn user_id(raw: &str) -> Result<UserId, PageError> {
    UserId::parse(raw).map_err(|_| ServiceError::NotFound("用户不存在".into()).into())
}

/// A refusal of the separation rules (403) or of a rule (422) shown on the users page.
async fn refused(app: &App, p: &Principal, e: ServiceError) -> PageResult {
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::FORBIDDEN);
    let mut resp = users_page_for(app, p, HashMap::new(), &[], None, Some(e.to_string()), None).await?;
    *resp.status_mut() = status;
    Ok(resp)
}

pub async fn reset_password(
    State(app): State<App>,
    Staff(p): Staff,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&p, f.get("_csrf").map(String::as_str))?;
    let id = user_id(&id)?;
    match app.reset_password(&p, id).await {
        Ok((user, activation)) => {
            let flash = format!("已重置 {} 的密码：原密码已失效，其登录已结束。", user.username);
            let view = ActivationView::of(&user, &activation);
            users_page_for(&app, &p, HashMap::new(), &[], Some(flash), None, Some(view)).await
        }
        Err(e @ (ServiceError::Forbidden(_) | ServiceError::Rule(_))) if p.has_role(Role::SysAdmin) => {
            refused(&app, &p, e).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The 安全管理员 issues the activation code of an account awaiting activation: shown this once.
pub async fn activation_code(
    State(app): State<App>,
    Staff(p): Staff,
    Path(id): Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&p, f.get("_csrf").map(String::as_str))?;
    let id = user_id(&id)?;
    match app.issue_activation_code(&p, id).await {
        Ok((user, code)) => {
            let flash = format!("已为 {} 签发激活码（原激活码随即失效）。", user.username);
            let view = CodeView { username: user.username, name: user.display_name, code };
            users_page_with(&app, &p, HashMap::new(), &[], Some(flash), None, None, Some(view)).await
        }
        Err(e @ (ServiceError::Forbidden(_) | ServiceError::Rule(_) | ServiceError::WrongState(_)))
            if p.has_role(Role::SecurityAdmin) =>
        {
            refused(&app, &p, e).await
        }
        Err(e) => Err(e.into()),
    }
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
        Err(e) => return users_page_for(&app, &p, HashMap::new(), &[e], None, None, None).await,
    };
    match app.set_roles(&p, id, &roles).await {
        Ok(()) => {
            users_page_for(&app, &p, HashMap::new(), &[], Some("角色已更新，该用户需重新登录。".into()), None, None)
                .await
        }
        Err(ServiceError::Invalid(e)) => users_page_for(&app, &p, HashMap::new(), &e, None, None, None).await,
        Err(e @ (ServiceError::Forbidden(_) | ServiceError::Rule(_))) if p.has_role(Role::SecurityAdmin) => {
            refused(&app, &p, e).await
        }
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
                None,
            )
            .await
        }
        Err(e @ (ServiceError::Forbidden(_) | ServiceError::Rule(_))) if p.has_role(Role::SecurityAdmin) => {
            refused(&app, &p, e).await
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
    pub case: String,
    pub kind: String,
    pub transition: String,
    pub address: String,
    pub details: String,
    pub seq: i64,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    layout: Layout,
    rows: Vec<AuditRow>,
    total: u64,
    q: HashMap<String, String>,
    errors: HashMap<String, String>,
    /// The actions recorded: code, name, whether chosen.
    actions: Vec<(String, String, bool)>,
    prev_href: Option<String>,
    next_href: Option<String>,
    page: u32,
    pages: u64,
    export_href: String,
    /// The lines of a verification just run, and whether it passed.
    verified: Option<(bool, Vec<String>)>,
}

/// The filter fields of the audit page, kept in its links.
const AUDIT_KEYS: [&str; 5] = ["user", "action", "receipt", "from", "to"];

/// The audit page's query as typed: the service's query, or the fields that are wrong.
fn audit_query(q: &HashMap<String, String>) -> (AuditQuery, Vec<FieldError>) {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("").trim().to_string();
    let mut errors = Vec::new();
    let mut query = AuditQuery {
        username: Some(get("user")).filter(|u| !u.is_empty()),
        action_code: Some(get("action")).filter(|a| !a.is_empty()),
        receipt_no: Some(get("receipt")).filter(|r| !r.is_empty()),
        ..Default::default()
    };
    for (k, label) in [("from", "开始日期"), ("to", "结束日期")] {
        if !get(k).is_empty() {
            match parse_date(&get(k)) {
                Ok(d) if k == "from" => query.from_ms = Some(day_start_ms(d)),
                Ok(d) => query.to_ms = Some(day_start_ms(d.next_day().unwrap_or(d))),
                Err(e) => errors.push(e.at(k, label)),
            }
        }
    }
    (query, errors)
}

/// The audit log for the 审计管理员: who (by name), when (to the minute), which case (its
/// receipt number and kind) or account, which action and state change by their Chinese names,
/// from which address — nothing a case says (the service gives nothing more: `AuditEntry`);
/// filtered by person, action, receipt number and dates; exported; and verified.
pub async fn audit_page(
    State(app): State<App>,
    Staff(p): Staff,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    audit_page_with(app, p, q, None).await
}

async fn audit_page_with(
    app: App,
    p: Principal,
    q: HashMap<String, String>,
    verified: Option<(bool, Vec<String>)>,
) -> PageResult {
    p.require(&[Role::AuditAdmin])?;
    const PER_PAGE: u32 = 50;
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or("").trim().to_string();
    let (query, mut errors) = audit_query(&q);
    let page: u32 = get("page").parse().ok().filter(|n| *n >= 1).unwrap_or(1);
    let (entries, total) = if errors.is_empty() {
        match app.audit_log(&p, query, page, PER_PAGE).await {
            Ok(r) => r,
            Err(ServiceError::Invalid(e)) => {
                errors = e;
                (Vec::new(), 0)
            }
            Err(e) => return Err(e.into()),
        }
    } else {
        (Vec::new(), 0)
    };
    let rows = entries
        .iter()
        .map(|e| AuditRow {
            at: fmt_minute_ms(e.occurred_at),
            actor: match &e.actor_username {
                Some(u) => format!("{}（{u}）", e.actor_name),
                None => e.actor_name.clone(),
            },
            label: e.action_label.clone(),
            case: e.receipt_no.clone().unwrap_or_default(),
            kind: e.kind_label.clone().unwrap_or_default(),
            transition: e.transition(),
            address: e.address.clone().unwrap_or_else(|| "—".into()),
            details: e.details.iter().map(|(k, v)| format!("{k}：{v}")).collect::<Vec<_>>().join("；"),
            seq: e.seq,
        })
        .collect();
    let qs: String = AUDIT_KEYS
        .iter()
        .filter(|k| !get(k).is_empty())
        .map(|k| format!("{k}={}&", super::html::url(&get(k))))
        .collect();
    let pages = total.div_ceil(u64::from(PER_PAGE)).max(1);
    let chosen = get("action");
    let actions = app.audit_actions(&p).await?.into_iter().map(|(c, l)| (c.clone(), l, c == chosen)).collect();
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
        actions,
        prev_href: (page > 1).then(|| format!("/admin/audit?{qs}page={}", page - 1)),
        next_href: (u64::from(page) < pages).then(|| format!("/admin/audit?{qs}page={}", page + 1)),
        page,
        pages,
        export_href: format!("/admin/audit/export?{}", qs.trim_end_matches('&')),
        verified,
        q,
    });
    *resp.status_mut() = status;
    Ok(resp)
}

/// The audit log as the page's filter selects it, as an .xlsx workbook.
pub async fn audit_export(
    State(app): State<App>,
    Staff(p): Staff,
    Query(q): Query<HashMap<String, String>>,
) -> PageResult {
    let (query, errors) = audit_query(&q);
    if !errors.is_empty() {
        return Err(ServiceError::Invalid(errors).into());
    }
    let export = app.audit_export(&p, query).await?;
    // Open before the temporary path is removed: the open file keeps its bytes.
    let file = tokio::fs::File::open(&export.file).await.map_err(|e| ServiceError::internal_in("export file", e))?;
    drop(export.file);
    let name =
        format!("审计日志-{}.xlsx", fazhi_domain::time_util::fmt_date(fazhi_domain::time_util::local_date(app.now())));
    let disposition = format!("attachment; filename=\"audit.xlsx\"; filename*=UTF-8''{}", super::html::url(&name));
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(tokio_util::io::ReaderStream::new(file)),
    )
        .into_response())
}

/// Runs the chain verification (`fazhi audit verify`, the same use case) and shows its result
/// above the log.
pub async fn audit_verify(
    State(app): State<App>,
    Staff(p): Staff,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    check_csrf(&p, f.get("_csrf").map(String::as_str))?;
    let outcome = app.verify_for(&p).await?;
    audit_page_with(app, p, HashMap::new(), Some((outcome.is_whole(), outcome.lines()))).await
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
}

/// Where an account without roles lands: it exists, may change its password, and waits for the
/// 安全管理员 to grant it a business role.
pub async fn account_page(State(app): State<App>, Staff(p): Staff) -> PageResult {
    if !p.user.roles.is_empty() {
        return Err(PageError::Redirect(home_of(&p).to_string()));
    }
    Ok(render(&AccountPage {
        layout: Layout::new(&app, &p, "我的账户", "/account").crumb("/account", "我的账户")
    }))
}
