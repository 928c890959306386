//! Cases that belong together: a visit turned into a dispute, a petition or a 12345 work order in
//! one click (转为案件); a duplicate merged into its original (合并重复件); two cases linked as
//! related, or as the same petition matter (信访工作条例 第三十六条第三款). Each writes every case
//! it touches — with an event on each, so the chain records the link on both sides — and the link
//! row in one transaction: either all of it happens or none.

use fazhi_domain::FieldError;
use fazhi_domain::case::{Actor, CaseRecord};
use fazhi_domain::event::Event;
use fazhi_domain::ids::{CaseId, EventId};
use fazhi_domain::kinds::{ConversionSource, IntakeKey, KindDef};
use fazhi_domain::role::Role;
use fazhi_domain::time_util::{fmt_date, local_date, local_date_ms};
use fazhi_domain::workflow::shared::MERGED;
use fazhi_domain::workflow::{ActionTag, NewCase, Sealer};
use fazhi_store::{CaseLink, CaseWrite, LinkRelation, LinkedWrite, receipt_prefix};
use rand::RngCore;
use serde_json::{Map, Value as Json, json};

use crate::{App, Principal, Result, ServiceError};

/// The action code of the event a link leaves on a case whose state does not change.
pub const LINK_ACTION: &str = "link";

/// A visit turned into a case.
#[derive(Debug, Clone)]
pub struct Converted {
    /// The visit, now 已转立案件.
    pub visit: CaseRecord,
    /// The new case, with its receipt number.
    pub case: CaseRecord,
    /// The query code for the new case's receipt (shown once).
    pub query_code: String,
}

/// The other end of a link, as this reader may see it.
#[derive(Debug, Clone)]
pub struct LinkedCase {
    pub id: CaseId,
    pub kind: String,
    pub kind_label: String,
    pub receipt_no: String,
    pub title: String,
    pub state_label: String,
}

/// One link of a case.
#[derive(Debug, Clone)]
pub struct LinkView {
    pub relation: LinkRelation,
    /// 转为 / 由…转入, 并入 / 重复件, 关联, 同一事项 — from this case's side.
    pub label: &'static str,
    /// Whether this case is the link's `from` end (the visit, the duplicate, the later petition).
    pub outgoing: bool,
    pub note: String,
    pub created_at: i64,
    /// The other case, or `None` when it lies outside the reader's scope.
    pub other: Option<LinkedCase>,
}

fn relation_label(r: LinkRelation, outgoing: bool) -> &'static str {
    match (r, outgoing) {
        (LinkRelation::Converted, true) => "已转为",
        (LinkRelation::Converted, false) => "由来访转入",
        (LinkRelation::Merged, true) => "已并入",
        (LinkRelation::Merged, false) => "并入的重复件",
        (LinkRelation::Related, _) => "关联案件",
        (LinkRelation::SameMatter, true) => "同一事项的前案",
        (LinkRelation::SameMatter, false) => "同一事项的后案",
    }
}

/// The event a link leaves on a case that does not change state: the case's version moves on
/// (the chain's check that a case has as many events as versions holds) and the payload says
/// what it was linked to. Returns the case as it is after the event.
pub fn link_event(
    case: &CaseRecord,
    actor: &Actor,
    label: &str,
    payload: Json,
    at_ms: i64,
    id: EventId,
) -> (CaseRecord, Event) {
    let mut next = case.clone();
    next.version = case.version + 1;
    next.updated_at = at_ms;
    // A link happened now: the version it makes takes effect now (never before the one it follows).
    next.effective_at = case.effective_at.max(at_ms);
    let event = Event {
        id,
        tenant_id: case.tenant_id,
        seq: 0,
        case_id: Some(case.id),
        actor_id: actor.user_id,
        actor_name: actor.name.clone(),
        action: LINK_ACTION.into(),
        action_label: label.into(),
        from_state: Some(case.state.clone()),
        to_state: Some(case.state.clone()),
        payload,
        attachments: Vec::new(),
        occurred_at: at_ms,
        prev_hash: String::new(),
        hash: String::new(),
    };
    (next, event)
}

/// The payload of a link event: the other case, for the timeline.
pub fn link_payload(relation: LinkRelation, other: &CaseRecord, note: &str) -> Json {
    let mut m = json!({
        "relation": relation.code(),
        "other_case": other.id.to_string(),
        "other_receipt": other.receipt_no,
        "other_kind": other.kind,
    });
    if !note.trim().is_empty() {
        m["note"] = Json::String(note.trim().to_string());
    }
    m
}

