//! The case: the header every kind shares, the kind's own fields (`data`), and its clocks.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use time::Date;

use crate::calendar::Calendar;
use crate::deadline::{self, Computed, DeadlineRule, Extension, Suspension};
use crate::ids::{CaseId, TenantId, UnitId, UserId};
use crate::role::Role;
use crate::time_util::fmt_date;
use crate::unit::UnitPath;

/// Where a case stands overall; each state of a kind belongs to one phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Being worked on.
    Open,
    /// Concluded (办结), possibly with follow-up left (回访), not yet archived.
    Closed,
    /// Archived (归档) or otherwise finished for good.
    Archived,
}

impl Phase {
    pub fn code(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
            Self::Archived => "archived",
        }
    }

    /// # Errors
    /// An unknown code (only from a damaged database).
    pub fn parse(code: &str) -> Result<Self, crate::Invalid> {
        match code {
            "open" => Ok(Self::Open),
            "closed" => Ok(Self::Closed),
            "archived" => Ok(Self::Archived),
            _ => Err(crate::Invalid::new(format!("未知的阶段“{code}”"))),
        }
    }
}

/// Whether a clock's date is a statutory limit or a local target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClockClass {
    /// Set by law: missing it is a violation (信访工作条例 第四十五条 …).
    Statutory,
    /// Set locally (12345 urgency classes) or an internal target.
    Target,
}

/// One running (or stopped) deadline of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clock {
    /// Stable within the kind (`handle`, `accept`, `conclude`).
    pub code: String,
    /// What the date is called on screen ("办理期限").
    pub label: String,
    pub class: ClockClass,
    pub rule: DeadlineRule,
    pub started_on: Date,
    #[serde(default)]
    pub suspensions: Vec<Suspension>,
    /// Suspended now, since this day: no due date until resumed.
    #[serde(default)]
    pub suspended_since: Option<Date>,
    #[serde(default)]
    pub extensions: Vec<Extension>,
    #[serde(default)]
    pub stopped_on: Option<Date>,
    /// Whether it was stopped on or before its due date.
    #[serde(default)]
    pub met: Option<bool>,
    /// The last computation (kept so lists need no calendar, and so the explanation shown is the
    /// one the date was set by).
    pub computed: Computed,
}

impl Clock {
    /// Starts a clock on `on` and computes its date.
    pub fn start(code: &str, label: &str, class: ClockClass, rule: DeadlineRule, on: Date, cal: &Calendar) -> Self {
        let computed = deadline::compute(cal, &rule, on, &[], &[]);
        Self {
            code: code.to_string(),
            label: label.to_string(),
            class,
            rule,
            started_on: on,
            suspensions: Vec::new(),
            suspended_since: None,
            extensions: Vec::new(),
            stopped_on: None,
            met: None,
            computed,
        }
    }

    /// Recomputes the date (after an extension, a resumption, or a new calendar year).
    pub fn recompute(&mut self, cal: &Calendar) {
        self.computed = deadline::compute(cal, &self.rule, self.started_on, &self.suspensions, &self.extensions);
    }

    pub fn is_running(&self) -> bool {
        self.stopped_on.is_none()
    }

    /// The date it is due, while running and not suspended.
    pub fn due(&self) -> Option<Date> {
        (self.is_running() && self.suspended_since.is_none()).then_some(self.computed.due)
    }

    /// Stops the clock and records whether the deadline was met.
    pub fn stop(&mut self, on: Date) {
        self.met = Some(on <= self.computed.due);
        self.stopped_on = Some(on);
    }

    /// The explanation, with the clock's state after the computation.
    pub fn explain(&self) -> Vec<String> {
        let mut steps = self.computed.steps.clone();
        if let Some(since) = self.suspended_since {
            steps.push(format!("自 {} 起中止计算，恢复后重新推算", fmt_date(since)));
        }
        if let (Some(on), Some(met)) = (self.stopped_on, self.met) {
            steps.push(format!("已于 {} 停止计时（{}）", fmt_date(on), if met { "按期" } else { "超期" }));
        }
        steps
    }
}

/// A case's clocks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Clocks(pub Vec<Clock>);

