//! Logging in and out, sessions, passwords, and who a request acts as.
//!
//! Passwords are hashed with argon2id. Failed logins are limited per client address and account
//! in a sliding window ([`crate::throttle`]; 等保 2.0 §8.1.4.1 b: limit failed attempts) — never
//! per account alone, which would let anyone lock anyone out — and a wrong password, an unknown
//! username and a throttled attempt all get the same answer. Idle sessions time out. Only a hash
//! of each session token is stored. Every login, failure, throttle and password change is an
//! event in the tenant's hash chain, with the client address (§8.1.4.3: audit every user).

use std::collections::HashMap;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use fazhi_domain::FieldError;
use fazhi_domain::case::{Actor, ActorKind};
use fazhi_domain::role::{Reach, Role, reach_of};
use fazhi_store::{CodeCheck, Extent, Reader, Scope, SessionKind, SessionRecord, TenantKind, UserRecord};
use rand::{Rng, RngCore};
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

    /// Requires a role that reads cases: the three administrators read none (三员分立, GB/T
    /// 22239-2019 §8.1.4.2), and are told so rather than handed an empty list or file.
    ///
    /// # Errors
    /// [`ServiceError::Forbidden`], or a pending password change.
    pub fn reads_cases(&self) -> Result<()> {
        self.ready()?;
        if self.scope.is_nothing() {
            Err(ServiceError::Forbidden("您的角色不查看业务数据（三员分立）".into()))
        } else {
            Ok(())
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

/// An argon2id hash of a password nobody knows: the work done for an unknown username or an
/// account awaiting activation, so their answers take as long as a real check.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$6tP1nHfdV0H3ghWvVHdmoA1CNwpRgrlINJfkIKBH5X8";

pub(crate) fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

/// The stored form of a session token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Letters and digits of an activation code: no 0/O, 1/I/L, so it can be read out and typed.
const CODE_CHARS: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// The length of an activation code: 31⁸ ≈ 8.5·10¹¹, tried at most [`CODE_TRIES`] times.
const CODE_LEN: usize = 8;
/// Wrong activation codes after which the link is voided.
pub const CODE_TRIES: i64 = 5;

/// A fresh activation code (the 安全管理员's half of an activation).
pub(crate) fn activation_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN).map(|_| char::from(CODE_CHARS[rng.random_range(0..CODE_CHARS.len())])).collect()
}

/// An activation code as typed: spaces and dashes dropped, upper-cased.
fn normalize_code(code: &str) -> String {
    code.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_uppercase).collect()
}

