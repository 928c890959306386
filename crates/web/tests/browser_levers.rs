//! The clerk's levers and the lists, in a real browser (issue 12, items 4–6). On a desktop: the
//! clerk dispatches an order and reminds the village (its handler sees 被催办 on the workbench and
//! on the case), withdraws an order nobody signed for, re-dispatches a signed one with a reason,
//! bulk-dispatches three ticked rows, and pages through a long list by page size and jump. On a
//! 390 px phone: the handler's workbench puts the tiles before the list and keeps the filter
//! folded, dates are labelled, the action form offers 拍照 (the camera) and 选择文件; a grid
//! worker's workbench says what it is for. Screenshots in
//! `target/test-output/browser/levers*/`.

mod support;

use fantoccini::Locator;
use fazhi_testkit::{TestApp, TestDb};
use serde_json::{Map, Value as Json, json};
use support::{Browser, DESKTOP, PHONE};

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().expect("object")
}

/// The y coordinate of an element's top, and whether it has the `open` attribute.
async fn top(b: &Browser, css: &str) -> f64 {
    let js = format!("return document.querySelector('{css}').getBoundingClientRect().top + window.scrollY;");
    b.c.execute(&js, vec![]).await.expect("script").as_f64().unwrap_or_else(|| panic!("no {css}"))
}

