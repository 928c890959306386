//! 检举控告 confidentiality (《信访工作条例》第三十条: 不得透露或者转给被检举、揭发的人员或者
//! 单位).
//!
//! A case the domain marked confidential (a 检举控告 petition, or the visit it came from) names the
//! accused unit and the accused staff users. The rule is the store's, not each page's: the store
//! keeps, beside the case, whom it is withheld from (the accused unit's path, every named user),
//! written in the case's own transaction, and every case query of a reader's
//! [`fazhi_store::Scope`] leaves such a case out for the accused unit's whole subtree and for the
//! named users — details, lists and their counts, text search, exports, attachments, links,
//! duplicate candidates, the workbench, the dashboard and breakdowns, the API. For them the case
//! does not exist: opening it answers 404 like an unknown id, and the attempt is recorded in the
//! audit chain ([`WITHHELD_ACCESS`]) without telling them.
//!
//! What this module adds on top:
//! * [`App::redact_case`] / [`App::redact_events`]: a second line. Should a reader in the accused
//!   unit's subtree ever be handed the case (a scope without a reader, a future read path), the
//!   accuser's identity and material are still replaced by a notice.
//! * [`App::drop_withheld_references`]: a case that is not withheld from a reader may be linked to
//!   one that is (a related case): the link event naming the withheld case leaves the timeline.
//! * [`App::check_named_users`]: the accused staff named in a form are users of the town or its
//!   district.

use std::collections::HashSet;

use fazhi_domain::case::CaseRecord;
use fazhi_domain::event::Event;
use fazhi_domain::ids::{CaseId, UserId};
use fazhi_domain::workflow::{FieldDef, FieldKind, id_tokens, shared};
use serde_json::{Map, Value as Json};

use crate::{App, Principal, Result, ServiceError};

/// The audit event of an attempt to open a case withheld from the reader (第三十条). (No '_':
/// the audit log's action filter is a prefix without wildcards.)
pub const WITHHELD_ACCESS: &str = "access.withheld";

/// Payload keys by which an event names another case.
const CASE_REFERENCES: [&str; 3] = ["other_case", "original_case", "converted_case"];

impl App {
    /// The data keys of `case` this principal must not see, if any.
    pub fn withheld_keys(&self, p: &Principal, case: &CaseRecord) -> Option<Vec<String>> {
        let units = self.units();
        shared::withheld_from(&case.data, p.actor.unit_path.as_ref(), &*units)
    }

    /// Withholds from `case` what this principal must not see (第三十条). Returns whether
    /// anything was withheld. The free-text index goes too: it is never shown, and a redacted
    /// record must not carry the accuser's name anywhere.
    pub fn redact_case(&self, p: &Principal, case: &mut CaseRecord) -> bool {
        let Some(keys) = self.withheld_keys(p, case) else { return false };
        shared::withhold(&mut case.data, &keys);
        case.search_text.clear();
        true
    }

    /// Withholds the same fields from the events of `case` (read before redaction: the marker
    /// is in its data).
    pub fn redact_events(&self, p: &Principal, case: &CaseRecord, events: &mut [Event]) {
        let Some(keys) = self.withheld_keys(p, case) else { return };
        for e in events.iter_mut() {
            if let Json::Object(m) = &mut e.payload {
                shared::withhold(m, &keys);
            }
        }
    }

    /// A case as this principal may read it.
    pub fn redacted(&self, p: &Principal, mut case: CaseRecord) -> CaseRecord {
        self.redact_case(p, &mut case);
        case
    }

    /// Leaves out of a timeline the events that name a case withheld from this principal (a link
    /// to it, a merge into it): the reader must not be led to it (第三十条).
    ///
    /// # Errors
    /// Database errors.
    pub async fn drop_withheld_references(&self, p: &Principal, events: &mut Vec<Event>) -> Result<()> {
        let Some(reader) = &p.scope.reader else { return Ok(()) };
        let named = |e: &Event| -> Vec<CaseId> {
            CASE_REFERENCES
                .iter()
                .filter_map(|k| e.payload.get(*k).and_then(Json::as_str).and_then(|s| CaseId::parse(s).ok()))
                .collect()
        };
        let ids: Vec<CaseId> = events.iter().flat_map(named).collect::<HashSet<_>>().into_iter().collect();
        let withheld = self.store().withheld_among(reader, &ids).await?;
        if !withheld.is_empty() {
            events.retain(|e| !named(e).iter().any(|c| withheld.contains(c)));
        }
        Ok(())
    }

    /// Checks the staff users named in the users fields of a form (the accused of a 检举控告):
    /// each must be a user of the principal's town or of its district (or, for the district, of
    /// one of its towns). Malformed ids are left to the field's own parsing.
    ///
    /// # Errors
    /// A field error naming who was not found.
    pub async fn check_named_users(&self, p: &Principal, fields: &[FieldDef], input: &Map<String, Json>) -> Result<()> {
        for f in fields.iter().filter(|f| matches!(f.kind, FieldKind::Users { .. })) {
            let Ok(tokens) = id_tokens(input.get(f.name)) else { continue };
            for t in tokens {
                let Ok(id) = UserId::parse(&t) else { continue };
                let known = match self.store().user(id).await? {
                    Some(u) => self.is_near(p, u.tenant_id),
                    None => false,
                };
                if !known {
                    return Err(ServiceError::field(f.name, f.label, format!("“{t}”不是本镇（街道）或本区的工作人员")));
                }
            }
        }
        Ok(())
    }

    /// The principal's own tenant, the district above it, or a town of the principal's district.
    fn is_near(&self, p: &Principal, tenant: fazhi_domain::ids::TenantId) -> bool {
        let own = p.user.tenant_id;
        let parent = self.tenant(own).and_then(|t| t.parent_id);
        tenant == own || Some(tenant) == parent || self.tenant(tenant).and_then(|t| t.parent_id) == Some(own)
    }

    /// The staff a form may name as accused: the users of the principal's town and of its district,
    /// as (id, "name（unit）"), by unit then name. Disabled accounts are left out.
    ///
    /// # Errors
    /// Database errors.
    pub async fn staff_choices(&self, p: &Principal) -> Result<Vec<(String, String)>> {
        let own = p.user.tenant_id;
        let mut tenants = vec![own];
        if let Some(parent) = self.tenant(own).and_then(|t| t.parent_id) {
            tenants.push(parent);
        }
        let mut out = Vec::new();
        for t in tenants {
            for u in self.store().users(Some(t)).await? {
                if u.disabled {
                    continue;
                }
                let unit = self.unit(u.unit_id);
                let path = unit.as_ref().map(|x| x.path.as_str().to_string()).unwrap_or_default();
                let label = format!("{}（{}）", u.display_name, unit.map(|x| x.name).unwrap_or_default());
                out.push((path, u.display_name.clone(), u.id.to_string(), label));
            }
        }
        out.sort();
        Ok(out.into_iter().map(|(_, _, id, label)| (id, label)).collect())
    }

    /// A staff user's display name, for showing the accused staff named on a case.
    ///
    /// # Errors
    /// Database errors.
    pub async fn staff_name(&self, id: UserId) -> Result<Option<String>> {
        Ok(self.store().user(id).await?.map(|u| u.display_name))
    }
}
