//! Revealing a sealed identifier (a caller's phone, a 身份证号) to the staff whose work needs it,
//! and finding cases by a full identifier.
//!
//! Identifiers are sealed at rest and masked on screen (PIPL art 51; rules.md §13.1). The
//! callback (回访) and contacting the caller need the full number, so fazhi lets the staff whose
//! role does that work read it — one field of one case at a time, with a stated reason, each read
//! an event of the hash chain (who, which case, which field, why): PIPL art 51 (access control)
//! and 等保 2.0 §8.1.4.3 (audit of important security events). Who may (docs/security.md):
//!
//! * the 受理员 (registers, dispatches and calls back): any case of the town they can read;
//! * the 承办人, 调解员 and 执法人员 handling the case: a case at their own unit or below;
//! * nobody else — not the leader, the legal staff, the grid worker or the district, and never
//!   the three administrators (三员分立), who read no case;
//! * never a reader from whom the field is withheld (检举控告, 《信访工作条例》第三十条): the
//!   accused unit cannot open the case at all (the store's scope), and a withheld field is refused
//!   even on a path that could.
//!
//! A refused reveal answers 403 and is recorded too ([`REVEAL_REFUSED`]), as an attempt on a
//! withheld case is. The same roles may search by a full phone number or 身份证号 (the list's
//! free text), which goes through the keyed digests the store keeps; a partial number matches no
//! identifier, as a digest is exact.

use fazhi_domain::case::CaseRecord;
use fazhi_domain::ids::CaseId;
use fazhi_domain::role::Role;
use fazhi_domain::time_util::local_date;
use fazhi_domain::values::{IdCardNumber, Phone};
use fazhi_domain::workflow::{FieldDef, FieldKind, Sealer};
use fazhi_store::{CaseFilter, IdentifierTerm};
use serde_json::{Value as Json, json};

use crate::{App, Principal, Result, ServiceError};

/// The audit event of a reveal.
pub const REVEALED: &str = "reveal.identifier";
/// The audit event of a reveal refused (no role for it, or a withheld field).
pub const REVEAL_REFUSED: &str = "reveal.refused";

/// The longest reason kept.
const REASON_MAX: usize = 200;

/// Roles that reveal within the whole town they read.
const TOWN_WIDE: [Role; 1] = [Role::IntakeClerk];
/// Roles that reveal on the cases of their own unit and the units below it.
const HANDLING: [Role; 3] = [Role::Handler, Role::Mediator, Role::EnforcementOfficer];

/// A field revealed: shown once, in the response, and not kept.
#[derive(Debug, Clone)]
pub struct Revealed {
    pub field: String,
    pub label: String,
    pub value: String,
    pub receipt_no: String,
}

/// What a reveal (or a refused one) records: which case, which field, why — never the value.
struct Reveal<'a> {
    case: CaseId,
    receipt_no: &'a str,
    field: &'a str,
    field_label: &'a str,
    reason: &'a str,
}

/// The sealed fields of a kind's forms, in form order, each once.
pub fn sealed_fields(kind: &fazhi_domain::kinds::KindDef) -> Vec<&FieldDef> {
    let mut out: Vec<&FieldDef> = Vec::new();
    for f in std::iter::once(&kind.workflow.open).chain(&kind.workflow.actions).flat_map(|a| &a.fields) {
        if matches!(f.kind, FieldKind::Phone | FieldKind::IdCard) && !out.iter().any(|o| o.name == f.name) {
            out.push(f);
        }
    }
    out
}

impl App {
    /// Whether `p` may search by a full identifier (the roles that may reveal one).
    pub fn may_search_identifiers(&self, p: &Principal) -> bool {
        !p.scope.is_nothing() && TOWN_WIDE.iter().chain(&HANDLING).any(|r| p.has_role(*r))
    }

    /// Whether `p` may reveal the sealed fields of `case` (a case they can read): see the module.
    pub fn may_reveal(&self, p: &Principal, case: &CaseRecord) -> bool {
        if p.scope.is_nothing() {
            return false;
        }
        if TOWN_WIDE.iter().any(|r| p.has_role(*r)) {
            return true;
        }
        let at_own_unit = p.actor.unit_path.as_ref().is_some_and(|own| own.contains(&case.unit_path));
        at_own_unit && HANDLING.iter().any(|r| p.has_role(*r))
    }

    /// The sealed fields of `case` that `p` may reveal now, as (field, label): those holding a
    /// value and not withheld from them.
    pub fn revealable(&self, p: &Principal, case: &CaseRecord) -> Vec<(String, String)> {
        let Ok(kind) = self.kind(&case.kind) else { return Vec::new() };
        if !self.may_reveal(p, case) {
            return Vec::new();
        }
        let withheld = self.withheld_keys(p, case).unwrap_or_default();
        sealed_fields(kind)
            .into_iter()
            .filter(|f| !withheld.iter().any(|k| k == f.name))
            .filter(|f| case.data.get(f.name).and_then(|v| v.get("enc")).is_some())
            .map(|f| (f.name.to_string(), f.label.to_string()))
            .collect()
    }

