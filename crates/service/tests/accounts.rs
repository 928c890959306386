//! Logging in, throttling, temporary passwords, sessions, and the events they leave.

use fazhi_domain::role::Role;
use fazhi_service::admin::NewUser;
use fazhi_service::audit::AuditQuery;
use fazhi_service::{ServiceError, SessionKind};
use fazhi_testkit::{PASSWORD, TestApp};
use time::Duration;

async fn user_events(t: &TestApp) -> Vec<fazhi_service::audit::AuditEntry> {
    let auditor = t.principal("auditor").await;
    let (events, _) = t
        .app
        .audit_log(&auditor, AuditQuery { action: Some("user.".into()), ..Default::default() }, 1, 200)
        .await
        .expect("the auditor reads the log");
    events
}

#[tokio::test]
async fn five_failures_from_one_address_pause_that_address_on_that_account_and_nobody_else() {
    // GB/T 22239-2019 §8.1.4.1 b: limit failed attempts — by address and account, so that a
    // stranger guessing cannot lock the security administrator out.
    let t = TestApp::sqlite().await;
    for _ in 0..5 {
        let e = t.app.login_from("10.0.0.9", "security", "wrong", SessionKind::Api).await.unwrap_err();
        assert!(matches!(e, ServiceError::BadCredentials), "{e:?}");
    }
    let paused = t.app.login_from("10.0.0.9", "security", PASSWORD, SessionKind::Api).await.unwrap_err();
    assert!(matches!(paused, ServiceError::BadCredentials), "the right password from that address is not even checked");
    assert!(
        t.app.login_from("10.0.0.7", "security", PASSWORD, SessionKind::Api).await.is_ok(),
        "the security admin at their own desk still logs in"
    );
    assert!(t.app.login_from("10.0.0.9", "clerk", PASSWORD, SessionKind::Api).await.is_ok(), "other accounts");
    t.clock.advance(Duration::minutes(15));
    assert!(t.app.login_from("10.0.0.9", "security", PASSWORD, SessionKind::Api).await.is_ok(), "the window slid");
    // Each failure and the pause are in the audit log, with the address.
    let events = user_events(&t).await;
    let failed: Vec<_> = events.iter().filter(|e| e.action == "user.login_failed").collect();
    assert_eq!(failed.len(), 5);
    assert_eq!(failed[0].address.as_deref(), Some("10.0.0.9"), "{:?}", failed[0]);
    assert!(events.iter().any(|e| e.action == "user.login_throttled"));
    // Nothing was locked in the database: the account itself stays open.
    let sec = t.app.store().user(t.town.user("security").id).await.unwrap().unwrap();
    assert_eq!(sec.locked_until, None);
}

#[tokio::test]
async fn an_unknown_user_a_wrong_password_a_paused_attempt_and_a_locked_account_get_one_answer() {
    // GB/T 22239-2019 §8.1.4.1 b without username enumeration: the answer never tells whether a
    // username exists or is locked.
    let t = TestApp::sqlite().await;
    let security = t.principal("security").await;
    t.app.set_locked(&security, t.town.user("clerk").id, true).await.unwrap();
    let unknown = t.app.login_from("10.0.0.1", "nobody", "x", SessionKind::Api).await.unwrap_err();
    let wrong = t.app.login_from("10.0.0.2", "leader", "x", SessionKind::Api).await.unwrap_err();
    let locked = t.app.login_from("10.0.0.3", "clerk", "x", SessionKind::Api).await.unwrap_err();
    for _ in 0..5 {
        let _ = t.app.login_from("10.0.0.4", "nobody2", "x", SessionKind::Api).await;
    }
    let paused_unknown = t.app.login_from("10.0.0.4", "nobody2", "x", SessionKind::Api).await.unwrap_err();
    for e in [&unknown, &wrong, &locked, &paused_unknown] {
        assert_eq!((e.code(), e.status(), e.to_string()), (unknown.code(), 401, unknown.to_string()));
    }
    assert_eq!(unknown.to_string(), "用户名或密码不正确，或登录尝试过多已暂停，请稍后再试");
    // Only whoever knows the password learns that the account is locked.
    let right = t.app.login_from("10.0.0.3", "clerk", PASSWORD, SessionKind::Api).await.unwrap_err();
    assert_eq!(right.to_string(), "账户已被锁定，请联系安全管理员解锁");
    let empty = t.app.login("", "", SessionKind::Api).await.unwrap_err();
    assert_eq!(empty.to_string(), "用户名：不能为空；密码：不能为空");
}

#[tokio::test]
async fn one_address_trying_many_usernames_is_paused_for_every_name() {
    // §8.1.4.1 b: the throttle holds against one address walking through many usernames.
    let t = TestApp::sqlite().await;
    for i in 0..20 {
        let _ = t.app.login_from("203.0.113.5", &format!("guess{i}"), "x", SessionKind::Api).await;
    }
    assert!(matches!(
        t.app.login_from("203.0.113.5", "clerk", PASSWORD, SessionKind::Api).await,
        Err(ServiceError::BadCredentials)
    ));
    assert!(t.app.login_from("203.0.113.6", "clerk", PASSWORD, SessionKind::Api).await.is_ok());
}

