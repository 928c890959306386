//! Paper, as towns work: every printable page printed to PDF by Chromium (WebDriver "Print Page",
//! A4) and every Word file converted to PDF by LibreOffice, then read back with `pdftotext`; the
//! required elements must be in the text — the receipt number and query code, the government's
//! name and contact, the elements of 人民调解法 第二十九条 with their values, the articles of
//! 信访工作条例 the notices rest on. Pages are photographed on a desktop and on a 390 px phone into
//! `target/test-output/browser/<test>/`, with the PDFs beside them.
//!
//! Needs Chromium with chromedriver, LibreOffice (`soffice`) and poppler (`pdftotext`); without
//! them the test says so and passes, except under `CI=true`, where that is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fantoccini::Locator;
use fantoccini::wd::{PrintConfiguration, PrintMargins, PrintSize};
use fazhi_service::SessionKind;
use fazhi_service::config::TownContact;
use fazhi_testkit::{PASSWORD, TestApp, TestDb};
use http_body_util::BodyExt;
use serde_json::{Map, Value as Json, json};
use support::{Browser, DESKTOP, PHONE};

const SOFFICE: &str = "/usr/bin/soffice";
const PDFTOTEXT: &str = "/usr/bin/pdftotext";

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().unwrap()
}

/// LibreOffice and poppler are here, or (outside CI) the test is skipped.
fn converters() -> bool {
    if Path::new(SOFFICE).exists() && Path::new(PDFTOTEXT).exists() {
        return true;
    }
    assert!(!std::env::var("CI").is_ok_and(|v| v == "true"), "CI=true but soffice or pdftotext is not installed");
    eprintln!("skipping the print test: {SOFFICE} or {PDFTOTEXT} is not installed");
    false
}

/// The PDF's text with every space and line break taken out (a line may break inside a phrase).
fn pdf_text(pdf: &Path) -> String {
    let out = Command::new(PDFTOTEXT).arg(pdf).arg("-").output().expect("run pdftotext");
    assert!(out.status.success(), "pdftotext {}", pdf.display());
    String::from_utf8_lossy(&out.stdout).chars().filter(|c| !c.is_whitespace()).collect()
}

fn pages(pdf: &[u8]) -> usize {
    String::from_utf8_lossy(pdf).matches("/Type /Page\n").count()
        + String::from_utf8_lossy(pdf).matches("/Type/Page/").count()
        + String::from_utf8_lossy(pdf).matches("/Type /Page/").count()
}

fn assert_has(text: &str, what: &str, needles: &[&str]) {
    for n in needles {
        let n: String = n.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(text.contains(&n), "{what}: “{n}” is not in the PDF text:\n{text}");
    }
}

/// Prints the browser's current page to an A4 PDF (WebDriver "Print Page") and reads it back.
async fn print(b: &Browser, name: &str) -> String {
    let cfg = PrintConfiguration::builder()
        .size(PrintSize::A4)
        .margins(PrintMargins { top: 0.0, bottom: 0.0, left: 0.0, right: 0.0 })
        .background(false)
        .build()
        .expect("print configuration");
    let pdf = b.c.print(cfg).await.expect("print to PDF");
    assert!(pdf.starts_with(b"%PDF"), "{name}: not a PDF");
    assert!(pages(&pdf) <= 3, "{name}: {} pages", pages(&pdf));
    let path = b.shots.join(format!("{name}.pdf"));
    std::fs::write(&path, &pdf).expect("write PDF");
    pdf_text(&path)
}

