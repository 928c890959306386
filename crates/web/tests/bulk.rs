//! Bulk actions over HTTP, on every backend: `POST /api/v1/cases/bulk` and the list page's
//! `POST /cases/{kind}/bulk` answer from the same use case — each row acted on with its own
//! version and role, 成功 N 条，失败 M 条 with the reasons — and 导出选中 downloads exactly the
//! ticked rows. The list page offers the selection, page size and jump, and a folding search.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use fazhi_service::SessionKind;
use fazhi_testkit::{PASSWORD, TestApp, TestDb};
use http_body_util::BodyExt;
use serde_json::{Map, Value as Json, json};

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().unwrap()
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

/// Registers `n` work orders as the clerk: (id, version, receipt).
async fn registered(t: &TestApp, n: usize) -> Vec<(String, i64, String)> {
    let clerk = t.principal("clerk").await;
    let mut v = Vec::new();
    for _ in 0..n {
        let c = t.app.open_case(&clerk, "work_order", &obj(TestApp::work_order_fields())).await.unwrap().case;
        v.push((c.id.to_string(), c.version, c.receipt_no));
    }
    v
}

/// A page request as a signed-in web user: (status, content type, body bytes).
async fn page(
    t: &TestApp,
    user: &str,
    method: Method,
    uri: &str,
    form: &[(&str, &str)],
) -> (StatusCode, String, Vec<u8>) {
    let ok = t.app.login(user, PASSWORD, SessionKind::Web).await.unwrap();
    let mut req =
        Request::builder().method(method).uri(uri).header(header::COOKIE, format!("fazhi_session={}", ok.token));
    let body = if form.is_empty() {
        Body::empty()
    } else {
        req = req.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        let mut pairs: Vec<String> = form.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
        pairs.push(format!("_csrf={}", enc(&ok.csrf)));
        Body::from(pairs.join("&"))
    };
    let resp = tower::ServiceExt::oneshot(t.router.clone(), req.body(body).unwrap()).await.unwrap();
    let status = resp.status();
    let ctype = resp.headers().get(header::CONTENT_TYPE).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, ctype, resp.into_body().collect().await.unwrap().to_bytes().to_vec())
}

