//! The three administrators and the web's hardening over HTTP, in-process (issue 10 items 10 and
//! 12): no administrator sees a password or a case, the audit log and its API show no case content,
//! logins are throttled by address and account with one answer, the redirect after login stays
//! on the site, uploads stream to disk, reports are scoped, cookies and headers are what TLS and
//! personal data require.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use fazhi_service::SessionKind;
use fazhi_testkit::{PASSWORD, TestApp, TestDb};
use http_body_util::BodyExt;
use serde_json::{Map, Value as Json, json};
use sha2::{Digest, Sha256};

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> Option<&str> {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok())
    }
    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

const ANON_CSRF: &str = "anon-token-0123456789";

async fn send(t: &TestApp, req: Request<Body>) -> Answer {
    let resp = tower::ServiceExt::oneshot(t.router.clone(), req).await.expect("a response");
    let status = resp.status();
    let headers = resp.headers().clone();
    let body = String::from_utf8_lossy(&resp.into_body().collect().await.expect("a body").to_bytes()).into_owned();
    Answer { status, headers, body }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn form(fields: &[(&str, &str)]) -> String {
    fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// The login form posted from `addr` (as the socket's peer).
async fn login_from(t: &TestApp, addr: &str, username: &str, password: &str, next: &str) -> Answer {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::COOKIE, format!("fazhi_csrf={ANON_CSRF}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(form(&[("username", username), ("password", password), ("next", next), ("_csrf", ANON_CSRF)])))
        .expect("a request");
    req.extensions_mut().insert(ConnectInfo(format!("{addr}:40000").parse::<SocketAddr>().expect("an address")));
    send(t, req).await
}

/// A signed-in browser.
struct Browser<'a> {
    t: &'a TestApp,
    cookie: String,
    csrf: String,
}

impl<'a> Browser<'a> {
    async fn of(t: &'a TestApp, username: &str) -> Browser<'a> {
        let ok = t.app.login(username, PASSWORD, SessionKind::Web).await.expect("a fixture user logs in");
        Browser { t, cookie: format!("fazhi_session={}", ok.token), csrf: ok.csrf }
    }

    async fn get(&self, uri: &str) -> Answer {
        let req =
            Request::builder().uri(uri).header(header::COOKIE, &self.cookie).body(Body::empty()).expect("a request");
        send(self.t, req).await
    }

    async fn post(&self, uri: &str, fields: &[(&str, &str)]) -> Answer {
        let mut all = fields.to_vec();
        all.push(("_csrf", &self.csrf));
        let req = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(form(&all)))
            .expect("a request");
        send(self.t, req).await
    }

    /// A multipart action form: text fields, then one file of `bytes`.
    async fn act_with_file(&self, uri: &str, fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Answer {
        let boundary = "----fazhi-hardening";
        let mut body: Vec<u8> = Vec::new();
        for (k, v) in fields {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
            );
        }
        if let Some((name, bytes)) = file {
            body.extend(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n")
                    .as_bytes(),
            );
            body.extend(bytes);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").as_bytes());
        let req = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
            .body(Body::from(body))
            .expect("a request");
        send(self.t, req).await
    }
}

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().expect("an object")
}

#[tokio::test]
async fn after_login_only_a_local_path_is_followed() {
    // Issue 10 item 12: an open redirect (`next=/\evil.example/`) lends fazhi's address to a
    // phishing page.
    let t = TestApp::sqlite().await;
    for (i, nasty) in ["/\\evil.example/", "//evil.example/", "https://evil.example/", "/\t/evil.example", "/\\/evil"]
        .iter()
        .enumerate()
    {
        let a = login_from(&t, &format!("10.2.0.{i}"), "clerk", PASSWORD, nasty).await;
        assert_eq!((a.status, a.location()), (StatusCode::SEE_OTHER, Some("/")), "{nasty:?}");
    }
    let a = login_from(&t, "10.2.0.9", "clerk", PASSWORD, "/cases?state=handling").await;
    assert_eq!(a.location(), Some("/cases?state=handling"));
    // The login page itself never carries a foreign target into its form.
    let req = Request::builder()
        .uri("/login?next=%2F%5Cevil.example%2F")
        .header(header::COOKIE, format!("fazhi_csrf={ANON_CSRF}"))
        .body(Body::empty())
        .unwrap();
    let page = send(&t, req).await;
    assert!(page.body.contains("name=\"next\" value=\"/\""), "{}", page.body);
}

#[tokio::test]
async fn login_is_throttled_per_address_and_account_with_one_answer_for_every_failure() {
    // GB/T 22239-2019 §8.1.4.1 b: failed attempts limited by address and account; the answer
    // never tells an existing or a locked username from an unknown one.
    let t = TestApp::sqlite().await;
    let unknown = login_from(&t, "10.3.0.1", "no-such-user", "x", "/").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    let msg = "用户名或密码不正确，或登录尝试过多已暂停，请稍后再试";
    assert!(unknown.body.contains(msg));
    for _ in 0..5 {
        let a = login_from(&t, "10.3.0.9", "security", "wrong", "/").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
        assert!(a.body.contains(msg));
    }
    let paused = login_from(&t, "10.3.0.9", "security", PASSWORD, "/").await;
    assert_eq!(paused.status, StatusCode::UNAUTHORIZED);
    assert!(paused.body.contains(msg) && !paused.body.contains("锁定"), "the same words as for a wrong password");
    let desk = login_from(&t, "10.3.0.2", "security", PASSWORD, "/").await;
    assert_eq!(desk.status, StatusCode::SEE_OTHER, "the security admin at their own desk is not locked out");
    // Many usernames from one address: the address is paused for all of them.
    for i in 0..20 {
        login_from(&t, "10.3.0.66", &format!("u{i}"), "x", "/").await;
    }
    assert_eq!(login_from(&t, "10.3.0.66", "clerk", PASSWORD, "/").await.status, StatusCode::UNAUTHORIZED);
    // Over the API the same.
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(json!({"username": "clerk", "password": PASSWORD}).to_string()))
        .unwrap();
    req.extensions_mut().insert(ConnectInfo("10.3.0.66:1".parse::<SocketAddr>().unwrap()));
    let api = send(&t, req).await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);
    assert!(api.body.contains("bad_credentials"));
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_counted_and_a_forged_one_is_not() {
    // §8.1.4.1 b behind a TLS proxy: every client would otherwise share the proxy's address.
    let t = TestApp::on_with(TestDb::sqlite(), |c| c.server.trusted_proxies = vec!["127.0.0.1".into()]).await;
    let attempt = |peer: &'static str, xff: &'static str, password: &'static str| {
        let mut req = Request::builder()
            .method(Method::POST)
            .uri("/login")
            .header(header::COOKIE, format!("fazhi_csrf={ANON_CSRF}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header("x-forwarded-for", xff)
            .body(Body::from(form(&[("username", "leader"), ("password", password), ("_csrf", ANON_CSRF)])))
            .unwrap();
        req.extensions_mut().insert(ConnectInfo(peer.parse::<SocketAddr>().unwrap()));
        req
    };
    for _ in 0..5 {
        send(&t, attempt("127.0.0.1:9", "203.0.113.7", "wrong")).await;
    }
    assert_eq!(send(&t, attempt("127.0.0.1:9", "203.0.113.7", PASSWORD)).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        send(&t, attempt("127.0.0.1:9", "198.51.100.8", PASSWORD)).await.status,
        StatusCode::SEE_OTHER,
        "another client behind the same proxy"
    );
    // A client that is not the proxy cannot choose the address it is counted under.
    for _ in 0..5 {
        send(&t, attempt("192.0.2.50:9", "198.51.100.99", "wrong")).await;
    }
    assert_eq!(send(&t, attempt("192.0.2.50:9", "198.51.100.100", PASSWORD)).await.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn the_password_change_stops_checking_after_five_wrong_current_passwords() {
    // §8.1.4.1 b: the current-password check of 修改密码 is throttled too.
    let t = TestApp::sqlite().await;
    let b = Browser::of(&t, "clerk").await;
    let fields = |cur: &'static str| {
        [("current_password", cur), ("new_password", "Fresh@2024x"), ("confirm_password", "Fresh@2024x")]
    };
    for _ in 0..5 {
        assert_eq!(b.post("/password", &fields("Guess@2024")).await.status, StatusCode::BAD_REQUEST);
    }
    let a = b.post("/password", &fields(PASSWORD)).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(a.body.contains("尝试次数过多"));
}

#[tokio::test]
async fn the_sys_admins_new_account_is_activated_by_its_user_through_a_one_time_link() {
    // 三员分立: the administrator's screen shows a link to hand over, never a password; the user
    // sets it, lands on a page that says a role is awaited, and the link is then spent.
    let t = TestApp::sqlite().await;
    let admin = Browser::of(&t, "admin").await;
    let page = admin
        .post(
            "/admin/users",
            &[("username", "chenxr"), ("display_name", "陈新人"), ("unit", &t.town.unit("longtan").to_string())],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("临时密码"), "no password on the admin's screen");
    let stored = t.app.store().user_by_username("chenxr").await.unwrap().unwrap();
    assert!(!stored.password_hash.starts_with("$argon2"), "there is no password yet that anyone could have seen");
    let path =
        page.body.split("/activate/").nth(1).map(|r| format!("/activate/{}", r.split('<').next().unwrap())).unwrap();
    let anon = |uri: &str, body: Option<String>| {
        let b = Request::builder().uri(uri).header(header::COOKIE, format!("fazhi_csrf={ANON_CSRF}"));
        match body {
            None => b.body(Body::empty()).unwrap(),
            Some(f) => b
                .method(Method::POST)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(f))
                .unwrap(),
        }
    };
    let a = send(&t, anon(&path, None)).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("chenxr") && a.body.contains("设置密码") && a.body.contains("name=\"activation_code\""));
    // The link alone — all the 系统管理员 holds — sets no password (三员分立).
    let no_code = form(&[("new_password", "Chen@2024xr"), ("confirm_password", "Chen@2024xr"), ("_csrf", ANON_CSRF)]);
    let a = send(&t, anon(&path, Some(no_code))).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("请输入安全管理员提供的激活码"));
    // The 安全管理员 issues the code on their page, shown once.
    let sec = Browser::of(&t, "security").await;
    let users = sec.get("/admin/users").await;
    assert!(users.body.contains(&format!("/admin/users/{}/activation-code", stored.id)));
    let issued = sec.post(&format!("/admin/users/{}/activation-code", stored.id), &[]).await;
    assert_eq!(issued.status, StatusCode::OK);
    assert!(issued.body.contains("激活码（仅显示这一次）"));
    let code = issued.body.split("激活码（仅显示这一次）").nth(1).unwrap();
    let code = code.split("<p class=\"mono break\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    assert_eq!(code.len(), 8, "{code}");
    assert!(!sec.get("/admin/users").await.body.contains(&code), "shown once");
    let mismatch = form(&[
        ("activation_code", &code),
        ("new_password", "Chen@2024xr"),
        ("confirm_password", "Chen@2024xx"),
        ("_csrf", ANON_CSRF),
    ]);
    let a = send(&t, anon(&path, Some(mismatch))).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("两次输入的新密码不一致"));
    let good = form(&[
        ("activation_code", &code),
        ("new_password", "Chen@2024xr"),
        ("confirm_password", "Chen@2024xr"),
        ("_csrf", ANON_CSRF),
    ]);
    let a = send(&t, anon(&path, Some(good.clone()))).await;
    assert_eq!((a.status, a.location()), (StatusCode::SEE_OTHER, Some("/login?activated=1")));
    assert_eq!(send(&t, anon(&path, None)).await.status, StatusCode::NOT_FOUND, "spent");
    assert_eq!(send(&t, anon(&path, Some(good))).await.status, StatusCode::NOT_FOUND);
    // Logged in, the account without roles waits for the security admin, seeing no case.
    let a = login_from(&t, "10.4.0.1", "chenxr", "Chen@2024xr", "/").await;
    let cookie = a.header(header::SET_COOKIE).unwrap().split(';').next().unwrap().to_string();
    let home = send(&t, Request::builder().uri("/").header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    assert_eq!(home.location(), Some("/account"));
    let account =
        send(&t, Request::builder().uri("/account").header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    assert!(account.body.contains("尚未分配业务角色"));
    let cases =
        send(&t, Request::builder().uri("/cases").header(header::COOKIE, &cookie).body(Body::empty()).unwrap()).await;
    assert_ne!(cases.status, StatusCode::OK);
}

#[tokio::test]
async fn the_admin_pages_refuse_what_the_separation_forbids() {
    // 三员分立 on the pages: no administrator role or 区级监督 is offered to the security admin,
    // administrators' rows carry no buttons, and forged forms are refused by the service.
    let t = TestApp::sqlite().await;
    let sec = Browser::of(&t, "security").await;
    let page = sec.get("/admin/users").await;
    for hidden in ["value=\"sys_admin\"", "value=\"security_admin\"", "value=\"audit_admin\"", "value=\"district\""] {
        assert!(!page.body.contains(hidden), "{hidden} offered");
    }
    assert!(page.body.contains("value=\"leader\""));
    let me = t.town.user("security").id;
    let a = sec.post(&format!("/admin/users/{me}/roles"), &[("roles", "leader")]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(a.body.contains("不能变更自己的角色（三员分立）"));
    let clerk = t.town.user("clerk").id;
    let a = sec.post(&format!("/admin/users/{clerk}/roles"), &[("roles", "sys_admin")]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let a = sec.post(&format!("/admin/users/{clerk}/roles"), &[("roles", "district")]).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let auditor = t.town.user("auditor").id;
    assert_eq!(sec.post(&format!("/admin/users/{auditor}/lock"), &[]).await.status, StatusCode::FORBIDDEN);
    let admin = Browser::of(&t, "admin").await;
    let a = admin.post(&format!("/admin/users/{auditor}/password"), &[]).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert!(!a.body.contains("/activate/"));
    let a = admin.post(&format!("/admin/users/{clerk}/password"), &[]).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.body.contains("/activate/") && a.body.contains("原密码已失效"));
}

#[tokio::test]
async fn the_admin_api_gives_links_never_passwords_and_refuses_with_403_and_422() {
    // 三员分立 over the API, mapped once: 403 for what a role may not do, 422 for a rule.
    let t = TestApp::sqlite().await;
    let admin = t.token("admin").await;
    let unit = t.town.unit("longtan").to_string();
    let (s, body) = t
        .request(
            Method::POST,
            "/api/v1/admin/users",
            Some(&admin),
            Some(json!({"username": "grab", "display_name": "某", "unit": unit, "roles": ["leader"]})),
        )
        .await;
    assert_eq!((s, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{body}");
    let (s, body) = t
        .request(
            Method::POST,
            "/api/v1/admin/users",
            Some(&admin),
            Some(json!({"username": "chenxr", "display_name": "陈新人", "unit": unit})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert!(body["activation_url"].as_str().unwrap().starts_with("/activate/"));
    assert!(!body.to_string().contains("password"), "no password in the answer: {body}");
    assert_eq!(body["user"]["roles"], json!([]));
    let id = body["user"]["id"].as_str().unwrap().to_string();
    let security = t.token("security").await;
    // The activation code, the other half of the activation, is the 安全管理员's to issue.
    let code_uri = format!("/api/v1/admin/users/{id}/activation-code");
    let (s, _) = t.request(Method::POST, &code_uri, Some(&admin), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "the 系统管理员 may not hold both halves");
    let (s, body) = t.request(Method::POST, &code_uri, Some(&security), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["activation_code"].as_str().map(str::len), Some(8), "{body}");
    let me = t.town.user("security").id;
    let (s, _) = t
        .request(
            Method::PUT,
            &format!("/api/v1/admin/users/{me}/roles"),
            Some(&security),
            Some(json!({"roles": ["leader"]})),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, body) = t
        .request(
            Method::PUT,
            &format!("/api/v1/admin/users/{id}/roles"),
            Some(&security),
            Some(json!({"roles": ["district"]})),
        )
        .await;
    assert_eq!((s, body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("rule_violated")));
    let (s, _) = t
        .request(
            Method::PUT,
            &format!("/api/v1/admin/users/{id}/roles"),
            Some(&security),
            Some(json!({"roles": ["handler"]})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let auditor_id = t.town.user("auditor").id;
    let (s, _) =
        t.request(Method::POST, &format!("/api/v1/admin/users/{auditor_id}/password"), Some(&admin), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let clerk = t.token("clerk").await;
    let (s, _) = t.request(Method::GET, "/api/v1/admin/users", Some(&clerk), None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_audit_page_and_its_api_show_ids_actions_and_times_but_not_what_the_case_says() {
    // 三员分立 with GB/T 22239-2019 §8.1.4.3: who, when, which case, which action — for every
    // field the page and the API show.
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let c = t.app.open_case(&clerk, "work_order", &obj(TestApp::work_order_fields())).await.unwrap().case;
    t.app.act(&clerk, c.id, "dispatch", &obj(json!({"unit": t.town.unit("longtan").to_string()})), 1).await.unwrap();
    let mut accusation = TestApp::petition_fields("accusation");
    accusation["accused_unit"] = json!(t.town.unit("sfs").to_string());
    accusation["accused_persons"] = json!("司法所某工作人员");
    t.app.open_case(&clerk, "petition", &obj(accusation)).await.unwrap();
    let page = Browser::of(&t, "auditor").await.get("/admin/audit").await;
    let token = t.token("auditor").await;
    let (s, api) = t.request(Method::GET, "/api/v1/audit?per_page=200", Some(&token), None).await;
    assert_eq!(s, StatusCode::OK);
    for shown in [page.body.as_str(), &api.to_string()] {
        for secret in [
            "龙潭村路灯不亮",
            "三盏路灯",
            "陈先生",
            "13812345678",
            "138****5678",
            "宅基地确权",
            "黄某",
            "司法所某工作人员",
        ] {
            assert!(!shown.contains(secret), "the auditor must not read “{secret}”");
        }
        assert!(shown.contains(&c.receipt_no) && shown.contains("dispatch"));
    }
    let dispatch = api["items"].as_array().unwrap().iter().find(|e| e["action"] == "dispatch").unwrap();
    assert_eq!(dispatch["receipt_no"], c.receipt_no.as_str());
    assert_eq!(dispatch["actor_username"], "clerk");
    assert_eq!(
        (dispatch["from_state"].as_str(), dispatch["to_state"].as_str()),
        (Some("registered"), Some("dispatched"))
    );
    assert_eq!(dispatch["details"], json!([]));
    let leader = t.token("leader").await;
    assert_eq!(t.request(Method::GET, "/api/v1/audit", Some(&leader), None).await.0, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn reports_and_the_comparison_are_scoped_on_the_pages_and_the_api() {
    // Least privilege (§8.1.4.2): a village's handler reads neither the town's report nor the
    // district comparison; a town's leader sees their own town beside the district.
    let t = TestApp::sqlite().await;
    let handler = t.token("handler_longtan").await;
    assert_eq!(
        t.request(Method::GET, "/api/v1/reports/annual?year=2024&draft=true", Some(&handler), None).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.request(Method::GET, "/api/v1/reports/compare?year=2024", Some(&handler), None).await.0,
        StatusCode::FORBIDDEN
    );
    let b = Browser::of(&t, "handler_longtan").await;
    assert_eq!(b.get("/reports").await.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get("/reports/compare?year=2024").await.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get("/reports/2024/download/md").await.status, StatusCode::FORBIDDEN);
    let leader = Browser::of(&t, "leader").await.get("/reports/compare?year=2024").await;
    assert_eq!(leader.status, StatusCode::OK);
    assert!(leader.body.contains("鳌头镇") && !leader.body.contains("温泉镇") && leader.body.contains("全区合计"));
    let clerk = t.token("clerk").await;
    assert_eq!(
        t.request(Method::GET, "/api/v1/reports/compare?year=2024", Some(&clerk), None).await.0,
        StatusCode::FORBIDDEN
    );
    let district = t.token("district").await;
    let (s, c) = t.request(Method::GET, "/api/v1/reports/compare?year=2024", Some(&district), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(c["towns"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn served_over_tls_cookies_are_secure_with_hsts_and_personal_pages_are_not_cached() {
    // §8.1.4.1 c (credentials protected in transit) and PIPL art 51: a session cookie never goes
    // out in clear once fazhi is behind TLS; no page with personal data is kept by a cache.
    let tls = TestApp::on_with(TestDb::sqlite(), |c| c.server.public_url = "https://fazhi.example.gov.cn".into()).await;
    let a = login_from(&tls, "10.5.0.1", "clerk", PASSWORD, "/").await;
    let cookie = a.header(header::SET_COOKIE).unwrap();
    assert!(
        cookie.contains("; Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert_eq!(a.header(header::STRICT_TRANSPORT_SECURITY), Some("max-age=31536000"));
    let b = Browser::of(&tls, "clerk").await;
    for uri in ["/workbench", "/cases", "/login"] {
        assert_eq!(b.get(uri).await.header(header::CACHE_CONTROL), Some("no-store"), "{uri}");
    }
    let token = tls.token("clerk").await;
    let req = Request::builder()
        .uri("/api/v1/cases")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&tls, req).await.header(header::CACHE_CONTROL), Some("no-store"));
    assert_eq!(b.get("/static/app.css").await.header(header::CACHE_CONTROL), Some("public, max-age=3600"));
    // The activation link is made with the public address.
    let admin = tls.principal("admin").await;
    let (_, link) = tls
        .app
        .create_user(
            &admin,
            fazhi_service::admin::NewUser {
                tenant: tls.town.tenant,
                unit: tls.town.unit("zzzx"),
                username: "tlsuser".into(),
                display_name: "某".into(),
                roles: vec![],
                password: None,
                must_change: true,
            },
        )
        .await
        .unwrap();
    assert!(link.url.starts_with("https://fazhi.example.gov.cn/activate/"), "{}", link.url);
    // Plain HTTP on localhost (the default): no Secure, no HSTS — a browser would drop the cookie.
    let plain = TestApp::sqlite().await;
    let a = login_from(&plain, "10.5.0.2", "clerk", PASSWORD, "/").await;
    assert!(!a.header(header::SET_COOKIE).unwrap().contains("Secure"));
    assert_eq!(a.header(header::STRICT_TRANSPORT_SECURITY), None);
}

#[tokio::test]
async fn a_large_upload_streams_to_disk_hashed_on_the_way_and_an_oversized_one_is_refused_unstored() {
    // Issue 10 item 12: uploads were held whole in memory. Now each is streamed to a staging file
    // in the data directory, hashed as it arrives, and moved to its content address.
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let c = t.app.open_case(&clerk, "work_order", &obj(TestApp::work_order_fields())).await.unwrap().case;
    t.app.act(&clerk, c.id, "dispatch", &obj(json!({"unit": t.town.unit("longtan").to_string()})), 1).await.unwrap();
    let h = t.principal("handler_longtan").await;
    t.app.act(&h, c.id, "sign", &obj(json!({})), 2).await.unwrap();
    let b = Browser::of(&t, "handler_longtan").await;
    // 9.5 MB of varied bytes: under the 10 MB limit, many chunks.
    let big: Vec<u8> = (0..9_500_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let want = hex::encode(Sha256::digest(&big));
    let uri = format!("/cases/work_order/{}/actions/progress", c.id);
    let a = b
        .act_with_file(&uri, &[("_csrf", &b.csrf), ("version", "3"), ("note", "扫描件")], Some(("扫描件.pdf", &big)))
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let stored = t.db.dir.path().join("attachments").join(&want[..2]).join(&want);
    let on_disk = std::fs::read(&stored).expect("the file lands at its content address");
    assert_eq!(on_disk.len(), big.len());
    assert_eq!(hex::encode(Sha256::digest(&on_disk)), want);
    let files = t.app.case_attachments(&h, c.id).await.unwrap();
    assert_eq!((files[0].hash.as_str(), files[0].size), (want.as_str(), big.len() as i64));
    // Over 10 MB: refused with the file named, the action not taken, nothing left on disk.
    let over = vec![7u8; 10 * 1024 * 1024 + 1];
    let a = b
        .act_with_file(&uri, &[("_csrf", &b.csrf), ("version", "4"), ("note", "太大")], Some(("大文件.pdf", &over)))
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("“大文件.pdf”超过10MB") && a.body.contains("太大"), "the typed note comes back");
    let staging = t.db.dir.path().join("attachments").join("tmp");
    assert_eq!(std::fs::read_dir(&staging).unwrap().count(), 0, "no staged file left behind");
    let over_hash = hex::encode(Sha256::digest(&over));
    assert!(!t.db.dir.path().join("attachments").join(&over_hash[..2]).join(&over_hash).exists());
    let now = t.app.store().case(&fazhi_service::Scope::everything(), c.id).await.unwrap().unwrap();
    assert_eq!(now.version, 4);
    // A text field is not a way around it: one over 256 KB is refused, not buffered.
    let long = "字".repeat(100_000);
    let a = b.act_with_file(&uri, &[("_csrf", &b.csrf), ("version", "4"), ("note", &long)], None).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert!(a.body.contains("表单字段“note”过长"));
    // A file before the form's CSRF token is not even staged.
    let a = b.act_with_file(&uri, &[("version", "4")], Some(("a.pdf", b"%PDF-1.4"))).await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    assert_eq!(std::fs::read_dir(&staging).unwrap().count(), 0);
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_key_and_database_are_readable_by_their_owner_only_and_stale_uploads_are_swept() {
    // 等保 2.0 §8.1.4.2 / §8.1.4.8: the key that decrypts identifiers and the database holding
    // password hashes are created 0600, the data directory 0700.
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("fazhi-data");
    let mut config = fazhi_service::Config::load(None, std::iter::empty()).unwrap();
    config.data_dir = data.clone();
    let app = fazhi_service::App::open(config, std::sync::Arc::new(fazhi_service::SystemClock)).await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("secret.key")), 0o600);
    assert_eq!(mode(&data.join("fazhi.db")), 0o600);
    assert_eq!(mode(&data.join("fazhi.db-wal")), 0o600);
    app.store().close().await;
    // A staging file a crash left behind is removed at the next start; a fresh one is not.
    let staging = data.join("attachments").join("tmp");
    std::fs::create_dir_all(&staging).unwrap();
    let stale = std::fs::File::create(staging.join("stale")).unwrap();
    stale.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(2 * 86_400)).unwrap();
    std::fs::write(staging.join("fresh"), b"x").unwrap();
    let mut config = fazhi_service::Config::load(None, std::iter::empty()).unwrap();
    config.data_dir = data.clone();
    let app = fazhi_service::App::open(config, std::sync::Arc::new(fazhi_service::SystemClock)).await.unwrap();
    assert!(!staging.join("stale").exists() && staging.join("fresh").exists());
    app.store().close().await;
}

#[tokio::test]
async fn a_database_url_with_a_password_is_never_echoed() {
    // 等保 2.0 §8.1.4.8: authentication data stays secret, in errors too.
    for url in ["mysql://fazhi:S3cret-pw@db/fazhi", "postgres://fazhi:S3cret-pw@127.0.0.1:1/fazhi"] {
        let dir = tempfile::tempdir().unwrap();
        let mut config = fazhi_service::Config::load(None, std::iter::empty()).unwrap();
        config.data_dir = dir.path().to_path_buf();
        config.database.url = fazhi_service::config::Secret(url.into());
        let e = fazhi_service::App::open(config, std::sync::Arc::new(fazhi_service::SystemClock)).await.err().unwrap();
        let Some(cause) = e.cause_chain() else { panic!("{e:?}") };
        assert!(!cause.contains("S3cret-pw") && cause.contains("******"), "{cause}");
    }
}
