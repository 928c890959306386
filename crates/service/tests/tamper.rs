//! Issue 10 item 11 — a record nobody can rewrite: each tampering trial made with write access to
//! the database (and to the attachment files) makes `audit verify` fail and say what changed, on
//! both databases. The trials play an attacker: the append-only triggers are dropped first, foreign
//! keys are satisfied by hand.
//!
//! Every record is sealed by the last event about it (`store/src/records.rs`); events carry a MAC
//! under a key outside the database; signed checkpoints anchor each chain (`checkpoint.rs`).

use fazhi_domain::event::{Event, Seal};
use fazhi_domain::ids::CaseId;
use fazhi_service::App;
use fazhi_service::audit::{AuditOutcome, VerifyRequest};
use fazhi_testkit::{Backend, TestApp, TestDb};
use serde_json::{Map, Value as Json, json};

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().expect("object")
}

/// What the trials tamper with.
struct Scene {
    t: TestApp,
    /// Concluded on time, rated 满意, with a file attached at its reply, linked to `b`.
    a: String,
    a_id: CaseId,
    /// Dispatched, its clock running.
    b: String,
    b_id: CaseId,
    file_hash: String,
}

impl Scene {
    fn backend(&self) -> Backend {
        self.t.db.backend
    }

    fn app(&self) -> &App {
        &self.t.app
    }