#[tokio::test]
async fn the_bulk_endpoint_acts_on_each_case_on_its_own_and_says_what_failed() {
    for db in TestDb::all().await {
        let t = TestApp::on(db).await;
        let rows = registered(&t, 3).await;
        let token = t.token("clerk").await;
        let body = json!({
            "action": "dispatch",
            "fields": {"unit": t.town.unit("longtan").to_string()},
            "cases": [
                {"id": rows[0].0, "version": rows[0].1},
                {"id": rows[1].0, "version": 7},
                {"id": rows[2].0, "version": rows[2].1},
            ],
        });
        let (status, out) = t.request(Method::POST, "/api/v1/cases/bulk", Some(&token), Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{out}");
        assert_eq!(out["summary"], "成功 2 条，失败 1 条");
        assert_eq!(out["done"].as_array().unwrap().len(), 2);
        assert_eq!(out["done"][0]["version"], 2);
        assert_eq!(out["failed"][0]["receipt_no"], rows[1].2.as_str());
        assert_eq!(out["failed"][0]["code"], "stale_version");
        // The dispatched rows are at 龙潭村 now, as its handler sees (counted there).
        let handler = t.token("handler_longtan").await;
        let (_, list) = t.request(Method::GET, "/api/v1/cases?state=dispatched", Some(&handler), None).await;
        assert_eq!(list["total"], 2);
        // A malformed id or nothing selected: the request as a whole is refused.
        let bad = json!({"action": "remind", "cases": [{"id": "nope", "version": 1}]});
        assert_eq!(
            t.request(Method::POST, "/api/v1/cases/bulk", Some(&token), Some(bad)).await.0,
            StatusCode::BAD_REQUEST
        );
        let none = json!({"action": "remind", "cases": []});
        assert_eq!(
            t.request(Method::POST, "/api/v1/cases/bulk", Some(&token), Some(none)).await.0,
            StatusCode::BAD_REQUEST
        );
        // Documented.
        let (_, doc) = t.request(Method::GET, "/api/v1/openapi.json", None, None).await;
        assert!(doc["paths"]["/api/v1/cases/bulk"]["post"].is_object());
        assert!(doc["components"]["schemas"]["BulkResponse"].is_object());
    }
}

#[tokio::test]
async fn the_list_page_bulk_dispatches_reminds_and_exports_the_ticked_rows() {
    for db in TestDb::all().await {
        let t = TestApp::on(db).await;
        let rows = registered(&t, 3).await;
        let sel = |i: usize, v: i64| format!("{}:{v}", rows[i].0);
        let (status, _, body) = page(&t, "clerk", Method::GET, "/cases/work_order?per_page=50", &[]).await;
        let html = String::from_utf8(body).unwrap();
        assert_eq!(status, StatusCode::OK);
        assert_eq!(html.matches("name=\"sel\"").count(), 3, "a box per row");
        assert!(html.contains(&format!("value=\"{}\"", sel(0, 1))));
        assert!(html.contains("共 3 条") && html.contains("<option value=\"50\" selected>50 条</option>"));
        assert!(html.contains("name=\"f_unit\"") && html.contains("批量派单") && html.contains("批量催办"));
        assert!(html.contains("<details class=\"search-box card\" id=\"search\">"), "folded, no filter refused");
        assert!(html.contains("data-label=\"受理时间\""));

        let unit = t.town.unit("longtan").to_string();
        let (s1, s2, s3) = (sel(0, 1), sel(1, 1), sel(2, 1));
        let form = [("op", "dispatch"), ("f_unit", unit.as_str()), ("sel", &s1), ("sel", &s2), ("sel", &s3)];
        let (status, _, body) = page(&t, "clerk", Method::POST, "/cases/work_order/bulk", &form).await;
        let html = String::from_utf8(body).unwrap();
        assert_eq!(status, StatusCode::OK, "{html}");
        assert!(html.contains("成功 3 条，失败 0 条"), "{html}");
        // Reminding with the versions the list showed before: each row is refused as stale.
        let form = [("op", "remind"), ("sel", s1.as_str()), ("sel", s2.as_str())];
        let html = String::from_utf8(page(&t, "clerk", Method::POST, "/cases/work_order/bulk", &form).await.2).unwrap();
        assert!(html.contains("成功 0 条，失败 2 条") && html.contains("已被他人更新"), "{html}");
        let (r1, r2) = (sel(0, 2), sel(1, 2));
        let form = [("op", "remind"), ("sel", r1.as_str()), ("sel", r2.as_str())];
        let html = String::from_utf8(page(&t, "clerk", Method::POST, "/cases/work_order/bulk", &form).await.2).unwrap();
        assert!(html.contains("成功 2 条，失败 0 条"), "{html}");
        // The handler's workbench: 被催办 2.
        let (_, _, wb) = page(&t, "handler_longtan", Method::GET, "/workbench", &[]).await;
        let wb = String::from_utf8(wb).unwrap();
        assert!(wb.contains("<span class=\"num\">2</span><span class=\"lbl\">被催办</span>"), "{wb}");

        // 导出选中: a spreadsheet of the two ticked rows (plus its header row).
        let form = [("op", "export"), ("sel", s1.as_str()), ("sel", s3.as_str())];
        let (status, ctype, bytes) = page(&t, "clerk", Method::POST, "/cases/work_order/bulk", &form).await;
        assert_eq!(status, StatusCode::OK);
        assert!(ctype.contains("spreadsheetml"), "{ctype}");
        let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let sheet = calamine::Reader::worksheet_range_at(&mut book, 0).unwrap().unwrap();
        assert_eq!(sheet.height(), 1 + 2);
        let receipts: Vec<String> = sheet.rows().skip(1).map(|r| r[0].to_string()).collect();
        assert!(receipts.contains(&rows[0].2) && receipts.contains(&rows[2].2), "{receipts:?}");
        // Without the token nothing is done.
        let ok = t.app.login("clerk", PASSWORD, SessionKind::Web).await.unwrap();
        let req = Request::builder()
            .method(Method::POST)
            .uri("/cases/work_order/bulk")
            .header(header::COOKIE, format!("fazhi_session={}", ok.token))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(format!("op=remind&sel={}", enc(&sel(0, 4)))))
            .unwrap();
        let resp = tower::ServiceExt::oneshot(t.router.clone(), req).await.unwrap();
        assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn page_size_and_jump_keep_the_filter_and_a_page_past_the_end_shows_the_last() {
    let t = TestApp::on(TestDb::sqlite()).await;
    registered(&t, 23).await;
    let get = |uri: &'static str| page(&t, "clerk", Method::GET, uri, &[]);
    let html = String::from_utf8(get("/cases/work_order?q=%E8%B7%AF%E7%81%AF&page=2").await.2).unwrap();
    assert!(html.contains("共 23 条") && html.contains("第 2 / 2 页"), "{html}");
    assert_eq!(html.matches("name=\"sel\"").count(), 3, "20 on page 1, 3 on page 2");
    // The jump form keeps the filter and offers 20/50/100.
    assert!(html.contains("<input type=\"hidden\" name=\"q\" value=\"路灯\">"), "{html}");
    for n in ["20", "50", "100"] {
        assert!(html.contains(&format!("<option value=\"{n}\"")), "{n}");
    }
    // A filter was set: the folded summary says how many.
    assert!(html.contains("查询条件（已设 1 项）"));
    let html = String::from_utf8(get("/cases/work_order?per_page=50&page=3").await.2).unwrap();
    assert!(html.contains("第 1 / 1 页") && html.matches("name=\"sel\"").count() == 23, "{html}");
    // A refused filter opens the search form so its message is seen.
    let html = String::from_utf8(get("/cases/work_order?opened_from=2024-13-01").await.2).unwrap();
    assert!(html.contains("<details class=\"search-box card\" id=\"search\" open>"), "{html}");
}
