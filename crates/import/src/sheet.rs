//! A CSV file or a worksheet as a grid: a header row of column names and data rows, each with
//! the line number a person sees in their editor or spreadsheet program. Cells are borrowed,
//! not copied, so that reading stays cheap on large files.

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use calamine::{CellErrorType, Data, ExcelDateTime, Range, Reader};
use std::io::Read as _;

#[cfg(test)]
use crate::decode::decode_text;
use crate::error::Diagnostics;

/// One cell as read, before it is interpreted for its column.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'a> {
    Empty,
    /// Text of a CSV field or a text cell, untrimmed and never blank.
    Text(&'a str),
    Int(i64),
    Float(f64),
    Bool(bool),
    DateTime(ExcelDateTime),
    SheetError(&'a CellErrorType),
}

/// A data row: its cells by column position (past its end, cells are empty).
pub(crate) trait Row {
    fn cell(&self, index: usize) -> Cell<'_>;
}

impl Row for csv::StringRecord {
    fn cell(&self, index: usize) -> Cell<'_> {
        match self.get(index) {
            Some(text) if !text.trim().is_empty() => Cell::Text(text),
            _ => Cell::Empty,
        }
    }
}

impl Row for [Data] {
    fn cell(&self, index: usize) -> Cell<'_> {
        match self.get(index) {
            None | Some(Data::Empty) => Cell::Empty,
            Some(Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text)) => {
                if text.trim().is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(text)
                }
            }
            Some(Data::Int(value)) => Cell::Int(*value),
            Some(Data::Float(value)) => Cell::Float(*value),
            Some(Data::Bool(value)) => Cell::Bool(*value),
            Some(Data::DateTime(value)) => Cell::DateTime(*value),
            Some(Data::Error(error)) => Cell::SheetError(error),
        }
    }
}

impl<T: Row + ?Sized> Row for &T {
    fn cell(&self, index: usize) -> Cell<'_> {
        (**self).cell(index)
    }
}

/// The text a header cell stands for (numbers written as header names included).
fn header_text(cell: Cell<'_>) -> String {
    match cell {
        Cell::Text(text) => text.to_owned(),
        Cell::Int(value) => value.to_string(),
        Cell::Float(value) => value.to_string(),
        Cell::Empty | Cell::Bool(_) | Cell::DateTime(_) | Cell::SheetError(_) => String::new(),
    }
}

/// Column names are matched trimmed and case-insensitively.
fn normalize_column_name(name: &str) -> String {
    name.trim_start_matches('\u{FEFF}').trim().to_lowercase()
}

/// A file's header and data rows, with the line number of each.
pub(crate) struct Grid<R> {
    pub(crate) header_line: u64,
    /// Normalized column names, by position.
    pub(crate) columns: Vec<String>,
    pub(crate) rows: Vec<(u64, R)>,
}

/// What reading a CSV file finds, in file order: the header once, then each data row.
pub(crate) enum CsvItem {
    Header {
        line: u64,
        columns: Vec<String>,
    },
    Row {
        line: u64,
        record: csv::StringRecord,
    },
}

/// Reads CSV text (delimiter and line ends detected, an Excel `sep=` line honoured), handing
/// the header and then each well-formed data row to `on_item`, with the diagnostics for it to
/// add to. Malformed rows are reported and skipped. Returns whether a header was found (when
/// not, it says so in `diagnostics`). Nothing is kept: the caller decides what to hold.
pub(crate) fn read_csv_text(
    file: &str,
    text: &str,
    diagnostics: &mut Diagnostics,
    mut on_item: impl FnMut(CsvItem, &mut Diagnostics),
) -> bool {
    let text = text.trim_start_matches('\u{FEFF}');
    let excel_delimiter_hint = excel_delimiter_hint(text);
    let delimiter = excel_delimiter_hint.unwrap_or_else(|| detect_delimiter(text));
    let mut skip_hint_line = excel_delimiter_hint.is_some();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delimiter)
        .flexible(true)
        .from_reader(text.as_bytes());

    let mut lines = LineCounter::new(text.as_bytes());
    let mut width: Option<usize> = None;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(error) => {
                let line = error
                    .position()
                    .map_or(0, |position| lines.line_at(position));
                diagnostics.push(file, line, None, format!("CSV ilegível: {error}"));
                // The csv reader moves past a record it cannot read.
                continue;
            }
        }
        // Spreadsheet programs export empty rows as a line of bare delimiters.
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let line = record
            .position()
            .map_or(0, |position| lines.line_at(position));
        if skip_hint_line {
            skip_hint_line = false;
            continue;
        }
        match width {
            None => {
                let columns: Vec<String> = record.iter().map(normalize_column_name).collect();
                // A trailing delimiter in the header adds nameless columns that rows may omit.
                width = Some(
                    columns
                        .iter()
                        .rposition(|name| !name.is_empty())
                        .map_or(0, |last| last + 1),
                );
                on_item(CsvItem::Header { line, columns }, diagnostics);
            }
            Some(width) => {
                if let Some(reason) = field_count_problem(&record, width, delimiter) {
                    diagnostics.push(file, line, None, reason);
                    continue;
                }
                on_item(
                    CsvItem::Row {
                        line,
                        record: std::mem::take(&mut record),
                    },
                    diagnostics,
                );
            }
        }
    }
    if width.is_none() {
        diagnostics.push(
            file,
            1,
            None,
            "arquivo vazio: falta a linha de cabeçalho com os nomes das colunas".to_owned(),
        );
    }
    width.is_some()
}

