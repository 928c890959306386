//! Papers: a case's printables, filled from what its kind declares ([`Printable`]) — the
//! registration, the event of the action the paper documents, the clocks, the town's government
//! and its public contact. Who may print is the service's rule: whoever reads the case (scope is
//! the store's), and only the roles a paper names (the receipt carries the query code: 受理员).
//! A paper documenting an action exists once that action was taken.

use fazhi_domain::case::CaseRecord;
use fazhi_domain::event::Event;
use fazhi_domain::ids::CaseId;
use fazhi_domain::kinds::{KindDef, PaperBlock, Printable};
use fazhi_domain::time_util::{fmt_date, local_date_ms, parse_date};
use fazhi_domain::workflow::{FieldDef, FieldKind};
use fazhi_report::paper::{Block, Paper};
use serde_json::Value as Json;

use crate::cases::CaseDetail;
use crate::{App, Principal, Result, ServiceError};

/// A paper the case page offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperLink {
    pub code: &'static str,
    pub title: &'static str,
    pub docx: bool,
}

/// The town's government and how residents reach it, as the papers and the tracking page print them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TownOffice {
    /// 从化区鳌头镇人民政府
    pub issuer: String,
    /// "电话 020-…；地址 …" (empty when not configured).
    pub contact: String,
}

/// "2024年9月27日", as a 落款 writes the date.
fn chinese_date(d: time::Date) -> String {
    format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day())
}

/// A stored value as printed: a sealed identifier by its mask, a choice by its label, a unit by
/// its name, money in yuan.
fn shown(app: &App, f: Option<&FieldDef>, v: &Json) -> String {
    if let Some(m) = v.get("mask").and_then(Json::as_str) {
        return m.to_string();
    }
    let text = match v {
        Json::String(s) => s.clone(),
        Json::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Json::Null | Json::Array(_) | Json::Object(_) => String::new(),
        other => other.to_string(),
    };
    match f.map(|f| &f.kind) {
        Some(FieldKind::Choice { .. }) => f.and_then(|f| f.choice_label(&text)).map_or(text, String::from),
        Some(FieldKind::Unit { .. }) => {
            fazhi_domain::ids::UnitId::parse(&text).ok().and_then(|id| app.unit(id)).map_or(text, |u| u.name)
        }
        Some(FieldKind::Money) => v.as_i64().map_or(text, |fen| fazhi_domain::values::Money::from_fen(fen).to_string()),
        _ => text,
    }
}

/// What a paper's names read, for one case.
struct Filler<'a> {
    app: &'a App,
    kind: &'a KindDef,
    case: &'a CaseRecord,
    unit: &'a str,
    /// The event of the action the paper documents.
    event: Option<&'a Event>,
    office: &'a TownOffice,
    query_code: Option<String>,
}

impl Filler<'_> {
    fn field(&self, name: &str) -> Option<&FieldDef> {
        std::iter::once(&self.kind.workflow.open)
            .chain(&self.kind.workflow.actions)
            .flat_map(|a| &a.fields)
            .find(|f| f.name == name)
    }

    /// The day an action's legal event happened: its dated field as recorded, or the day it was entered.
    fn day_of(&self, e: &Event) -> String {
        let dated = if e.action == self.kind.workflow.open.code {
            self.kind.workflow.open.dated
        } else {
            self.kind.workflow.action(&e.action).and_then(|a| a.dated)
        };
        dated
            .and_then(|k| e.payload.get(k))
            .and_then(Json::as_str)
            .and_then(|s| parse_date(s).ok())
            .map_or_else(|| fmt_date(local_date_ms(e.occurred_at)), fmt_date)
    }

    fn value(&self, name: &str) -> String {
        let c = self.case;
        let clock = |code: &str| c.clocks.get(code);
        if let Some(code) = name.strip_prefix("due:") {
            return clock(code).map(|k| fmt_date(k.computed.due)).unwrap_or_default();
        }
        if let Some(code) = name.strip_prefix("rule:") {
            return clock(code)
                .map(|k| format!("{}：自{}之日起{}", k.rule.source, k.rule.trigger, k.rule.period.label()))
                .unwrap_or_default();
        }
        match name {
            "receipt_no" => c.receipt_no.clone(),
            "query_code" => self.query_code.clone().unwrap_or_default(),
            "kind" => self.kind.label.to_string(),
            "title" => c.title.clone(),
            "unit" => self.unit.to_string(),
            "issuer" => self.office.issuer.clone(),
            "contact" => self.office.contact.clone(),
            "opened_on" => {
                // The day it was received as registered (the open action's dated field), not the
                // day it was typed in.
                let received =
                    self.kind.workflow.open.dated.and_then(|k| c.data_str(k)).and_then(|s| parse_date(s).ok());
                fmt_date(received.unwrap_or_else(|| local_date_ms(c.opened_at)))
            }
            "action_on" => self.event.map(|e| self.day_of(e)).unwrap_or_default(),
            other => {
                let column = match other {
                    "category" => c.category.clone().map(Json::String),
                    "urgency" => c.urgency.clone().map(Json::String),
                    "location" => c.location.clone().map(Json::String),
                    _ => None,
                };
                // The documented action's own record first: a later action may have written the
                // same key (a 说明, a 告知日期).
                let v = self
                    .event
                    .and_then(|e| e.payload.get(other).cloned())
                    .or(column)
                    .or_else(|| c.data.get(other).cloned());
                v.map(|v| shown(self.app, self.field(other), &v)).unwrap_or_default()
            }
        }
    }

    fn text(&self, template: &'static str) -> Option<String> {
        let names = fazhi_domain::workflow::kind::placeholders(template);
        let values: Vec<String> = names.iter().map(|n| self.value(n)).collect();
        if !names.is_empty() && values.iter().all(String::is_empty) {
            return None;
        }
        let mut out = template.to_string();
        for (n, v) in names.iter().zip(&values) {
            out = out.replacen(&format!("{{{n}}}"), v, 1);
        }
        Some(out)
    }

    fn fill(&self, p: &Printable, tracking: &str) -> Paper {
        let mut blocks = Vec::new();
        for b in &p.blocks {
            match b {
                PaperBlock::Addressee(n) => {
                    let v = self.value(n);
                    if !v.is_empty() {
                        blocks.push(Block::Addressee(v));
                    }
                }
                PaperBlock::Heading(h) => blocks.push(Block::Heading((*h).to_string())),
                PaperBlock::Text(t) => blocks.extend(self.text(t).map(Block::Para)),
                PaperBlock::Facts(rows) => {
                    let rows: Vec<(String, String)> = rows
                        .iter()
                        .map(|(l, n)| ((*l).to_string(), self.value(n)))
                        .filter(|(_, v)| !v.is_empty())
                        .collect();
                    if !rows.is_empty() {
                        blocks.push(Block::Facts(rows));
                    }
                }
                PaperBlock::Signatures(lines) => {
                    blocks.push(Block::Signatures(lines.iter().map(|l| (*l).to_string()).collect()));
                }
                PaperBlock::Tracking => blocks.push(Block::Tracking(tracking.to_string())),
                PaperBlock::Closing => {
                    let day = self
                        .event
                        .map(|e| self.day_of(e))
                        .and_then(|s| parse_date(&s).ok())
                        .unwrap_or_else(|| local_date_ms(self.case.opened_at));
                    blocks.push(Block::Closing { issuer: self.office.issuer.clone(), date: chinese_date(day) });
                }
            }
        }
        Paper { issuer: self.office.issuer.clone(), title: p.title.to_string(), blocks }
    }
}

