//! Users, their roles, login counters and sessions.

use std::collections::HashMap;

use fazhi_domain::ids::{TenantId, UnitId, UserId};
use fazhi_domain::role::Role;

use crate::model::{SessionKind, SessionRecord, UserRecord};
use crate::records::seal_user;
use crate::{Result, Store, StoreError};

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    tenant_id: String,
    unit_id: String,
    username: String,
    display_name: String,
    password_hash: String,
    must_change_password: bool,
    failed_logins: i64,
    locked_until: Option<i64>,
    disabled: bool,
    created_at: i64,
    password_changed_at: i64,
    last_login_at: Option<i64>,
}

/// A session joined with its user and roles (`Store::session_with_user`).
#[derive(sqlx::FromRow)]
struct Joined {
    token_hash: String,
    kind: String,
    csrf_token: String,
    s_created_at: i64,
    last_seen_at: i64,
    expires_at: i64,
    #[sqlx(flatten)]
    user: UserRow,
    roles: Option<String>,
}

impl Joined {
    /// The same row read through rusqlite, by the column order of the query.
    fn from_rusqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            token_hash: r.get(0)?,
            kind: r.get(1)?,
            csrf_token: r.get(2)?,
            s_created_at: r.get(3)?,
            last_seen_at: r.get(4)?,
            expires_at: r.get(5)?,
            user: UserRow {
                id: r.get(6)?,
                tenant_id: r.get(7)?,
                unit_id: r.get(8)?,
                username: r.get(9)?,
                display_name: r.get(10)?,
                password_hash: r.get(11)?,
                must_change_password: r.get(12)?,
                failed_logins: r.get(13)?,
                locked_until: r.get(14)?,
                disabled: r.get(15)?,
                created_at: r.get(16)?,
                password_changed_at: r.get(17)?,
                last_login_at: r.get(18)?,
            },
            roles: r.get(19)?,
        })
    }
}

const USER_COLS: &str = "id, tenant_id, unit_id, username, display_name, password_hash, must_change_password, \
     failed_logins, locked_until, disabled, created_at, password_changed_at, last_login_at";

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("user: {e}"))
}

impl UserRow {
    fn into_record(self, roles: Vec<Role>) -> Result<UserRecord> {
        Ok(UserRecord {
            id: UserId::parse(&self.id).map_err(corrupt)?,
            tenant_id: TenantId::parse(&self.tenant_id).map_err(corrupt)?,
            unit_id: UnitId::parse(&self.unit_id).map_err(corrupt)?,
            username: self.username,
            display_name: self.display_name,
            password_hash: self.password_hash,
            must_change_password: self.must_change_password,
            failed_logins: self.failed_logins,
            locked_until: self.locked_until,
            disabled: self.disabled,
            created_at: self.created_at,
            password_changed_at: self.password_changed_at,
            last_login_at: self.last_login_at,
            roles,
        })
    }
}

impl Store {
    /// Creates a user with roles.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the username is taken.
    pub async fn insert_user(&self, u: &UserRecord) -> Result<()> {
        let pg = self.is_postgres();
        on_writer!(self, pool => async {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            sqlx::query(crate::sql::safe(&format!("INSERT INTO users ({USER_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")))
                .bind(u.id.to_string())
                .bind(u.tenant_id.to_string())
                .bind(u.unit_id.to_string())
                .bind(&u.username)
                .bind(&u.display_name)
                .bind(&u.password_hash)
                .bind(u.must_change_password)
                .bind(u.failed_logins)
                .bind(u.locked_until)
                .bind(u.disabled)
                .bind(u.created_at)
                .bind(u.password_changed_at)
                .bind(u.last_login_at)
                .execute(&mut *tx)
                .await?;
            for r in &u.roles {
                sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                    .bind(u.id.to_string())
                    .bind(r.code())
                    .execute(&mut *tx)
                    .await?;
            }
            seal_user!(tx, pg, self.chain_key.as_ref(), u.id.to_string());
            tx.commit().await?;
            Ok::<_, StoreError>(())
        }.await)
    }

