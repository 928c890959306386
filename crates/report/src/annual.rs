//! The annual 法治政府建设情况报告, in the structure of the seed report: title, preamble,
//! 一、主要工作及成效 with numbered subsections, 二、存在问题, 三、下一年度重点工作.
//!
//! The words are a [`Draft`] people edit and fazhi keeps (versioned); the figures are
//! placeholders — `{hotline.accepted}` — that [`Draft::assemble`] fills from the metric
//! catalogue for the tenant and year. A paragraph whose figures belong to a kind fazhi does not
//! run, or that has no cases in the year, is left out rather than faked.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// Chinese numerals for subsection numbering: （一）…（二十）.
const NUMERALS: [&str; 20] = [
    "一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二", "十三", "十四", "十五", "十六", "十七",
    "十八", "十九", "二十",
];

/// One subsection of 一、主要工作及成效: its heading and its text (paragraphs separated by blank
/// lines; figures as `{metric.code}`; `{year}` and `{town}` for the year and the town).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftSubsection {
    pub heading: String,
    pub text: String,
}

/// The words of a report, as people write them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub title: String,
    pub preamble: String,
    pub achievements: Vec<DraftSubsection>,
    /// 二、存在问题
    pub problems: String,
    /// 三、下一年度重点工作
    pub plans: String,
}

/// The longest text fazhi keeps in one part of a draft.
pub const MAX_PART: usize = 20_000;

/// A problem with a draft, naming the part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftError {
    pub field: String,
    pub label: String,
    pub reason: String,
}

/// The `{…}` placeholders of a text, in order.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        match after.find('}') {
            Some(j) => {
                out.push(after[..j].to_string());
                rest = &after[j + 1..];
            }
            None => break,
        }
    }
    out
}

impl Draft {
    /// The draft with every text part (not the title or headings) passed through `f`: how named
    /// figures (【名称 值】) become codes and back ([`crate::named`]).
    #[must_use]
    pub fn map_texts(&self, f: impl Fn(&str) -> String) -> Draft {
        Draft {
            title: self.title.clone(),
            preamble: f(&self.preamble),
            achievements: self
                .achievements
                .iter()
                .map(|s| DraftSubsection { heading: s.heading.clone(), text: f(&s.text) })
                .collect(),
            problems: f(&self.problems),
            plans: f(&self.plans),
        }
    }

