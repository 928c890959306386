//! The work list tells the truth, the callback can be made, residents are not locked out by
//! strangers (issue 12 items 1, 2 and 10), through the web as staff and residents use it:
//! * every tile of every role's workbench counts the rows its link opens, and the clerk's and the
//!   handler's counts are the ones this test's own bookkeeping expects (已办结待回访 included);
//! * search: several words, digits by prefix, a full phone number or 身份证号 through its digest
//!   (for the roles allowed), a partial number matching no identifier;
//! * revealing a masked phone: with a reason, recorded, shown once; refused (and recorded) for a
//!   role that may not;
//! * a resident rates an archived case within the configured window, not after; wrong codes lock
//!   the address that made them and say for how long, not the resident at another address.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] functions

use std::collections::BTreeMap;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use fazhi_service::audit::AuditQuery;
use fazhi_service::{Principal, ServiceError, SessionKind};
use fazhi_testkit::{PASSWORD, TestApp, TestDb};
use http_body_util::BodyExt;
use serde_json::{Map, Value as Json, json};

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().unwrap().clone()
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

struct Web<'a> {
    t: &'a TestApp,
    cookie: String,
    csrf: String,
}

impl<'a> Web<'a> {
    async fn as_user(t: &'a TestApp, username: &str) -> Web<'a> {
        let ok = t.app.login(username, PASSWORD, SessionKind::Web).await.unwrap();
        Web { t, cookie: format!("fazhi_session={}", ok.token), csrf: ok.csrf }
    }

    async fn send(&self, req: axum::http::request::Builder, body: Body) -> (StatusCode, String) {
        let req = req.header(header::COOKIE, &self.cookie).body(body).unwrap();
        let resp = tower::ServiceExt::oneshot(self.t.router.clone(), req).await.unwrap();
        let status = resp.status();
        (status, String::from_utf8_lossy(&resp.into_body().collect().await.unwrap().to_bytes()).into_owned())
    }

    async fn get(&self, uri: &str) -> (StatusCode, String) {
        self.send(Request::builder().method(Method::GET).uri(uri), Body::empty()).await
    }

    async fn post(&self, uri: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("_csrf", &self.csrf));
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
}

/// The tiles of a workbench page: (kind section, label, count, href).
fn tiles(html: &str) -> Vec<(String, String, u64, String)> {
    let mut out = Vec::new();
    for section in html.split("<section class=\"card tile-group\">").skip(1) {
        let kind = section.split("<h2>").nth(1).and_then(|s| s.split("</h2>").next()).unwrap_or("").to_string();
        for li in section.split("<li").skip(1) {
            let Some(href) = li.split("href=\"").nth(1).and_then(|s| s.split('"').next()) else { continue };
            let num = li.split("<span class=\"num\">").nth(1).and_then(|s| s.split('<').next()).unwrap();
            let label = li.split("<span class=\"lbl\">").nth(1).and_then(|s| s.split('<').next()).unwrap();
            out.push((
                kind.clone(),
                label.to_string(),
                num.parse().unwrap(),
                href.replace("&#38;", "&").replace("&amp;", "&"),
            ));
        }
    }
    out
}

/// The receipt numbers of a list page's rows.
fn rows(html: &str) -> Vec<String> {
    let body = html.split("<tbody>").nth(1).unwrap().split("</tbody>").next().unwrap();
    body.split("<tr>")
        .skip(1)
        .filter_map(|tr| tr.split("data-label=\"受理编号\"><a href=\"").nth(1))
        .map(|s| s.split('>').nth(1).unwrap().split('<').next().unwrap().to_string())
        .collect()
}

/// The "共 N 条" of a list page.
fn total(html: &str) -> u64 {
    html.split("<span class=\"count\">共 ").nth(1).unwrap().split(' ').next().unwrap().parse().unwrap()
}

/// Work orders in known states; what each should count for. Returns (receipt, id, phone) of each.
struct Fixture {
    /// By name: (id, receipt number, version, query code).
    cases: BTreeMap<&'static str, (fazhi_domain::ids::CaseId, String, i64, String)>,
}

async fn fixture(t: &TestApp) -> Fixture {
    let clerk = t.principal("clerk").await;
    let longtan = t.principal("handler_longtan").await;
    let xitang = t.principal("handler_xitang").await;
    let unit = |code: &str| json!({"unit": t.town.unit(code).to_string()});
    let mut cases = BTreeMap::new();
    // name, title, content, phone, the steps after registration
    let plan: [(&'static str, &str, &str, &str, &[&str]); 8] = [
        ("registered", "西塘村垃圾未清运", "西塘村路口垃圾三天未清运", "13800000001", &[]),
        ("dispatched", "龙潭村道路积水", "龙潭村村口道路积水严重，雨后无法通行", "13800000002", &["dispatch:longtan"]),
        ("returned", "道路破损", "西塘村道路破损需修补", "13800000003", &["dispatch:xitang", "return:xitang"]),
        ("handling", "路灯不亮", "龙潭村路灯不亮", "13800000004", &["dispatch:longtan", "sign:longtan"]),
        (
            "replied",
            "噪音扰民",
            "夜间施工噪音扰民",
            "13800000005",
            &["dispatch:longtan", "sign:longtan", "reply:longtan"],
        ),
        (
            "visited",
            "井盖缺失",
            "龙潭村井盖缺失",
            "13800000006",
            &["dispatch:longtan", "sign:longtan", "reply:longtan", "callback"],
        ),
        (
            "archived",
            "树木倒伏",
            "台风后树木倒伏",
            "13800000007",
            &["dispatch:longtan", "sign:longtan", "reply:longtan", "callback", "archive"],
        ),
        (
            "redispatched",
            "积水反映",
            "西塘村积水",
            "13800000008",
            &["dispatch:xitang", "return:xitang", "dispatch:longtan"],
        ),
    ];
    for (name, title, content, phone, steps) in plan {
        let mut fields = TestApp::work_order_fields();
        fields["title"] = json!(title);
        fields["content"] = json!(content);
        fields["caller_phone"] = json!(phone);
        fields["hotline_no"] = json!(format!("ZX2024092700{}", &phone[9..]));
        if name != "handling" {
            fields.as_object_mut().unwrap().remove("caller_idcard");
        }
        let opened = t.app.open_case(&clerk, "work_order", &obj(fields)).await.unwrap();
        let mut c = opened.case;
        for step in steps {
            let (action, who) = step.split_once(':').unwrap_or((step, "clerk"));
            let (p, input): (&Principal, Json) = match (action, who) {
                ("dispatch", u) => (&clerk, unit(u)),
                ("return", "xitang") => (&xitang, json!({"return_reason": "不属于本村"})),
                ("sign", _) => (&longtan, json!({})),
                ("reply", _) => (&longtan, json!({"reply": "已处理", "reply_method": "phone"})),
                ("callback", _) => (&clerk, json!({"result": "satisfied"})),
                ("archive", _) => (&clerk, json!({})),
                other => panic!("{other:?}"),
            };
            c = t.app.act(p, c.id, action, &obj(input), c.version).await.unwrap();
        }
        cases.insert(name, (c.id, c.receipt_no.clone(), c.version, opened.query_code));
    }
    Fixture { cases }
}

#[tokio::test]
async fn every_tile_of_every_role_counts_the_rows_its_link_opens() {
    for db in TestDb::all().await {
        let t = TestApp::on(db).await;
        let f = fixture(&t).await;
        let receipt = |n: &str| f.cases[n].1.clone();
        // What this test's bookkeeping says, counted by hand from the plan above.
        let mut expected: BTreeMap<(&str, &str), Vec<String>> = BTreeMap::new();
        // The clerk's turn: to dispatch (registered, returned) and to call back (replied) and
        // archive (visited).
        expected.insert(
            ("clerk", "待我处理"),
            vec![receipt("registered"), receipt("returned"), receipt("replied"), receipt("visited")],
        );
        expected.insert(("clerk", "被退回"), vec![receipt("returned")]);
        expected.insert(
            ("handler_longtan", "待我处理"),
            vec![receipt("dispatched"), receipt("handling"), receipt("redispatched")],
        );
        expected.insert(("handler_xitang", "待我处理"), vec![]);
        let mut checked = 0;
        for user in [
            "clerk",
            "leader",
            "handler_longtan",
            "handler_xitang",
            "grid_longtan",
            "officer",
            "reviewer",
            "mediator",
            "advisor",
            "sifasuo",
            "district",
            "wq_clerk",
            "wq_handler",
        ] {
            let w = Web::as_user(&t, user).await;
            let (s, page) = w.get("/workbench").await;
            assert_eq!(s, StatusCode::OK, "{user}");
            let tiles = tiles(&page);
            // A role that no kind's table gives a part (a grid member until events come) has no
            // tiles and is told what the workbench is for; the desk and the handlers have tiles.
            if tiles.is_empty() {
                assert!(page.contains("id=\"purpose\""), "{user}: no tiles and no word on what the workbench is for");
            }
            if ["clerk", "handler_longtan", "handler_xitang", "wq_clerk", "wq_handler"].contains(&user) {
                assert!(!tiles.is_empty(), "{user} has tiles");
            }
            for (kind, label, count, href) in &tiles {
                assert!(href.starts_with("/cases/"), "{user} {kind} {label}: {href}");
                let (s, list) = w.get(&format!("{href}&per_page=200")).await;
                assert_eq!(s, StatusCode::OK, "{user} {kind} {label}: {href}");
                let mut listed = rows(&list);
                assert_eq!(listed.len() as u64, *count, "{user} {kind} {label}: the tile and its rows ({href})");
                assert_eq!(total(&list), *count, "{user} {kind} {label}: the tile and 共 N 条");
                if kind == "12345工单"
                    && let Some(want) = expected.get(&(user, label.as_str()))
                {
                    let mut want = want.clone();
                    want.sort();
                    listed.sort();
                    assert_eq!(listed, want, "{user} {label}");
                }
                checked += 1;
            }
        }
        assert!(checked > 40, "{checked} tiles");
        // The clerk's 待我处理 for work orders, and its 被退回, with their counts on the page.
        let w = Web::as_user(&t, "clerk").await;
        let page = w.get("/workbench").await.1;
        let find = |label: &str| {
            tiles(&page).into_iter().find(|(k, l, _, _)| k == "12345工单" && l == label).map(|(_, _, n, h)| (n, h))
        };
        let (waiting, href) = find("待我处理").unwrap();
        assert_eq!(waiting, 4, "已办结待回访 and 已回访 wait on the clerk too");
        assert_eq!(find("被退回").unwrap().0, 1);
        // The tile's filter is in the list's form, selected, so that 查询 keeps it.
        let list = w.get(&href).await.1;
        let state = href.split("state=").nth(1).unwrap().split('&').next().unwrap().replace("%2C", ",");
        assert!(list.contains(&format!("<option value=\"{state}\" selected>")), "{state}");
        assert!(list.contains("已办结待回访"), "the states are named");
        // A handler of a village no case waits on: no tile promises a list of every open case.
        let x = Web::as_user(&t, "handler_xitang").await;
        let page = x.get("/workbench").await.1;
        assert!(tiles(&page).iter().all(|(_, _, n, _)| *n == 0), "{:?}", tiles(&page));
    }
}

#[tokio::test]
async fn search_matches_every_word_digits_by_prefix_and_a_full_number_through_its_digest() {
    for db in TestDb::all().await {
        let t = TestApp::on(db).await;
        let f = fixture(&t).await;
        let receipt = |n: &str| f.cases[n].1.clone();
        let clerk = Web::as_user(&t, "clerk").await;
        let search = async |w: &Web<'_>, q: &str| {
            let (s, page) = w.get(&format!("/cases/work_order?q={}&per_page=200", enc(q))).await;
            assert_eq!(s, StatusCode::OK, "{q}");
            let mut r = rows(&page);
            r.sort();
            r
        };
        // Several words: the cases holding all of them.
        assert_eq!(search(&clerk, "道路 积水").await, vec![receipt("dispatched")]);
        let mut roads = vec![receipt("dispatched"), receipt("returned")];
        roads.sort();
        assert_eq!(search(&clerk, "道路").await, roads);
        // Digits: a receipt number exactly or by prefix, a 12345 number by prefix — not every case
        // whose receipt number holds the year.
        assert_eq!(search(&clerk, &receipt("handling")).await, vec![receipt("handling")]);
        assert_eq!(search(&clerk, &receipt("handling").to_lowercase()).await, vec![receipt("handling")]);
        assert_eq!(search(&clerk, "AT-GD-2024").await.len(), 8);
        let serial = receipt("handling").rsplit('-').next().unwrap().to_string();
        assert_eq!(search(&clerk, &serial).await, vec![receipt("handling")], "the serial alone, exactly");
        assert_eq!(search(&clerk, "ZX202409270004").await, vec![receipt("handling")]);
        assert_eq!(search(&clerk, "ZX2024092700").await.len(), 8, "a 12345 number's prefix");
        assert!(search(&clerk, "2024").await.is_empty(), "the year alone is no one's number");
        assert_eq!(search(&clerk, "X202409270004").await, vec![receipt("handling")], "with letters: anywhere");
        // A full phone number and a full 身份证号 find their case through the digest; a part of
        // one finds nothing (the number is sealed, the digest exact).
        assert_eq!(search(&clerk, "13800000004").await, vec![receipt("handling")]);
        assert_eq!(search(&clerk, "440524188001010014").await, vec![receipt("handling")]);
        assert!(search(&clerk, "1380000000").await.is_empty());
        assert!(search(&clerk, "0004").await.is_empty());
        // The handler of the case, within their scope; not the handler of another village.
        let handler = Web::as_user(&t, "handler_longtan").await;
        assert_eq!(search(&handler, "13800000004").await, vec![receipt("handling")]);
        let other = Web::as_user(&t, "handler_xitang").await;
        assert!(search(&other, "13800000004").await.is_empty());
        // A role that may not reveal a number may not look cases up by it either.
        let leader = Web::as_user(&t, "leader").await;
        assert!(search(&leader, "13800000004").await.is_empty());
        assert_eq!(search(&leader, "路灯").await, vec![receipt("handling")], "the leader searches text");
        // The API reads the same parser.
        let token = t.token("clerk").await;
        let (s, body) = t.request(Method::GET, "/api/v1/cases?kind=work_order&q=13800000002", Some(&token), None).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(body["items"].as_array().unwrap().len(), 1, "{body}");
    }
}

#[tokio::test]
async fn the_clerk_reveals_a_callers_phone_with_a_reason_and_the_audit_log_shows_it() {
    for db in TestDb::all().await {
        let t = TestApp::on(db).await;
        let f = fixture(&t).await;
        let (id, receipt, _, _) = f.cases["replied"].clone();
        let uri = format!("/cases/work_order/{id}/reveal");
        let clerk = Web::as_user(&t, "clerk").await;
        let (_, page) = clerk.get(&format!("/cases/work_order/{id}")).await;
        assert!(page.contains("138****0005") && !page.contains("13800000005"), "masked on the case page");
        assert!(page.contains("查看完整号码") && page.contains(&uri));
        let auditor = t.principal("auditor").await;
        let reveals = async || {
            let q = AuditQuery { action: Some("reveal.".into()), ..Default::default() };
            t.app.audit_log(&auditor, q, 1, 50).await.unwrap().0
        };
        // No reason: refused, nothing shown, nothing recorded.
        let (s, page) = clerk.post(&uri, &[("field", "caller_phone"), ("reason", " ")]).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert!(page.contains("原因") && !page.contains("13800000005"));
        assert!(reveals().await.is_empty());
        // With a reason: shown once, recorded with who, which case, which field and why.
        let (s, page) = clerk.post(&uri, &[("field", "caller_phone"), ("reason", "回访联系来电人")]).await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains("<strong class=\"mono\" id=\"revealed-value\">13800000005</strong>"));
        let log = reveals().await;
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].action, "reveal.identifier");
        assert_eq!(log[0].actor_username.as_deref(), Some("clerk"));
        let details: BTreeMap<String, String> = log[0].details.iter().cloned().collect();
        assert_eq!(details["受理编号"], receipt);
        assert_eq!(details["字段"], "联系电话");
        assert_eq!(details["原因"], "回访联系来电人");
        // The case page itself still masks it: the value is not kept anywhere on it.
        assert!(!clerk.get(&format!("/cases/work_order/{id}")).await.1.contains("13800000005"));
        // The handler of the case may; a handler of another village cannot even open it.
        let handler = Web::as_user(&t, "handler_longtan").await;
        let (s, page) = handler.post(&uri, &[("field", "caller_phone"), ("reason", "联系来电人核实地址")]).await;
        assert_eq!(s, StatusCode::OK);
        assert!(page.contains("13800000005"));
        let other = Web::as_user(&t, "handler_xitang").await;
        assert_eq!(other.post(&uri, &[("field", "caller_phone"), ("reason", "试试")]).await.0, StatusCode::NOT_FOUND);
        // The leader reads the case but may not reveal: 403, and the attempt is recorded.
        let leader = Web::as_user(&t, "leader").await;
        assert!(!leader.get(&format!("/cases/work_order/{id}")).await.1.contains("查看完整号码"));
        let (s, page) = leader.post(&uri, &[("field", "caller_phone"), ("reason", "了解情况")]).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert!(!page.contains("13800000005"));
        let log = reveals().await;
        assert_eq!(log.iter().filter(|e| e.action == "reveal.identifier").count(), 2);
        let refused: Vec<_> = log.iter().filter(|e| e.action == "reveal.refused").collect();
        assert_eq!(refused.len(), 1);
        assert_eq!(refused[0].actor_username.as_deref(), Some("leader"));
        // The API: the same use case, not cached; the administrators are refused and recorded.
        let token = t.token("clerk").await;
        let req = Request::post(format!("/api/v1/cases/{id}/reveal"))
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(Body::from(json!({"field": "caller_phone", "reason": "回访"}).to_string()))
            .unwrap();
        let resp = tower::ServiceExt::oneshot(t.router.clone(), req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(resp.headers()[header::CACHE_CONTROL], "no-store");
        let body: Json = serde_json::from_slice(&resp.into_body().collect().await.unwrap().to_bytes()).unwrap();
        assert_eq!((body["value"].as_str(), body["label"].as_str()), (Some("13800000005"), Some("联系电话")));
        let admin = t.token("admin").await;
        let (s, body) = t
            .request(
                Method::POST,
                &format!("/api/v1/cases/{id}/reveal"),
                Some(&admin),
                Some(json!({"field": "caller_phone", "reason": "维护"})),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(reveals().await.iter().filter(|e| e.action == "reveal.refused").count(), 2);
        // The chain holds: reveals are events like the others.
        let outcome = t.app.verify_all(&Default::default(), |_, _| {}).await.unwrap();
        assert!(outcome.is_whole());
    }
}

