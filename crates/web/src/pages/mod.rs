//! The staff workbench and the public pages, rendered on the server (askama templates in
//! `crates/web/templates/`), working without JavaScript; a little vendored script adds
//! confirmations and the phone menu. Every page reads through the service with the signed-in
//! user's principal, so scope is enforced where the data is read.

pub mod admin;
pub mod auth;
pub mod cases;
pub mod dashboard;
pub mod forms;
pub mod html;
pub mod links;
pub mod public;
pub mod reports;
pub mod session;
pub mod settings;
pub mod workbench;

use askama::Template;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use fazhi_domain::role::Role;
use fazhi_service::{App, Principal, ServiceError};

/// The page routes.
pub fn routes() -> Router<App> {
    Router::new()
        .route("/", get(home))
        .route("/login", get(auth::login_page).post(auth::login))
        .route("/logout", post(auth::logout))
        .route("/password", get(auth::password_page).post(auth::change_password))
        .route("/activate/{token}", get(auth::activate_page).post(auth::activate))
        .route("/account", get(admin::account_page))
        .route("/workbench", get(workbench::page))
        .route("/cases", get(cases::list_all))
        .route("/cases/export.xlsx", get(cases::export_all))
        .route("/cases/{kind}", get(cases::list_kind))
        .route("/cases/{kind}/export.xlsx", get(cases::export_kind))
        .route("/cases/{kind}/new", get(cases::new_page).post(cases::create))
        .route("/cases/{kind}/bulk", post(cases::bulk))
        .route("/cases/{kind}/{id}", get(cases::case_page))
        .route(
            "/cases/{kind}/{id}/actions/{action}",
            post(cases::act).layer(DefaultBodyLimit::max(
                fazhi_service::attachments::MAX_BYTES * fazhi_service::attachments::MAX_FILES + 1024 * 1024,
            )),
        )
        .route("/cases/{kind}/{id}/files/{hash}", get(cases::download))
        .route("/cases/{kind}/{id}/print/{code}", get(cases::print_page))
        .route("/cases/{kind}/{id}/print/{code}/docx", get(cases::print_docx))
        .route("/cases/{kind}/{id}/reveal", post(cases::reveal))
        .route("/cases/{kind}/{id}/link", post(links::link))
        .route("/cases/{kind}/{id}/merge", post(links::merge))
        .route("/cases/{kind}/{id}/convert/{target}", get(links::convert_page).post(links::convert))
        .route("/dashboard", get(dashboard::page))
        .route("/reports", get(reports::index))
        .route("/reports/compare", get(reports::compare))
        .route("/reports/{year}", get(reports::report_page))
        .route("/reports/{year}/draft", post(reports::save_draft))
        .route("/reports/{year}/submit", post(reports::submit))
        .route("/reports/{year}/review", post(reports::review))
        .route("/reports/{year}/download/{format}", get(reports::download))
        .route("/track", get(public::track_page).post(public::lookup))
        .route("/track/rate", post(public::rate))
        .route("/admin/units", get(admin::units_page).post(admin::create_unit))
        .route("/admin/users", get(admin::users_page).post(admin::create_user))
        .route("/admin/users/{id}/password", post(admin::reset_password))
        .route("/admin/users/{id}/activation-code", post(admin::activation_code))
        .route("/admin/users/{id}/roles", post(admin::set_roles))
        .route("/admin/users/{id}/lock", post(admin::lock))
        .route("/admin/users/{id}/unlock", post(admin::unlock))
        .route("/admin/audit", get(admin::audit_page))
        .route("/admin/settings", get(settings::page))
        .route("/admin/audit/export", get(admin::audit_export))
        .route("/admin/audit/verify", post(admin::audit_verify))
        .route("/static/app.css", get(css))
        .route("/static/app.js", get(js))
}

async fn home(staff: Option<session::Staff>) -> Redirect {
    match staff {
        Some(session::Staff(p)) if p.scope.is_nothing() => Redirect::to(admin::home_of(&p)),
        Some(_) => Redirect::to("/workbench"),
        None => Redirect::to("/login"),
    }
}

async fn css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/app.css"),
    )
}

async fn js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/app.js"),
    )
}

