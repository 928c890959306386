//! Papers through the service, on every backend: each kind's papers filled from the case (the
//! registration, the documented action's own record, the clocks, the town's government and its
//! configured contact), identifiers masked, and who may print what.

use fazhi_report::paper::{Block, Paper};
use fazhi_service::ServiceError;
use fazhi_service::config::TownContact;
use fazhi_testkit::{TestApp, TestDb};
use serde_json::{Map, Value as Json, json};

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().expect("a JSON object")
}

fn facts(p: &Paper) -> Vec<(String, String)> {
    p.blocks
        .iter()
        .flat_map(|b| match b {
            Block::Facts(rows) => rows.clone(),
            _ => vec![],
        })
        .collect()
}

fn fact<'a>(rows: &'a [(String, String)], label: &str) -> &'a str {
    rows.iter().find(|(l, _)| l == label).map_or("", |(_, v)| v.as_str())
}

const SITE: &str = "http://fazhi.test";

async fn town(db: TestDb) -> TestApp {
    TestApp::on_with(db, |c| {
        c.towns.insert(
            "AT".into(),
            TownContact { phone: "020-87851234".into(), address: "广州市从化区鳌头镇府前路1号".into() },
        );
    })
    .await
}

#[tokio::test]
async fn the_receipt_and_the_sheet_of_a_work_order_carry_what_the_desk_and_the_handler_need() {
    for db in TestDb::all().await {
        let t = town(db).await;
        let clerk = t.principal("clerk").await;
        let opened = t.app.open_case(&clerk, "work_order", &obj(TestApp::work_order_fields())).await.unwrap();
        let c = opened.case;
        t.app
            .act(&clerk, c.id, "dispatch", &obj(json!({"unit": t.town.unit("longtan").to_string()})), 1)
            .await
            .unwrap();

        let r = t.app.paper(&clerk, c.id, "receipt", SITE).await.unwrap();
        assert_eq!(r.issuer, "从化区鳌头镇人民政府");
        let rows = facts(&r);
        assert_eq!(fact(&rows, "受理编号"), "AT-GD-2024-000001");
        assert_eq!(fact(&rows, "查询码"), opened.query_code);
        assert_eq!(fact(&rows, "事项类别"), "12345工单");
        assert_eq!(fact(&rows, "受理日期"), "2024-09-27");
        assert_eq!(fact(&rows, "联系方式"), "电话 020-87851234；地址 广州市从化区鳌头镇府前路1号");
        assert!(r.blocks.contains(&Block::Tracking("http://fazhi.test/track?receipt_no=AT-GD-2024-000001".into())));

        // The handler prints the sheet, not the receipt with its query code.
        let handler = t.principal("handler_longtan").await;
        let err = t.app.paper(&handler, c.id, "receipt", SITE).await.unwrap_err();
        assert!(matches!(err, ServiceError::Forbidden(_)), "{err:?}");
        let s = t.app.paper(&handler, c.id, "sheet", SITE).await.unwrap();
        let rows = facts(&s);
        assert_eq!(fact(&rows, "联系电话"), "138****5678", "the caller's phone is masked on paper too");
        assert_eq!(fact(&rows, "诉求类别"), "求助");
        assert_eq!(fact(&rows, "承办单位"), "龙潭村");
        assert!(fact(&rows, "期限依据").contains("本地配置 work_order.urgency"), "{rows:?}");
        assert!(!fact(&rows, "办理期限").is_empty());
        assert!(!s.text().contains("13812345678"));

        // Another town's clerk cannot reach it; an unknown paper is not found.
        let other = t.principal("wq_clerk").await;
        assert!(matches!(t.app.paper(&other, c.id, "sheet", SITE).await, Err(ServiceError::NotFound(_))));
        assert!(matches!(t.app.paper(&clerk, c.id, "agreement", SITE).await, Err(ServiceError::NotFound(_))));
    }
}