/// Who may link and merge cases: the people who register them and those who supervise.
const LINKERS: [Role; 4] = [Role::IntakeClerk, Role::Mediator, Role::Leader, Role::JudicialOffice];

impl App {
    /// The kind `target` names, when a case can be opened from a conversion into it.
    /// Whether a case may be linked with another as the same matter (its kind's capability).
    pub fn can_link_same_matter(&self, c: &CaseRecord) -> bool {
        self.kinds().get(&c.kind).is_some_and(|k| k.capabilities.same_matter.is_some())
    }

    fn target_kind(&self, target: &str) -> Result<&KindDef> {
        let target = target.trim();
        self.kinds().conversion_targets().find(|k| k.slug == target).ok_or_else(|| {
            let labels: Vec<&str> = self.kinds().conversion_targets().map(|k| k.label).collect();
            ServiceError::field("target_kind", "转为", format!("“{target}”不可选，应为：{}", labels.join("、")))
        })
    }

    /// The case to convert, when its kind converts into others (a visit), with what it gives.
    async fn convertible(&self, p: &Principal, id: CaseId) -> Result<(CaseRecord, &ConversionSource)> {
        let case = self.visible_case(p, id).await?;
        let source = self
            .kind(&case.kind)?
            .capabilities
            .conversion_source
            .as_ref()
            .ok_or_else(|| ServiceError::Rule("只有来访登记可以转为案件".into()))?;
        Ok((case, source))
    }

    /// The registration form of `target` prefilled from a visit: what the visit already says
    /// (title, content, the visitor's name and address) and where it came from. Identifiers are
    /// not put in the form: [`App::convert_visit`] carries them over on the server.
    ///
    /// # Errors
    /// 403/404 for the visit, a case that is not a visit, an unknown target.
    pub async fn conversion_form(&self, p: &Principal, visit_id: CaseId, target: &str) -> Result<Map<String, Json>> {
        p.ready()?;
        let target = self.target_kind(target)?;
        let (visit, _) = self.convertible(p, visit_id).await?;
        let visit = self.redacted(p, visit);
        let (pairs, defaults) = self.kinds().conversion(&visit.kind, target.slug).unwrap_or_default();
        let mut form = Map::new();
        for (from, to, key) in pairs {
            // The title is a header field; sealed identifiers (objects) are not put in a form.
            let value = match key {
                IntakeKey::Title => Some(visit.title.clone()),
                _ => visit.data.get(from).and_then(Json::as_str).map(String::from),
            };
            if let Some(v) = value {
                form.insert(to.to_string(), Json::String(v));
            }
        }
        for (k, v) in defaults {
            form.insert(k.to_string(), Json::String(v.to_string()));
        }
        Ok(form)
    }

