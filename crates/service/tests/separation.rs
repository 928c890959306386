//! The three administrators kept apart (等保 2.0 三员分立, GB/T 22239-2019 §8.1.4.2: least
//! privilege and separation of administrative roles), enforced by the service whatever the door:
//! the 系统管理员 creates accounts without roles or passwords, the 安全管理员 grants business roles
//! to others only, the 审计管理员 sees who did what to which case but not what the case says; no
//! administrator touches another's account; and none of them reaches case data alone. Also who
//! may read the annual report and the district comparison.

use fazhi_domain::role::Role;
use fazhi_service::admin::NewUser;
use fazhi_service::audit::AuditQuery;
use fazhi_service::{CaseFilter, ServiceError, SessionKind};
use fazhi_testkit::{PASSWORD, TestApp, TestDb};
use serde_json::{Map, Value as Json, json};
use time::Duration;

fn obj(v: Json) -> Map<String, Json> {
    v.as_object().cloned().expect("an object")
}

fn new_account(t: &TestApp, username: &str, roles: Vec<Role>) -> NewUser {
    NewUser {
        tenant: t.town.tenant,
        unit: t.town.unit("longtan"),
        username: username.into(),
        display_name: "陈新人".into(),
        roles,
        password: None,
        must_change: true,
    }
}

#[tokio::test]
async fn the_sys_admin_creates_an_account_without_roles_and_the_user_sets_the_password_by_a_one_time_link() {
    // 三员分立 (GB/T 22239-2019 §8.1.4.2): whoever creates an account neither knows its password
    // nor gives it powers. On both databases: the link lives in the store (migration 0009).
    for db in TestDb::all().await {
        let t = TestApp::on(db).await;
        let admin = t.principal("admin").await;
        let (user, link) = t.app.create_user(&admin, new_account(&t, "chenxr", vec![])).await.unwrap();
        assert!(user.roles.is_empty() && user.must_change_password);
        assert!(link.url.starts_with("/activate/") && link.token.len() >= 40, "{}", link.url);
        assert_eq!(link.expires_at, t.app.now_ms() + 72 * 3_600_000);
        // No password works before activation, not even an empty guess of the administrator.
        assert!(matches!(
            t.app.login_from("10.1.0.1", "chenxr", PASSWORD, SessionKind::Api).await,
            Err(ServiceError::BadCredentials)
        ));
        assert_eq!(t.app.activation_account(&link.token).await.unwrap().username, "chenxr");
        // The 安全管理员 issues the other half: the activation code.
        let security = t.principal("security").await;
        let (_, code) = t.app.issue_activation_code(&security, user.id).await.unwrap();
        // A weak or mistyped password leaves the link usable.
        let weak = t.app.activate("10.1.0.2", &link.token, &code, "12345678", "12345678").await.unwrap_err();
        assert_eq!(weak.fields()[0].field, "new_password");
        let typo = t.app.activate("10.1.0.2", &link.token, &code, "Chen@2024xr", "Chen@2024xx").await.unwrap_err();
        assert_eq!(typo.fields()[0].field, "confirm_password");
        t.app.activate("10.1.0.2", &link.token, &code, "Chen@2024xr", "Chen@2024xr").await.unwrap();
        let ok = t.app.login_from("10.1.0.2", "chenxr", "Chen@2024xr", SessionKind::Api).await.unwrap();
        let p = t.app.authenticate(&ok.token, SessionKind::Api).await.unwrap();
        assert!(p.user.roles.is_empty() && !p.user.must_change_password);
        assert!(p.scope.is_nothing(), "no role, no case");
        // The link works once.
        let again = t.app.activate("10.1.0.3", &link.token, &code, "Other@2024xr", "Other@2024xr").await.unwrap_err();
        assert_eq!(again.status(), 404);
        // The audit log says who issued it and from where it was used.
        let auditor = t.principal("auditor").await;
        let (events, _) = t
            .app
            .audit_log(&auditor, AuditQuery { action: Some("user.activat".into()), ..Default::default() }, 1, 50)
            .await
            .unwrap();
        let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["user.activated", "user.activation_code_issued", "user.activation_issued"]);
        assert_eq!(events[1].actor_username.as_deref(), Some("security"));
        assert_eq!(events[2].actor_username.as_deref(), Some("admin"));
        assert_eq!(events[0].address.as_deref(), Some("10.1.0.2"));
    }
}

