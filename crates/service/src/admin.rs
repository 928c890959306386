//! Tenants, units and users. The CLI acts as the installation's operator ("system"); in the web
//! pages the 系统管理员 manages units and users, and the 安全管理员 grants roles and locks or unlocks
//! accounts (三员分立). Every change is an event in the tenant's chain.

use fazhi_domain::FieldError;
use fazhi_domain::case::Actor;
use fazhi_domain::ids::{TenantId, UnitId, UserId};
use fazhi_domain::role::Role;
use fazhi_domain::unit::{Unit, UnitCode, UnitKind, UnitPath};
use fazhi_domain::values;
use fazhi_store::{Tenant, TenantKind, UserRecord};
use serde_json::json;

use crate::auth::{check_password_policy, temporary_password};
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

fn check_username(u: &str) -> Result<()> {
    let ok = (3..=32).contains(&u.len())
        && u.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(ServiceError::field("username", "用户名", "应为3至32位小写字母、数字或 _ . -"))
    }
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
        let (Ok(code), Ok(Some(name))) = (code, name) else { return Err(ServiceError::Internal("unreachable".into())) };
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

    /// Creates a user. Returns the user and the temporary password when one was generated.
    ///
    /// # Errors
    /// Bad input (each field named), roles that may not be combined, a taken username.
    pub async fn create_user_as(&self, actor: &Actor, new: NewUser) -> Result<(UserRecord, Option<String>)> {
        let mut errors = Vec::new();
        if let Err(ServiceError::Invalid(e)) = check_username(&new.username) {
            errors.extend(e);
        }
        let name = values::text(&new.display_name, 50, true).map_err(|e| e.at("display_name", "姓名"));
        if let Err(e) = &name {
            errors.push(e.clone());
        }
        if let Err(e) = Role::check_combination(&new.roles) {
            errors.push(e.at("roles", "角色"));
        }
        if self.unit(new.unit).filter(|u| u.tenant_id == new.tenant).is_none() {
            errors.push(FieldError::new("unit", "所属单位", "不存在或不属于该镇（街道）"));
        }
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
        let now = self.now_ms();
        let user = UserRecord {
            id: UserId::new(),
            tenant_id: new.tenant,
            unit_id: new.unit,
            username: new.username.clone(),
            display_name: name.ok().flatten().unwrap_or_default(),
            password_hash: self.hash_password(&password)?,
            must_change_password: new.must_change || generated.is_some(),
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
        Ok((user, generated))
    }

    /// Creates a user of the 系统管理员's tenant.
    ///
    /// # Errors
    /// 403 for other roles; as [`App::create_user_as`].
    pub async fn create_user(&self, p: &Principal, mut new: NewUser) -> Result<(UserRecord, Option<String>)> {
        p.require(&[Role::SysAdmin])?;
        new.tenant = p.user.tenant_id;
        new.must_change = true;
        self.create_user_as(&p.actor, new).await
    }

    async fn user_in_tenant(&self, p: &Principal, id: UserId) -> Result<UserRecord> {
        self.store()
            .user(id)
            .await?
            .filter(|u| u.tenant_id == p.user.tenant_id)
            .ok_or_else(|| ServiceError::NotFound("用户不存在".into()))
    }

    /// Sets a temporary password (the user must change it at next login) and ends their sessions.
    /// Returns the password.
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
        let ev = self.event(
            actor,
            "user.password_reset",
            "重置密码",
            json!({"user_id": user.id.to_string(), "username": user.username}),
        );
        self.store().append_event(ev).await?;
        Ok(pw)
    }

    /// Replaces a user's roles (安全管理员).
    ///
    /// # Errors
    /// 403 for other roles; roles that may not be combined.
    pub async fn set_roles(&self, p: &Principal, id: UserId, roles: &[Role]) -> Result<()> {
        p.require(&[Role::SecurityAdmin])?;
        let user = self.user_in_tenant(p, id).await?;
        Role::check_combination(roles).map_err(|e| ServiceError::Invalid(vec![e.at("roles", "角色")]))?;
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

    /// Locks an account indefinitely, or unlocks it (安全管理员).
    ///
    /// # Errors
    /// 403 for other roles; an unknown user.
    pub async fn set_locked(&self, p: &Principal, id: UserId, locked: bool) -> Result<()> {
        p.require(&[Role::SecurityAdmin])?;
        let user = self.user_in_tenant(p, id).await?;
        if user.id == p.user.id {
            return Err(ServiceError::Rule("不能锁定自己的账户".into()));
        }
        self.store().set_lock(id, locked.then_some(i64::MAX)).await?;
        if locked {
            self.store().delete_sessions_of(id).await?;
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
