//! Logging in and out, sessions, passwords, and who a request acts as.
//!
//! Passwords are hashed with argon2id. Five failed logins in a row lock the account for fifteen
//! minutes (both configurable; 等保 2.0 §8.1.4.1 b: limit failed attempts, time out idle
//! sessions). Only a hash of each session token is stored. Every login, failure, lock and password
//! change is an event in the tenant's hash chain (§8.1.4.3: audit every user).

use std::collections::HashMap;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fazhi_domain::FieldError;
use fazhi_domain::case::{Actor, ActorKind};
use fazhi_domain::role::{Reach, Role, reach_of};
use fazhi_domain::time_util::fmt_minute_ms;
use fazhi_store::{Extent, Reader, Scope, SessionKind, SessionRecord, TenantKind, UserRecord};
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{App, Result, ServiceError};

/// Who a request acts as, and what they may see.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user: UserRecord,
    pub actor: Actor,
    pub scope: Scope,
    pub token_hash: String,
    /// The session's CSRF token (web forms carry it).
    pub csrf: String,
}

impl Principal {
    pub fn has_role(&self, role: Role) -> bool {
        self.user.roles.contains(&role)
    }

    /// Refuses everything but changing the password while a temporary password is in use.
    ///
    /// # Errors
    /// [`ServiceError::PasswordChangeRequired`].
    pub fn ready(&self) -> Result<()> {
        if self.user.must_change_password { Err(ServiceError::PasswordChangeRequired) } else { Ok(()) }
    }