#[tokio::test]
async fn a_resident_rates_an_archived_case_within_the_window_and_not_after() {
    for db in TestDb::all().await {
        let t = TestApp::on(db).await;
        let f = fixture(&t).await;
        let (_, receipt, version, code) = f.cases["archived"].clone();
        let v = t.app.public_lookup("10.0.0.1", &receipt, &code).await.unwrap();
        assert!(v.rating.is_none());
        assert_eq!(v.rate_options.len(), 3, "rating is open after archiving");
        // 30 days (the default) after the day it was archived, it still is.
        t.clock.advance(time::Duration::days(30));
        let v = t.app.public_rate("10.0.0.1", &receipt, &code, version, "basic", "还可以").await.unwrap();
        assert_eq!(v.rating.as_deref(), Some("基本满意"));
        assert!(v.rate_options.is_empty(), "once");
        let again = t.app.public_rate("10.0.0.1", &receipt, &code, version + 1, "satisfied", "").await;
        assert!(matches!(again, Err(ServiceError::WrongState(_))), "{again:?}");
        // Another archived case, past the window: closed, and the page says why.
        let clerk = t.principal("clerk").await;
        let visited = f.cases["visited"].clone();
        let c = t.app.act(&clerk, visited.0, "archive", &Map::new(), visited.2).await.unwrap();
        t.clock.advance(time::Duration::days(31));
        let v = t.app.public_lookup("10.0.0.1", &visited.1, &visited.3).await.unwrap();
        assert!(v.rate_options.is_empty());
        let late = t.app.public_rate("10.0.0.1", &visited.1, &visited.3, c.version, "satisfied", "").await;
        let Err(ServiceError::WrongState(m)) = late else { panic!("{late:?}") };
        assert!(m.contains("30日"), "{m}");
    }
}

