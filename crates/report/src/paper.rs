//! A case's paper (受理回执, 工单, 人民调解协议书, 告知书) as the service fills it from what the kind
//! declares, and its Word form in the annual report's 公文 layout (A4, 宋体 title, 仿宋 三号 body with
//! fixed 28 pt lines — the helpers of [`crate::docx`]). The pages print the same [`Paper`] as HTML.

use docx_rs::{AlignmentType, Docx, PageMargin, Paragraph, SpecialIndentType};
use serde::Serialize;

use crate::docx::{DocxError, SIZE_BODY, SIZE_TITLE, fonts, run, spacing};

/// One block of a filled paper, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Block {
    /// "张三：" — the person told.
    Addressee(String),
    Heading(String),
    Para(String),
    /// Labelled values, as a two-column table.
    Facts(Vec<(String, String)>),
    /// Lines to sign on.
    Signatures(Vec<String>),
    /// The public tracking page's address (the page shows it as a QR code too).
    Tracking(String),
    /// 落款: the issuer and the date.
    Closing {
        issuer: String,
        date: String,
    },
}

/// A filled paper: its issuer (the town's government, printed at the head), title and blocks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Paper {
    pub issuer: String,
    pub title: String,
    pub blocks: Vec<Block>,
}

impl Paper {
    /// The paper's text, one line per row (for a file name, a test, a plain copy).
    pub fn text(&self) -> String {
        let mut out = vec![self.issuer.clone(), self.title.clone()];
        for b in &self.blocks {
            match b {
                Block::Addressee(s) => out.push(format!("{s}：")),
                Block::Heading(s) | Block::Para(s) => out.push(s.clone()),
                Block::Facts(rows) => out.extend(rows.iter().map(|(l, v)| format!("{l}：{v}"))),
                Block::Signatures(lines) => out.extend(lines.iter().map(|l| format!("{l}："))),
                Block::Tracking(url) => out.push(format!("公开查询：{url}")),
                Block::Closing { issuer, date } => {
                    out.push(issuer.clone());
                    out.push(date.clone());
                }
            }
        }
        out.join("\n")
    }
}

fn body(text: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, "仿宋", SIZE_BODY))
        .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
        .first_line_chars(200)
        .line_spacing(spacing())
        .align(AlignmentType::Both)
}

fn flush(text: &str, font: &str, align: AlignmentType) -> Paragraph {
    Paragraph::new().add_run(run(text, font, SIZE_BODY)).line_spacing(spacing()).align(align)
}

/// The paper as .docx bytes.
///
/// # Errors
/// A packing failure.
pub fn to_docx(paper: &Paper) -> Result<Vec<u8>, DocxError> {
    let mut doc = Docx::new()
        .page_size(11906, 16838) // A4 in twips
        .page_margin(PageMargin::new().top(2098).bottom(1984).left(1588).right(1474).header(851).footer(992))
        .default_fonts(fonts("仿宋"))
        .default_size(SIZE_BODY);
    doc = doc.add_paragraph(flush(&paper.issuer, "宋体", AlignmentType::Center));
    doc = doc.add_paragraph(
        Paragraph::new().align(AlignmentType::Center).add_run(run(&paper.title, "宋体", SIZE_TITLE).bold()),
    );
    doc = doc.add_paragraph(Paragraph::new().line_spacing(spacing()));
    for b in &paper.blocks {
        match b {
            Block::Addressee(s) => doc = doc.add_paragraph(flush(&format!("{s}："), "仿宋", AlignmentType::Left)),
            Block::Heading(s) => doc = doc.add_paragraph(flush(s, "黑体", AlignmentType::Left)),
            Block::Para(s) => doc = doc.add_paragraph(body(s)),
            Block::Facts(rows) => {
                for (l, v) in rows {
                    doc = doc.add_paragraph(flush(&format!("{l}：{v}"), "仿宋", AlignmentType::Left));
                }
            }
            Block::Signatures(lines) => {
                doc = doc.add_paragraph(Paragraph::new().line_spacing(spacing()));
                for l in lines {
                    doc = doc.add_paragraph(flush(
                        &format!("{l}：＿＿＿＿＿＿＿＿　　日期：＿＿年＿＿月＿＿日"),
                        "仿宋",
                        AlignmentType::Left,
                    ));
                }
            }
            Block::Tracking(url) => {
                doc = doc.add_paragraph(flush(&format!("公开查询：{url}"), "仿宋", AlignmentType::Left));
            }
            Block::Closing { issuer, date } => {
                doc = doc.add_paragraph(Paragraph::new().line_spacing(spacing()));
                doc = doc.add_paragraph(flush(&format!("{issuer}（印章）"), "仿宋", AlignmentType::Right));
                doc = doc.add_paragraph(flush(date, "仿宋", AlignmentType::Right));
            }
        }
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut buf).map_err(|e| DocxError(e.to_string()))?;
    Ok(buf.into_inner())
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn a_paper_becomes_a_word_file_holding_every_block() {
        let paper = Paper {
            issuer: "从化区鳌头镇人民政府".into(),
            title: "人民调解协议书".into(),
            blocks: vec![
                Block::Facts(vec![("编号".into(), "AT-JF-2024-000001".into())]),
                Block::Heading("一、当事人的基本情况".into()),
                Block::Para("陈某，男；李某，男".into()),
                Block::Signatures(vec!["人民调解委员会（印章）".into()]),
                Block::Closing { issuer: "从化区鳌头镇人民政府".into(), date: "2024年9月27日".into() },
            ],
        };
        let bytes = to_docx(&paper).unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        zip.by_name("word/document.xml").unwrap().read_to_string(&mut xml).unwrap();
        for s in [
            "人民调解协议书",
            "AT-JF-2024-000001",
            "一、当事人的基本情况",
            "陈某，男；李某，男",
            "人民调解委员会（印章）",
            "2024年9月27日",
        ] {
            assert!(xml.contains(s), "{s}");
        }
        assert!(xml.contains("仿宋") && xml.contains("黑体"));
        assert_eq!(paper.text().lines().count(), 2 + 1 + 1 + 1 + 1 + 2);
    }
}