    async fn roles_of(&self, ids: &[String]) -> Result<HashMap<String, Vec<Role>>> {
        let mut out: HashMap<String, Vec<Role>> = HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let ps: Vec<String> = (1..=ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!("SELECT user_id, role FROM user_roles WHERE user_id IN ({}) ORDER BY role", ps.join(", "));
        let rows: Vec<(String, String)> = on_reader!(self, pool => {
            let mut q = sqlx::query_as(crate::sql::safe(&sql));
            for id in ids {
                q = q.bind(id.clone());
            }
            q.fetch_all(pool).await
        })?;
        for (uid, role) in rows {
            let role = Role::parse(&role).map_err(corrupt)?;
            out.entry(uid).or_default().push(role);
        }
        Ok(out)
    }

    async fn users_where(&self, clause: &str, arg: Option<String>) -> Result<Vec<UserRecord>> {
        let sql = format!("SELECT {USER_COLS} FROM users {clause} ORDER BY username");
        let rows: Vec<UserRow> = on_reader!(self, pool => {
            let mut q = sqlx::query_as(crate::sql::safe(&sql));
            if let Some(a) = &arg {
                q = q.bind(a.clone());
            }
            q.fetch_all(pool).await
        })?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut roles = self.roles_of(&ids).await?;
        rows.into_iter()
            .map(|r| {
                let rs = roles.remove(&r.id).unwrap_or_default();
                r.into_record(rs)
            })
            .collect()
    }

    /// # Errors
    /// Database errors.
    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>> {
        Ok(self.users_where("WHERE username = $1", Some(username.to_string())).await?.pop())
    }

    /// # Errors
    /// Database errors.
    pub async fn user(&self, id: UserId) -> Result<Option<UserRecord>> {
        Ok(self.users_where("WHERE id = $1", Some(id.to_string())).await?.pop())
    }

    /// The users of a tenant, or of every tenant.
    ///
    /// # Errors
    /// Database errors.
    pub async fn users(&self, tenant: Option<TenantId>) -> Result<Vec<UserRecord>> {
        match tenant {
            Some(t) => self.users_where("WHERE tenant_id = $1", Some(t.to_string())).await,
            None => self.users_where("", None).await,
        }
    }

    /// Clears the failure count after a successful login.
    ///
    /// # Errors
    /// Database errors.
    pub async fn record_login_success(&self, id: UserId, now: i64) -> Result<()> {
        on_writer!(self, pool => sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(now)
            .execute(pool)
            .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Sets a new password hash; `must_change` for a temporary password set by an administrator.
    ///
    /// # Errors
    /// [`StoreError::NotFound`].
    pub async fn set_password(&self, id: UserId, hash: &str, must_change: bool, now: i64) -> Result<()> {
        let pg = self.is_postgres();
        on_writer!(self, pool => async {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let done = sqlx::query("UPDATE users SET password_hash = $2, must_change_password = $3, password_changed_at = $4 WHERE id = $1")
                .bind(id.to_string())
                .bind(hash)
                .bind(must_change)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            seal_user!(tx, pg, self.chain_key.as_ref(), id.to_string());
            tx.commit().await?;
            Ok(())
        }.await)
    }

    /// Locks (until a time) or unlocks an account; unlocking clears the failure count.
    ///
    /// # Errors
    /// [`StoreError::NotFound`].
    pub async fn set_lock(&self, id: UserId, locked_until: Option<i64>) -> Result<()> {
        let pg = self.is_postgres();
        on_writer!(self, pool => async {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let done = sqlx::query("UPDATE users SET locked_until = $2, failed_logins = CASE WHEN $2 IS NULL THEN 0 ELSE failed_logins END WHERE id = $1")
                .bind(id.to_string())
                .bind(locked_until)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            seal_user!(tx, pg, self.chain_key.as_ref(), id.to_string());
            tx.commit().await?;
            Ok::<_, StoreError>(())
        }.await)
    }

    /// Replaces a user's roles.
    ///
    /// # Errors
    /// [`StoreError::NotFound`].
    pub async fn set_roles(&self, id: UserId, roles: &[Role]) -> Result<()> {
        let pg = self.is_postgres();
        on_writer!(self, pool => async {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let exists: Option<(String,)> = sqlx::query_as("SELECT id FROM users WHERE id = $1").bind(id.to_string()).fetch_optional(&mut *tx).await?;
            if exists.is_none() {
                return Err(StoreError::NotFound);
            }
            sqlx::query("DELETE FROM user_roles WHERE user_id = $1").bind(id.to_string()).execute(&mut *tx).await?;
            for r in roles {
                sqlx::query("INSERT INTO user_roles (user_id, role) VALUES ($1, $2)")
                    .bind(id.to_string())
                    .bind(r.code())
                    .execute(&mut *tx)
                    .await?;
            }
            seal_user!(tx, pg, self.chain_key.as_ref(), id.to_string());
            tx.commit().await?;
            Ok(())
        }.await)
    }

    /// Updates a user's name, unit and enabled flag.
    ///
    /// # Errors
    /// [`StoreError::NotFound`].
    pub async fn update_user(&self, id: UserId, display_name: &str, unit_id: UnitId, disabled: bool) -> Result<()> {
        let pg = self.is_postgres();
        on_writer!(self, pool => async {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let done = sqlx::query("UPDATE users SET display_name = $2, unit_id = $3, disabled = $4 WHERE id = $1")
                .bind(id.to_string())
                .bind(display_name)
                .bind(unit_id.to_string())
                .bind(disabled)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            seal_user!(tx, pg, self.chain_key.as_ref(), id.to_string());
            tx.commit().await?;
            Ok::<_, StoreError>(())
        }.await)
    }

    /// # Errors
    /// Database errors.
    pub async fn insert_session(&self, s: &SessionRecord) -> Result<()> {
        on_writer!(self, pool => sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, kind, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&s.token_hash)
        .bind(s.user_id.to_string())
        .bind(s.kind.code())
        .bind(&s.csrf_token)
        .bind(s.created_at)
        .bind(s.last_seen_at)
        .bind(s.expires_at)
        .execute(pool)
        .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// A session and its user, roles included, in one query (every authenticated request asks).
    ///
    /// # Errors
    /// Database errors.
    pub async fn session_with_user(&self, token_hash: &str) -> Result<Option<(SessionRecord, UserRecord)>> {
        let agg = if self.is_postgres() { "string_agg(role, ',')" } else { "group_concat(role, ',')" };
        let cols = USER_COLS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT s.token_hash, s.kind, s.csrf_token, s.created_at AS s_created_at, s.last_seen_at, s.expires_at, {cols}, \
             (SELECT {agg} FROM user_roles r WHERE r.user_id = u.id) AS roles \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1"
        );
        let row: Option<Joined> = if let Some(inline) = &self.inline {
            // Two primary-key look-ups: on the calling thread (inline.rs says why).
            inline.with(|c| {
                use rusqlite::OptionalExtension;
                c.prepare_cached(&sql)?.query_row([token_hash], Joined::from_rusqlite).optional()
            })?
        } else {
            on_reader!(self, pool => sqlx::query_as(crate::sql::safe(&sql)).bind(token_hash).fetch_optional(pool).await)?
        };
        let Some(j) = row else { return Ok(None) };
        let roles = j
            .roles
            .unwrap_or_default()
            .split(',')
            .filter(|r| !r.is_empty())
            .map(Role::parse)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(corrupt)?;
        let user = j.user.into_record(roles)?;
        let session = SessionRecord {
            token_hash: j.token_hash,
            user_id: user.id,
            kind: if j.kind == "web" { SessionKind::Web } else { SessionKind::Api },
            csrf_token: j.csrf_token,
            created_at: j.s_created_at,
            last_seen_at: j.last_seen_at,
            expires_at: j.expires_at,
        };
        Ok(Some((session, user)))
    }

    /// Records activity on a session (for the idle timeout).
    ///
    /// # Errors
    /// Database errors.
    pub async fn touch_session(&self, token_hash: &str, now: i64) -> Result<()> {
        on_writer!(self, pool => sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(now)
            .execute(pool)
            .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// # Errors
    /// Database errors.
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        on_writer!(self, pool => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Ends a user's sessions but one (after changing one's own password).
    ///
    /// # Errors
    /// Database errors.
    pub async fn delete_other_sessions(&self, id: UserId, keep: &str) -> Result<()> {
        on_writer!(self, pool => sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
            .bind(id.to_string())
            .bind(keep)
            .execute(pool)
            .await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Ends every session of a user (locked, disabled, roles changed, password reset).
    ///
    /// # Errors
    /// Database errors.
    pub async fn delete_sessions_of(&self, id: UserId) -> Result<()> {
        on_writer!(self, pool => sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id.to_string()).execute(pool).await.map(|r| r.rows_affected()))?;
        Ok(())
    }
}