#[tokio::test]
async fn wrong_codes_lock_the_address_that_made_them_not_the_resident_elsewhere() {
    let t = TestApp::sqlite().await;
    let f = fixture(&t).await;
    let (_, receipt, _, code) = f.cases["replied"].clone();
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        assert!(matches!(t.app.public_lookup("203.0.113.5", &receipt, wrong).await, Err(ServiceError::NotFound(_))));
    }
    // The address that guessed waits, and is told how long.
    let e = t.app.public_lookup("203.0.113.5", &receipt, &code).await.unwrap_err();
    assert_eq!(e.to_string(), "尝试次数过多，请15分钟后再试");
    t.clock.advance(time::Duration::minutes(6));
    let e = t.app.public_lookup("203.0.113.5", &receipt, &code).await.unwrap_err();
    assert_eq!(e.to_string(), "尝试次数过多，请9分钟后再试");
    // The resident at another address, with the right code, is not refused.
    assert!(t.app.public_lookup("198.51.100.7", &receipt, &code).await.is_ok());
    // Guesses from many addresses lock the receipt number itself, for everyone.
    for addr in ["203.0.113.6", "203.0.113.7"] {
        for _ in 0..5 {
            let _ = t.app.public_lookup(addr, &receipt, wrong).await;
        }
    }
    let e = t.app.public_lookup("198.51.100.7", &receipt, &code).await.unwrap_err();
    assert!(e.to_string().starts_with("尝试次数过多，请"), "{e}");
}
