//! Tenants, units and users, under the separation of the three administrators (等保 2.0 三员分立,
//! GB/T 22239-2019 §8.1.4.2: least privilege, separation of administrative roles). None of the
//! three reads a case, and none can reach case data alone:
//!
//! | who | may | may not |
//! | --- | --- | --- |
//! | 系统管理员 `sys_admin` | create units; create accounts **without roles**; issue a one-time activation link (a new account, or a password reset) | grant any role; see or set a password; act on an administrator's account, their own included |
//! | 安全管理员 `security_admin` | grant and withdraw **business** roles of others; lock and unlock them | grant an administrator role; change their own roles; act on an administrator's account |
//! | 审计管理员 `audit_admin` | read the audit log: who, when, which case, which action, which state change | read what a case says |
//! | the command line (the installation's operator, at the server) | create the administrators' accounts (`fazhi user add --role sys_admin`); reset any password (`fazhi user passwd`, which prints a temporary one) | — |
//!
//! No administrator ever sees a password: an account made on the web has none until its user
//! opens the activation link the 系统管理员 handed over and sets one ([`App::activate`]). Every
//! change is an event in the tenant's chain.

use fazhi_domain::FieldError;
use fazhi_domain::case::Actor;
use fazhi_domain::ids::{TenantId, UnitId, UserId};
use fazhi_domain::role::Role;
use fazhi_domain::time_util::fmt_minute_ms;
use fazhi_domain::unit::{Unit, UnitCode, UnitKind, UnitPath};
use fazhi_domain::values;
use fazhi_store::{Tenant, TenantKind, UserRecord};
use serde_json::json;

use crate::auth::{check_password_policy, random_token, temporary_password, token_hash};
use crate::{App, Principal, Result, ServiceError};

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub tenant: TenantId,
    pub unit: UnitId,
    pub username: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    /// `None`: generate a temporary password.
    pub password: Option<String>,
    /// Ask for a new password at first login.
    pub must_change: bool,
}

/// The stored password hash of an account that has none yet (awaiting activation, or reset by
/// the 系统管理员): it parses as no hash, so no password matches it.
pub(crate) const NO_PASSWORD: &str = "!awaiting-activation";

/// A one-time link with which a user sets their own password.
#[derive(Debug, Clone)]
pub struct Activation {
    /// The secret part, shown once; only its hash is stored.
    pub token: String,
    /// `/activate/<token>` on this server.
    pub path: String,
    /// The whole link: the configured public address and the path (the path alone without one).
    pub url: String,
    pub expires_at: i64,
}

/// Where an account stands, as the administrators' list and the command line say it.
pub fn account_status(u: &UserRecord, now: i64) -> String {
    match (u.disabled, u.locked_until) {
        (true, _) => "已停用".into(),
        (false, Some(t)) if t > now => {
            if t == i64::MAX {
                "已锁定".into()
            } else {
                format!("锁定至 {}", fmt_minute_ms(t))
            }
        }
        _ if u.password_hash == NO_PASSWORD => "待激活（尚未设置密码）".into(),
        _ if u.must_change_password => "待修改临时密码".into(),
        _ if u.roles.is_empty() => "未分配角色".into(),
        _ => "正常".into(),
    }
}

fn check_username(u: &str) -> Result<()> {
    let ok = (3..=32).contains(&u.len())
        && u.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ServiceError::field("username", "用户名", "应为3至32位小写字母、数字或 _ . -"))
    }
}

/// The 区级监督 role reads every town of a district: it belongs to the district office's accounts,
/// and they hold nothing else but an administrator role.
fn check_roles_fit(tenant: Option<&Tenant>, roles: &[Role]) -> Result<()> {
    let district_office = tenant.is_some_and(|t| t.kind == TenantKind::District);
    if roles.contains(&Role::District) && !district_office {
        return Err(ServiceError::Rule("区级监督角色只能授予区级单位（区司法局、区依法治区办）的账户".into()));
    }
    if district_office && let Some(r) = roles.iter().find(|r| **r != Role::District && !r.is_admin()) {
        return Err(ServiceError::Rule(format!("区级单位的账户不能持有镇（街道）的{}角色", r.label())));
    }
    Ok(())
}

