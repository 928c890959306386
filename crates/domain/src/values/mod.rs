//! Value types parsed at the edge: once a string has become one of these, no code re-checks it.
//! Each parser answers bad input with a Chinese reason ([`crate::Invalid`]); the caller names the
//! field with [`crate::Invalid::at`].

mod credit_code;
mod id_card;
mod money;
mod phone;

pub use credit_code::CreditCode;
pub use id_card::IdCardNumber;
pub use money::Money;
pub use phone::Phone;

use crate::error::Invalid;

/// Trims a free-text value and checks its length in characters (not bytes: a Chinese character
/// counts as one).
///
/// # Errors
/// Empty when `required`, or longer than `max` characters.
pub fn text(raw: &str, max: usize, required: bool) -> Result<Option<String>, Invalid> {
    let t = raw.trim();
    if t.is_empty() {
        return if required { Err(Invalid::new("不能为空")) } else { Ok(None) };
    }
    let n = t.chars().count();
    if n > max {
        return Err(Invalid::new(format!("不能超过{max}个字（现为{n}个）")));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        return Err(Invalid::new("含有不可见的控制字符，请删除后重新输入"));
    }
    Ok(Some(t.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_length_counts_characters_not_bytes() {
        assert_eq!(text("劳资纠纷", 4, true), Ok(Some("劳资纠纷".into())));
        assert_eq!(text("劳资纠纷案", 4, true).unwrap_err().0, "不能超过4个字（现为5个）");
    }

    #[test]
    fn blank_text_is_empty() {
        assert_eq!(text("  ", 10, true).unwrap_err().0, "不能为空");
        assert_eq!(text("  ", 10, false), Ok(None));
    }
}
