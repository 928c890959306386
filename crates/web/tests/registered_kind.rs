//! A kind defined only here — `noise` (噪声投诉), with a setting, a duplicate-checked party, a
//! confidential field and a report paragraph — is registered with one line and then appears in
//! the configuration, the API and its OpenAPI document, the lists, the export, duplicate
//! detection and the annual report, with no other file changed (issue 11).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::http::{Method, StatusCode};
use fazhi_domain::case::CaseRecord;
use fazhi_domain::case::{ClockClass, Phase};
use fazhi_domain::deadline::{DeadlineRule, Period, TimeUnit};
use fazhi_domain::error::Invalid;
use fazhi_domain::kinds::{Capabilities, Duplicates, ExportColumn, KindDef, Kinds, PartyFields, ReportClause, Section};
use fazhi_domain::metric::{CaseSet, Cond, Measure, MetricDef, MetricUnit};
use fazhi_domain::role::Role;
use fazhi_domain::settings::{KindSettings, Settings};
use fazhi_domain::workflow::{
    ActCtx, ActionDef, Effect, FieldDef, FieldKind, Refusal, StateDef, Target, Values, Waiting, Workflow,
};
use fazhi_service::Config;
use fazhi_testkit::{TestApp, TestDb};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json, json};

/// The kind's folder, as it would be: its settings, its table, its figures, its paragraph.
mod noise {
    use super::*;

    pub const SLUG: &str = "noise";

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(default, deny_unknown_fields)]
    pub struct NoiseSettings {
        /// Working days to answer a complaint (a local target).
        pub answer_days: u32,
    }

    impl Default for NoiseSettings {
        fn default() -> Self {
            Self { answer_days: 7 }
        }
    }

    impl KindSettings for NoiseSettings {
        fn validate(&self, section: &str) -> Result<(), Invalid> {
            if self.answer_days == 0 || self.answer_days > 30 {
                return Err(Invalid::new(format!("{section}.answer_days：应为1至30个工作日")));
            }
            Ok(())
        }
    }

    fn answer_rule(_: &CaseRecord, _: &Values, ctx: &ActCtx<'_>) -> Result<DeadlineRule, Refusal> {
        let days = ctx.settings.of::<NoiseSettings>(SLUG).answer_days;
        Ok(DeadlineRule {
            period: Period::new(days, TimeUnit::WorkingDay),
            trigger: "受理".into(),
            source: "噪声投诉答复时限（本地配置 noise.answer_days）".into(),
        })
    }

    pub fn kind(settings: &Settings) -> KindDef {
        let s = |code, label, phase, waiting| StateDef { code, label, phase, waiting };
        let workflow = Workflow {
            states: vec![
                s("handling", "办理中", Phase::Open, Waiting::Unit),
                s("answered", "已答复", Phase::Closed, Waiting::Nobody),
            ],
            open: ActionDef::new("register", "登记", &[], Target::State { state: "handling" })
                .roles(&[Role::IntakeClerk])
                .fields(vec![
                    FieldDef::new("title", "标题", FieldKind::Text { max: 100 }).required(),
                    FieldDef::new("content", "投诉内容", FieldKind::LongText { max: 2000 }).required(),
                    FieldDef::new("party_name", "投诉人", FieldKind::Text { max: 50 }).required(),
                    FieldDef::new("party_phone", "联系电话", FieldKind::Phone).required(),
                    FieldDef::new("party_idcard", "身份证号", FieldKind::IdCard),
                    FieldDef::new("decibel", "测得分贝", FieldKind::Integer { min: 0, max: 200 }),
                ])
                .effects(vec![
                    Effect::Record,
                    Effect::StartClock {
                        code: "answer",
                        label: "答复期限",
                        class: ClockClass::Target,
                        rule: answer_rule,
                    },
                ]),
            actions: vec![
                ActionDef::new("answer", "答复", &["handling"], Target::State { state: "answered" })
                    .roles(&[Role::IntakeClerk, Role::Handler])
                    .fields(vec![FieldDef::new("reply", "答复内容", FieldKind::LongText { max: 2000 }).required()])
                    .effects(vec![Effect::Record, Effect::StopClock { code: "answer" }]),
            ],
        };
        KindDef::new(SLUG, "噪声投诉", "ZS", workflow)
            .search(&["title", "content"])
            .metrics(vec![MetricDef {
                code: "noise.received",
                name: "受理噪声投诉",
                unit: MetricUnit::Cases,
                formula: "年度内登记的噪声投诉件数".into(),
                measure: Measure::Count { set: CaseSet { kind: SLUG, conds: vec![Cond::OpenedIn] } },
            }])
            .settings(&settings.of::<NoiseSettings>(SLUG))
            .capabilities(Capabilities {
                duplicates: Some(Duplicates { closed_for_good: None }),
                party: Some(PartyFields { name: "party_name", phone: "party_phone" }),
                ..Capabilities::default()
            })
            .export(vec![ExportColumn { key: "decibel", label: "测得分贝" }])
            .report(vec![ReportClause {
                section: Section::Governance,
                paragraph: 90,
                order: 1,
                text: "受理群众噪声投诉{noise.received}件。",
            }])
    }
}

