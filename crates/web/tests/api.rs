//! The JSON API end to end, in-process: every bad input answers `{code, message}` with the right
//! status and changes nothing.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use fazhi_testkit::TestApp;
use serde_json::{Value as Json, json};

async fn opened(t: &TestApp, token: &str) -> Json {
    let (s, body) = t
        .request(
            Method::POST,
            "/api/v1/cases",
            Some(token),
            // The same caller each time: registered as new cases on purpose.
            Some(json!({"kind": "work_order", "fields": TestApp::work_order_fields(), "confirm_new": true})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{body}");
    body
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let t = TestApp::sqlite().await;
    assert_eq!(t.request(Method::GET, "/healthz", None, None).await.0, StatusCode::OK);
    assert_eq!(t.request(Method::GET, "/readyz", None, None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let t = TestApp::sqlite().await;
    let (s, doc) = t.request(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/auth/login",
        "/api/v1/cases",
        "/api/v1/cases/{id}",
        "/api/v1/cases/{id}/actions/{action}",
        "/api/v1/metrics",
        "/api/v1/kinds",
        "/api/v1/me",
        "/api/v1/admin/users",
        "/api/v1/admin/users/{id}/password",
        "/api/v1/admin/users/{id}/activation-code",
        "/api/v1/admin/users/{id}/roles",
        "/api/v1/audit",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    assert!(doc["components"]["schemas"].get("ErrorBody").is_some());
}

#[tokio::test]
async fn a_work_order_goes_through_its_whole_journey_over_the_api() {
    let t = TestApp::sqlite().await;
    let clerk = t.token("clerk").await;
    let handler = t.token("handler_longtan").await;
    let body = opened(&t, &clerk).await;
    assert_eq!(body["case"]["receipt_no"], "AT-GD-2024-000001");
    assert_eq!(body["query_code"].as_str().unwrap().len(), 6);
    assert_eq!(body["case"]["data"]["caller_idcard"], "4405**********0014", "identifiers leave masked");
    assert!(body["case"]["data"].get("query_code").is_none());
    assert_eq!(body["case"]["due_on"], "2024-10-10");
    let id = body["case"]["id"].as_str().unwrap().to_string();
    let act = async |token: &str, action: &str, version: i64, fields: Json| {
        t.request(
            Method::POST,
            &format!("/api/v1/cases/{id}/actions/{action}"),
            Some(token),
            Some(json!({"version": version, "fields": fields})),
        )
        .await
    };
    let (s, c) =
        act(&clerk, "dispatch", 1, json!({"unit": t.town.unit("longtan").to_string(), "note": "请办理"})).await;
    assert_eq!((s, c["state"].as_str()), (StatusCode::OK, Some("dispatched")), "{c}");
    assert_eq!(c["unit"]["name"], "龙潭村");
    assert_eq!(act(&handler, "sign", 2, json!({})).await.0, StatusCode::OK);
    assert_eq!(act(&handler, "reply", 3, json!({"reply": "已修复", "reply_method": "phone"})).await.0, StatusCode::OK);
    assert_eq!(act(&clerk, "callback", 4, json!({"result": "satisfied"})).await.0, StatusCode::OK);
    let (s, c) = act(&clerk, "archive", 5, json!({})).await;
    assert_eq!((s, c["state"].as_str(), c["phase"].as_str()), (StatusCode::OK, Some("archived"), Some("archived")));
    let (s, d) = t.request(Method::GET, &format!("/api/v1/cases/{id}"), Some(&clerk), None).await;
    assert_eq!(s, StatusCode::OK);
    let actions: Vec<&str> =
        d["timeline"].as_array().unwrap().iter().map(|e| e["action_label"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["登记", "派单", "签收", "办结", "回访", "归档"]);
    assert!(d["clocks"][0]["explanation"].as_array().unwrap().iter().any(|s| s.as_str().unwrap().contains("调休上班")));
    let (s, m) = t.request(Method::GET, "/api/v1/metrics?kind=work_order&year=2024", Some(&clerk), None).await;
    assert_eq!(s, StatusCode::OK);
    let fig = |code: &str| {
        m["figures"].as_array().unwrap().iter().find(|f| f["code"] == code).unwrap()["display"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(fig("work_order.accepted"), "1");
    assert_eq!(fig("work_order.close_rate"), "100%");
    assert_eq!(fig("work_order.satisfaction_rate"), "100%");
    assert_eq!(fig("work_order.reopen_rate"), "0.00%");
    let (_, m) = t.request(Method::GET, "/api/v1/metrics?kind=work_order&year=2023", Some(&clerk), None).await;
    let close_rate = m["figures"].as_array().unwrap().iter().find(|f| f["code"] == "work_order.close_rate").unwrap();
    assert_eq!(close_rate["display"], "—", "no denominator, no rate");
}

async fn status_code(
    t: &TestApp,
    method: Method,
    uri: &str,
    token: Option<&str>,
    body: Option<Json>,
) -> (u16, String, Json) {
    let (s, b) = t.request(method, uri, token, body).await;
    (s.as_u16(), b["code"].as_str().unwrap_or_default().to_string(), b)
}

#[tokio::test]
async fn bad_input_is_answered_with_a_clear_error_and_changes_nothing() {
    let t = TestApp::sqlite().await;
    let clerk = t.token("clerk").await;
    let handler = t.token("handler_longtan").await;
    let c = opened(&t, &clerk).await;
    let id = c["case"]["id"].as_str().unwrap().to_string();
    let action = |a: &str| format!("/api/v1/cases/{id}/actions/{a}");

    // Malformed JSON.
    let raw = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/cases")
        .header("authorization", format!("Bearer {clerk}"))
        .header("content-type", "application/json")
        .body(Body::from("{\"kind\": "))
        .unwrap();
    let (s, b) = t.send(raw).await;
    assert_eq!((s.as_u16(), b["code"].as_str()), (400, Some("bad_request")), "{b}");
    assert!(b["message"].as_str().unwrap().starts_with("请求体不是有效的JSON"));
    // Not JSON at all.
    let raw = Request::builder().method(Method::POST).uri("/api/v1/auth/login").body(Body::from("username=x")).unwrap();
    assert_eq!(t.send(raw).await.0.as_u16(), 400);
    // Unknown kind.
    let (s, code, _) =
        status_code(&t, Method::POST, "/api/v1/cases", Some(&clerk), Some(json!({"kind": "spaceship", "fields": {}})))
            .await;
    assert_eq!((s, code.as_str()), (400, "unknown_kind"));
    // Unknown top-level member.
    let (s, code, _) = status_code(
        &t,
        Method::POST,
        "/api/v1/cases",
        Some(&clerk),
        Some(json!({"kind": "work_order", "fields": {}, "x": 1})),
    )
    .await;
    assert_eq!((s, code.as_str()), (400, "bad_request"));
    // Missing required fields, an invalid 身份证号, an over-long title: all named.
    let mut f = TestApp::work_order_fields();
    f["caller_idcard"] = json!("440524188001010015");
    f["title"] = json!("长".repeat(101));
    f.as_object_mut().unwrap().remove("content");
    let (s, code, b) =
        status_code(&t, Method::POST, "/api/v1/cases", Some(&clerk), Some(json!({"kind": "work_order", "fields": f})))
            .await;
    assert_eq!((s, code.as_str()), (400, "invalid_input"));
    let fields: Vec<&str> = b["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"caller_idcard") && fields.contains(&"title") && fields.contains(&"content"), "{b}");
    assert!(b["message"].as_str().unwrap().contains("来电人身份证号码：校验位不正确，请核对最后一位"));
    // Action not allowed in this state.
    let (s, code, b) =
        status_code(&t, Method::POST, &action("archive"), Some(&clerk), Some(json!({"version": 1}))).await;
    assert_eq!((s, code.as_str()), (409, "wrong_state"));
    assert_eq!(b["message"], "当前状态为“待派单”，不能执行“归档”");
    // Unknown action.
    let (s, code, _) =
        status_code(&t, Method::POST, &action("teleport"), Some(&clerk), Some(json!({"version": 1}))).await;
    assert_eq!((s, code.as_str()), (400, "unknown_action"));
    // Missing version.
    let (s, code, _) =
        status_code(&t, Method::POST, &action("dispatch"), Some(&clerk), Some(json!({"fields": {}}))).await;
    assert_eq!((s, code.as_str()), (400, "bad_request"));
    // A rule of the procedure.
    let (s, code, _) = status_code(
        &t,
        Method::POST,
        &action("dispatch"),
        Some(&clerk),
        Some(json!({"version": 1, "fields": {"unit": t.town.unit("zzzx").to_string()}})),
    )
    .await;
    assert_eq!((s, code.as_str()), (422, "rule_violated"));
    // Out of reach: as for no case at all (a 403 would confirm the id, issue 10 item 12).
    let (s, code, _) = status_code(
        &t,
        Method::POST,
        &action("dispatch"),
        Some(&handler),
        Some(json!({"version": 1, "fields": {"unit": t.town.unit("longtan").to_string()}})),
    )
    .await;
    assert_eq!((s, code.as_str()), (404, "not_found"));
    // Within reach, a role not allowed: 403.
    let leader = t.token("leader").await;
    let (s, code, _) = status_code(
        &t,
        Method::POST,
        &action("dispatch"),
        Some(&leader),
        Some(json!({"version": 1, "fields": {"unit": t.town.unit("longtan").to_string()}})),
    )
    .await;
    assert_eq!((s, code.as_str()), (403, "forbidden"));
    // A stale version.
    let ok = t
        .request(
            Method::POST,
            &action("dispatch"),
            Some(&clerk),
            Some(json!({"version": 1, "fields": {"unit": t.town.unit("longtan").to_string()}})),
        )
        .await;
    assert_eq!(ok.0, StatusCode::OK);
    let (s, code, b) = status_code(
        &t,
        Method::POST,
        &action("supervise"),
        Some(&t.token("leader").await),
        Some(json!({"version": 1, "fields": {"note": "快"}})),
    )
    .await;
    assert_eq!((s, code.as_str()), (409, "stale_version"), "{b}");
    // Nothing of the refused requests was written: two events only.
    let (_, d) = t.request(Method::GET, &format!("/api/v1/cases/{id}"), Some(&clerk), None).await;
    assert_eq!(d["timeline"].as_array().unwrap().len(), 2);
    assert_eq!(d["case"]["version"], 2);
}

#[tokio::test]
async fn authentication_errors_have_the_same_shape() {
    let t = TestApp::sqlite().await;
    let (s, code, _) = status_code(&t, Method::GET, "/api/v1/cases", None, None).await;
    assert_eq!((s, code.as_str()), (401, "unauthenticated"));
    let (s, code, _) = status_code(&t, Method::GET, "/api/v1/cases", Some("not-a-token"), None).await;
    assert_eq!((s, code.as_str()), (401, "unauthenticated"));
    let (s, code, b) = status_code(
        &t,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"username": "clerk", "password": "nope"})),
    )
    .await;
    assert_eq!((s, code.as_str()), (401, "bad_credentials"));
    assert_eq!(b["message"], "用户名或密码不正确，或登录尝试过多已暂停，请稍后再试");
    for _ in 0..4 {
        status_code(
            &t,
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "clerk", "password": "nope"})),
        )
        .await;
    }
    let (s, code, _) = status_code(
        &t,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"username": "clerk", "password": fazhi_testkit::PASSWORD})),
    )
    .await;
    // Five failures pause this address on this account: the right password now gets the same
    // answer as a wrong one (GB/T 22239-2019 §8.1.4.1 b, no username enumeration).
    assert_eq!((s, code.as_str()), (401, "bad_credentials"));
}