    /// Turns a visit into a dispute, a petition or a work order in one click: the new case is
    /// registered at the user's unit with `fields` (its registration form; what is left out is
    /// carried over from the visit, identifiers included, opened on the server), the visit moves
    /// to 已转立案件, both get an event naming the other, and the link is recorded — one
    /// transaction. `version` is the visit's version the user saw.
    ///
    /// # Errors
    /// 403/404 for the visit; a case that is not a visit (422); an unknown target or bad fields
    /// (400, each named); a role that may not convert or register the target (403); a visit no
    /// longer waiting (409) or changed meanwhile (409 stale). Nothing is written then.
    pub async fn convert_visit(
        &self,
        p: &Principal,
        visit_id: CaseId,
        version: i64,
        target: &str,
        fields: &Map<String, Json>,
    ) -> Result<Converted> {
        p.ready()?;
        let kind = self.target_kind(target)?;
        let (visit, source) = self.convertible(p, visit_id).await?;
        if visit.version != version {
            return Err(ServiceError::Stale { current: visit.version });
        }
        let visit_kind = self.kind(&visit.kind)?;
        let (pairs, defaults) = self.kinds().conversion(&visit.kind, kind.slug).unwrap_or_default();
        // The form as the user sent it, completed from the visit.
        let mut input = fields.clone();
        for (from, to, key) in pairs {
            if input.get(to).is_some_and(|v| !v.is_null() && v.as_str() != Some("")) {
                continue;
            }
            let value = match visit.data.get(from) {
                Some(Json::String(s)) => Some(s.clone()),
                // A sealed identifier: opened here, sealed again by the new case's form.
                Some(sealed @ Json::Object(_)) => sealed
                    .get("enc")
                    .and_then(Json::as_str)
                    .map(|enc| self.crypto().open(enc).map_err(ServiceError::internal))
                    .transpose()?,
                _ if key == IntakeKey::Title => Some(visit.title.clone()),
                // A visit registered before its day was kept: the day it was registered.
                _ if key == IntakeKey::ReceivedOn => Some(fmt_date(local_date_ms(visit.opened_at))),
                _ => None,
            };
            if let Some(v) = value {
                input.insert(to.to_string(), Json::String(v));
            }
        }
        for (k, v) in defaults {
            input.entry(k.to_string()).or_insert_with(|| Json::String(v.to_string()));
        }
        self.check_named_users(p, &kind.workflow.open.fields, &input).await?;
        let cal = self.calendar();
        let units = self.units();
        let ctx = self.ctx(&p.actor, &cal, &units);
        let opened = kind.open_case(NewCase { id: CaseId::new(), receipt_no: String::new() }, &input, &ctx)?;
        let mut case = opened.case;
        let code = format!("{:06}", rand::rng().next_u32() % 1_000_000);
        case.data.insert("query_code".into(), Json::String(self.crypto().seal(&code)));
        let query_digest = self.crypto().digest("query", &code);
        // A 检举控告 petition keeps the visitor's identity from the accused unit on the visit too.
        let mut convert = Map::new();
        convert.insert(source.target_kind_key.into(), Json::String(kind.slug.into()));
        convert.insert(source.target_case_key.into(), Json::String(case.id.to_string()));
        if let (Some(key), Some((unit, _))) =
            (source.accused_unit_key, fazhi_domain::workflow::shared::confidential(&case.data))
        {
            convert.insert(key.into(), Json::String(unit.to_string()));
            // The accused staff too (《信访工作条例》第三十条): the visit is withheld from them as
            // the petition is.
            if let Some(users) = case.data.get(fazhi_domain::workflow::shared::ACCUSED_USERS) {
                convert.insert(fazhi_domain::workflow::shared::ACCUSED_USERS.into(), users.clone());
            }
        }
        let action = visit_kind
            .workflow
            .tagged(ActionTag::Convert)
            .ok_or_else(|| ServiceError::Rule(format!("{}不能转为案件", visit_kind.label)))?;
        let converted = visit_kind.act_internal(&visit, action.code, &convert, &ctx)?;
        let tenant = self.tenant(case.tenant_id).ok_or_else(|| ServiceError::internal("tenant missing"))?;
        let year = local_date(ctx.now).year();
        let open_event = self.case_event(&p.actor, case.id, opened.event);
        let (linked, link_ev) = link_event(
            &case,
            &p.actor,
            "由来访转入",
            link_payload(LinkRelation::Converted, &visit, ""),
            self.now_ms(),
            EventId::new(),
        );
        let visit_event = self.case_event(&p.actor, visit.id, converted.event);
        let link = CaseLink::new(
            case.tenant_id,
            visit.id,
            case.id,
            LinkRelation::Converted,
            "",
            p.actor.user_id,
            self.now_ms(),
        );
        let written = self
            .store()
            .write_linked(
                vec![
                    LinkedWrite::Create {
                        write: CaseWrite {
                            case: &case,
                            event: open_event,
                            digests: &opened.digests,
                            query_digest: Some(&query_digest),
                        },
                        prefix: receipt_prefix(&tenant.code, kind.receipt_code, year),
                        year,
                    },
                    LinkedWrite::Update {
                        write: CaseWrite { case: &linked, event: link_ev, digests: &[], query_digest: None },
                        expected_version: case.version,
                    },
                    LinkedWrite::Update {
                        write: CaseWrite {
                            case: &converted.case,
                            event: visit_event,
                            digests: &converted.digests,
                            query_digest: None,
                        },
                        expected_version: visit.version,
                    },
                ],
                &link,
            )
            .await?;
        let receipt = written.first().map(|(c, _)| c.receipt_no.clone()).unwrap_or_default();
        let mut new_case = linked;
        new_case.receipt_no = receipt;
        Ok(Converted { visit: self.redacted(p, converted.case), case: self.redacted(p, new_case), query_code: code })
    }