/// The one line that registers it.
fn registry(s: &Settings) -> Kinds {
    Kinds::standard(s).with(noise::kind(s))
}

fn fields() -> Json {
    json!({
        "title": "龙潭村夜间施工噪声扰民",
        "content": "龙潭村村口工地每晚十一点后仍在施工，噪声很大，影响休息。",
        "party_name": "陈先生",
        "party_phone": "13812345678",
        "party_idcard": "440524188001010014",
        "decibel": 72,
    })
}

#[test]
fn its_setting_is_a_section_of_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("fazhi.toml");
    std::fs::write(&f, "[noise]\nanswer_days = 3\n").unwrap();
    let env = std::iter::empty::<(String, String)>;
    // The standard kinds know no such section …
    assert!(Config::load(Some(&f), env()).unwrap_err().to_string().contains("未知的配置节“noise”"));
    // … the registry with the kind does, shows it, and checks it.
    let c = Config::load_for(registry, Some(&f), env()).unwrap();
    assert_eq!(c.settings().of::<noise::NoiseSettings>("noise").answer_days, 3);
    assert!(c.to_masked_toml().contains("[noise]"));
    std::fs::write(&f, "[noise]\nanswer_days = 0\n").unwrap();
    assert!(Config::load_for(registry, Some(&f), env()).unwrap_err().to_string().contains("noise.answer_days"));
}