/// An entry of the sidebar.
#[derive(Debug, Clone)]
pub struct NavItem {
    pub href: String,
    pub label: String,
    pub active: bool,
}

/// What every staff page's frame shows.
#[derive(Debug, Clone)]
pub struct Layout {
    pub title: String,
    pub tenant: String,
    pub user: String,
    pub unit: String,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    /// (href, label); the last is the current page.
    pub crumbs: Vec<(String, String)>,
    pub flash: Option<String>,
    pub alert: Option<String>,
}

impl Layout {
    /// The frame for `p`, with the sidebar entries their roles open, `active` marking the current one.
    pub fn new(app: &App, p: &Principal, title: &str, active: &str) -> Self {
        let mut nav = Vec::new();
        let mut add = |href: &str, label: &str| {
            nav.push(NavItem { href: href.into(), label: label.into(), active: href == active })
        };
        if !p.scope.is_nothing() {
            add("/workbench", "工作台");
            for k in app.kinds().all() {
                add(&format!("/cases/{}", k.slug), k.label);
            }
            add("/cases", "全部案件");
            add("/dashboard", "领导驾驶舱");
            add("/reports", "年度报告");
        }
        if p.has_role(Role::SysAdmin) {
            add("/admin/units", "单位管理");
        }
        if p.has_role(Role::SysAdmin) || p.has_role(Role::SecurityAdmin) {
            add("/admin/users", "用户管理");
        }
        if p.has_role(Role::AuditAdmin) {
            add("/admin/audit", "审计日志");
        }
        if p.has_role(Role::SysAdmin) || p.has_role(Role::SecurityAdmin) {
            add("/admin/settings", "系统设置");
        }
        Self {
            title: title.into(),
            tenant: app.tenant(p.user.tenant_id).map(|t| t.name).unwrap_or_default(),
            user: p.user.display_name.clone(),
            unit: app.unit(p.user.unit_id).map(|u| u.name).unwrap_or_default(),
            csrf: p.csrf.clone(),
            nav,
            crumbs: vec![("/workbench".into(), "首页".into())],
            flash: None,
            alert: None,
        }
    }

    pub fn crumb(mut self, href: &str, label: &str) -> Self {
        self.crumbs.push((href.into(), label.into()));
        self
    }
}

/// Renders a template into a response.
pub fn render(t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "页面生成失败").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    heading: String,
    message: String,
}

/// A page-level failure: a service error rendered as a page, or a redirect.
#[derive(Debug)]
pub enum PageError {
    Service(ServiceError),
    Redirect(String),
}

impl PageError {
    pub fn csrf() -> Self {
        Self::Service(ServiceError::Forbidden("表单已过期或来源不明，请刷新页面后重试".into()))
    }
}

impl From<ServiceError> for PageError {
    fn from(e: ServiceError) -> Self {
        Self::Service(e)
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            Self::Redirect(to) => Redirect::to(&to).into_response(),
            Self::Service(ServiceError::Unauthenticated) => Redirect::to("/login").into_response(),
            Self::Service(ServiceError::PasswordChangeRequired) => Redirect::to("/password").into_response(),
            Self::Service(e) => {
                if let Some(cause) = e.cause_chain() {
                    tracing::error!(%cause, "internal error");
                }
                let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                let heading = match status.as_u16() {
                    403 => "无权访问",
                    404 => "未找到",
                    409 => "操作冲突",
                    429 => "请求过于频繁",
                    500 => "系统错误",
                    _ => "无法完成",
                };
                let mut resp =
                    render(&ErrorPage { status: status.as_u16(), heading: heading.into(), message: e.to_string() });
                *resp.status_mut() = status;
                resp
            }
        }
    }
}

pub type PageResult = Result<Response, PageError>;

/// Security headers on every response: no framing, no sniffing, scripts and styles from fazhi
/// itself; `Cache-Control: no-store` unless the handler chose otherwise (only the stylesheet and
/// the script do) — pages and API answers carry personal data that no browser or proxy cache
/// may keep (PIPL art 51; 等保 2.0 §8.1.4.9 residual information); and, when fazhi is served over
/// TLS, HSTS so that the browser never falls back to plain HTTP (§8.1.4.1 c).
pub async fn security_headers(
    axum::extract::State(app): axum::extract::State<App>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if app.config().secure_cookies() {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    resp
}
