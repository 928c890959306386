//! Repeat and duplicate detection at intake: before a visit, dispute, petition or work order is
//! registered, the form asks which cases already open look like the same person or the same
//! matter, so the clerk can link or merge instead of counting one matter twice.
//!
//! * The same person: the identifiers typed into the form (身份证号码, phone numbers) are turned
//!   into the same keyed digests the store keeps in `party_index` ([`Sealer::digest`]) and looked
//!   up there — the numbers themselves are never compared nor stored in the clear.
//! * The same matter: the Jaccard similarity of the character bigrams of title + content (letters,
//!   digits and Chinese characters only), against the open cases of the user's scope, newest
//!   first. Bigrams need no word segmentation, which Chinese text would otherwise require; the
//!   threshold is configuration (`duplicates.min_similarity_percent`, 30 by default: a paraphrase of the same
//!   matter scores about 30, unrelated matters under 10).
//! * A case its kind says is closed for good is shown even though closed (a petition whose 复核
//!   is concluded: the same matter is not accepted again, 信访工作条例 第三十六条第三款).
//!
//! The kinds compared are those whose capabilities say so (`Capabilities::duplicates`).
//!
//! Cases whose complainant is withheld from the user (检举控告, 第三十条) are never returned: that a
//! person filed one would itself give them away.

use std::collections::HashSet;

use fazhi_domain::FieldError;
use fazhi_domain::case::{CaseRecord, Phase};
use fazhi_domain::ids::CaseId;
use fazhi_domain::metric::{CaseSet, Cond, Period};
use fazhi_domain::time_util::local_date;
use fazhi_domain::workflow::{FieldKind, ParseCtx, Value};
use fazhi_store::{CaseFilter, SortField};
use serde_json::{Map, Value as Json};

use crate::cases::Opened;
use crate::{App, Principal, Result};

/// How many open cases per kind are compared by text (the newest).
const TEXT_WINDOW: u32 = 2_000;

/// At most this many candidates are returned.
const MAX_CANDIDATES: usize = 20;

/// A case that may be the same person's or the same matter.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: CaseId,
    pub kind: String,
    pub kind_label: String,
    pub receipt_no: String,
    pub title: String,
    pub state_label: String,
    pub unit_name: String,
    pub opened_at: i64,
    pub version: i64,
    /// The identifiers that matched (身份证号码, 联系电话), empty when only the text did.
    pub same_person: Vec<&'static str>,
    /// Bigram Jaccard similarity of title + content, in percent.
    pub similarity: u32,
    /// A petition whose 复核 is concluded: the same matter is not accepted again.
    pub final_review: bool,
}

