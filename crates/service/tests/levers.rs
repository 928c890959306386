//! The clerk's levers through the service, on every backend: 催办 shows on the handler's
//! workbench as 被催办, 撤回 takes back an order nobody signed for (and is refused, in Chinese,
//! once one did), 改派 moves an order to another unit with its clock as it was; a bulk action
//! acts on each selected row through the normal use case, each with its own version and role;
//! 导出选中 exports exactly the selected rows; a grid worker's workbench says what it is for.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers outside #[test] functions

use fazhi_domain::ids::CaseId;
use fazhi_service::ServiceError;
use fazhi_service::bulk::BulkItem;
use fazhi_store::CaseFilter;
use fazhi_testkit::{TestApp, TestDb};
use serde_json::{Map, Value as Json, json};

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().expect("a JSON object")
}

async fn registered(t: &TestApp, n: usize) -> Vec<(CaseId, i64)> {
    let clerk = t.principal("clerk").await;
    let mut v = Vec::new();
    for _ in 0..n {
        let c = t.app.open_case(&clerk, "work_order", &obj(TestApp::work_order_fields())).await.unwrap().case;
        v.push((c.id, c.version));
    }
    v
}

fn to(unit: fazhi_domain::ids::UnitId) -> Map<String, Json> {
    obj(json!({"unit": unit.to_string()}))
}

#[tokio::test]
async fn the_desk_reminds_withdraws_and_reassigns_and_the_handler_sees_each() {
    for db in TestDb::all().await {
        let t = TestApp::on(db).await;
        let clerk = t.principal("clerk").await;
        let longtan = t.principal("handler_longtan").await;
        let xitang = t.principal("handler_xitang").await;
        let ids = registered(&t, 2).await;
        let (a, b) = (ids[0].0, ids[1].0);
        let c = t.app.act(&clerk, a, "dispatch", &to(t.town.unit("longtan")), 1).await.unwrap();
        let c = t.app.act(&clerk, a, "remind", &obj(json!({"remind_note": "请尽快签收"})), c.version).await.unwrap();
        let c = t.app.act(&clerk, a, "remind", &Map::new(), c.version).await.unwrap();
        assert_eq!((c.state.as_str(), c.version), ("dispatched", 4));

        // The handler's workbench: 被催办 1, and its link lists exactly that order.
        let wb = t.app.workbench(&longtan).await.unwrap();
        let tiles = wb.kinds.iter().find(|k| k.kind == "work_order").unwrap();
        let reminded = tiles.reminded.as_ref().expect("a handler has the 被催办 tile");
        assert_eq!(reminded.count, 1);
        let listed = t.app.list(&longtan, &reminded.query.to_filter(&t.app).unwrap(), 1, 20).await.unwrap();
        assert_eq!(listed.items.iter().map(|i| i.case.id).collect::<Vec<_>>(), vec![a]);
        assert_eq!(listed.items[0].case.data["reminders"], 2);
        assert!(wb.todo.iter().any(|i| i.case.id == a), "the waiting order is listed under the tiles");
        // Only the desk reminds.
        let err = t.app.act(&longtan, a, "remind", &Map::new(), 4).await.unwrap_err();
        assert!(matches!(err, ServiceError::Forbidden(_)), "{err:?}");

        // 撤回 before sign-for: back to the desk's 待派单, gone from the village.
        let c = t.app.act(&clerk, a, "withdraw", &obj(json!({"withdraw_reason": "派错单位"})), 4).await.unwrap();
        assert_eq!((c.state.as_str(), c.unit_id), ("registered", t.town.unit("zzzx")));
        assert!(matches!(t.app.detail(&longtan, a).await, Err(ServiceError::NotFound(_))));
        let wb = t.app.workbench(&longtan).await.unwrap();
        assert_eq!(wb.kinds.iter().find(|k| k.kind == "work_order").unwrap().reminded.as_ref().unwrap().count, 0);

        // Signed for: 撤回 is refused with what to do instead; 改派 with a reason moves it and
        // keeps its due date.
        let c = t.app.act(&clerk, b, "dispatch", &to(t.town.unit("longtan")), 1).await.unwrap();
        let c = t.app.act(&longtan, b, "sign", &Map::new(), c.version).await.unwrap();
        let due = c.clocks.due_on();
        let err = t.app.act(&clerk, b, "withdraw", &Map::new(), c.version).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "当前状态为“办理中”，不能执行“撤回”：承办单位已签收的不能撤回；如需更换承办单位，请使用“改派”并说明理由"
        );
        assert_eq!(err.status(), 409);
        let no_reason = obj(json!({"new_unit": t.town.unit("xitang").to_string()}));
        let err = t.app.act(&clerk, b, "reassign", &no_reason, c.version).await.unwrap_err();
        assert_eq!(err.to_string(), "改派理由：不能为空");
        let input = obj(json!({"new_unit": t.town.unit("xitang").to_string(), "reassign_reason": "属西塘村辖区"}));
        let c = t.app.act(&clerk, b, "reassign", &input, c.version).await.unwrap();
        assert_eq!((c.state.as_str(), c.unit_id, c.clocks.due_on()), ("dispatched", t.town.unit("xitang"), due));
        assert!(matches!(t.app.detail(&longtan, b).await, Err(ServiceError::NotFound(_))));
        let d = t.app.detail(&xitang, b).await.unwrap();
        let labels: Vec<&str> = d.events.iter().map(|e| e.action_label.as_str()).collect();
        assert_eq!(labels, vec!["登记", "派单", "签收", "改派"]);
    }
}