/// Refuses an administrator acting on their own account or on another administrator's (三员分立:
/// each administrator is kept in check by the others, so none may change them).
fn refuse_admin_target(p: &Principal, target: &UserRecord, what: &str) -> Result<()> {
    if target.id == p.user.id {
        return Err(ServiceError::Forbidden(format!("不能{what}自己的账户（三员分立）")));
    }
    if target.roles.iter().any(|r| r.is_admin()) {
        return Err(ServiceError::Forbidden(format!(
            "不能{what}管理员账户：系统管理员、安全管理员、审计管理员的账户只能由安装运维人员在服务器上用命令行管理（三员分立）"
        )));
    }
    Ok(())
}

impl App {
    /// Creates a tenant (a town, or a district office). System task.
    ///
    /// # Errors
    /// A taken code, bad input.
    pub async fn create_tenant(
        &self,
        code: &str,
        name: &str,
        kind: TenantKind,
        parent: Option<TenantId>,
    ) -> Result<Tenant> {
        let mut errors = Vec::new();
        if !(1..=8).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_uppercase()) {
            errors.push(FieldError::new("code", "代码", "应为1至8位大写字母，如 AT"));
        }
        if let Err(e) = values::text(name, 50, true) {
            errors.push(e.at("name", "名称"));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let t = Tenant {
            id: TenantId::new(),
            code: code.into(),
            name: name.trim().into(),
            kind,
            parent_id: parent,
            created_at: self.now_ms(),
        };
        self.store().insert_tenant(&t).await?;
        self.reload_units().await?;
        Ok(t)
    }