/// Converts a .docx to PDF with LibreOffice (its own profile, so runs side by side do not lock
/// each other out) and reads it back.
fn docx_text(dir: &Path, name: &str, bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"PK"), "{name}: not a .docx");
    let docx = dir.join(format!("{name}.docx"));
    std::fs::write(&docx, bytes).expect("write docx");
    let profile = tempfile::tempdir().expect("profile");
    let out = Command::new(SOFFICE)
        .arg(format!("-env:UserInstallation=file://{}", profile.path().display()))
        .args(["--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir)
        .arg(&docx)
        .output()
        .expect("run soffice");
    let pdf: PathBuf = dir.join(format!("{name}.pdf"));
    assert!(pdf.exists(), "soffice did not convert {name}: {}", String::from_utf8_lossy(&out.stderr));
    pdf_text(&pdf)
}

/// GETs a path in-process with a user's session, for the Word files (a browser would save them).
async fn download(t: &TestApp, user: &str, path: &str) -> (StatusCode, Vec<u8>) {
    let ok = t.app.login(user, PASSWORD, SessionKind::Web).await.unwrap();
    let req = Request::builder()
        .uri(path)
        .header(header::COOKIE, format!("fazhi_session={}", ok.token))
        .body(Body::empty())
        .unwrap();
    let resp = tower::ServiceExt::oneshot(t.router.clone(), req).await.unwrap();
    let status = resp.status();
    (status, resp.into_body().collect().await.unwrap().to_bytes().to_vec())
}

async fn town() -> TestApp {
    TestApp::on_with(TestDb::sqlite(), |c| {
        c.towns.insert(
            "AT".into(),
            TownContact { phone: "020-87851234".into(), address: "广州市从化区鳌头镇府前路1号".into() },
        );
    })
    .await
}

const GOVERNMENT: &str = "从化区鳌头镇人民政府";

/// A dispute at the town's committee with a signed written agreement; its id.
async fn agreed_dispute(t: &TestApp) -> String {
    let clerk = t.principal("clerk").await;
    let mediator = t.principal("mediator").await;
    let c = t.app.open_case(&clerk, "dispute", &obj(TestApp::dispute_fields())).await.unwrap().case;
    let accept = obj(
        json!({"path": "people", "mediation_unit": t.town.unit("sfs").to_string(), "mediators": "朱调解", "consent": true}),
    );
    let c = t.app.act(&clerk, c.id, "accept", &accept, 1).await.unwrap();
    let agreement = obj(json!({
        "agreement_parties": "陈某，男，龙潭村三队村民；李某，男，龙潭村三队村民",
        "facts": "两户宅基地相邻，因界址与滴水位置发生争执",
        "issues": "界址位置与滴水占地",
        "responsibility": "李某建房越界二十厘米，负主要责任",
        "terms": "以现状围墙为界，李某补偿陈某3000元",
        "performance_manner": "现金一次性支付",
        "performance_deadline": "2024-10-31",
        "signed_on": "2024-09-27",
        "committee": "鳌头镇人民调解委员会",
        "parties_signed": true,
        "mediator_signed": true,
    }));
    t.app.act(&mediator, c.id, "agree_written", &agreement, c.version).await.unwrap();
    c.id.to_string()
}

/// An accepted 申诉求决类 petition and a refused one; their ids.
async fn petitions(t: &TestApp) -> (String, String) {
    let clerk = t.principal("clerk").await;
    let a = t.app.open_case(&clerk, "petition", &obj(TestApp::petition_fields("claim"))).await.unwrap().case;
    let accept = obj(json!({"unit": t.town.unit("longtan").to_string(), "accepted_on": "2024-09-27",
        "notified_on": "2024-09-27", "notice_method": "onsite", "route_checked": true}));
    t.app.act(&clerk, a.id, "accept", &accept, 1).await.unwrap();
    let r = t.app.open_case(&clerk, "petition", &obj(TestApp::petition_fields("suggestion"))).await.unwrap().case;
    let refuse = obj(json!({"not_accepted_reason": "final", "notified_on": "2024-09-27"}));
    t.app.act(&clerk, r.id, "not_accept", &refuse, 1).await.unwrap();
    (a.id.to_string(), r.id.to_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_paper_prints_on_a4_and_in_word_with_what_the_law_requires() {
    if !converters() {
        return;
    }
    let t = town().await;
    let Some(mut b) = Browser::start(t.app.clone(), "print_desktop", DESKTOP).await else { return };
    let dir = b.shots.clone();

    // The clerk registers a work order; the receipt page is one click from 登记成功.
    b.login("clerk").await;
    b.goto("/cases/work_order/new").await;
    let f = TestApp::work_order_fields();
    for key in ["title", "content", "caller_name", "caller_phone", "location"] {
        b.fill(&format!("#new-{key}"), f[key].as_str().unwrap()).await;
    }
    b.select("#new-category", "help").await;
    b.select("#new-urgency", "normal").await;
    b.click_and_wait(Locator::Css("form.form button[type=submit]"), false).await;
    let page = b.text().await;
    assert!(page.contains("登记成功") && page.contains("告知来电人") && page.contains("查看并派单"), "{page}");
    let dd = b.c.find_all(Locator::Css(".receipt dd.big")).await.unwrap();
    let receipt = dd[0].text().await.unwrap();
    let code = dd[1].text().await.unwrap();
    let link = b.c.find(Locator::LinkText("打印受理回执")).await.expect("the receipt's link on 登记成功");
    let href = link.attr("href").await.unwrap().unwrap();
    let case_path = href.trim_end_matches("/print/receipt").to_string();
    b.goto(&href).await;
    b.shot("receipt").await;
    assert!(b.c.find(Locator::Css(".tracking svg")).await.is_ok(), "the QR code is drawn");
    assert!(b.c.find(Locator::Css("aside, header nav, .sidebar")).await.is_err(), "no navigation on paper");
    let text = print(&b, "receipt").await;
    assert_has(
        &text,
        "受理回执",
        &[
            "受理回执",
            GOVERNMENT,
            &receipt,
            &code,
            "12345工单",
            "龙潭村路灯不亮",
            "陈先生",
            "2024-09-27",
            "020-87851234",
            "广州市从化区鳌头镇府前路1号",
            &format!("/track?receipt_no={receipt}"),
        ],
    );
    assert!(!text.contains("打印") && !text.contains("返回案件"), "the toolbar is not printed: {text}");

    // The QR code's address opens the tracking page with the number filled in; the result names
    // the government and its contact.
    b.goto(&format!("/track?receipt_no={receipt}")).await;
    let filled = b.c.find(Locator::Css("#receipt_no")).await.unwrap().prop("value").await.unwrap();
    assert_eq!(filled.as_deref(), Some(receipt.as_str()));
    b.fill("#query_code", &code).await;
    b.click_and_wait(Locator::Css("form.form button[type=submit]"), false).await;
    let page = b.text().await;
    assert!(page.contains(GOVERNMENT) && page.contains("020-87851234"), "{page}");
    b.shot("track-with-government").await;

    // The sheet a handler takes: dispatched to 龙潭村, the caller's phone masked, the due date with its rule.
    b.goto(&case_path).await;
    let longtan = t.town.unit("longtan").to_string();
    b.act("派单", &[], &[("#dispatch-unit", &longtan)], false).await;
    let page = b.text().await;
    assert!(
        page.contains("打印受理回执")
            && page.contains("打印12345热线工单")
            && page.contains("下载12345热线工单（Word）"),
        "{page}"
    );
    b.goto(&format!("{case_path}/print/sheet")).await;
    b.shot("work-order-sheet").await;
    let sheet_needles = [
        "12345热线工单",
        GOVERNMENT,
        receipt.as_str(),
        "龙潭村路灯不亮",
        "龙潭村村口三盏路灯已坏两周",
        "求助",
        "138****5678",
        "龙潭村",
        "办理期限",
        "本地配置work_order.urgency",
        "派单人（签名）",
        "承办单位签收人（签名）",
    ];
    let text = print(&b, "work-order-sheet").await;
    assert_has(&text, "工单（打印）", &sheet_needles);
    assert!(!text.contains("13812345678"), "the full phone number is never printed");
    let (status, bytes) = download(&t, "clerk", &format!("{case_path}/print/sheet/docx")).await;
    assert_eq!(status, StatusCode::OK);
    let text = docx_text(&dir, "work-order-sheet-word", &bytes);
    assert_has(&text, "工单（Word）", &sheet_needles);

    // 人民调解协议书, page and Word: every element of 人民调解法 第二十九条 with its value.
    let dispute = agreed_dispute(&t).await;
    b.goto("/workbench").await;
    b.logout().await;
    b.login("mediator").await;
    b.goto(&format!("/cases/dispute/{dispute}")).await;
    let page = b.text().await;
    assert!(page.contains("打印人民调解协议书") && page.contains("下载人民调解协议书（Word）"), "{page}");
    let agreement = [
        "人民调解协议书",
        "AT-JF-2024-000001",
        "当事人的基本情况",
        "陈某，男，龙潭村三队村民；李某，男，龙潭村三队村民",
        "纠纷的主要事实",
        "两户宅基地相邻，因界址与滴水位置发生争执",
        "争议事项",
        "界址位置与滴水占地",
        "各方当事人的责任",
        "李某建房越界二十厘米，负主要责任",
        "以现状围墙为界，李某补偿陈某3000元",
        "履行方式",
        "现金一次性支付",
        "履行期限",
        "2024-10-31",
        "鳌头镇人民调解委员会",
        "朱调解",
        "当事人（签名、盖章或者按指印）",
        "人民调解员（签名）",
        "人民调解委员会（印章）",
        "当事人各执一份，人民调解委员会留存一份",
        "第二十九条",
        "第三十三条",
    ];
    b.goto(&format!("/cases/dispute/{dispute}/print/agreement")).await;
    b.shot("mediation-agreement").await;
    let text = print(&b, "mediation-agreement").await;
    assert_has(&text, "调解协议书（打印）", &agreement);
    let (status, bytes) = download(&t, "mediator", &format!("/cases/dispute/{dispute}/print/agreement/docx")).await;
    assert_eq!(status, StatusCode::OK);
    let text = docx_text(&dir, "mediation-agreement-word", &bytes);
    assert_has(&text, "调解协议书（Word）", &agreement);

    // The 信访 notices, from the acceptance and the refusal.
    let (accepted, refused) = petitions(&t).await;
    b.goto("/workbench").await;
    b.logout().await;
    b.login("clerk").await;
    let acceptance = [
        "信访事项受理告知书",
        GOVERNMENT,
        "黄某",
        "请求解决宅基地确权登记问题",
        "依法受理",
        "交由龙潭村办理",
        "2024-11-26",
        "信访工作条例第三十四条",
        "第二十三条",
        "2024年9月27日",
    ];
    b.goto(&format!("/cases/petition/{accepted}/print/acceptance_notice")).await;
    b.shot("petition-acceptance").await;
    let text = print(&b, "petition-acceptance").await;
    assert_has(&text, "受理告知书（打印）", &acceptance);
    let (status, bytes) =
        download(&t, "clerk", &format!("/cases/petition/{accepted}/print/acceptance_notice/docx")).await;
    assert_eq!(status, StatusCode::OK);
    assert_has(&docx_text(&dir, "petition-acceptance-word", &bytes), "受理告知书（Word）", &acceptance);

    let refusal = [
        "信访事项不予受理告知书",
        GOVERNMENT,
        "黄某",
        "本机关决定不予受理",
        "同一信访事项已经复核终结",
        "第三十六条第三款",
        "第二十三条第二款",
    ];
    b.goto(&format!("/cases/petition/{refused}/print/refusal_notice")).await;
    b.shot("petition-refusal").await;
    let text = print(&b, "petition-refusal").await;
    assert_has(&text, "不予受理告知书（打印）", &refusal);
    let (status, bytes) = download(&t, "clerk", &format!("/cases/petition/{refused}/print/refusal_notice/docx")).await;
    assert_eq!(status, StatusCode::OK);
    assert_has(&docx_text(&dir, "petition-refusal-word", &bytes), "不予受理告知书（Word）", &refusal);

    // A notice of an action not taken is refused with the reason, not printed blank.
    b.goto(&format!("/cases/petition/{accepted}/print/refusal_notice")).await;
    let page = b.text().await;
    assert!(page.contains("本件尚未不予受理，不能出具信访事项不予受理告知书"), "{page}");
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_papers_read_on_a_phone() {
    let t = town().await;
    let dispute = agreed_dispute(&t).await;
    let clerk = t.principal("clerk").await;
    let wo = t.app.open_case(&clerk, "work_order", &obj(TestApp::work_order_fields())).await.unwrap().case;
    let Some(mut b) = Browser::start(t.app.clone(), "print_phone", PHONE).await else { return };
    b.login("clerk").await;
    b.goto(&format!("/cases/work_order/{}/print/receipt", wo.id)).await;
    let page = b.text().await;
    assert!(page.contains("受理回执") && page.contains(GOVERNMENT) && page.contains("AT-GD-2024-000001"), "{page}");
    // One column on a phone: nothing wider than the screen.
    let wide: bool =
        b.c.execute("return document.documentElement.scrollWidth > window.innerWidth + 1;", vec![])
            .await
            .unwrap()
            .as_bool()
            .unwrap();
    assert!(!wide, "the receipt scrolls sideways on a phone");
    b.shot("receipt-phone").await;
    b.goto(&format!("/cases/work_order/{}/print/sheet", wo.id)).await;
    b.shot("sheet-phone").await;
    b.goto("/workbench").await;
    b.logout().await;
    b.login("mediator").await;
    b.goto(&format!("/cases/dispute/{dispute}/print/agreement")).await;
    assert!(b.text().await.contains("人民调解协议书"));
    b.shot("agreement-phone").await;
    b.close().await;
}