#[tokio::test]
async fn a_guessing_attack_spread_over_many_addresses_does_not_lock_out_the_real_user() {
    // §8.1.4.1 b: past `account_threshold` failures from everywhere, only addresses the account
    // logged in from before may try it; the security admin's unlock forgets the count.
    let t = TestApp::sqlite().await;
    assert!(t.app.login_from("10.0.0.7", "leader", PASSWORD, SessionKind::Api).await.is_ok());
    for i in 0..50 {
        let _ = t.app.login_from(&format!("198.51.100.{i}"), "leader", "x", SessionKind::Api).await;
    }
    assert!(matches!(
        t.app.login_from("198.51.100.200", "leader", PASSWORD, SessionKind::Api).await,
        Err(ServiceError::BadCredentials)
    ));
    assert!(t.app.login_from("10.0.0.7", "leader", PASSWORD, SessionKind::Api).await.is_ok(), "the usual desk");
    let security = t.principal("security").await;
    t.app.set_locked(&security, t.town.user("leader").id, false).await.unwrap();
    assert!(t.app.login_from("198.51.100.200", "leader", PASSWORD, SessionKind::Api).await.is_ok());
}

#[tokio::test]
async fn the_current_password_check_of_a_password_change_is_throttled() {
    // §8.1.4.1 b: a stolen session is no oracle for the password behind it.
    let t = TestApp::sqlite().await;
    let p = t.principal("clerk").await;
    for _ in 0..5 {
        let e = t.app.change_password(&p, "Guess@2024", "Fresh@2024x").await.unwrap_err();
        assert_eq!(e.fields()[0].field, "current_password");
    }
    let e = t.app.change_password(&p, PASSWORD, "Fresh@2024x").await.unwrap_err();
    assert_eq!((e.code(), e.status()), ("too_many_attempts", 429), "not checked any more: {e}");
    assert_eq!(e.to_string(), "尝试次数过多，请15分钟后再试");
    assert!(user_events(&t).await.iter().any(|e| e.action == "user.password_check_throttled"));
    t.clock.advance(Duration::minutes(15));
    t.app.change_password(&p, PASSWORD, "Fresh@2024x").await.unwrap();
}

#[tokio::test]
async fn a_temporary_password_from_the_command_line_must_be_changed_before_anything_else() {
    let t = TestApp::sqlite().await;
    let system = fazhi_domain::case::Actor::system(t.town.tenant);
    let (user, temp) = t
        .app
        .create_user_as(
            &system,
            NewUser {
                tenant: t.town.tenant,
                unit: t.town.unit("zzzx"),
                username: "newclerk".into(),
                display_name: "新受理员".into(),
                roles: vec![Role::IntakeClerk],
                password: None,
                must_change: false,
            },
        )
        .await
        .unwrap();
    assert!(user.must_change_password);
    let temp = temp.expect("a generated password, printed by the command line only");
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
async fn only_the_security_admin_grants_business_roles_and_a_lock_holds_until_unlocked() {
    let t = TestApp::sqlite().await;
    let admin = t.principal("admin").await;
    let clerk_id = t.town.user("clerk").id;
    assert!(matches!(t.app.set_roles(&admin, clerk_id, &[Role::Leader]).await, Err(ServiceError::Forbidden(_))));
    let security = t.principal("security").await;
    t.app.set_roles(&security, clerk_id, &[Role::Leader]).await.unwrap();
    t.app.set_locked(&security, clerk_id, true).await.unwrap();
    assert!(matches!(t.app.login("clerk", PASSWORD, SessionKind::Api).await, Err(ServiceError::Locked)));
    t.app.set_locked(&security, clerk_id, false).await.unwrap();
    let p = t.principal("clerk").await;
    assert!(p.has_role(Role::Leader));
}

/// Every request reads its session afresh (on SQLite through the inline readers, `store/src/inline.rs`):
/// a logout, a lock or a change of roles takes effect at the very next request, on both backends.
#[tokio::test]
async fn logout_lock_and_new_roles_take_effect_at_the_next_request() {
    for db in fazhi_testkit::TestDb::all().await {
        let t = TestApp::on(db).await;
        let ok = t.app.login("clerk", PASSWORD, SessionKind::Api).await.unwrap();
        let p = t.app.authenticate(&ok.token, SessionKind::Api).await.unwrap();
        assert!(!p.has_role(Role::Leader));
        let security = t.principal("security").await;
        let clerk_id = t.town.user("clerk").id;
        t.app.set_roles(&security, clerk_id, &[Role::Leader]).await.unwrap();
        // New roles end the user's sessions; the next one carries them.
        assert!(matches!(t.app.authenticate(&ok.token, SessionKind::Api).await, Err(ServiceError::Unauthenticated)));
        let ok = t.app.login("clerk", PASSWORD, SessionKind::Api).await.unwrap();
        let p = t.app.authenticate(&ok.token, SessionKind::Api).await.unwrap();
        assert!(p.has_role(Role::Leader));
        t.app.logout(&p).await.unwrap();
        assert!(matches!(t.app.authenticate(&ok.token, SessionKind::Api).await, Err(ServiceError::Unauthenticated)));
        let ok = t.app.login("clerk", PASSWORD, SessionKind::Api).await.unwrap();
        assert!(t.app.authenticate(&ok.token, SessionKind::Api).await.is_ok());
        t.app.set_locked(&security, clerk_id, true).await.unwrap();
        assert!(matches!(t.app.authenticate(&ok.token, SessionKind::Api).await, Err(ServiceError::Unauthenticated)));
    }
}
