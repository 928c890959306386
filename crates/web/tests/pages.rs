//! The staff pages and the public page, in-process: the route × role authorisation matrix, no
//! page leaking a case outside the user's scope, CSRF on every form, and bad input on every form
//! coming back with its message and the typed values, nothing half-saved.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use fazhi_service::SessionKind;
use fazhi_testkit::{PASSWORD, TestApp};
use http_body_util::BodyExt;
use serde_json::{Map, Value as Json, json};

struct Web<'a> {
    t: &'a TestApp,
    cookie: Option<String>,
    csrf: String,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    body: String,
}

impl<'a> Web<'a> {
    async fn as_user(t: &'a TestApp, username: &str) -> Web<'a> {
        let ok = t.app.login(username, PASSWORD, SessionKind::Web).await.unwrap();
        Web { t, cookie: Some(format!("fazhi_session={}", ok.token)), csrf: ok.csrf }
    }

    fn anonymous(t: &'a TestApp) -> Web<'a> {
        Web { t, cookie: Some("fazhi_csrf=anon-token-0123456789".into()), csrf: "anon-token-0123456789".into() }
    }

    async fn send(&self, req: axum::http::request::Builder, body: Body) -> Page {
        let req = match &self.cookie {
            Some(c) => req.header(header::COOKIE, c),
            None => req,
        };
        let resp = tower::ServiceExt::oneshot(self.t.router.clone(), req.body(body).unwrap()).await.unwrap();
        let status = resp.status();
        let location = resp.headers().get(header::LOCATION).map(|v| v.to_str().unwrap().to_string());
        let body = String::from_utf8_lossy(&resp.into_body().collect().await.unwrap().to_bytes()).into_owned();
        Page { status, location, body }
    }

    async fn get(&self, uri: &str) -> Page {
        self.send(Request::builder().method(Method::GET).uri(uri), Body::empty()).await
    }

    async fn post_form(&self, uri: &str, fields: &[(&str, &str)]) -> Page {
        let mut all: Vec<(String, String)> = fields.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        if !fields.iter().any(|(k, _)| *k == "_csrf") {
            all.push(("_csrf".into(), self.csrf.clone()));
        }
        let body = all.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&");
        self.send(
            Request::builder()
                .method(Method::POST)
                .uri(uri)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            Body::from(body),
        )
        .await
    }

    async fn post_multipart(&self, uri: &str, fields: &[(&str, &str)]) -> Page {
        let boundary = "----fazhi-test-boundary";
        let mut body = String::new();
        let mut all: Vec<(&str, String)> = fields.iter().map(|(k, v)| (*k, (*v).to_string())).collect();
        if !fields.iter().any(|(k, _)| *k == "_csrf") {
            all.push(("_csrf", self.csrf.clone()));
        }
        for (k, v) in all {
            body.push_str(&format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"));
        }
        body.push_str(&format!("--{boundary}--\r\n"));
        self.send(
            Request::builder()
                .method(Method::POST)
                .uri(uri)
                .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}")),
            Body::from(body),
        )
        .await
    }
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

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().unwrap()
}

/// A work order registered by the clerk and dispatched to 龙潭村.
async fn dispatched(t: &TestApp) -> String {
    let clerk = t.principal("clerk").await;
    let c = t.app.open_case(&clerk, "work_order", &obj(TestApp::work_order_fields())).await.unwrap().case;
    t.app.act(&clerk, c.id, "dispatch", &obj(json!({"unit": t.town.unit("longtan").to_string()})), 1).await.unwrap();
    c.id.to_string()
}

#[tokio::test]
async fn every_page_answers_every_role_as_the_matrix_says() {
    let t = TestApp::sqlite().await;
    let id = dispatched(&t).await;
    let case = format!("/cases/work_order/{id}");
    let routes = [
        "/workbench",
        "/cases",
        "/cases/work_order",
        "/cases/work_order/new",
        case.as_str(),
        "/dashboard",
        "/admin/units",
        "/admin/users",
        "/admin/audit",
        "/admin/settings",
    ];
    // 200 ok, 403 forbidden, 404 a case out of reach (as for no case: a 403 would confirm the id,
    // issue 10 item 12), 'R' a redirect (admins are sent to their own page).
    let matrix: &[(&str, [char; 10])] = &[
        ("clerk", ['2', '2', '2', '2', '2', '2', '3', '3', '3', '3']),
        ("leader", ['2', '2', '2', '3', '2', '2', '3', '3', '3', '3']),
        ("handler_longtan", ['2', '2', '2', '3', '2', '2', '3', '3', '3', '3']),
        ("handler_xitang", ['2', '2', '2', '3', '4', '2', '3', '3', '3', '3']),
        ("grid_longtan", ['2', '2', '2', '3', '4', '2', '3', '3', '3', '3']),
        ("officer", ['2', '2', '2', '3', '4', '2', '3', '3', '3', '3']),
        ("reviewer", ['2', '2', '2', '3', '2', '2', '3', '3', '3', '3']),
        ("mediator", ['2', '2', '2', '3', '4', '2', '3', '3', '3', '3']),
        ("advisor", ['2', '2', '2', '3', '2', '2', '3', '3', '3', '3']),
        ("sifasuo", ['2', '2', '2', '3', '2', '2', '3', '3', '3', '3']),
        ("district", ['2', '2', '2', '3', '2', '2', '3', '3', '3', '3']),
        ("wq_clerk", ['2', '2', '2', '2', '4', '2', '3', '3', '3', '3']),
        ("admin", ['R', '3', '3', '3', '4', '3', '2', '2', '3', '2']),
        ("security", ['R', '3', '3', '3', '4', '3', '3', '2', '3', '2']),
        ("auditor", ['R', '3', '3', '3', '4', '3', '3', '3', '2', '3']),
    ];
    for (user, expected) in matrix {
        let w = Web::as_user(&t, user).await;
        for (route, want) in routes.iter().zip(expected) {
            let p = w.get(route).await;
            let got = match p.status.as_u16() {
                200 => '2',
                403 => '3',
                404 => '4',
                303 | 302 | 307 => 'R',
                other => panic!("{user} {route}: unexpected {other}"),
            };
            assert_eq!(got, *want, "{user} GET {route} → {}", p.status);
            if matches!(got, '3' | '4') && *route == case {
                assert!(!p.body.contains("龙潭村路灯不亮"), "{user}: a refused page leaks nothing of the case");
            }
        }
    }
    // Without a session every staff page sends to the login page; the public ones answer.
    let anon = Web::anonymous(&t);
    for route in routes {
        let p = anon.get(route).await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{route}");
        assert!(p.location.unwrap().starts_with("/login"), "{route}");
    }
    assert_eq!(anon.get("/track").await.status, StatusCode::OK);
    assert_eq!(anon.get("/login").await.status, StatusCode::OK);
    assert_eq!(anon.get("/static/app.css").await.status, StatusCode::OK);
}

#[tokio::test]
async fn lists_show_only_cases_in_scope() {
    let t = TestApp::sqlite().await;
    dispatched(&t).await;
    let wq = t.principal("wq_clerk").await;
    let mut f = TestApp::work_order_fields();
    f["title"] = json!("温泉镇石海村积水");
    t.app.open_case(&wq, "work_order", &obj(f)).await.unwrap();
    let body = |u: &'static str| {
        let t = &t;
        async move { Web::as_user(t, u).await.get("/cases").await.body }
    };
    let clerk = body("clerk").await;
    assert!(clerk.contains("龙潭村路灯不亮") && !clerk.contains("温泉镇石海村积水"));
    let xitang = body("handler_xitang").await;
    assert!(!xitang.contains("龙潭村路灯不亮"));
    let district = body("district").await;
    assert!(district.contains("龙潭村路灯不亮") && district.contains("温泉镇石海村积水"));
    // The workbench counts what waits on the handler.
    let wb = Web::as_user(&t, "handler_longtan").await.get("/workbench").await.body;
    assert!(wb.contains("<span class=\"num\">1</span><span class=\"lbl\">待我处理</span>"), "{wb}");
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused_and_changes_nothing() {
    let t = TestApp::sqlite().await;
    let id = dispatched(&t).await;
    let w = Web::as_user(&t, "handler_longtan").await;
    let p = w
        .post_multipart(&format!("/cases/work_order/{id}/actions/sign"), &[("_csrf", "forged"), ("version", "2")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let clerk = Web::as_user(&t, "clerk").await;
    let p = clerk.post_form("/cases/work_order/new", &[("_csrf", "forged"), ("title", "x")]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    let c = t
        .app
        .store()
        .case(&fazhi_service::Scope::everything(), fazhi_domain::ids::CaseId::parse(&id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.version, 2);
    // The login form checks the browser's token too.
    let p = Web { t: &t, cookie: None, csrf: String::new() }
        .post_form("/login", &[("username", "clerk"), ("password", PASSWORD), ("_csrf", "x")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn login_sets_a_strict_http_only_cookie_and_a_temporary_password_forces_a_change() {
    let t = TestApp::sqlite().await;
    let anon = Web::anonymous(&t);
    let p = anon.post_form("/login", &[("username", "clerk"), ("password", "wrong")]).await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    assert!(p.body.contains("用户名或密码不正确") && p.body.contains("value=\"clerk\""), "the username stays typed");
    let req = Request::builder()
        .method(Method::POST)
        .uri("/login")
        .header(header::COOKIE, "fazhi_csrf=anon-token-0123456789")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    let resp = tower::ServiceExt::oneshot(
        t.router.clone(),
        req.body(Body::from(format!(
            "username=clerk&password={}&_csrf=anon-token-0123456789&next=%2Fcases",
            enc(PASSWORD)
        )))
        .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(resp.headers()[header::LOCATION], "/cases");
    let cookie = resp.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.starts_with("fazhi_session="),
        "{cookie}"
    );
    // A user with a temporary password is sent to change it before anything else.
    let sec = t.principal("security").await;
    let admin = t.principal("admin").await;
    let clerk_user = t.app.store().user(t.town.user("clerk").id).await.unwrap().unwrap();
    let _ = sec;
    t.app.reset_password_as(&admin.actor, &clerk_user, Some("Temp@2024x".into())).await.unwrap();
    let ok = t.app.login("clerk", "Temp@2024x", SessionKind::Web).await.unwrap();
    let w = Web { t: &t, cookie: Some(format!("fazhi_session={}", ok.token)), csrf: ok.csrf };
    let p = w.get("/workbench").await;
    assert_eq!((p.status, p.location.as_deref()), (StatusCode::SEE_OTHER, Some("/password")));
    let p = w
        .post_form(
            "/password",
            &[("current_password", "Temp@2024x"), ("new_password", "Fresh@2024x"), ("confirm_password", "Other@2024x")],
        )
        .await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(p.body.contains("两次输入的新密码不一致"));
    let p = w
        .post_form(
            "/password",
            &[("current_password", "Temp@2024x"), ("new_password", "Fresh@2024x"), ("confirm_password", "Fresh@2024x")],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert_eq!(w.get("/workbench").await.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_input_on_the_registration_and_action_forms_comes_back_with_messages_and_values() {
    let t = TestApp::sqlite().await;
    let w = Web::as_user(&t, "clerk").await;
    let p = w
        .post_form(
            "/cases/work_order/new",
            &[
                ("title", "村口路灯"),
                ("content", ""),
                ("category", "help"),
                ("urgency", "normal"),
                ("caller_name", "陈先生"),
                ("caller_phone", "1381234"),
                ("caller_idcard", "440524188001010015"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(p.body.contains("校验位不正确，请核对最后一位"), "message next to the field");
    assert!(p.body.contains("手机号码应为11位（现为7位）"));
    assert!(p.body.contains("value=\"村口路灯\"") && p.body.contains("value=\"1381234\""), "typed values kept");
    assert!(p.body.contains("<option value=\"help\" selected>"));
    let (_, n) = t
        .app
        .store()
        .list_cases(&fazhi_service::Scope::everything(), &Default::default(), 1, 10)
        .await
        .map(|p| ((), p.total))
        .unwrap();
    assert_eq!(n, 0, "nothing saved");
    // A good registration shows the receipt and the query code.
    let p = w
        .post_form(
            "/cases/work_order/new",
            &[
                ("title", "村口路灯"),
                ("content", "三盏路灯不亮"),
                ("category", "help"),
                ("urgency", "normal"),
                ("caller_name", "陈先生"),
                ("caller_phone", "13812345678"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("AT-GD-2024-000001") && p.body.contains("查询码"));
    let id =
        t.app.store().list_cases(&fazhi_service::Scope::everything(), &Default::default(), 1, 10).await.unwrap().items
            [0]
        .case
        .id;
    let act = format!("/cases/work_order/{id}/actions/dispatch");
    // An action with a missing field: the form comes back open with the message.
    let p = w.post_multipart(&act, &[("version", "1"), ("unit", ""), ("note", "请尽快")]).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(
        p.body.contains("请尽快") && p.body.contains("不能为空") && p.body.contains("<details class=\"action\" open>")
    );
    // A stale form is refused with a clear message and not applied.
    let ok = w.post_multipart(&act, &[("version", "1"), ("unit", &t.town.unit("longtan").to_string())]).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let again = w
        .post_multipart(&format!("/cases/work_order/{id}/actions/supervise"), &[("version", "1"), ("note", "x")])
        .await;
    assert_eq!(again.status, StatusCode::FORBIDDEN, "the clerk is not a leader");
    let leader = Web::as_user(&t, "leader").await;
    let stale = leader
        .post_multipart(&format!("/cases/work_order/{id}/actions/supervise"), &[("version", "1"), ("note", "快办")])
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert!(stale.body.contains("该案件已被他人更新") && stale.body.contains("本次操作未执行"));
    let page = w.get(&format!("/cases/work_order/{id}?done=dispatch")).await;
    assert!(page.body.contains("已派单。当前状态：待签收；承办单位：龙潭村"), "{}", page.status);
    assert!(
        page.body.contains("4405**********0014") || !page.body.contains("440524188001010014"),
        "identifiers only masked"
    );
}

#[tokio::test]
async fn the_public_page_shows_status_reply_and_dates_only_and_takes_one_rating() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let h = t.principal("handler_longtan").await;
    let opened = t.app.open_case(&clerk, "work_order", &obj(TestApp::work_order_fields())).await.unwrap();
    let id = opened.case.id;
    t.app
        .act(
            &clerk,
            id,
            "dispatch",
            &obj(json!({"unit": t.town.unit("longtan").to_string(), "note": "内部意见：请核实"})),
            1,
        )
        .await
        .unwrap();
    t.app.act(&h, id, "sign", &Map::new(), 2).await.unwrap();
    t.app
        .act(&h, id, "reply", &obj(json!({"reply": "路灯已修复，感谢反映。", "reply_method": "phone"})), 3)
        .await
        .unwrap();
    let anon = Web::anonymous(&t);
    let p = anon.post_form("/track", &[("receipt_no", &opened.case.receipt_no), ("query_code", "12345")]).await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(p.body.contains("应为回执上的6位数字"));
    let wrong = if opened.query_code == "000000" { "000001" } else { "000000" };
    let p = anon.post_form("/track", &[("receipt_no", &opened.case.receipt_no), ("query_code", wrong)]).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let p =
        anon.post_form("/track", &[("receipt_no", &opened.case.receipt_no), ("query_code", &opened.query_code)]).await;
    assert_eq!(p.status, StatusCode::OK);
    for shown in ["已办结", "路灯已修复，感谢反映。", "2024-09-27"] {
        assert!(p.body.contains(shown), "{shown}");
    }
    for hidden in ["陈先生", "138", "内部意见", "龙潭村", "承办人", "handler"] {
        assert!(!p.body.contains(hidden), "the public page must not show {hidden}");
    }
    let v = p.body.split("name=\"version\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let p = anon
        .post_form(
            "/track/rate",
            &[
                ("receipt_no", &opened.case.receipt_no),
                ("query_code", &opened.query_code),
                ("version", &v),
                ("result", "satisfied"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("感谢您的评价") && p.body.contains("您的评价"));
    // Only once.
    let p = anon
        .post_form(
            "/track/rate",
            &[
                ("receipt_no", &opened.case.receipt_no),
                ("query_code", &opened.query_code),
                ("version", "5"),
                ("result", "unsatisfied"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    let c = t.app.store().case(&fazhi_service::Scope::everything(), id).await.unwrap().unwrap();
    assert_eq!(c.data_str("satisfaction"), Some("satisfied"));
}

#[tokio::test]
async fn public_lookups_are_rate_limited_per_client() {
    let t = TestApp::sqlite().await;
    let anon = Web::anonymous(&t);
    // Five wrong look-ups (security.public_failures_per_address) lock the address, and the page
    // says for how long.
    for _ in 0..5 {
        assert_eq!(
            anon.post_form("/track", &[("receipt_no", "AT-GD-2024-000009"), ("query_code", "123456")]).await.status,
            StatusCode::NOT_FOUND
        );
    }
    let p = anon.post_form("/track", &[("receipt_no", "AT-GD-2024-000009"), ("query_code", "123456")]).await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(p.body.contains("请15分钟后再试"), "{}", p.body);
}

#[tokio::test]
async fn administrators_see_their_own_part_and_bad_admin_input_is_named() {
    let t = TestApp::sqlite().await;
    let admin = Web::as_user(&t, "admin").await;
    let p = admin.get("/admin/users").await;
    assert!(
        p.body.contains("新建账户") && !p.body.contains("保存角色"),
        "the system admin creates, the security admin grants"
    );
    assert!(!p.body.contains("name=\"roles\""), "no roles are asked at creation (三员分立)");
    let sec = Web::as_user(&t, "security").await;
    let p = sec.get("/admin/users").await;
    assert!(!p.body.contains("新建账户") && p.body.contains("保存角色"));
    let p = admin
        .post_form(
            "/admin/units",
            &[
                ("parent", &t.town.unit("aotou").to_string()),
                ("kind", "village"),
                ("name", "桥头村"),
                ("code", "Qiao Tou"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(p.body.contains("单位代码只能使用小写字母、数字和连字符") && p.body.contains("value=\"桥头村\""));
    let p = admin
        .post_form(
            "/admin/units",
            &[
                ("parent", &t.town.unit("aotou").to_string()),
                ("kind", "village"),
                ("name", "桥头村"),
                ("code", "qiaotou"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let p = admin
        .post_form(
            "/admin/users",
            &[("username", "X"), ("display_name", ""), ("unit", &t.town.unit("zzzx").to_string())],
        )
        .await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(p.body.contains("应为3至32位小写字母") && p.body.contains("姓名：不能为空"), "{}", p.body);
    let p = admin
        .post_form(
            "/admin/users",
            &[
                ("username", "newclerk"),
                ("display_name", "新受理员"),
                ("unit", &t.town.unit("zzzx").to_string()),
                ("roles", "intake_clerk"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "roles at creation are refused (三员分立)");
    assert!(p.body.contains("系统管理员只能新建不带角色的账户"));
    let p = admin
        .post_form(
            "/admin/users",
            &[("username", "newclerk"), ("display_name", "新受理员"), ("unit", &t.town.unit("zzzx").to_string())],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("/activate/") && !p.body.contains("临时密码"), "a link for the user, no password");
    let auditor = Web::as_user(&t, "auditor").await;
    let p = auditor.get("/admin/audit?from=2024-13-01").await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    let p = auditor.get("/admin/audit?action=user.created").await;
    assert!(p.body.contains("新建用户") && p.body.contains("newclerk"));
}

#[tokio::test]
async fn the_dashboard_draws_its_charts_on_the_server() {
    let t = TestApp::sqlite().await;
    dispatched(&t).await;
    let p = Web::as_user(&t, "leader").await.get("/dashboard?kind=work_order&from=2024-01-01&to=2024-12-31").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("<svg") && p.body.contains("受理数") && p.body.contains("龙潭村"));
    for external in ["src=\"http", "href=\"http", "url(http", "@import"] {
        assert!(!p.body.contains(external), "nothing fetched from elsewhere: {external}");
    }
    let p = Web::as_user(&t, "leader").await.get("/dashboard?from=2024-02-30").await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_list_exports_to_xlsx() {
    let t = TestApp::sqlite().await;
    dispatched(&t).await;
    let w = Web::as_user(&t, "clerk").await;
    let resp = tower::ServiceExt::oneshot(
        t.router.clone(),
        Request::builder()
            .uri("/cases/work_order/export.xlsx?q=%E8%B7%AF%E7%81%AF")
            .header(header::COOKIE, w.cookie.clone().unwrap())
            .body(Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()[header::CONTENT_DISPOSITION].to_str().unwrap().contains("attachment"));
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.xlsx");
    std::fs::write(&path, &bytes).unwrap();
    assert_eq!(&bytes[..2], b"PK", "an xlsx is a zip");
}

#[tokio::test]
async fn a_photo_attached_to_an_action_is_stored_listed_and_served_only_within_scope() {
    let t = TestApp::sqlite().await;
    let id = dispatched(&t).await;
    let h = Web::as_user(&t, "handler_longtan").await;
    assert_eq!(
        h.post_multipart(&format!("/cases/work_order/{id}/actions/sign"), &[("version", "2")]).await.status,
        StatusCode::SEE_OTHER
    );
    let boundary = "----fazhi-file";
    let png: &[u8] = b"\x89PNG\r\n\x1a\nfake-photo-bytes";
    let mut body: Vec<u8> = Vec::new();
    for (k, v) in [("_csrf", h.csrf.as_str()), ("version", "3"), ("note", "现场已拍照")] {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"现场.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes());
    body.extend(png);
    body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
    let p = h
        .send(
            Request::builder()
                .method(Method::POST)
                .uri(format!("/cases/work_order/{id}/actions/progress"))
                .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}")),
            Body::from(body),
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let page = h.get(&format!("/cases/work_order/{id}")).await.body;
    assert!(page.contains("现场.png"), "listed on the case page");
    let hash = page.split("/files/").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert_eq!(hash.len(), 64);
    let got = h.get(&format!("/cases/work_order/{id}/files/{hash}")).await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.body.contains("fake-photo-bytes"));
    let other = Web::as_user(&t, "handler_xitang").await;
    assert_eq!(other.get(&format!("/cases/work_order/{id}/files/{hash}")).await.status, StatusCode::NOT_FOUND);
    // A file type not accepted is refused with the file named, and the action is not taken.
    let mut body: Vec<u8> = Vec::new();
    for (k, v) in [("_csrf", h.csrf.as_str()), ("version", "4"), ("note", "再拍一张")] {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes());
    }
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"病毒.exe\"\r\n\r\nMZ\r\n--{boundary}--\r\n").as_bytes());
    let p = h
        .send(
            Request::builder()
                .method(Method::POST)
                .uri(format!("/cases/work_order/{id}/actions/progress"))
                .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}")),
            Body::from(body),
        )
        .await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(p.body.contains("“病毒.exe”的类型不支持") && p.body.contains("再拍一张"));
    let c = t
        .app
        .store()
        .case(&fazhi_service::Scope::everything(), fazhi_domain::ids::CaseId::parse(&id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.version, 4);
}

#[tokio::test]
async fn a_bad_list_filter_is_named_and_kept() {
    let t = TestApp::sqlite().await;
    let p = Web::as_user(&t, "clerk").await.get("/cases/work_order?opened_from=2024-02-30&q=%E7%BA%A0%E7%BA%B7").await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
    assert!(p.body.contains("不是有效日期") && p.body.contains("value=\"纠纷\""));
}

#[tokio::test]
async fn the_report_page_links_each_figure_to_its_cases_and_keeps_its_draft() {
    let t = TestApp::sqlite().await;
    dispatched(&t).await;
    let leader = Web::as_user(&t, "leader").await;
    // 2024 is not over (the clock is at 2024-09-27): the page shows a draft.
    let p = leader.get("/reports/2024").await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("草稿，未定稿") && p.body.contains("工单<a class=\"figure\""), "{}", p.status);
    let href =
        p.body.split("<a class=\"figure\" href=\"").nth(1).unwrap().split('"').next().unwrap().replace("&amp;", "&");
    assert!(href.starts_with("/cases?tenant=AT&metric=work_order.accepted"), "{href}");
    let list = leader.get(&href).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("按指标“受理数”列出") && list.body.contains("共 1 件"), "the figure 1 lists 1 case");
    // The leader saves the words; a bad figure code is named and nothing is saved.
    let fields = [
        ("title", "从化区鳌头镇人民政府关于2024年度法治政府建设情况的报告"),
        ("preamble", "导语"),
        ("heading_0", "为民服务"),
        ("text_0", "受理{work_order.accepted}件，另开会{meetings.count}次"),
        ("problems", "一是力量不足。"),
        ("plans", "一是加强培训。"),
        ("version", "0"),
    ];
    let bad = leader.post_form("/reports/2024/draft", &fields).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("“{meetings.count}”不是可用的指标") && bad.body.contains("一是力量不足。"));
    let good: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| if *k == "text_0" { (*k, "受理{work_order.accepted}件。") } else { (*k, *v) })
        .collect();
    let ok = leader.post_form("/reports/2024/draft", &good).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    let p = leader.get("/reports/2024").await;
    assert!(p.body.contains("第1版") && p.body.contains("一是力量不足。"));
    // Downloads.
    let docx = leader.get("/reports/2024/download/docx").await;
    assert_eq!(docx.status, StatusCode::OK);
    assert!(docx.body.starts_with("PK"));
    let md = leader.get("/reports/2024/download/md").await;
    assert!(md.body.contains("受理1件。"));
    // A village's handler sees only the village: not the town's report (least privilege,
    // §8.1.4.2); the clerk reads it but cannot save.
    assert_eq!(Web::as_user(&t, "handler_longtan").await.get("/reports/2024").await.status, StatusCode::FORBIDDEN);
    assert!(!Web::as_user(&t, "clerk").await.get("/reports/2024").await.body.contains("保存为新版本"));
    assert_eq!(
        Web::as_user(&t, "clerk").await.post_form("/reports/2024/draft", &good).await.status,
        StatusCode::FORBIDDEN
    );
    // Another town's report is not readable from here.
    assert_eq!(leader.get("/reports/2024?tenant=WQ").await.status, StatusCode::FORBIDDEN);
    assert_eq!(Web::as_user(&t, "district").await.get("/reports/2024?tenant=WQ").await.status, StatusCode::OK);
    assert_eq!(Web::as_user(&t, "admin").await.get("/reports/2024").await.status, StatusCode::FORBIDDEN);
    let cmp = Web::as_user(&t, "district").await.get("/reports/compare?year=2024").await;
    assert!(cmp.body.contains("鳌头镇") && cmp.body.contains("温泉镇") && cmp.body.contains("全区合计"));
}

fn form_pairs(v: &Json) -> Vec<(String, String)> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().map(String::from).unwrap_or_else(|| v.to_string())))
        .collect()
}

#[tokio::test]
async fn a_visit_becomes_a_dispute_from_its_page_and_the_two_link_to_each_other() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let visit = t.app.open_case(&clerk, "visit", &obj(TestApp::visit_fields())).await.unwrap().case;
    let w = Web::as_user(&t, "clerk").await;
    let page = w.get(&format!("/cases/visit/{}", visit.id)).await;
    assert!(
        page.body.contains("转为矛盾纠纷") && page.body.contains("转为信访事项") && page.body.contains("转为12345工单")
    );
    let form = w.get(&format!("/cases/visit/{}/convert/dispute", visit.id)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("value=\"反映龙潭村村道工程拖欠工资\""), "prefilled from the visit");
    // Missing required fields are named and nothing is converted.
    let bad = w
        .post_form(&format!("/cases/visit/{}/convert/dispute", visit.id), &[("version", "1"), ("title", "拖欠工资")])
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("未转立"));
    // What the dispute needs beyond the visit: the other party; identifiers are carried over.
    let fields = [
        ("version", "1"),
        ("title", "反映龙潭村村道工程拖欠工资"),
        ("content", "八名工人反映包工头拖欠工资共计六万元。"),
        ("category", "wages"),
        ("source", "walk_in"),
        ("party_name", "陈大明"),
        ("respondent_name", "某包工头"),
    ];
    let refs: Vec<(&str, &str)> = fields.to_vec();
    let done = w.post_form(&format!("/cases/visit/{}/convert/dispute", visit.id), &refs).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body.split("class=\"alert\"").nth(1).unwrap_or(""));
    assert!(done.body.contains("转立成功") && done.body.contains("-JF-"), "a dispute receipt");
    let page = w.get(&format!("/cases/visit/{}", visit.id)).await;
    assert!(page.body.contains("已转为") && page.body.contains("矛盾纠纷"));
}

#[tokio::test]
async fn registration_shows_possible_duplicates_first_and_registers_once_confirmed() {
    let t = TestApp::sqlite().await;
    let w = Web::as_user(&t, "clerk").await;
    let fields = form_pairs(&TestApp::work_order_fields());
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert!(w.post_form("/cases/work_order/new", &refs).await.body.contains("登记成功"));
    // The same caller again: shown as a possible duplicate, nothing registered yet.
    let again = w.post_form("/cases/work_order/new", &refs).await;
    assert!(
        again.body.contains("可能重复的案件")
            && again.body.contains("AT-GD-2024-000001")
            && again.body.contains("同一人"),
        "{}",
        again.status
    );
    assert_eq!(t.app.store().count_cases(&fazhi_service::Scope::everything(), &Default::default()).await.unwrap(), 1);
    let mut confirmed = refs.clone();
    confirmed.push(("confirm_new", "1"));
    assert!(w.post_form("/cases/work_order/new", &confirmed).await.body.contains("AT-GD-2024-000002"));
    // Then the second is merged into the first from its page.
    let second = t
        .app
        .list(
            &t.principal("clerk").await,
            &fazhi_service::CaseFilter { text: Some("000002".into()), ..Default::default() },
            1,
            1,
        )
        .await
        .unwrap()
        .items[0]
        .case
        .clone();
    let p = w.get(&format!("/cases/work_order/{}", second.id)).await;
    if p.body.contains("合并为重复件") {
        let m = w
            .post_form(
                &format!("/cases/work_order/{}/merge", second.id),
                &[("version", "1"), ("original", "AT-GD-2024-000001"), ("reason", "同一来电人重复反映")],
            )
            .await;
        assert_eq!(m.status, StatusCode::SEE_OTHER);
    } else {
        // Kinds without merging link instead.
        let l = w
            .post_form(
                &format!("/cases/work_order/{}/link", second.id),
                &[("other", "AT-GD-2024-000001"), ("relation", "related"), ("note", "同一来电人")],
            )
            .await;
        assert_eq!(l.status, StatusCode::SEE_OTHER, "{}", l.body);
        let again = w
            .post_form(
                &format!("/cases/work_order/{}/link", second.id),
                &[("other", "AT-GD-2024-000001"), ("relation", "related")],
            )
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert!(again.body.contains("已经关联"));
    }
    let bad = w
        .post_form(
            &format!("/cases/work_order/{}/link", second.id),
            &[("other", "AT-GD-2099-999999"), ("relation", "related")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("找不到受理编号"));
}

#[tokio::test]
async fn a_list_with_more_matches_than_it_counts_says_so() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let c = t.app.open_case(&clerk, "work_order", &obj(TestApp::work_order_fields())).await.unwrap().case;
    // Imported copies of one case: more matches than a text search counts.
    let n = usize::try_from(fazhi_service::TEXT_COUNT_CAP).unwrap() + 1;
    let batch = fazhi_testkit::imported_copies(&c, n, "路灯不亮");
    t.app.store().import_cases(&batch).await.unwrap();
    let w = Web::as_user(&t, "clerk").await;
    // 路灯 in percent-encoding.
    let p = w.get("/cases?q=%E8%B7%AF%E7%81%AF").await;
    assert!(p.body.contains(&format!("{} 条以上", fazhi_service::TEXT_COUNT_CAP)), "{}", p.body);
    // A narrower search is counted exactly.
    let p = w.get(&format!("/cases?q={}", c.receipt_no)).await;
    assert!(p.body.contains("共 1 条"), "{}", p.body);
}

#[tokio::test]
async fn a_visit_over_the_five_representatives_rule_is_registered_shows_its_flag_and_takes_the_response_of_article_forty_seven()
 {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let mut f = TestApp::visit_fields();
    f["visitor_count"] = json!(12);
    f["representatives"] = json!("");
    let visit = t.app.open_case(&clerk, "visit", &obj(f)).await.unwrap().case;
    let w = Web::as_user(&t, "clerk").await;
    let page = w.get(&format!("/cases/visit/{}", visit.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("12人集体来访未推选代表"), "the 第二十条 flag is shown to every reader");
    assert!(page.body.contains("记录劝阻、批评、教育"), "the 第四十七条 form is offered");
    let done = w
        .post_multipart(
            &format!("/cases/visit/{}/actions/respond_over_limit", visit.id),
            &[("version", "1"), ("over_limit_response", "dissuade"), ("over_limit_note", "劝导推选代表")],
        )
        .await;
    assert!(done.status.is_redirection(), "{}", done.body);
    let after = t.app.detail(&clerk, visit.id).await.unwrap().case;
    assert_eq!(after.data["over_limit_response"], "dissuade");
}

#[tokio::test]
async fn a_registered_petition_offers_every_route_of_the_regulation_from_its_page() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let c = t.app.open_case(&clerk, "petition", &obj(TestApp::petition_fields("claim"))).await.unwrap().case;
    let w = Web::as_user(&t, "clerk").await;
    let page = w.get(&format!("/cases/petition/{}", c.id)).await;
    assert_eq!(page.status, StatusCode::OK);
    for label in [
        "受理日期",
        "转送（交办）",
        "告知去向日期",
        "提出异议（不属于本机关职权范围）",
        "移送纪检监察机关",
        "引导依法定途径",
    ] {
        assert!(page.body.contains(label), "{label} on the page");
    }
}

#[tokio::test]
async fn an_administrator_asking_for_a_case_export_is_refused_like_the_list() {
    // 三员分立 (GB/T 22239-2019 §8.1.4.2): 403, not a 200 with an empty .xlsx.
    let t = TestApp::sqlite().await;
    for who in ["admin", "security", "auditor"] {
        let w = Web::as_user(&t, who).await;
        assert_eq!(w.get("/cases").await.status, StatusCode::FORBIDDEN, "{who}: the list");
        for uri in ["/cases/export.xlsx", "/cases/work_order/export.xlsx"] {
            let p = w.get(uri).await;
            assert_eq!(p.status, StatusCode::FORBIDDEN, "{who}: {uri}");
            assert!(p.body.contains("三员分立"), "{who}: {uri}");
        }
    }
    let clerk = Web::as_user(&t, "clerk").await;
    assert_eq!(clerk.get("/cases/export.xlsx").await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_settings_page_shows_every_section_in_effect_with_secrets_masked() {
    let t = TestApp::on_with(fazhi_testkit::TestDb::sqlite(), |c| {
        c.security.lockout_threshold = 3;
        c.security.data_key = fazhi_service::config::Secret("c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3I=".into());
    })
    .await;
    let w = Web::as_user(&t, "admin").await;
    let p = w.get("/admin/settings").await;
    assert_eq!(p.status, StatusCode::OK);
    // Every registered kind's own section, under its Chinese name and its section key.
    for k in t.app.kinds().all() {
        assert!(p.body.contains(&format!("<code>[{}]</code>", k.slug)), "no section of {}", k.slug);
        assert!(p.body.contains(k.label), "no name of {}", k.slug);
    }
    // A changed value is marked; a secret is never printed.
    let row = p.body.split("lockout_threshold").nth(1).expect("the lockout threshold").split("</tr>").next().unwrap();
    assert!(row.contains(">3<") && row.contains("已修改"), "{row}");
    assert!(!p.body.contains("c2VjcmV0"), "the data key is masked");
    assert!(p.body.contains("******"));
}