    /// Every placeholder of every part of the draft, once each.
    pub fn placeholders(&self) -> Vec<String> {
        let mut all: Vec<String> = std::iter::once(&self.preamble)
            .chain(self.achievements.iter().map(|s| &s.text))
            .chain([&self.problems, &self.plans])
            .flat_map(|t| placeholders(t))
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// The starting draft: the seed report's structure — its subsections with the sentences whose
    /// figures fazhi computes (`sections`: each subsection's heading and text, as the kinds give
    /// them) and 二、三 to be written. `issuer` is the government's name as the title gives it.
    pub fn default_for(issuer: &str, year: i32, sections: Vec<DraftSubsection>) -> Self {
        Self {
            title: format!("{issuer}关于{year}年度法治政府建设情况的报告"),
            preamble: format!(
                "{year}年，{{town}}坚持以习近平新时代中国特色社会主义思想为指导，深入学习贯彻习近平法治思想，深入落实《法治政府建设实施纲要（2021—2025年）》部署要求，切实把法治贯彻落实到政府工作全过程各方面。现将{year}年法治政府建设情况报告如下："
            ),
            achievements: sections,
            problems: String::new(),
            plans: String::new(),
        }
    }

    /// A paragraph of the default draft from its clauses in order: joined, its last `；` made `。`.
    pub fn paragraph_of(clauses: &[&str]) -> String {
        let mut text: String = clauses.concat();
        if let Some(stripped) = text.strip_suffix('；') {
            text = format!("{stripped}。");
        }
        text
    }

    /// Checks a draft: lengths, and that every placeholder names a known figure (`known`) or is
    /// `year`/`town`.
    ///
    /// # Errors
    /// Each problem, naming the part.
    pub fn validate(&self, known: &HashSet<String>) -> Result<(), Vec<DraftError>> {
        let mut errors = Vec::new();
        let mut part = |field: String, label: String, text: &str, required: bool, max: usize| {
            let n = text.chars().count();
            if required && text.trim().is_empty() {
                errors.push(DraftError { field: field.clone(), label: label.clone(), reason: "不能为空".into() });
            }
            if n > max {
                errors.push(DraftError {
                    field: field.clone(),
                    label: label.clone(),
                    reason: format!("不能超过{max}个字（现为{n}个）"),
                });
            }
            for p in placeholders(text) {
                let base = p.strip_suffix(CATEGORIES).unwrap_or(&p);
                if p != "year" && p != "town" && !known.contains(base) {
                    errors.push(DraftError {
                        field: field.clone(),
                        label: label.clone(),
                        reason: format!("“{{{p}}}”不是可用的指标，请从下方指标表中复制"),
                    });
                }
            }
        };
        part("title".into(), "标题".into(), &self.title, true, 200);
        part("preamble".into(), "导语".into(), &self.preamble, false, MAX_PART);
        for (i, s) in self.achievements.iter().enumerate() {
            part(format!("heading_{i}"), format!("（{}）标题", NUMERALS.get(i).unwrap_or(&"")), &s.heading, true, 200);
            part(format!("text_{i}"), format!("（{}）正文", NUMERALS.get(i).unwrap_or(&"")), &s.text, false, MAX_PART);
        }
        part("problems".into(), "二、存在问题".into(), &self.problems, false, MAX_PART);
        part("plans".into(), "三、下一年度重点工作".into(), &self.plans, false, MAX_PART);
        if self.achievements.len() > NUMERALS.len() {
            errors.push(DraftError {
                field: "achievements".into(),
                label: "主要工作及成效".into(),
                reason: format!("最多{}个小节", NUMERALS.len()),
            });
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// A figure's value in the report and where its cases are listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FigureValue {
    pub display: String,
    pub href: Option<String>,
}

/// A run of a paragraph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Figure { code: String, display: String, href: Option<String> },
}

pub type Paragraph = Vec<Piece>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subsection {
    /// （一）坚持……
    pub heading: String,
    pub paragraphs: Vec<Paragraph>,
}

/// A chart of the report: SVG for the page, PNG for Word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    pub title: String,
    pub svg: String,
}

/// The report ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnualReport {
    pub title: String,
    /// Not final: the year is not over, or a draft was asked for.
    pub draft: bool,
    /// "数据截至 2024-01-10" and similar.
    pub note: String,
    pub preamble: Vec<Paragraph>,
    pub achievements: Vec<Subsection>,
    pub problems: Vec<Paragraph>,
    pub plans: Vec<Paragraph>,
    pub charts: Vec<Chart>,
    /// The 落款 closing the Word file: the issuing government and the date (GB/T 9704-2012
    /// §7.3.5: 成文日期 in Arabic numerals, 2024年1月15日). Set by the service from the draft's
    /// 定稿; `None` leaves it out.
    pub closing: Option<Closing>,
}

/// The 落款: who issues the report and on which date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closing {
    pub issuer: String,
    /// 2024年1月15日
    pub date: String,
}

/// What assembling needs besides the draft.
pub struct Inputs<'a> {
    pub year: i32,
    pub town: &'a str,
    /// Every figure of the catalogue for the tenant and year, by code.
    pub figures: &'a HashMap<String, FigureValue>,
    /// Kinds with at least one case in the year: a paragraph about any other kind is left out.
    pub kinds_with_cases: &'a HashSet<String>,
    pub draft: bool,
    pub note: String,
    pub charts: Vec<Chart>,
}

/// The suffix of a placeholder that names the categories of the cases a figure counts
/// (`{dispute.major_resolved:categories}` → 迁坟、人身损害、劳资欠薪), most frequent first.
pub const CATEGORIES: &str = ":categories";

/// A clause of a paragraph: the text up to and including its closing `；` or `。` (or the end).
fn clauses(paragraph: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, ch) in paragraph.char_indices() {
        if ch == '；' || ch == '。' {
            let end = i + ch.len_utf8();
            out.push(&paragraph[start..end]);
            start = end;
        }
    }
    if start < paragraph.len() {
        out.push(&paragraph[start..]);
    }
    out
}

/// The pieces of one clause, or `None` when a figure in it cannot be given (a kind fazhi does not
/// run or without cases in the year, or a list of categories that is empty).
fn clause_pieces(clause: &str, inp: &Inputs<'_>) -> Option<(Paragraph, bool)> {
    let mut pieces = Vec::new();
    let mut figures = false;
    let mut rest = clause;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        let Some(j) = after.find('}') else { break };
        let code = &after[..j];
        let before = &rest[..i];
        if !before.is_empty() {
            pieces.push(Piece::Text(before.to_string()));
        }
        match code {
            "year" => pieces.push(Piece::Text(inp.year.to_string())),
            "town" => pieces.push(Piece::Text(inp.town.to_string())),
            _ => {
                let kind = code.split('.').next().unwrap_or("");
                // Omitted, not faked: a figure fazhi cannot give drops its clause.
                let value = inp.figures.get(code).filter(|_| inp.kinds_with_cases.contains(kind))?;
                figures = true;
                pieces.push(Piece::Figure {
                    code: code.to_string(),
                    display: value.display.clone(),
                    href: value.href.clone(),
                });
            }
        }
        rest = &after[j + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_string()));
    }
    Some((pieces, figures))
}

