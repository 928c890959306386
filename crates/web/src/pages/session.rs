//! Web sessions: an HttpOnly, SameSite=Strict cookie holding a random token (only its hash is
//! stored); `Secure` whenever fazhi is served over TLS (`server.public_url` is `https://…`, or
//! `server.secure_cookies`). Every form carries a CSRF token: the session's for signed-in users,
//! a per-browser cookie token for the login and public forms. [`client_address`] names the
//! client that login throttling and public look-ups count by.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use fazhi_service::{App, Principal, ServiceError, SessionKind};
use rand::RngCore;

use super::PageError;
use super::html::url;

pub const SESSION_COOKIE: &str = "fazhi_session";
pub const CSRF_COOKIE: &str = "fazhi_csrf";

/// A cookie's value from the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers.get_all(COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// A `Set-Cookie` value with the attributes fazhi always uses.
pub fn set_cookie(app: &App, name: &str, value: &str, max_age_secs: i64) -> HeaderValue {
    let secure = if app.config().secure_cookies() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}"))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The client's address: the connecting peer, or — when that peer is a configured trusted proxy
/// (`server.trusted_proxies`) — the last address in `X-Forwarded-For` that is not one of them.
/// A header from anyone else is ignored: a client cannot pick the address it is counted under.
pub fn client_address(app: &App, headers: &HeaderMap, peer: Option<std::net::IpAddr>) -> String {
    let Some(peer) = peer else { return "local".to_string() };
    let trusted: Vec<std::net::IpAddr> =
        app.config().server.trusted_proxies.iter().filter_map(|p| p.parse().ok()).collect();
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
        .rev()
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer)
        .to_string()
}

/// The client's address of a request (see [`client_address`]).
pub fn client_of(app: &App, parts: &Parts) -> String {
    let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    client_address(app, &parts.headers, peer)
}

/// Serves a request with its client's address known to the events it writes (the audit page
/// shows from which address each step was taken; `fazhi_service::request`).
pub async fn client_context(
    axum::extract::State(app): axum::extract::State<App>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let peer = req.extensions().get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    let address = client_address(&app, req.headers(), peer);
    fazhi_service::request::with_client_address(address, next.run(req)).await
}

/// The client's address, as an extractor.
pub struct Client(pub String);

impl FromRequestParts<App> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        Ok(Self(client_of(app, parts)))
    }
}

/// A fresh random token.
pub fn random_token() -> String {
    let mut b = [0u8; 24];
    rand::rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// Compares tokens without stopping at the first difference.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A signed-in staff user whose password is in order. Requests without a live session are sent
/// to the login page; a user with a temporary password is sent to change it first.
pub struct Staff(pub Principal);

/// A signed-in staff user, even with a temporary password (the password page and logout).
pub struct AnyStaff(pub Principal);

fn to_login(parts: &Parts, expired: bool) -> Response {
    let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let target = if parts.method == axum::http::Method::GET {
        format!("/login?next={}", url(next))
    } else {
        "/login".to_string()
    };
    let target =
        if expired { format!("{target}{}expired=1", if target.contains('?') { "&" } else { "?" }) } else { target };
    Redirect::to(&target).into_response()
}

async fn principal(parts: &Parts, app: &App) -> Result<Principal, Response> {
    let token = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(|| to_login(parts, false))?;
    match app.authenticate(&token, SessionKind::Web).await {
        Ok(p) => Ok(p),
        Err(ServiceError::Unauthenticated) => Err(to_login(parts, true)),
        Err(e) => Err(PageError::from(e).into_response()),
    }
}

impl FromRequestParts<App> for AnyStaff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        principal(parts, app).await.map(Self)
    }
}

impl FromRequestParts<App> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Self, Self::Rejection> {
        let p = principal(parts, app).await?;
        if p.user.must_change_password {
            return Err(Redirect::to("/password").into_response());
        }
        Ok(Self(p))
    }
}

impl OptionalFromRequestParts<App> for Staff {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Option<Self>, Self::Rejection> {
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else { return Ok(None) };
        Ok(app.authenticate(&token, SessionKind::Web).await.ok().filter(|p| !p.user.must_change_password).map(Self))
    }
}

/// Checks a signed-in form's CSRF token.
///
/// # Errors
/// A 403 page.
pub fn check_csrf(p: &Principal, token: Option<&str>) -> Result<(), PageError> {
    match token {
        Some(t) if same(t, &p.csrf) => Ok(()),
        _ => Err(PageError::csrf()),
    }
}

/// Checks an anonymous form's CSRF token against the browser's cookie.
///
/// # Errors
/// A 403 page.
pub fn check_anon_csrf(headers: &HeaderMap, token: Option<&str>) -> Result<(), PageError> {
    match (cookie(headers, CSRF_COOKIE), token) {
        (Some(c), Some(t)) if same(&c, t) => Ok(()),
        _ => Err(PageError::csrf()),
    }
}

/// The anonymous CSRF token of this browser, and the header to set it when new.
pub fn anon_csrf(app: &App, headers: &HeaderMap) -> (String, Option<(axum::http::HeaderName, HeaderValue)>) {
    match cookie(headers, CSRF_COOKIE) {
        Some(t) if t.len() >= 16 => (t, None),
        _ => {
            let t = random_token();
            let h = set_cookie(app, CSRF_COOKIE, &t, 86_400);
            (t, Some((SET_COOKIE, h)))
        }
    }
}
