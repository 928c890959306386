//! The words on the pages, for every kind, on every backend: no title, label or button says a word
//! twice ("登记来访登记", "确认司法确认"); the receipt tells the clerk whom to tell and what comes
//! next in the kind's own words (not "告知来电人 / 查看并派单" for a dispute); a record is saved,
//! not "确认办理记录"; and what was registered is shown once on the case page, not again in the
//! timeline.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use fazhi_service::SessionKind;
use fazhi_testkit::{PASSWORD, TestApp, TestDb};
use http_body_util::BodyExt;
use serde_json::Value as Json;

async fn get(t: &TestApp, cookie: &str, uri: &str) -> (StatusCode, String) {
    let req =
        Request::builder().method(Method::GET).uri(uri).header(header::COOKIE, cookie).body(Body::empty()).unwrap();
    let resp = tower::ServiceExt::oneshot(t.router.clone(), req).await.unwrap();
    let status = resp.status();
    (status, String::from_utf8_lossy(&resp.into_body().collect().await.unwrap().to_bytes()).into_owned())
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

async fn post(t: &TestApp, cookie: &str, uri: &str, fields: &[(String, String)]) -> (StatusCode, String) {
    let body = fields.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&");
    let req = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::COOKIE, cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body))
        .unwrap();
    let resp = tower::ServiceExt::oneshot(t.router.clone(), req).await.unwrap();
    let status = resp.status();
    (status, String::from_utf8_lossy(&resp.into_body().collect().await.unwrap().to_bytes()).into_owned())
}

/// The text of every `<tag …>…</tag>` of these tags (inner tags dropped).
fn texts(html: &str, tags: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for tag in tags {
        let open = format!("<{tag}");
        let close = format!("</{tag}>");
        let mut rest = html;
        while let Some(i) = rest.find(&open) {
            let after = &rest[i + open.len()..];
            if !after.starts_with(['>', ' ']) {
                rest = after;
                continue;
            }
            let Some(gt) = after.find('>') else { break };
            let inner = &after[gt + 1..];
            let Some(end) = inner.find(&close) else { break };
            let mut text = String::new();
            let mut in_tag = false;
            for c in inner[..end].chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            out.push(text.trim().to_string());
            rest = &inner[end..];
        }
    }
    out
}

/// A word of two characters said twice in one label.
fn doubled(label: &str) -> Option<String> {
    let chars: Vec<char> = label.chars().filter(|c| !c.is_ascii() && !"（）、，：；。".contains(*c)).collect();
    (0..chars.len().saturating_sub(1)).find_map(|i| {
        let w: String = chars[i..i + 2].iter().collect();
        chars[i + 2..].iter().collect::<String>().contains(&w).then_some(w)
    })
}

fn no_doubled_words(page: &str, what: &str) -> usize {
    let labels = texts(page, &["title", "h1", "h2", "summary", "button", "label", "dt"]);
    for l in &labels {
        assert_eq!(doubled(l), None, "{what}: “{l}” says a word twice");
    }
    labels.len()
}

/// The registration form of each kind, as a browser would post it.
fn form(kind: &str) -> Json {
    match kind {
        "work_order" => TestApp::work_order_fields(),
        "visit" => TestApp::visit_fields(),
        "dispute" => TestApp::dispute_fields(),
        "petition" => TestApp::petition_fields("claim"),
        other => panic!("no registration form for {other} in this test"),
    }
}

#[test]
fn the_check_catches_the_doubled_words_that_were_found() {
    assert_eq!(doubled("登记来访登记").as_deref(), Some("登记"));
    assert_eq!(doubled("确认司法确认").as_deref(), Some("确认"));
    assert_eq!(doubled("保存办理记录"), None);
}

#[tokio::test]
async fn every_kind_is_worded_once_and_in_its_own_words() {
    for db in TestDb::all().await {
        let t = TestApp::on(db).await;
        let ok = t.app.login("clerk", PASSWORD, SessionKind::Web).await.unwrap();
        let cookie = format!("fazhi_session={}", ok.token);
        let mut labels = 0;
        let mut kinds = 0;
        for k in t.app.kinds().all() {
            kinds += 1;
            let (status, page) = get(&t, &cookie, &format!("/cases/{}/new", k.slug)).await;
            assert_eq!(status, StatusCode::OK, "{}", k.slug);
            labels += no_doubled_words(&page, &format!("{} registration", k.slug));
            assert!(texts(&page, &["h1"]).contains(&k.wording.register.to_string()), "{}", k.slug);

            // Registered through the form: the receipt names whom to tell and the next step.
            let f = form(k.slug);
            let mut pairs: Vec<(String, String)> = f
                .as_object()
                .unwrap()
                .iter()
                .map(|(key, v)| (key.clone(), v.as_str().map_or_else(|| v.to_string(), String::from)))
                .collect();
            pairs.push(("_csrf".into(), ok.csrf.clone()));
            pairs.push(("confirm_new".into(), "1".into()));
            let (status, page) = post(&t, &cookie, &format!("/cases/{}/new", k.slug), &pairs).await;
            assert_eq!(status, StatusCode::OK, "{}: {page}", k.slug);
            assert!(page.contains("登记成功"), "{}: {page}", k.slug);
            assert!(page.contains(&format!("告知{}", k.wording.party)), "{}", k.slug);
            assert!(page.contains(&format!(">{}</a>", k.wording.next)), "{}", k.slug);
            if k.wording.party != "来电人" {
                assert!(!page.contains("告知来电人"), "{}: the receipt speaks of a caller", k.slug);
            }
            labels += no_doubled_words(&page, &format!("{} receipt", k.slug));

            // The case page: its actions' buttons and the registration shown once.
            let href = page.split("href=\"").map(|s| s.split('"').next().unwrap_or("")).find(|h| {
                h.starts_with(&format!("/cases/{}/", k.slug)) && !h.ends_with("/new") && !h.contains("/print/")
            });
            let (status, page) = get(&t, &cookie, href.unwrap()).await;
            assert_eq!(status, StatusCode::OK, "{}", k.slug);
            labels += no_doubled_words(&page, &format!("{} case page", k.slug));
            let content = f["content"].as_str().unwrap();
            assert_eq!(page.matches(content).count(), 1, "{}: the registration is repeated on the case page", k.slug);
            for b in texts(&page, &["button"]) {
                assert!(!(b.starts_with("确认") && b.ends_with("记录")), "{}: {b}", k.slug);
            }
        }
        assert_eq!(kinds, 4);
        assert!(labels > 80, "{labels} labels checked");
    }
}
