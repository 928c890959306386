//! The working-day calendar: explaining a deadline, and importing a new year's arrangement.
//! Importing a year recomputes every open case whose dates rested on a guess for that year, each
//! with an event saying what moved (no silent change).

use fazhi_domain::calendar::{Calendar, YearCalendar};
use fazhi_domain::case::Actor;
use fazhi_domain::deadline::{self, Computed, DeadlineRule, Period};
use fazhi_domain::time_util::fmt_date;
use fazhi_store::CaseWrite;
use serde_json::json;
use time::Date;

use crate::{App, Result, ServiceError};

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    pub year: i32,
    /// The year was already loaded (shipped or imported) and has been replaced.
    pub replaced: bool,
    pub off_days: usize,
    pub make_up_days: usize,
    /// Open cases whose dates were recomputed.
    pub recomputed: usize,
}

impl App {
    /// The due date of `period` counted from `start` on the calendar in effect, with its steps.
    pub fn explain_add(&self, start: Date, period: Period) -> Computed {
        let rule =
            DeadlineRule { period, trigger: "起算日".into(), source: "试算（未指定法律依据）".into() };
        deadline::compute(&self.calendar(), &rule, start, &[], &[])
    }

    /// Imports one year (holiday-cn JSON), replacing any shipped or earlier import of that year,
    /// then recomputes the dates of open cases that were provisional.
    ///
    /// # Errors
    /// A malformed file (nothing is changed), or database errors.
    pub async fn import_calendar(&self, json_text: &str, by: &str) -> Result<ImportOutcome> {
        let year =
            YearCalendar::parse_json(json_text).map_err(|e| ServiceError::field("file", "日历文件", e.to_string()))?;
        let current = self.calendar();
        let replaced = current.has_year(year.year);
        let mut cal: Calendar = (*current).clone();
        let outcome_year = year.year;
        let (off_days, make_up_days) = (year.off.len(), year.work.len());
        self.store().put_calendar_year(year.year, &year.to_json(), self.now_ms(), by).await?;
        cal.insert(year);
        self.set_calendar(cal);
        for t in self.tenants().iter() {
            let actor = Actor::system(t.id);
            let ev = self.event(&actor, "calendar.imported", "导入节假日安排",
                json!({"year": outcome_year, "replaced": replaced, "by": by, "off_days": off_days, "make_up_days": make_up_days}));
            self.store().append_event(ev).await?;
        }
        let recomputed = self.recompute_provisional().await?;
        Ok(ImportOutcome { year: outcome_year, replaced, off_days, make_up_days, recomputed })
    }

    /// Recomputes every open case whose dates rest on a year without data, writing a
    /// `clock.recompute` event for each one whose dates changed or stopped being provisional.
    ///
    /// # Errors
    /// Database errors.
    pub async fn recompute_provisional(&self) -> Result<usize> {
        let cal = self.calendar();
        let mut n = 0;
        for case in self.store().provisional_cases().await? {
            let mut next = case.clone();
            next.clocks.recompute(&cal);
            if next.clocks == case.clocks {
                continue;
            }
            let changes: Vec<serde_json::Value> = case
                .clocks
                .0
                .iter()
                .zip(&next.clocks.0)
                .filter(|(a, b)| a.computed != b.computed)
                .map(|(a, b)| {
                    json!({
                        "clock": b.label,
                        "before": fmt_date(a.computed.due),
                        "after": fmt_date(b.computed.due),
                        "provisional": b.computed.provisional,
                    })
                })
                .collect();
            fazhi_domain::workflow::clock_facts(&mut next);
            next.version = case.version + 1;
            next.updated_at = self.now_ms();
            // A correction of the calendar, not a legal event: the dates it moves take effect now.
            next.effective_at = case.effective_at.max(next.updated_at);
            let actor = Actor::system(case.tenant_id);
            let ev = fazhi_domain::event::Event {
                case_id: Some(case.id),
                from_state: Some(case.state.clone()),
                to_state: Some(case.state.clone()),
                ..self.event(
                    &actor,
                    "clock.recompute",
                    "期限重算",
                    json!({"reason": "导入节假日安排", "changes": changes}),
                )
            };
            match self
                .store()
                .apply_action(CaseWrite { case: &next, event: ev, digests: &[], query_digest: None }, case.version)
                .await
            {
                Ok(_) => n += 1,
                // Someone acted on it meanwhile; their action recomputed nothing, so try once more later.
                Err(fazhi_store::StoreError::Stale { .. }) => {
                    tracing::warn!(case = %case.receipt_no, "case changed during recomputation; left for the next run")
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(n)
    }
}