/// Reads a whole CSV file into a grid (encoding detected; see [`read_csv_text`]). `None` when
/// it has no header row, after saying so in `diagnostics`.
#[cfg(test)]
pub(crate) fn read_csv(
    file: &str,
    bytes: &[u8],
    diagnostics: &mut Diagnostics,
) -> Option<Grid<csv::StringRecord>> {
    let text = decode_text(bytes);
    let mut header = None;
    let mut rows = Vec::new();
    let found = read_csv_text(file, &text, diagnostics, |item, _| match item {
        CsvItem::Header { line, columns } => header = Some((line, columns)),
        CsvItem::Row { line, record } => rows.push((line, record)),
    });
    let (header_line, columns) = header.filter(|_| found)?;
    Some(Grid {
        header_line,
        columns,
        rows,
    })
}

/// Physical line numbers of record starts. The csv crate's own `Position::line` runs one line
/// behind after CRLF line ends (it records a record's start before consuming the `\n`), so
/// lines are counted here from the record's byte offset, which is monotonic.
struct LineCounter<'a> {
    text: &'a [u8],
    counted_to: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        LineCounter {
            text,
            counted_to: 0,
            line: 1,
        }
    }

    fn line_at(&mut self, position: &csv::Position) -> u64 {
        let Ok(mut start) = usize::try_from(position.byte()) else {
            return self.line;
        };
        // The offset may point at the line end before the record, or at skipped blank lines.
        while matches!(self.text.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let start = start.min(self.text.len());
        if start < self.counted_to {
            return self.line;
        }
        for index in self.counted_to..start {
            match self.text[index] {
                b'\n' => self.line += 1,
                // A lone CR is a line end too (old Mac files); CRLF counts once, at the LF.
                b'\r' if self.text.get(index + 1) != Some(&b'\n') => self.line += 1,
                _ => {}
            }
        }
        self.counted_to = start;
        self.line
    }
}

/// A row with more fields than the header would shift values into the wrong columns (the
/// usual cause: an unquoted decimal comma in a comma-separated file), and one with fewer
/// usually means an unbalanced quote swallowed delimiters; both are refused rather than
/// guessed. Extra empty fields at the end (a trailing delimiter) are harmless.
fn field_count_problem(record: &csv::StringRecord, width: usize, delimiter: u8) -> Option<String> {
    let extra_filled = record
        .iter()
        .skip(width)
        .any(|field| !field.trim().is_empty());
    if record.len() >= width && !extra_filled {
        return None;
    }
    let count = if extra_filled {
        record.len()
    } else {
        record.len().min(width)
    };
    let mut reason = format!(
        "a linha tem {count} campo(s), mas o cabeçalho tem {width} (separador '{}')",
        char::from(delimiter)
    );
    if extra_filled && delimiter == b',' {
        reason.push_str(
            "; num arquivo separado por vírgulas, um número com vírgula decimal precisa estar entre aspas",
        );
    }
    Some(reason)
}

/// Excel writes, and reads, a first line `sep=;` naming the delimiter.
fn excel_delimiter_hint(text: &str) -> Option<u8> {
    let first_line = text.lines().find(|line| !line.trim().is_empty())?;
    let delimiter = first_line.trim_end().strip_prefix("sep=")?;
    match delimiter.as_bytes() {
        [byte @ (b',' | b';' | b'\t' | b'|')] => Some(*byte),
        _ => None,
    }
}