#[tokio::test]
async fn list_and_metric_queries_reject_what_they_do_not_understand() {
    let t = TestApp::sqlite().await;
    let clerk = t.token("clerk").await;
    opened(&t, &clerk).await;
    let get = async |uri: &str| status_code(&t, Method::GET, uri, Some(&clerk), None).await;
    let (s, _, b) = get("/api/v1/cases?kind=work_order&q=纠纷&sort=due_on&per_page=5").await;
    assert_eq!((s, b["total"].as_u64()), (200, Some(1)), "纠纷 finds 劳资纠纷 in the content");
    let (s, code, b) = get("/api/v1/cases?opened_from=2024-13-01").await;
    assert_eq!((s, code.as_str()), (400, "invalid_input"));
    assert_eq!(b["fields"][0]["field"], "opened_from");
    assert_eq!(get("/api/v1/cases?colour=red").await.0, 400);
    assert_eq!(get("/api/v1/cases?sort=colour").await.1, "invalid_input");
    assert_eq!(get("/api/v1/cases?kind=spaceship").await.1, "unknown_kind");
    assert_eq!(get("/api/v1/cases?overdue=maybe").await.0, 400);
    assert_eq!(get(&format!("/api/v1/cases?q={}", "字".repeat(101))).await.1, "invalid_input");
    assert_eq!(get("/api/v1/metrics?year=1800").await.1, "invalid_input");
    assert_eq!(get("/api/v1/metrics?from=2024-01-01").await.1, "invalid_input");
    assert_eq!(get("/api/v1/metrics?metric=work_order.nothing").await.1, "bad_request");
    assert_eq!(get("/api/v1/cases/not-an-id").await.0, 404);
    assert_eq!(get(&format!("/api/v1/cases/{}", fazhi_domain::ids::CaseId::new())).await.0, 404);
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let t = TestApp::sqlite().await;
    let clerk = t.token("clerk").await;
    let huge = json!({"kind": "work_order", "fields": {"content": "字".repeat(400_000)}});
    let (s, code, _) = status_code(&t, Method::POST, "/api/v1/cases", Some(&clerk), Some(huge)).await;
    assert_eq!((s, code.as_str()), (413, "payload_too_large"));
}