    /// Creates a unit under `parent` (or the tenant's root unit when `parent` is `None`).
    ///
    /// # Errors
    /// Bad input, a unit kind that cannot sit under the parent, a taken code.
    pub async fn create_unit_as(
        &self,
        actor: &Actor,
        tenant: TenantId,
        parent: Option<UnitId>,
        code: &str,
        name: &str,
        kind: UnitKind,
    ) -> Result<Unit> {
        let mut errors = Vec::new();
        let code = UnitCode::parse(code).map_err(|e| e.at("code", "单位代码"));
        if let Err(e) = &code {
            errors.push(e.clone());
        }
        let name = values::text(name, 50, true).map_err(|e| e.at("name", "单位名称"));
        if let Err(e) = &name {
            errors.push(e.clone());
        }
        let parent = match parent {
            None => None,
            Some(id) => match self.unit(id).filter(|u| u.tenant_id == tenant) {
                Some(u) => Some(u),
                None => {
                    errors.push(FieldError::new("parent", "上级单位", "不存在或不属于本镇（街道）"));
                    None
                }
            },
        };
        if let Some(p) = &parent
            && !p.kind.may_contain(kind)
        {
            errors.push(FieldError::new("kind", "单位类型", format!("{}下不能设立{}", p.kind.label(), kind.label())));
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let (Ok(code), Ok(Some(name))) = (code, name) else { return Err(ServiceError::internal("unreachable")) };
        let path = parent.as_ref().map_or_else(|| UnitPath::root(&code), |p| p.path.child(&code));
        let unit =
            Unit { id: UnitId::new(), tenant_id: tenant, parent_id: parent.map(|p| p.id), kind, code, name, path };
        self.store().insert_unit(&unit, self.now_ms()).await.map_err(|e| match e {
            fazhi_store::StoreError::Conflict(_) => ServiceError::field("code", "单位代码", "已被使用"),
            other => other.into(),
        })?;
        let ev = self.event(actor, "unit.created", "新建单位", json!({"unit_id": unit.id.to_string(), "code": unit.code.as_str(), "name": unit.name, "path": unit.path.as_str()}));
        self.store().append_event(ev).await?;
        self.reload_units().await?;
        Ok(unit)
    }

    /// Creates a unit as the 系统管理员 of the tenant.
    ///
    /// # Errors
    /// 403 for other roles, as [`App::create_unit_as`] otherwise.
    pub async fn create_unit(
        &self,
        p: &Principal,
        parent: Option<UnitId>,
        code: &str,
        name: &str,
        kind: UnitKind,
    ) -> Result<Unit> {
        p.require(&[Role::SysAdmin])?;
        self.create_unit_as(&p.actor, p.user.tenant_id, parent, code, name, kind).await
    }

    /// The field errors of a new user's username, name and unit.
    fn check_new_user(&self, new: &NewUser) -> (Vec<FieldError>, String) {
        let mut errors = Vec::new();
        if let Err(ServiceError::Invalid(e)) = check_username(&new.username) {
            errors.extend(e);
        }
        let name = match values::text(&new.display_name, 50, true) {
            Ok(n) => n.unwrap_or_default(),
            Err(e) => {
                errors.push(e.at("display_name", "姓名"));
                String::new()
            }
        };
        if let Err(e) = Role::check_combination(&new.roles) {
            errors.push(e.at("roles", "角色"));
        }
        if self.unit(new.unit).filter(|u| u.tenant_id == new.tenant).is_none() {
            errors.push(FieldError::new("unit", "所属单位", "不存在或不属于该镇（街道）"));
        }
        (errors, name)
    }

    async fn insert_new_user(
        &self,
        actor: &Actor,
        new: &NewUser,
        display_name: String,
        password_hash: String,
        must_change: bool,
    ) -> Result<UserRecord> {
        let now = self.now_ms();
        let user = UserRecord {
            id: UserId::new(),
            tenant_id: new.tenant,
            unit_id: new.unit,
            username: new.username.clone(),
            display_name,
            password_hash,
            must_change_password: must_change,
            failed_logins: 0,
            locked_until: None,
            disabled: false,
            created_at: now,
            password_changed_at: now,
            last_login_at: None,
            roles: new.roles.clone(),
        };
        self.store().insert_user(&user).await.map_err(|e| match e {
            fazhi_store::StoreError::Conflict(_) => ServiceError::field("username", "用户名", "已被使用"),
            other => other.into(),
        })?;
        let roles: Vec<&str> = user.roles.iter().map(|r| r.code()).collect();
        let ev = self.event(
            actor,
            "user.created",
            "新建用户",
            json!({"user_id": user.id.to_string(), "username": user.username, "roles": roles}),
        );
        self.store().append_event(ev).await?;
        Ok(user)
    }

    /// Creates a user as the installation's operator (the command line): any roles that may be
    /// held together, the three administrators' accounts included. Returns the user and the
    /// temporary password when one was generated (printed by the command line only).
    ///
    /// # Errors
    /// Bad input (each field named), roles that may not be combined, the 区级监督 role outside a
    /// district office (422), a taken username.
    pub async fn create_user_as(&self, actor: &Actor, new: NewUser) -> Result<(UserRecord, Option<String>)> {
        let (mut errors, name) = self.check_new_user(&new);
        let (password, generated) = match &new.password {
            Some(pw) => (pw.clone(), None),
            None => {
                let t = temporary_password();
                (t.clone(), Some(t))
            }
        };
        if let Err(ServiceError::Invalid(e)) = check_password_policy(&password, &new.username, "password") {
            errors.extend(e);
        }
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        check_roles_fit(self.tenant(new.tenant).as_ref(), &new.roles)?;
        let hash = self.hash_password(&password)?;
        let user = self.insert_new_user(actor, &new, name, hash, new.must_change || generated.is_some()).await?;
        Ok((user, generated))
    }

    /// Creates an account of the 系统管理员's tenant, without roles and without a password: the
    /// user sets their password through the returned activation link, which the 系统管理员 hands
    /// over; the 安全管理员 grants the business roles (三员分立: whoever creates an account neither
    /// knows its password nor gives it powers).
    ///
    /// # Errors
    /// 403 for other roles, for roles asked at creation and for a password set by the
    /// administrator; bad input (each field named); a taken username.
    pub async fn create_user(&self, p: &Principal, mut new: NewUser) -> Result<(UserRecord, Activation)> {
        p.require(&[Role::SysAdmin])?;
        if !new.roles.is_empty() {
            return Err(ServiceError::Forbidden(
                "系统管理员只能新建不带角色的账户，业务角色由安全管理员授予（三员分立）".into(),
            ));
        }
        if new.password.is_some() {
            return Err(ServiceError::Forbidden("管理员不设置用户的密码：用户通过激活链接自行设置（三员分立）".into()));
        }
        new.tenant = p.user.tenant_id;
        let (errors, name) = self.check_new_user(&new);
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        let user = self.insert_new_user(&p.actor, &new, name, NO_PASSWORD.to_string(), true).await?;
        let activation = self.new_activation(&p.actor, &user, "user.activation_issued", "签发激活链接").await?;
        Ok((user, activation))
    }

    async fn user_in_tenant(&self, p: &Principal, id: UserId) -> Result<UserRecord> {
        self.store()
            .user(id)
            .await?
            .filter(|u| u.tenant_id == p.user.tenant_id)
            .ok_or_else(|| ServiceError::NotFound("用户不存在".into()))
    }

    /// Stores a fresh activation link for `user` (replacing any earlier one) and records who
    /// issued it.
    async fn new_activation(&self, actor: &Actor, user: &UserRecord, action: &str, label: &str) -> Result<Activation> {
        let token = random_token();
        let now = self.now_ms();
        let expires_at = now + i64::from(self.config().security.activation_hours) * 3_600_000;
        self.store().replace_activation(user.id, &token_hash(&token), now, expires_at).await?;
        let ev = self.event(
            actor,
            action,
            label,
            json!({"user_id": user.id.to_string(), "username": user.username, "expires_at": expires_at}),
        );
        self.store().append_event(ev).await?;
        let path = format!("/activate/{token}");
        Ok(Activation { url: format!("{}{path}", self.config().public_url()), path, token, expires_at })
    }

    /// Resets a user's password as the 系统管理员: the old password stops working at once, the
    /// user's sessions end, and the user sets a new one through the returned activation link.
    /// The administrator never learns it.
    ///
    /// # Errors
    /// 403 for other roles, for one's own account and for an administrator's account (reset at the
    /// command line only: `fazhi user passwd`); 404 for a user of another tenant.
    pub async fn reset_password(&self, p: &Principal, id: UserId) -> Result<(UserRecord, Activation)> {
        p.require(&[Role::SysAdmin])?;
        let user = self.user_in_tenant(p, id).await?;
        refuse_admin_target(p, &user, "重置")?;
        self.store().set_password(user.id, NO_PASSWORD, true, self.now_ms()).await?;
        self.store().delete_sessions_of(user.id).await?;
        let activation =
            self.new_activation(&p.actor, &user, "user.password_reset", "重置密码（签发激活链接）").await?;
        Ok((user, activation))
    }

    /// Sets a temporary password (the user must change it at next login) and ends their sessions.
    /// Returns the password. The installation's operator at the command line only: on the web a
    /// reset goes through [`App::reset_password`] and no administrator sees a password.
    ///
    /// # Errors
    /// An unknown user; a password that breaks the policy.
    pub async fn reset_password_as(
        &self,
        actor: &Actor,
        user: &UserRecord,
        password: Option<String>,
    ) -> Result<String> {
        let pw = password.unwrap_or_else(temporary_password);
        check_password_policy(&pw, &user.username, "password")?;
        let hash = self.hash_password(&pw)?;
        self.store().set_password(user.id, &hash, true, self.now_ms()).await?;
        self.store().delete_sessions_of(user.id).await?;
        self.store().delete_activations_of(user.id).await?;
        let ev = self.event(
            actor,
            "user.password_reset",
            "重置密码",
            json!({"user_id": user.id.to_string(), "username": user.username}),
        );
        self.store().append_event(ev).await?;
        Ok(pw)
    }

    /// Replaces the business roles of another user (安全管理员).
    ///
    /// # Errors
    /// 403 for other roles, for one's own account, for an administrator's account and for an
    /// administrator role (granted at the command line only); 422 for the 区级监督 role outside
    /// a district office; roles that may not be combined.
    pub async fn set_roles(&self, p: &Principal, id: UserId, roles: &[Role]) -> Result<()> {
        p.require(&[Role::SecurityAdmin])?;
        let user = self.user_in_tenant(p, id).await?;
        if user.id == p.user.id {
            return Err(ServiceError::Forbidden("不能变更自己的角色（三员分立）".into()));
        }
        refuse_admin_target(p, &user, "变更角色于")?;
        if let Some(admin) = roles.iter().find(|r| r.is_admin()) {
            return Err(ServiceError::Forbidden(format!(
                "安全管理员只能授予业务角色，不能授予{}：三名管理员由安装运维人员在命令行设置（三员分立）",
                admin.label()
            )));
        }
        Role::check_combination(roles).map_err(|e| ServiceError::Invalid(vec![e.at("roles", "角色")]))?;
        check_roles_fit(self.tenant(user.tenant_id).as_ref(), roles)?;
        self.store().set_roles(id, roles).await?;
        self.store().delete_sessions_of(id).await?;
        let codes: Vec<&str> = roles.iter().map(|r| r.code()).collect();
        let before: Vec<&str> = user.roles.iter().map(|r| r.code()).collect();
        let ev = self.event(
            &p.actor,
            "user.roles_changed",
            "变更角色",
            json!({"user_id": id.to_string(), "username": user.username, "before": before, "after": codes}),
        );
        self.store().append_event(ev).await?;
        Ok(())
    }

    /// Locks an account indefinitely, or unlocks it (安全管理员). Unlocking also forgets the
    /// failed logins counted against the account's name.
    ///
    /// # Errors
    /// 403 for other roles, for one's own account and for an administrator's account (the audit
    /// cannot be stopped by locking the auditor: §8.1.4.3); an unknown user.
    pub async fn set_locked(&self, p: &Principal, id: UserId, locked: bool) -> Result<()> {
        p.require(&[Role::SecurityAdmin])?;
        let user = self.user_in_tenant(p, id).await?;
        refuse_admin_target(p, &user, if locked { "锁定" } else { "解锁" })?;
        self.store().set_lock(id, locked.then_some(i64::MAX)).await?;
        if locked {
            self.store().delete_sessions_of(id).await?;
        } else {
            let mut t = self.inner.throttle.lock().map_err(|_| ServiceError::internal("login throttle poisoned"))?;
            t.forget_account(&user.username);
        }
        let (action, label) =
            if locked { ("user.locked_by_admin", "锁定账户") } else { ("user.unlocked", "解锁账户") };
        let ev = self.event(&p.actor, action, label, json!({"user_id": id.to_string(), "username": user.username}));
        self.store().append_event(ev).await?;
        Ok(())
    }

    /// The users of the administrator's tenant.
    ///
    /// # Errors
    /// 403 unless 系统管理员 or 安全管理员.
    pub async fn list_users(&self, p: &Principal) -> Result<Vec<UserRecord>> {
        p.require(&[Role::SysAdmin, Role::SecurityAdmin])?;
        Ok(self.store().users(Some(p.user.tenant_id)).await?)
    }
}
