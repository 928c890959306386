//! One list filter, one registration: the same query string means the same filter and the same
//! rows through the list page, the JSON API and the export (one parser, in the service); and
//! registering over the JSON API applies the same duplicate detection as the page (重复件), with
//! an explicit `confirm_new`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] functions

use std::collections::BTreeSet;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use fazhi_service::SessionKind;
use fazhi_testkit::{PASSWORD, TestApp, TestDb};
use http_body_util::BodyExt;
use serde_json::{Value as Json, json};

/// A receipt number of the test town (`AT-GD-2024-000001`).
fn receipts(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(at) = text[i..].find("AT-") {
        let start = i + at;
        let end = (start..b.len()).find(|&k| !(b[k].is_ascii_alphanumeric() || b[k] == b'-')).unwrap_or(b.len());
        let s = &text[start..end];
        if s.len() == "AT-GD-2024-000001".len() {
            out.insert(s.to_string());
        }
        i = end;
    }
    out
}

async fn get(t: &TestApp, uri: &str, cookie: &str) -> (StatusCode, Vec<u8>) {
    let req = Request::get(uri).header(header::COOKIE, cookie).body(Body::empty()).unwrap();
    let resp = tower::ServiceExt::oneshot(t.router.clone(), req).await.unwrap();
    let status = resp.status();
    (status, resp.into_body().collect().await.unwrap().to_bytes().to_vec())
}

/// The receipt numbers of an exported sheet (every cell, every sheet).
fn exported(bytes: &[u8]) -> BTreeSet<String> {
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut out = BTreeSet::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        for cell in range.used_cells() {
            out.extend(receipts(&cell.2.to_string()));
        }
    }
    out
}

async fn register(t: &TestApp, token: &str, fields: Json, confirm_new: Option<bool>) -> (StatusCode, Json) {
    let mut body = json!({"kind": "work_order", "fields": fields});
    if let Some(c) = confirm_new {
        body["confirm_new"] = json!(c);
    }
    t.request(Method::POST, "/api/v1/cases", Some(token), Some(body)).await
}

fn work_order(title: &str, content: &str, category: &str, phone: &str) -> Json {
    let mut f = TestApp::work_order_fields();
    f["title"] = json!(title);
    f["content"] = json!(content);
    f["category"] = json!(category);
    f["caller_phone"] = json!(phone);
    f.as_object_mut().unwrap().remove("caller_idcard");
    f
}

async fn each(mut f: impl AsyncFnMut(TestApp)) {
    for db in TestDb::all().await {
        f(TestApp::on(db).await).await;
    }
}

