//! The annual report from the demo town's records: the golden Markdown (every figure of the seed
//! report for the kinds fazhi has), figures that link to their cases, drafts kept in versions with
//! their events, the district comparison, and bad input refused with nothing written.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] functions

use fazhi_domain::metric::Period;
use fazhi_report::annual::Draft;
use fazhi_service::{App, CaseFilter, Scope, ServiceError};
use fazhi_testkit::{TestApp, TestDb, bare_app};
use time::macros::datetime;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/annual-2023.md");

async fn demo() -> (App, TestDb) {
    let db = TestDb::sqlite();
    let (app, _) = bare_app(&db, datetime!(2026-11-26 10:00 +8)).await;
    app.load_demo(|_, _| {}).await.unwrap();
    (app, db)
}

#[tokio::test]
async fn the_2023_report_reproduces_the_seed_figures_and_traces_each_one() {
    let (app, _db) = demo().await;
    let town = app.town(Some("AT")).unwrap();
    let r = app.annual_report(&town, 2023, false, None).await.unwrap();
    let md = r.to_markdown();
    if std::env::var("UPDATE_GOLDEN").is_ok() {
        std::fs::write(GOLDEN, &md).unwrap();
    }
    let golden = std::fs::read_to_string(GOLDEN).expect("golden file (run with UPDATE_GOLDEN=1 to create)");
    assert_eq!(md, golden, "the generated report differs from tests/golden/annual-2023.md");
    // The seed's sentences, figure by figure. "其中受理信访件" is not printed: petitions are not
    // counted within the disputes, so the subset wording would not be true on other data.
    for seed in [
        "承办广州12345政府服务热线工单4326件，办结率达100%。",
        "2023年鳌头镇接待群众来访296批939人次；",
        "受理矛盾纠纷456宗，化解450宗，化解率98.68%，挽回群众财产损失2256.03万元；",
        "受理信访件432宗，求决类信访件一次性化解率98.54%，满意率99.62%，规定时间办结率100%；",
        "解决涉及迁坟、人身损害、劳资欠薪方面的重大疑难纠纷24宗。",
    ] {
        assert!(md.contains(seed), "missing: {seed}");
    }
    assert!(md.starts_with("# 广州市从化区鳌头镇人民政府关于2023年度法治政府建设情况的报告\n"));
    assert!(!md.contains("草稿"), "2023 is over: a final report");
    // Kinds fazhi does not run leave no paragraph behind: no enforcement figures, no meetings.
    assert!(!md.contains("无纸化办案率") && !md.contains("研究部署法治建设工作"));

    // Every figure of the HTML links to the list of cases it counts, and that list has as many.
    let link = |code: &str, p: &Period| format!("metric={code}&mfrom={}&mto={}", p.from, p.to);
    let r = app.annual_report(&town, 2023, false, Some(&link)).await.unwrap();
    let html = r.to_html_fragment();
    assert!(html.contains("href=\"metric=work_order.accepted&amp;mfrom=2023-01-01&amp;mto=2023-12-31\""), "{html}");
    let cat = app.catalogue();
    let set = cat.traced_set("dispute.resolved").unwrap().clone();
    let f = CaseFilter { metric: Some((set, Period::year(2023).unwrap())), ..Default::default() };
    assert_eq!(app.store().count_cases(&Scope::tenant(town.id), &f).await.unwrap(), 450, "the 450 behind 化解450宗");
    assert!(html.contains("<svg"), "the monthly chart");
}

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
