//! Terms for the full-text index: Chinese text as overlapping character pairs.
//!
//! Chinese has no spaces, and the words people search for are mostly two characters (纠纷, 路灯,
//! 噪音) that a segmenter such as jieba may cut differently in the text and in the query ("劳资纠纷"
//! may come out as one word). Pairs of adjacent characters (bigrams, as in Lucene's CJK analyzer)
//! never miss: if the query is a substring of the text, every pair of the query is a pair of the
//! text. The index only narrows the candidates; the list still checks the substring itself, so a
//! pair match that is not a substring never reaches the user.
//!
//! Both databases index the same terms string: SQLite with FTS5 (`unicode61` splits on the
//! spaces), PostgreSQL with a GIN index on a stored `to_tsvector('simple', …)` column.

/// Whether `c` is a Han character (CJK Unified Ideographs and their extensions, compatibility
/// ideographs).
fn is_han(c: char) -> bool {
    matches!(c,
        '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FFFF}')
}

/// The runs of consecutive Han characters in `text`.
fn han_runs(text: &str) -> Vec<Vec<char>> {
    let mut runs = Vec::new();
    let mut run = Vec::new();
    for c in text.chars() {
        if is_han(c) {
            run.push(c);
        } else if !run.is_empty() {
            runs.push(std::mem::take(&mut run));
        }
    }
    if !run.is_empty() {
        runs.push(run);
    }
    runs
}

/// The indexed terms of a case's search text, space-separated: every pair of adjacent Han
/// characters, and a lone Han character as itself. Latin letters and digits (receipt numbers,
/// phone fragments) are left to the substring match: people search them by their middle ("5678"
/// of a phone number), which whole-word terms would miss.
pub fn terms(text: &str) -> String {
    let mut out = String::new();
    for run in han_runs(text) {
        if run.len() == 1 {
            push_term(&mut out, &run[..]);
        }
        for pair in run.windows(2) {
            push_term(&mut out, pair);
        }
    }
    out
}

fn push_term(out: &mut String, chars: &[char]) {
    if !out.is_empty() {
        out.push(' ');
    }
    out.extend(chars);
}

/// The terms a query must find, or `None` when the index cannot narrow it (no run of two or more
/// Han characters: a single character, a receipt number, digits), so the list falls back to the
/// substring match alone.
pub fn query_terms(query: &str) -> Option<Vec<String>> {
    let mut terms: Vec<String> = Vec::new();
    for run in han_runs(query) {
        for pair in run.windows(2) {
            let t: String = pair.iter().collect();
            if !terms.contains(&t) {
                terms.push(t);
            }
        }
    }
    (!terms.is_empty()).then_some(terms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn han_text_becomes_adjacent_pairs_and_other_text_is_left_out() {
        assert_eq!(terms("劳资纠纷：工资被拖欠"), "劳资 资纠 纠纷 工资 资被 被拖 拖欠");
        assert_eq!(terms("AT-GD-2024-000001 路灯"), "路灯");
        assert_eq!(terms("A栋 3号"), "栋 号");
        assert_eq!(terms("abc 123"), "");
    }

    #[test]
    fn every_pair_of_a_substring_is_a_pair_of_the_text() {
        let text = "龙潭村村口三盏路灯已坏两周，夜间出行不便。";
        let all = terms(text);
        let indexed: Vec<&str> = all.split(' ').collect();
        for (i, _) in text.char_indices() {
            for (j, _) in text[i..].char_indices().skip(1) {
                if let Some(q) = query_terms(&text[i..i + j]) {
                    assert!(q.iter().all(|t| indexed.contains(&t.as_str())), "{}", &text[i..i + j]);
                }
            }
        }
    }

    #[test]
    fn queries_the_index_cannot_narrow_are_told_apart() {
        assert_eq!(query_terms("纠纷"), Some(vec!["纠纷".to_string()]));
        assert_eq!(query_terms("劳资纠纷 纠纷"), Some(vec!["劳资".into(), "资纠".into(), "纠纷".into()]));
        assert_eq!(query_terms("纠"), None);
        assert_eq!(query_terms("AT-GD-2024"), None);
        assert_eq!(query_terms("5678"), None);
    }
}
