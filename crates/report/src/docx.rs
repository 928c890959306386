//! The annual report as a Word document in the layout Chinese government documents use
//! (GB/T 9704-2012 党政机关公文格式, as far as a report needs it): A4; title in 二号 (22 pt) 宋体
//! bold, centred — the standard's 方正小标宋 is not on every machine, 宋体 is; body 三号 (16 pt)
//! 仿宋 with a two-character first-line indent and fixed 28 pt line spacing; 一、 headings in 黑体,
//! （一） headings in 楷体; page numbers "— 1 —" at the foot. Fonts every Windows machine has.

use docx_rs::{
    AlignmentType, Docx, Footer, LineSpacing, LineSpacingType, PageMargin, PageNum, Paragraph, Pic, Run, RunFonts,
    SpecialIndentType,
};

use crate::annual::{AnnualReport, Paragraph as Para, Piece};

/// Half-points, as Word counts font sizes.
pub(crate) const SIZE_TITLE: usize = 44; // 二号
pub(crate) const SIZE_BODY: usize = 32; // 三号
const SIZE_PAGE: usize = 28; // 四号
/// 28 pt in twentieths of a point.
const LINE: i32 = 560;

pub(crate) fn fonts(name: &str) -> RunFonts {
    RunFonts::new().east_asia(name).ascii(name).hi_ansi(name)
}

pub(crate) fn run(text: &str, font: &str, size: usize) -> Run {
    Run::new().add_text(text).fonts(fonts(font)).size(size)
}

pub(crate) fn spacing() -> LineSpacing {
    LineSpacing::new().line_rule(LineSpacingType::Exact).line(LINE)
}

fn body(p: &Para) -> Paragraph {
    let text: String = p
        .iter()
        .map(|x| match x {
            Piece::Text(t) => t.as_str(),
            Piece::Figure { display, .. } => display.as_str(),
        })
        .collect();
    Paragraph::new()
        .add_run(run(&text, "仿宋", SIZE_BODY))
        .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
        .first_line_chars(200)
        .line_spacing(spacing())
        .align(AlignmentType::Both)
}

fn heading(text: &str, font: &str) -> Paragraph {
    Paragraph::new()
        .add_run(run(text, font, SIZE_BODY))
        .indent(None, Some(SpecialIndentType::FirstLine(640)), None, None)
        .first_line_chars(200)
        .line_spacing(spacing())
}

/// Why the document could not be written.
#[derive(Debug, thiserror::Error)]
#[error("docx: {0}")]
pub struct DocxError(pub String);