    /// Requires one of the roles.
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`], or a pending password change.
    pub fn require(&self, roles: &[Role]) -> Result<()> {
        self.ready()?;
        if roles.iter().any(|r| self.has_role(*r)) {
            Ok(())
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.label()).collect();
            Err(ServiceError::Forbidden(format!("需要{}角色", names.join("或"))))
        }
    }
}

/// A new session.
#[derive(Debug, Clone)]
pub struct LoginOk {
    /// The bearer token or cookie value: shown once, stored only as a hash.
    pub token: String,
    pub csrf: String,
    pub expires_at: i64,
    pub user: UserRecord,
}

/// Counts look-ups per client in one-minute windows (the public tracking page).
#[derive(Debug, Default)]
pub struct RateWindow {
    minute: i64,
    counts: HashMap<String, u32>,
}

fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// The stored form of a session token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Checks a new password: 8–128 characters, at least three of lower-case letters, upper-case
/// letters, digits and symbols, and not the username (等保 2.0 §8.1.4.1 a: complexity).
///
/// # Errors
/// A field error on `field`.
pub fn check_password_policy(password: &str, username: &str, field: &str) -> Result<()> {
    let err = |r: &str| ServiceError::field(field, "新密码", r);
    let n = password.chars().count();
    if n < 8 {
        return Err(err("至少8个字符"));
    }
    if n > 128 {
        return Err(err("不能超过128个字符"));
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ];
    if classes.iter().filter(|x| **x).count() < 3 {
        return Err(err("须包含小写字母、大写字母、数字、符号中的至少三类"));
    }
    if password.eq_ignore_ascii_case(username) {
        return Err(err("不能与用户名相同"));
    }
    Ok(())
}

/// A readable random temporary password that meets the policy.
pub fn temporary_password() -> String {
    const LOWER: &[u8] = b"abcdefghjkmnpqrstuvwxyz";
    const UPPER: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ";
    const DIGIT: &[u8] = b"23456789";
    let mut rng = rand::rng();
    let mut pick = |set: &[u8]| set[(rng.next_u32() as usize) % set.len()] as char;
    let mut s = String::new();
    for _ in 0..4 {
        s.push(pick(UPPER));
        s.push(pick(LOWER));
        s.push(pick(DIGIT));
    }
    s.push('@');
    s
}

impl App {
    /// Hashes a password with argon2id.
    ///
    /// # Errors
    /// Only an internal failure of the hasher.
    pub fn hash_password(&self, password: &str) -> Result<String> {
        let mut salt = [0u8; 16];
        rand::rng().fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| ServiceError::Internal(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::Internal(e.to_string()))
    }

    fn verify_password(hash: &str, password: &str) -> bool {
        PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
    }

    /// The actor and scope of a user.
    pub(crate) fn principal_for(&self, user: UserRecord, token_hash: String, csrf: String) -> Result<Principal> {
        let unit = self
            .unit(user.unit_id)
            .ok_or_else(|| ServiceError::Internal(format!("user {} has no unit", user.username)))?;
        let extent = match reach_of(&user.roles) {
            Reach::None => Extent::Nothing,
            Reach::Subtree => Extent::Subtree { tenant: user.tenant_id, path: unit.path.clone() },
            Reach::Tenant => Extent::Tenant(user.tenant_id),
            Reach::District => Extent::Tenants(
                self.tenants()
                    .iter()
                    .filter(|t| t.kind == TenantKind::Town && t.parent_id == Some(user.tenant_id))
                    .map(|t| t.id)
                    .collect(),
            ),
        };
        // 信访工作条例 第三十条: who reads, so that the store leaves out what is withheld from them.
        let reader = Reader { user: user.id, tenant: user.tenant_id, unit_path: unit.path.clone() };
        let scope = Scope { extent, reader: Some(reader) };
        let actor = Actor {
            kind: ActorKind::Staff,
            user_id: Some(user.id),
            name: user.display_name.clone(),
            tenant_id: user.tenant_id,
            unit_id: Some(unit.id),
            unit_path: Some(unit.path),
            roles: user.roles.clone(),
        };
        Ok(Principal { user, actor, scope, token_hash, csrf })
    }

    async fn security_event(
        &self,
        user: &UserRecord,
        action: &str,
        label: &str,
        payload: serde_json::Value,
    ) -> Result<()> {
        let actor = Actor {
            kind: ActorKind::Staff,
            user_id: Some(user.id),
            name: user.display_name.clone(),
            tenant_id: user.tenant_id,
            unit_id: Some(user.unit_id),
            unit_path: None,
            roles: user.roles.clone(),
        };
        let mut payload = payload;
        payload["username"] = json!(user.username);
        let ev = self.event(&actor, action, label, payload);
        self.store().append_event(ev).await?;
        Ok(())
    }

    /// Logs a user in and starts a session.
    ///
    /// # Errors
    /// [`ServiceError::BadCredentials`] (unknown user or wrong password — the same answer),
    /// [`ServiceError::Locked`], [`ServiceError::Disabled`], or missing fields.
    pub async fn login(&self, username: &str, password: &str, kind: SessionKind) -> Result<LoginOk> {
        let mut missing = Vec::new();
        if username.trim().is_empty() {
            missing.push(FieldError::new("username", "用户名", "不能为空"));
        }
        if password.is_empty() {
            missing.push(FieldError::new("password", "密码", "不能为空"));
        }
        if !missing.is_empty() {
            return Err(ServiceError::Invalid(missing));
        }
        let now = self.now_ms();
        let Some(user) = self.store().user_by_username(username.trim()).await? else {
            // Spend the same time as a real check, so timing does not tell which usernames exist.
            let _ = Self::verify_password(
                "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$6tP1nHfdV0H3ghWvVHdmoA1CNwpRgrlINJfkIKBH5X8",
                password,
            );
            return Err(ServiceError::BadCredentials);
        };
        if user.disabled {
            return Err(ServiceError::Disabled);
        }
        if let Some(until) = user.locked_until.filter(|u| *u > now) {
            self.security_event(&user, "user.login_refused", "登录被拒（账户锁定中）", json!({})).await?;
            return Err(ServiceError::Locked { until: fmt_minute_ms(until) });
        }
        let sec = &self.config().security;
        if !Self::verify_password(&user.password_hash, password) {
            let lock_ms = i64::from(sec.lockout_minutes) * 60_000;
            let f = self.store().record_login_failure(user.id, now, i64::from(sec.lockout_threshold), lock_ms).await?;
            self.security_event(&user, "user.login_failed", "登录失败", json!({"failed_logins": f.failed_logins}))
                .await?;
            if let Some(until) = f.locked_until.filter(|u| *u > now) {
                self.security_event(
                    &user,
                    "user.locked",
                    "账户锁定",
                    json!({"until": until, "failed_logins": f.failed_logins}),
                )
                .await?;
                return Err(ServiceError::Locked { until: fmt_minute_ms(until) });
            }
            return Err(ServiceError::BadCredentials);
        }
        self.store().record_login_success(user.id, now).await?;
        self.security_event(&user, "user.login", "登录", json!({"via": kind.code()})).await?;
        let token = random_token();
        let csrf = random_token();
        let expires_at = now + i64::from(sec.session_max_hours) * 3_600_000;
        self.store()
            .insert_session(&SessionRecord {
                token_hash: token_hash(&token),
                user_id: user.id,
                kind,
                csrf_token: csrf.clone(),
                created_at: now,
                last_seen_at: now,
                expires_at,
            })
            .await?;
        Ok(LoginOk { token, csrf, expires_at, user })
    }

    /// The principal of a session token, if the session is alive; records the activity.
    ///
    /// # Errors
    /// [`ServiceError::Unauthenticated`] for an unknown, expired or idle session or a disabled or
    /// locked user.
    pub async fn authenticate(&self, token: &str, kind: SessionKind) -> Result<Principal> {
        let hash = token_hash(token);
        let now = self.now_ms();
        let (session, user) = self.store().session_with_user(&hash).await?.ok_or(ServiceError::Unauthenticated)?;
        let idle_ms = i64::from(self.config().security.session_idle_minutes) * 60_000;
        if session.kind != kind || session.expires_at <= now || session.last_seen_at + idle_ms <= now {
            self.store().delete_session(&hash).await?;
            return Err(ServiceError::Unauthenticated);
        }
        if user.disabled || user.locked_until.is_some_and(|u| u > now) {
            self.store().delete_session(&hash).await?;
            return Err(ServiceError::Unauthenticated);
        }
        // Write the activity at most once a minute: reads stay reads.
        if now - session.last_seen_at > 60_000 {
            self.store().touch_session(&hash, now).await?;
        }
        self.principal_for(user, hash, session.csrf_token)
    }

    /// Ends a session.
    ///
    /// # Errors
    /// Database errors.
    pub async fn logout(&self, p: &Principal) -> Result<()> {
        self.store().delete_session(&p.token_hash).await?;
        self.security_event(&p.user, "user.logout", "退出登录", json!({})).await
    }

    /// Changes one's own password (required after a temporary one). Ends the user's other
    /// sessions; the current one stays.
    ///
    /// # Errors
    /// A wrong current password, or a new one that breaks the policy — as field errors.
    pub async fn change_password(&self, p: &Principal, current: &str, new: &str) -> Result<()> {
        if !Self::verify_password(&p.user.password_hash, current) {
            return Err(ServiceError::field("current_password", "当前密码", "不正确"));
        }
        check_password_policy(new, &p.user.username, "new_password")?;
        if current == new {
            return Err(ServiceError::field("new_password", "新密码", "不能与当前密码相同"));
        }
        let hash = self.hash_password(new)?;
        let now = self.now_ms();
        self.store().set_password(p.user.id, &hash, false, now).await?;
        self.store().delete_other_sessions(p.user.id, &p.token_hash).await?;
        self.security_event(&p.user, "user.password_changed", "修改密码", json!({})).await
    }

    /// Counts a public look-up from `client`; refuses past the configured rate per minute.
    ///
    /// # Errors
    /// [`ServiceError::TooManyRequests`].
    pub fn count_public_lookup(&self, client: &str) -> Result<()> {
        let minute = self.now_ms() / 60_000;
        let limit = self.config().security.public_lookups_per_minute;
        let mut w = self.inner.lookups.lock().map_err(|_| ServiceError::Internal("rate window poisoned".into()))?;
        if w.minute != minute {
            w.minute = minute;
            w.counts.clear();
        }
        let n = w.counts.entry(client.to_string()).or_insert(0);
        *n += 1;
        if *n > limit { Err(ServiceError::TooManyRequests) } else { Ok(()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_policy_wants_length_and_variety() {
        assert!(check_password_policy("Fazhi@2023", "clerk", "p").is_ok());
        assert_eq!(check_password_policy("short1A", "x", "p").unwrap_err().to_string(), "新密码：至少8个字符");
        assert!(check_password_policy("alllowercase", "x", "p").is_err());
        assert!(check_password_policy("Clerk2023", "clerk2023", "p").is_err());
    }

    #[test]
    fn temporary_passwords_meet_the_policy() {
        for _ in 0..20 {
            assert!(check_password_policy(&temporary_password(), "someone", "p").is_ok());
        }
    }
}
