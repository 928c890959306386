//! The workflow engine. A case kind is a table: its states, and its actions — who may take each
//! (roles), from which states, to which state, the fields it takes, the guard that must hold, and
//! its effects (assign a unit, start/stop/extend/suspend a clock, record fields). The engine
//! applies any kind's table to a case and produces the updated case and the event; it knows no
//! kind by name. The UI shows exactly [`Workflow::available`]; the API refuses everything else.

mod engine;
mod field;
pub mod kind;
pub mod shared;
#[cfg(test)]
mod tests;

pub use engine::{ActCtx, ActionError, NewCase, NewEvent, Outcome, clock_facts};
pub use field::{FieldDef, FieldKind, ParseCtx, SealedValue, Sealer, Value, Values, id_tokens};

use serde::Serialize;

use crate::case::{Actor, ActorKind, CaseRecord, ClockClass, Phase};
use crate::deadline::{DeadlineRule, Period};
use crate::role::Role;

/// A refusal by a guard or an effect: the rule that was not met, in Chinese (HTTP 422).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

impl Refusal {
    pub fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

/// Whose move it is in a state, for the workbench ("waiting on my unit").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Waiting {
    /// The intake desk (dispatch, callback, approval).
    Intake,
    /// The unit the case is with.
    Unit,
    /// A leader (approval).
    Leader,
    /// Nobody: finished, or waiting on the public.
    Nobody,
}

/// One state of a kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateDef {
    pub code: &'static str,
    pub label: &'static str,
    pub phase: Phase,
    pub waiting: Waiting,
}

/// Where an action leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Target {
    /// The state does not change (a note, a 督办).
    Stay,
    State {
        state: &'static str,
    },
    /// Depends on a choice field: `map` gives the state for some codes, `otherwise` for the rest
    /// (回访: 不满意 → 办理中, otherwise → 已回访).
    ByChoice {
        field: &'static str,
        map: Vec<(&'static str, &'static str)>,
        otherwise: &'static str,
    },
}

impl Target {
    /// Every state this target can lead to.
    pub fn states(&self) -> Vec<&'static str> {
        match self {
            Self::Stay => vec![],
            Self::State { state } => vec![state],
            Self::ByChoice { map, otherwise, .. } => map.iter().map(|(_, s)| *s).chain([*otherwise]).collect(),
        }
    }
}

