//! The annual report: drafts kept in versions with their events, the district comparison, and bad
//! input refused with nothing written. (The golden report of the demo town's 2023 is tested in
//! `crates/demo/tests/report.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] functions

use fazhi_report::annual::Draft;
use fazhi_service::ServiceError;
use fazhi_testkit::TestApp;
use time::macros::datetime;

#[tokio::test]
async fn a_draft_is_saved_in_versions_each_an_event_and_a_bad_draft_changes_nothing() {
    let t = TestApp::sqlite().await;
    let leader = t.principal("leader").await;
    let town = t.app.town(Some("AT")).unwrap();
    let loaded = t.app.report_draft(&town, 2024).await.unwrap();
    assert_eq!(loaded.version, 0);
    assert_eq!(loaded.draft.title, "从化区鳌头镇人民政府关于2024年度法治政府建设情况的报告");
    let mut d = loaded.draft.clone();
    d.problems = "一是法律专业力量不足。".into();
    assert_eq!(t.app.save_report_draft(&leader, 2024, 0, &d).await.unwrap(), 1);
    // A stale save (someone saved meanwhile) is refused.
    assert!(matches!(t.app.save_report_draft(&leader, 2024, 0, &d).await, Err(ServiceError::Stale { current: 1 })));
    // An unknown figure is refused by name; the draft stays at version 1.
    let mut bad: Draft = d.clone();
    bad.achievements[0].text = "召开会议{meetings.count}次".into();
    let err = t.app.save_report_draft(&leader, 2024, 1, &bad).await.unwrap_err();
    assert!(err.to_string().contains("“{meetings.count}”不是可用的指标"), "{err}");
    assert_eq!(t.app.report_draft(&town, 2024).await.unwrap().version, 1);
    // Only the leader and the 司法所 write the report.
    let clerk = t.principal("clerk").await;
    assert!(matches!(t.app.save_report_draft(&clerk, 2024, 1, &d).await, Err(ServiceError::Forbidden(_))));
    let events = t
        .app
        .store()
        .audit_log(&fazhi_service::AuditFilter { action: Some("report.".into()), ..Default::default() }, 10, 0)
        .await
        .unwrap()
        .0;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].action_label, "修改年度报告草稿");
}

#[tokio::test]
async fn reports_refuse_unfinished_years_unknown_towns_and_years_without_a_calendar() {
    let t = TestApp::sqlite().await; // the clock is at 2024-09-27
    let town = t.app.town(Some("AT")).unwrap();
    let e = t.app.annual_report(&town, 2024, false, None).await.unwrap_err();
    assert_eq!(e.to_string(), "年度：2024年尚未结束，只能生成草稿（命令行加 --draft）");
    let draft = t.app.annual_report(&town, 2024, true, None).await.unwrap();
    assert!(draft.draft && draft.to_markdown().contains("> 草稿，未定稿。数据截至 2024-09-27"));
    assert!(t.app.annual_report(&town, 2025, true, None).await.is_err(), "the future");
    assert_eq!(t.app.town(Some("XX")).unwrap_err().to_string(), "镇（街道）：代码“XX”不存在");
    assert!(t.app.town(None).unwrap_err().to_string().contains("有多个镇（街道），请指定代码"));
    t.clock.set(datetime!(2028-03-01 09:00 +8));
    let e = t.app.annual_report(&town, 2027, false, None).await.unwrap_err();
    assert!(e.to_string().contains("2027年节假日安排尚未导入"), "{e}");
}

#[tokio::test]
async fn the_district_compares_its_towns_with_exact_pooled_rates() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let wq = t.principal("wq_clerk").await;
    let h = t.principal("handler_longtan").await;
    let fields = TestApp::work_order_fields();
    let obj = fields.as_object().unwrap();
    // 鳌头: 3 accepted, 1 closed. 温泉: 1 accepted, 0 closed. District: 4 accepted, 1 closed.
    for _ in 0..2 {
        t.app.open_case(&clerk, "work_order", obj).await.unwrap();
    }
    let c = t.app.open_case(&clerk, "work_order", obj).await.unwrap().case;
    let _ = c;
    let first = t.app.list(&clerk, &Default::default(), 1, 1).await.unwrap().items[0].case.clone();
    t.app
        .act(
            &clerk,
            first.id,
            "dispatch",
            &serde_json::json!({"unit": t.town.unit("longtan").to_string()}).as_object().unwrap().clone(),
            1,
        )
        .await
        .unwrap();
    t.app.act(&h, first.id, "sign", &Default::default(), 2).await.unwrap();
    t.app
        .act(
            &h,
            first.id,
            "reply",
            &serde_json::json!({"reply": "好", "reply_method": "phone"}).as_object().unwrap().clone(),
            3,
        )
        .await
        .unwrap();
    t.app.open_case(&wq, "work_order", obj).await.unwrap();
    t.clock.set(datetime!(2025-01-10 09:00 +8));
    let c = t.app.compare(None, 2024).await.unwrap();
    let i = c.metrics.iter().position(|m| m.code == "work_order.close_rate").unwrap();
    let town = |name: &str| c.towns.iter().find(|(n, _)| n == name).unwrap().1[i].to_string();
    assert_eq!(town("鳌头镇"), "33.33%");
    assert_eq!(town("温泉镇"), "0.00%");
    assert_eq!(c.district_pooled[i].to_string(), "25.00%", "1 of 4 across the district");
    assert_eq!(c.town_mean[i], "16.66%");
    let j = c.metrics.iter().position(|m| m.code == "dispute.resolve_rate").unwrap();
    assert_eq!(c.district_pooled[j].to_string(), "—", "no disputes, no rate");
}