#[tokio::test]
async fn the_same_query_string_lists_the_same_cases_on_the_page_the_api_and_the_export() {
    each(async |t| {
        let clerk = t.token("clerk").await;
        let forms = [
            work_order("龙潭村路灯不亮", "村口三盏路灯已坏两周", "help", "13812345601"),
            work_order("西塘村工地夜间施工噪音扰民", "工地每晚施工到凌晨", "complaint", "13812345602"),
            work_order("东湖小区垃圾清运不及时", "小区垃圾已三天无人清运", "help", "13812345603"),
        ];
        for f in forms {
            let (s, b) = register(&t, &clerk, f, Some(true)).await;
            assert_eq!(s, StatusCode::CREATED, "{b}");
        }
        let ok = t.app.login("clerk", PASSWORD, SessionKind::Web).await.unwrap();
        let cookie = format!("fazhi_session={}", ok.token);
        for (query, want) in [
            ("kind=work_order", 3),
            ("kind=work_order&category=help&sort=receipt_no", 2),
            ("q=%E5%99%AA%E9%9F%B3", 1),
            ("kind=work_order&state=registered,dispatched&overdue=false&due_before=2099-12-31", 3),
            ("kind=work_order&phase=closed", 0),
        ] {
            // The parser the three share gives one filter.
            let pairs: Vec<(String, String)> = query
                .split('&')
                .map(|kv| kv.split_once('=').unwrap())
                .map(|(k, v)| (k.to_string(), v.replace("%E5%99%AA%E9%9F%B3", "噪音")))
                .collect();
            let (_, filter) = t.app.list_filter(pairs).unwrap();
            assert_eq!(filter.kind.is_some(), query.contains("kind="), "{query}");

            let (s, api) =
                t.request(Method::GET, &format!("/api/v1/cases?{query}&per_page=200"), Some(&clerk), None).await;
            assert_eq!(s, StatusCode::OK, "{query}: {api}");
            let from_api: BTreeSet<String> = api["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["receipt_no"].as_str().unwrap().to_string())
                .collect();
            let (s, page) = get(&t, &format!("/cases?{query}&per_page=200"), &cookie).await;
            assert_eq!(s, StatusCode::OK, "{query}");
            let from_page = receipts(&String::from_utf8_lossy(&page));
            let (s, sheet) = get(&t, &format!("/cases/export.xlsx?{query}"), &cookie).await;
            assert_eq!(s, StatusCode::OK, "{query}");
            let from_export = exported(&sheet);
            assert_eq!(from_api.len(), want, "{query}: {from_api:?}");
            assert_eq!(from_page, from_api, "{query}: the page lists what the API lists");
            assert_eq!(from_export, from_api, "{query}: the export holds what the API lists");
        }
        // A bad field is named the same way by each: 400, nothing listed.
        for query in ["opened_from=2024-13-01", "due_within=99", "colour=red"] {
            let (s, api) = t.request(Method::GET, &format!("/api/v1/cases?{query}"), Some(&clerk), None).await;
            assert_eq!((s, api["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_input")), "{query}: {api}");
            let field = api["fields"][0]["field"].as_str().unwrap().to_string();
            assert!(query.starts_with(&field), "{query}: {api}");
            let (s, page) = get(&t, &format!("/cases?{query}"), &cookie).await;
            assert_eq!(s, StatusCode::BAD_REQUEST, "{query}");
            let label = api["fields"][0]["label"].as_str().unwrap();
            assert!(String::from_utf8_lossy(&page).contains(label), "{query}: the page names {label}");
            assert_eq!(get(&t, &format!("/cases/export.xlsx?{query}"), &cookie).await.0, StatusCode::BAD_REQUEST);
        }
    })
    .await;
}

#[tokio::test]
async fn the_api_answers_possible_duplicates_and_registers_nothing_until_confirmed() {
    each(async |t| {
        let clerk = t.token("clerk").await;
        let first = work_order("龙潭村路灯不亮", "龙潭村村口三盏路灯已坏两周", "help", "13812345678");
        let (s, b) = register(&t, &clerk, first.clone(), None).await;
        assert_eq!(s, StatusCode::CREATED, "nothing like it yet: {b}");
        let original = b["case"]["receipt_no"].as_str().unwrap().to_string();
        let count = async || {
            let (_, l) = t.request(Method::GET, "/api/v1/cases?kind=work_order", Some(&clerk), None).await;
            l["total"].as_u64().unwrap()
        };

        // The same caller again (重复件): answered with the original, nothing registered.
        let again = work_order("路灯坏了", "晚上很黑", "help", "13812345678");
        let (s, b) = register(&t, &clerk, again.clone(), None).await;
        assert_eq!((s, b["code"].as_str()), (StatusCode::CONFLICT, Some("possible_duplicates")), "{b}");
        let c = &b["candidates"][0];
        assert_eq!(c["receipt_no"], original.as_str(), "{b}");
        assert_eq!(c["same_person"], json!(["联系电话"]), "{b}");
        assert_eq!(count().await, 1, "nothing registered");
        // `confirm_new: false` is the same as leaving it out.
        assert_eq!(register(&t, &clerk, again.clone(), Some(false)).await.0, StatusCode::CONFLICT);
        assert_eq!(count().await, 1);

        // The same matter in other words, another caller: found by the text.
        let similar = work_order("龙潭村村口路灯不亮", "龙潭村村口的三盏路灯坏了两周", "help", "13900000001");
        let (s, b) = register(&t, &clerk, similar, None).await;
        assert_eq!(s, StatusCode::CONFLICT, "{b}");
        assert!(b["candidates"][0]["similarity"].as_u64().unwrap() >= 30, "{b}");

        // Confirmed as a new case: registered.
        let (s, b) = register(&t, &clerk, again, Some(true)).await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        assert_eq!(count().await, 2);

        // A form the look-up cannot read is an error naming the field — not "no candidates",
        // and nothing is registered.
        let mut bad = work_order("全新的事项", "与其他案件无关的内容", "help", "12345");
        bad["caller_phone"] = json!("12345");
        let (s, b) = register(&t, &clerk, bad, None).await;
        assert_eq!((s, b["code"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_input")), "{b}");
        assert_eq!(b["fields"][0]["field"], "caller_phone", "{b}");
        assert_eq!(count().await, 2);

        // The API says which kinds are checked, and documents the answer.
        let (_, kinds) = t.request(Method::GET, "/api/v1/kinds", Some(&clerk), None).await;
        assert!(kinds.as_array().unwrap().iter().any(|k| k["checks_duplicates"] == true), "{kinds}");
        let (_, doc) = t.request(Method::GET, "/api/v1/openapi.json", None, None).await;
        let post = &doc["paths"]["/api/v1/cases"]["post"];
        assert!(post["responses"].get("409").is_some(), "{post}");
        assert!(doc["components"]["schemas"]["OpenRequest"]["properties"].get("confirm_new").is_some());
        assert!(doc["components"]["schemas"].get("DuplicatesResponse").is_some());
    })
    .await;
}
