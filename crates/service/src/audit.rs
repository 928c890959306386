//! Verifying the hash chains (`fazhi audit verify`) and reading the audit log (审计管理员).

use fazhi_domain::event::Event;
use fazhi_domain::role::Role;
use fazhi_store::{AuditFilter, ChainReport, Scope, Tenant};

use crate::{App, Principal, Result};

impl App {
    /// Verifies every tenant's chain and its case rows. `progress` is called with (tenant code,
    /// events verified so far).
    ///
    /// # Errors
    /// Database errors (a broken chain is a result).
    pub async fn verify_all(&self, mut progress: impl FnMut(&str, u64)) -> Result<Vec<(Tenant, ChainReport)>> {
        let mut out = Vec::new();
        for t in self.store().tenants().await? {
            let code = t.code.clone();
            let mut report = self.store().verify_chain(t.id, |n| progress(&code, n)).await?;
            // Name the case by its receipt number.
            if let Some(b) = report.broken.as_mut()
                && let Some(id) = b.case_id.as_deref().and_then(|c| fazhi_domain::ids::CaseId::parse(c).ok())
                && let Some(c) = self.store().case(&Scope::everything(), id).await?
            {
                b.case = c.receipt_no;
            }
            out.push((t, report));
        }
        Ok(out)
    }

    /// One page of the audit log of the auditor's tenant, newest first.
    ///
    /// # Errors
    /// 403 unless 审计管理员.
    pub async fn audit_log(
        &self,
        p: &Principal,
        mut filter: AuditFilter,
        page: u32,
        per_page: u32,
    ) -> Result<(Vec<Event>, u64)> {
        p.require(&[Role::AuditAdmin])?;
        filter.tenant = Some(p.user.tenant_id);
        // 信访工作条例 第三十条: an auditor named as accused does not read the case's events either.
        filter.reader = p.scope.reader.clone();
        let per_page = per_page.clamp(1, 200);
        Ok(self.store().audit_log(&filter, per_page, (page.max(1) - 1) * per_page).await?)
    }
}
