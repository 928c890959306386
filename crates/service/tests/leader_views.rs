//! The leader's overview, the report's way to 定稿, and the auditor's log (issue 12 items 7–9), on
//! SQLite and, when configured, PostgreSQL: counts made here from a hand-made set.

#![allow(clippy::unwrap_used, clippy::expect_used)] // helpers outside #[test] functions

use fazhi_domain::ids::CaseId;
use fazhi_domain::metric::{Figure, Period};
use fazhi_domain::rate::Rate;
use fazhi_service::ServiceError;
use fazhi_service::audit::AuditQuery;
use fazhi_service::report_review::Stage;
use fazhi_testkit::{TestApp, TestDb};
use serde_json::{Map, Value as Json, json};
use time::macros::{date, datetime};

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().unwrap().clone()
}

/// Three work orders at 龙潭村 and one at 西塘村, registered on 2024-09-27; the first answered
/// on time; then two months pass (all four fall due, three overdue). Returns their ids and
/// receipt numbers.
async fn orders(t: &TestApp) -> Vec<(CaseId, String)> {
    let clerk = t.principal("clerk").await;
    let handler = t.principal("handler_longtan").await;
    let mut out = Vec::new();
    for (i, unit) in ["longtan", "longtan", "longtan", "xitang"].iter().enumerate() {
        let mut f = TestApp::work_order_fields();
        f["title"] = json!(format!("第{i}号路灯不亮"));
        f["caller_phone"] = json!(format!("1391234567{i}"));
        let mut fields = obj(f);
        fields.remove("caller_idcard");
        let c = t.app.open_case(&clerk, "work_order", &fields).await.unwrap().case;
        let c = t
            .app
            .act(&clerk, c.id, "dispatch", &obj(json!({"unit": t.town.unit(unit).to_string()})), c.version)
            .await
            .unwrap();
        if i == 0 {
            let c = t.app.act(&handler, c.id, "sign", &Map::new(), c.version).await.unwrap();
            let reply = obj(json!({"reply": "已修复。", "reply_method": "phone"}));
            t.app.act(&handler, c.id, "reply", &reply, c.version).await.unwrap();
        }
        out.push((c.id, c.receipt_no));
    }
    t.clock.set(datetime!(2024-11-26 09:00 +8));
    out
}

#[tokio::test]
async fn the_overview_has_a_row_per_kind_counted_within_the_readers_scope() {
    for db in TestDb::all().await {
        let t = TestApp::on(db).await;
        orders(&t).await;
        let period = Period { from: date!(2024 - 01 - 01), to: date!(2024 - 11 - 26) };
        let rounding = t.app.catalogue().rounding;
        let leader = t.principal("leader").await;
        let rows = t.app.dashboard_summary(&leader, period).await.unwrap();
        let slugs: Vec<&str> = rows.iter().map(|r| r.kind).collect();
        let registry: Vec<&str> = t.app.kinds().all().iter().map(|k| k.slug).collect();
        assert_eq!(slugs, registry, "one row per registered kind, in order");
        let wo = rows.iter().find(|r| r.kind == "work_order").unwrap();
        assert_eq!(wo.label, "12345工单");
        assert_eq!(wo.received.1, Figure::Count(4));
        assert_eq!((wo.in_progress, wo.overdue), (3, 3));
        let (m, rate) = wo.on_time_rate.as_ref().unwrap();
        assert_eq!(m.code, "work_order.on_time_rate");
        assert_eq!(rate.to_string(), Rate::new(1, 4, rounding).to_string());
        assert_eq!(rate.to_string(), "25.00%");
        // No case fell due: a rate with no denominator prints "—"; a kind without one has none.
        let petition = rows.iter().find(|r| r.kind == "petition").unwrap();
        assert_eq!(petition.on_time_rate.as_ref().unwrap().1.to_string(), "—");
        assert!(rows.iter().find(|r| r.kind == "dispute").unwrap().on_time_rate.is_none());
        // 西塘村's handler sees only 西塘村's order (scope in the store's SQL).
        let xitang = t.principal("handler_xitang").await;
        let rows = t.app.dashboard_summary(&xitang, period).await.unwrap();
        let wo = rows.iter().find(|r| r.kind == "work_order").unwrap();
        assert_eq!((wo.received.1, wo.in_progress, wo.overdue), (Figure::Count(1), 1, 1));
        assert_eq!(wo.on_time_rate.as_ref().unwrap().1.to_string(), Rate::new(0, 1, rounding).to_string());
        // The three administrators read no case data.
        let auditor = t.principal("auditor").await;
        assert!(matches!(t.app.dashboard_summary(&auditor, period).await, Err(ServiceError::Forbidden(_))));
    }
}

