//! One-time activation links (migration 0009): the hash of each token, whose account it opens,
//! and until when; and the hash of the code the 安全管理员 issued for it (migration 0011), without
//! which the link sets no password. The password itself is set through [`Store::set_password`], so
//! whatever that records about a password change applies to an activation too.

use fazhi_domain::ids::UserId;

use crate::{Result, Store, StoreError};

/// What an activation link and a code came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// The code matched: the link is used up and opens this account.
    Opened(UserId),
    /// No live link by that token (unknown, used, expired or voided).
    Gone,
    /// The link is live but the 安全管理员 has issued no code for it yet.
    NoCode,
    /// The code is wrong; this many more tries before the link is voided.
    WrongCode { left: i64 },
    /// The code is wrong, and that was the last try: the link is voided.
    Voided,
}

impl Store {
    /// Records a new activation link for a user, replacing any earlier one of theirs (and
    /// clearing links that have expired, whoever they were for).
    ///
    /// # Errors
    /// Database errors.
    pub async fn replace_activation(&self, user: UserId, token_hash: &str, now: i64, expires_at: i64) -> Result<()> {
        on_writer!(self, pool => async {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            sqlx::query("DELETE FROM activations WHERE user_id = $1 OR expires_at <= $2")
                .bind(user.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO activations (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(token_hash)
                .bind(user.to_string())
                .bind(now)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok::<_, StoreError>(())
        }.await)
    }

    /// The account a live (unexpired) activation link opens.
    ///
    /// # Errors
    /// Database errors; a stored id that does not parse.
    pub async fn activation_user(&self, token_hash: &str, now: i64) -> Result<Option<UserId>> {
        let row: Option<(String,)> = on_reader!(self, pool => sqlx::query_as(
            "SELECT user_id FROM activations WHERE token_hash = $1 AND expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(pool)
        .await)?;
        row.map(|(id,)| UserId::parse(&id).map_err(|e| StoreError::Corrupt(format!("activation: {e}")))).transpose()
    }

    /// Records the code the 安全管理员 issued for a user's live activation link (replacing an
    /// earlier code and its count of wrong tries). `false` when the user has no live link.
    ///
    /// # Errors
    /// Database errors.
    pub async fn set_activation_code(&self, user: UserId, code_hash: &str, now: i64) -> Result<bool> {
        let n = on_writer!(self, pool => sqlx::query(
            "UPDATE activations SET code_hash = $2, code_failures = 0 WHERE user_id = $1 AND expires_at > $3",
        )
        .bind(user.to_string())
        .bind(code_hash)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Uses up a live activation link with its code: deletes it and answers whose it was when the
    /// code matches (of two requests only one gets the account). A wrong code is counted, and the
    /// `max_failures`-th voids the link.
    ///
    /// # Errors
    /// Database errors; a stored id that does not parse.
    pub async fn consume_activation_with_code(
        &self,
        token_hash: &str,
        code_hash: &str,
        now: i64,
        max_failures: i64,
    ) -> Result<CodeCheck> {
        let parse = |id: String| UserId::parse(&id).map_err(|e| StoreError::Corrupt(format!("activation: {e}")));
        on_writer!(self, pool => async {
            let done: Option<(String,)> = sqlx::query_as(
                "DELETE FROM activations WHERE token_hash = $1 AND expires_at > $2 AND code_hash = $3 RETURNING user_id",
            )
            .bind(token_hash)
            .bind(now)
            .bind(code_hash)
            .fetch_optional(pool)
            .await?;
            if let Some((id,)) = done {
                return Ok(CodeCheck::Opened(parse(id)?));
            }
            let row: Option<(Option<String>,)> =
                sqlx::query_as("SELECT code_hash FROM activations WHERE token_hash = $1 AND expires_at > $2")
                    .bind(token_hash)
                    .bind(now)
                    .fetch_optional(pool)
                    .await?;
            match row {
                None => Ok(CodeCheck::Gone),
                Some((None,)) => Ok(CodeCheck::NoCode),
                Some((Some(_),)) => {
                    let (n,): (i64,) = sqlx::query_as(
                        "UPDATE activations SET code_failures = code_failures + 1 WHERE token_hash = $1 RETURNING code_failures",
                    )
                    .bind(token_hash)
                    .fetch_one(pool)
                    .await?;
                    if n >= max_failures {
                        sqlx::query("DELETE FROM activations WHERE token_hash = $1").bind(token_hash).execute(pool).await?;
                        Ok(CodeCheck::Voided)
                    } else {
                        Ok(CodeCheck::WrongCode { left: max_failures - n })
                    }
                }
            }
        }.await)
    }

    /// Withdraws a user's activation links (their password was set another way).
    ///
    /// # Errors
    /// Database errors.
    pub async fn delete_activations_of(&self, user: UserId) -> Result<()> {
        on_writer!(self, pool => sqlx::query("DELETE FROM activations WHERE user_id = $1")
            .bind(user.to_string())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Counts a failed login on the account (shown to the 安全管理员) without locking it: locks
    /// are per client address now (`service::auth`'s throttle), so nobody can lock another
    /// person out by guessing.
    ///
    /// # Errors
    /// [`StoreError::NotFound`].
    pub async fn count_failed_login(&self, user: UserId) -> Result<i64> {
        let row: Option<(i64,)> = on_writer!(self, pool => sqlx::query_as(
            "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
        )
        .bind(user.to_string())
        .fetch_optional(pool)
        .await)?;
        row.map(|(n,)| n).ok_or(StoreError::NotFound)
    }
}
