//! Visits, disputes and petitions over the JSON API and the pages: the 检举控告 confidentiality
//! rule (信访工作条例 第三十条) — the case does not exist for the accused unit and the named accused
//! staff, through `/api/v1/cases`, `/api/v1/cases/{id}`, the case page, its files and the list —
//! and bad registration input of each kind answers `{code, message, fields}`
//! with the right status and registers nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] functions

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use fazhi_service::SessionKind;
use fazhi_testkit::{PASSWORD, TestApp, TestDb};
use http_body_util::BodyExt;
use serde_json::{Value as Json, json};

async fn register(t: &TestApp, token: &str, kind: &str, fields: Json) -> (StatusCode, Json) {
    t.request(Method::POST, "/api/v1/cases", Some(token), Some(json!({"kind": kind, "fields": fields}))).await
}

fn accusation(t: &TestApp, accused: &str) -> Json {
    let mut f = TestApp::petition_fields("accusation");
    f["title"] = json!("反映某单位工作人员违规收费问题");
    f["accused_unit"] = json!(t.town.unit(accused).to_string());
    f
}

/// A staff member's browser: a session cookie and its CSRF token.
struct Browser<'a> {
    t: &'a TestApp,
    cookie: String,
    csrf: String,
}

impl<'a> Browser<'a> {
    async fn of(t: &'a TestApp, username: &str) -> Browser<'a> {
        let ok = t.app.login(username, PASSWORD, SessionKind::Web).await.unwrap();
        Browser { t, cookie: format!("fazhi_session={}", ok.token), csrf: ok.csrf }
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, String) {
        let resp = tower::ServiceExt::oneshot(self.t.router.clone(), req).await.unwrap();
        let status = resp.status();
        (status, String::from_utf8_lossy(&resp.into_body().collect().await.unwrap().to_bytes()).into_owned())
    }

    async fn get(&self, uri: &str) -> (StatusCode, String) {
        self.send(Request::get(uri).header(header::COOKIE, &self.cookie).body(Body::empty()).unwrap()).await
    }

    /// An urlencoded form; a name given twice is sent twice (a multiple choice).
    async fn post(&self, uri: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let enc = |s: &str| -> String {
            s.bytes()
                .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
                .collect()
        };
        let mut body: Vec<String> = fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
        body.push(format!("_csrf={}", enc(&self.csrf)));
        let req = Request::post(uri)
            .header(header::COOKIE, &self.cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.join("&")))
            .unwrap();
        self.send(req).await
    }
}

async fn each(mut f: impl AsyncFnMut(TestApp)) {
    for db in TestDb::all().await {
        f(TestApp::on(db).await).await;
    }
}

