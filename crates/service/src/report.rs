//! The annual report: its draft (words people edit, versioned, each save an event), its figures
//! (the catalogue for the tenant and year), and the district comparison of key rates.

use std::collections::{HashMap, HashSet};

use fazhi_domain::FieldError;
use fazhi_domain::case::Actor;
use fazhi_domain::ids::TenantId;
use fazhi_domain::metric::{CaseSet, Cond, Figure, Measure, MetricDef, MetricUnit, Period};
use fazhi_domain::role::Role;
use fazhi_domain::time_util::{fmt_date, local_date};
use fazhi_report::annual::{self as annual, AnnualReport, Chart, Draft, DraftSubsection, FigureValue, Inputs};
use fazhi_report::charts::{self, Bar, RateLine};
use fazhi_store::{CaseFilter, Extent, GroupBy, GroupKey, Reader, Scope, Tenant, TenantKind};
use serde_json::json;
use time::Month;

use crate::{App, Principal, Result, ServiceError};

/// Makes the link of a figure to its cases: (metric code, period) → URL.
pub type FigureLink = dyn Fn(&str, &Period) -> String + Sync;

/// A draft as loaded: the words, the version (0 for the default, never saved), who saved it.
#[derive(Debug, Clone)]
pub struct LoadedDraft {
    pub draft: Draft,
    pub version: i64,
    pub saved: Option<(String, i64)>,
}

/// One town's key rates beside the district's.
#[derive(Debug, Clone)]
pub struct Comparison {
    pub year: i32,
    pub district: String,
    pub metrics: Vec<MetricDef>,
    /// (town, its figures in `metrics` order)
    pub towns: Vec<(String, Vec<Figure>)>,
    /// The district's pooled figures: all its towns' cases counted together.
    pub district_pooled: Vec<Figure>,
    /// The plain average of the towns' rates (towns without a denominator left out), "—" if none.
    pub town_mean: Vec<String>,
}

fn rate_bp(f: &Figure) -> Option<u64> {
    match f {
        Figure::Rate(r) => r.basis_points(),
        _ => None,
    }
}

impl App {
    /// The issuer as the default title names it: 从化区鳌头镇人民政府.
    pub(crate) fn issuer(&self, t: &Tenant) -> String {
        let district = t.parent_id.and_then(|d| self.tenant(d)).map(|d| d.name).unwrap_or_default();
        format!("{district}{}人民政府", t.name)
    }

    /// A town by code (or the only town, when there is one).
    ///
    /// # Errors
    /// An unknown code, or several towns and no code.
    pub fn town(&self, code: Option<&str>) -> Result<Tenant> {
        let towns: Vec<Tenant> = self.tenants().iter().filter(|t| t.kind == TenantKind::Town).cloned().collect();
        match code {
            Some(c) => towns
                .into_iter()
                .find(|t| t.code.eq_ignore_ascii_case(c))
                .ok_or_else(|| ServiceError::field("tenant", "镇（街道）", format!("代码“{c}”不存在"))),
            None if towns.len() == 1 => {
                Ok(towns.into_iter().next().ok_or_else(|| ServiceError::internal("no town"))?)
            }
            None if towns.is_empty() => Err(ServiceError::field("tenant", "镇（街道）", "尚无任何镇（街道）")),
            None => Err(ServiceError::field(
                "tenant",
                "镇（街道）",
                format!(
                    "有多个镇（街道），请指定代码：{}",
                    towns.iter().map(|t| t.code.as_str()).collect::<Vec<_>>().join("、")
                ),
            )),
        }
    }

    /// The codes a draft may use: every figure of the catalogue.
    pub fn report_codes(&self) -> HashSet<String> {
        self.catalogue().metrics.iter().map(|m| m.code.to_string()).collect()
    }

    /// The default draft: the model report's subsections, each with the clauses the kinds give it
    /// (`KindDef::report`), in the registry's order.
    pub fn default_draft(&self, tenant: &Tenant, year: i32) -> Draft {
        let sections = self
            .kinds()
            .report_paragraphs()
            .into_iter()
            .map(|(section, paragraphs)| DraftSubsection {
                heading: section.heading().to_string(),
                text: paragraphs
                    .iter()
                    .map(|p| Draft::paragraph_of(&p.iter().map(|c| c.text).collect::<Vec<_>>()))
                    .collect::<Vec<_>>()
                    .join("\n\n"),
            })
            .collect();
        Draft::default_for(&self.issuer(tenant), year, sections)
    }