/// Computes a deadline rule from the case and the action's values (12345 urgency limits).
pub type RuleFn = fn(&CaseRecord, &Values, &ActCtx<'_>) -> Result<DeadlineRule, Refusal>;
/// Computes a period (an extension's length).
pub type PeriodFn = fn(&CaseRecord, &Values, &ActCtx<'_>) -> Result<Period, Refusal>;
/// A kind-specific check or change.
pub type CaseFn = fn(&mut CaseRecord, &Values, &ActCtx<'_>) -> Result<(), Refusal>;
/// A guard: must hold for the action to be taken.
pub type Guard = fn(&CaseRecord, &Values, &ActCtx<'_>) -> Result<(), Refusal>;

/// What an action does besides changing the state. Applied in order.
#[derive(Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Effect {
    /// Copies the action's values into the case: `title`, `category`, `urgency` and `location` to
    /// the header, everything else into `data` under the field's name.
    Record,
    /// Moves the case to the unit chosen in a field.
    AssignUnit { field: &'static str },
    /// Moves the case to the unit whose id is kept in a data key (back to the intake desk).
    AssignUnitFromData { key: &'static str },
    /// Starts (or restarts) a clock on the action's date ([`ActCtx::on`]).
    StartClock {
        code: &'static str,
        label: &'static str,
        class: ClockClass,
        #[serde(skip)]
        rule: RuleFn,
    },
    /// Stops a clock on the action's date, recording whether it was met.
    StopClock { code: &'static str },
    /// Suspends a clock from the action's date.
    SuspendClock { code: &'static str },
    /// Resumes a suspended clock on the action's date; the suspension is not counted.
    ResumeClock { code: &'static str, reason: &'static str },
    /// Extends a clock by a period. The reason is taken from `reason_field` in the action's values,
    /// or from the case's data (an extension requested earlier and approved now). Approved on the
    /// action's date, which must not be after the clock's due date: only a running period is extended.
    ExtendClock {
        code: &'static str,
        source: &'static str,
        reason_field: &'static str,
        #[serde(skip)]
        period: PeriodFn,
    },
    /// A change specific to the kind.
    Custom {
        #[serde(skip)]
        apply: CaseFn,
    },
}

impl std::fmt::Debug for Effect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&serde_json::to_string(self).unwrap_or_default())
    }
}

/// What an action does for fazhi's shared use cases and pages, so that they find it by what it
/// does rather than by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionTag {
    /// Closes a duplicate into its original (the merge use case; internal).
    Merge,
    /// Turns the case into a case of another kind (the conversion use case; internal).
    Convert,
    /// Sends the case back to whoever dispatched it (退回): the workbench's 被退回 tile.
    Return,
    /// Approves a requested extension (批准延期).
    ApproveExtension,
    /// Sends a registered case to the unit that handles it (派单): what a list's 批量派单 applies.
    Dispatch,
    /// 催办: reminds the unit the case is with, without changing anything else
    /// ([`shared::remind_action`]); the workbench's 被催办 tile.
    Remind,
    /// 撤回: takes back a dispatched case nobody has signed for yet ([`shared::withdraw_action`]).
    Withdraw,
    /// 改派: sends the case to another unit with a reason, its clocks running on
    /// ([`shared::reassign_action`]).
    Reassign,
}

/// One action of a kind.
#[derive(Debug, Clone, Serialize)]
pub struct ActionDef {
    pub code: &'static str,
    /// The verb on the button (派单, 签收, 退回 …).
    pub label: &'static str,
    pub from: Vec<&'static str>,
    pub to: Target,
    /// Staff roles that may take it (any one suffices).
    pub roles: Vec<Role>,
    /// Whether a member of the public may take it (through the tracking page).
    pub public: bool,
    pub fields: Vec<FieldDef>,
    #[serde(skip)]
    pub guard: Option<Guard>,
    pub effects: Vec<Effect>,
    /// Asked before an irreversible action ("办结后将答复来电人，确认办结？").
    pub confirm: Option<&'static str>,
    /// The action's date field that records the day its legal event happened (受理日期, 送达日期,
    /// 回访日期 …): clocks start, stop and extend on that day and the case's version takes effect
    /// then. Without it (or left empty) the event happened today.
    pub dated: Option<&'static str>,
    /// What the action does for the shared use cases (see [`ActionTag`]).
    pub tag: Option<ActionTag>,
    /// The words on the form's submit button when "确认" + the label would read wrong (a label
    /// that is a noun: 办理记录 → 保存办理记录).
    pub submit: Option<&'static str>,
    /// Taken only by a service use case that writes more than this case in one transaction
    /// (转为案件, 合并重复件): never offered by [`Workflow::available`], refused by [`Workflow::act`],
    /// applied by [`Workflow::act_internal`].
    pub internal: bool,
    /// What the user is told, after "当前状态为…，不能执行…", when the action is asked in a state
    /// it is not taken from (撤回 after 签收: use 改派 instead).
    pub otherwise: Option<&'static str>,
}

impl ActionDef {
    /// An action with no fields, roles or effects yet.
    pub fn new(code: &'static str, label: &'static str, from: &[&'static str], to: Target) -> Self {
        Self {
            code,
            label,
            from: from.to_vec(),
            to,
            roles: vec![],
            public: false,
            fields: vec![],
            guard: None,
            effects: vec![],
            confirm: None,
            dated: None,
            tag: None,
            submit: None,
            internal: false,
            otherwise: None,
        }
    }

    /// Words the submit button with `text` instead of "确认" + the label.
    pub fn submit(mut self, text: &'static str) -> Self {
        self.submit = Some(text);
        self
    }

    /// The words on the form's submit button.
    pub fn submit_label(&self) -> String {
        self.submit.map_or_else(|| format!("确认{}", self.label), str::to_string)
    }

    /// What to tell a user who asks for the action in a state it is not taken from (see
    /// [`ActionDef::otherwise`]).
    pub fn otherwise(mut self, text: &'static str) -> Self {
        self.otherwise = Some(text);
        self
    }

    /// Tags the action with what it does (see [`ActionTag`]).
    pub fn tagged(mut self, tag: ActionTag) -> Self {
        self.tag = Some(tag);
        self
    }

    /// Names the date field that records when the action's legal event happened (see
    /// [`ActionDef::dated`]).
    pub fn dated(mut self, field: &'static str) -> Self {
        self.dated = Some(field);
        self
    }

    pub fn roles(mut self, roles: &[Role]) -> Self {
        self.roles = roles.to_vec();
        self
    }

    pub fn public(mut self) -> Self {
        self.public = true;
        self
    }

    pub fn fields(mut self, fields: Vec<FieldDef>) -> Self {
        self.fields = fields;
        self
    }

    pub fn guard(mut self, guard: Guard) -> Self {
        self.guard = Some(guard);
        self
    }

    pub fn effects(mut self, effects: Vec<Effect>) -> Self {
        self.effects = effects;
        self
    }

    pub fn confirm(mut self, text: &'static str) -> Self {
        self.confirm = Some(text);
        self
    }

    /// Marks the action as taken only through a service use case (see [`ActionDef::internal`]).
    pub fn internal(mut self) -> Self {
        self.internal = true;
        self
    }

    /// Whether this actor's roles allow the action (scope is checked where the case is read).
    pub fn permits(&self, actor: &Actor) -> bool {
        match actor.kind {
            ActorKind::Staff => self.roles.iter().any(|r| actor.has_role(*r)),
            ActorKind::Public => self.public,
            ActorKind::System => false,
        }
    }

    pub fn field(&self, name: &str) -> Option<&FieldDef> {
        self.fields.iter().find(|f| f.name == name)
    }
}

/// A kind's whole procedure.
#[derive(Debug, Clone, Serialize)]
pub struct Workflow {
    pub states: Vec<StateDef>,
    /// Registering a new case: `from` is empty; `to` is the first state.
    pub open: ActionDef,
    pub actions: Vec<ActionDef>,
}

/// A defect in a workflow table, found by [`Workflow::check`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TableError(pub String);

impl Workflow {
    pub fn state(&self, code: &str) -> Option<&StateDef> {
        self.states.iter().find(|s| s.code == code)
    }

    pub fn action(&self, code: &str) -> Option<&ActionDef> {
        self.actions.iter().find(|a| a.code == code)
    }

    /// The action tagged with what it does, if the kind has one.
    pub fn tagged(&self, tag: ActionTag) -> Option<&ActionDef> {
        self.actions.iter().find(|a| a.tag == Some(tag))
    }

    /// The label of a state, or the code itself for an unknown one.
    pub fn state_label<'a>(&'a self, code: &'a str) -> &'a str {
        self.state(code).map_or(code, |s| s.label)
    }

    /// The actions this actor may take on this case now, in table order. Internal actions are
    /// never offered: their own use case (and form) takes them.
    pub fn available<'a>(&'a self, case: &CaseRecord, actor: &Actor) -> Vec<&'a ActionDef> {
        self.actions
            .iter()
            .filter(|a| !a.internal && a.from.contains(&case.state.as_str()) && a.permits(actor))
            .collect()
    }

    /// Checks the table: unique codes, every state named exists, every choice-based target's field
    /// is a choice of the action, open leads to a state. Run by each kind's tests.
    ///
    /// # Errors
    /// The first defect found.
    pub fn check(&self) -> Result<(), TableError> {
        let err = |m: String| Err(TableError(m));
        for (i, s) in self.states.iter().enumerate() {
            if self.states[..i].iter().any(|o| o.code == s.code) {
                return err(format!("duplicate state {}", s.code));
            }
        }
        if !self.open.from.is_empty() {
            return err("open must not have from-states".into());
        }
        for (i, a) in std::iter::once(&self.open).chain(&self.actions).enumerate() {
            if i > 0 && self.actions[..i - 1].iter().any(|o| o.code == a.code) {
                return err(format!("duplicate action {}", a.code));
            }
            if a.code == self.open.code && i > 0 {
                return err(format!("action {} reuses the open code", a.code));
            }
            for s in a.from.iter().copied().chain(a.to.states()) {
                if self.state(s).is_none() {
                    return err(format!("action {} names unknown state {s}", a.code));
                }
            }
            if let Target::ByChoice { field, map, .. } = &a.to {
                match a.field(field).map(|f| &f.kind) {
                    Some(FieldKind::Choice { options }) => {
                        for (code, _) in map {
                            if !options.iter().any(|(c, _)| c == code) {
                                return err(format!("action {} maps unknown choice {code}", a.code));
                            }
                        }
                    }
                    _ => {
                        return err(format!("action {} chooses by {field}, which is not a choice field", a.code));
                    }
                }
            }
            if matches!(a.to, Target::Stay) && i == 0 {
                return err("open must lead to a state".into());
            }
            if let Some(d) = a.dated
                && !matches!(a.field(d).map(|f| &f.kind), Some(FieldKind::Date))
            {
                return err(format!("action {} is dated by {d}, which is not a date field", a.code));
            }
            if let Some(t) = a.tag
                && self.actions.iter().filter(|o| o.tag == Some(t)).count() > 1
            {
                return err(format!("more than one action tagged {t:?}"));
            }
            if matches!(a.tag, Some(ActionTag::Merge | ActionTag::Convert)) && !a.internal {
                return err(format!("action {} is tagged {:?} but not internal", a.code, a.tag));
            }
            if a.roles.is_empty() && !a.public {
                return err(format!("action {} can be taken by nobody", a.code));
            }
            for (j, f) in a.fields.iter().enumerate() {
                if a.fields[..j].iter().any(|o| o.name == f.name) {
                    return err(format!("action {} has duplicate field {}", a.code, f.name));
                }
                if matches!(f.name, "version" | "attachments") {
                    return err(format!("action {} uses reserved field name {}", a.code, f.name));
                }
            }
        }
        Ok(())
    }
}