#[tokio::test]
async fn an_activation_link_expires_and_a_new_one_replaces_the_old() {
    let t = TestApp::sqlite().await;
    let admin = t.principal("admin").await;
    let (user, first) = t.app.create_user(&admin, new_account(&t, "chenxr", vec![])).await.unwrap();
    let (_, second) = t.app.reset_password(&admin, user.id).await.unwrap();
    assert_eq!(t.app.activation_account(&first.token).await.unwrap_err().status(), 404, "replaced");
    t.clock.advance(Duration::hours(72));
    let e = t.app.activation_account(&second.token).await.unwrap_err();
    assert_eq!(e.to_string(), "激活链接无效、已使用或已过期，请联系系统管理员重新签发");
}

#[tokio::test]
async fn neither_the_sys_admin_nor_the_security_admin_can_take_over_an_account_alone() {
    // 三员分立 (GB/T 22239-2019 §8.1.4.2): a reset password and the link the 系统管理员 holds are
    // not enough to set a password; the 安全管理员's code is the other half and is useless
    // without the link. Wrong codes are counted and void the link. On both databases: the code
    // lives in the store (migration 0011).
    for db in TestDb::all().await {
        let t = TestApp::on(db).await;
        let admin = t.principal("admin").await;
        let security = t.principal("security").await;
        let clerk_id = t.town.user("clerk").id;
        let (_, link) = t.app.reset_password(&admin, clerk_id).await.unwrap();
        // The 系统管理员 alone: the link without a code sets nothing.
        let alone = t.app.activate("10.2.0.1", &link.token, "", "Taken@2024pw", "Taken@2024pw").await.unwrap_err();
        assert_eq!(alone.fields()[0].field, "activation_code", "{alone}");
        let guess = t.app.activate("10.2.0.1", &link.token, "AAAAAAAA", "Taken@2024pw", "Taken@2024pw").await;
        let e = guess.unwrap_err();
        assert_eq!(e.fields()[0].field, "activation_code");
        assert_eq!(e.to_string(), "激活码：安全管理员尚未为该账户签发激活码，请联系安全管理员");
        // Only the 安全管理员 issues codes; the 系统管理员 cannot.
        assert_eq!(t.app.issue_activation_code(&admin, clerk_id).await.unwrap_err().status(), 403);
        // A code for an account that has no live link is refused: the code alone opens nothing.
        let e = t.app.issue_activation_code(&security, t.town.user("handler_longtan").id).await.unwrap_err();
        assert_eq!(e.status(), 409, "{e}");
        let (_, code) = t.app.issue_activation_code(&security, clerk_id).await.unwrap();
        assert_eq!(code.len(), 8);
        // The 安全管理员 alone has no token: a made-up link opens nothing, with the right code.
        let forged = t.app.activate("10.2.0.2", "made-up-token", &code, "Taken@2024pw", "Taken@2024pw").await;
        assert_eq!(forged.unwrap_err().status(), 404);
        // Wrong codes are counted; the fifth voids the link, even for the right code afterwards.
        for left in (1..=4).rev() {
            let e = t.app.activate("10.2.0.1", &link.token, "WRONG234", "Taken@2024pw", "Taken@2024pw").await;
            assert_eq!(e.unwrap_err().to_string(), format!("激活码：不正确，还可尝试{left}次（用尽后激活链接作废）"));
        }
        let e = t.app.activate("10.2.0.1", &link.token, "WRONG234", "Taken@2024pw", "Taken@2024pw").await;
        assert_eq!(e.unwrap_err().status(), 404);
        let e = t.app.activate("10.2.0.3", &link.token, &code, "Taken@2024pw", "Taken@2024pw").await;
        assert_eq!(e.unwrap_err().status(), 404, "voided");
        assert!(t.app.login("clerk", "Taken@2024pw", SessionKind::Api).await.is_err());
        // A new link and a new code — both halves, from both administrators — and the user is in;
        // the code may be typed in lower case with a dash.
        let (_, link) = t.app.reset_password(&admin, clerk_id).await.unwrap();
        let (_, code) = t.app.issue_activation_code(&security, clerk_id).await.unwrap();
        let typed = format!("{}-{}", &code[..4], &code[4..]).to_lowercase();
        t.app.activate("10.2.0.4", &link.token, &typed, "Clerk@2024new", "Clerk@2024new").await.unwrap();
        assert!(t.app.login("clerk", "Clerk@2024new", SessionKind::Api).await.is_ok());
        // Each code issued is an audit event of the 安全管理员.
        let auditor = t.principal("auditor").await;
        let (events, _) = t
            .app
            .audit_log(
                &auditor,
                AuditQuery { action: Some("user.activation_code".into()), ..Default::default() },
                1,
                50,
            )
            .await
            .unwrap();
        assert_eq!(events.len(), 2);
        assert!(events.iter().all(|e| e.actor_username.as_deref() == Some("security")));
        let (voided, _) = t
            .app
            .audit_log(
                &auditor,
                AuditQuery { action: Some("user.activation_voided".into()), ..Default::default() },
                1,
                50,
            )
            .await
            .unwrap();
        assert_eq!(voided.len(), 1);
    }
}

