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
//! * [`App::hide_unreadable_references`]: a case that is not withheld from a reader may be linked
//!   to one that is (a related case): the link event naming the withheld case leaves the
//!   timeline; one naming a case out of the reader's reach no longer names it.
//! * [`App::check_named_users`]: the accused staff named in a form are users of the town or its
//!   district.
//! * [`AttemptLog`]: the audit of attempts on withheld cases, written off the request path.

use std::collections::HashSet;

use fazhi_domain::case::CaseRecord;
use fazhi_domain::event::Event;
use fazhi_domain::ids::{CaseId, UserId};
use fazhi_domain::workflow::{FieldDef, FieldKind, id_tokens, shared};
use fazhi_store::{Reader, Store};
use serde_json::{Map, Value as Json};
use tokio::sync::{mpsc, oneshot};

use crate::{App, Principal, Result, ServiceError};

/// The audit event of an attempt to open a case withheld from the reader (第三十条). (No '_':
/// the audit log's action filter is a prefix without wildcards.)
pub const WITHHELD_ACCESS: &str = "access.withheld";

/// Payload keys by which an event names another case, each with the key of its receipt number
/// and of its kind, where the event carries them.
const CASE_REFERENCES: [(&str, &str, &str); 3] = [
    ("other_case", "other_receipt", "other_kind"),
    ("original_case", "original_receipt", "original_kind"),
    ("converted_case", "converted_receipt", "converted_kind"),
];

/// What a timeline shows in place of a case the reader may not open.
pub const UNREADABLE_CASE: &str = "（无权查看的关联案件）";

/// Attempts waiting to be written; past this many (a flood of probes) new ones are dropped with
/// a warning — the attempts of that hour are on the chain already.
const ATTEMPT_QUEUE: usize = 4_096;

/// One job of the [`AttemptLog`] writer.
enum AttemptJob {
    /// Someone opened a case that they could not: record it if the case is withheld from them.
    Attempt { event: Box<Event>, reader: Reader, case: CaseId },
    /// Answer once everything queued before has been written.
    Flush(oneshot::Sender<()>),
}

/// The audit of attempts to open a case withheld from the reader (第三十条), written off the
/// request path: the 404 of a withheld case must take as long as that of an unknown id, so the
/// request only queues the attempt and answers, and one writer task checks whether the case is
/// withheld from the reader and appends the event. Repeated attempts of one user on one case
/// within one hour (of the application clock) are one event, so that probing cannot flood the
/// chain. The writer remembers the hours it wrote in memory: a restart may record one more.
#[derive(Clone)]
pub(crate) struct AttemptLog {
    tx: mpsc::Sender<AttemptJob>,
}

const HOUR_MS: i64 = 3_600_000;

impl AttemptLog {
    /// Starts the writer on the current Tokio runtime.
    pub(crate) fn start(store: Store) -> Self {
        let (tx, mut rx) = mpsc::channel::<AttemptJob>(ATTEMPT_QUEUE);
        tokio::spawn(async move {
            let mut written: HashSet<(UserId, CaseId, i64)> = HashSet::new();
            while let Some(job) = rx.recv().await {
                match job {
                    AttemptJob::Flush(done) => {
                        let _ = done.send(());
                    }
                    AttemptJob::Attempt { event, reader, case } => {
                        let hour = event.occurred_at.div_euclid(HOUR_MS);
                        written.retain(|(_, _, h)| *h >= hour - 1);
                        let key = (reader.user, case, hour);
                        if written.contains(&key) {
                            continue;
                        }
                        match store.withheld_among(&reader, &[case]).await {
                            Ok(w) if w.contains(&case) => match store.append_event(*event).await {
                                Ok(_) => {
                                    written.insert(key);
                                }
                                Err(e) => tracing::error!(error = %e, "recording an attempt on a withheld case"),
                            },
                            Ok(_) => {}
                            Err(e) => tracing::error!(error = %e, "checking an attempt on a withheld case"),
                        }
                    }
                }
            }
        });
        Self { tx }
    }

    fn queue(&self, job: AttemptJob) {
        if let Err(e) = self.tx.try_send(job) {
            tracing::warn!(error = %e, "the queue of attempts on withheld cases is full; one is not recorded");
        }
    }

    async fn flush(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(AttemptJob::Flush(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

impl App {
    /// Queues the audit of a failed attempt by `p` to open case `id`: recorded, off the request
    /// path, when the case exists and is withheld from them ([`AttemptLog`]).
    pub(crate) fn note_failed_open(&self, p: &Principal, id: CaseId) {
        let Some(reader) = p.scope.reader.clone() else { return };
        let event = self.event(
            &p.actor,
            WITHHELD_ACCESS,
            "试图查看对其保密的检举控告案件（已拒绝）",
            serde_json::json!({ "case_id": id.to_string() }),
        );
        self.attempts().queue(AttemptJob::Attempt { event: Box::new(event), reader, case: id });
    }

    /// Waits until every attempt queued so far has been checked and, where due, recorded (tests,
    /// and a server shutting down).
    pub async fn flush_attempt_log(&self) {
        self.attempts().flush().await;
    }

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

    /// Makes a timeline safe to show: the one place where events naming another case (a link, a
    /// merge, a conversion) are checked against what this principal may read, for the case page
    /// and the API alike. An event naming a case withheld from the reader leaves the timeline
    /// (第三十条: the reader must not be led to it, nor told it exists). An event naming a case
    /// out of the reader's reach keeps its place but not the other case: its id and kind go,
    /// and its receipt number reads [`UNREADABLE_CASE`].
    ///
    /// # Errors
    /// Database errors.
    pub async fn hide_unreadable_references(&self, p: &Principal, events: &mut Vec<Event>) -> Result<()> {
        let named = |e: &Event| -> Vec<CaseId> {
            CASE_REFERENCES
                .iter()
                .filter_map(|(k, _, _)| e.payload.get(*k).and_then(Json::as_str).and_then(|s| CaseId::parse(s).ok()))
                .collect()
        };
        let ids: Vec<CaseId> = events.iter().flat_map(named).collect::<HashSet<_>>().into_iter().collect();
        if ids.is_empty() {
            return Ok(());
        }
        if let Some(reader) = &p.scope.reader {
            let withheld = self.store().withheld_among(reader, &ids).await?;
            if !withheld.is_empty() {
                events.retain(|e| !named(e).iter().any(|c| withheld.contains(c)));
            }
        }
        let readable = self.store().visible_among(&p.scope, &ids).await?;
        for e in events.iter_mut() {
            let Json::Object(m) = &mut e.payload else { continue };
            for (id_key, receipt_key, kind_key) in CASE_REFERENCES {
                let other = m.get(id_key).and_then(Json::as_str).and_then(|s| CaseId::parse(s).ok());
                if other.is_some_and(|c| !readable.contains(&c)) {
                    m.remove(id_key);
                    m.remove(kind_key);
                    m.insert(receipt_key.to_string(), Json::String(UNREADABLE_CASE.to_string()));
                }
            }
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
