//! The leader's, the writer's and the auditor's journeys in a real browser (issue 12 items 7–9),
//! on a desktop and on a 390 px phone, photographed into `target/test-output/browser/<test>/`:
//!
//! - the leader's dashboard shows one row per registered kind, with the report's rates ("—"
//!   without a denominator) on a hand-made set of work orders counted here;
//! - the 司法所 writes the annual report with named figures (inserted from the list and typed),
//!   submits it; the 领导 returns it once without a reason (refused), then approves it (定稿); the
//!   Word file ends with the 落款, read back through LibreOffice → PDF → pdftotext;
//! - the auditor filters the audit log, exports it (read back with calamine) and runs the chain
//!   verification.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use fantoccini::Locator;
use fazhi_domain::rate::Rate;
use fazhi_testkit::{TestApp, TestDb};
use http_body_util::BodyExt;
use serde_json::{Map, Value as Json, json};
use support::{Browser, DESKTOP, PHONE};
use time::macros::datetime;

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().unwrap().clone()
}

/// GET through the app with the browser's session (a download the browser would save).
async fn download(t: &TestApp, b: &Browser, path: &str) -> (StatusCode, Vec<u8>) {
    let cookie = b.c.get_named_cookie("fazhi_session").await.expect("session cookie");
    let req = Request::get(path)
        .header(header::COOKIE, format!("fazhi_session={}", cookie.value()))
        .body(Body::empty())
        .unwrap();
    let resp = tower::ServiceExt::oneshot(t.router.clone(), req).await.unwrap();
    let status = resp.status();
    (status, resp.into_body().collect().await.unwrap().to_bytes().to_vec())
}

/// Six work orders registered on 2024-09-27 and dispatched to 龙潭村; the first is signed for
/// and answered the same day (on time); then the clock moves past every deadline. Returns the
/// receipt numbers and ids.
async fn six_work_orders(t: &TestApp) -> Vec<(String, fazhi_domain::ids::CaseId)> {
    let clerk = t.principal("clerk").await;
    let handler = t.principal("handler_longtan").await;
    let longtan = t.town.unit("longtan").to_string();
    let mut receipts = Vec::new();
    for i in 0..6 {
        let mut f = TestApp::work_order_fields();
        f["title"] = json!(format!("龙潭村第{}处路灯不亮", i + 1));
        f["caller_phone"] = json!(format!("1381234567{i}"));
        f["caller_idcard"] = Json::Null;
        let mut fields = obj(f);
        fields.retain(|_, v| !v.is_null());
        let c = t.app.open_case(&clerk, "work_order", &fields).await.unwrap().case;
        let c = t.app.act(&clerk, c.id, "dispatch", &obj(json!({"unit": longtan})), c.version).await.unwrap();
        if i == 0 {
            let c = t.app.act(&handler, c.id, "sign", &Map::new(), c.version).await.unwrap();
            let reply = json!({"reply": "已联系供电所更换灯泡，路灯恢复照明。", "reply_method": "phone"});
            t.app.act(&handler, c.id, "reply", &obj(reply), c.version).await.unwrap();
        }
        receipts.push((c.receipt_no.clone(), c.id));
    }
    // Two months on: the five not answered are overdue, all six fell due within the year.
    t.clock.set(datetime!(2024-11-26 09:00 +8));
    receipts
}