#[tokio::test]
async fn the_sys_admin_may_not_grant_roles_or_set_a_password_at_creation() {
    // 三员分立: the 系统管理员 creates accounts without business roles; the service refuses, not
    // only the page.
    let t = TestApp::sqlite().await;
    let admin = t.principal("admin").await;
    for roles in [vec![Role::Leader], vec![Role::District], vec![Role::AuditAdmin]] {
        let e = t.app.create_user(&admin, new_account(&t, "grab", roles)).await.unwrap_err();
        assert_eq!(e.status(), 403);
        assert_eq!(e.to_string(), "系统管理员只能新建不带角色的账户，业务角色由安全管理员授予（三员分立）");
    }
    let mut with_password = new_account(&t, "grab", vec![]);
    with_password.password = Some("Known@2024pw".into());
    assert_eq!(t.app.create_user(&admin, with_password).await.unwrap_err().status(), 403);
    assert!(t.app.store().user_by_username("grab").await.unwrap().is_none(), "nothing was created");
    let security = t.principal("security").await;
    assert_eq!(t.app.create_user(&security, new_account(&t, "grab", vec![])).await.unwrap_err().status(), 403);
}

#[tokio::test]
async fn the_sys_admin_resets_a_password_by_link_and_never_an_administrators_or_their_own() {
    // 三员分立: the 系统管理员 could otherwise take over the auditor's account (the audit could then
    // be read and stopped by a non-audit administrator, §8.1.4.3).
    let t = TestApp::sqlite().await;
    let clerk = t.app.login("clerk", PASSWORD, SessionKind::Api).await.unwrap();
    let admin = t.principal("admin").await;
    let (_, link) = t.app.reset_password(&admin, t.town.user("clerk").id).await.unwrap();
    assert!(matches!(t.app.login("clerk", PASSWORD, SessionKind::Api).await, Err(ServiceError::BadCredentials)));
    assert!(t.app.authenticate(&clerk.token, SessionKind::Api).await.is_err(), "sessions ended");
    let security = t.principal("security").await;
    let (_, code) = t.app.issue_activation_code(&security, t.town.user("clerk").id).await.unwrap();
    t.app.activate("local", &link.token, &code, "Clerk@2024new", "Clerk@2024new").await.unwrap();
    assert!(t.app.login("clerk", "Clerk@2024new", SessionKind::Api).await.is_ok());
    for target in ["auditor", "security", "admin"] {
        let e = t.app.reset_password(&admin, t.town.user(target).id).await.unwrap_err();
        assert_eq!(e.status(), 403, "{target}: {e}");
    }
    assert_eq!(
        t.app.reset_password(&admin, t.town.user("auditor").id).await.unwrap_err().to_string(),
        "不能重置管理员账户：系统管理员、安全管理员、审计管理员的账户只能由安装运维人员在服务器上用命令行管理（三员分立）"
    );
    assert!(t.app.login("auditor", PASSWORD, SessionKind::Api).await.is_ok(), "the auditor's password is untouched");
    let security = t.principal("security").await;
    assert_eq!(t.app.reset_password(&security, t.town.user("clerk").id).await.unwrap_err().status(), 403);
    // Another town's user does not exist for this administrator.
    assert_eq!(t.app.reset_password(&admin, t.town.user("wq_clerk").id).await.unwrap_err().status(), 404);
}