#[tokio::test]
async fn kinds_describe_their_forms() {
    let t = TestApp::sqlite().await;
    let clerk = t.token("clerk").await;
    let (s, kinds) = t.request(Method::GET, "/api/v1/kinds", Some(&clerk), None).await;
    assert_eq!(s, StatusCode::OK);
    let wo = &kinds[0];
    assert_eq!(wo["slug"], "work_order");
    assert_eq!(wo["states"].as_array().unwrap().len(), 9, "out_of_remit (rules.md §8) included");
    let urgency = wo["open"]["fields"].as_array().unwrap().iter().find(|f| f["name"] == "urgency").unwrap();
    assert_eq!(urgency["options"][1], json!(["normal", "一般（5个工作日）"]));
}

#[tokio::test]
async fn the_administrators_are_refused_the_case_list_with_403_and_a_timeline_hides_what_its_reader_may_not_open() {
    // 三员分立: an administrator gets 403, not an empty list.
    let t = TestApp::sqlite().await;
    let clerk = t.token("clerk").await;
    let ours = opened(&t, &clerk).await;
    let theirs = opened(&t, &clerk).await;
    for who in ["admin", "security", "auditor"] {
        let token = t.token(who).await;
        let (s, body) = t.request(Method::GET, "/api/v1/cases", Some(&token), None).await;
        assert_eq!((s, body["code"].as_str()), (StatusCode::FORBIDDEN, Some("forbidden")), "{who}: {body}");
    }
    // A link to a case out of the reader's reach: the API's timeline does not name it.
    let (ours, theirs) = (&ours["case"], &theirs["case"]);
    let (ours_id, theirs_id) = (ours["id"].as_str().unwrap().to_string(), theirs["id"].as_str().unwrap().to_string());
    let desk = t.principal("clerk").await;
    let a = t
        .app
        .store()
        .case(&fazhi_service::Scope::everything(), fazhi_domain::ids::CaseId::parse(&ours_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    let b = t
        .app
        .store()
        .case(&fazhi_service::Scope::everything(), fazhi_domain::ids::CaseId::parse(&theirs_id).unwrap())
        .await
        .unwrap()
        .unwrap();
    let dispatch = |unit: &str| {
        serde_json::from_value::<serde_json::Map<String, Json>>(json!({"unit": t.town.unit(unit).to_string()})).unwrap()
    };
    t.app.act(&desk, a.id, "dispatch", &dispatch("xitang"), a.version).await.unwrap();
    t.app.act(&desk, b.id, "dispatch", &dispatch("longtan"), b.version).await.unwrap();
    t.app.link_cases(&desk, a.id, b.id, "related", "同一地块").await.unwrap();
    let h = t.token("handler_xitang").await;
    let (s, body) = t.request(Method::GET, &format!("/api/v1/cases/{ours_id}"), Some(&h), None).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let text = body["timeline"].to_string();
    assert!(text.contains("（无权查看的关联案件）"), "{text}");
    assert!(!text.contains(&theirs_id) && !text.contains(theirs["receipt_no"].as_str().unwrap()), "{text}");
}
