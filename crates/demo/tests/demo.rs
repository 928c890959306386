//! The demo town reproduces the seed report's 12345 figures, the same way every time and on
//! either database.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] functions

use fazhi_domain::metric::Period;
use fazhi_service::audit::VerifyRequest;
use fazhi_service::{CaseFilter, Scope};
use fazhi_testkit::{TestDb, bare_app};
use time::macros::datetime;

/// What a demo load produced, reduced to what people see: receipt, title, state, dates, outcome.
async fn load(db: &TestDb) -> (Vec<(String, String)>, Vec<String>) {
    let (app, _) = bare_app(db, datetime!(2026-11-26 10:00 +8)).await;
    let report = fazhi_demo::load(&app, |_, _| {}).await.unwrap();
    assert!(report.created);
    let at = app.town(Some("AT")).unwrap();
    let mut figures = Vec::new();
    for kind in ["work_order", "visit", "dispute", "petition"] {
        figures.extend(
            app.metrics_in(&Scope::tenant(at.id), Some(kind), &[], &Period::year(2023).unwrap()).await.unwrap(),
        );
    }
    let figures: Vec<(String, String)> =
        figures.into_iter().map(|(m, f)| (m.code.to_string(), f.to_string())).collect();
    let filter = CaseFilter { opened_to: fazhi_domain::time_util::parse_date("2023-12-31").ok(), ..Default::default() };
    let mut cases = Vec::new();
    let mut page = 1;
    loop {
        let p = app.seeded_cases(at.id, &filter, page, 1000).await.unwrap();
        for i in &p.items {
            let c = &i.case;
            cases.push(format!(
                "{} {} {} {} {:?} {:?} {:?}",
                c.receipt_no,
                c.title,
                c.state,
                c.opened_at,
                c.closed_at,
                c.data.get("satisfaction"),
                c.data.get("on_time")
            ));
        }
        if p.items.len() < 1000 {
            break;
        }
        page += 1;
    }
    cases.sort();
    // Loading again adds nothing.
    assert!(!fazhi_demo::load(&app, |_, _| {}).await.unwrap().created);
    let audit = app.verify_all(&VerifyRequest::default(), |_, _| {}).await.unwrap();
    let r = &audit.tenants.iter().find(|t| t.tenant.id == at.id).unwrap().chain;
    assert!(r.is_whole(), "{r:?}");
    (figures, cases)
}

#[tokio::test]
async fn the_demo_reproduces_the_seed_figures_deterministically() {
    let a = TestDb::sqlite();
    let (figures, cases) = load(&a).await;
    let fig = |code: &str| figures.iter().find(|(c, _)| c == code).unwrap().1.clone();
    if std::env::var_os("FAZHI_PRINT_FIGURES").is_some() {
        eprintln!("{figures:#?}");
    }
    // 承办广州12345政府服务热线工单4326件，办结率达100%。
    assert_eq!(fig("work_order.accepted"), "4326");
    assert_eq!(fig("work_order.closed"), "4326");
    assert_eq!(fig("work_order.close_rate"), "100%");
    let of_kind = |code: &str| cases.iter().filter(|c| c.contains(&format!("-{code}-2023-"))).count();
    assert_eq!(of_kind("GD"), 4326);
    // 2023年鳌头镇接待群众来访296批939人次……: every reception counts, the 4 repeat visits merged
    // into the visit they repeat included (one matter each: 292 来访事项).
    assert_eq!(fig("visit.batches"), "296");
    assert_eq!(fig("visit.persons"), "939");
    assert_eq!(fig("visit.matters"), "292");
    assert_eq!(of_kind("LF"), 296);
    // ……受理矛盾纠纷456宗，化解450宗，化解率98.68%，挽回群众财产损失2256.03万元……
    assert_eq!(fig("dispute.accepted"), "456");
    assert_eq!(fig("dispute.resolved"), "450");
    assert_eq!(fig("dispute.resolve_rate"), "98.68%");
    assert_eq!(fig("dispute.recovered"), "2256.03万元");
    // ……解决涉及迁坟、人身损害、劳资欠薪方面的重大疑难纠纷24宗。
    assert_eq!(fig("dispute.major"), "24");
    assert_eq!(fig("dispute.major_resolved"), "24");
    assert_eq!(of_kind("JF"), 461, "3 declined and 2 merged besides the 456 accepted");
    // ……其中受理信访件432宗，求决类信访件一次性化解率98.54%，满意率99.62%，规定时间办结率100%。
    assert_eq!(fig("petition.accepted"), "432");
    assert_eq!(fig("petition.one_time_rate"), "98.54%");
    assert_eq!(fig("petition.satisfaction_rate"), "99.62%");
    // 规定时间办结率 = 按期办结数 ÷ 应办结数 (deadlines falling in 2023, concluded or not).
    assert_eq!(fig("petition.on_time_rate"), "100%");
    assert_eq!(fig("petition.due"), fig("petition.on_time"));
    assert_eq!(of_kind("XF"), 439, "5 guided to other procedures and 2 not accepted besides the 432");
    // Every plan's stated seed figures are what the catalogue computes from the loaded year.
    let stated = fazhi_demo::seed_figures();
    assert!(stated.len() >= 16, "every plan states its figures");
    for s in &stated {
        assert_eq!(fig(s.metric), s.figure, "the seed says “{}”: {} should read {}", s.seed, s.metric, s.figure);
    }
    // The same seed gives the same year on the other backend (or on a second SQLite file).
    let b = TestDb::postgres().await.unwrap_or_else(TestDb::sqlite);
    let (figures_b, cases_b) = load(&b).await;
    assert_eq!(figures, figures_b);
    assert_eq!(cases, cases_b, "{:?} differs", b.backend);
}