/// The paragraphs of a text with their figures. A clause (up to `；` or `。`) whose figure cannot
/// be given is left out — the rest of the sentence stays true — and a sentence that loses its last
/// clause ends with `。`; a paragraph that had figures and lost them all is left out.
fn paragraphs(text: &str, inp: &Inputs<'_>) -> Vec<Paragraph> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let mut out: Paragraph = Vec::new();
            let (mut had, mut kept) = (false, false);
            for clause in clauses(p) {
                let wanted = clause.contains('{') && !placeholders(clause).iter().all(|c| c == "year" || c == "town");
                had |= wanted;
                match clause_pieces(clause, inp) {
                    Some((pieces, figures)) => {
                        kept |= figures;
                        out.extend(pieces);
                    }
                    None if clause.ends_with('。') => end_sentence(&mut out),
                    None => {}
                }
            }
            end_sentence_if_open(&mut out, p);
            (!had || kept).then_some(out).filter(|o| !o.is_empty())
        })
        .collect()
}

/// After a dropped clause that ended a sentence: the kept text before it ends the sentence.
fn end_sentence(out: &mut Paragraph) {
    if let Some(Piece::Text(t)) = out.last_mut()
        && let Some(stripped) = t.strip_suffix('；')
    {
        *t = format!("{stripped}。");
    }
}

/// A paragraph that ended with `。` still does after dropping its last clauses.
fn end_sentence_if_open(out: &mut Paragraph, original: &str) {
    if original.ends_with('。') {
        end_sentence(out);
    }
}

impl Draft {
    /// Fills the draft with figures. Subsections left with no paragraph are dropped and the rest
    /// renumbered; sections 二 and 三 keep their headings even when empty (a draft shows where to
    /// write).
    pub fn assemble(&self, inp: Inputs<'_>) -> AnnualReport {
        let mut achievements = Vec::new();
        for s in &self.achievements {
            let paras = paragraphs(&s.text, &inp);
            if paras.is_empty() {
                continue;
            }
            let n = NUMERALS.get(achievements.len()).unwrap_or(&"");
            achievements.push(Subsection { heading: format!("（{n}）{}", s.heading.trim()), paragraphs: paras });
        }
        AnnualReport {
            title: self.title.trim().to_string(),
            draft: inp.draft,
            preamble: paragraphs(&self.preamble, &inp),
            achievements,
            problems: paragraphs(&self.problems, &inp),
            plans: paragraphs(&self.plans, &inp),
            note: inp.note,
            charts: inp.charts,
            closing: None,
        }
    }
}

