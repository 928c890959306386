//! Tenants and units.

use fazhi_domain::event::GENESIS;
use fazhi_domain::ids::{TenantId, UnitId};
use fazhi_domain::unit::{Unit, UnitCode, UnitKind, UnitPath};

use crate::model::{Tenant, TenantKind};
use crate::{Result, Store, StoreError};

#[derive(sqlx::FromRow)]
struct TenantRow {
    id: String,
    code: String,
    name: String,
    kind: String,
    parent_id: Option<String>,
    created_at: i64,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

impl TryFrom<TenantRow> for Tenant {
    type Error = StoreError;
    fn try_from(r: TenantRow) -> Result<Self> {
        Ok(Self {
            id: TenantId::parse(&r.id).map_err(|e| corrupt("tenant id", e))?,
            code: r.code,
            name: r.name,
            kind: if r.kind == "district" { TenantKind::District } else { TenantKind::Town },
            parent_id: r.parent_id.map(|p| TenantId::parse(&p)).transpose().map_err(|e| corrupt("tenant parent", e))?,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct UnitRow {
    id: String,
    tenant_id: String,
    parent_id: Option<String>,
    kind: String,
    code: String,
    name: String,
    path: String,
}

impl TryFrom<UnitRow> for Unit {
    type Error = StoreError;
    fn try_from(r: UnitRow) -> Result<Self> {
        Ok(Self {
            id: UnitId::parse(&r.id).map_err(|e| corrupt("unit id", e))?,
            tenant_id: TenantId::parse(&r.tenant_id).map_err(|e| corrupt("unit tenant", e))?,
            parent_id: r.parent_id.map(|p| UnitId::parse(&p)).transpose().map_err(|e| corrupt("unit parent", e))?,
            kind: UnitKind::parse(&r.kind).map_err(|e| corrupt("unit kind", e))?,
            code: UnitCode::parse(&r.code).map_err(|e| corrupt("unit code", e))?,
            name: r.name,
            path: UnitPath::parse(&r.path).map_err(|e| corrupt("unit path", e))?,
        })
    }
}

const TENANT_COLS: &str = "id, code, name, kind, parent_id, created_at";
const UNIT_COLS: &str = "id, tenant_id, parent_id, kind, code, name, path";

impl Store {
    /// Creates a tenant with an empty hash chain.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the code is taken.
    pub async fn insert_tenant(&self, t: &Tenant) -> Result<()> {
        let pg = self.is_postgres();
        on_writer!(self, pool => async {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            sqlx::query("INSERT INTO tenants (id, code, name, kind, parent_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(t.id.to_string())
                .bind(&t.code)
                .bind(&t.name)
                .bind(t.kind.code())
                .bind(t.parent_id.map(|p| p.to_string()))
                .bind(t.created_at)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO chain_heads (tenant_id, seq, hash) VALUES ($1, 0, $2)")
                .bind(t.id.to_string())
                .bind(GENESIS)
                .execute(&mut *tx)
                .await?;
            // The chain's first event seals the tenant itself; then the calendar years already
            // imported, which this tenant's dates will be counted with.
            let row: crate::records::TenantSealRow = sqlx::query_as(crate::sql::safe(&format!(
                "SELECT {} FROM tenants WHERE id = $1",
                crate::records::TENANT_SEAL_COLS
            )))
            .bind(t.id.to_string())
            .fetch_one(&mut *tx)
            .await?;
            let digest = fazhi_domain::record::digest("tenant1", &crate::records::tenant_fields(&row));
            crate::events::seal_record!(
                tx,
                pg,
                self.chain_key.as_ref(),
                t.id,
                crate::records::subject::tenant(&row.id),
                digest,
                t.created_at
            );
            let years: Vec<(i64,)> = sqlx::query_as("SELECT year FROM calendar_years ORDER BY year").fetch_all(&mut *tx).await?;
            for (year,) in years {
                crate::records::seal_calendar!(tx, pg, self.chain_key.as_ref(), t.id, year);
            }
            tx.commit().await?;
            Ok::<_, StoreError>(())
        }.await)
    }

    /// Every tenant, towns and districts, by code.
    ///
    /// # Errors
    /// Database errors.
    pub async fn tenants(&self) -> Result<Vec<Tenant>> {
        let sql = format!("SELECT {TENANT_COLS} FROM tenants ORDER BY code");
        let rows: Vec<TenantRow> =
            on_reader!(self, pool => sqlx::query_as(crate::sql::safe(&sql)).fetch_all(pool).await)?;
        rows.into_iter().map(Tenant::try_from).collect()
    }

    /// # Errors
    /// Database errors.
    pub async fn tenant(&self, id: TenantId) -> Result<Option<Tenant>> {
        let sql = format!("SELECT {TENANT_COLS} FROM tenants WHERE id = $1");
        let row: Option<TenantRow> = on_reader!(self, pool => sqlx::query_as(crate::sql::safe(&sql)).bind(id.to_string()).fetch_optional(pool).await)?;
        row.map(Tenant::try_from).transpose()
    }

    /// # Errors
    /// Database errors.
    pub async fn tenant_by_code(&self, code: &str) -> Result<Option<Tenant>> {
        let sql = format!("SELECT {TENANT_COLS} FROM tenants WHERE code = $1");
        let row: Option<TenantRow> =
            on_reader!(self, pool => sqlx::query_as(crate::sql::safe(&sql)).bind(code).fetch_optional(pool).await)?;
        row.map(Tenant::try_from).transpose()
    }

    /// Creates a unit.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] when the code or path is taken in the tenant.
    pub async fn insert_unit(&self, u: &Unit, created_at: i64) -> Result<()> {
        let pg = self.is_postgres();
        on_writer!(self, pool => async {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            sqlx::query(
                "INSERT INTO units (id, tenant_id, parent_id, kind, code, name, path, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(u.id.to_string())
            .bind(u.tenant_id.to_string())
            .bind(u.parent_id.map(|p| p.to_string()))
            .bind(u.kind.code())
            .bind(u.code.as_str())
            .bind(&u.name)
            .bind(u.path.as_str())
            .bind(created_at)
            .execute(&mut *tx)
            .await?;
            crate::records::seal_unit!(tx, pg, self.chain_key.as_ref(), u.id.to_string());
            tx.commit().await?;
            Ok::<_, StoreError>(())
        }.await)
    }

    /// Renames a unit (its code and path never change).
    ///
    /// # Errors
    /// [`StoreError::NotFound`].
    pub async fn rename_unit(&self, id: UnitId, name: &str) -> Result<()> {
        let pg = self.is_postgres();
        on_writer!(self, pool => async {
            let mut tx = pool.begin_with(self.begin_write()).await?;
            let done = sqlx::query("UPDATE units SET name = $2 WHERE id = $1")
                .bind(id.to_string())
                .bind(name)
                .execute(&mut *tx)
                .await?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            crate::records::seal_unit!(tx, pg, self.chain_key.as_ref(), id.to_string());
            tx.commit().await?;
            Ok::<_, StoreError>(())
        }.await)
    }

    /// The units of a tenant, in path order (a depth-first tree).
    ///
    /// # Errors
    /// Database errors.
    pub async fn units(&self, tenant: TenantId) -> Result<Vec<Unit>> {
        let sql = format!("SELECT {UNIT_COLS} FROM units WHERE tenant_id = $1 ORDER BY path");
        let rows: Vec<UnitRow> = on_reader!(self, pool => sqlx::query_as(crate::sql::safe(&sql)).bind(tenant.to_string()).fetch_all(pool).await)?;
        rows.into_iter().map(Unit::try_from).collect()
    }

    /// Every unit of every tenant.
    ///
    /// # Errors
    /// Database errors.
    pub async fn all_units(&self) -> Result<Vec<Unit>> {
        let sql = format!("SELECT {UNIT_COLS} FROM units ORDER BY tenant_id, path");
        let rows: Vec<UnitRow> =
            on_reader!(self, pool => sqlx::query_as(crate::sql::safe(&sql)).fetch_all(pool).await)?;
        rows.into_iter().map(Unit::try_from).collect()
    }
}