    /// The latest draft of a town's report for a year, or the default one.
    ///
    /// # Errors
    /// Database errors, or a stored draft that no longer parses.
    pub async fn report_draft(&self, tenant: &Tenant, year: i32) -> Result<LoadedDraft> {
        match self.store().report_draft(tenant.id, year, None).await? {
            Some(v) => Ok(LoadedDraft {
                draft: serde_json::from_str(&v.content).map_err(|e| ServiceError::internal_in("stored draft", e))?,
                version: v.version,
                saved: Some((v.saved_by_name, v.saved_at)),
            }),
            None => Ok(LoadedDraft { draft: self.default_draft(tenant, year), version: 0, saved: None }),
        }
    }

    /// Saves a new version of the draft as `actor`, if nobody saved since `expected`.
    ///
    /// # Errors
    /// Bad parts of the draft (named), a stale version.
    pub async fn save_report_draft_as(
        &self,
        actor: &Actor,
        tenant: &Tenant,
        year: i32,
        expected: i64,
        draft: &Draft,
    ) -> Result<i64> {
        // 起草 only: a draft in review is the reviewer's to return, a final one is frozen.
        let _step = self.report_step().await;
        let stage = self.report_review(tenant, year).await?.stage;
        if stage != crate::report_review::Stage::Drafting {
            return Err(ServiceError::WrongState(match stage {
                crate::report_review::Stage::InReview { .. } => {
                    "报告正在审核中，不能修改；如需修改，请审核人退回修改".to_string()
                }
                _ => "报告已定稿，不能再修改".to_string(),
            }));
        }
        draft.validate(&self.report_codes()).map_err(|errs| {
            ServiceError::Invalid(errs.into_iter().map(|e| FieldError::new(e.field, e.label, e.reason)).collect())
        })?;
        let content = serde_json::to_string(draft).map_err(ServiceError::internal)?;
        let event = self.event(
            actor,
            "report.draft_saved",
            "修改年度报告草稿",
            json!({"year": year, "version": expected + 1, "title": draft.title}),
        );
        let event = fazhi_domain::event::Event { tenant_id: tenant.id, ..event };
        Ok(self.store().save_report_draft(tenant.id, year, expected, &content, event).await?)
    }

    /// Saves the draft of the user's own town (领导, 司法所).
    ///
    /// # Errors
    /// 403 for other roles; as [`App::save_report_draft_as`].
    pub async fn save_report_draft(&self, p: &Principal, year: i32, expected: i64, draft: &Draft) -> Result<i64> {
        p.require(&[Role::Leader, Role::JudicialOffice])?;
        let tenant = self.tenant(p.user.tenant_id).ok_or_else(|| ServiceError::internal("tenant"))?;
        self.save_report_draft_as(&p.actor, &tenant, year, expected, draft).await
    }

    /// Checks that a report for `year` can be produced: the year has begun; a final report only
    /// once it is over; the calendar of that year is loaded (time-limit figures depend on it).
    ///
    /// # Errors
    /// A Chinese reason naming the year.
    pub fn check_report_year(&self, year: i32, draft: bool) -> Result<()> {
        let today = local_date(self.now());
        let err = |r: String| Err(ServiceError::field("year", "年度", r));
        if !(2000..=today.year()).contains(&year) {
            return err(format!("{year}年不在可生成的范围（2000年至今年）"));
        }
        if year == today.year() && !draft {
            return err(format!("{year}年尚未结束，只能生成草稿（命令行加 --draft）"));
        }
        if !self.calendar().has_year(year) {
            return err(format!(
                "{year}年节假日安排尚未导入，按期办结等期限类指标无法准确计算，请先导入（fazhi calendar import）"
            ));
        }
        Ok(())
    }

