//! Disputes through the service: intake, mediation at the town's committee, a written agreement,
//! performance; the figures and their breakdown by category and by village.

use fazhi_domain::metric::{Figure, Period};
use fazhi_service::ServiceError;
use fazhi_service::breakdown::BreakdownBy;
use fazhi_testkit::TestApp;
use serde_json::{Map, Value as Json, json};

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().expect("a JSON object")
}

#[tokio::test]
async fn a_dispute_is_mediated_to_a_written_agreement_performed_and_counted() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let mediator = t.principal("mediator").await;
    let mut f = TestApp::dispute_fields();
    f["category"] = json!("wages");
    f["major"] = json!(true);
    let c = t.app.open_case(&clerk, "dispute", &obj(f)).await.unwrap().case;
    assert_eq!(c.receipt_no, "AT-JF-2024-000001");
    // The town's committee sits at 司法所: its mediator takes it from there.
    assert!(matches!(t.app.detail(&mediator, c.id).await, Err(ServiceError::NotFound(_))));
    let accept = obj(
        json!({"path": "lawyer", "mediation_unit": t.town.unit("sfs").to_string(), "mediators": "朱调解、潘律师", "consent": true}),
    );
    let c = t.app.act(&clerk, c.id, "accept", &accept, 1).await.unwrap();
    let d = t.app.detail(&mediator, c.id).await.unwrap();
    let codes: Vec<&str> = d.actions.iter().map(|a| a.code).collect();
    assert_eq!(codes, vec!["session", "extend", "agree_written", "agree_oral", "end_mediation", "refer", "mark_major"]);
    let mediate = d.clocks.iter().find(|c| c.code == "mediate").unwrap();
    assert!(!mediate.statutory, "a local target: the Law sets no limit");
    assert!(mediate.explanation[0].contains("司法部令第75号"));
    let c = t
        .app
        .act(
            &mediator,
            c.id,
            "session",
            &obj(json!({"held_on": "2024-09-27", "participants": "双方、调解员", "record": "释法说理"})),
            c.version,
        )
        .await
        .unwrap();
    let agreement = obj(json!({
        "agreement_parties": "工人代表陈某；某劳务公司",
        "facts": "拖欠工资",
        "issues": "工资数额",
        "responsibility": "公司承担支付责任",
        "terms": "公司于十月底前支付工资60000元",
        "performance_manner": "银行转账",
        "performance_deadline": "2024-10-31",
        "signed_on": "2024-09-27",
        "committee": "鳌头镇人民调解委员会",
        "parties_signed": true,
        "mediator_signed": true,
        "recovered": "60000",
    }));
    let c = t.app.act(&mediator, c.id, "agree_written", &agreement, c.version).await.unwrap();
    assert_eq!((c.state.as_str(), c.clocks.due_on()), ("agreed", Some(time::macros::date!(2024 - 10 - 28))));
    let c =
        t.app.act(&mediator, c.id, "follow_up", &obj(json!({"performance": "performed"})), c.version).await.unwrap();
    assert_eq!(c.state, "performed");
    let c = t.app.act(&mediator, c.id, "archive", &Map::new(), c.version).await.unwrap();
    assert_eq!(c.state, "archived");

    let leader = t.principal("leader").await;
    let figures = t.app.metrics(&leader, Some("dispute"), &[], &Period::year(2024).unwrap()).await.unwrap();
    let fig = |code: &str| figures.iter().find(|(m, _)| m.code == code).map(|(_, f)| *f).unwrap();
    assert_eq!(fig("dispute.accepted").to_string(), "1");
    assert_eq!(fig("dispute.major").to_string(), "1");
    assert!(matches!(fig("dispute.resolve_rate"), Figure::Rate(r) if (r.num, r.den) == (1, 1)));
    assert_eq!(fig("dispute.recovered").to_string(), "6.00万元");
}

