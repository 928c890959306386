//! What a case kind says about itself: everything the rest of fazhi needs to run it, as data.
//!
//! A kind is its folder (`crates/domain/src/<slug>/`) and one line in the registry
//! ([`crate::kinds::Kinds::standard`]). Its [`KindDef`] carries the workflow table, the fields
//! the list's text search covers, its figures ([`MetricDef`]s), its settings as configured, its
//! capabilities (checked for duplicates at intake, created from a visit, linkable as the same
//! matter, the parties shown in exports), the columns of its own in an export, and its clauses
//! in the annual report with their place in the outline. The service, the pages, the API, the
//! exports and the report read these; none of them names a kind.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::{Map, Value as Json};

use super::{ActCtx, ActionError, FieldKind, NewCase, Outcome, Workflow};
use crate::case::CaseRecord;
use crate::error::Invalid;
use crate::metric::MetricDef;
use crate::role::Role;
use crate::settings::{KindSettings, validate_section};

/// Checks a kind's configured section (`section`, its value); see [`KindDef::settings`].
pub type SettingsCheck = fn(&str, &Json) -> Result<(), Invalid>;

/// The subsections of 一、主要工作及成效 of the annual report, in the order of the model report
/// (`shared/seed`): where a kind's clauses go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    /// （一）坚持和加强党的全面领导，优化统筹法治政府建设
    Leadership,
    /// （二）坚持以人民为中心，构建服务型法治政府
    Service,
    /// （三）健全行政执法工作体系，全面推进严格规范公正文明执法
    Enforcement,
    /// （四）深化多元共治，提升社会治理法治化水平
    Governance,
    /// （五）完善科学民主依法决策机制，推进政府治理法治化规范化
    Decisions,
    /// （六）依法行政加强权力监督制约，确保行政权力规范透明
    Oversight,
}

impl Section {
    /// Every subsection, in the report's order.
    pub const ALL: [Section; 6] =
        [Self::Leadership, Self::Service, Self::Enforcement, Self::Governance, Self::Decisions, Self::Oversight];

    /// The heading the model report gives the subsection.
    pub fn heading(self) -> &'static str {
        match self {
            Self::Leadership => "坚持和加强党的全面领导，优化统筹法治政府建设",
            Self::Service => "坚持以人民为中心，构建服务型法治政府",
            Self::Enforcement => "健全行政执法工作体系，全面推进严格规范公正文明执法",
            Self::Governance => "深化多元共治，提升社会治理法治化水平",
            Self::Decisions => "完善科学民主依法决策机制，推进政府治理法治化规范化",
            Self::Oversight => "依法行政加强权力监督制约，确保行政权力规范透明",
        }
    }
}

/// One clause of a kind in the annual report's default draft: text with `{metric.code}`
/// placeholders (and `{year}`, `{town}`, `{metric.code:categories}`), ending with `；` or `。`.
/// Clauses of one paragraph — the same section and paragraph number, from any kind — are joined
/// in `order`; the paragraph's last `；` becomes `。`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReportClause {
    pub section: Section,
    pub paragraph: u8,
    pub order: u16,
    pub text: &'static str,
}

/// A column of a kind's own in an export of its cases: a data field and its heading. Choices are
/// printed by their labels, identifiers masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportColumn {
    pub key: &'static str,
    pub label: &'static str,
}

/// Which data fields hold the case's main party, for the columns every export has
/// (当事人/来电人, 联系电话).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PartyFields {
    pub name: &'static str,
    pub phone: &'static str,
}

/// What a registration at a reception desk (来访) knows about a matter, whatever kind it becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IntakeKey {
    Title,
    Content,
    PartyName,
    PartyPhone,
    PartyIdCard,
    PartyAddress,
    /// The day the matter was received (the visit's day): clocks run from it.
    ReceivedOn,
}

/// The kind can be opened from a visit (转为案件): which of its registration fields each intake
/// key fills, and fixed values it starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConversionTarget {
    pub fills: Vec<(IntakeKey, &'static str)>,
    pub defaults: Vec<(&'static str, &'static str)>,
}

