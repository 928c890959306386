//! The main journey in a real browser: headless Chromium, driven through chromedriver, against
//! the real server on a random local port. A clerk registers a work order and dispatches it; the
//! village handler signs for it and replies; the clerk records the callback; the caller looks it
//! up on the public page and rates it. Every page is photographed into
//! `target/test-output/browser/work_order_journey/`.
//!
//! The harness is `support/mod.rs`, shared by every browser test.

mod support;

use fantoccini::Locator;
use fazhi_testkit::{TestApp, TestDb};
use support::{Browser, DESKTOP};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whole_work_order_journey_in_a_real_browser() {
    let t = TestApp::on(TestDb::sqlite()).await;
    let Some(mut b) = Browser::start(t.app.clone(), "work_order_journey", DESKTOP).await else { return };

    // The clerk registers a work order.
    b.login("clerk").await;
    assert!(b.c.current_url().await.expect("url").path().ends_with("/workbench"));
    b.shot("workbench-clerk").await;
    b.goto("/cases/work_order/new").await;
    b.shot("new-form").await;
    // A bad 身份证号 first: the message appears next to the field and what was typed stays.
    b.fill("#new-title", "龙潭村村口路灯不亮").await;
    b.fill("#new-content", "龙潭村村口三盏路灯已坏两周，夜间出行不便。").await;
    b.select("#new-category", "help").await;
    b.select("#new-urgency", "normal").await;
    b.fill("#new-caller_name", "陈先生").await;
    b.fill("#new-caller_phone", "13812345678").await;
    b.fill("#new-caller_idcard", "440524188001010015").await;
    b.click_and_wait(Locator::Css("form.form button[type=submit]"), false).await;
    let page = b.text().await;
    assert!(page.contains("校验位不正确，请核对最后一位"), "{page}");
    b.shot("new-form-error").await;
    b.fill("#new-caller_idcard", "440524188001010014").await;
    b.click_and_wait(Locator::Css("form.form button[type=submit]"), false).await;
    let page = b.text().await;
    assert!(page.contains("登记成功"), "{page}");
    let dd = b.c.find_all(Locator::Css(".receipt dd.big")).await.expect("receipt");
    let receipt = dd[0].text().await.expect("receipt no");
    let code = dd[1].text().await.expect("query code");
    assert_eq!(receipt, "AT-GD-2024-000001");
    b.shot("registered").await;

    // …and dispatches it to 龙潭村.
    b.click_and_wait(Locator::Css(".receipt ~ p a.primary"), false).await;
    let case_url = b.c.current_url().await.expect("url").path().to_string();
    let longtan = t.town.unit("longtan").to_string();
    b.act("派单", &[], &[("#dispatch-unit", &longtan)], false).await;
    let page = b.text().await;
    b.shot("dispatched").await;
    assert!(page.contains("已派单。当前状态：待签收；承办单位：龙潭村"), "{page}");
    b.logout().await;

    // The village handler signs and replies.
    b.login("handler_longtan").await;
    b.shot("workbench-handler").await;
    b.goto(&case_url).await;
    b.act("签收", &[], &[], false).await;
    assert!(b.text().await.contains("当前状态：办理中"));
    // The due date explains itself on click.
    b.click("details.clock summary").await;
    assert!(b.text().await.contains("计入调休上班日"));
    b.shot("handling").await;
    b.act(
        "办结",
        &[("#reply-reply", "已联系供电所更换灯泡，路灯恢复照明。")],
        &[("#reply-reply_method", "phone")],
        true,
    )
    .await;
    assert!(b.text().await.contains("当前状态：已办结待回访"));
    b.shot("replied").await;
    b.logout().await;

    // The clerk records the callback.
    b.login("clerk").await;
    b.goto(&case_url).await;
    b.act("回访", &[], &[("#callback-result", "satisfied")], false).await;
    assert!(b.text().await.contains("当前状态：已回访"));
    b.shot("visited").await;
    b.logout().await;

    // The caller looks it up (no login) with the receipt number and query code.
    b.goto("/track").await;
    b.fill("#receipt_no", &receipt).await;
    b.fill("#query_code", &code).await;
    b.click_and_wait(Locator::Css("form.form button[type=submit]"), false).await;
    let page = b.text().await;
    assert!(page.contains("已办结") && page.contains("已联系供电所更换灯泡"), "{page}");
    assert!(!page.contains("陈先生") && !page.contains("龙潭村"), "no parties, no units on the public page");
    b.shot("public-result").await;

    // On a phone.
    b.c.set_window_size(360, 740).await.expect("resize");
    b.login("handler_longtan").await;
    b.shot("workbench-phone").await;
    b.goto(&case_url).await;
    b.shot("case-phone").await;

    b.close().await;
}
