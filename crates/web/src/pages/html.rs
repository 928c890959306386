//! Small HTML helpers for fragments built in Rust (form fields, timeline payloads). Templates
//! escape by themselves; these escape what is assembled outside them.

/// Escapes text for HTML content and attribute values.
///
/// Written by hand: five replacements, and templates (askama) already escape everything else.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query value.
pub fn url(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_escaped() {
        assert_eq!(esc("<b>\"龙潭\" & 'x'</b>"), "&lt;b&gt;&quot;龙潭&quot; &amp; &#39;x&#39;&lt;/b&gt;");
        assert_eq!(url("纠纷 a&b"), "%E7%BA%A0%E7%BA%B7%20a%26b");
    }
}
