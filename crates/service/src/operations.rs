//! Small use cases for the doors (the CLI, the web layer) that need a fact from the database and
//! no more: the store itself stays behind the service ([`App::store`] is not public).

use fazhi_domain::ids::{CaseId, TenantId};
use fazhi_store::{DraftVersion, Tenant, UserRecord};

use crate::{App, Principal, Result};

impl App {
    /// The database engine in use (`sqlite`, `postgres`), for the operator's messages.
    pub fn backend_name(&self) -> &'static str {
        self.store().backend_name()
    }

    /// The database answers (the readiness probe).
    ///
    /// # Errors
    /// The database does not answer.
    pub async fn ping(&self) -> Result<()> {
        Ok(self.store().ping().await?)
    }

    /// Closes the database connections (a command finishing, a benchmark between rounds).
    pub async fn close(&self) {
        self.store().close().await;
    }

    /// A tenant by its code, as stored now (an operator's command names towns by code).
    ///
    /// # Errors
    /// Database errors.
    pub async fn tenant_by_code(&self, code: &str) -> Result<Option<Tenant>> {
        Ok(self.store().tenant_by_code(code).await?)
    }

    /// An account by username (an operator's command on the server).
    ///
    /// # Errors
    /// Database errors.
    pub async fn user_by_username(&self, username: &str) -> Result<Option<UserRecord>> {
        Ok(self.store().user_by_username(username).await?)
    }

    /// Every account, or a tenant's (an operator's command on the server).
    ///
    /// # Errors
    /// Database errors.
    pub async fn users_of(&self, tenant: Option<TenantId>) -> Result<Vec<UserRecord>> {
        Ok(self.store().users(tenant).await?)
    }

    /// Whether the user may open the page of case `id` now (a clerk may register a 检举控告 that
    /// is then withheld from them, 信访工作条例 第三十条).
    ///
    /// # Errors
    /// Database errors.
    pub async fn can_see_case(&self, p: &Principal, id: CaseId) -> Result<bool> {
        Ok(self.store().case(&p.scope, id).await?.is_some())
    }

    /// The saved versions of a town's report draft for a year, newest first.
    ///
    /// # Errors
    /// Database errors.
    pub async fn report_draft_versions(&self, tenant: TenantId, year: i32) -> Result<Vec<DraftVersion>> {
        Ok(self.store().report_draft_versions(tenant, year).await?)
    }
}
