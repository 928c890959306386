//! The annual report from the demo town's records: the golden Markdown (every figure of the seed
//! report for the kinds fazhi has) and figures that link to their cases.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] functions

use fazhi_domain::metric::Period;
use fazhi_service::{App, CaseFilter};
use fazhi_testkit::{TestDb, bare_app};
use time::macros::datetime;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/annual-2023.md");

async fn demo() -> (App, TestDb) {
    let db = TestDb::sqlite();
    let (app, _) = bare_app(&db, datetime!(2026-11-26 10:00 +8)).await;
    fazhi_demo::load(&app, |_, _| {}).await.unwrap();
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
    assert_eq!(app.seeded_case_count(town.id, &f).await.unwrap(), 450, "the 450 behind 化解450宗");
    assert!(html.contains("<svg"), "the monthly chart");
}