/// The kind is the source of conversions (a visit): its fields for each intake key, and the data
/// keys its conversion action records the new case in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConversionSource {
    pub gives: Vec<(IntakeKey, &'static str)>,
    /// The data key of the new case's kind and of its id (the convert action's fields).
    pub target_kind_key: &'static str,
    pub target_case_key: &'static str,
    /// The convert action's field naming the unit a new 检举控告 accuses, so the source case is
    /// kept from that unit too (信访工作条例第三十条).
    pub accused_unit_key: Option<&'static str>,
}

/// The kind is compared at intake for the same person or the same matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Duplicates {
    /// A closed case still shown as a duplicate when this data key has this value (a petition
    /// whose 复核 is concluded: the same matter is not accepted again, 信访工作条例第三十六条第三款).
    pub closed_for_good: Option<(&'static str, &'static str)>,
}

/// Notes on a case that an earlier one is the same matter (同一事项): for a kind whose law says
/// what that means (a petition after a concluded 复核).
pub type SameMatterFn = fn(&mut CaseRecord, &CaseRecord);

/// What a kind can do beyond its own workflow; `None` where it cannot.
#[derive(Clone, Default)]
pub struct Capabilities {
    /// Checked for duplicates at registration.
    pub duplicates: Option<Duplicates>,
    /// Can be opened from a visit.
    pub conversion_target: Option<ConversionTarget>,
    /// Is itself turned into other kinds (a visit).
    pub conversion_source: Option<ConversionSource>,
    /// Two of its cases may be linked as the same matter; the function records what that means.
    pub same_matter: Option<SameMatterFn>,
    /// The parties shown in every export's common columns.
    pub party: Option<PartyFields>,
    /// The report draws its monthly chart of registrations and closures from this kind.
    pub monthly_chart: bool,
}

impl std::fmt::Debug for Capabilities {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Capabilities")
            .field("duplicates", &self.duplicates)
            .field("conversion_target", &self.conversion_target)
            .field("conversion_source", &self.conversion_source)
            .field("same_matter", &self.same_matter.is_some())
            .field("party", &self.party)
            .field("monthly_chart", &self.monthly_chart)
            .finish()
    }
}

/// What a paper says, block by block. Text and values name what fills them: a data field of the
/// kind's forms (`party_name`), or one of the names every case has — `receipt_no`, `query_code`,
/// `kind`, `title`, `opened_on`, `unit`, `issuer` (the town's government), `contact` (its public
/// contact), `action_on` (the day of the action the paper documents), `due:<clock>` and
/// `rule:<clock>` (a clock's due date and the rule that set it). In text they are written
/// `{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PaperBlock {
    /// The salutation, "{value}：", from a field naming the person told; left out when empty.
    Addressee(&'static str),
    /// A heading inside the paper (一、当事人的基本情况).
    Heading(&'static str),
    /// A paragraph; left out when every name it reads is empty.
    Text(&'static str),
    /// A two-column table of labelled values; a row whose value is empty is left out.
    Facts(Vec<(&'static str, &'static str)>),
    /// Lines to sign on (签名、盖章或者按指印).
    Signatures(Vec<&'static str>),
    /// The public tracking page's address as a QR code, with the address printed beside it.
    Tracking,
    /// The issuer and the day of the action (落款).
    Closing,
}

/// A paper a kind prints the way towns work on paper (受理回执, the handler's 工单, 人民调解协议书,
/// the 告知书 of 信访工作条例第二十三条): the service fills it from the case, the pages print it on
/// A4 and, where a signed paper is the norm, give it as a Word file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Printable {
    /// Its URL segment (`receipt`, `agreement` …), unique within the kind.
    pub code: &'static str,
    /// The paper's title (受理回执).
    pub title: &'static str,
    /// The action whose recorded event the paper documents (its fields are read from that event
    /// first); `None`: the paper exists from registration on.
    pub after: Option<&'static str>,
    /// Only these roles may print it (the receipt carries the query code); empty: whoever may
    /// read the case.
    pub roles: Vec<Role>,
    /// Also a .docx (a paper that is signed or served).
    pub docx: bool,
    pub blocks: Vec<PaperBlock>,
}

/// The names a paper may use besides the kind's fields (see [`PaperBlock`]).
pub const PAPER_NAMES: [&str; 9] =
    ["receipt_no", "query_code", "kind", "title", "opened_on", "unit", "issuer", "contact", "action_on"];

impl Printable {
    /// Every name the paper reads, in order (text placeholders and fact values).
    pub fn names(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for b in &self.blocks {
            match b {
                PaperBlock::Addressee(n) => out.push(*n),
                PaperBlock::Text(t) => out.extend(placeholders(t)),
                PaperBlock::Facts(rows) => out.extend(rows.iter().map(|(_, n)| *n)),
                PaperBlock::Heading(_) | PaperBlock::Signatures(_) | PaperBlock::Tracking | PaperBlock::Closing => {}
            }
        }
        out
    }
}

/// The `{name}`s of a text, in order.
pub fn placeholders(text: &'static str) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        let Some(j) = after.find('}') else { break };
        out.push(&after[..j]);
        rest = &after[j + 1..];
    }
    out
}

