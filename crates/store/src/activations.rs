//! One-time activation links (migration 0009): the hash of each token, whose account it opens,
//! and until when. The password itself is set through [`Store::set_password`], so whatever that
//! records about a password change applies to an activation too.

use fazhi_domain::ids::UserId;

use crate::{Result, Store, StoreError};

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

    /// Uses up a live activation link: deletes it and answers whose it was. Of two requests with
    /// the same link only one gets the account.
    ///
    /// # Errors
    /// Database errors; a stored id that does not parse.
    pub async fn consume_activation(&self, token_hash: &str, now: i64) -> Result<Option<UserId>> {
        let row: Option<(String,)> = on_writer!(self, pool => sqlx::query_as(
            "DELETE FROM activations WHERE token_hash = $1 AND expires_at > $2 RETURNING user_id",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(pool)
        .await)?;
        row.map(|(id,)| UserId::parse(&id).map_err(|e| StoreError::Corrupt(format!("activation: {e}")))).transpose()
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