#[tokio::test]
async fn figures_break_down_by_category_and_by_village_and_add_up() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let accept = |unit: &str| {
        obj(
            json!({"path": "people", "mediation_unit": t.town.unit(unit).to_string(), "mediators": "村调委", "consent": true}),
        )
    };
    for (category, unit) in [("wages", "longtan"), ("wages", "sfs"), ("neighbour", "longtan"), ("graves", "xitang")] {
        let mut f = TestApp::dispute_fields();
        f["category"] = json!(category);
        let c = t.app.open_case(&clerk, "dispute", &obj(f)).await.unwrap().case;
        t.app.act(&clerk, c.id, "accept", &accept(unit), 1).await.unwrap();
    }
    // One registered and declined: not accepted, in no row's 受理数.
    let c = t.app.open_case(&clerk, "dispute", &obj(TestApp::dispute_fields())).await.unwrap().case;
    t.app
        .act(&clerk, c.id, "decline", &obj(json!({"decline_reason": "refused", "routes_told": "可起诉"})), 1)
        .await
        .unwrap();

    let leader = t.principal("leader").await;
    let period = Period::year(2024).unwrap();
    let codes = vec!["dispute.accepted".to_string(), "dispute.resolve_rate".to_string()];
    let rows = t.app.breakdown(&leader, "dispute", &codes, &period, BreakdownBy::Category).await.unwrap();
    let view: Vec<(String, String)> = rows.iter().map(|r| (r.label.clone(), r.figures[0].1.to_string())).collect();
    assert_eq!(
        view,
        vec![
            ("邻里".to_string(), "1".to_string()),
            ("劳资欠薪".to_string(), "2".to_string()),
            ("迁坟".to_string(), "1".to_string()),
            ("房屋宅基地".to_string(), "0".to_string()),
        ]
    );
    assert_eq!(rows[1].figures[1].1.to_string(), "0.00%", "accepted, none resolved yet");
    let rows = t.app.breakdown(&leader, "dispute", &codes, &period, BreakdownBy::Village).await.unwrap();
    let view: Vec<(String, String)> = rows.iter().map(|r| (r.label.clone(), r.figures[0].1.to_string())).collect();
    assert!(view.contains(&("龙潭村".to_string(), "2".to_string())), "{view:?}");
    assert!(view.contains(&("西塘村".to_string(), "1".to_string())), "{view:?}");
    assert!(view.contains(&("司法所".to_string(), "1".to_string())), "{view:?}");
    let total: u64 = rows
        .iter()
        .map(|r| match r.figures[0].1 {
            Figure::Count(n) => n,
            _ => 0,
        })
        .sum();
    assert_eq!(total, 4, "the rows add up to the total");
    // A village's handler sees only their village's row.
    let h = t.principal("handler_longtan").await;
    let rows = t.app.breakdown(&h, "dispute", &codes, &period, BreakdownBy::Village).await.unwrap();
    assert_eq!(rows.iter().map(|r| r.label.as_str()).collect::<Vec<_>>(), vec!["龙潭村"]);
    // Bad input is named.
    let err = t
        .app
        .breakdown(&leader, "dispute", &["petition.accepted".to_string()], &period, BreakdownBy::Category)
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.to_string()), (400, "指标“petition.accepted”不属于矛盾纠纷".to_string()));
    let err = t
        .app
        .breakdown(&leader, "dispute", &["dispute.nope".to_string()], &period, BreakdownBy::Category)
        .await
        .unwrap_err();
    assert_eq!(err.status(), 400);
    assert_eq!(
        t.app.breakdown(&leader, "parking", &[], &period, BreakdownBy::Category).await.unwrap_err().status(),
        400
    );
}

#[tokio::test]
async fn bad_dispute_input_is_refused_and_changes_nothing() {
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let mut f = TestApp::dispute_fields();
    f["amount"] = json!("12.345");
    f["category"] = json!("打架");
    let err = t.app.open_case(&clerk, "dispute", &obj(f)).await.unwrap_err();
    let messages: Vec<String> = err.fields().iter().map(|f| f.message()).collect();
    assert!(messages.contains(&"争议金额（元）：金额最多保留两位小数（到分）".to_string()), "{messages:?}");
    assert!(messages.iter().any(|m| m.starts_with("纠纷类别：")), "{messages:?}");
    let c = t.app.open_case(&clerk, "dispute", &obj(TestApp::dispute_fields())).await.unwrap().case;
    // A party clearly refuses: mediation may not start (人民调解法 第十七条).
    let refuse = obj(
        json!({"path": "people", "mediation_unit": t.town.unit("sfs").to_string(), "mediators": "朱调解", "consent": false}),
    );
    let err = t.app.act(&clerk, c.id, "accept", &refuse, 1).await.unwrap_err();
    assert_eq!(err.status(), 422);
    // A mediation unit of another town.
    let other = obj(
        json!({"path": "people", "mediation_unit": t.town.unit("wq-village").to_string(), "mediators": "x", "consent": true}),
    );
    assert_eq!(
        t.app.act(&clerk, c.id, "accept", &other, 1).await.unwrap_err().to_string(),
        "调解组织（承办单位）：所选单位不存在或不属于本镇（街道）"
    );
    let now = t.app.detail(&clerk, c.id).await.unwrap().case;
    assert_eq!((now.state.as_str(), now.version), ("registered", 1));
}