/// The report as .docx bytes. Charts are embedded as PNG images.
///
/// # Errors
/// A chart that cannot be rasterised, or a packing failure.
pub fn to_docx(report: &AnnualReport) -> Result<Vec<u8>, DocxError> {
    let mut doc = Docx::new()
        .page_size(11906, 16838) // A4 in twips
        .page_margin(PageMargin::new().top(2098).bottom(1984).left(1588).right(1474).header(851).footer(992))
        .default_fonts(fonts("仿宋"))
        .default_size(SIZE_BODY);
    let footer = Footer::new().add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .add_run(run("— ", "宋体", SIZE_PAGE))
            .add_page_num(PageNum::new())
            .add_run(run(" —", "宋体", SIZE_PAGE)),
    );
    doc = doc.footer(footer);
    doc = doc.add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .line_spacing(LineSpacing::new().line_rule(LineSpacingType::Exact).line(800))
            .add_run(run(&report.title, "宋体", SIZE_TITLE).bold()),
    );
    if report.draft {
        doc = doc.add_paragraph(Paragraph::new().align(AlignmentType::Center).add_run(run(
            &format!("（草稿，未定稿。{}）", report.note),
            "楷体",
            28,
        )));
    }
    doc = doc.add_paragraph(Paragraph::new().line_spacing(spacing()));
    for p in &report.preamble {
        doc = doc.add_paragraph(body(p));
    }
    doc = doc.add_paragraph(heading("一、主要工作及成效", "黑体"));
    for s in &report.achievements {
        doc = doc.add_paragraph(heading(&s.heading, "楷体"));
        for p in &s.paragraphs {
            doc = doc.add_paragraph(body(p));
        }
    }
    for (h, ps) in [("二、存在问题", &report.problems), ("三、下一年度重点工作", &report.plans)] {
        doc = doc.add_paragraph(heading(h, "黑体"));
        if ps.is_empty() {
            doc = doc.add_paragraph(body(&vec![Piece::Text("（待填写）".into())]));
        }
        for p in ps {
            doc = doc.add_paragraph(body(p));
        }
    }
    for c in &report.charts {
        let (png, w, h) = crate::png::svg_to_png(&c.svg, 2.0).map_err(|e| DocxError(e.to_string()))?;
        // Fit the text width (≈ 15.6 cm ≈ 590 px at 96 dpi).
        let (dw, dh) = (590u32, 590 * h / w.max(1));
        // Keep-with-next: the chart and its caption below it stay on one page.
        doc = doc.add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .keep_next(true)
                .add_run(Run::new().add_image(Pic::new_with_dimensions(png, dw, dh))),
        );
        doc = doc.add_paragraph(Paragraph::new().align(AlignmentType::Center).add_run(run(&c.title, "楷体", 28)));
    }
    if let Some(c) = &report.closing {
        // 落款: the government's name over the date, right-aligned, after a blank line; the two
        // lines kept together so the date never starts a page alone.
        doc = doc.add_paragraph(Paragraph::new().line_spacing(spacing()).keep_next(true));
        for (i, line) in [&c.issuer, &c.date].into_iter().enumerate() {
            doc = doc.add_paragraph(
                Paragraph::new()
                    .align(AlignmentType::Right)
                    .line_spacing(spacing())
                    .keep_next(i == 0)
                    .indent(None, None, Some(640), None)
                    .add_run(run(line, "仿宋", SIZE_BODY)),
            );
        }
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut buf).map_err(|e| DocxError(e.to_string()))?;
    Ok(buf.into_inner())
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};
    use std::io::Read;

    use super::*;
    use crate::annual::{Draft, FigureValue, Inputs};

    #[test]
    fn the_document_is_a_zip_with_the_parts_word_needs_and_our_text() {
        let mut d = Draft::default_for(
            "某镇人民政府",
            2023,
            vec![crate::annual::DraftSubsection {
                heading: "坚持以人民为中心，构建服务型法治政府".into(),
                text: "承办工单{hotline.accepted}件。".into(),
            }],
        );
        d.problems = "一是专业力量不足。".into();
        let figures: HashMap<String, FigureValue> =
            ["hotline.accepted", "hotline.close_rate", "hotline.on_time_rate", "hotline.satisfaction_rate"]
                .iter()
                .map(|c| ((*c).to_string(), FigureValue { display: "100.00%".into(), href: None }))
                .collect();
        let kinds: HashSet<String> = ["hotline".to_string()].into();
        let r = d.assemble(Inputs {
            year: 2023,
            town: "某镇",
            figures: &figures,
            kinds_with_cases: &kinds,
            draft: true,
            note: "数据截至 2023-06-30".into(),
            charts: vec![],
        });
        let bytes = to_docx(&r).unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        for part in ["[Content_Types].xml", "word/document.xml", "word/styles.xml", "word/_rels/document.xml.rels"] {
            assert!(zip.by_name(part).is_ok(), "{part}");
        }
        let mut xml = String::new();
        zip.by_name("word/document.xml").unwrap().read_to_string(&mut xml).unwrap();
        assert!(xml.contains("某镇人民政府关于2023年度法治政府建设情况的报告"));
        let snippet: String = xml.chars().skip(xml.find("<w:body").unwrap_or(0)).take(1500).collect();
        assert!(xml.contains("仿宋") && xml.contains("黑体") && xml.contains("w:firstLine=\"640\""), "{snippet}");
        assert!(xml.contains("一是专业力量不足。"));
        assert!(xml.contains("草稿"));
        assert!(!xml.contains("w:jc w:val=\"right\""), "no 落款 without a closing");
    }

    #[test]
    fn the_document_ends_with_the_closing_right_aligned_and_charts_keep_their_captions() {
        let d = Draft::default_for("某镇人民政府", 2023, vec![]);
        let figures = HashMap::new();
        let kinds = HashSet::new();
        let mut r = d.assemble(Inputs {
            year: 2023,
            town: "某镇",
            figures: &figures,
            kinds_with_cases: &kinds,
            draft: false,
            note: String::new(),
            charts: vec![],
        });
        r.closing =
            Some(crate::annual::Closing { issuer: "某区某镇人民政府".into(), date: "2024年1月15日".into() });
        if crate::png::has_cjk_font() {
            let bars = [crate::charts::Bar { label: "1月".into(), value: 3 }];
            let svg = crate::charts::bars_svg("按月受理量", &bars, "受理数", "件", None, 400, 300).unwrap();
            r.charts.push(crate::annual::Chart { title: "按月受理量".into(), svg });
        }
        let bytes = to_docx(&r).unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        zip.by_name("word/document.xml").unwrap().read_to_string(&mut xml).unwrap();
        let body = &xml[..xml.find("<w:sectPr").unwrap_or(xml.len())];
        let (issuer, date) = (body.rfind("某区某镇人民政府").unwrap(), body.rfind("2024年1月15日").unwrap());
        assert!(issuer < date, "the issuer above the date");
        assert!(!body[date..].contains("<w:t"), "nothing after the date");
        let para_of = |at: usize| &body[body[..at].rfind("<w:p>").or_else(|| body[..at].rfind("<w:p ")).unwrap()..at];
        assert!(para_of(issuer).contains("<w:jc w:val=\"right\""));
        assert!(para_of(date).contains("<w:jc w:val=\"right\""));
        if crate::png::has_cjk_font() {
            let pic = body.find("<w:drawing").unwrap();
            assert!(para_of(pic).contains("<w:keepNext"), "the chart keeps with its caption");
            assert!(body[pic..].contains("按月受理量"));
        }
    }
}