#[tokio::test]
async fn the_security_admin_grants_business_roles_to_others_only() {
    // 三员分立: no administrator grants roles to themselves or to another administrator, and no
    // administrator role is granted on the web (the command line sets up the three).
    for db in TestDb::all().await {
        let t = TestApp::on(db).await;
        let security = t.principal("security").await;
        let me = t.town.user("security").id;
        let e = t.app.set_roles(&security, me, &[Role::Leader]).await.unwrap_err();
        assert_eq!((e.status(), e.to_string()), (403, "不能变更自己的角色（三员分立）".to_string()));
        let e = t.app.set_roles(&security, me, &[Role::District]).await.unwrap_err();
        assert_eq!(e.status(), 403, "not the hidden 区级监督 either");
        for admin_role in [Role::SysAdmin, Role::SecurityAdmin, Role::AuditAdmin] {
            let e = t.app.set_roles(&security, t.town.user("clerk").id, &[admin_role]).await.unwrap_err();
            assert_eq!(e.status(), 403, "{admin_role:?}");
            let e = t.app.set_roles(&security, t.town.user("clerk").id, &[admin_role, Role::Leader]).await.unwrap_err();
            assert_eq!(e.status(), 403, "an administrator role with a business role");
        }
        for other_admin in ["admin", "auditor"] {
            let e = t.app.set_roles(&security, t.town.user(other_admin).id, &[Role::Leader]).await.unwrap_err();
            assert_eq!(e.status(), 403, "{other_admin}");
            let e = t.app.set_locked(&security, t.town.user(other_admin).id, true).await.unwrap_err();
            assert_eq!(e.status(), 403, "locking the {other_admin} would stop their work");
        }
        // 区级监督 belongs to the district office: 422 for a town's user.
        let e = t.app.set_roles(&security, t.town.user("clerk").id, &[Role::District]).await.unwrap_err();
        assert_eq!((e.code(), e.status()), ("rule_violated", 422));
        // Business roles to a town's user are the security admin's to grant.
        t.app.set_roles(&security, t.town.user("clerk").id, &[Role::IntakeClerk, Role::Mediator]).await.unwrap();
        let stored = t.app.store().user(me).await.unwrap().unwrap();
        assert_eq!(stored.roles, [Role::SecurityAdmin], "nothing changed on the security admin");
    }
}

#[tokio::test]
async fn the_command_line_sets_up_administrators_but_never_with_a_business_role() {
    // 三员分立: an administrator role stands alone, whoever asks.
    let t = TestApp::sqlite().await;
    let system = fazhi_domain::case::Actor::system(t.town.tenant);
    let mut both = new_account(&t, "both", vec![Role::SysAdmin, Role::Leader]);
    both.unit = t.town.unit("zzzx");
    let e = t.app.create_user_as(&system, both).await.unwrap_err();
    assert_eq!(e.to_string(), "角色：系统管理员不能与其他角色兼任（三员分立）");
    let mut auditor2 = new_account(&t, "auditor2", vec![Role::AuditAdmin]);
    auditor2.unit = t.town.unit("zzzx");
    let (_, temp) = t.app.create_user_as(&system, auditor2).await.unwrap();
    assert!(temp.is_some(), "the command line prints the temporary password");
    let e = t.app.create_user_as(&system, new_account(&t, "dist", vec![Role::District])).await.unwrap_err();
    assert_eq!(e.status(), 422, "区级监督 is for the district office's accounts");
}