/// The delimiter is the most frequent of `,`, `;` and tab on the first non-blank line
/// (outside quotes); `,` when the header has a single column.
fn detect_delimiter(text: &str) -> u8 {
    let header_line = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("");
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    let mut in_quotes = false;
    for byte in header_line.bytes() {
        if byte == b'"' {
            in_quotes = !in_quotes;
        } else if !in_quotes {
            for (delimiter, count) in &mut counts {
                if byte == *delimiter {
                    *count += 1;
                }
            }
        }
    }
    let mut best = counts[0];
    for candidate in &counts[1..] {
        if candidate.1 > best.1 {
            best = *candidate;
        }
    }
    best.0
}

/// Spreadsheet formats read by calamine, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpreadsheetFormat {
    /// `.xlsx`, `.xlsm`
    Xlsx,
    /// `.xls` (Excel 97-2003)
    Xls,
    /// `.ods`
    Ods,
}

/// Opens a workbook and reads the worksheet named after `table` (any case), else the first
/// one. The error is a message for a person; a corrupt file never panics the import (calamine
/// is guarded, since a parser of untrusted zip/XML can have panicking corners).
pub(crate) fn read_worksheet(
    format: SpreadsheetFormat,
    bytes: &[u8],
    table: &str,
) -> Result<Range<Data>, String> {
    if matches!(format, SpreadsheetFormat::Xlsx | SpreadsheetFormat::Ods) {
        check_expansion(bytes, expansion_limit(bytes.len()))?;
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let cursor = Cursor::new(bytes);
        match format {
            SpreadsheetFormat::Xlsx => {
                let workbook: calamine::Xlsx<_> = calamine::open_workbook_from_rs(cursor)
                    .map_err(|error: calamine::XlsxError| error.to_string())?;
                table_worksheet(workbook, table)
            }
            SpreadsheetFormat::Xls => {
                let workbook: calamine::Xls<_> = calamine::open_workbook_from_rs(cursor)
                    .map_err(|error: calamine::XlsError| error.to_string())?;
                table_worksheet(workbook, table)
            }
            SpreadsheetFormat::Ods => {
                let workbook: calamine::Ods<_> = calamine::open_workbook_from_rs(cursor)
                    .map_err(|error: calamine::OdsError| error.to_string())?;
                table_worksheet(workbook, table)
            }
        }
    }));
    outcome.unwrap_or_else(|_| Err("o leitor de planilhas falhou ao ler o arquivo".to_owned()))
}

/// The most a zipped workbook may expand to: 100 times its size (real workbooks expand 5 to
/// 20 times), at least 32 MiB, at most 512 MiB.
pub(crate) fn expansion_limit(file_len: usize) -> u64 {
    (file_len as u64)
        .saturating_mul(100)
        .clamp(32 << 20, 512 << 20)
}

/// Refuses a zip (XLSX, ODS) that expands beyond `limit` bytes, before the spreadsheet reader
/// sees it: first by the sizes its directory declares, then by decompressing each entry into
/// nothing, counting, and stopping at the limit (a directory can lie). Memory stays constant
/// whatever the file.
pub(crate) fn check_expansion(bytes: &[u8], limit: u64) -> Result<(), String> {
    let refuse = |what: &str| {
        format!(
            "a planilha se expande para {what} ao descompactar, acima do limite de {} MB \
             para um arquivo deste tamanho: arquivo recusado",
            limit >> 20
        )
    };
    // Not a zip at all: let the reader say what is wrong with it.
    let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let mut declared: u64 = 0;
    for i in 0..archive.len() {
        if let Ok(entry) = archive.by_index_raw(i) {
            declared = declared.saturating_add(entry.size());
        }
    }
    if declared > limit {
        return Err(refuse(&format!("{} MB", declared >> 20)));
    }
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let Ok(entry) = archive.by_index(i) else {
            continue;
        };
        let budget = limit - total;
        let read = std::io::copy(&mut entry.take(budget + 1), &mut std::io::sink()).unwrap_or(0);
        total += read.min(budget + 1);
        if total > limit {
            return Err(refuse(&format!("mais de {} MB", limit >> 20)));
        }
    }
    Ok(())
}

fn table_worksheet<RS, W>(mut workbook: W, table: &str) -> Result<Range<Data>, String>
where
    RS: std::io::Read + std::io::Seek,
    W: Reader<RS>,
    W::Error: std::fmt::Display,
{
    let names = workbook.sheet_names();
    let name = names
        .iter()
        .find(|name| name.trim().eq_ignore_ascii_case(table))
        .or_else(|| names.first())
        .cloned()
        .ok_or_else(|| "a pasta de trabalho não tem nenhuma planilha".to_owned())?;
    workbook
        .worksheet_range(&name)
        .map_err(|error| format!("planilha \"{name}\": {error}"))
}

