//! 工作台: what needs the signed-in user now — per kind, the cases waiting on them, due today,
//! overdue, and returned to them — each a count with the list query that lists them.
//!
//! A tile is its list query: the count is taken by reading that query with the list's own parser
//! ([`ListQuery::to_filter`]) and counting what the list would show, so a tile and the list its
//! link opens cannot differ. A kind none of whose states wait on this user has no 待我处理 tile,
//! and one with no way back to them no 被退回 tile (rather than a tile whose link, without
//! states, would list every open case).

use fazhi_domain::case::Phase;
use fazhi_domain::kinds::KindDef;
use fazhi_domain::role::Role;
use fazhi_domain::time_util::local_date;
use fazhi_domain::workflow::{ActionTag, Target, Waiting};
use fazhi_store::{CaseFilter, CaseListItem, SortField};
use time::Date;

use crate::list_query::ListQuery;
use crate::{App, Principal, Result};

/// One count and the list behind it.
#[derive(Debug, Clone)]
pub struct Tile {
    pub count: u64,
    /// The list's parameters (the tile's link is the kind's list with them).
    pub query: ListQuery,
}

/// The workbench of one kind.
#[derive(Debug, Clone)]
pub struct KindTiles {
    pub kind: &'static str,
    pub label: &'static str,
    /// None for a user on whom no state of the kind waits.
    pub waiting: Option<Tile>,
    pub due_today: Tile,
    pub overdue: Tile,
    /// None where nothing this user waits on is reached by sending a case back.
    pub returned: Option<Tile>,
    /// Waiting on the user's unit and reminded (催办) by the desk: 被催办 (each row of its list
    /// says how many times). None for a user on whom no unit state of the kind waits.
    pub reminded: Option<Tile>,
}

#[derive(Debug, Clone)]
pub struct Workbench {
    pub today: Date,
    /// The kinds in whose tables the user has a part, with their tiles.
    pub kinds: Vec<KindTiles>,
    /// The cases waiting on the user, most urgent first (the running deadline soonest), at most
    /// [`WAITING_ROWS`]: the list under the tiles.
    pub todo: Vec<CaseListItem>,
    /// What the workbench is for, for a user whose roles no kind gives work yet (网格员 until
    /// events are reported through fazhi): the empty state says so.
    pub purpose: Option<&'static str>,
}

/// How many waiting cases the workbench lists under its tiles.
pub const WAITING_ROWS: u32 = 20;

/// Whether the user has a part in the kind's procedure: registers it or takes one of its actions.
fn takes_part(kind: &KindDef, p: &Principal) -> bool {
    std::iter::once(&kind.workflow.open).chain(&kind.workflow.actions).any(|a| a.permits(&p.actor))
}

/// Whose turn a user takes, by role.
fn waits_for(p: &Principal) -> Vec<Waiting> {
    let mut w = Vec::new();
    if p.has_role(Role::IntakeClerk) {
        w.push(Waiting::Intake);
    }
    if p.has_role(Role::Leader) {
        w.push(Waiting::Leader);
    }
    if [Role::Handler, Role::GridWorker, Role::Mediator, Role::EnforcementOfficer, Role::LegalReviewer]
        .iter()
        .any(|r| p.has_role(*r))
    {
        w.push(Waiting::Unit);
    }
    w
}

