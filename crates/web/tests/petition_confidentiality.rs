//! Visits, disputes and petitions over the JSON API: the 检举控告 confidentiality rule
//! (信访工作条例 第三十条) holds for what the accused unit reads through `/api/v1/cases` and
//! `/api/v1/cases/{id}`, and bad registration input of each kind answers `{code, message, fields}`
//! with the right status and registers nothing.

use axum::http::{Method, StatusCode};
use fazhi_domain::workflow::shared::WITHHELD;
use fazhi_testkit::TestApp;
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

#[tokio::test]
async fn the_accused_unit_reads_an_accusation_over_the_api_without_the_accuser() {
    let t = TestApp::sqlite().await;
    let clerk = t.token("clerk").await;
    let (s, body) = register(&t, &clerk, "petition", accusation(&t, "sfs")).await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    assert_eq!(body["case"]["receipt_no"], "AT-XF-2024-000001");
    let id = body["case"]["id"].as_str().unwrap().to_string();

    let sifasuo = t.token("sifasuo").await;
    let (s, d) = t.request(Method::GET, &format!("/api/v1/cases/{id}"), Some(&sifasuo), None).await;
    assert_eq!(s, StatusCode::OK, "{d}");
    for k in ["party_name", "party_phone", "party_address", "content"] {
        assert_eq!(d["case"]["data"][k], WITHHELD, "{k}");
    }
    let text = d.to_string();
    assert!(!text.contains("黄某") && !text.contains("137****5678") && !text.contains("宅基地"), "{text}");
    assert_eq!(d["timeline"][0]["payload"]["party_name"], WITHHELD);
    assert_eq!(d["case"]["title"], "反映某单位工作人员违规收费问题");

    let (s, list) = t.request(Method::GET, "/api/v1/cases?kind=petition", Some(&sifasuo), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["data"]["party_name"], WITHHELD);
    let (_, found) = t.request(Method::GET, "/api/v1/cases?q=%E9%BB%84%E6%9F%90", Some(&sifasuo), None).await;
    assert_eq!(found["total"], 0, "not findable by the accuser's name (黄某)");

    // Outside the accused unit the case reads whole, identifiers masked as everywhere.
    let (_, d) = t.request(Method::GET, &format!("/api/v1/cases/{id}"), Some(&clerk), None).await;
    assert_eq!(d["case"]["data"]["party_name"], "黄某");
    assert_eq!(d["case"]["data"]["party_phone"], "137****5678");
}

#[tokio::test]
async fn what_an_action_answers_to_the_accused_unit_is_withheld_too() {
    let t = TestApp::sqlite().await;
    let clerk = t.token("clerk").await;
    let (_, body) = register(&t, &clerk, "petition", accusation(&t, "aotou")).await;
    let id = body["case"]["id"].as_str().unwrap().to_string();
    let leader = t.token("leader").await;
    let (s, c) = t
        .request(
            Method::POST,
            &format!("/api/v1/cases/{id}/actions/supervise"),
            Some(&leader),
            Some(json!({"version": 1, "fields": {"note": "报上级机关办理"}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["data"]["party_name"], WITHHELD);
    // Handing it to any unit of the accused town is refused, citing the article.
    let (s, e) = t
        .request(
            Method::POST,
            &format!("/api/v1/cases/{id}/actions/accept"),
            Some(&clerk),
            Some(json!({"version": 2, "fields": {"unit": t.town.unit("xitang").to_string(), "accepted_on": "2024-09-27", "notified_on": "2024-09-27", "notice_method": "mail"}})),
        )
        .await;
    assert_eq!((s, e["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("rule_violated")), "{e}");
    assert!(e["message"].as_str().unwrap().contains("第三十条"));
    // The district, not part of the town, reads it whole.
    let district = t.token("district").await;
    let (_, d) = t.request(Method::GET, &format!("/api/v1/cases/{id}"), Some(&district), None).await;
    assert_eq!(d["case"]["data"]["party_name"], "黄某");
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