    async fn pair(&self, p: &Principal, a: CaseId, b: CaseId) -> Result<(CaseRecord, CaseRecord)> {
        if a == b {
            return Err(ServiceError::Invalid(vec![FieldError::new("other_case", "关联案件", "不能与本案件自身关联")]));
        }
        let x = self.visible_case(p, a).await?;
        let y = self.visible_case(p, b).await?;
        if x.tenant_id != y.tenant_id {
            return Err(ServiceError::Rule("只能关联同一镇（街道）的案件".into()));
        }
        if self.store().links_of(a).await?.iter().any(|l| l.other(a) == b) {
            return Err(ServiceError::Conflict("这两件案件已经关联".into()));
        }
        Ok((x, y))
    }

    /// Links two cases as related, or — both petitions — a later petition to an earlier one on
    /// the same matter: when the earlier one's 复核 is concluded, the later can no longer be
    /// accepted (信访工作条例 第三十六条第三款). Both cases get an event; one transaction.
    ///
    /// # Errors
    /// 403/404 for either case; a relation other than related or same matter, or a case linked to
    /// itself (400); cases of different towns, or a same-matter link between cases that are not
    /// both petitions (422); already linked (409); a case changed meanwhile (409).
    pub async fn link_cases(
        &self,
        p: &Principal,
        from: CaseId,
        to: CaseId,
        relation: &str,
        note: &str,
    ) -> Result<(CaseRecord, CaseRecord)> {
        p.require(&LINKERS)?;
        let relation = match relation.trim() {
            "related" => LinkRelation::Related,
            "same_matter" => LinkRelation::SameMatter,
            other => {
                return Err(ServiceError::field(
                    "relation",
                    "关联类型",
                    format!("“{other}”不可选，应为：关联案件、同一事项"),
                ));
            }
        };
        if note.chars().count() > self.settings().limits.long_text {
            return Err(ServiceError::field(
                "note",
                "说明",
                format!("不能超过{}个字", self.settings().limits.long_text),
            ));
        }
        let (a, b) = self.pair(p, from, to).await?;
        // The same matter is a notion of the law of a kind (信访工作条例第三十六条第三款), between
        // two cases of that kind.
        let same_matter = match relation {
            LinkRelation::SameMatter if a.kind == b.kind => self.kind(&a.kind)?.capabilities.same_matter,
            _ => None,
        };
        if relation == LinkRelation::SameMatter && same_matter.is_none() {
            let kinds: Vec<&str> =
                self.kinds().all().iter().filter(|k| k.capabilities.same_matter.is_some()).map(|k| k.label).collect();
            return Err(ServiceError::Rule(format!("只有同类的{}可以关联为同一事项", kinds.join("、"))));
        }
        if relation == LinkRelation::SameMatter {
            // The later petition keeps the earlier one's receipt number in its data.
            self.kept_from_the_same(a.id, b.id).await?;
        }
        let now = self.now_ms();
        let (mut a2, ea) = link_event(&a, &p.actor, "关联案件", link_payload(relation, &b, note), now, EventId::new());
        if let Some(note_same) = same_matter {
            note_same(&mut a2, &b);
        }
        let (b2, eb) = link_event(&b, &p.actor, "关联案件", link_payload(relation, &a, note), now, EventId::new());
        let link = CaseLink::new(a.tenant_id, a.id, b.id, relation, note.trim(), p.actor.user_id, now);
        self.store()
            .write_linked(
                vec![
                    LinkedWrite::Update {
                        write: CaseWrite { case: &a2, event: ea, digests: &[], query_digest: None },
                        expected_version: a.version,
                    },
                    LinkedWrite::Update {
                        write: CaseWrite { case: &b2, event: eb, digests: &[], query_digest: None },
                        expected_version: b.version,
                    },
                ],
                &link,
            )
            .await?;
        Ok((self.redacted(p, a2), self.redacted(p, b2)))
    }

