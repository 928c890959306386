//! The registry of case kinds: the one place that lists them. A kind describes itself
//! ([`KindDef`], in its own folder beside [`crate::work_order`]); adding one is adding its folder
//! and a line in [`Kinds::standard`]. The metric catalogue, the report's default draft, duplicate
//! detection, visit conversion, exports, lists and pages all read the kinds from here.

use serde_json::Value as Json;

use crate::error::Invalid;
use crate::metric::{Catalogue, MetricDef};
use crate::settings::Settings;
pub use crate::workflow::kind::{
    Capabilities, ConversionSource, ConversionTarget, Duplicates, ExportColumn, IntakeKey, KindDef, PAPER_NAMES,
    PaperBlock, PartyFields, Printable, ReportClause, Section, Summary, Wording,
};

/// What lists the kinds of an installation: [`Kinds::standard`], or a test's own.
pub type Registry = fn(&Settings) -> Kinds;

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

    /// These kinds and one more (a test registers its own kind with one line).
    pub fn with(mut self, kind: KindDef) -> Self {
        self.kinds.push(kind);
        self
    }

    pub fn get(&self, slug: &str) -> Option<&KindDef> {
        self.kinds.iter().find(|k| k.slug == slug)
    }

    pub fn all(&self) -> &[KindDef] {
        &self.kinds
    }

    /// Checks the settings: those every kind shares, each kind's section, and that no section
    /// names a kind that is not registered (a misspelt section would otherwise be ignored).
    ///
    /// # Errors
    /// A Chinese reason naming the setting.
    pub fn validate_settings(&self, settings: &Settings) -> Result<(), Invalid> {
        settings.validate()?;
        for (section, value) in &settings.kinds {
            let Some(kind) = self.get(section) else {
                let known: Vec<&str> =
                    self.kinds.iter().filter(|k| k.settings_check.is_some()).map(|k| k.slug).collect();
                return Err(Invalid::new(format!("未知的配置节“{section}”（可配置的案件类型：{}）", known.join("、"))));
            };
            match kind.settings_check {
                Some(check) => check(section, value)?,
                None => return Err(Invalid::new(format!("{section}：案件类型“{}”没有可配置项", kind.label))),
            }
        }
        Ok(())
    }

    /// Each kind's section with its defaults, by slug (kinds without settings left out): what a
    /// configuration starts from before the file and the environment.
    pub fn default_sections(registry: Registry) -> Vec<(&'static str, Json)> {
        registry(&Settings::default())
            .kinds
            .into_iter()
            .filter(|k| k.settings_check.is_some())
            .map(|k| (k.slug, k.settings))
            .collect()
    }

    /// Every figure of every kind, in registry order, printed with `settings`' rounding.
    pub fn catalogue(&self, settings: &Settings) -> Catalogue {
        let metrics: Vec<MetricDef> = self.kinds.iter().flat_map(|k| k.metrics.iter().cloned()).collect();
        Catalogue { metrics, rounding: settings.rates.rounding }
    }

    /// How a case of `source` fills the registration form of `target` when converted: (the
    /// source's field, the target's field, what it is) for every intake key both know, and the
    /// target's fixed values. `None` when `source` converts into nothing or `target` is not
    /// opened from a conversion.
    #[allow(clippy::type_complexity)]
    pub fn conversion(
        &self,
        source: &str,
        target: &str,
    ) -> Option<(Vec<(&'static str, &'static str, IntakeKey)>, Vec<(&'static str, &'static str)>)> {
        let from = self.get(source)?.capabilities.conversion_source.as_ref()?;
        let to = self.get(target)?.capabilities.conversion_target.as_ref()?;
        let pairs = to
            .fills
            .iter()
            .filter_map(|(key, field)| from.gives.iter().find(|(k, _)| k == key).map(|(_, f)| (*f, *field, *key)))
            .collect();
        Some((pairs, to.defaults.clone()))
    }

    /// The kinds that can be opened from a visit.
    pub fn conversion_targets(&self) -> impl Iterator<Item = &KindDef> {
        self.kinds.iter().filter(|k| k.capabilities.conversion_target.is_some())
    }

    /// The annual report's default clauses of every kind, grouped into paragraphs: for each
    /// section in order, its paragraphs (by number) with their clauses in order.
    pub fn report_paragraphs(&self) -> Vec<(Section, Vec<Vec<&ReportClause>>)> {
        Section::ALL
            .iter()
            .map(|s| {
                let mut clauses: Vec<&ReportClause> =
                    self.kinds.iter().flat_map(|k| k.report.iter()).filter(|c| c.section == *s).collect();
                clauses.sort_by_key(|c| (c.paragraph, c.order));
                let mut paragraphs: Vec<Vec<&ReportClause>> = Vec::new();
                for c in clauses {
                    match paragraphs.last_mut() {
                        Some(p) if p.first().is_some_and(|f| f.paragraph == c.paragraph) => p.push(c),
                        _ => paragraphs.push(vec![c]),
                    }
                }
                (*s, paragraphs)
            })
            .collect()
    }
}