    /// Reveals the sealed field `field` of case `id` to `p`, for `reason`, and records it.
    ///
    /// # Errors
    /// A missing or too long reason (field error, nothing recorded); 404 for a case out of reach
    /// or a field with nothing sealed in it; 403 for a reader whose role may not reveal, or from
    /// whom the field is withheld (recorded as [`REVEAL_REFUSED`]).
    pub async fn reveal(&self, p: &Principal, id: CaseId, field: &str, reason: &str) -> Result<Revealed> {
        p.ready()?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ServiceError::field("reason", "原因", "请填写查看完整信息的原因，如“回访联系来电人”"));
        }
        if reason.chars().count() > REASON_MAX {
            return Err(ServiceError::field("reason", "原因", format!("不能超过{REASON_MAX}个字")));
        }
        if p.scope.is_nothing() {
            let what = Reveal { case: id, receipt_no: "", field, field_label: "", reason };
            self.record_reveal(p, REVEAL_REFUSED, "查看完整个人信息被拒（无权限）", what).await?;
            return Err(ServiceError::Forbidden("您的角色不查看业务数据（三员分立）".into()));
        }
        let case = self.visible_case(p, id).await?;
        let kind = self.kind(&case.kind)?;
        let Some(def) = sealed_fields(kind).into_iter().find(|f| f.name == field) else {
            return Err(ServiceError::NotFound("该案件没有这项个人信息".into()));
        };
        let withheld = self.withheld_keys(p, &case).unwrap_or_default();
        if !self.may_reveal(p, &case) || withheld.iter().any(|k| k == field) {
            let what = Reveal { case: id, receipt_no: &case.receipt_no, field, field_label: def.label, reason };
            self.record_reveal(p, REVEAL_REFUSED, "查看完整个人信息被拒（无权限）", what).await?;
            return Err(ServiceError::Forbidden(format!("您的角色无权查看完整的“{}”", def.label)));
        }
        let Some(sealed) = case.data.get(field).and_then(|v| v.get("enc")).and_then(Json::as_str) else {
            return Err(ServiceError::NotFound(format!("该案件未登记“{}”", def.label)));
        };
        let value = self.crypto().open(sealed).map_err(ServiceError::internal)?;
        // Recorded before it is shown: a reveal the chain does not hold is not given.
        let what = Reveal { case: id, receipt_no: &case.receipt_no, field, field_label: def.label, reason };
        self.record_reveal(p, REVEALED, "查看完整个人信息", what).await?;
        Ok(Revealed { field: field.to_string(), label: def.label.to_string(), value, receipt_no: case.receipt_no })
    }

    async fn record_reveal(&self, p: &Principal, action: &str, label: &str, what: Reveal<'_>) -> Result<()> {
        // Not a case event: it changes no case, so the case's seal stays with its last write;
        // the case is named in the payload, as an attempt on a withheld case is.
        let ev = self.event(
            &p.actor,
            action,
            label,
            json!({
                "case_id": what.case.to_string(),
                "receipt_no": what.receipt_no,
                "field": what.field,
                "field_label": what.field_label,
                "reason": what.reason,
            }),
        );
        self.store().append_event(ev).await?;
        Ok(())
    }

    /// The words of a list's free text that read as a full identifier, with their digests.
    pub(crate) fn identifier_terms(&self, text: &str) -> Vec<IdentifierTerm> {
        let today = local_date(self.now());
        let mut out = Vec::new();
        for word in text.split_whitespace().filter(|w| w.is_ascii()) {
            if let Ok(phone) = Phone::parse_contact(word) {
                out.push(IdentifierTerm {
                    word: word.to_string(),
                    kind: "phone".into(),
                    digest: self.crypto().digest("phone", phone.as_str()),
                });
            }
            if let Ok(id) = IdCardNumber::parse(word, today) {
                out.push(IdentifierTerm {
                    word: word.to_string(),
                    kind: "idcard".into(),
                    digest: self.crypto().digest("idcard", id.as_str()),
                });
            }
        }
        out
    }

    /// `filter` as `p` may run it: identifier look-ups only for the roles allowed them.
    pub(crate) fn as_reader(&self, p: &Principal, filter: &CaseFilter) -> CaseFilter {
        let mut f = filter.clone();
        if !self.may_search_identifiers(p) {
            f.identifiers.clear();
        }
        f
    }
}