/// The stored form of an activation code.
pub(crate) fn code_hash(code: &str) -> String {
    token_hash(&format!("activation-code:{}", normalize_code(code)))
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
        let salt = SaltString::encode_b64(&salt).map_err(|e| ServiceError::internal(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| ServiceError::internal(e.to_string()))
    }

    /// Checks a password. An account without a usable hash (awaiting activation) spends the same
    /// time on a hash nobody knows, so timing does not tell such accounts apart.
    fn verify_password(hash: &str, password: &str) -> bool {
        match PasswordHash::new(hash) {
            Ok(h) => Argon2::default().verify_password(password.as_bytes(), &h).is_ok(),
            Err(_) => {
                let _ = PasswordHash::new(DUMMY_HASH)
                    .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok());
                false
            }
        }
    }

    fn throttle_limits(&self) -> crate::throttle::Limits {
        let sec = &self.config().security;
        crate::throttle::Limits {
            per_pair: sec.lockout_threshold,
            per_address: sec.address_threshold,
            per_account: sec.account_threshold,
            window_ms: i64::from(sec.lockout_minutes) * 60_000,
        }
    }

    fn with_throttle<T>(&self, f: impl FnOnce(&mut crate::throttle::LoginThrottle) -> T) -> Result<T> {
        let mut t = self.inner.throttle.lock().map_err(|_| ServiceError::internal("login throttle poisoned"))?;
        Ok(f(&mut t))
    }

    /// The actor and scope of a user.
    pub(crate) fn principal_for(&self, user: UserRecord, token_hash: String, csrf: String) -> Result<Principal> {
        let unit = self
            .unit(user.unit_id)
            .ok_or_else(|| ServiceError::internal(format!("user {} has no unit", user.username)))?;
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

    /// Logs a user in from this machine (the test kit, tools); see [`App::login_from`].
    ///
    /// # Errors
    /// As [`App::login_from`].
    pub async fn login(&self, username: &str, password: &str, kind: SessionKind) -> Result<LoginOk> {
        self.login_from("local", username, password, kind).await
    }

    /// Logs a user in from `client` (the client's address) and starts a session.
    ///
    /// # Errors
    /// [`ServiceError::BadCredentials`] — one answer for a wrong password, an unknown username
    /// and an attempt refused by the throttle (no username enumeration); only after the right
    /// password [`ServiceError::Locked`] (locked by the 安全管理员) or [`ServiceError::Disabled`];
    /// missing fields.
    pub async fn login_from(&self, client: &str, username: &str, password: &str, kind: SessionKind) -> Result<LoginOk> {
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
        let limits = self.throttle_limits();
        let username = username.trim();
        // A throttled attempt is refused before any look-up or hashing: it costs the server
        // nothing and tells nothing, whether the username exists or not.
        if self.with_throttle(|t| t.check(&limits, client, username, now))?.is_some() {
            return Err(ServiceError::BadCredentials);
        }
        let found = self.store().user_by_username(username).await?;
        let hash = found.as_ref().map_or(DUMMY_HASH, |u| u.password_hash.as_str());
        let right = Self::verify_password(hash, password);
        let user = match found {
            Some(u) if right => u,
            other => return self.failed_login(client, username, other, now).await,
        };
        if user.disabled {
            return Err(ServiceError::Disabled);
        }
        if user.locked_until.is_some_and(|u| u > now) {
            self.security_event(&user, "user.login_refused", "登录被拒（账户锁定中）", json!({"address": client}))
                .await?;
            return Err(ServiceError::Locked);
        }
        self.with_throttle(|t| t.succeeded(client, username, now))?;
        self.store().record_login_success(user.id, now).await?;
        self.security_event(&user, "user.login", "登录", json!({"via": kind.code(), "address": client})).await?;
        let sec = &self.config().security;
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

    /// Counts a failed login (the throttle; the account's counter and audit events when the
    /// username is real) and answers the one refusal every failure gets.
    async fn failed_login(&self, client: &str, username: &str, user: Option<UserRecord>, now: i64) -> Result<LoginOk> {
        let limits = self.throttle_limits();
        let tripped = self.with_throttle(|t| t.failed(&limits, client, username, now))?;
        match user {
            Some(u) => {
                let n = self.store().count_failed_login(u.id).await?;
                self.security_event(
                    &u,
                    "user.login_failed",
                    "登录失败",
                    json!({"address": client, "failed_logins": n}),
                )
                .await?;
                if let Some(block) = tripped {
                    self.security_event(
                        &u,
                        "user.login_throttled",
                        "登录尝试过多，暂停登录",
                        json!({"address": client, "limit": block.code(), "minutes": self.config().security.lockout_minutes}),
                    )
                    .await?;
                }
            }
            None => {
                if let Some(block) = tripped {
                    tracing::warn!(client, limit = block.code(), "login attempts throttled (unknown username)");
                }
            }
        }
        Err(ServiceError::BadCredentials)
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
    /// sessions; the current one stays. The current password may be wrong at most
    /// `lockout_threshold` times per window; then it is not even checked until the window has
    /// passed, so a stolen session is no oracle for the password (等保 2.0 §8.1.4.1 b).
    ///
    /// # Errors
    /// A wrong current password, or a new one that breaks the policy — as field errors;
    /// [`ServiceError::TooManyAttempts`].
    pub async fn change_password(&self, p: &Principal, current: &str, new: &str) -> Result<()> {
        let limits = self.throttle_limits();
        let now = self.now_ms();
        let key = p.user.id.to_string();
        let checks =
            || self.inner.password_checks.lock().map_err(|_| ServiceError::internal("password checks poisoned"));
        if checks()?.blocked(&limits, &key, now) {
            return Err(ServiceError::TooManyAttempts { minutes: self.config().security.lockout_minutes });
        }
        if !Self::verify_password(&p.user.password_hash, current) {
            let tripped = checks()?.failed(&limits, &key, now);
            self.security_event(&p.user, "user.password_check_failed", "修改密码时当前密码错误", json!({})).await?;
            if tripped {
                self.security_event(
                    &p.user,
                    "user.password_check_throttled",
                    "当前密码错误次数过多，暂停修改密码",
                    json!({"minutes": self.config().security.lockout_minutes}),
                )
                .await?;
            }
            return Err(ServiceError::field("current_password", "当前密码", "不正确"));
        }
        checks()?.succeeded(&key);
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

    /// The account a live activation link opens (the set-password page shows its username).
    ///
    /// # Errors
    /// 404 for a link that is unknown, used or expired.
    pub async fn activation_account(&self, token: &str) -> Result<UserRecord> {
        let gone = ServiceError::activation_invalid;
        let id = self.store().activation_user(&token_hash(token), self.now_ms()).await?.ok_or_else(gone)?;
        self.store().user(id).await?.ok_or_else(gone)
    }

    /// Sets the password of the account an activation link opens, and uses the link up: a new
    /// account's first password, or one after a reset by the 系统管理员 — chosen by the user and
    /// never seen by an administrator. The link (the 系统管理员's half) works only with the
    /// activation code the 安全管理员 issued for the account (the other half), so neither can
    /// take over an account alone (三员分立). The user then logs in with it as usual.
    ///
    /// # Errors
    /// 404 for a link that is unknown, used, expired or voided; a code not yet issued, or wrong
    /// (counted: the fifth wrong code voids the link, 404), a password that breaks the policy, or
    /// two entries that differ (field errors, and the link stays usable).
    pub async fn activate(
        &self,
        client: &str,
        token: &str,
        code: &str,
        new: &str,
        confirm: &str,
    ) -> Result<UserRecord> {
        let gone = || ServiceError::NotFound("激活链接无效、已使用或已过期，请联系系统管理员重新签发".into());
        let user = self.activation_account(token).await?;
        if normalize_code(code).is_empty() {
            return Err(ServiceError::field("activation_code", "激活码", "请输入安全管理员提供的激活码"));
        }
        check_password_policy(new, &user.username, "new_password")?;
        if new != confirm {
            return Err(ServiceError::field("confirm_password", "再次输入新密码", "两次输入的新密码不一致"));
        }
        let now = self.now_ms();
        // Of two requests with one link and the right code only the first gets the account.
        match self.store().consume_activation_with_code(&token_hash(token), &code_hash(code), now, CODE_TRIES).await? {
            CodeCheck::Opened(id) if id == user.id => {}
            CodeCheck::Opened(_) | CodeCheck::Gone => return Err(gone()),
            CodeCheck::NoCode => {
                return Err(ServiceError::field(
                    "activation_code",
                    "激活码",
                    "安全管理员尚未为该账户签发激活码，请联系安全管理员",
                ));
            }
            CodeCheck::WrongCode { left } => {
                return Err(ServiceError::field(
                    "activation_code",
                    "激活码",
                    format!("不正确，还可尝试{left}次（用尽后激活链接作废）"),
                ));
            }
            CodeCheck::Voided => {
                self.security_event(
                    &user,
                    "user.activation_voided",
                    "激活码错误次数过多，激活链接作废",
                    json!({"address": client}),
                )
                .await?;
                return Err(ServiceError::NotFound(
                    "激活码错误次数过多，激活链接已作废，请联系系统管理员重新签发链接、安全管理员重新签发激活码".into(),
                ));
            }
        }
        let hash = self.hash_password(new)?;
        self.store().set_password(user.id, &hash, false, now).await?;
        self.store().delete_sessions_of(user.id).await?;
        self.security_event(&user, "user.activated", "通过激活链接和激活码设置密码", json!({"address": client}))
            .await?;
        Ok(user)
    }

    /// Counts a public look-up from `client`; refuses past the configured rate per minute.
    ///
    /// # Errors
    /// [`ServiceError::TooManyRequests`].
    pub fn count_public_lookup(&self, client: &str) -> Result<()> {
        let minute = self.now_ms() / 60_000;
        let limit = self.config().security.public_lookups_per_minute;
        let mut w = self.inner.lookups.lock().map_err(|_| ServiceError::internal("rate window poisoned"))?;
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