/// How the pages word a kind where a generic word would be wrong: the registration's title, who
/// is told the receipt, and the next step after registering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Wording {
    /// The registration page's title and button (登记12345工单, 登记来访); by default 登记 + the
    /// kind's label.
    pub register: Cow<'static, str>,
    /// Who is told the receipt number and query code (来电人, 信访人, 当事人).
    pub party: &'static str,
    /// The button from the receipt to the case (查看并派单, 查看并受理).
    pub next: &'static str,
}

/// The figures of a kind's row on the leader's dashboard (领导驾驶舱, one row per kind): which of
/// its own figures counts what it received, and which is its on-time rate, if it has one. The
/// row's other columns (在办, 已超期) are the same for every kind: its open cases and its open
/// cases past a running clock's due date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// A count figure of the kind's (`<slug>.accepted`): 受理数 as the report prints it.
    pub received: &'static str,
    /// A rate figure of the kind's (`<slug>.on_time_rate`); `None` for a kind without deadlines
    /// it is measured against.
    pub on_time_rate: Option<&'static str>,
}

/// One case kind, described whole.
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
    /// The kind's figures; their codes start with the slug and a dot.
    pub metrics: Vec<MetricDef>,
    /// The kind's settings as configured (its configuration section, named by the slug), for
    /// `fazhi config show`; an empty object when the kind has none.
    pub settings: Json,
    /// Checks a configured section of the kind's (`None`: the kind has no settings).
    pub settings_check: Option<SettingsCheck>,
    pub capabilities: Capabilities,
    /// Columns of its own in an export of its cases (after the columns every export has).
    pub export: Vec<ExportColumn>,
    /// Its clauses in the annual report.
    pub report: Vec<ReportClause>,
    /// The papers it prints.
    pub printables: Vec<Printable>,
    /// Its words on the pages.
    pub wording: Wording,
    /// Its row on the leader's dashboard (`None`: its first count figure and no rate).
    pub summary: Option<Summary>,
}

impl KindDef {
    /// A kind with its table and nothing else yet: no search fields, figures, settings,
    /// capabilities, export columns or report clauses.
    pub fn new(slug: &'static str, label: &'static str, receipt_code: &'static str, workflow: Workflow) -> Self {
        Self {
            slug,
            label,
            receipt_code,
            workflow,
            search_fields: Vec::new(),
            metrics: Vec::new(),
            settings: Json::Object(Map::new()),
            settings_check: None,
            capabilities: Capabilities::default(),
            export: Vec::new(),
            report: Vec::new(),
            printables: Vec::new(),
            wording: Wording {
                register: Cow::Owned(format!("登记{label}")), party: "当事人", next: "查看案件"
            },
            summary: None,
        }
    }

    pub fn printables(mut self, printables: Vec<Printable>) -> Self {
        self.printables = printables;
        self
    }

    pub fn wording(mut self, wording: Wording) -> Self {
        self.wording = wording;
        self
    }

    /// A paper of the kind by its code.
    pub fn printable(&self, code: &str) -> Option<&Printable> {
        self.printables.iter().find(|p| p.code == code)
    }

