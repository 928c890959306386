//! Login, logout and the password change a temporary password forces.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use fazhi_service::{App, ServiceError, SessionKind};

use super::session::{self, AnyStaff};
use super::{PageResult, render};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    username: String,
    next: String,
    message: Option<String>,
    notice: Option<String>,
}

/// Only same-site paths are followed after login.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/login") => n.to_string(),
        _ => "/".to_string(),
    }
}

pub async fn login_page(
    State(app): State<App>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let (csrf, set) = session::anon_csrf(&app, &headers);
    let notice = if q.contains_key("expired") {
        Some("会话已超时，请重新登录。".to_string())
    } else if q.contains_key("bye") {
        Some("已退出登录。".to_string())
    } else {
        None
    };
    let page = LoginPage {
        csrf,
        username: String::new(),
        next: safe_next(q.get("next").map(String::as_str)),
        message: None,
        notice,
    };
    let mut resp = render(&page);
    if let Some((k, v)) = set {
        resp.headers_mut().insert(k, v);
    }
    resp
}

pub async fn login(State(app): State<App>, headers: HeaderMap, Form(f): Form<HashMap<String, String>>) -> PageResult {
    session::check_anon_csrf(&headers, f.get("_csrf").map(String::as_str))?;
    let username = f.get("username").cloned().unwrap_or_default();
    let password = f.get("password").cloned().unwrap_or_default();
    let next = safe_next(f.get("next").map(String::as_str));
    match app.login(&username, &password, SessionKind::Web).await {
        Ok(ok) => {
            let max_age = i64::from(app.config().security.session_max_hours) * 3600;
            let target = if ok.user.must_change_password { "/password".to_string() } else { next };
            let mut resp = Redirect::to(&target).into_response();
            resp.headers_mut()
                .insert(SET_COOKIE, session::set_cookie(&app, session::SESSION_COOKIE, &ok.token, max_age));
            Ok(resp)
        }
        Err(
            e @ (ServiceError::BadCredentials
            | ServiceError::Locked { .. }
            | ServiceError::Disabled
            | ServiceError::Invalid(_)),
        ) => {
            let (csrf, _) = session::anon_csrf(&app, &headers);
            let status =
                if matches!(e, ServiceError::Invalid(_)) { StatusCode::BAD_REQUEST } else { StatusCode::UNAUTHORIZED };
            let mut resp = render(&LoginPage { csrf, username, next, message: Some(e.to_string()), notice: None });
            *resp.status_mut() = status;
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn logout(
    State(app): State<App>,
    AnyStaff(p): AnyStaff,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    session::check_csrf(&p, f.get("_csrf").map(String::as_str))?;
    app.logout(&p).await?;
    let mut resp = Redirect::to("/login?bye=1").into_response();
    resp.headers_mut().insert(SET_COOKIE, session::set_cookie(&app, session::SESSION_COOKIE, "", 0));
    Ok(resp)
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    csrf: String,
    forced: bool,
    user: String,
    errors: HashMap<String, String>,
    done: bool,
}

pub async fn password_page(AnyStaff(p): AnyStaff) -> Response {
    render(&PasswordPage {
        csrf: p.csrf.clone(),
        forced: p.user.must_change_password,
        user: p.user.display_name.clone(),
        errors: HashMap::new(),
        done: false,
    })
}

pub async fn change_password(
    State(app): State<App>,
    AnyStaff(p): AnyStaff,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    session::check_csrf(&p, f.get("_csrf").map(String::as_str))?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let mut errors = HashMap::new();
    if get("new_password") != get("confirm_password") {
        errors.insert("confirm_password".to_string(), "两次输入的新密码不一致".to_string());
    } else {
        match app.change_password(&p, &get("current_password"), &get("new_password")).await {
            Ok(()) => {
                return Ok(render(&PasswordPage {
                    csrf: p.csrf.clone(),
                    forced: false,
                    user: p.user.display_name.clone(),
                    errors,
                    done: true,
                }));
            }
            Err(ServiceError::Invalid(fields)) => errors = super::forms::errors_by_field(&fields),
            Err(e) => return Err(e.into()),
        }
    }
    let mut resp = render(&PasswordPage {
        csrf: p.csrf.clone(),
        forced: p.user.must_change_password,
        user: p.user.display_name.clone(),
        errors,
        done: false,
    });
    *resp.status_mut() = StatusCode::BAD_REQUEST;
    Ok(resp)
}