#[tokio::test]
async fn no_administrator_reaches_case_data_alone() {
    // 三员分立: the worst each administrator can do alone still shows them no case.
    let t = TestApp::sqlite().await;
    let clerk = t.principal("clerk").await;
    let case = t.app.open_case(&clerk, "work_order", &obj(TestApp::work_order_fields())).await.unwrap().case;
    let security = t.principal("security").await;
    let admin = t.principal("admin").await;
    // Each tries to widen their own powers; each is refused.
    assert!(t.app.set_roles(&security, t.town.user("security").id, &[Role::Leader]).await.is_err());
    assert!(t.app.create_user(&admin, new_account(&t, "myleader", vec![Role::Leader])).await.is_err());
    assert!(t.app.reset_password(&admin, t.town.user("security").id).await.is_err());
    for who in ["admin", "security", "auditor"] {
        let p = t.principal(who).await;
        assert!(p.scope.is_nothing(), "{who}");
        assert!(t.app.detail(&p, case.id).await.is_err(), "{who} reads no case");
        assert_eq!(t.app.list(&p, &CaseFilter::default(), 1, 10).await.map(|l| l.items.len()).unwrap_or(0), 0);
        assert_eq!(t.app.report_towns(&p).unwrap_err().status(), 403, "{who} reads no report");
        assert_eq!(t.app.compare_for(&p, 2024).await.unwrap_err().status(), 403);
    }
}

#[tokio::test]
async fn the_auditor_sees_who_did_what_to_which_case_but_not_what_the_case_says() {
    // 三员分立 with §8.1.4.3: each record has time, user, event type and the case — not its
    // content, names, phone numbers or the accuser of a 检举控告. On both databases.
    for db in TestDb::all().await {
        let t = TestApp::on(db).await;
        let clerk = t.principal("clerk").await;
        let handler = t.principal("handler_longtan").await;
        let c = t.app.open_case(&clerk, "work_order", &obj(TestApp::work_order_fields())).await.unwrap().case;
        let c = t
            .app
            .act(&clerk, c.id, "dispatch", &obj(json!({"unit": t.town.unit("longtan").to_string()})), c.version)
            .await
            .unwrap();
        let c = t.app.act(&handler, c.id, "sign", &obj(json!({})), c.version).await.unwrap();
        t.app
            .act(
                &handler,
                c.id,
                "reply",
                &obj(json!({"reply": "已更换路灯灯泡三只", "reply_method": "phone"})),
                c.version,
            )
            .await
            .unwrap();
        let mut accusation = TestApp::petition_fields("accusation");
        accusation["accused_unit"] = json!(t.town.unit("sfs").to_string());
        accusation["accused_persons"] = json!("司法所某工作人员");
        let p = t.app.open_case(&clerk, "petition", &obj(accusation)).await.unwrap().case;
        let auditor = t.principal("auditor").await;
        let (entries, _) = t.app.audit_log(&auditor, AuditQuery::default(), 1, 200).await.unwrap();
        let seen = format!("{entries:?}");
        for secret in [
            "龙潭村路灯不亮",
            "三盏路灯",
            "陈先生",
            "13812345678",
            "138****5678",
            "440524188001010014",
            "已更换路灯灯泡",
            "宅基地确权",
            "黄某",
            "13712345678",
            "司法所某工作人员",
        ] {
            assert!(!seen.contains(secret), "the auditor must not read “{secret}”");
        }
        let dispatch = entries.iter().find(|e| e.action == "dispatch").expect("the dispatch is logged");
        assert_eq!(dispatch.receipt_no.as_deref(), Some(c.receipt_no.as_str()));
        assert_eq!(dispatch.case_id, Some(c.id));
        assert_eq!(dispatch.actor_username.as_deref(), Some("clerk"));
        assert_eq!(
            (dispatch.from_state.as_deref(), dispatch.to_state.as_deref()),
            (Some("registered"), Some("dispatched"))
        );
        assert!(dispatch.details.is_empty());
        assert!(
            entries.iter().any(|e| e.receipt_no.as_deref() == Some(p.receipt_no.as_str())),
            "the accusation is logged by number"
        );
        // The auditor filters by username; an unknown one is named.
        let (by_handler, _) = t
            .app
            .audit_log(&auditor, AuditQuery { username: Some("handler_longtan".into()), ..Default::default() }, 1, 50)
            .await
            .unwrap();
        assert!(
            by_handler.iter().all(|e| e.actor_username.as_deref() == Some("handler_longtan")) && !by_handler.is_empty()
        );
        let e =
            t.app.audit_log(&auditor, AuditQuery { username: Some("ghost".into()), ..Default::default() }, 1, 50).await;
        assert_eq!(e.unwrap_err().to_string(), "操作人：没有这个用户名");
        // Nobody else reads the log.
        for who in ["admin", "security", "leader"] {
            let p = t.principal(who).await;
            assert_eq!(t.app.audit_log(&p, AuditQuery::default(), 1, 10).await.unwrap_err().status(), 403, "{who}");
        }
    }
}