fn plain(p: &Paragraph) -> String {
    p.iter()
        .map(|x| match x {
            Piece::Text(t) => t.as_str(),
            Piece::Figure { display, .. } => display.as_str(),
        })
        .collect()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

impl AnnualReport {
    /// Markdown, for diffing and archiving.
    pub fn to_markdown(&self) -> String {
        let mut out = format!("# {}\n\n", self.title);
        if self.draft {
            out.push_str(&format!("> 草稿，未定稿。{}\n\n", self.note));
        }
        for p in &self.preamble {
            out.push_str(&plain(p));
            out.push_str("\n\n");
        }
        out.push_str("## 一、主要工作及成效\n\n");
        for s in &self.achievements {
            out.push_str(&format!("### {}\n\n", s.heading));
            for p in &s.paragraphs {
                out.push_str(&plain(p));
                out.push_str("\n\n");
            }
        }
        for (h, ps) in [("二、存在问题", &self.problems), ("三、下一年度重点工作", &self.plans)] {
            out.push_str(&format!("## {h}\n\n"));
            if ps.is_empty() {
                out.push_str("（待填写）\n\n");
            }
            for p in ps {
                out.push_str(&plain(p));
                out.push_str("\n\n");
            }
        }
        out.trim_end().to_string() + "\n"
    }

    /// The report as an HTML fragment; every figure links to the cases it counts.
    pub fn to_html_fragment(&self) -> String {
        let para = |p: &Paragraph| {
            let inner: String = p
                .iter()
                .map(|x| match x {
                    Piece::Text(t) => esc(t),
                    Piece::Figure { code, display, href: Some(h) } => {
                        format!("<a class=\"figure\" href=\"{}\" title=\"{}\">{}</a>", esc(h), esc(code), esc(display))
                    }
                    Piece::Figure { display, .. } => format!("<span class=\"figure\">{}</span>", esc(display)),
                })
                .collect();
            format!("<p>{inner}</p>\n")
        };
        let mut out = format!("<article class=\"annual-report\">\n<h1>{}</h1>\n", esc(&self.title));
        if self.draft {
            out.push_str(&format!("<p class=\"draft-note\">草稿，未定稿。{}</p>\n", esc(&self.note)));
        }
        out.extend(self.preamble.iter().map(para));
        out.push_str("<h2>一、主要工作及成效</h2>\n");
        for s in &self.achievements {
            out.push_str(&format!("<h3>{}</h3>\n", esc(&s.heading)));
            out.extend(s.paragraphs.iter().map(para));
        }
        for (h, ps) in [("二、存在问题", &self.problems), ("三、下一年度重点工作", &self.plans)] {
            out.push_str(&format!("<h2>{h}</h2>\n"));
            if ps.is_empty() {
                out.push_str("<p class=\"todo\">（待填写）</p>\n");
            }
            out.extend(ps.iter().map(para));
        }
        for c in &self.charts {
            out.push_str(&format!("<figure>{}<figcaption>{}</figcaption></figure>\n", c.svg, esc(&c.title)));
        }
        out.push_str("</article>\n");
        out
    }

    /// A standalone HTML document (for download and archiving).
    pub fn to_html_document(&self) -> String {
        format!(
            "<!doctype html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>body{{font-family:\"FangSong\",\"仿宋\",serif;max-width:46em;margin:2em auto;line-height:1.9;font-size:16pt}}h1{{font-family:\"SimSun\",\"宋体\",serif;text-align:center;font-size:22pt}}h2{{font-family:\"SimHei\",\"黑体\",sans-serif;font-size:16pt}}h3{{font-family:\"KaiTi\",\"楷体\",serif;font-size:16pt}}p{{text-indent:2em;margin:0}}a.figure{{color:inherit}}figure{{margin:1em 0}}.draft-note{{color:#b42318;text-indent:0}}</style>\n</head>\n<body>\n{}</body>\n</html>\n",
            esc(&self.title),
            self.to_html_fragment()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The model report's subsections with the clauses the four kinds of today give them.
    fn seed_sections() -> Vec<DraftSubsection> {
        let sub = |heading: &str, text: &str| DraftSubsection { heading: heading.into(), text: text.into() };
        vec![
            sub("坚持和加强党的全面领导，优化统筹法治政府建设", ""),
            sub(
                "坚持以人民为中心，构建服务型法治政府",
                "认真回应群众诉求，承办广州12345政府服务热线工单{hotline.accepted}件，办结率达{hotline.close_rate}。其中按时办结率{hotline.on_time_rate}，回访满意率{hotline.satisfaction_rate}。",
            ),
            sub("健全行政执法工作体系，全面推进严格规范公正文明执法", ""),
            sub(
                "深化多元共治，提升社会治理法治化水平",
                &Draft::paragraph_of(&[
                    "{year}年{town}接待群众来访{reception.batches}批{reception.persons}人次；",
                    "受理矛盾纠纷{mediation.accepted}宗，化解{mediation.resolved}宗，化解率{mediation.resolve_rate}，挽回群众财产损失{mediation.recovered}；",
                    "受理信访件{appeal.accepted}宗，求决类信访件一次性化解率{appeal.one_time_rate}，满意率{appeal.satisfaction_rate}，规定时间办结率{appeal.on_time_rate}；",
                    "解决涉及{mediation.major_resolved:categories}方面的重大疑难纠纷{mediation.major_resolved}宗；",
                ]),
            ),
            sub("完善科学民主依法决策机制，推进政府治理法治化规范化", ""),
            sub("依法行政加强权力监督制约，确保行政权力规范透明", ""),
        ]
    }

    fn inputs<'a>(figures: &'a HashMap<String, FigureValue>, kinds: &'a HashSet<String>) -> Inputs<'a> {
        Inputs {
            year: 2023,
            town: "鳌头镇",
            figures,
            kinds_with_cases: kinds,
            draft: false,
            note: String::new(),
            charts: vec![],
        }
    }

    fn fig(d: &str) -> FigureValue {
        FigureValue { display: d.into(), href: Some(format!("/cases?x={d}")) }
    }

    fn text_of(r: &AnnualReport) -> String {
        r.achievements.iter().flat_map(|s| s.paragraphs.iter().map(plain)).collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn a_clause_whose_kind_has_no_cases_is_left_out_and_the_sentence_still_ends() {
        let draft = Draft::default_for("鳌头镇人民政府", 2023, seed_sections());
        let figures: HashMap<String, FigureValue> = [
            ("reception.batches", "3"),
            ("reception.persons", "6"),
            ("mediation.accepted", "4"),
            ("mediation.resolved", "2"),
            ("mediation.resolve_rate", "50%"),
            ("mediation.recovered", "0.35万元"),
            ("mediation.major_resolved", "1"),
            ("mediation.major_resolved:categories", "迁坟"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_string(), fig(v)))
        .collect();
        // Visits and disputes this year, no petitions: the petition clause goes, the rest stays.
        let kinds: HashSet<String> = ["reception".to_string(), "mediation".to_string()].into();
        let text = text_of(&draft.assemble(inputs(&figures, &kinds)));
        assert_eq!(
            text,
            "2023年鳌头镇接待群众来访3批6人次；受理矛盾纠纷4宗，化解2宗，化解率50%，挽回群众财产损失0.35万元；解决涉及迁坟方面的重大疑难纠纷1宗。"
        );
        // No major dispute resolved: no list of its kinds, so that clause goes and the sentence
        // before it ends the paragraph.
        let mut figures = figures;
        figures.remove("mediation.major_resolved:categories");
        let text = text_of(&draft.assemble(inputs(&figures, &kinds)));
        assert_eq!(
            text,
            "2023年鳌头镇接待群众来访3批6人次；受理矛盾纠纷4宗，化解2宗，化解率50%，挽回群众财产损失0.35万元。"
        );
        // Nothing of the paragraph's kinds: the whole subsection is left out.
        let none: HashSet<String> = HashSet::new();
        assert!(draft.assemble(inputs(&figures, &none)).achievements.is_empty());
    }

    #[test]
    fn a_categories_placeholder_is_known_when_its_figure_is() {
        let mut d = Draft::default_for("鳌头镇人民政府", 2023, seed_sections());
        let known: HashSet<String> =
            d.placeholders().iter().map(|p| p.strip_suffix(CATEGORIES).unwrap_or(p).to_string()).collect();
        d.achievements[0].text = "涉及{mediation.major_resolved:categories}".into();
        assert!(d.validate(&known).is_ok());
        d.achievements[0].text = "涉及{mediation.nothing:categories}".into();
        assert!(d.validate(&known).is_err());
    }

    #[test]
    fn figures_fill_the_seed_sentence_and_link_to_their_cases() {
        let draft = Draft::default_for("广州市从化区鳌头镇人民政府", 2023, seed_sections());
        let figures: HashMap<String, FigureValue> = [
            ("hotline.accepted", "4326"),
            ("hotline.close_rate", "100.00%"),
            ("hotline.on_time_rate", "97.73%"),
            ("hotline.satisfaction_rate", "98.01%"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_string(), fig(v)))
        .collect();
        let kinds: HashSet<String> = ["hotline".to_string()].into();
        let r = draft.assemble(inputs(&figures, &kinds));
        assert_eq!(r.title, "广州市从化区鳌头镇人民政府关于2023年度法治政府建设情况的报告");
        assert_eq!(r.achievements.len(), 1, "only the subsection with figures fazhi has survives");
        assert_eq!(r.achievements[0].heading, "（一）坚持以人民为中心，构建服务型法治政府");
        let md = r.to_markdown();
        assert!(md.contains("承办广州12345政府服务热线工单4326件，办结率达100.00%。"), "{md}");
        assert!(!md.contains("矛盾纠纷"), "no dispute figures, no dispute paragraph");
        assert!(md.contains("## 二、存在问题\n\n（待填写）"));
        let html = r.to_html_fragment();
        assert!(html.contains("<a class=\"figure\" href=\"/cases?x=4326\" title=\"hotline.accepted\">4326</a>"));
    }

    #[test]
    fn unknown_placeholders_and_empty_titles_are_refused_by_name() {
        let mut d = Draft::default_for("某镇人民政府", 2023, seed_sections());
        d.achievements[0].text = "开会{meetings.count}次".into();
        d.title = " ".into();
        let known: HashSet<String> = ["hotline.accepted".to_string()].into();
        let errs = d.validate(&known).unwrap_err();
        assert!(errs.iter().any(|e| e.field == "title" && e.reason == "不能为空"));
        assert!(errs.iter().any(|e| e.field == "text_0" && e.reason.contains("{meetings.count}")));
    }

    #[test]
    fn placeholders_are_found_in_order() {
        assert_eq!(placeholders("a{x.y}b{year}c{"), vec!["x.y", "year"]);
    }
}
