//! Login, logout, the password change a temporary password forces, and the activation page where
//! a user sets their own password from the one-time link an administrator handed over.

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use fazhi_service::{App, ServiceError, SessionKind};

use super::session::{self, AnyStaff, Client};
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

/// Where to go after login: only a path on this site. A browser reads `//host`, `/\host` and
/// such with tabs or newlines inside as another host, so anything but a plain local path — one
/// slash, then no slash or backslash, visible ASCII only, no scheme — goes to the home page
/// (an open redirect would lend fazhi's address to a phishing page).
pub fn safe_next(next: Option<&str>) -> String {
    let ok = |n: &str| {
        let b = n.as_bytes();
        b.first() == Some(&b'/')
            && !matches!(b.get(1), Some(b'/' | b'\\'))
            && n.len() <= 1000
            && n.bytes().all(|c| c.is_ascii_graphic())
            && !n.starts_with("/login")
            && !n.starts_with("/activate")
    };
    match next {
        Some(n) if ok(n) => n.to_string(),
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
    } else if q.contains_key("activated") {
        Some("密码已设置，请用新密码登录。".to_string())
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

pub async fn login(
    State(app): State<App>,
    Client(client): Client,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    session::check_anon_csrf(&headers, f.get("_csrf").map(String::as_str))?;
    let username = f.get("username").cloned().unwrap_or_default();
    let password = f.get("password").cloned().unwrap_or_default();
    let next = safe_next(f.get("next").map(String::as_str));
    match app.login_from(&client, &username, &password, SessionKind::Web).await {
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
            | ServiceError::Locked
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
            Err(e @ ServiceError::TooManyAttempts { .. }) => {
                errors.insert("current_password".to_string(), e.to_string());
                let mut resp = render(&PasswordPage {
                    csrf: p.csrf.clone(),
                    forced: p.user.must_change_password,
                    user: p.user.display_name.clone(),
                    errors,
                    done: false,
                });
                *resp.status_mut() = StatusCode::TOO_MANY_REQUESTS;
                return Ok(resp);
            }
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

#[derive(Template)]
#[template(path = "activate.html")]
struct ActivatePage {
    csrf: String,
    token: String,
    username: String,
    name: String,
    errors: HashMap<String, String>,
}

/// The set-password page of a one-time activation link.
pub async fn activate_page(
    State(app): State<App>,
    headers: HeaderMap,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> PageResult {
    let user = app.activation_account(&token).await?;
    let (csrf, set) = session::anon_csrf(&app, &headers);
    let mut resp =
        render(&ActivatePage { csrf, token, username: user.username, name: user.display_name, errors: HashMap::new() });
    if let Some((k, v)) = set {
        resp.headers_mut().insert(k, v);
    }
    Ok(resp)
}

/// Sets the password and uses the link up; then to the login page.
pub async fn activate(
    State(app): State<App>,
    Client(client): Client,
    headers: HeaderMap,
    axum::extract::Path(token): axum::extract::Path<String>,
    Form(f): Form<HashMap<String, String>>,
) -> PageResult {
    session::check_anon_csrf(&headers, f.get("_csrf").map(String::as_str))?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    match app.activate(&client, &token, &get("activation_code"), &get("new_password"), &get("confirm_password")).await {
        Ok(_) => Ok(Redirect::to("/login?activated=1").into_response()),
        Err(ServiceError::Invalid(fields)) => {
            let user = app.activation_account(&token).await?;
            let (csrf, _) = session::anon_csrf(&app, &headers);
            let mut resp = render(&ActivatePage {
                csrf,
                token,
                username: user.username,
                name: user.display_name,
                errors: super::forms::errors_by_field(&fields),
            });
            *resp.status_mut() = StatusCode::BAD_REQUEST;
            Ok(resp)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        // An open redirect lends fazhi's address to a phishing page (issue 10 item 12).
        for nasty in [
            "//evil.example/",
            "/\\evil.example/",
            "/\\/evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            "evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            " /cases",
            "/cases\r\nSet-Cookie: x=1",
            "/路灯",
            "/login?next=//evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(nasty)), "/", "{nasty:?}");
        }
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some("/cases?state=handling&sort=-due_on")), "/cases?state=handling&sort=-due_on");
        assert_eq!(safe_next(Some("/cases/work_order/0190")), "/cases/work_order/0190");
    }
}
