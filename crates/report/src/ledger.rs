//! Ledgers (台账) as Excel workbooks: a header row in Chinese, one row per record, written in
//! constant memory so a list of 100,000 cases costs no more memory than a list of ten.

use std::path::Path;

use rust_xlsxwriter::{Format, Workbook, XlsxError};

/// A cell value.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Self::Text(s.to_string())
    }
}

impl From<Option<String>> for Cell {
    fn from(s: Option<String>) -> Self {
        s.map_or(Self::Empty, Self::Text)
    }
}

/// Why a ledger could not be written.
#[derive(Debug, thiserror::Error)]
#[error("xlsx: {0}")]
pub struct LedgerError(String);

impl From<XlsxError> for LedgerError {
    fn from(e: XlsxError) -> Self {
        Self(e.to_string())
    }
}

/// Writes a workbook, pulling rows from `next_rows` (a page at a time, empty when done) so the
/// caller can page through the database.
///
/// # Errors
/// A row source error (passed through) or a writing error.
pub fn write<E: std::fmt::Display>(
    path: &Path,
    sheet: &str,
    headers: &[&str],
    widths: &[f64],
    mut next_rows: impl FnMut() -> Result<Vec<Vec<Cell>>, E>,
) -> Result<u64, LedgerError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold().set_background_color("#EEF2F7");
    let ws = wb.add_worksheet_with_constant_memory()?;
    ws.set_name(sheet)?;
    for (c, h) in headers.iter().enumerate() {
        let col = u16::try_from(c).map_err(|e| LedgerError(e.to_string()))?;
        ws.write_string_with_format(0, col, *h, &bold)?;
        if let Some(w) = widths.get(c) {
            ws.set_column_width(col, *w)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    let mut row: u32 = 1;
    loop {
        let rows = next_rows().map_err(|e| LedgerError(e.to_string()))?;
        if rows.is_empty() {
            break;
        }
        for r in rows {
            for (c, cell) in r.into_iter().enumerate() {
                let col = u16::try_from(c).map_err(|e| LedgerError(e.to_string()))?;
                match cell {
                    Cell::Text(s) => {
                        ws.write_string(row, col, s)?;
                    }
                    Cell::Number(n) => {
                        ws.write_number(row, col, n)?;
                    }
                    Cell::Empty => {}
                }
            }
            row += 1;
        }
    }
    wb.save(path)?;
    Ok(u64::from(row - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Reader, Xlsx, open_workbook};

    #[test]
    fn a_ledger_round_trips_with_chinese_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("台账.xlsx");
        let mut pages =
            vec![vec![vec![Cell::from("AT-GD-2023-000001"), Cell::from("龙潭村路灯不亮"), Cell::Number(3.0)]], vec![]];
        let n = write::<String>(&path, "12345工单", &["受理编号", "标题", "件数"], &[20.0, 30.0], || {
            Ok(pages.remove(0))
        })
        .unwrap();
        assert_eq!(n, 1);
        let mut wb: Xlsx<_> = open_workbook(&path).unwrap();
        let range = wb.worksheet_range("12345工单").unwrap();
        assert_eq!(range.get_value((0, 0)).unwrap().to_string(), "受理编号");
        assert_eq!(range.get_value((1, 1)).unwrap().to_string(), "龙潭村路灯不亮");
        assert_eq!(range.get_value((1, 2)).unwrap().to_string(), "3");
    }
}
