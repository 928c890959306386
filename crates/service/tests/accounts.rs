//! Logging in, locking, temporary passwords, sessions, and the events they leave.

use fazhi_service::admin::NewUser;
use fazhi_service::{AuditFilter, ServiceError, SessionKind};
use fazhi_testkit::{PASSWORD, TestApp};
use time::Duration;

#[tokio::test]
async fn five_failed_logins_lock_the_account_for_fifteen_minutes() {
    let t = TestApp::sqlite().await;
    for _ in 0..4 {
        assert!(matches!(t.app.login("clerk", "wrong", SessionKind::Api).await, Err(ServiceError::BadCredentials)));
    }
    let fifth = t.app.login("clerk", "wrong", SessionKind::Api).await.unwrap_err();
    assert!(matches!(fifth, ServiceError::Locked { .. }), "{fifth:?}");
    assert_eq!(fifth.to_string(), "账户已锁定，请于 2024-09-27 09:15 后再试，或联系安全管理员解锁");
    // Even the right password is refused while locked.
    assert!(matches!(t.app.login("clerk", PASSWORD, SessionKind::Api).await, Err(ServiceError::Locked { .. })));
    t.clock.advance(Duration::minutes(15));
    assert!(t.app.login("clerk", PASSWORD, SessionKind::Api).await.is_ok());
    // Each failure and the lock are in the audit log.
    let auditor = t.principal("auditor").await;
    let (events, _) = t
        .app
        .audit_log(&auditor, AuditFilter { action: Some("user.".into()), ..Default::default() }, 1, 100)
        .await
        .unwrap();
    let failed = events.iter().filter(|e| e.action == "user.login_failed").count();
    assert_eq!(failed, 5);
    assert!(events.iter().any(|e| e.action == "user.locked"));
}

#[tokio::test]
async fn an_unknown_user_and_a_wrong_password_get_the_same_answer() {
    let t = TestApp::sqlite().await;
    let a = t.app.login("nobody", "x", SessionKind::Api).await.unwrap_err();
    let b = t.app.login("clerk", "x", SessionKind::Api).await.unwrap_err();
    assert_eq!(a.to_string(), b.to_string());
    assert_eq!(a.code(), "bad_credentials");
    let empty = t.app.login("", "", SessionKind::Api).await.unwrap_err();
    assert_eq!(empty.to_string(), "用户名：不能为空；密码：不能为空");
}

#[tokio::test]
async fn a_temporary_password_must_be_changed_before_anything_else() {
    let t = TestApp::sqlite().await;
    let admin = t.principal("admin").await;
    let (user, temp) = t
        .app
        .create_user(
            &admin,
            NewUser {
                tenant: t.town.tenant,
                unit: t.town.unit("zzzx"),
                username: "newclerk".into(),
                display_name: "新受理员".into(),
                roles: vec![fazhi_domain::role::Role::IntakeClerk],
                password: None,
                must_change: false,
            },
        )
        .await
        .unwrap();
    assert!(user.must_change_password);
    let temp = temp.expect("a generated password");
    let ok = t.app.login("newclerk", &temp, SessionKind::Api).await.unwrap();
    let p = t.app.authenticate(&ok.token, SessionKind::Api).await.unwrap();
    let err = t.app.list(&p, &fazhi_service::CaseFilter::default(), 1, 10).await.unwrap_err();
    assert_eq!(err.code(), "password_change_required");
    // A weak new password is refused with the field named.
    let weak = t.app.change_password(&p, &temp, "12345678").await.unwrap_err();
    assert_eq!(weak.fields()[0].field, "new_password");
    t.app.change_password(&p, &temp, "Better@2024").await.unwrap();
    let p = t.app.authenticate(&ok.token, SessionKind::Api).await.unwrap();
    assert!(t.app.list(&p, &fazhi_service::CaseFilter::default(), 1, 10).await.is_ok());
}