    /// The annual report of a town, as the town issues it: every case of the town counted (the
    /// official report `fazhi report` prints). `link` makes each figure's link to its cases (the
    /// web passes one; the command line none).
    ///
    /// # Errors
    /// As [`App::check_report_year`]; database errors; a chart that cannot be drawn.
    pub async fn annual_report(
        &self,
        tenant: &Tenant,
        year: i32,
        draft: bool,
        link: Option<&FigureLink>,
    ) -> Result<AnnualReport> {
        self.annual_report_in(tenant, None, year, draft, link).await
    }

    /// The annual report of a town as `reader` may read it: with a reader, the cases withheld
    /// from them (检举控告, 《信访工作条例》第三十条) are left out of every figure, category list
    /// and chart — the same rule their lists follow, so a figure and its drill-down list agree,
    /// and no total tells the accused unit there is an accusation against it.
    async fn annual_report_in(
        &self,
        tenant: &Tenant,
        reader: Option<Reader>,
        year: i32,
        draft: bool,
        link: Option<&FigureLink>,
    ) -> Result<AnnualReport> {
        self.check_report_year(year, draft)?;
        let period = Period::year(year).ok_or_else(|| ServiceError::field("year", "年度", "无效"))?;
        let scope = match reader {
            Some(r) => Scope::tenant(tenant.id).read_by(r),
            None => Scope::tenant(tenant.id),
        };
        let loaded = self.report_draft(tenant, year).await?;
        let mut figures: HashMap<String, FigureValue> = self
            .metrics_in(&scope, None, &[], &period)
            .await?
            .into_iter()
            .map(|(m, f)| {
                (m.code.to_string(), FigureValue { display: f.to_string(), href: link.map(|l| l(m.code, &period)) })
            })
            .collect();
        for code in loaded.draft.placeholders() {
            if let Some(metric) = code.strip_suffix(annual::CATEGORIES)
                && let Some(names) = self.categories_of(&scope, metric, &period).await?
            {
                figures.insert(code.clone(), FigureValue { display: names, href: link.map(|l| l(metric, &period)) });
            }
        }
        let mut kinds_with_cases = HashSet::new();
        for k in self.kinds().all() {
            let f = CaseFilter {
                kind: Some(k.slug.to_string()),
                opened_from: Some(period.from),
                opened_to: Some(period.to),
                ..Default::default()
            };
            if self.store().count_cases(&scope, &f).await? > 0 {
                kinds_with_cases.insert(k.slug.to_string());
            }
        }
        let mut charts = Vec::new();
        for k in self.kinds().all().iter().filter(|k| k.capabilities.monthly_chart) {
            if kinds_with_cases.contains(k.slug) {
                charts.push(self.monthly_chart(&scope, &period, k.slug).await?);
            }
        }
        let today = local_date(self.now());
        let note =
            if draft || year == today.year() { format!("数据截至 {}", fmt_date(today)) } else { String::new() };
        let closing = self.report_closing(tenant, year).await?;
        let mut report = loaded.draft.assemble(Inputs {
            year,
            town: &tenant.name,
            figures: &figures,
            kinds_with_cases: &kinds_with_cases,
            draft: draft || year == today.year(),
            note,
            charts,
        });
        report.closing = Some(closing);
        Ok(report)
    }

