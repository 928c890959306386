//! The work list, the callback and the resident, in a real browser on a desktop and on a 390 px
//! phone (issue 12 items 1, 2 and 10): the clerk follows the 待我处理 tile to a list of as many rows
//! as it says, 查询 keeps the filter; reveals a caller's phone with a reason (the auditor's page
//! shows the reveal); finds the case by the full phone number; a resident rates an archived case
//! on the tracking page. Screenshots go to `target/test-output/browser/worklist_{desktop,phone}/`.

mod support;

use fantoccini::Locator;
use fazhi_service::Principal;
use fazhi_testkit::{TestApp, TestDb};
use serde_json::{Map, Value as Json, json};
use support::{Browser, DESKTOP, PHONE};

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().unwrap_or_else(|| panic!("object")).clone()
}

/// A work order registered by the clerk, taken through `steps` (action, by whom, fields); its
/// receipt number and query code.
async fn order(t: &TestApp, title: &str, phone: &str, steps: &[(&str, &Principal, Json)]) -> (String, String) {
    let clerk = t.principal("clerk").await;
    let mut fields = TestApp::work_order_fields();
    fields["title"] = json!(title);
    fields["caller_phone"] = json!(phone);
    let opened = t.app.open_case(&clerk, "work_order", &obj(fields)).await.expect("open");
    let mut c = opened.case;
    for (action, p, input) in steps {
        c = t.app.act(p, c.id, action, &obj(input.clone()), c.version).await.expect(action);
    }
    (c.receipt_no, opened.query_code)
}

async fn journey(size: (u32, u32), name: &str) {
    let t = TestApp::on(TestDb::sqlite()).await;
    let clerk = t.principal("clerk").await;
    let handler = t.principal("handler_longtan").await;
    let to_longtan = json!({"unit": t.town.unit("longtan").to_string()});
    let reply = json!({"reply": "已清理", "reply_method": "phone"});
    let handled =
        [("dispatch", &clerk, to_longtan.clone()), ("sign", &handler, json!({})), ("reply", &handler, reply.clone())];
    order(&t, "西塘村垃圾未清运", "13800000001", &[]).await;
    let (replied, _) = order(&t, "龙潭村道路积水", "13800000005", &handled).await;
    let mut archived_steps = handled.to_vec();
    archived_steps.push(("callback", &clerk, json!({"result": "satisfied"})));
    archived_steps.push(("archive", &clerk, json!({})));
    let (archived, code) = order(&t, "龙潭村树木倒伏", "13800000007", &archived_steps).await;

    let Some(mut b) = Browser::start(t.app.clone(), name, size).await else { return };

    // The clerk's 待我处理 tile opens as many rows as it says: the new order and the one waiting
    // for its callback (已办结待回访).
    b.login("clerk").await;
    b.shot("workbench").await;
    let tile = Locator::XPath("//section[h2='12345工单']//a[span[@class='lbl']='待我处理']");
    let count = b.c.find(tile).await.expect("tile").find(Locator::Css(".num")).await.expect("num");
    assert_eq!(count.text().await.expect("count"), "2");
    b.click_and_wait(tile, false).await;
    let page = b.text().await;
    assert!(page.contains("共 2 条") && page.contains(&replied) && page.contains("已办结待回访"), "{page}");
    b.shot("waiting-list").await;
    // 查询 keeps the tile's filter (it is the selected choice of 状态).
    b.unfold_search().await;
    b.click_and_wait(Locator::XPath("//form[@role='search']//button[normalize-space()='查询']"), false).await;
    assert!(b.text().await.contains("共 2 条"));

    // The callback: the clerk reveals the caller's phone, with a reason.
    b.click_and_wait(Locator::LinkText(&replied), false).await;
    let page = b.text().await;
    assert!(page.contains("138****0005") && !page.contains("13800000005"), "{page}");
    b.click("details.reveal summary").await;
    b.fill("#rv-reason", "回访联系来电人").await;
    b.shot("reveal-form").await;
    b.click_and_wait(Locator::Css("details.reveal button[type=submit]"), false).await;
    let value = b.c.find(Locator::Css("#revealed-value")).await.expect("value").text().await.expect("text");
    assert_eq!(value, "13800000005");
    b.shot("revealed").await;

    // The full number finds the case.
    b.goto("/cases/work_order").await;
    b.unfold_search().await;
    b.fill("#f-q", "13800000005").await;
    b.click_and_wait(Locator::XPath("//form[@role='search']//button[normalize-space()='查询']"), false).await;
    let page = b.text().await;
    assert!(page.contains("共 1 条") && page.contains(&replied), "{page}");
    b.shot("search-by-phone").await;
    b.logout().await;

    // The auditor sees who revealed what, on which case, and why — not the number.
    b.login("auditor").await;
    b.goto("/admin/audit?action=reveal.identifier").await;
    let page = b.text().await;
    assert!(page.contains("查看完整个人信息") && page.contains(&replied) && page.contains("回访联系来电人"), "{page}");
    assert!(!page.contains("13800000005"));
    b.shot("audit").await;
    b.logout().await;

    // A resident rates the archived order on the tracking page.
    b.goto("/track").await;
    b.fill("#receipt_no", &archived).await;
    b.fill("#query_code", &code).await;
    b.click_and_wait(Locator::Css("form.form button[type=submit]"), false).await;
    assert!(b.text().await.contains("请对办理结果进行评价"));
    b.click("input[name=result][value=satisfied]").await;
    b.shot("rate-archived").await;
    b.click_and_wait(Locator::Css("form[action='/track/rate'] button[type=submit]"), false).await;
    let page = b.text().await;
    assert!(page.contains("感谢您的评价") && page.contains("满意"), "{page}");
    b.shot("rated").await;
    b.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worklist_the_callback_and_a_late_rating_on_a_desktop() {
    journey(DESKTOP, "worklist_desktop").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worklist_the_callback_and_a_late_rating_on_a_phone() {
    journey(PHONE, "worklist_phone").await;
}