#[tokio::test]
async fn an_idle_session_ends() {
    let t = TestApp::sqlite().await;
    let ok = t.app.login("clerk", PASSWORD, SessionKind::Api).await.unwrap();
    t.clock.advance(Duration::minutes(29));
    assert!(t.app.authenticate(&ok.token, SessionKind::Api).await.is_ok());
    t.clock.advance(Duration::minutes(29));
    assert!(t.app.authenticate(&ok.token, SessionKind::Api).await.is_ok(), "activity keeps it alive");
    t.clock.advance(Duration::minutes(31));
    assert!(matches!(t.app.authenticate(&ok.token, SessionKind::Api).await, Err(ServiceError::Unauthenticated)));
    // An API token is not a web session.
    let ok = t.app.login("clerk", PASSWORD, SessionKind::Api).await.unwrap();
    assert!(t.app.authenticate(&ok.token, SessionKind::Web).await.is_err());
}

#[tokio::test]
async fn administrator_roles_stand_alone_and_only_the_security_admin_grants_roles() {
    let t = TestApp::sqlite().await;
    let admin = t.principal("admin").await;
    let err = t
        .app
        .create_user(
            &admin,
            NewUser {
                tenant: t.town.tenant,
                unit: t.town.unit("zzzx"),
                username: "both".into(),
                display_name: "兼任".into(),
                roles: vec![fazhi_domain::role::Role::SysAdmin, fazhi_domain::role::Role::AuditAdmin],
                password: None,
                must_change: true,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "角色：系统管理员不能与其他角色兼任（三员分立）");
    let clerk_id = t.town.user("clerk").id;
    assert!(matches!(
        t.app.set_roles(&admin, clerk_id, &[fazhi_domain::role::Role::Leader]).await,
        Err(ServiceError::Forbidden(_))
    ));
    let security = t.principal("security").await;
    t.app.set_roles(&security, clerk_id, &[fazhi_domain::role::Role::Leader]).await.unwrap();
    t.app.set_locked(&security, clerk_id, true).await.unwrap();
    assert!(matches!(t.app.login("clerk", PASSWORD, SessionKind::Api).await, Err(ServiceError::Locked { .. })));
    t.app.set_locked(&security, clerk_id, false).await.unwrap();
    let p = t.principal("clerk").await;
    assert!(p.has_role(fazhi_domain::role::Role::Leader));
}

/// Every request reads its session afresh (on SQLite through the inline readers, `store/src/inline.rs`):
/// a logout, a lock or a change of roles takes effect at the very next request, on both backends.
#[tokio::test]
async fn logout_lock_and_new_roles_take_effect_at_the_next_request() {
    for db in fazhi_testkit::TestDb::all().await {
        let t = TestApp::on(db).await;
        let ok = t.app.login("clerk", PASSWORD, SessionKind::Api).await.unwrap();
        let p = t.app.authenticate(&ok.token, SessionKind::Api).await.unwrap();
        assert!(!p.has_role(fazhi_domain::role::Role::Leader));
        let security = t.principal("security").await;
        let clerk_id = t.town.user("clerk").id;
        t.app.set_roles(&security, clerk_id, &[fazhi_domain::role::Role::Leader]).await.unwrap();
        // New roles end the user's sessions; the next one carries them.
        assert!(matches!(t.app.authenticate(&ok.token, SessionKind::Api).await, Err(ServiceError::Unauthenticated)));
        let ok = t.app.login("clerk", PASSWORD, SessionKind::Api).await.unwrap();
        let p = t.app.authenticate(&ok.token, SessionKind::Api).await.unwrap();
        assert!(p.has_role(fazhi_domain::role::Role::Leader));
        t.app.logout(&p).await.unwrap();
        assert!(matches!(t.app.authenticate(&ok.token, SessionKind::Api).await, Err(ServiceError::Unauthenticated)));
        let ok = t.app.login("clerk", PASSWORD, SessionKind::Api).await.unwrap();
        assert!(t.app.authenticate(&ok.token, SessionKind::Api).await.is_ok());
        t.app.set_locked(&security, clerk_id, true).await.unwrap();
        assert!(matches!(t.app.authenticate(&ok.token, SessionKind::Api).await, Err(ServiceError::Unauthenticated)));
    }
}
