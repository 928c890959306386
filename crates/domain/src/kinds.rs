//! The registry of case kinds. A kind is its slug (the same word in every layer), its Chinese
//! name, its receipt-number code, its workflow table and the fields its free-text search covers.
//! Adding a kind is adding a folder beside [`crate::work_order`] and a line in [`Kinds::standard`].

use serde_json::{Map, Value as Json};

use crate::case::CaseRecord;
use crate::settings::Settings;
use crate::workflow::{ActCtx, ActionError, FieldKind, NewCase, Outcome, Workflow};

/// One case kind.
#[derive(Debug, Clone)]
pub struct KindDef {
    /// `work_order`: folder, URL segment, `kind` column, template folder, fixture.
    pub slug: &'static str,
    /// 12345工单
    pub label: &'static str,
    /// Two letters in the receipt number (GD → AT-GD-2023-000123).
    pub receipt_code: &'static str,
    pub workflow: Workflow,
    /// Data fields searched by the list's free-text filter.
    pub search_fields: Vec<&'static str>,
}

impl KindDef {
    /// Registers a new case of this kind.
    ///
    /// # Errors
    /// [`ActionError`]; nothing is created.
    pub fn open_case(&self, new: NewCase, input: &Map<String, Json>, ctx: &ActCtx<'_>) -> Result<Outcome, ActionError> {
        self.workflow.open_case(self.slug, &self.search_fields, new, input, ctx)
    }

    /// Applies an action to a case of this kind.
    ///
    /// # Errors
    /// [`ActionError`]; the case is untouched.
    pub fn act(
        &self,
        case: &CaseRecord,
        action: &str,
        input: &Map<String, Json>,
        ctx: &ActCtx<'_>,
    ) -> Result<Outcome, ActionError> {
        self.workflow.act(&self.search_fields, case, action, input, ctx)
    }

    /// Applies an action, internal ones included (see [`Workflow::act_internal`]).
    ///
    /// # Errors
    /// [`ActionError`]; the case is untouched.
    pub fn act_internal(
        &self,
        case: &CaseRecord,
        action: &str,
        input: &Map<String, Json>,
        ctx: &ActCtx<'_>,
    ) -> Result<Outcome, ActionError> {
        self.workflow.act_internal(&self.search_fields, case, action, input, ctx)
    }

    /// The choices of a field of the registration form (categories, urgency classes), for list
    /// filters and labels.
    pub fn open_choices(&self, field: &str) -> Vec<(String, String)> {
        match self.workflow.open.field(field).map(|f| &f.kind) {
            Some(FieldKind::Choice { options }) => options.clone(),
            _ => Vec::new(),
        }
    }

    /// The label of a registration-form choice.
    pub fn choice_label(&self, field: &str, code: &str) -> Option<String> {
        self.open_choices(field).into_iter().find(|(c, _)| c == code).map(|(_, l)| l)
    }
}

/// Every kind this installation runs.
#[derive(Debug, Clone)]
pub struct Kinds {
    kinds: Vec<KindDef>,
}

impl Kinds {
    /// The kinds fazhi ships, built with the local settings (urgency classes …).
    pub fn standard(settings: &Settings) -> Self {
        Self {
            kinds: vec![
                crate::work_order::kind(settings),
                crate::visit::kind(settings),
                crate::dispute::kind(settings),
                crate::petition::kind(settings),
            ],
        }
    }

    /// A registry of the given kinds (tests define their own).
    pub fn of(kinds: Vec<KindDef>) -> Self {
        Self { kinds }
    }

    pub fn get(&self, slug: &str) -> Option<&KindDef> {
        self.kinds.iter().find(|k| k.slug == slug)
    }

    pub fn all(&self) -> &[KindDef] {
        &self.kinds
    }
}