async fn is_open(b: &Browser, css: &str) -> bool {
    let js = format!("return document.querySelector('{css}').hasAttribute('open');");
    b.c.execute(&js, vec![]).await.expect("script").as_bool().expect("bool")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_clerk_uses_the_levers_and_the_lists_as_staff_know_them() {
    let t = TestApp::on(TestDb::sqlite()).await;
    let clerk = t.principal("clerk").await;
    let handler = t.principal("handler_longtan").await;
    let longtan = t.town.unit("longtan").to_string();
    let xitang = t.town.unit("xitang").to_string();
    // 25 registered orders: the first three for the levers, the rest for the list.
    let mut ids = Vec::new();
    for i in 0..25 {
        let mut f = TestApp::work_order_fields();
        f["title"] = json!(format!("路灯不亮第{:02}号", i + 1));
        ids.push(t.app.open_case(&clerk, "work_order", &obj(f)).await.expect("open").case);
    }
    // The second is already signed for at 龙潭村.
    let signed = t.app.act(&clerk, ids[1].id, "dispatch", &obj(json!({"unit": longtan})), 1).await.expect("dispatch");
    t.app.act(&handler, ids[1].id, "sign", &Map::new(), signed.version).await.expect("sign");
    let case = |i: usize| format!("/cases/work_order/{}", ids[i].id);

    let Some(mut b) = Browser::start(t.app.clone(), "levers", DESKTOP).await else { return };
    b.login("clerk").await;

    // 派单, then 催办 twice.
    b.goto(&case(0)).await;
    b.act("派单", &[], &[("#dispatch-unit", &longtan)], false).await;
    assert!(b.text().await.contains("已派单。当前状态：待签收；承办单位：龙潭村"));
    b.act("催办", &[("#remind-remind_note", "请今天内签收并反馈")], &[], false).await;
    b.act("催办", &[], &[], false).await;
    let page = b.text().await;
    assert!(page.contains("已催办。当前状态：待签收"), "{page}");
    assert!(page.contains("被催办 2 次"), "{page}");
    b.shot("reminded-clerk").await;
    b.logout().await;

    // The handler sees it: 被催办 1 on the workbench, the case says how many times.
    b.login("handler_longtan").await;
    let tile =
        b.c.find(Locator::XPath("//span[@class='lbl'][.='被催办']/preceding-sibling::span[@class='num']"))
            .await
            .expect("被催办 tile");
    assert_eq!(tile.text().await.expect("count"), "1");
    assert!(b.text().await.contains("被催办2次"), "the waiting list marks the row");
    b.shot("workbench-reminded").await;
    b.click_and_wait(Locator::XPath("//span[.='被催办']/parent::a"), false).await;
    let list = b.text().await;
    assert!(list.contains("共 1 条") && list.contains(&ids[0].receipt_no), "{list}");
    b.goto(&case(0)).await;
    assert!(b.text().await.contains("被催办 2 次"));
    b.shot("case-reminded-handler").await;
    b.logout().await;

    // 撤回 before sign-for: back to 待派单.
    b.login("clerk").await;
    b.goto(&case(0)).await;
    b.act("撤回", &[("#withdraw-withdraw_reason", "派错单位")], &[], true).await;
    let page = b.text().await;
    assert!(page.contains("已撤回。当前状态：待派单；承办单位：综治中心"), "{page}");
    b.shot("withdrawn").await;

    // A signed order offers no 撤回, only 改派 — with its reason, the due date unchanged.
    b.goto(&case(1)).await;
    let actions: Vec<String> = {
        let mut v = Vec::new();
        for s in b.c.find_all(Locator::Css("details.action > summary")).await.expect("actions") {
            v.push(s.text().await.expect("label"));
        }
        v
    };
    assert!(actions.contains(&"改派".to_string()) && !actions.contains(&"撤回".to_string()), "{actions:?}");
    let due_before =
        b.c.find(Locator::Css("details.clock summary strong")).await.expect("due").text().await.expect("t");
    b.act("改派", &[("#reassign-reassign_reason", "路灯属西塘村辖区")], &[("#reassign-new_unit", &xitang)], true).await;
    let page = b.text().await;
    assert!(page.contains("已改派。当前状态：待签收；承办单位：西塘村"), "{page}");
    let due_after = b.c.find(Locator::Css("details.clock summary strong")).await.expect("due").text().await.expect("t");
    assert_eq!(due_before, due_after, "改派 restarts no clock");
    assert!(page.contains("路灯属西塘村辖区"));
    b.shot("reassigned").await;

    // Bulk dispatch of three ticked rows of 待派单.
    b.goto("/cases/work_order?state=registered&sort=receipt_no").await;
    assert!(b.text().await.contains("共 24 条"));
    b.shot("list-desktop").await;
    for i in [2usize, 3, 4] {
        let css = format!("input[name=sel][value^='{}:']", ids[i].id);
        b.click(&css).await;
    }
    b.select("#bulk-unit", &longtan).await;
    b.shot("bulk-ticked").await;
    b.click_and_wait(Locator::Css("button[name=op][value=dispatch]"), false).await;
    let page = b.text().await;
    assert!(page.contains("成功 3 条，失败 0 条"), "{page}");
    for i in [2usize, 3, 4] {
        assert!(page.contains(&ids[i].receipt_no));
    }
    b.shot("bulk-result").await;
    b.click_and_wait(Locator::LinkText("返回列表"), false).await;
    assert!(b.text().await.contains("共 21 条"), "three fewer wait for dispatch");

    // Page size and jump: 21 rows, 20 a page → page 2 holds one; 50 a page → one page.
    b.select("#pg-size", "20").await;
    b.fill("#pg-jump", "2").await;
    b.click_and_wait(Locator::Css(".pager-form button"), false).await;
    let page = b.text().await;
    assert!(page.contains("第 2 / 2 页"), "{page}");
    assert_eq!(b.c.find_all(Locator::Css("input[name=sel]")).await.expect("rows").len(), 1);
    assert!(b.c.current_url().await.expect("url").query().unwrap_or("").contains("state=registered"));
    b.select("#pg-size", "50").await;
    b.click_and_wait(Locator::Css(".pager-form button"), false).await;
    assert_eq!(b.c.find_all(Locator::Css("input[name=sel]")).await.expect("rows").len(), 21);
    // On a wide screen the search form is unfolded and the header sticks on a long list.
    assert!(is_open(&b, "details#search").await);
    let sticky =
        b.c.execute("return getComputedStyle(document.querySelector('table.list thead th')).position;", vec![])
            .await
            .expect("style");
    assert_eq!(sticky, json!("sticky"));
    let wraps = b
        .c
        .execute("return getComputedStyle(document.querySelector('table.list tbody td.nowrap')).whiteSpace;", vec![])
        .await
        .expect("style");
    assert_eq!(wraps, json!("nowrap"), "receipt numbers do not wrap");
    b.shot("list-50").await;
    b.logout().await;
    b.login("grid_longtan").await;
    assert!(b.text().await.contains("这里是网格员工作台"));
    b.shot("workbench-grid-desktop").await;
    b.close().await;

    // On the 390 px phone.
    let Some(mut b) = Browser::start(t.app.clone(), "levers_phone", PHONE).await else { return };
    b.login("handler_longtan").await;
    b.shot("workbench-handler-phone").await;
    // The tiles first, then the list; the filter folded.
    let (tiles, list) = (top(&b, "#tiles").await, top(&b, "#todo table").await);
    assert!(tiles < list, "tiles at {tiles}, list at {list}");
    assert!(!is_open(&b, "details#todo-search").await, "the filter is folded on a phone");
    // Each date cell says what it is.
    let label =
        b.c.execute(
            "return getComputedStyle(document.querySelector('#todo td[data-label=\"办理期限\"]'), '::before').content;",
            vec![],
        )
        .await
        .expect("style");
    assert!(label.as_str().unwrap_or("").contains("办理期限"), "{label}");
    b.goto("/cases/work_order").await;
    assert!(!is_open(&b, "details#search").await, "the list's search is folded on a phone");
    b.shot("list-phone").await;
    b.click("details#search summary").await;
    b.shot("list-phone-search-open").await;
    // The action form: 拍照 opens the camera, 选择文件 takes documents too.
    b.goto(&case(2)).await;
    b.c.find(Locator::XPath("//summary[normalize-space()='签收']")).await.expect("签收").click().await.expect("open");
    let camera = b.c.find(Locator::Css("details[open] input[type=file][capture=environment]")).await.expect("camera");
    assert_eq!(camera.attr("accept").await.expect("accept").as_deref(), Some("image/*"));
    let files = b.c.find(Locator::Css("details[open] input[type=file]:not([capture])")).await.expect("files");
    assert!(files.attr("accept").await.expect("accept").unwrap_or_default().contains(".pdf"));
    b.c.execute("document.querySelector('details[open] fieldset.files').scrollIntoView();", vec![])
        .await
        .expect("scroll");
    b.shot("case-phone-camera").await;
    b.logout().await;
    // A grid worker's own workbench.
    b.login("grid_longtan").await;
    let page = b.text().await;
    assert!(page.contains("这里是网格员工作台") && page.contains("网格巡查"), "{page}");
    assert!(b.c.find_all(Locator::Css("ul.tiles")).await.expect("tiles").is_empty(), "no kind's tiles");
    b.shot("workbench-grid-phone").await;
    b.close().await;
}