fn may_print(p: &Principal, paper: &Printable) -> bool {
    paper.roles.is_empty() || paper.roles.iter().any(|r| p.has_role(*r))
}

fn documented<'a>(paper: &Printable, events: &'a [Event]) -> Option<&'a Event> {
    paper.after.and_then(|a| events.iter().rev().find(|e| e.action == a))
}

impl App {
    /// The town's government (the issuer of the annual report) and the contact configured for it
    /// (`[towns.<code>]`).
    pub fn town_office(&self, tenant: fazhi_domain::ids::TenantId) -> TownOffice {
        let Some(t) = self.tenant(tenant) else { return TownOffice::default() };
        let contact = self.config().towns.get(&t.code).map(crate::config::TownContact::line).unwrap_or_default();
        TownOffice { issuer: self.issuer(&t), contact }
    }

    /// The government the public tracking page names before a look-up: the town's, when this
    /// installation serves one town (a district's serves several, named with each result).
    pub fn sole_town_office(&self) -> Option<TownOffice> {
        let towns: Vec<_> =
            self.tenants().iter().filter(|t| t.kind == fazhi_store::TenantKind::Town).map(|t| t.id).collect();
        match towns.as_slice() {
            [one] => Some(self.town_office(*one)),
            _ => None,
        }
    }

    /// The papers of a case this user may print now, in the kind's order.
    ///
    /// # Errors
    /// An unknown kind.
    pub fn papers(&self, p: &Principal, d: &CaseDetail) -> Result<Vec<PaperLink>> {
        let k = self.kind(&d.case.kind)?;
        Ok(k.printables
            .iter()
            .filter(|x| may_print(p, x) && (x.after.is_none() || documented(x, &d.events).is_some()))
            .map(|x| PaperLink { code: x.code, title: x.title, docx: x.docx })
            .collect())
    }

    /// The papers a case of this kind has from registration on that this user may print (the
    /// receipt page offers them).
    ///
    /// # Errors
    /// An unknown kind.
    pub fn opening_papers(&self, p: &Principal, kind: &str) -> Result<Vec<PaperLink>> {
        let k = self.kind(kind)?;
        Ok(k.printables
            .iter()
            .filter(|x| x.after.is_none() && may_print(p, x))
            .map(|x| PaperLink { code: x.code, title: x.title, docx: x.docx })
            .collect())
    }

    /// A case's paper, filled. `site` is the address the tracking page is reached at when
    /// `server.public_url` is not configured (the address this request came to).
    ///
    /// # Errors
    /// 404 for a case out of reach or a paper the kind does not have; 403 for a role the paper
    /// does not name; 409 when the action it documents was not taken.
    pub async fn paper(&self, p: &Principal, id: CaseId, code: &str, site: &str) -> Result<Paper> {
        let d = self.detail(p, id).await?;
        let k = self.kind(&d.case.kind)?;
        let paper = k.printable(code).ok_or_else(|| ServiceError::NotFound(format!("{}没有这种文书", k.label)))?;
        if !may_print(p, paper) {
            return Err(ServiceError::Forbidden(format!("您的角色不能打印{}", paper.title)));
        }
        let event = documented(paper, &d.events);
        if let (Some(a), None) = (paper.after, event) {
            let label = k.workflow.action(a).map_or(a, |x| x.label);
            return Err(ServiceError::WrongState(format!("本件尚未{label}，不能出具{}", paper.title)));
        }
        let query_code = if paper.names().contains(&"query_code") { self.query_code(p, id).await? } else { None };
        let office = self.town_office(d.case.tenant_id);
        let base =
            if self.config().public_url().is_empty() { site.trim_end_matches('/') } else { self.config().public_url() };
        let tracking = format!("{base}/track?receipt_no={}", d.case.receipt_no);
        let filler =
            Filler { app: self, kind: k, case: &d.case, unit: &d.unit_name, event, office: &office, query_code };
        Ok(filler.fill(paper, &tracking))
    }
}