#[tokio::test]
async fn a_report_goes_from_draft_through_review_to_final_and_the_drafter_cannot_approve_it() {
    for db in TestDb::all().await {
        let t = TestApp::on(db).await;
        let town = t.app.town(Some("AT")).unwrap();
        let sifasuo = t.principal("sifasuo").await;
        let leader = t.principal("leader").await;
        let clerk = t.principal("clerk").await;
        let mut d = t.app.report_draft(&town, 2023).await.unwrap().draft;
        // Nothing saved: nothing to submit.
        assert!(matches!(t.app.submit_report(&sifasuo, 2023, 0).await, Err(ServiceError::WrongState(_))));
        d.problems = "一是力量不足。".into();
        assert_eq!(t.app.save_report_draft(&sifasuo, 2023, 0, &d).await.unwrap(), 1);
        // The leader saves a version too: the leader has drafted it now.
        d.plans = "一是加强培训。".into();
        assert_eq!(t.app.save_report_draft(&leader, 2023, 1, &d).await.unwrap(), 2);
        assert!(matches!(t.app.submit_report(&sifasuo, 2023, 1).await, Err(ServiceError::Stale { current: 2 })));
        assert!(matches!(t.app.submit_report(&clerk, 2023, 2).await, Err(ServiceError::Forbidden(_))));
        t.app.submit_report(&sifasuo, 2023, 2).await.unwrap();
        assert_eq!(t.app.report_review(&town, 2023).await.unwrap().stage, Stage::InReview { version: 2 });
        // In review: nobody edits; the 司法所 does not approve; the leader who drafted does not.
        assert!(matches!(t.app.save_report_draft(&sifasuo, 2023, 2, &d).await, Err(ServiceError::WrongState(_))));
        assert!(matches!(t.app.review_report(&sifasuo, 2023, true, "").await, Err(ServiceError::Forbidden(_))));
        let e = t.app.review_report(&leader, 2023, true, "").await.unwrap_err();
        assert!(matches!(e, ServiceError::Forbidden(_)) && e.to_string().contains("起草与审核分离"), "{e}");

        // Another town's… no: a second leader of this town, who did not draft it, reviews.
        let second = second_leader(&t).await;
        let e = t.app.review_report(&second, 2023, false, "  ").await.unwrap_err();
        assert_eq!(e.to_string(), "退回理由：请填写退回修改的理由");
        t.app.review_report(&second, 2023, false, "数据口径请再核对").await.unwrap();
        assert_eq!(t.app.report_review(&town, 2023).await.unwrap().stage, Stage::Drafting);
        t.app.submit_report(&sifasuo, 2023, 2).await.unwrap();
        t.clock.set(datetime!(2024-10-08 14:05 +8));
        t.app.review_report(&second, 2023, true, "").await.unwrap();
        let review = t.app.report_review(&town, 2023).await.unwrap();
        assert!(matches!(review.stage, Stage::Final { version: 2, .. }));
        let steps: Vec<(&str, &str)> = review.steps.iter().map(|s| (s.label.as_str(), s.by.as_str())).collect();
        assert_eq!(
            steps,
            [
                ("保存草稿", "司法所（司法所）"),
                ("保存草稿", "领导（鳌头镇人民政府）"),
                ("提交审核", "司法所（司法所）"),
                ("退回修改", "领导（综治中心）"),
                ("提交审核", "司法所（司法所）"),
                ("定稿", "领导（综治中心）"),
            ]
        );
        assert_eq!(review.steps[3].note, "数据口径请再核对");
        // Frozen, and the 落款 carries the date of 定稿.
        assert!(matches!(t.app.save_report_draft(&sifasuo, 2023, 2, &d).await, Err(ServiceError::WrongState(_))));
        t.clock.set(datetime!(2024-12-01 09:00 +8));
        let report = t.app.annual_report(&town, 2023, false, None).await.unwrap();
        let closing = report.closing.unwrap();
        assert_eq!((closing.issuer.as_str(), closing.date.as_str()), ("从化区鳌头镇人民政府", "2024年10月8日"));
        // A final report needs the whole year: 2024 cannot be made final in 2024.
        d.problems = "一是力量不足。".into();
        t.app.save_report_draft(&sifasuo, 2024, 0, &d).await.unwrap();
        t.app.submit_report(&sifasuo, 2024, 1).await.unwrap();
        let e = t.app.review_report(&second, 2024, true, "").await.unwrap_err();
        assert!(e.to_string().contains("2024年尚未结束"), "{e}");
    }
}