    /// The figures a writer may insert in `town`'s report for `year`, by name with their value
    /// as `p` would read them in the report (the cases withheld from them left out) and what
    /// they count: every figure of the catalogue, the year and the town, and the category lists
    /// `draft` uses. Names are the kind's and the figure's (矛盾纠纷化解率), unique across kinds.
    ///
    /// # Errors
    /// As [`App::annual_report_for`].
    pub async fn report_figures(
        &self,
        p: &Principal,
        town: &Tenant,
        year: i32,
        draft: &Draft,
    ) -> Result<Vec<fazhi_report::named::NamedFigure>> {
        use fazhi_report::named::NamedFigure;
        let town = self.report_town(p, Some(&town.code))?;
        let period = Period::year(year).ok_or_else(|| ServiceError::field("year", "年度", "无效"))?;
        let scope = match p.scope.reader.clone() {
            Some(r) => Scope::tenant(town.id).read_by(r),
            None => Scope::tenant(town.id),
        };
        let name_of = |m: &MetricDef| {
            let kind = self.kind(m.kind()).map(|k| k.label).unwrap_or_default();
            format!("{kind}{}", m.name)
        };
        let mut out = vec![
            NamedFigure {
                code: "year".into(),
                name: "年度".into(),
                display: year.to_string(),
                formula: "报告的年度".into(),
            },
            NamedFigure {
                code: "town".into(),
                name: "镇（街道）名称".into(),
                display: town.name.clone(),
                formula: "报告的镇（街道）".into(),
            },
        ];
        for (m, f) in self.metrics_in(&scope, None, &[], &period).await? {
            out.push(NamedFigure {
                code: m.code.to_string(),
                name: name_of(&m),
                display: f.to_string(),
                formula: m.formula.clone(),
            });
        }
        for code in draft.placeholders() {
            if let Some(metric) = code.strip_suffix(annual::CATEGORIES)
                && let Some(m) = self.catalogue().get(metric)
            {
                let names = self.categories_of(&scope, metric, &period).await?.unwrap_or_else(|| "（无）".into());
                out.push(NamedFigure {
                    code: code.clone(),
                    name: format!("{}涉及的类别", name_of(m)),
                    display: names,
                    formula: format!("{}所计案件的类别，按件数从多到少", name_of(m)),
                });
            }
        }
        Ok(out)
    }

    /// The categories of the cases a count metric counts, most cases first ("迁坟、人身损害、劳资欠
    /// 薪"), or `None` when it counts none (the clause naming them is then left out).
    async fn categories_of(&self, scope: &Scope, code: &str, period: &Period) -> Result<Option<String>> {
        let Some(m) = self.catalogue().get(code).filter(|m| matches!(m.measure, Measure::Count { .. })) else {
            return Ok(None);
        };
        let kind = self.kind(m.kind())?;
        let by = self.store().metric_values_by(scope, &[m], period, GroupBy::Category).await?;
        let order: Vec<String> = kind.open_choices("category").into_iter().map(|(c, _)| c).collect();
        let mut counts: Vec<(i64, usize, String)> = by
            .into_iter()
            .filter_map(|(key, v)| {
                let GroupKey::Category(c) = key else { return None };
                let n = v.get(m.code).copied().unwrap_or(0);
                let rank = order.iter().position(|o| *o == c).unwrap_or(usize::MAX);
                (n > 0).then(|| (n, rank, kind.choice_label("category", &c).unwrap_or(c)))
            })
            .collect();
        counts.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let names: Vec<String> = counts.into_iter().map(|(_, _, name)| name).collect();
        Ok((!names.is_empty()).then(|| names.join("、")))
    }

    /// Cases registered per month with the close rate, as a chart.
    async fn monthly_chart(&self, scope: &Scope, period: &Period, kind: &str) -> Result<Chart> {
        let k = self.kind(kind)?;
        let opened = MetricDef {
            code: "chart.opened",
            name: "受理数",
            unit: MetricUnit::Cases,
            formula: String::new(),
            measure: Measure::Count { set: CaseSet { kind: k.slug, conds: vec![Cond::OpenedIn] } },
        };
        let closed = MetricDef {
            code: "chart.closed",
            name: "办结数",
            unit: MetricUnit::Cases,
            formula: String::new(),
            measure: Measure::Count { set: CaseSet { kind: k.slug, conds: vec![Cond::OpenedIn, Cond::ClosedByEnd] } },
        };
        let by_day = self.store().metric_values_by(scope, &[&opened, &closed], period, GroupBy::Day).await?;
        let mut months = [(0i64, 0i64); 12];
        for (key, v) in &by_day {
            let GroupKey::Day(day) = key else { continue };
            let Some(d) = time::Date::from_calendar_date(1970, Month::January, 1)
                .ok()
                .and_then(|e| e.checked_add(time::Duration::days(*day)))
            else {
                continue;
            };
            if d.year() == period.from.year() {
                let m = &mut months[d.month() as usize - 1];
                m.0 += v.get("chart.opened").copied().unwrap_or(0);
                m.1 += v.get("chart.closed").copied().unwrap_or(0);
            }
        }
        let bars: Vec<Bar> = months
            .iter()
            .enumerate()
            .map(|(i, (o, _))| Bar { label: format!("{}月", i + 1), value: u64::try_from(*o).unwrap_or(0) })
            .collect();
        let line = RateLine {
            name: "办结率（%）".into(),
            points: months.iter().map(|(o, c)| (*o > 0).then(|| *c as f64 * 100.0 / *o as f64)).collect(),
        };
        let title = format!("{}年{}按月受理量与办结率", period.from.year(), k.label);
        let svg =
            charts::bars_svg(&title, &bars, "受理数", "件", Some(&line), 800, 360).map_err(ServiceError::internal)?;
        Ok(Chart { title, svg })
    }

