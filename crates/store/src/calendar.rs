//! Calendar years imported after release.

use crate::{Result, Store, StoreError};

impl Store {
    /// The imported years as (year, JSON in the holiday-cn schema).
    ///
    /// # Errors
    /// Database errors.
    pub async fn calendar_years(&self) -> Result<Vec<(i32, String)>> {
        let rows: Vec<(i64, String)> = on_reader!(self, pool => sqlx::query_as("SELECT year, data FROM calendar_years ORDER BY year").fetch_all(pool).await)?;
        Ok(rows.into_iter().map(|(y, d)| (i32::try_from(y).unwrap_or(0), d)).collect())
    }

    /// Stores (or replaces) an imported year.
    ///
    /// # Errors
    /// Database errors.
    pub async fn put_calendar_year(&self, year: i32, json: &str, now: i64, by: &str) -> Result<()> {
        let pg = self.is_postgres();
        on_writer!(self, pool => async {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            sqlx::query(
                "INSERT INTO calendar_years (year, data, imported_at, imported_by) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (year) DO UPDATE SET data = $2, imported_at = $3, imported_by = $4",
            )
            .bind(i64::from(year))
            .bind(json)
            .bind(now)
            .bind(by)
            .execute(&mut *tx)
            .await?;
            // The calendar is shared: every tenant's chain seals the file its dates are counted with.
            let tenants: Vec<(String,)> = sqlx::query_as("SELECT id FROM tenants ORDER BY id").fetch_all(&mut *tx).await?;
            for (t,) in tenants {
                let t = fazhi_domain::ids::TenantId::parse(&t).map_err(|e| StoreError::Corrupt(format!("tenant: {e}")))?;
                crate::records::seal_calendar!(tx, pg, self.chain_key.as_ref(), t, i64::from(year));
            }
            tx.commit().await?;
            Ok::<_, StoreError>(())
        }.await)
    }
}