#[tokio::test]
async fn the_accused_read_an_accusation_over_the_api_exactly_as_a_case_that_does_not_exist() {
    // 信访工作条例 第三十条, and issue 10 item 12: out of reach answers 404, never 403.
    each(async |t| {
        let clerk = t.token("clerk").await;
        let mut f = accusation(&t, "sfs");
        f["accused_users"] = json!([t.town.user("leader").id.to_string()]);
        let (s, body) = register(&t, &clerk, "petition", f).await;
        assert_eq!(s, StatusCode::CREATED, "{body}");
        let id = body["case"]["id"].as_str().unwrap().to_string();
        let unknown = fazhi_domain::ids::CaseId::new().to_string();
        let (s, absent) = t.request(Method::GET, &format!("/api/v1/cases/{unknown}"), Some(&clerk), None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        for who in ["sifasuo", "advisor", "leader", "wq_clerk"] {
            let token = t.token(who).await;
            let (s, d) = t.request(Method::GET, &format!("/api/v1/cases/{id}"), Some(&token), None).await;
            assert_eq!((s, &d), (StatusCode::NOT_FOUND, &absent), "{who}: the same answer as for no case");
            let (s, _) = t
                .request(
                    Method::POST,
                    &format!("/api/v1/cases/{id}/actions/supervise"),
                    Some(&token),
                    Some(json!({"version": 1, "fields": {"note": "督办"}})),
                )
                .await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{who}");
            for q in ["kind=petition", "q=%E8%BF%9D%E8%A7%84%E6%94%B6%E8%B4%B9", "category=accusation"] {
                let (s, list) = t.request(Method::GET, &format!("/api/v1/cases?{q}"), Some(&token), None).await;
                assert_eq!((s, list["total"].as_u64()), (StatusCode::OK, Some(0)), "{who} ?{q}: {list}");
            }
        }
        // Outside the accused unit and the named leader, the case reads whole.
        let (_, d) = t.request(Method::GET, &format!("/api/v1/cases/{id}"), Some(&clerk), None).await;
        assert_eq!(d["case"]["data"]["party_name"], "黄某");
        assert_eq!(d["case"]["data"]["accused_users"], json!([t.town.user("leader").id.to_string()]));
        let district = t.token("district").await;
        let (s, _) = t.request(Method::GET, &format!("/api/v1/cases/{id}"), Some(&district), None).await;
        assert_eq!(s, StatusCode::OK);
        // The API describes the users field.
        let (_, kinds) = t.request(Method::GET, "/api/v1/kinds", Some(&clerk), None).await;
        let petition = kinds.as_array().unwrap().iter().find(|k| k["slug"] == "petition").unwrap();
        assert!(
            petition.to_string().contains(r#""name":"accused_users""#)
                && petition.to_string().contains(r#""type":"users""#)
        );
    })
    .await;
}

#[tokio::test]
async fn the_pages_name_accused_staff_at_registration_and_never_show_them_the_case_or_its_files() {
    each(async |t| {
        let clerk = Browser::of(&t, "clerk").await;
        let (s, form) = clerk.get("/cases/petition/new").await;
        assert_eq!(s, StatusCode::OK);
        let leader_id = t.town.user("leader").id.to_string();
        assert!(form.contains("<select multiple") && form.contains(&leader_id), "the town's staff are offered");
        let district_id = t.town.user("district").id.to_string();
        let (s, page) = clerk
            .post(
                "/cases/petition/new",
                &[
                    ("title", "反映村干部违规收费问题"),
                    ("content", "检举人黄某反映龙潭村干部在宅基地审批中违规收取费用。"),
                    ("category", "accusation"),
                    ("channel", "letter"),
                    ("party_name", "黄某"),
                    ("party_phone", "13712345678"),
                    ("accused_unit", &t.town.unit("longtan").to_string()),
                    ("accused_users", &leader_id),
                    ("accused_users", &district_id),
                    ("confirm_new", "1"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        let href = page.split("href=\"/cases/petition/").nth(1).expect("a link to the case").split('"').next().unwrap();
        let id = fazhi_domain::ids::CaseId::parse(href).unwrap();
        let stored = t.app.store().case(&fazhi_service::Scope::everything(), id).await.unwrap().unwrap();
        assert_eq!(stored.data["accused_users"], json!([leader_id, district_id]), "both chosen are named");
        // The desk attaches the accuser's letter while accepting it to 西塘村.
        let accept = serde_json::Map::from_iter([
            ("unit".to_string(), json!(t.town.unit("xitang").to_string())),
            ("accepted_on".to_string(), json!("2024-09-27")),
            ("notified_on".to_string(), json!("2024-09-27")),
            ("notice_method".to_string(), json!("mail")),
        ]);
        let letter = t.app.upload_bytes("检举信.pdf", "application/pdf", b"%PDF-1.4 letter").await.expect("staged");
        let p = t.principal("clerk").await;
        t.app.act_with_files(&p, id, "accept", &accept, 1, vec![letter]).await.unwrap();
        let (_, page) = clerk.get(&format!("/cases/petition/{id}")).await;
        assert!(
            page.contains("被检举控告的工作人员") && page.contains("领导（鳌头镇人民政府）"),
            "names shown to the desk"
        );
        let file = page.split("/files/").nth(1).unwrap().split('"').next().unwrap().to_string();
        let (s, _) = clerk.get(&format!("/cases/petition/{id}/files/{file}")).await;
        assert_eq!(s, StatusCode::OK);
        for who in ["leader", "district", "handler_longtan"] {
            let b = Browser::of(&t, who).await;
            let (s, body) = b.get(&format!("/cases/petition/{id}")).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{who}");
            assert!(!body.contains("违规收费") && !body.contains("黄某"), "{who}: the 404 says nothing of the case");
            let (s, _) = b.get(&format!("/cases/petition/{id}/files/{file}")).await;
            assert_eq!(s, StatusCode::NOT_FOUND, "{who} downloading the accuser's letter");
            let (_, list) = b.get("/cases/petition?q=%E8%BF%9D%E8%A7%84%E6%94%B6%E8%B4%B9").await;
            assert!(!list.contains("违规收费问题"), "{who}'s search does not find it");
        }
        // An accusation against the desk's own town: registered, then no longer the desk's to see.
        let (s, page) = clerk
            .post(
                "/cases/petition/new",
                &[
                    ("title", "反映镇政府违规问题"),
                    ("content", "检举镇政府工作人员违规。"),
                    ("category", "accusation"),
                    ("channel", "letter"),
                    ("party_name", "黄某"),
                    ("accused_unit", &t.town.unit("aotou").to_string()),
                    ("confirm_new", "1"),
                ],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{page}");
        assert!(page.contains("查询码") && page.contains("第三十条"), "the receipt, and why there is no link");
        assert!(!page.contains("查看并派单"));
    })
    .await;
}

#[tokio::test]
async fn bad_registration_of_each_kind_is_answered_field_by_field_and_registers_nothing() {
    let t = TestApp::sqlite().await;
    let clerk = t.token("clerk").await;
    // visit: more representatives than came is a rule; a non-number is a field.
    let mut f = TestApp::visit_fields();
    f["visitor_count"] = json!(2);
    f["representatives"] = json!("甲、乙、丙");
    let (s, e) = register(&t, &clerk, "visit", f).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("rule_violated")), "{e}");
    assert_eq!(e["message"], "推选代表人数（3人）不能多于来访人数（2人）");
    let mut f = TestApp::visit_fields();
    f["visitor_count"] = json!("八");
    let (s, e) = register(&t, &clerk, "visit", f).await;
    assert_eq!((s, e["fields"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("visitor_count")), "{e}");
    // dispute: money with three decimals and an unknown category, both named.
    let mut f = TestApp::dispute_fields();
    f["amount"] = json!("1.234");
    f["category"] = json!("打架");
    let (s, e) = register(&t, &clerk, "dispute", f).await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_input")), "{e}");
    let fields: Vec<&str> = e["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields.len(), 2, "{e}");
    assert!(fields.contains(&"amount") && fields.contains(&"category"));
    // petition: an accusation without the accused unit; a field that is not of the form.
    let (s, e) = register(&t, &clerk, "petition", TestApp::petition_fields("accusation")).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let mut f = TestApp::petition_fields("claim");
    f["mood"] = json!("angry");
    let (s, e) = register(&t, &clerk, "petition", f).await;
    assert_eq!((s, e["fields"][0]["field"].as_str()), (StatusCode::BAD_REQUEST, Some("mood")), "{e}");
    // A role that does not register the kind.
    let handler = t.token("handler_longtan").await;
    let (s, _) = register(&t, &handler, "dispute", TestApp::dispute_fields()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, list) = t.request(Method::GET, "/api/v1/cases", Some(&clerk), None).await;
    assert_eq!(list["total"], 0, "nothing was registered");
}

#[tokio::test]
async fn the_kinds_and_their_clocks_are_described_by_the_api() {
    let t = TestApp::sqlite().await;
    let clerk = t.token("clerk").await;
    let (_, kinds) = t.request(Method::GET, "/api/v1/kinds", Some(&clerk), None).await;
    let slugs: Vec<&str> = kinds.as_array().unwrap().iter().map(|k| k["slug"].as_str().unwrap()).collect();
    for k in ["visit", "dispute", "petition"] {
        assert!(slugs.contains(&k), "{slugs:?}");
    }
    let mut f = TestApp::petition_fields("claim");
    f["received_on"] = json!("2024-09-16");
    let (_, body) = register(&t, &clerk, "petition", f).await;
    let id = body["case"]["id"].as_str().unwrap();
    let (_, d) = t.request(Method::GET, &format!("/api/v1/cases/{id}"), Some(&clerk), None).await;
    assert_eq!(d["case"]["statutory_due_on"], "2024-10-08");
    let steps = d["clocks"][0]["explanation"].to_string();
    assert!(steps.contains("信访工作条例第二十三条"), "{steps}");
    // The internal conversion is not an action the case page offers (the response of 第四十七条 is,
    // refused unless the visit broke 第二十条).
    let (_, body) = register(&t, &clerk, "visit", TestApp::visit_fields()).await;
    let vid = body["case"]["id"].as_str().unwrap();
    let (_, d) = t.request(Method::GET, &format!("/api/v1/cases/{vid}"), Some(&clerk), None).await;
    let actions: Vec<&str> = d["actions"].as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["reply", "respond_over_limit"]);
    let (s, e) = t
        .request(
            Method::POST,
            &format!("/api/v1/cases/{vid}/actions/convert"),
            Some(&clerk),
            Some(json!({"version": 1, "fields": {"target_kind": "dispute", "target_case": "x"}})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
}