    /// Each town's key rates beside the district's, for a year, every case counted (the
    /// command line's comparison).
    ///
    /// # Errors
    /// An unknown district; database errors.
    pub async fn compare(&self, district: Option<TenantId>, year: i32) -> Result<Comparison> {
        self.compare_in(district, None, year).await
    }

    /// As [`App::compare`], as `reader` may read it: the cases withheld from them (第三十条) are
    /// left out of every town's figures and of the district's.
    async fn compare_in(&self, district: Option<TenantId>, reader: Option<Reader>, year: i32) -> Result<Comparison> {
        let period = Period::year(year)
            .filter(|_| (2000..=local_date(self.now()).year()).contains(&year))
            .ok_or_else(|| ServiceError::field("year", "年度", "不在可统计的范围"))?;
        let districts: Vec<Tenant> =
            self.tenants().iter().filter(|t| t.kind == TenantKind::District).cloned().collect();
        let d = match district {
            Some(id) => districts.into_iter().find(|t| t.id == id),
            None => districts.into_iter().next(),
        }
        .ok_or_else(|| ServiceError::field("district", "区", "不存在"))?;
        let towns: Vec<Tenant> = self
            .tenants()
            .iter()
            .filter(|t| t.kind == TenantKind::Town && t.parent_id == Some(d.id))
            .cloned()
            .collect();
        let metrics: Vec<MetricDef> =
            self.catalogue().metrics.iter().filter(|m| m.unit == MetricUnit::Rate).cloned().collect();
        // One pass over the district's cases grouped by town (not one per town and another for
        // the district: 5.4 s at a million cases, now 2.4 s). The pooled figures add the towns'
        // counts and sums, which is what counting them together gives: each case has one town.
        let cat = self.catalogue();
        let mut parts: Vec<&MetricDef> = Vec::new();
        for m in &metrics {
            match &m.measure {
                Measure::Ratio { num, den } => parts.extend([num, den].into_iter().filter_map(|c| cat.get(c))),
                _ => parts.push(m),
            }
        }
        parts.sort_by_key(|m| m.code);
        parts.dedup_by_key(|m| m.code);
        let scope = Scope::tenants(towns.iter().map(|t| t.id).collect());
        let scope = match reader {
            Some(r) => scope.read_by(r),
            None => scope,
        };
        let by_town = self.store().metric_values_by(&scope, &parts, &period, GroupBy::Tenant).await?;
        let figures = |raw: &HashMap<String, i64>| -> Result<Vec<Figure>> {
            metrics
                .iter()
                .map(|m| {
                    cat.figure(m.code, &mut |d: &MetricDef| raw.get(d.code).copied().unwrap_or(0))
                        .map_err(ServiceError::internal)
                })
                .collect()
        };
        let empty = HashMap::new();
        let mut rows = Vec::new();
        let mut pooled_raw: HashMap<String, i64> = HashMap::new();
        for t in &towns {
            let raw = by_town.get(&GroupKey::Tenant(t.id.to_string())).unwrap_or(&empty);
            for (code, v) in raw {
                *pooled_raw.entry(code.clone()).or_default() += v;
            }
            rows.push((t.name.clone(), figures(raw)?));
        }
        let pooled = figures(&pooled_raw)?;
        let town_mean = (0..metrics.len())
            .map(|i| {
                let bps: Vec<u64> = rows.iter().filter_map(|(_, f)| f.get(i).and_then(rate_bp)).collect();
                if bps.is_empty() {
                    "—".to_string()
                } else {
                    let mean = bps.iter().sum::<u64>() / bps.len() as u64;
                    format!("{}.{:02}%", mean / 100, mean % 100)
                }
            })
            .collect();
        Ok(Comparison { year, district: d.name, metrics, towns: rows, district_pooled: pooled, town_mean })
    }