/// A second 领导 of 鳌头镇 (at 综治中心), who drafts nothing.
async fn second_leader(t: &TestApp) -> fazhi_service::Principal {
    let mut p = t.principal("leader").await;
    let unit = t.town.unit("zzzx");
    let mut rec = t.app.store().user(p.user.id).await.unwrap().unwrap();
    rec.id = fazhi_domain::ids::UserId::new();
    rec.username = "leader2".into();
    rec.display_name = "领导（综治中心）".into();
    rec.unit_id = unit;
    t.app.store().insert_user(&rec).await.unwrap();
    p = t.principal("leader2").await;
    p
}

#[tokio::test]
async fn the_auditor_filters_by_receipt_and_action_exports_what_is_filtered_and_verifies_the_own_town() {
    for db in TestDb::all().await {
        let t = TestApp::on(db).await;
        let cases = orders(&t).await;
        let auditor = t.principal("auditor").await;
        let q = |receipt: &str, action: Option<&str>| AuditQuery {
            receipt_no: Some(receipt.to_string()),
            action_code: action.map(str::to_string),
            ..Default::default()
        };
        // The first order: registered, dispatched, signed, answered — newest first, in Chinese.
        let (entries, total) = t.app.audit_log(&auditor, q(&cases[0].1, None), 1, 50).await.unwrap();
        assert_eq!(total, 4);
        let labels: Vec<&str> = entries.iter().map(|e| e.action_label.as_str()).collect();
        assert_eq!(labels, ["办结", "签收", "派单", "登记"]);
        assert!(entries.iter().all(|e| e.receipt_no.as_deref() == Some(cases[0].1.as_str())));
        assert_eq!(entries[2].transition(), "待派单 → 待签收");
        assert_eq!(entries[2].kind_label.as_deref(), Some("12345工单"));
        // By action, exactly; a receipt number of no case of the town matches nothing.
        let (entries, total) = t.app.audit_log(&auditor, q(&cases[3].1, Some("dispatch")), 1, 50).await.unwrap();
        assert_eq!((entries.len(), total), (1, 1));
        assert_eq!(t.app.audit_log(&auditor, q("AT-GD-1999-000001", None), 1, 50).await.unwrap().1, 0);
        // An end before the start is named.
        let bad = AuditQuery { from_ms: Some(2_000), to_ms: Some(1_000), ..Default::default() };
        assert_eq!(t.app.audit_log(&auditor, bad, 1, 50).await.unwrap_err().to_string(), "结束日期：不能早于开始日期");
        // The actions offered are named, each once.
        let actions = t.app.audit_actions(&auditor).await.unwrap();
        assert!(actions.iter().any(|(c, l)| c == "dispatch" && l == "派单"));
        assert!(actions.iter().all(|(_, l)| !l.contains('-')), "no ids in names: {actions:?}");
        // The export holds the filtered rows.
        let export = t.app.audit_export(&auditor, q(&cases[0].1, None)).await.unwrap();
        assert_eq!(export.rows, 4);
        // A step taken through a request records its address.
        let handler = t.principal("handler_longtan").await;
        let c = t.app.detail(&handler, cases[1].0).await.unwrap().case;
        fazhi_service::request::with_client_address(
            "10.2.0.8".into(),
            t.app.act(&handler, cases[1].0, "sign", &Map::new(), c.version),
        )
        .await
        .unwrap();
        let (entries, _) = t.app.audit_log(&auditor, q(&cases[1].1, Some("sign")), 1, 50).await.unwrap();
        assert_eq!(entries[0].address.as_deref(), Some("10.2.0.8"));
        // The verification: the whole chain, the auditor's own town only, itself recorded.
        let outcome = t.app.verify_for(&auditor).await.unwrap();
        assert!(outcome.is_whole());
        assert_eq!(outcome.tenants.len(), 1);
        assert_eq!(outcome.tenants[0].tenant.code, "AT");
        assert!(outcome.lines().iter().any(|l| l.starts_with("鳌头镇（AT）：事件链完整")));
        let verified = AuditQuery { action_code: Some("audit.verified".into()), ..Default::default() };
        let (entries, _) = t.app.audit_log(&auditor, verified, 1, 50).await.unwrap();
        assert_eq!(entries[0].details, [("结果".to_string(), "通过".to_string())]);
        // A bad line in the checkpoint file (here naming another town) is the operator's to read:
        // the town's auditor is told only that there is one, and the result is not whole.
        let path = t.app.config().checkpoint_path();
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        text.push_str("{\"tenant_code\":\"WQ\",\"seq\":\"坏\"}\n");
        std::fs::write(&path, text).unwrap();
        let outcome = t.app.verify_for(&auditor).await.unwrap();
        let shown = outcome.lines().join("\n");
        assert!(!shown.contains("WQ") && shown.contains("有 1 行无法识别"), "{shown}");
        assert!(!outcome.is_whole());
        let all = t.app.verify_all(&fazhi_service::audit::VerifyRequest::default(), |_, _| {}).await.unwrap();
        assert!(
            all.checkpoint_problems.iter().any(|p| p.contains("WQ") || p.contains("第")),
            "{:?}",
            all.checkpoint_problems
        );
        assert!(all.tenants.len() > 1, "the command line verifies every town");
        // Only the auditor.
        assert!(matches!(t.app.verify_for(&handler).await, Err(ServiceError::Forbidden(_))));
    }
}