/// The worksheet as a grid: the first non-empty row is the header. Line numbers are the
/// spreadsheet's own row numbers, so a range that starts below row 1 is offset accordingly.
pub(crate) fn worksheet_grid<'a>(
    file: &str,
    range: &'a Range<Data>,
    diagnostics: &mut Diagnostics,
) -> Option<Grid<&'a [Data]>> {
    let first_row = range.start().map_or(0, |(row, _)| u64::from(row));
    let mut header: Option<(u64, Vec<String>)> = None;
    let mut rows = Vec::new();
    for (offset, cells) in (0u64..).zip(range.rows()) {
        if (0..cells.len()).all(|index| matches!(cells.cell(index), Cell::Empty)) {
            continue;
        }
        let line = first_row + offset + 1;
        if header.is_none() {
            let columns = (0..cells.len())
                .map(|index| normalize_column_name(&header_text(cells.cell(index))))
                .collect();
            header = Some((line, columns));
        } else {
            rows.push((line, cells));
        }
    }
    match header {
        Some((header_line, columns)) => Some(Grid {
            header_line,
            columns,
            rows,
        }),
        None => {
            diagnostics.push(
                file,
                1,
                None,
                "planilha vazia: falta a linha de cabeçalho com os nomes das colunas".to_owned(),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiter_is_detected_from_the_header() {
        assert_eq!(detect_delimiter("a,b,c\n1;2;3\n"), b',');
        assert_eq!(detect_delimiter("\r\n\na;b;c\r\n1,5;2;3\r\n"), b';');
        assert_eq!(detect_delimiter("a\tb\tc\n"), b'\t');
        assert_eq!(detect_delimiter("\"a;x\",b,c\n"), b',');
        assert_eq!(detect_delimiter("single\n1\n"), b',');
        assert_eq!(detect_delimiter(""), b',');
    }

    #[test]
    fn csv_lines_are_physical_lines_skipping_blank_rows() {
        let mut diagnostics = Diagnostics::default();
        let text = "\u{FEFF}A;B\r\n1;\"x\ny\"\r\n\r\n;;\r\n2;z\r\n";
        let grid = read_csv("t.csv", text.as_bytes(), &mut diagnostics).expect("grid");
        assert!(diagnostics.is_empty());
        assert_eq!(grid.header_line, 1);
        assert_eq!(grid.columns, ["a", "b"]);
        let lines: Vec<u64> = grid.rows.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [2, 6]);
    }

    #[test]
    fn line_numbers_with_lf_and_lone_cr_line_ends() {
        for text in ["a,b\n1,2\n\n3,4\n", "a,b\r1,2\r\r3,4\r"] {
            let mut diagnostics = Diagnostics::default();
            let grid = read_csv("t.csv", text.as_bytes(), &mut diagnostics).expect("grid");
            let lines: Vec<u64> = grid.rows.iter().map(|(line, _)| *line).collect();
            assert_eq!(lines, [2, 4], "{text:?}");
        }
    }

    #[test]
    fn an_excel_sep_line_names_the_delimiter() {
        let mut diagnostics = Diagnostics::default();
        let text = "sep=;\r\na;b,c\r\n1;2,5\r\n";
        let grid = read_csv("t.csv", text.as_bytes(), &mut diagnostics).expect("grid");
        assert_eq!(grid.header_line, 2);
        assert_eq!(grid.columns, ["a", "b,c"]);
        assert_eq!(grid.rows[0].0, 3);
    }

    #[test]
    fn rows_with_the_wrong_number_of_fields_are_reported() {
        let mut diagnostics = Diagnostics::default();
        let text = "a,b,c,\n1,2,3,\n1,2,3,4\n1,2\n1,2,3\n";
        let grid = read_csv("t.csv", text.as_bytes(), &mut diagnostics).expect("grid");
        assert_eq!(grid.rows.len(), 2);
        let list = diagnostics.into_vec();
        let lines: Vec<u64> = list.iter().map(|d| d.line).collect();
        assert_eq!(lines, [3, 4]);
        assert!(list[0].reason.contains("entre aspas"), "{}", list[0]);
    }

    #[test]
    fn an_empty_file_has_no_header() {
        let mut diagnostics = Diagnostics::default();
        assert!(read_csv("t.csv", b"", &mut diagnostics).is_none());
        assert!(read_csv("t.csv", b"\xEF\xBB\xBF\r\n \r\n", &mut diagnostics).is_none());
        assert_eq!(diagnostics.into_vec().len(), 2);
    }
}