impl Clocks {
    pub fn get(&self, code: &str) -> Option<&Clock> {
        self.0.iter().find(|c| c.code == code)
    }

    pub fn get_mut(&mut self, code: &str) -> Option<&mut Clock> {
        self.0.iter_mut().find(|c| c.code == code)
    }

    /// Puts a clock in place, replacing one with the same code (a restarted clock).
    pub fn put(&mut self, clock: Clock) {
        match self.get_mut(&clock.code) {
            Some(c) => *c = clock,
            None => self.0.push(clock),
        }
    }

    /// The earliest date any running clock is due: the case's 办理期限 in lists.
    pub fn due_on(&self) -> Option<Date> {
        self.0.iter().filter_map(Clock::due).min()
    }

    /// The earliest statutory date of a running clock.
    pub fn statutory_due_on(&self) -> Option<Date> {
        self.0.iter().filter(|c| c.class == ClockClass::Statutory).filter_map(Clock::due).min()
    }

    /// A running clock's date rests on a year without calendar data.
    pub fn provisional(&self) -> bool {
        self.0.iter().any(|c| c.is_running() && c.computed.provisional)
    }

    /// Recomputes every running clock (a calendar year was loaded). Returns whether any date moved.
    pub fn recompute(&mut self, cal: &Calendar) -> bool {
        let mut moved = false;
        for c in self.0.iter_mut().filter(|c| c.is_running()) {
            let before = c.computed.clone();
            c.recompute(cal);
            moved |= c.computed != before;
        }
        moved
    }
}

/// The actor of an action: a staff user, a member of the public (public tracking page), or fazhi
/// itself (deadline recomputation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub kind: ActorKind,
    pub user_id: Option<UserId>,
    pub name: String,
    pub tenant_id: TenantId,
    pub unit_id: Option<UnitId>,
    pub unit_path: Option<UnitPath>,
    pub roles: Vec<Role>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Staff,
    Public,
    System,
}

impl Actor {
    /// fazhi itself, for events it writes (recomputed deadlines).
    pub fn system(tenant_id: TenantId) -> Self {
        Self {
            kind: ActorKind::System,
            user_id: None,
            name: "系统".into(),
            tenant_id,
            unit_id: None,
            unit_path: None,
            roles: vec![],
        }
    }

    /// A member of the public using the tracking page.
    pub fn public(tenant_id: TenantId) -> Self {
        Self {
            kind: ActorKind::Public,
            user_id: None,
            name: "群众".into(),
            tenant_id,
            unit_id: None,
            unit_path: None,
            roles: vec![],
        }
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// A case as the engine works on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseRecord {
    pub id: CaseId,
    pub tenant_id: TenantId,
    /// The kind's slug (`work_order`).
    pub kind: String,
    /// The human receipt number (AT-GD-2023-000123).
    pub receipt_no: String,
    pub title: String,
    pub category: Option<String>,
    pub urgency: Option<String>,
    pub state: String,
    pub phase: Phase,
    /// The unit the case is with now.
    pub unit_id: UnitId,
    pub unit_path: UnitPath,
    pub location: Option<String>,
    /// The kind's own fields. Personal identifiers are stored sealed: `{"mask": …, "enc": …}`.
    pub data: Map<String, Json>,
    pub clocks: Clocks,
    /// Unix ms.
    pub opened_at: i64,
    pub closed_at: Option<i64>,
    /// Unix ms of the last write.
    pub updated_at: i64,
    /// Unix ms from which this version of the case is in effect: when its latest legal event
    /// happened as recorded (never earlier than the version before). Figures of a period are
    /// computed from the versions in effect at its end (统计截止日).
    #[serde(default)]
    pub effective_at: i64,
    pub created_by: Option<UserId>,
    /// Optimistic-concurrency version: starts at 1, +1 per action.
    pub version: i64,
    /// Text searched by the list's free-text filter.
    pub search_text: String,
}

impl CaseRecord {
    /// A data field as text, when it is a string.
    pub fn data_str(&self, key: &str) -> Option<&str> {
        self.data.get(key).and_then(Json::as_str)
    }

    /// A data field as an integer.
    pub fn data_i64(&self, key: &str) -> Option<i64> {
        self.data.get(key).and_then(Json::as_i64)
    }
}