/// The text compared: letters, digits and Chinese characters, lower-cased.
fn normalise(text: &str) -> Vec<char> {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The set of adjacent character pairs of a text.
pub fn bigrams(text: &str) -> HashSet<(char, char)> {
    let chars = normalise(text);
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// |A ∩ B| ÷ |A ∪ B| of the two texts' bigrams, in whole percent (0 when either is empty).
pub fn similarity(a: &HashSet<(char, char)>, b: &HashSet<(char, char)>) -> u32 {
    let union = a.union(b).count();
    if union == 0 || a.is_empty() || b.is_empty() {
        return 0;
    }
    let inter = a.intersection(b).count();
    u32::try_from(inter * 100 / union).unwrap_or(0)
}

fn case_text(c: &CaseRecord) -> String {
    format!("{} {}", c.title, c.data.get("content").and_then(Json::as_str).unwrap_or(""))
}

fn identifier_label(kind: &str) -> &'static str {
    if kind == "idcard" { "身份证号码" } else { "联系电话" }
}

/// What a registration gave.
#[derive(Debug, Clone)]
pub enum Registration {
    /// The case is registered.
    Opened(Box<Opened>),
    /// Nothing is registered: these cases look like the same person or the same matter. The
    /// clerk links or merges on the original, or registers again with `confirm_new`.
    Candidates(Vec<Candidate>),
}

impl App {
    /// The registration use case: for a kind checked for duplicates at intake
    /// (`Capabilities::duplicates`), the form is checked, then compared with the cases already
    /// there; when some look like the same person or matter they are answered and nothing is
    /// registered — unless the clerk has seen them and confirms a new case (`confirm_new`).
    /// Pages and the JSON API both register through here.
    ///
    /// # Errors
    /// As [`App::open_case`]; a failed look-up is an error, never "no candidates".
    pub async fn register(
        &self,
        p: &Principal,
        kind: &str,
        input: &Map<String, Json>,
        confirm_new: bool,
    ) -> Result<Registration> {
        p.ready()?;
        let def = self.kind(kind)?;
        if !confirm_new && def.capabilities.duplicates.is_some() {
            // Field errors first, the whole form at once; then the look-up.
            self.check_open(p, def, input).await?;
            let candidates = self.find_duplicates(p, kind, input, None).await?;
            if !candidates.is_empty() {
                return Ok(Registration::Candidates(candidates));
            }
        }
        self.open_case(p, kind, input).await.map(|o| Registration::Opened(Box::new(o)))
    }

    /// The open cases (and 复核-concluded petitions) that look like the same person or the same
    /// matter as the registration form `input` of `kind`, most likely first. `exclude` leaves a
    /// case out (the one being edited).
    ///
    /// # Errors
    /// An unknown kind (400); a malformed identifier in the form (400, the field named).
    pub async fn find_duplicates(
        &self,
        p: &Principal,
        kind: &str,
        input: &Map<String, Json>,
        exclude: Option<CaseId>,
    ) -> Result<Vec<Candidate>> {
        p.ready()?;
        let kind_def = self.kind(kind)?;
        // The identifiers of the form, as keyed digests.
        let units = self.units();
        let pctx = ParseCtx {
            today: local_date(self.now()),
            units: &*units,
            tenant_id: p.actor.tenant_id,
            sealer: self.crypto(),
        };
        let mut digests = Vec::new();
        let mut errors: Vec<FieldError> = Vec::new();
        for f in kind_def.workflow.open.fields.iter().filter(|f| matches!(f.kind, FieldKind::IdCard | FieldKind::Phone))
        {
            // Required or not, an empty identifier is simply not compared.
            let mut optional = f.clone();
            optional.required = false;
            match optional.parse(input.get(f.name), &pctx) {
                Ok(Some(Value::Sealed(s))) => digests.push((s.kind.to_string(), s.digest)),
                Ok(_) => {}
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(crate::ServiceError::Invalid(errors));
        }
        let text = format!(
            "{} {}",
            input.get("title").and_then(Json::as_str).unwrap_or(""),
            input.get("content").and_then(Json::as_str).unwrap_or("")
        );
        let wanted = bigrams(&text);
        let threshold = self.settings().duplicates.min_similarity_percent;

        let mut found: Vec<(CaseRecord, String, Vec<&'static str>)> = Vec::new();
        let mut seen: HashSet<CaseId> = exclude.into_iter().collect();
        // The same person, by digest.
        for (id, kinds) in self.store().cases_by_digests(p.actor.tenant_id, &digests, 200).await? {
            if !seen.insert(id) {
                continue;
            }
            let Some(item) = self.store().case(&p.scope, id).await? else { continue };
            let mut labels: Vec<&'static str> = kinds.iter().map(|k| identifier_label(k)).collect();
            labels.sort_by_key(|l| *l != "身份证号码");
            labels.dedup();
            let unit = self.unit(item.unit_id).map(|u| u.name).unwrap_or_default();
            found.push((item, unit, labels));
        }
        // The same matter, by text, among open cases; and concluded-for-good petitions.
        if !wanted.is_empty() {
            let compared = self.kinds().all().iter().filter(|k| k.capabilities.duplicates.is_some());
            let mut filters: Vec<CaseFilter> = Vec::new();
            for k in compared {
                filters.push(CaseFilter {
                    kind: Some(k.slug.to_string()),
                    phase: Some(Phase::Open),
                    sort: SortField::OpenedAt,
                    descending: true,
                    ..Default::default()
                });
                // Closed for good, still the same matter. The set has no period condition; the
                // period (as at today, a year not over) is only the filter's shape.
                if let (Some((key, value)), Some(period)) = (
                    k.capabilities.duplicates.as_ref().and_then(|d| d.closed_for_good),
                    Period::year(local_date(self.now()).year()),
                ) {
                    filters.push(CaseFilter {
                        kind: Some(k.slug.to_string()),
                        metric: Some((
                            CaseSet { kind: k.slug, conds: vec![Cond::DataEq { key, value: value.into() }] },
                            period,
                        )),
                        sort: SortField::OpenedAt,
                        descending: true,
                        ..Default::default()
                    });
                }
            }
            for f in &filters {
                for item in self.store().list_cases_raw(&p.scope, f, TEXT_WINDOW, 0).await? {
                    if seen.contains(&item.case.id) {
                        continue;
                    }
                    if similarity(&wanted, &bigrams(&case_text(&item.case))) >= threshold {
                        seen.insert(item.case.id);
                        found.push((item.case, item.unit_name, Vec::new()));
                    }
                }
            }
        }

        let mut out: Vec<Candidate> = Vec::new();
        for (c, unit_name, same_person) in found {
            let is_final = self
                .kinds()
                .get(&c.kind)
                .and_then(|k| k.capabilities.duplicates.as_ref())
                .and_then(|d| d.closed_for_good)
                .is_some_and(|(key, value)| c.data_str(key) == Some(value));
            // Only what is still open, or a matter closed for good.
            if c.phase != Phase::Open && !is_final {
                continue;
            }
            // 第三十条: never point an accused unit's reader at the accusation.
            if self.withheld_keys(p, &c).is_some() {
                continue;
            }
            let Some(k) = self.kinds().get(&c.kind) else { continue };
            out.push(Candidate {
                id: c.id,
                kind: c.kind.clone(),
                kind_label: k.label.to_string(),
                receipt_no: c.receipt_no.clone(),
                title: c.title.clone(),
                state_label: k.workflow.state_label(&c.state).to_string(),
                unit_name,
                opened_at: c.opened_at,
                version: c.version,
                similarity: similarity(&wanted, &bigrams(&case_text(&c))),
                same_person,
                final_review: is_final,
            });
        }
        out.sort_by(|a, b| {
            (!a.same_person.is_empty(), a.final_review, a.similarity, a.opened_at).cmp(&(
                !b.same_person.is_empty(),
                b.final_review,
                b.similarity,
                b.opened_at,
            ))
        });
        out.reverse();
        out.truncate(MAX_CANDIDATES);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_matter_in_other_words_is_similar_and_another_matter_is_not() {
        let a = bigrams("龙潭村村口路灯不亮 龙潭村村口三盏路灯已坏两周");
        let b = bigrams("龙潭村村口路灯坏了 村口路灯已经坏了两周，晚上很黑");
        let c = bigrams("西塘村工地夜间施工噪音扰民");
        assert!(similarity(&a, &b) >= 30, "{}", similarity(&a, &b));
        assert!(similarity(&a, &c) < 10, "{}", similarity(&a, &c));
        assert_eq!(similarity(&a, &a), 100);
    }

    #[test]
    fn punctuation_space_and_case_do_not_count_and_empty_text_matches_nothing() {
        assert_eq!(bigrams("A，b c"), bigrams("ab C"));
        assert_eq!(similarity(&bigrams(""), &bigrams("")), 0);
        assert_eq!(similarity(&bigrams("一"), &bigrams("一")), 0, "one character has no bigram");
    }
}