#[tokio::test]
async fn the_mediation_agreement_exists_once_signed_and_holds_every_element_of_article_29() {
    for db in TestDb::all().await {
        let t = town(db).await;
        let clerk = t.principal("clerk").await;
        let mediator = t.principal("mediator").await;
        let c = t.app.open_case(&clerk, "dispute", &obj(TestApp::dispute_fields())).await.unwrap().case;
        let accept = obj(
            json!({"path": "people", "mediation_unit": t.town.unit("sfs").to_string(), "mediators": "朱调解", "consent": true}),
        );
        let c = t.app.act(&clerk, c.id, "accept", &accept, 1).await.unwrap();
        let err = t.app.paper(&mediator, c.id, "agreement", SITE).await.unwrap_err();
        assert!(matches!(&err, ServiceError::WrongState(m) if m.contains("尚未达成书面协议")), "{err:?}");
        let before = t.app.papers(&mediator, &t.app.detail(&mediator, c.id).await.unwrap()).unwrap();
        assert!(before.iter().all(|p| p.code != "agreement"));

        let agreement = obj(json!({
            "agreement_parties": "陈某，男，龙潭村三队村民；李某，男，龙潭村三队村民",
            "facts": "两户宅基地相邻，因界址与滴水位置发生争执",
            "issues": "界址位置与滴水占地",
            "responsibility": "李某建房越界二十厘米，负主要责任",
            "terms": "以现状围墙为界，李某补偿陈某3000元",
            "performance_manner": "现金一次性支付",
            "performance_deadline": "2024-10-31",
            "signed_on": "2024-09-27",
            "committee": "鳌头镇人民调解委员会",
            "parties_signed": true,
            "mediator_signed": true,
        }));
        t.app.act(&mediator, c.id, "agree_written", &agreement, c.version).await.unwrap();
        let d = t.app.detail(&mediator, c.id).await.unwrap();
        let offered = t.app.papers(&mediator, &d).unwrap();
        assert!(offered.iter().any(|p| p.code == "agreement" && p.docx));

        let p = t.app.paper(&mediator, c.id, "agreement", SITE).await.unwrap();
        assert_eq!(p.title, "人民调解协议书");
        let text = p.text();
        for v in [
            "陈某，男，龙潭村三队村民",
            "两户宅基地相邻",
            "界址位置与滴水占地",
            "负主要责任",
            "李某补偿陈某3000元",
            "现金一次性支付",
            "2024-10-31",
            "鳌头镇人民调解委员会",
            "朱调解",
            "第二十九条",
            "当事人各执一份，人民调解委员会留存一份",
            "人民调解员（签名）",
            "人民调解委员会（印章）",
        ] {
            assert!(text.contains(v), "{v} in\n{text}");
        }
        let signatures: usize = p.blocks.iter().map(|b| if let Block::Signatures(l) = b { l.len() } else { 0 }).sum();
        assert_eq!(signatures, 4, "two parties, the mediator, the committee's seal");
    }
}

#[tokio::test]
async fn the_petition_notices_are_written_from_the_acceptance_and_the_refusal() {
    for db in TestDb::all().await {
        let t = town(db).await;
        let clerk = t.principal("clerk").await;
        let c = t.app.open_case(&clerk, "petition", &obj(TestApp::petition_fields("claim"))).await.unwrap().case;
        let accept = obj(json!({"unit": t.town.unit("longtan").to_string(), "accepted_on": "2024-09-27",
            "notified_on": "2024-09-27", "notice_method": "onsite", "route_checked": true}));
        t.app.act(&clerk, c.id, "accept", &accept, 1).await.unwrap();
        let n = t.app.paper(&clerk, c.id, "acceptance_notice", SITE).await.unwrap();
        let text = n.text();
        assert!(n.blocks.contains(&Block::Addressee("黄某".into())));
        for v in [
            "请求解决宅基地确权登记问题",
            "2024-09-27",
            "交由龙潭村办理",
            "2024-11-26",
            "第三十四条",
            "第二十三条",
            "从化区鳌头镇人民政府",
            "2024年9月27日",
        ] {
            assert!(text.contains(v), "{v} in\n{text}");
        }
        assert!(matches!(t.app.paper(&clerk, c.id, "refusal_notice", SITE).await, Err(ServiceError::WrongState(_))));

        let c2 = t.app.open_case(&clerk, "petition", &obj(TestApp::petition_fields("suggestion"))).await.unwrap().case;
        let refuse =
            obj(json!({"not_accepted_reason": "outside", "notified_on": "2024-09-27", "note": "请向区自然资源局提出"}));
        t.app.act(&clerk, c2.id, "not_accept", &refuse, 1).await.unwrap();
        let r = t.app.paper(&clerk, c2.id, "refusal_notice", SITE).await.unwrap();
        let text = r.text();
        for v in [
            "本机关决定不予受理",
            "不属于本机关、单位或者本系统职权范围",
            "第二十三条第一款",
            "请向区自然资源局提出",
            "第二十三条第二款",
        ] {
            assert!(text.contains(v), "{v} in\n{text}");
        }
    }
}