    /// Merges a duplicate into its original: the duplicate is closed as 已合并 (and leaves every
    /// count), the original gets an event naming it, and the link is recorded — one transaction.
    /// `version` is the duplicate's version the user saw.
    ///
    /// # Errors
    /// 403/404 for either case; the same case twice or no reason (400); different towns or kinds,
    /// a kind without merging, an original that is itself a merged duplicate (422); a duplicate no
    /// longer open to merging (409) or changed meanwhile (409).
    pub async fn merge_cases(
        &self,
        p: &Principal,
        duplicate: CaseId,
        version: i64,
        original: CaseId,
        reason: &str,
    ) -> Result<(CaseRecord, CaseRecord)> {
        p.require(&LINKERS)?;
        let (dup, orig) = self.pair(p, duplicate, original).await?;
        if dup.version != version {
            return Err(ServiceError::Stale { current: dup.version });
        }
        if dup.kind != orig.kind {
            return Err(ServiceError::Rule("只能合并同一类型的案件".into()));
        }
        // The duplicate keeps the original's receipt number in its data.
        self.kept_from_the_same(dup.id, orig.id).await?;
        let kind = self.kind(&dup.kind)?;
        let merge = kind
            .workflow
            .tagged(ActionTag::Merge)
            .ok_or_else(|| ServiceError::Rule(format!("{}不支持合并，请使用“关联”", kind.label)))?;
        if orig.state == MERGED {
            return Err(ServiceError::Rule(format!(
                "原案件（{}）本身已作为重复件合并，请选择其原案件",
                orig.receipt_no
            )));
        }
        let mut input = Map::new();
        input.insert("original_case".into(), Json::String(orig.id.to_string()));
        input.insert("original_receipt".into(), Json::String(orig.receipt_no.clone()));
        input.insert("merge_reason".into(), Json::String(reason.to_string()));
        let cal = self.calendar();
        let units = self.units();
        let ctx = self.ctx(&p.actor, &cal, &units);
        let merged = kind.act_internal(&dup, merge.code, &input, &ctx)?;
        let dup_event = self.case_event(&p.actor, dup.id, merged.event);
        let now = self.now_ms();
        let (orig2, orig_event) = link_event(
            &orig,
            &p.actor,
            "并入重复件",
            link_payload(LinkRelation::Merged, &dup, reason),
            now,
            EventId::new(),
        );
        let link =
            CaseLink::new(dup.tenant_id, dup.id, orig.id, LinkRelation::Merged, reason.trim(), p.actor.user_id, now);
        self.store()
            .write_linked(
                vec![
                    LinkedWrite::Update {
                        write: CaseWrite { case: &merged.case, event: dup_event, digests: &[], query_digest: None },
                        expected_version: dup.version,
                    },
                    LinkedWrite::Update {
                        write: CaseWrite { case: &orig2, event: orig_event, digests: &[], query_digest: None },
                        expected_version: orig.version,
                    },
                ],
                &link,
            )
            .await?;
        Ok((self.redacted(p, merged.case), self.redacted(p, orig2)))
    }

    /// Refuses to write `named`'s receipt number into `holder` unless `named` is withheld from no
    /// one `holder` is not withheld from (第三十条: a case readable by the accused must not point
    /// them to the accusation).
    async fn kept_from_the_same(&self, holder: CaseId, named: CaseId) -> Result<()> {
        let (h, n) = (self.store().withheld_set(holder).await?, self.store().withheld_set(named).await?);
        if n.within(&h) {
            Ok(())
        } else {
            Err(ServiceError::Rule(
                "检举控告事项只能与对相同单位和人员保密的案件合并或关联为同一事项（《信访工作条例》第三十条），请使用“关联案件”"
                    .into(),
            ))
        }
    }

    /// The links of a case, with the other case where this reader may see it. A link to a case
    /// withheld from the reader (第三十条) is not listed at all.
    ///
    /// # Errors
    /// 404 for the case.
    pub async fn links(&self, p: &Principal, id: CaseId) -> Result<Vec<LinkView>> {
        p.ready()?;
        self.visible_case(p, id).await?;
        let links = self.store().links_of(id).await?;
        let withheld = match &p.scope.reader {
            Some(r) => {
                let others: Vec<CaseId> = links.iter().map(|l| l.other(id)).collect();
                self.store().withheld_among(r, &others).await?
            }
            None => Default::default(),
        };
        let mut out = Vec::new();
        for l in links.into_iter().filter(|l| !withheld.contains(&l.other(id))) {
            let outgoing = l.from_case == id;
            let other = match self.store().case(&p.scope, l.other(id)).await? {
                Some(c) => {
                    let kind = self.kind(&c.kind)?;
                    Some(LinkedCase {
                        id: c.id,
                        kind: c.kind.clone(),
                        kind_label: kind.label.to_string(),
                        receipt_no: c.receipt_no.clone(),
                        title: c.title.clone(),
                        state_label: kind.workflow.state_label(&c.state).to_string(),
                    })
                }
                None => None,
            };
            out.push(LinkView {
                relation: l.relation,
                label: relation_label(l.relation, outgoing),
                outgoing,
                note: l.note,
                created_at: l.created_at,
                other,
            });
        }
        Ok(out)
    }
}