/// Two approvals at the same moment: one finalises, the other finds nothing in review — the stage
/// is checked and moved under one lock, so the report is finalised once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_approvals_at_once_finalise_the_report_once() {
    for db in TestDb::all().await {
        let t = TestApp::on(db).await;
        let town = t.app.town(Some("AT")).unwrap();
        let sifasuo = t.principal("sifasuo").await;
        let leader = t.principal("leader").await;
        let second = second_leader(&t).await;
        let mut d = t.app.report_draft(&town, 2023).await.unwrap().draft;
        d.problems = "一是力量不足。".into();
        t.app.save_report_draft(&sifasuo, 2023, 0, &d).await.unwrap();
        t.app.submit_report(&sifasuo, 2023, 1).await.unwrap();
        t.clock.set(datetime!(2024-10-08 14:05 +8));
        let (a, b) =
            tokio::join!(t.app.review_report(&leader, 2023, true, ""), t.app.review_report(&second, 2023, true, ""));
        let done = [&a, &b].iter().filter(|r| r.is_ok()).count();
        assert_eq!(done, 1, "{a:?} {b:?}");
        assert!([&a, &b].iter().any(|r| matches!(r, Err(ServiceError::WrongState(_)))), "{a:?} {b:?}");
        let review = t.app.report_review(&town, 2023).await.unwrap();
        assert!(matches!(review.stage, Stage::Final { .. }));
        let finals = review.steps.iter().filter(|s| s.label == "定稿").count();
        assert_eq!(finals, 1, "one 定稿 in the record");
    }
}
