//! Figures as a writer reads them: 【矛盾纠纷化解率 98.68%】 instead of `{dispute.resolve_rate}`.
//!
//! The stored draft keeps the codes (the report fills them, validation checks them, the default
//! draft's clauses are written with them); the editor shows every code as its figure's name and
//! value, and turns a 【名称 …】 back into the code on saving — whatever value follows the name,
//! since the value is the report's to compute. A 【…】 that names no figure is the writer's own
//! text (a heading such as 【典型案例】) and stays as typed.

/// One figure a writer may insert: its code, the name the writer sees, its value now and what
/// it counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedFigure {
    pub code: String,
    /// Unique among the figures: the kind's name and the figure's (矛盾纠纷化解率).
    pub name: String,
    pub display: String,
    pub formula: String,
}

impl NamedFigure {
    /// As the editor shows it and the list inserts it: 【矛盾纠纷化解率 98.68%】.
    pub fn token(&self) -> String {
        format!("【{} {}】", self.name, self.display)
    }
}

/// `{code}` → 【名称 值】; a code with no figure stays as it is (validation names it).
pub fn to_named(text: &str, figures: &[NamedFigure]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        let after = &rest[i + 1..];
        let Some(j) = after.find('}') else { break };
        out.push_str(&rest[..i]);
        match figures.iter().find(|f| f.code == after[..j]) {
            Some(f) => out.push_str(&f.token()),
            None => out.push_str(&rest[i..=i + 1 + j]),
        }
        rest = &after[j + 1..];
    }
    out.push_str(rest);
    out
}

/// The figure a bracket's content names: the whole content, or the name followed by a space
/// and a value. The longest name wins (a name may begin another).
fn named<'a>(content: &str, by_length: &[&'a NamedFigure]) -> Option<&'a NamedFigure> {
    let content = content.trim();
    by_length.iter().copied().find(|f| {
        content == f.name
            || content
                .strip_prefix(f.name.as_str())
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_whitespace() || c == '\u{3000}'))
    })
}

/// 【名称 …】 → `{code}`; brackets naming no figure stay as typed.
pub fn to_codes(text: &str, figures: &[NamedFigure]) -> String {
    let mut by_length: Vec<&NamedFigure> = figures.iter().collect();
    by_length.sort_by_key(|f| std::cmp::Reverse(f.name.chars().count()));
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('【') {
        let after = &rest[i + '【'.len_utf8()..];
        let Some(j) = after.find('】') else { break };
        out.push_str(&rest[..i]);
        match named(&after[..j], &by_length) {
            Some(f) => {
                out.push('{');
                out.push_str(&f.code);
                out.push('}');
            }
            None => out.push_str(&rest[i..i + '【'.len_utf8() + j + '】'.len_utf8()]),
        }
        rest = &after[j + '】'.len_utf8()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figs() -> Vec<NamedFigure> {
        let f = |code: &str, name: &str, display: &str| NamedFigure {
            code: code.into(),
            name: name.into(),
            display: display.into(),
            formula: String::new(),
        };
        vec![
            f("dispute.resolve_rate", "矛盾纠纷化解率", "98.68%"),
            f("dispute.resolved", "矛盾纠纷化解数", "450"),
            f("dispute.resolved:categories", "矛盾纠纷化解数涉及的类别", "迁坟、劳资欠薪"),
            f("year", "年度", "2023"),
        ]
    }

    #[test]
    fn codes_read_as_named_figures_and_come_back_as_codes() {
        let stored =
            "{year}年化解纠纷{dispute.resolved}件，化解率{dispute.resolve_rate}，涉及{dispute.resolved:categories}。";
        let shown = to_named(stored, &figs());
        assert_eq!(
            shown,
            "【年度 2023】年化解纠纷【矛盾纠纷化解数 450】件，化解率【矛盾纠纷化解率 98.68%】，涉及【矛盾纠纷化解数涉及的类别 迁坟、劳资欠薪】。"
        );
        assert!(!shown.contains('{'));
        assert_eq!(to_codes(&shown, &figs()), stored);
    }

    #[test]
    fn a_typed_name_is_understood_whatever_value_follows_it() {
        let figs = figs();
        assert_eq!(to_codes("化解率【矛盾纠纷化解率】", &figs), "化解率{dispute.resolve_rate}");
        assert_eq!(to_codes("化解率【 矛盾纠纷化解率 12% 】", &figs), "化解率{dispute.resolve_rate}");
        assert_eq!(to_codes("【矛盾纠纷化解率\u{3000}99%】", &figs), "{dispute.resolve_rate}");
    }

    #[test]
    fn brackets_naming_no_figure_stay_as_typed() {
        let figs = figs();
        for text in ["【典型案例】某村迁坟纠纷", "【矛盾纠纷化解率高】", "未闭合【矛盾纠纷化解率", "{unknown.code}"]
        {
            assert_eq!(to_codes(text, &figs), text);
            assert_eq!(to_named(text, &figs), text);
        }
    }
}
