//! 检举控告 confidentiality (《信访工作条例》第三十条): the accused unit never sees the accuser's
//! identity or material.
//!
//! A case the domain marked confidential (a 检举控告 petition, or the visit it came from) names
//! the accused unit and the data keys to withhold. Every read the service answers — a case page
//! ([`App::detail`]), a list ([`App::list`]), the case an action returns, links and duplicate
//! candidates — passes through [`App::redact_case`] / [`App::redact_events`]: a reader whose unit
//! is the accused unit or below it gets those fields, in the case and in every event of its
//! timeline, replaced by a notice. The rule is set-based on the reader's unit path, not on a
//! role, so it holds for a leader or a legal reviewer of that unit as much as for its handlers.
//! Any new read path must call them too (an export, a printed document).

use fazhi_domain::case::CaseRecord;
use fazhi_domain::event::Event;
use fazhi_domain::workflow::shared;
use serde_json::Value as Json;

use crate::{App, Principal};

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
}