    /// The towns whose annual report `p` may read. The report adds up every case of a town, so
    /// it is for those who see the whole town: the town-wide roles (领导, 司法所, 受理员, 法制审核人员,
    /// 政府法律顾问) read their own town, the 区级监督 role every town of its district. A handler,
    /// grid worker, mediator or officer sees only their unit's cases, and the three administrators
    /// none (GB/T 22239-2019 §8.1.4.2: least privilege).
    ///
    /// # Errors
    /// 403 for everyone else; a pending password change.
    pub fn report_towns(&self, p: &Principal) -> Result<Vec<Tenant>> {
        p.ready()?;
        match &p.scope.extent {
            Extent::Tenant(t) => Ok(self.tenant(*t).into_iter().collect()),
            Extent::Tenants(ts) => Ok(self.tenants().iter().filter(|t| ts.contains(&t.id)).cloned().collect()),
            Extent::Nothing => Err(ServiceError::Forbidden("您的角色不查看业务数据（三员分立）".into())),
            _ => Err(ServiceError::Forbidden(
                "年度报告汇总全镇（街道）的案件，仅领导、司法所等全镇范围的角色和区级监督角色可以查看".into(),
            )),
        }
    }

    /// One town `p` may read the report of: by code, or their own (the first of their district).
    ///
    /// # Errors
    /// As [`App::report_towns`]; 403 for a town outside the user's reach.
    pub fn report_town(&self, p: &Principal, code: Option<&str>) -> Result<Tenant> {
        let towns = self.report_towns(p)?;
        match code.map(str::trim).filter(|c| !c.is_empty()) {
            Some(c) => towns
                .into_iter()
                .find(|t| t.code.eq_ignore_ascii_case(c))
                .ok_or_else(|| ServiceError::Forbidden("该镇（街道）不在您的管辖范围内".into())),
            None => towns.into_iter().next().ok_or_else(|| ServiceError::NotFound("没有可查看的镇（街道）".into())),
        }
    }

    /// The annual report of a town, for a user who may read it ([`App::report_towns`]), with
    /// the cases withheld from them left out of its figures (第三十条), as from their lists.
    ///
    /// # Errors
    /// As [`App::report_town`] and [`App::annual_report`].
    pub async fn annual_report_for(
        &self,
        p: &Principal,
        town: &Tenant,
        year: i32,
        draft: bool,
        link: Option<&FigureLink>,
    ) -> Result<AnnualReport> {
        let town = self.report_town(p, Some(&town.code))?;
        self.annual_report_in(&town, p.scope.reader.clone(), year, draft, link).await
    }

    /// The district comparison as `p` may read it. The 区级监督 role reads every town of its
    /// district. A town's 领导 and 司法所 read their own town's row beside the district's pooled
    /// figures and the towns' mean — what their report weighs itself against (the model report:
    /// "败诉率低于全区平均") — but not the other towns one by one, which are the district's to
    /// compare. Nobody else reads it. Cases withheld from the reader (第三十条) count nowhere in
    /// it: the district's pooled figures would otherwise give them away by difference.
    ///
    /// # Errors
    /// 403 for other roles; as [`App::compare`].
    pub async fn compare_for(&self, p: &Principal, year: i32) -> Result<Comparison> {
        p.ready()?;
        let me = self.tenant(p.user.tenant_id).ok_or_else(|| ServiceError::internal("tenant"))?;
        let reader = p.scope.reader.clone();
        if p.has_role(Role::District) {
            return self.compare_in(Some(me.id), reader, year).await;
        }
        if !(p.has_role(Role::Leader) || p.has_role(Role::JudicialOffice)) {
            return Err(ServiceError::Forbidden(
                "全区对比仅区级监督角色可以查看；镇（街道）领导和司法所可查看本镇与全区的对比".into(),
            ));
        }
        let district = me.parent_id.ok_or_else(|| ServiceError::NotFound("本镇（街道）不属于任何区".into()))?;
        let mut c = self.compare_in(Some(district), reader, year).await?;
        c.towns.retain(|(name, _)| *name == me.name);
        Ok(c)
    }
}