#[tokio::test]
async fn once_registered_it_runs_everywhere() {
    for db in TestDb::all().await {
        let t = TestApp::on_with(db, |c| {
            c.registry = registry;
            c.kinds.insert("noise".into(), json!({"answer_days": 3}));
        })
        .await;
        let token = t.token("clerk").await;

        // The API registers it; its clock runs on the configured target; the identity number is
        // masked; the kinds endpoint and the OpenAPI document describe it.
        let (status, body) = t
            .request(Method::POST, "/api/v1/cases", Some(&token), Some(json!({"kind": "noise", "fields": fields()})))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let case = &body["case"];
        let receipt = case["receipt_no"].as_str().unwrap().to_string();
        assert!(receipt.contains("-ZS-"), "{receipt}");
        // 3 working days from Friday 2024-09-27: Sunday 09-29 (a make-up day), 09-30, then 10-08 after 国庆.
        assert_eq!(case["due_on"], "2024-10-08");
        let shown = case["data"].to_string();
        assert!(!shown.contains("440524188001010014") && shown.contains("4405"), "{shown}");
        let (_, kinds) = t.request(Method::GET, "/api/v1/kinds", Some(&token), None).await;
        assert!(kinds.to_string().contains("噪声投诉"), "{kinds}");
        let (_, doc) = t.request(Method::GET, "/api/v1/openapi.json", None, None).await;
        let schema = &doc["components"]["schemas"]["fields.noise"];
        assert_eq!(schema["properties"]["decibel"]["type"], "integer", "{schema}");
        assert!(schema["required"].as_array().unwrap().contains(&json!("party_phone")));

        // The settings page shows its section, by its Chinese name, as configured.
        let admin = t.principal("admin").await;
        let sections = t.app.configuration(&admin).unwrap();
        let own = sections.iter().find(|s| s.key == "noise").expect("the kind's section on the settings page");
        assert_eq!(own.title, "噪声投诉");
        let answer = own.entries.iter().find(|e| e.key == "answer_days").expect("its setting");
        assert_eq!((answer.value.as_str(), answer.changed), ("3", true), "3 configured, 7 shipped");

        // The list, by the API and on the page.
        let (_, list) = t.request(Method::GET, "/api/v1/cases?kind=noise", Some(&token), None).await;
        assert!(list.to_string().contains(&receipt), "{list}");
        let clerk = t.principal("clerk").await;
        let filter = fazhi_service::CaseFilter { kind: Some("noise".into()), ..Default::default() };
        assert_eq!(t.app.list(&clerk, &filter, 1, 20).await.unwrap().items.len(), 1);

        // The export: the common columns, the party, and the kind's own column.
        let export = t
            .app
            .export_cases(&clerk, &fazhi_service::CaseFilter { kind: Some("noise".into()), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(export.rows, 1);
        let mut book: calamine::Xlsx<_> = calamine::open_workbook(&export.file).unwrap();
        let sheet = calamine::Reader::worksheet_range_at(&mut book, 0).unwrap().unwrap();
        let cells: Vec<String> = sheet.rows().flat_map(|r| r.iter().map(|c| c.to_string())).collect();
        for want in ["测得分贝", "72", "陈先生", receipt.as_str()] {
            assert!(cells.iter().any(|c| c == want), "{want} not in the export: {cells:?}");
        }

        // Duplicate detection: the same party again is shown the first complaint.
        let form: Map<String, Json> = fields().as_object().cloned().unwrap();
        let found = t.app.find_duplicates(&clerk, "noise", &form, None).await.unwrap();
        assert_eq!(found.iter().map(|c| c.receipt_no.as_str()).collect::<Vec<_>>(), vec![receipt.as_str()]);

        // The report: its paragraph, in its section, with the figure counted.
        let town = t.app.tenant(t.town.tenant).unwrap();
        let report = t.app.annual_report(&town, 2024, true, None).await.unwrap();
        let governance =
            report.achievements.iter().find(|s| s.heading.contains("深化多元共治")).expect("the governance section");
        let text: String = governance
            .paragraphs
            .iter()
            .flatten()
            .map(|p| match p {
                fazhi_report::annual::Piece::Text(s) => s.clone(),
                fazhi_report::annual::Piece::Figure { display, .. } => display.clone(),
            })
            .collect();
        assert!(text.contains("受理群众噪声投诉1件。"), "{text}");
    }
}

/// A value of each field type, as a form would send it (the first choice, a village of the town …).
fn sample(t: &TestApp, f: &FieldDef) -> Json {
    match &f.kind {
        FieldKind::Text { max } => json!("龙潭村测试".chars().take((*max).max(1)).collect::<String>()),
        FieldKind::LongText { .. } => json!("龙潭村村口路灯不亮，夜间出行不便。"),
        FieldKind::Choice { options } => json!(options[0].0),
        FieldKind::Unit { .. } => json!(t.town.unit("longtan").to_string()),
        FieldKind::Date => json!("2024-09-26"),
        FieldKind::Integer { min, max } => json!((*min).max(1).min(*max)),
        FieldKind::Money => json!("100"),
        FieldKind::IdCard => json!("440524188001010014"),
        FieldKind::Phone => json!("13812345678"),
        FieldKind::Bool => json!(true),
        FieldKind::Users { .. } => json!([]),
    }
}

#[tokio::test]
async fn every_registered_kind_renders_its_form_registers_through_the_api_and_shows_everywhere() {
    for db in TestDb::all().await {
        let t = TestApp::on_with(db, |c| c.registry = registry).await;
        let (_, doc) = t.request(Method::GET, "/api/v1/openapi.json", None, None).await;
        let kinds: Vec<KindDef> = t.app.kinds().all().to_vec();
        assert!(kinds.len() >= 5, "the standard kinds and the test's own");
        for kind in &kinds {
            let open = &kind.workflow.open;
            // A fixture user whose role may register it.
            let username = ["clerk", "mediator", "sifasuo", "officer", "handler_longtan"]
                .into_iter()
                .find(|u| t.town.user(u).actor.roles.iter().any(|r| open.roles.contains(r)))
                .unwrap_or_else(|| panic!("{}: no fixture user may register it", kind.slug));
            // Its form has an input for every field.
            let ok = t.app.login(username, fazhi_testkit::PASSWORD, fazhi_service::SessionKind::Web).await.unwrap();
            let req = axum::http::Request::builder()
                .uri(format!("/cases/{}/new", kind.slug))
                .header("cookie", format!("fazhi_session={}", ok.token))
                .body(axum::body::Body::empty())
                .unwrap();
            let (status, page) = t.send(req).await;
            assert_eq!(status, StatusCode::OK, "{}: registration page", kind.slug);
            let page = page.as_str().unwrap_or_default().to_string();
            for f in &open.fields {
                assert!(
                    page.contains(&format!("name=\"{}\"", f.name)),
                    "{}: field {} not on the form",
                    kind.slug,
                    f.name
                );
            }
            // The OpenAPI document describes its form.
            let schema = &doc["components"]["schemas"][format!("fields.{}", kind.slug)];
            for f in &open.fields {
                assert!(schema["properties"].get(f.name).is_some(), "{}: {} not in OpenAPI", kind.slug, f.name);
            }
            // Registered through the API with a value for each required field (then every field, if
            // the kind's rules want more), each value comes back: as sent, or masked when an identifier.
            let token = t.token(username).await;
            let mut answer = None;
            for all in [false, true] {
                let fields: Map<String, Json> = open
                    .fields
                    .iter()
                    .filter(|f| all || f.required)
                    .map(|f| (f.name.to_string(), sample(&t, f)))
                    .collect();
                let body = json!({"kind": kind.slug, "fields": fields, "confirm_new": true});
                let (status, body) = t.request(Method::POST, "/api/v1/cases", Some(&token), Some(body)).await;
                if status == StatusCode::CREATED {
                    answer = Some((fields, body));
                    break;
                }
            }
            let (sent, body) = answer.unwrap_or_else(|| panic!("{}: not registered through the API", kind.slug));
            let case = &body["case"];
            let id = case["id"].as_str().unwrap().to_string();
            let (_, detail) = t.request(Method::GET, &format!("/api/v1/cases/{id}"), Some(&token), None).await;
            let data = detail["case"]["data"].clone();
            for f in open.fields.iter().filter(|f| sent.contains_key(f.name)) {
                let back = &data[f.name];
                match f.kind {
                    FieldKind::IdCard | FieldKind::Phone => {
                        let shown = back.to_string();
                        assert!(
                            shown.contains('*') && !shown.contains(sent[f.name].as_str().unwrap()),
                            "{}: {}",
                            kind.slug,
                            f.name
                        );
                    }
                    FieldKind::Text { .. } | FieldKind::LongText { .. } | FieldKind::Choice { .. } => {
                        let top = case.get(f.name).filter(|v| !v.is_null());
                        assert!(
                            back == &sent[f.name] || top == Some(&sent[f.name]) || f.name == "title",
                            "{}: {} came back as {back}",
                            kind.slug,
                            f.name
                        );
                    }
                    _ => {}
                }
            }
            // It is in the list and in the export.
            let (_, list) =
                t.request(Method::GET, &format!("/api/v1/cases?kind={}", kind.slug), Some(&token), None).await;
            let receipt = case["receipt_no"].as_str().unwrap();
            assert!(list.to_string().contains(receipt), "{}: not listed", kind.slug);
            let p = t.principal(username).await;
            let filter = fazhi_service::CaseFilter { kind: Some(kind.slug.into()), ..Default::default() };
            let export = t.app.export_cases(&p, &filter).await.unwrap();
            assert!(export.rows >= 1, "{}: not exported", kind.slug);
        }
    }
}