    async fn sql(&self, sql: &str) {
        self.app().store().execute_raw(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// `UPDATE cases SET data = <data with key set to value>` for this backend.
    fn set_data(&self, receipt: &str, key: &str, value: &str) -> String {
        match self.backend() {
            Backend::Sqlite => {
                format!("UPDATE cases SET data = json_set(data, '$.{key}', '{value}') WHERE receipt_no = '{receipt}'")
            }
            Backend::Postgres => format!(
                "UPDATE cases SET data = jsonb_set(data, '{{{key}}}', '\"{value}\"') WHERE receipt_no = '{receipt}'"
            ),
        }
    }

    async fn verify(&self) -> AuditOutcome {
        self.app().verify_all(&VerifyRequest::default(), |_, _| {}).await.expect("verify")
    }
}

/// Every line `fazhi audit verify` would print about what is wrong.
fn findings(o: &AuditOutcome) -> Vec<String> {
    let mut out = o.checkpoint_problems.clone();
    for a in &o.tenants {
        if let Some(b) = &a.chain.broken {
            out.push(format!("{}：事件链断裂！{b}", a.tenant.code));
        }
        out.extend(a.chain.problems.iter().map(|p| format!("{}：{p}", a.tenant.code)));
        out.extend(a.files.iter().map(|p| format!("{}：{p}", a.tenant.code)));
    }
    out
}

/// Builds the scene on `db`, checks that it verifies whole, writes a checkpoint, and drops the
/// triggers that keep events append-only (as an attacker with the database would).
async fn scene(db: TestDb) -> Scene {
    let t = TestApp::on(db).await;
    let clerk = t.principal("clerk").await;
    let h = t.principal("handler_longtan").await;
    let longtan = t.town.unit("longtan").to_string();
    let a = t.app.open_case(&clerk, "work_order", &obj(TestApp::work_order_fields())).await.expect("open").case;
    let a = t.app.act(&clerk, a.id, "dispatch", &obj(json!({"unit": longtan})), a.version).await.expect("dispatch");
    let a = t.app.act(&h, a.id, "sign", &obj(json!({})), a.version).await.expect("sign");
    let photo = t.app.upload_bytes("现场照片.png", "image/png", b"\x89PNG fixed lamp").await.expect("staged");
    let a = t
        .app
        .act_with_files(
            &h,
            a.id,
            "reply",
            &obj(json!({"reply": "已修复", "reply_method": "phone"})),
            a.version,
            vec![photo],
        )
        .await
        .expect("reply");
    let a =
        t.app.act(&clerk, a.id, "callback", &obj(json!({"result": "satisfied"})), a.version).await.expect("callback");
    assert_eq!((a.data_str("on_time"), a.data_str("satisfaction")), (Some("yes"), Some("satisfied")));
    let mut fields = TestApp::work_order_fields();
    fields["title"] = json!("西塘村道路积水");
    let b = t.app.open_case(&clerk, "work_order", &obj(fields)).await.expect("open").case;
    let b = t.app.act(&clerk, b.id, "dispatch", &obj(json!({"unit": longtan})), b.version).await.expect("dispatch");
    t.app.link_cases(&clerk, a.id, b.id, "related", "同一路段").await.expect("link");
    let tenant = t.app.tenant(t.town.tenant).expect("tenant");
    let draft = t.app.report_draft(&tenant, 2024).await.expect("draft").draft;
    t.app
        .save_report_draft_as(&fazhi_domain::case::Actor::system(tenant.id), &tenant, 2024, 0, &draft)
        .await
        .expect("save draft");
    let file_hash = t.app.store().attachments_of_case(a.id).await.expect("attachments")[0].hash.clone();
    let clean = t.app.verify_all(&VerifyRequest::default(), |_, _| {}).await.expect("verify");
    assert!(clean.is_whole(), "an untouched database verifies: {:?}", findings(&clean));
    let (written, _) = t.app.checkpoint_now().await.expect("checkpoint");
    assert!(written.len() >= 2, "a checkpoint for each town and the district");
    let drop = match t.db.backend {
        Backend::Sqlite => "DROP TRIGGER events_no_update; DROP TRIGGER events_no_delete;",
        Backend::Postgres => "DROP TRIGGER events_no_update ON events; DROP TRIGGER events_no_delete ON events;",
    };
    t.app.store().execute_raw(drop).await.expect("drop triggers");
    Scene { a: a.receipt_no.clone(), a_id: a.id, b: b.receipt_no.clone(), b_id: b.id, t, file_hash }
}

/// Runs `tamper` on a fresh scene on each backend and checks that verification fails with a line
/// containing each of `expected`.
async fn trial<F>(expected: &[&str], tamper: F)
where
    F: AsyncFn(&Scene) -> Vec<String>,
{
    for db in TestDb::all().await {
        let s = scene(db).await;
        let mut wanted: Vec<String> = expected.iter().map(|e| (*e).to_string()).collect();
        wanted.extend(tamper(&s).await);
        let o = s.verify().await;
        let f = findings(&o);
        assert!(!o.is_whole(), "{:?}: verification must fail after tampering", s.backend());
        for w in &wanted {
            let w = w.replace("{A}", &s.a).replace("{B}", &s.b);
            assert!(f.iter().any(|l| l.contains(&w)), "{:?}: expected a line with “{w}” in {f:#?}", s.backend());
        }
    }
}

#[tokio::test]
async fn a_case_title_edited_in_the_database_is_named() {
    trial(&["AT：案件 {A}：标题与第 "], async |s| {
        s.sql(&format!("UPDATE cases SET title = '路灯已修好' WHERE receipt_no = '{}'", s.a)).await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn a_superseded_version_edited_in_the_database_is_named() {
    // A closed period's figures read the version in effect at its end (case_versions): editing one
    // would change them, so the case's seal covers its versions.
    trial(&["案件 {A}：历史版本"], async |s| {
        let sql = match s.backend() {
            Backend::Sqlite => format!(
                "UPDATE case_versions SET data = json_set(data, '$.on_time', 'yes'), state = 'visited' \
                 WHERE case_id = '{}' AND version = 4",
                s.a_id
            ),
            Backend::Postgres => format!(
                "UPDATE case_versions SET data = jsonb_set(data, '{{on_time}}', '\"yes\"'), state = 'visited' \
                 WHERE case_id = '{}' AND version = 4",
                s.a_id
            ),
        };
        s.sql(&sql).await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn a_superseded_version_deleted_in_the_database_is_named() {
    trial(&["案件 {A}：历史版本"], async |s| {
        s.sql(&format!("DELETE FROM case_versions WHERE case_id = '{}' AND version = 2", s.a_id)).await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn a_case_effective_date_moved_in_the_database_is_named() {
    // Moving when a version took effect would move the case between periods' figures.
    trial(&["案件 {A}：生效时间"], async |s| {
        s.sql(&format!("UPDATE cases SET effective_at = 0 WHERE receipt_no = '{}'", s.a)).await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn a_case_data_field_edited_in_the_database_is_named() {
    trial(&["案件 {A}：数据（content）与第 "], async |s| {
        s.sql(&s.set_data(&s.a, "content", "无")).await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn a_satisfaction_rating_edited_in_the_database_is_named() {
    // 满意率 would move: the rating is what the figure counts.
    trial(&["案件 {A}：数据（satisfaction）与第 "], async |s| {
        s.sql(&s.set_data(&s.a, "satisfaction", "unsatisfied")).await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn an_on_time_flag_edited_in_the_database_is_named() {
    // 按时办结率 would move.
    trial(&["案件 {A}：数据（on_time）与第 "], async |s| {
        s.sql(&s.set_data(&s.a, "on_time", "no")).await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn a_case_moved_to_another_unit_in_the_database_is_named() {
    trial(&["案件 {B}：承办单位、单位路径与第 "], async |s| {
        let x = s.t.town.units["xitang"].clone();
        s.sql(&format!(
            "UPDATE cases SET unit_id = '{}', unit_path = '{}' WHERE receipt_no = '{}'",
            x.id,
            x.path.as_str(),
            s.b
        ))
        .await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn case_dates_edited_in_the_database_are_named() {
    trial(&["案件 {A}：登记时间、办结时间与第 ", "案件 {B}：办理期限与第 "], async |s| {
        s.sql(&format!(
            "UPDATE cases SET opened_at = opened_at - 86400000, closed_at = closed_at - 86400000 WHERE receipt_no = '{}'",
            s.a
        ))
        .await;
        s.sql(&format!("UPDATE cases SET due_on = '2099-01-01' WHERE receipt_no = '{}'", s.b)).await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn a_deleted_case_row_is_found_by_its_events() {
    trial(&["案件记录已被删除", "案件 {A}：关联与第 "], async |s| {
        let b = s.b_id;
        s.sql(&format!(
            "DELETE FROM case_links WHERE from_case = '{b}' OR to_case = '{b}'; DELETE FROM party_index WHERE case_id = '{b}'; \
             DELETE FROM cases WHERE id = '{b}'"
        ))
        .await;
        vec![format!("案件 {b}：案件记录已被删除")]
    })
    .await;
}

/// Rewrites the whole chain from the first case event on: changes that event's payload and
/// re-links and re-hashes every event after it — with the MAC key, as an attacker who also stole
/// the key file would. Only the signed checkpoint, kept elsewhere, can tell.
#[tokio::test]
async fn a_rewritten_and_rehashed_chain_is_caught_by_the_signed_checkpoint() {
    trial(&["事件链断裂！", "与已签名的检查点不符"], async |s| {
        let key = s.app().checkpoint_key().chain_key();
        let chain = s.app().store().raw_chain(s.t.town.tenant).await.expect("chain");
        let first_case = chain.iter().position(|(e, _, _)| e.case_id.is_some()).expect("a case event");
        let mut prev = chain[first_case - 1].0.hash.clone();
        let mut sql = String::new();
        for (i, (e, seal, _)) in chain.into_iter().enumerate().skip(first_case) {
            let mut e: Event = e;
            if i == first_case {
                e.actor_name = "他人".into();
            }
            e.prev_hash = prev;
            e.hash = e.compute_sealed_hash(&seal);
            sql.push_str(&format!(
                "UPDATE events SET actor_name = '{}', prev_hash = '{}', hash = '{}', mac = '{}' WHERE id = '{}';",
                e.actor_name,
                e.prev_hash,
                e.hash,
                key.mac(&e.hash),
                e.id
            ));
            prev = e.hash.clone();
        }
        sql.push_str(&format!("UPDATE chain_heads SET hash = '{prev}' WHERE tenant_id = '{}';", s.t.town.tenant));
        s.sql(&sql).await;
        vec![]
    })
    .await;
}

/// An event appended by hand with a correct SHA-256 link, but no MAC: the key is not in the
/// database.
#[tokio::test]
async fn a_forged_appended_event_is_caught_by_its_missing_mac() {
    trial(&["事件链断裂！", "密钥校验码缺失或不符"], async |s| {
        let chain = s.app().store().raw_chain(s.t.town.tenant).await.expect("chain");
        let (last, _, _) = chain.last().expect("events").clone();
        let mut forged = Event {
            id: fazhi_domain::ids::EventId::new(),
            action: "callback".into(),
            action_label: "回访".into(),
            case_id: Some(s.b_id),
            payload: json!({"result": "satisfied"}),
            ..last.clone()
        };
        forged = forged.link_sealed(last.seq, &last.hash, &Seal::default());
        s.sql(&format!(
            "INSERT INTO events (id, tenant_id, seq, case_id, actor_id, actor_name, action, action_label, from_state, to_state, \
             payload, attachments, occurred_at, prev_hash, hash) VALUES ('{}', '{}', {}, '{}', NULL, '{}', '{}', '{}', NULL, NULL, \
             '{}', '[]', {}, '{}', '{}'); UPDATE chain_heads SET seq = {}, hash = '{}' WHERE tenant_id = '{}'",
            forged.id,
            forged.tenant_id,
            forged.seq,
            s.b_id,
            forged.actor_name,
            forged.action,
            forged.action_label,
            forged.payload,
            forged.occurred_at,
            forged.prev_hash,
            forged.hash,
            forged.seq,
            forged.hash,
            forged.tenant_id
        ))
        .await;
        vec![]
    })
    .await;
}

/// The newest events deleted and the head moved back to the one before them: the chain is
/// consistent in itself, but shorter than the checkpoint signed.
#[tokio::test]
async fn a_deleted_tail_with_its_head_rolled_back_is_caught_by_the_signed_checkpoint() {
    trial(&["事件链断裂！", "与已签名的检查点不符"], async |s| {
        let chain = s.app().store().raw_chain(s.t.town.tenant).await.expect("chain");
        let keep = &chain[chain.len() - 4].0;
        let t = s.t.town.tenant;
        s.sql(&format!(
            "DELETE FROM outbox WHERE event_id IN (SELECT id FROM events WHERE tenant_id = '{t}' AND seq > {seq}); \
             DELETE FROM events WHERE tenant_id = '{t}' AND seq > {seq}; \
             UPDATE chain_heads SET seq = {seq}, hash = '{hash}' WHERE tenant_id = '{t}'",
            seq = keep.seq,
            hash = keep.hash
        ))
        .await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn a_role_granted_in_the_database_is_named() {
    trial(&["用户 clerk：角色与第 "], async |s| {
        s.sql(&format!("INSERT INTO user_roles (user_id, role) VALUES ('{}', 'leader')", s.t.town.user("clerk").id))
            .await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn a_password_hash_replaced_in_the_database_is_named() {
    trial(&["用户 handler_longtan：密码与第 "], async |s| {
        s.sql("UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE username = 'admin') || 'x' WHERE username = 'handler_longtan'")
            .await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn a_report_draft_edited_in_the_database_is_named() {
    trial(&["2024 年度报告草稿第 1 版：正文与第 "], async |s| {
        s.sql("UPDATE report_drafts SET content = '{}'").await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn an_attachment_row_edited_in_the_database_is_named() {
    trial(&["案件 {A}：附件（第1项）与第 "], async |s| {
        s.sql("UPDATE attachments SET name = '无关.pdf'").await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn an_attachment_row_deleted_in_the_database_is_named() {
    trial(&["案件 {A}：附件与第 "], async |s| {
        s.sql("DELETE FROM attachments").await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn an_attachment_file_changed_on_disk_is_found_by_rehashing_it() {
    trial(&["案件 {A} 的附件", "磁盘上的文件内容已被改动"], async |s| {
        let path = s.t.db.dir.path().join("attachments").join(&s.file_hash[..2]).join(&s.file_hash);
        std::fs::write(&path, b"another picture").expect("write");
        vec![]
    })
    .await;
}

#[tokio::test]
async fn an_attachment_file_deleted_from_disk_is_found() {
    trial(&["磁盘上的文件已不存在"], async |s| {
        let path = s.t.db.dir.path().join("attachments").join(&s.file_hash[..2]).join(&s.file_hash);
        std::fs::remove_file(&path).expect("remove");
        vec![]
    })
    .await;
}

#[tokio::test]
async fn a_link_added_in_the_database_is_named_on_both_cases() {
    trial(&["案件 {A}：关联", "案件 {B}：关联"], async |s| {
        s.sql(&format!(
            "INSERT INTO case_links (id, tenant_id, from_case, to_case, relation, note, created_by, created_at) \
             VALUES ('01900000-0000-7000-8000-0000000000aa', '{}', '{}', '{}', 'merged', '', NULL, 0)",
            s.t.town.tenant, s.b_id, s.a_id
        ))
        .await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn a_link_deleted_in_the_database_is_named_on_both_cases() {
    trial(&["案件 {A}：关联与第 ", "案件 {B}：关联与第 "], async |s| {
        s.sql("DELETE FROM case_links").await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn a_unit_renamed_or_moved_in_the_database_is_named() {
    trial(&["单位 龙潭村委（", "名称与第 ", "上级单位、单位路径与第 "], async |s| {
        let xitang = s.t.town.unit("xitang");
        s.sql("UPDATE units SET name = '龙潭村委' WHERE code = 'longtan'").await;
        s.sql(&format!("UPDATE units SET parent_id = '{xitang}', path = path || '.moved' WHERE code = 'longtan-g1'"))
            .await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn a_party_index_row_edited_in_the_database_is_named() {
    trial(&["案件 {A}：当事人索引（"], async |s| {
        s.sql(&format!(
            "UPDATE party_index SET digest = 'deadbeef' WHERE case_id = '{}' AND kind = (SELECT MIN(kind) FROM party_index WHERE case_id = '{}')",
            s.a_id, s.a_id
        ))
        .await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn a_party_index_row_inserted_in_the_database_is_named() {
    // A digest planted to make a stranger's case come up as "the same person" at intake.
    trial(&["案件 {B}：当事人索引与第 "], async |s| {
        s.sql(&format!(
            "INSERT INTO party_index (tenant_id, case_id, kind, digest) VALUES ('{}', '{}', 'phone', 'deadbeef')",
            s.t.town.tenant, s.b_id
        ))
        .await;
        vec![]
    })
    .await;
}

#[tokio::test]
async fn a_user_or_unit_written_outside_the_chain_is_reported() {
    trial(&["没有任何事件记录它（在链外写入）"], async |s| {
        let clerk = s.t.town.user("clerk").id;
        s.sql(&format!(
            "INSERT INTO users (id, tenant_id, unit_id, username, display_name, password_hash, must_change_password, failed_logins, \
             disabled, created_at, password_changed_at) SELECT '01900000-0000-7000-8000-0000000000bb', tenant_id, unit_id, 'ghost', \
             '影子', password_hash, FALSE, 0, FALSE, 0, 0 FROM users WHERE id = '{clerk}'"
        ))
        .await;
        vec!["用户 ghost".into()]
    })
    .await;
}

#[tokio::test]
async fn a_calendar_file_edited_in_the_database_is_named() {
    const Y2027: &str =
        r#"{"year": 2027, "papers": ["test"], "days": [{"name": "元旦", "date": "2027-01-01", "isOffDay": true}]}"#;
    for db in TestDb::all().await {
        let s = scene(db).await;
        s.app().import_calendar(Y2027, "tester").await.expect("import");
        assert!(s.verify().await.is_whole(), "an imported year is sealed in every tenant's chain");
        s.sql("UPDATE calendar_years SET data = REPLACE(data, '01-01', '01-02')").await;
        let f = findings(&s.verify().await);
        assert!(f.iter().any(|l| l.contains("AT：2027 年节假日安排：日历文件与第 ")), "{:?}: {f:#?}", s.backend());
    }
}

#[tokio::test]
async fn the_fast_path_starts_at_the_last_checkpoint_and_still_checks_every_record() {
    for db in TestDb::all().await {
        let s = scene(db).await;
        let req = VerifyRequest { since_checkpoint: true, ..Default::default() };
        let o = s.app().verify_all(&req, |_, _| {}).await.expect("verify");
        let at = o.tenants.iter().find(|a| a.tenant.code == "AT").expect("AT");
        assert!(o.is_whole(), "{:?}", findings(&o));
        assert!(at.chain.started_after > 0 && at.chain.verified == 0, "nothing after the checkpoint: {:?}", at.chain);
        s.sql(&format!("UPDATE cases SET title = '改' WHERE receipt_no = '{}'", s.a)).await;
        let o = s.app().verify_all(&req, |_, _| {}).await.expect("verify");
        assert!(findings(&o).iter().any(|l| l.contains(&format!("案件 {}：标题", s.a))), "{:?}", findings(&o));
    }
}

#[tokio::test]
async fn a_checkpoint_file_edited_by_hand_is_reported() {
    for db in TestDb::all().await {
        let s = scene(db).await;
        let path = s.app().config().checkpoint_path();
        let text = std::fs::read_to_string(&path).expect("checkpoints");
        let edited = text.replacen("\"seq\":", "\"seq\":1", 1);
        std::fs::write(&path, edited).expect("write");
        let o = s.verify().await;
        assert!(!o.is_whole());
        assert!(o.checkpoint_problems.iter().any(|p| p.contains("签名无效")), "{:?}", o.checkpoint_problems);
    }
}

/// What verification costs: `FAZHI_VERIFY_CASES` (default 10,000) imported cases of six events each,
/// on SQLite, verified in full and from the last checkpoint; prints the times. Run by hand:
/// `cargo test --release -p fazhi-service --test tamper verify_cost -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "a measurement, run by hand"]
async fn verify_cost_at_scale() {
    let n: usize = std::env::var("FAZHI_VERIFY_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let c = t.app.open_case(&clerk, "work_order", &obj(TestApp::work_order_fields())).await.expect("open").case;
    let mut batch = fazhi_testkit::imported_copies(&c, n, "路灯");
    for item in &mut batch {
        let first = item.events[0].clone();
        for k in 1..6 {
            item.events.push(Event {
                id: fazhi_domain::ids::EventId::new(),
                action: format!("step{k}"),
                ..first.clone()
            });
        }
    }
    let started = std::time::Instant::now();
    for chunk in batch.chunks(2_000) {
        t.app.store().import_cases(chunk).await.expect("import");
    }
    let imported = started.elapsed();
    let started = std::time::Instant::now();
    let o = t.app.verify_all(&VerifyRequest::default(), |_, _| {}).await.expect("verify");
    let full = started.elapsed();
    assert!(o.is_whole(), "{:?}", findings(&o));
    t.app.checkpoint_now().await.expect("checkpoint");
    let started = std::time::Instant::now();
    let req = VerifyRequest { since_checkpoint: true, ..Default::default() };
    let o = t.app.verify_all(&req, |_, _| {}).await.expect("verify");
    let fast = started.elapsed();
    assert!(o.is_whole(), "{:?}", findings(&o));
    let events: u64 = o.tenants.iter().map(|a| a.chain.started_after.max(0).unsigned_abs()).sum();
    println!(
        "{n} cases, {events} events: import {:.1} s; verify full {:.2} s; since checkpoint {:.2} s",
        imported.as_secs_f64(),
        full.as_secs_f64(),
        fast.as_secs_f64()
    );
}