#[tokio::test]
async fn a_bulk_dispatch_acts_on_each_row_with_its_own_version_and_role_and_says_what_failed() {
    for db in TestDb::all().await {
        let t = TestApp::on(db).await;
        let clerk = t.principal("clerk").await;
        let handler = t.principal("handler_longtan").await;
        let rows = registered(&t, 4).await;
        // Someone else moved the third row on since the list was read.
        t.app.act(&clerk, rows[2].0, "dispatch", &to(t.town.unit("xitang")), 1).await.unwrap();
        let items: Vec<BulkItem> = rows[..3].iter().map(|(id, v)| BulkItem { id: *id, version: *v }).collect();

        // A handler may not dispatch: every row refused, nothing changed.
        let out = t.app.bulk_act(&handler, "dispatch", &items, &to(t.town.unit("longtan"))).await.unwrap();
        assert_eq!(out.summary(), "成功 0 条，失败 3 条");

        let out = t.app.bulk_act(&clerk, "dispatch", &items, &to(t.town.unit("longtan"))).await.unwrap();
        assert_eq!(out.summary(), "成功 2 条，失败 1 条");
        assert_eq!(out.done.iter().map(|d| d.id).collect::<Vec<_>>(), vec![rows[0].0, rows[1].0]);
        assert_eq!(out.failed[0].id, rows[2].0);
        assert_eq!(out.failed[0].code, "stale_version");
        assert!(out.failed[0].reason.contains("已被他人更新"), "{}", out.failed[0].reason);
        assert!(out.failed[0].receipt_no.starts_with("AT-GD-"));
        // Counted independently: the two rows are at 龙潭村, the stale one stayed at 西塘村.
        let at_longtan =
            CaseFilter { unit: Some(t.app.unit(t.town.unit("longtan")).unwrap().path), ..Default::default() };
        assert_eq!(t.app.list(&clerk, &at_longtan, 1, 50).await.unwrap().total, 2);
        // A bad field is refused per row with the field named.
        let out =
            t.app.bulk_act(&clerk, "remind", &[BulkItem { id: rows[3].0, version: 1 }], &Map::new()).await.unwrap();
        assert_eq!(out.failed.len(), 1);
        assert!(out.failed[0].reason.contains("不能执行“催办”"), "{}", out.failed[0].reason);
        // Nothing selected, or a case out of reach.
        assert!(matches!(t.app.bulk_act(&clerk, "dispatch", &[], &Map::new()).await, Err(ServiceError::BadRequest(_))));
        let wq = t.principal("wq_clerk").await;
        let out = t.app.bulk_act(&wq, "remind", &items[..1], &Map::new()).await.unwrap();
        assert_eq!((out.failed[0].code, out.failed[0].receipt_no.as_str()), ("not_found", ""));

        // 导出选中: exactly the selected rows.
        let selected = CaseFilter { ids: vec![rows[0].0, rows[3].0], ..Default::default() };
        assert_eq!(t.app.export_cases(&clerk, &selected).await.unwrap().rows, 2);
        assert_eq!(t.app.export_cases(&wq, &selected).await.unwrap().rows, 0, "the scope still holds");
    }
}

#[tokio::test]
async fn a_grid_worker_sees_a_workbench_of_their_own_that_says_what_it_is_for() {
    let t = TestApp::sqlite().await;
    let grid = t.principal("grid_longtan").await;
    let wb = t.app.workbench(&grid).await.unwrap();
    assert!(wb.kinds.is_empty(), "no kind gives a grid worker work yet");
    assert!(wb.purpose.unwrap().contains("网格巡查"));
    let handler = t.principal("handler_longtan").await;
    assert!(t.app.workbench(&handler).await.unwrap().purpose.is_none());
}