    pub fn search(mut self, fields: &[&'static str]) -> Self {
        self.search_fields = fields.to_vec();
        self
    }

    pub fn metrics(mut self, metrics: Vec<MetricDef>) -> Self {
        self.metrics = metrics;
        self
    }

    /// The kind's settings as configured: its section of the configuration, with its defaults
    /// and validation (the type's [`KindSettings`] impl, in the kind's folder).
    pub fn settings<T: KindSettings>(mut self, settings: &T) -> Self {
        self.settings = serde_json::to_value(settings).unwrap_or(Json::Null);
        self.settings_check = Some(validate_section::<T>);
        self
    }

    pub fn capabilities(mut self, capabilities: Capabilities) -> Self {
        self.capabilities = capabilities;
        self
    }

    pub fn export(mut self, columns: Vec<ExportColumn>) -> Self {
        self.export = columns;
        self
    }

    pub fn report(mut self, clauses: Vec<ReportClause>) -> Self {
        self.report = clauses;
        self
    }

    pub fn summary(mut self, summary: Summary) -> Self {
        self.summary = Some(summary);
        self
    }

    /// The dashboard row's figures: as declared, or the kind's first count figure and no rate.
    pub fn summary_figures(&self) -> Option<Summary> {
        self.summary.or_else(|| {
            self.metrics
                .iter()
                .find(|m| matches!(m.measure, crate::metric::Measure::Count { .. }))
                .map(|m| Summary { received: m.code, on_time_rate: None })
        })
    }

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

    /// Checks what the kind says of itself beyond its table: its figures are its own and unique,
    /// its clauses name only known figures, its conversion fills registration fields that exist.
    ///
    /// # Errors
    /// The first defect, in English (a programming error, caught by the conformance tests).
    pub fn check(&self) -> Result<(), String> {
        self.workflow.check().map_err(|e| format!("{}: {e}", self.slug))?;
        let prefix = format!("{}.", self.slug);
        if let Some(sum) = &self.summary {
            let unit = |code: &str| self.metrics.iter().find(|m| m.code == code).map(|m| m.unit);
            if !matches!(
                unit(sum.received),
                Some(crate::metric::MetricUnit::Cases | crate::metric::MetricUnit::Batches)
            ) {
                return Err(format!("{}: summary received {} is not a count of its own", self.slug, sum.received));
            }
            if let Some(rate) = sum.on_time_rate
                && unit(rate) != Some(crate::metric::MetricUnit::Rate)
            {
                return Err(format!("{}: summary rate {rate} is not a rate of its own", self.slug));
            }
        }
        for (i, m) in self.metrics.iter().enumerate() {
            if !m.code.starts_with(&prefix) {
                return Err(format!("{}: metric {} is not the kind's", self.slug, m.code));
            }
            if self.metrics[..i].iter().any(|o| o.code == m.code) {
                return Err(format!("{}: duplicate metric {}", self.slug, m.code));
            }
        }
        if let Some(t) = &self.capabilities.conversion_target {
            for (_, field) in &t.fills {
                if self.workflow.open.field(field).is_none() {
                    return Err(format!("{}: conversion fills unknown field {field}", self.slug));
                }
            }
        }
        for f in &self.search_fields {
            if f.is_empty() {
                return Err(format!("{}: empty search field", self.slug));
            }
        }
        let fields: Vec<&str> = std::iter::once(&self.workflow.open)
            .chain(&self.workflow.actions)
            .flat_map(|a| a.fields.iter().map(|f| f.name))
            .collect();
        for (i, p) in self.printables.iter().enumerate() {
            if self.printables[..i].iter().any(|o| o.code == p.code) {
                return Err(format!("{}: duplicate printable {}", self.slug, p.code));
            }
            if let Some(a) = p.after
                && self.workflow.action(a).is_none()
            {
                return Err(format!("{}: printable {} after unknown action {a}", self.slug, p.code));
            }
            for n in p.names() {
                let clock = n.strip_prefix("due:").or_else(|| n.strip_prefix("rule:"));
                if !(PAPER_NAMES.contains(&n) || fields.contains(&n) || clock.is_some_and(|c| !c.is_empty())) {
                    return Err(format!("{}: printable {} reads unknown {n}", self.slug, p.code));
                }
            }
        }
        Ok(())
    }
}
