//! Annual report drafts: versions kept side by side, each saved with its event.

use fazhi_domain::event::Event;
use fazhi_domain::ids::TenantId;

use crate::events::append_event;
use crate::{Result, Store, StoreError};

/// One saved version of a draft.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftVersion {
    pub version: i64,
    /// The draft as JSON.
    pub content: String,
    pub saved_by_name: String,
    pub saved_at: i64,
}

type Row = (i64, String, String, i64);

impl Store {
    /// Saves a new version of a tenant's draft for a year, if the latest is still `expected`
    /// (0: there is none yet), with its event — one transaction. Returns the new version.
    ///
    /// # Errors
    /// [`StoreError::Stale`] when someone saved meanwhile (nothing is written).
    pub async fn save_report_draft(
        &self,
        tenant: TenantId,
        year: i32,
        expected: i64,
        content: &str,
        event: Event,
    ) -> Result<i64> {
        let pg = self.is_postgres();
        on_writer!(self, pool => async {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let (current,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(version), 0) FROM report_drafts WHERE tenant_id = $1 AND year = $2")
                .bind(tenant.to_string())
                .bind(i64::from(year))
                .fetch_one(&mut *tx)
                .await?;
            if current != expected {
                return Err(StoreError::Stale { current });
            }
            let row = crate::records::DraftSealRow {
                year: i64::from(year),
                version: current + 1,
                content: content.to_string(),
                saved_by: event.actor_id.map(|u| u.to_string()),
                saved_by_name: event.actor_name.clone(),
                saved_at: event.occurred_at,
            };
            sqlx::query(
                "INSERT INTO report_drafts (tenant_id, year, version, content, saved_by, saved_by_name, saved_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(tenant.to_string())
            .bind(row.year)
            .bind(row.version)
            .bind(&row.content)
            .bind(&row.saved_by)
            .bind(&row.saved_by_name)
            .bind(row.saved_at)
            .execute(&mut *tx)
            .await?;
            // The event seals the version by the digest of its text (records.rs).
            let seal = fazhi_domain::event::Seal::record(
                crate::records::subject::draft(row.year, row.version),
                fazhi_domain::record::digest("draft1", &crate::records::draft_fields(&row)),
            );
            append_event!(tx, pg, self.chain_key.as_ref(), event, Some("report.draft_saved".to_string()), seal);
            tx.commit().await?;
            Ok(current + 1)
        }.await)
    }

    /// The latest version of a draft, or one version.
    ///
    /// # Errors
    /// Database errors.
    pub async fn report_draft(
        &self,
        tenant: TenantId,
        year: i32,
        version: Option<i64>,
    ) -> Result<Option<DraftVersion>> {
        let row: Option<Row> = on_reader!(self, pool => match version {
            Some(v) => sqlx::query_as("SELECT version, content, saved_by_name, saved_at FROM report_drafts WHERE tenant_id = $1 AND year = $2 AND version = $3")
                .bind(tenant.to_string()).bind(i64::from(year)).bind(v).fetch_optional(pool).await,
            None => sqlx::query_as("SELECT version, content, saved_by_name, saved_at FROM report_drafts WHERE tenant_id = $1 AND year = $2 ORDER BY version DESC LIMIT 1")
                .bind(tenant.to_string()).bind(i64::from(year)).fetch_optional(pool).await,
        })?;
        Ok(row.map(|(version, content, saved_by_name, saved_at)| DraftVersion {
            version,
            content,
            saved_by_name,
            saved_at,
        }))
    }

    /// Every version of a draft, newest first, without their content.
    ///
    /// # Errors
    /// Database errors.
    pub async fn report_draft_versions(&self, tenant: TenantId, year: i32) -> Result<Vec<DraftVersion>> {
        let rows: Vec<(i64, String, i64)> = on_reader!(self, pool => sqlx::query_as(
            "SELECT version, saved_by_name, saved_at FROM report_drafts WHERE tenant_id = $1 AND year = $2 ORDER BY version DESC",
        )
        .bind(tenant.to_string())
        .bind(i64::from(year))
        .fetch_all(pool)
        .await)?;
        Ok(rows
            .into_iter()
            .map(|(version, saved_by_name, saved_at)| DraftVersion {
                version,
                content: String::new(),
                saved_by_name,
                saved_at,
            })
            .collect())
    }
}