#[tokio::test]
async fn the_auditor_sees_role_changes_by_account_and_role_names() {
    // §8.1.4.3: the security admin's grants are audited — who, to whom, from what to what. The
    // action code is a literal prefix (its `_` is no wildcard), on both databases.
    for db in TestDb::all().await {
        let t = TestApp::on(db).await;
        let security = t.principal("security").await;
        t.app.set_roles(&security, t.town.user("clerk").id, &[Role::Leader]).await.unwrap();
        let auditor = t.principal("auditor").await;
        let (entries, total) = t
            .app
            .audit_log(&auditor, AuditQuery { action: Some("user.roles_changed".into()), ..Default::default() }, 1, 10)
            .await
            .unwrap();
        assert_eq!(total, 1);
        let d = &entries[0].details;
        for want in [("账户", "clerk"), ("原角色", "受理员"), ("新角色", "领导")] {
            assert!(d.contains(&(want.0.to_string(), want.1.to_string())), "{want:?} in {d:?}");
        }
        assert_eq!(entries[0].actor_username.as_deref(), Some("security"));
        let (none, _) = t
            .app
            .audit_log(&auditor, AuditQuery { action: Some("user.roles%".into()), ..Default::default() }, 1, 10)
            .await
            .unwrap();
        assert!(none.is_empty(), "% is no wildcard either");
    }
}

#[tokio::test]
async fn the_annual_report_is_for_those_who_see_the_whole_town() {
    // GB/T 22239-2019 §8.1.4.2 least privilege: the report adds up every case of the town, so a
    // village's handler (who sees only the village) may not read it.
    let t = TestApp::sqlite().await;
    let town = t.app.tenant(t.town.tenant).unwrap();
    for who in ["handler_longtan", "grid_longtan", "mediator", "officer"] {
        let p = t.principal(who).await;
        let e = t.app.annual_report_for(&p, &town, 2024, true, None).await.unwrap_err();
        assert_eq!(e.status(), 403, "{who}");
        assert!(t.app.report_town(&p, None).is_err(), "{who}");
    }
    for who in ["leader", "sifasuo", "clerk", "reviewer", "advisor", "district"] {
        let p = t.principal(who).await;
        assert!(t.app.annual_report_for(&p, &town, 2024, true, None).await.is_ok(), "{who}");
    }
    let other = t.app.tenant(t.town.other_tenant).unwrap();
    let leader = t.principal("leader").await;
    assert_eq!(t.app.annual_report_for(&leader, &other, 2024, true, None).await.unwrap_err().status(), 403);
    assert!(t.app.annual_report_for(&t.principal("district").await, &other, 2024, true, None).await.is_ok());
}

#[tokio::test]
async fn the_district_comparison_is_the_districts_and_a_town_sees_only_itself_beside_the_district() {
    // Least privilege: other towns' rates are the district's to compare; a town's leader and
    // 司法所 see their own row beside the district's pooled figures and mean.
    let t = TestApp::sqlite().await;
    let district = t.app.compare_for(&t.principal("district").await, 2024).await.unwrap();
    let names: Vec<&str> = district.towns.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["鳌头镇", "温泉镇"]);
    for who in ["leader", "sifasuo"] {
        let c = t.app.compare_for(&t.principal(who).await, 2024).await.unwrap();
        let names: Vec<&str> = c.towns.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["鳌头镇"], "{who}");
        assert_eq!(c.district_pooled.len(), district.district_pooled.len());
        assert_eq!(c.town_mean, district.town_mean);
    }
    for who in ["clerk", "handler_longtan", "reviewer", "wq_clerk"] {
        let e = t.app.compare_for(&t.principal(who).await, 2024).await.unwrap_err();
        assert_eq!(e.status(), 403, "{who}");
    }
}