/// States a case reaches by being sent back (退回): the targets of the action tagged
/// [`ActionTag::Return`].
pub fn returned_states(kind: &KindDef) -> Vec<String> {
    let mut v: Vec<String> = kind
        .workflow
        .actions
        .iter()
        .filter(|a| a.tag == Some(ActionTag::Return))
        .flat_map(|a| match &a.to {
            Target::Stay => a.from.iter().map(|s| (*s).to_string()).collect(),
            t => t.states().into_iter().map(String::from).collect::<Vec<_>>(),
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

impl App {
    /// The signed-in user's workbench.
    ///
    /// # Errors
    /// Database errors; a pending password change.
    pub async fn workbench(&self, p: &Principal) -> Result<Workbench> {
        p.ready()?;
        let today = local_date(self.now());
        let waits = waits_for(p);
        let mut kinds = Vec::new();
        let mut todo: Vec<CaseListItem> = Vec::new();
        for kind in self.kinds().all().iter().filter(|k| takes_part(k, p)) {
            let base = CaseFilter { kind: Some(kind.slug.to_string()), phase: Some(Phase::Open), ..Default::default() };
            // Every state not archived whose turn is this user's: 已办结待回访 is closed (the
            // figures count it as concluded) and still waits on the clerk's callback.
            let waiting_states: Vec<String> = kind
                .workflow
                .states
                .iter()
                .filter(|s| s.phase != Phase::Archived && waits.contains(&s.waiting))
                .map(|s| s.code.to_string())
                .collect();
            let waiting = CaseFilter { kind: base.kind.clone(), states: waiting_states.clone(), ..Default::default() };
            let due_today = CaseFilter { due_from: Some(today), due_by: Some(today), ..base.clone() };
            let overdue = CaseFilter { overdue_on: Some(today), ..base.clone() };
            let returned_states: Vec<String> =
                returned_states(kind).into_iter().filter(|s| waiting_states.contains(s)).collect();
            let returned = CaseFilter { states: returned_states.clone(), ..base.clone() };
            // 被催办: a case the desk reminded, still waiting on the reminded unit (a handler's turn).
            let unit_states: Vec<String> = kind
                .workflow
                .states
                .iter()
                .filter(|s| s.phase == Phase::Open && s.waiting == Waiting::Unit && waits.contains(&s.waiting))
                .map(|s| s.code.to_string())
                .collect();
            let reminded = CaseFilter { states: unit_states, reminded: true, ..base.clone() };
            if !waiting.states.is_empty() {
                let soonest = CaseFilter { sort: SortField::DueOn, ..waiting.clone() };
                todo.extend(self.list(p, &soonest, 1, WAITING_ROWS).await?.items);
            }
            kinds.push(KindTiles {
                kind: kind.slug,
                label: kind.label,
                waiting: if waiting_states.is_empty() { None } else { Some(self.tile(p, &waiting).await?) },
                due_today: self.tile(p, &due_today).await?,
                overdue: self.tile(p, &overdue).await?,
                returned: if returned_states.is_empty() { None } else { Some(self.tile(p, &returned).await?) },
                reminded: if reminded.states.is_empty() { None } else { Some(self.tile(p, &reminded).await?) },
            });
        }
        // Across kinds: a running deadline first, soonest first; then the oldest.
        todo.sort_by_key(|i| (i.case.clocks.due_on().is_none(), i.case.clocks.due_on(), i.case.opened_at));
        todo.truncate(WAITING_ROWS as usize);
        let purpose = kinds.is_empty().then(|| p.user.roles.iter().find_map(|r| r.workbench_purpose())).flatten();
        Ok(Workbench { today, kinds, todo, purpose })
    }

    /// The tile of `f`: its list query, and the number of cases the list of that query holds for
    /// `p`, read back through the list's parser.
    async fn tile(&self, p: &Principal, f: &CaseFilter) -> Result<Tile> {
        let query = ListQuery::from_filter(self, f);
        let filter = self.as_reader(p, &query.to_filter(self)?);
        let count = self.store().count_cases(&p.scope, &filter).await?;
        Ok(Tile { count, query })
    }

    /// The date `n` working days after today (for "due within n working days").
    pub fn working_days_from_today(&self, n: u32) -> Date {
        let cal = self.calendar();
        let mut d = local_date(self.now());
        let mut k = 0;
        while k < n {
            d = d.next_day().unwrap_or(d);
            if cal.is_working_day(d) {
                k += 1;
            }
        }
        d
    }
}