async fn rows_of(b: &Browser, css: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for tr in b.c.find_all(Locator::Css(css)).await.unwrap() {
        let mut cells = Vec::new();
        for c in tr.find_all(Locator::Css("th, td")).await.unwrap() {
            cells.push(c.text().await.unwrap().trim().to_string());
        }
        out.push(cells);
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leader_sees_every_kind_at_once_with_the_reports_rates_on_a_desktop_and_a_phone() {
    let t = TestApp::on(TestDb::sqlite()).await;
    six_work_orders(&t).await;
    // Counted here: 6 received, 1 answered (closed) so 5 in progress, those 5 past their
    // deadline; 6 fell due and 1 was on time — the rate printed by the report's formatter.
    let expected_rate = Rate::new(1, 6, t.app.catalogue().rounding).to_string();
    let kinds: Vec<&str> = t.app.kinds().all().iter().map(|k| k.label).collect();
    for (name, size) in [("leader_dashboard_desktop", DESKTOP), ("leader_dashboard_phone", PHONE)] {
        let Some(mut b) = Browser::start(t.app.clone(), name, size).await else { return };
        b.login("leader").await;
        b.goto("/dashboard").await;
        b.shot("dashboard").await;
        let rows = rows_of(&b, "#overview tbody tr").await;
        assert_eq!(rows.len(), kinds.len(), "one row per registered kind: {rows:?}");
        for (row, label) in rows.iter().zip(&kinds) {
            assert!(row[0].contains(label), "kinds in Chinese, in the registry's order: {row:?}");
        }
        let wo = rows.iter().find(|r| r[0].contains("12345工单")).unwrap();
        // On the phone each figure is preceded by its label (the cells stack); the number ends it.
        let value = |cell: &String| cell.split_whitespace().last().unwrap_or("").to_string();
        assert_eq!(value(&wo[1]), "6", "{wo:?}");
        assert_eq!(value(&wo[2]), "5", "{wo:?}");
        assert_eq!(value(&wo[3]), "5", "{wo:?}");
        assert_eq!(value(&wo[4]), expected_rate, "{wo:?}");
        // A kind with cases none of which fell due, or without a deadline at all: "—".
        for r in rows.iter().filter(|r| !r[0].contains("12345工单")) {
            assert_eq!(value(&r[1]), "0", "{r:?}");
            assert_eq!(value(&r[4]), "—", "no denominator: {r:?}");
        }
        // Nothing wider than the screen: the table stacks (phone) or fits (desktop).
        let fits =
            b.c.execute("return document.documentElement.scrollWidth <= window.innerWidth + 1;", vec![]).await.unwrap();
        assert_eq!(fits, json!(true), "the page scrolls sideways at {size:?}");
        b.c.find(Locator::Css(".chart svg")).await.expect("the monthly chart").click().await.ok();
        b.shot("dashboard-charts").await;
        // The comparison opens on the last complete year and names figures by kind, in Chinese.
        b.goto("/reports/compare").await;
        let page = b.text().await;
        assert!(page.contains("2023年各镇（街道）主要比率对比"), "{page}");
        assert!(page.contains("12345工单按时办结率") && !page.contains("work_order"), "{page}");
        b.shot("compare").await;
        b.close().await;
    }
}

/// The text of a .docx as LibreOffice prints it (→ PDF → pdftotext, pages separated by form
/// feeds) and the pages its images are on (pdfimages), or `None` without LibreOffice (outside CI).
fn docx_to_text(docx: &[u8]) -> Option<(String, Vec<usize>, String)> {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("report.docx");
    std::fs::write(&src, docx).unwrap();
    // A profile of its own: another LibreOffice running on the machine does not get in the way.
    let profile = format!("-env:UserInstallation=file://{}", dir.path().join("lo-profile").display());
    let ran = std::process::Command::new("soffice")
        .args([profile.as_str(), "--headless", "--convert-to", "pdf", "--outdir"])
        .arg(dir.path())
        .arg(&src)
        .output();
    let Ok(out) = ran else {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "CI=true but LibreOffice (soffice) is not installed"
        );
        eprintln!("skipping the PDF check: soffice is not installed");
        return None;
    };
    assert!(out.status.success(), "soffice: {}", String::from_utf8_lossy(&out.stderr));
    let pdf = dir.path().join("report.pdf");
    let txt = std::process::Command::new("pdftotext").args(["-layout"]).arg(&pdf).arg("-").output().expect("pdftotext");
    let list = std::process::Command::new("pdfimages").arg("-list").arg(&pdf).output().expect("pdfimages");
    // "page   num  type …": the first column of each image row (after two header lines).
    let pages = String::from_utf8(list.stdout)
        .unwrap()
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect();
    let bbox = std::process::Command::new("pdftotext").arg("-bbox").arg(&pdf).arg("-").output().expect("pdftotext");
    Some((String::from_utf8(txt.stdout).unwrap(), pages, String::from_utf8(bbox.stdout).unwrap()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_writer_inserts_named_figures_and_the_report_goes_through_review_to_its_final_word_file() {
    let t = TestApp::on(TestDb::sqlite()).await;
    six_work_orders(&t).await;
    // 2024 is over: its report can be made final.
    t.clock.set(datetime!(2025-01-10 10:00 +8));
    let town = t.app.tenant(t.town.tenant).unwrap();
    let Some(mut b) = Browser::start(t.app.clone(), "report_review", DESKTOP).await else { return };

    // The 司法所 writes: a figure inserted from the list, another typed by its name.
    b.login("sifasuo").await;
    b.goto("/reports/2024").await;
    b.shot("report-draft").await;
    let editor = b.c.find(Locator::Css("#r-problems")).await.unwrap();
    editor.click().await.unwrap();
    editor.send_keys("一是专业力量不足，全年受理工单").await.unwrap();
    b.click("button.insert-figure[data-insert^='【12345工单受理数 ']").await;
    let editor = b.c.find(Locator::Css("#r-problems")).await.unwrap();
    editor.send_keys("件，人均承办量大。").await.unwrap();
    assert_eq!(
        editor.prop("value").await.unwrap().unwrap(),
        "一是专业力量不足，全年受理工单【12345工单受理数 6】件，人均承办量大。"
    );
    b.fill("#r-plans", "一是力争【12345工单按时办结率】稳步提高。").await;
    b.shot("figure-inserted").await;
    b.click_and_wait(Locator::XPath("//button[normalize-space()='保存为新版本']"), false).await;
    let page = b.text().await;
    assert!(page.contains("草稿已保存为第1版"), "{page}");
    // Stored as codes; shown as names; the preview computes the figures.
    let stored = t.app.report_draft(&town, 2024).await.unwrap().draft;
    assert_eq!(stored.problems, "一是专业力量不足，全年受理工单{work_order.accepted}件，人均承办量大。");
    assert_eq!(stored.plans, "一是力争{work_order.on_time_rate}稳步提高。");
    let shown = b.c.find(Locator::Css("#r-plans")).await.unwrap().prop("value").await.unwrap().unwrap();
    let on_time = Rate::new(1, 6, t.app.catalogue().rounding).to_string();
    assert_eq!(shown, format!("一是力争【12345工单按时办结率 {on_time}】稳步提高。"));
    let source = b.c.source().await.unwrap();
    assert!(!source.contains("{work_order."), "the writer never reads a code");
    assert!(page.contains("全年受理工单6件，人均承办量大。"), "{page}");
    assert!(page.contains(&format!("一是力争{on_time}稳步提高。")), "{page}");
    // …and submits it; the drafter has no approval button.
    b.click_and_wait(Locator::Css("#submit-review"), true).await;
    let page = b.text().await;
    assert!(page.contains("已提交审核") && page.contains("当前：审核（第1版）"), "{page}");
    assert!(b.c.find(Locator::Css("#approve")).await.is_err());
    b.shot("submitted").await;
    b.logout().await;

    // The 领导 reviews: a return needs its reason (refused, nothing changed), then 定稿.
    b.login("leader").await;
    b.goto("/reports/2024").await;
    b.click_and_wait(Locator::Css("#return"), false).await;
    let page = b.text().await;
    assert!(page.contains("请填写退回修改的理由") && page.contains("当前：审核（第1版）"), "{page}");
    b.shot("return-refused").await;
    b.click_and_wait(Locator::Css("#approve"), false).await;
    let page = b.text().await;
    assert!(page.contains("报告已定稿") && page.contains("当前：定稿（第1版，2025-01-10 10:00）"), "{page}");
    let mut steps = Vec::new();
    for li in b.c.find_all(Locator::Css("#review-steps li")).await.unwrap() {
        steps.push(li.text().await.unwrap());
    }
    assert_eq!(steps.len(), 3, "{steps:?}");
    assert!(
        steps[0].starts_with("保存草稿")
            && steps[0].contains("司法所（司法所）")
            && steps[0].contains("2025-01-10 10:00")
    );
    assert!(steps[1].starts_with("提交审核") && steps[1].contains("司法所（司法所）"));
    assert!(steps[2].starts_with("定稿") && steps[2].contains("领导（鳌头镇人民政府）"));
    // Frozen: no editor, and the service refuses a save.
    assert!(b.c.find(Locator::Css("#r-problems")).await.is_err());
    let sifasuo = t.principal("sifasuo").await;
    assert!(t.app.save_report_draft(&sifasuo, 2024, 1, &stored).await.is_err());
    b.shot("final").await;

    // The Word file ends with the 落款: the government and the date of 定稿, right-aligned, and
    // its chart keeps with its caption.
    let (status, docx) = download(&t, &b, "/reports/2024/download/docx?tenant=AT").await;
    assert_eq!(status, StatusCode::OK);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(docx.clone())).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
    let pic = xml.find("<w:drawing").expect("the monthly chart");
    let para = &xml[xml[..pic].rfind("<w:p>").or_else(|| xml[..pic].rfind("<w:p ")).unwrap()..pic];
    assert!(para.contains("<w:keepNext"), "the chart keeps with its caption");
    if let Some((text, image_pages, bbox)) = docx_to_text(&docx) {
        // pdftotext spaces Latin digits off Chinese text ("2025 年 1 月"): compared without them.
        let lines: Vec<String> = text
            .lines()
            .map(|l| l.replace([' ', '\u{c}'], ""))
            .filter(|l| !l.is_empty() && !l.starts_with('—'))
            .collect();
        let n = lines.len();
        assert_eq!(lines[n - 2], "从化区鳌头镇人民政府", "{lines:?}");
        assert_eq!(lines[n - 1], "2025年1月10日", "{lines:?}");
        // Right-aligned: the 落款's words lie in the right half of the A4 page (595 pt wide).
        let x_min = |word: &str| -> f64 {
            let at = bbox.rfind(&format!(">{word}</word>")).unwrap_or_else(|| panic!("{word} in {bbox}"));
            let tag = &bbox[bbox[..at].rfind("<word").unwrap()..at];
            tag.split("xMin=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap()
        };
        for word in ["2025", "日"] {
            assert!(x_min(word) > 595.0 / 2.0, "{word} at {}", x_min(word));
        }
        assert!(text.replace(' ', "").contains("全年受理工单6件"));
        // The caption on the page of its chart: no page break (\f) between the two.
        let caption = text.find("按月受理量与办结率").expect("caption");
        let chart_page = text[..caption].matches('\u{c}').count();
        // The chart and its caption on one page (pages from 1; form feeds end pages).
        // (pdfimages lists the chart and its alpha mask.)
        assert!(!image_pages.is_empty(), "the chart is in the PDF");
        assert!(image_pages.iter().all(|p| *p == chart_page + 1), "the chart on its caption's page: {image_pages:?}");
        let closing_page = text[..text.rfind("鳌头镇人民政府").unwrap()].matches('\u{c}').count();
        assert!(closing_page >= chart_page, "the 落款 ends the document");
    }
    b.close().await;

    // The report page on a phone.
    let Some(mut p) = Browser::start(t.app.clone(), "report_review_phone", PHONE).await else { return };
    p.login("leader").await;
    p.goto("/reports/2024").await;
    p.shot("final-phone").await;
    p.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_auditor_filters_exports_and_verifies_the_log() {
    let t = TestApp::on(TestDb::sqlite()).await;
    let orders = six_work_orders(&t).await;
    let receipts: Vec<String> = orders.iter().map(|(r, _)| r.clone()).collect();
    // A step taken in the browser records its address.
    let Some(mut b) = Browser::start(t.app.clone(), "audit_desktop", DESKTOP).await else { return };
    b.login("handler_longtan").await;
    b.goto(&format!("/cases/work_order/{}", orders[1].1)).await;
    b.act("签收", &[], &[], false).await;
    b.logout().await;

    b.login("auditor").await;
    b.goto("/admin/audit").await;
    b.shot("audit-log").await;
    let page = b.text().await;
    assert!(!page.contains("dispatched") && !page.contains("\"unit\""), "no state codes, no JSON");
    // A record's seal names the account, not its id.
    let leader_id = t.town.users["leader"].id.to_string();
    assert!(!page.contains(&leader_id), "no ids: {page}");
    // Filter: 派单 on one receipt number.
    b.select("#a-action", "dispatch").await;
    b.fill("#a-receipt", &receipts[2]).await;
    b.click_and_wait(Locator::XPath("//button[normalize-space()='查询']"), false).await;
    let rows = rows_of(&b, "#audit-log tbody tr").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    assert!(r[0].starts_with("2024-09-27 09:00"), "{r:?}");
    assert_eq!(r[1], "受理员（综治中心）（clerk）");
    assert_eq!(r[2], "派单");
    assert!(r[3].contains(&receipts[2]) && r[3].contains("12345工单"), "{r:?}");
    assert!(r[4].contains("→") && !r[4].contains('_'), "state names, not codes: {r:?}");
    assert!(b.text().await.contains("共 1 条"));
    b.shot("audit-filtered").await;
    // The signing from the browser: by name, in Chinese, with its address.
    b.goto("/admin/audit?action=sign").await;
    let rows = rows_of(&b, "#audit-log tbody tr").await;
    let signed = rows.iter().find(|r| r[3].contains(&receipts[1])).expect("the signing");
    assert_eq!(signed[1], "承办人（龙潭村）（handler_longtan）");
    assert_eq!(signed[5], "127.0.0.1", "{signed:?}");
    // A bad date is named, nothing shown.
    b.goto("/admin/audit?from=2024-02-30").await;
    assert!(b.text().await.contains("开始日期"));

    // Export what the filter selects: every row of the log for that case, counted here.
    let (status, xlsx) = download(&t, &b, &format!("/admin/audit/export?receipt={}", receipts[0])).await;
    assert_eq!(status, StatusCode::OK);
    use calamine::Reader;
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("审计日志").unwrap();
    let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(ToString::to_string).collect()).collect();
    assert_eq!(rows[0][..5], ["时间", "操作人", "账户", "操作", "案件受理编号"]);
    // The first order: 登记, 派单, 签收, 办结 — four events.
    let actions: Vec<&str> = rows[1..].iter().map(|r| r[3].as_str()).collect();
    assert_eq!(actions, ["办结", "签收", "派单", "登记"], "{rows:?}");
    assert!(rows[1..].iter().all(|r| r[4] == receipts[0] && r[5] == "12345工单"));

    // The verification: the same check as `fazhi audit verify`.
    b.goto("/admin/audit").await;
    b.click_and_wait(Locator::Css("#audit-verify"), false).await;
    let result = b.c.find(Locator::Css("#verify-result")).await.unwrap().text().await.unwrap();
    assert!(result.contains("通过") && result.contains("鳌头镇（AT）：事件链完整"), "{result}");
    assert!(!result.contains("温泉镇"), "another town's chain is its own auditor's");
    b.shot("audit-verified").await;
    b.close().await;

    let Some(mut p) = Browser::start(t.app.clone(), "audit_phone", PHONE).await else { return };
    p.login("auditor").await;
    p.goto(&format!("/admin/audit?receipt={}", receipts[0])).await;
    p.shot("audit-phone").await;
    p.close().await;
}
