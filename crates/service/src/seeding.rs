//! Seeding: the few system tasks a loader of prepared data needs beyond the ordinary use cases
//! (the demo town of `fazhi-demo`, bulk loads). Each is narrow and runs as fazhi itself, with no
//! user behind it; nothing here is reachable from the web or the JSON API.
//!
//! A loader builds its cases with the real workflow (`App::kind`, [`fazhi_domain::workflow`]),
//! action by action, and writes them here in one transaction. Tenants, units and users are made
//! with [`App::create_tenant`], [`App::create_unit_as`] and [`App::create_user_as`] (as
//! `Actor::system`); the report draft with [`App::save_report_draft_as`].

use fazhi_domain::ids::TenantId;
use fazhi_store::{CaseFilter, CaseListItem, Page, Scope};

use crate::{App, Result};

pub use fazhi_store::{CaseLink, ImportCase, LinkRelation};

impl App {
    /// How many of a tenant's cases pass `filter`, counted by fazhi itself over the whole
    /// tenant (a loader checks that an earlier load of its data is whole).
    ///
    /// # Errors
    /// Database errors.
    pub async fn seeded_case_count(&self, tenant: TenantId, filter: &CaseFilter) -> Result<u64> {
        Ok(self.store().count_cases(&Scope::tenant(tenant), filter).await?)
    }

    /// A page of a tenant's cases that pass `filter`, read by fazhi itself over the whole tenant
    /// (a loader reads back what it wrote).
    ///
    /// # Errors
    /// Database errors.
    pub async fn seeded_cases(
        &self,
        tenant: TenantId,
        filter: &CaseFilter,
        page: u32,
        per_page: u32,
    ) -> Result<Page<CaseListItem>> {
        Ok(self.store().list_cases(&Scope::tenant(tenant), filter, page, per_page).await?)
    }

    /// Writes whole cases made elsewhere — each with its superseded versions, its events in the
    /// order they happened, its identifier digests and query-code digest — and the links between
    /// them, in one transaction: an interrupted load leaves nothing of the batch behind. Events
    /// are chained in the order given; receipt counters are raised to the highest number written.
    ///
    /// The cases must have been driven through their kinds' workflows (the store does not check
    /// them again); this is for prepared data, never for input from a user.
    ///
    /// # Errors
    /// Database errors; nothing of the batch is written.
    pub async fn import_seeded(&self, batch: &[ImportCase], links: &[CaseLink]) -> Result<()> {
        if links.is_empty() {
            self.store().import_cases(batch).await?;
        } else {
            self.store().import_linked(batch, links).await?;
        }
        Ok(())
    }
}
