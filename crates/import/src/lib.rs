//! CSV/XLSX files of the five source tables -> [`Dataset`] rows, with row-level diagnostics.
//!
//! One file per table, named after it (`carteira_principal.csv`, `separacao.xlsx`, ...). The
//! accepted spellings are those of SPEC.md section 4: `,`, `;` or tab delimiters (detected),
//! UTF-8 with or without BOM (Windows-1252 and UTF-16 too), decimal point or decimal comma,
//! `YYYY-MM-DD` or `DD/MM/YYYY` dates, booleans as true/false, 1/0, sim/não, s/n.
//!
//! Every file is read and every bad row reported before giving up ([`ImportError::Invalid`]);
//! a [`Dataset`] comes back only when all files are clean. This crate does no database IO: the
//! store writes the dataset in one transaction.
//!
//! ```no_run
//! let dataset = ruptura_import::load_paths(&["../shared/vectors/01-basico"])?;
//! assert_eq!(dataset.carteira_principal.map(|rows| rows.len()), Some(2));
//! # Ok::<(), ruptura_import::ImportError>(())
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

mod decode;
mod error;
mod sheet;
mod tables;
mod value;

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use ruptura_engine::records::Dataset;

pub use error::{Diagnostic, ImportError, MAX_DIAGNOSTICS};

use error::Diagnostics;
use sheet::SpreadsheetFormat;
use tables::Table;

/// Loads the table files found in `paths`: each path is a folder (its files named after a
/// table are taken, anything else in it is ignored) or a file, which must be named after a
/// table. Fails when a path is missing, a file is named after no table, a table is given twice,
/// no table file is found at all, a spreadsheet is corrupt, or any row is bad.
pub fn load_paths<P: AsRef<Path>>(paths: &[P]) -> Result<Dataset, ImportError> {
    plan(paths)?.sources.load(read_file)
}

/// The files of an import found in `paths` (as [`load_paths`] finds them), checked but not
/// yet read: a missing path, a file named after no table, a table given twice or no table
/// file at all fail here, before anything is read or written.
pub fn plan<P: AsRef<Path>>(paths: &[P]) -> Result<ImportPlan, ImportError> {
    let mut sources = Sources::default();
    for path in paths {
        let path = path.as_ref();
        let metadata = std::fs::metadata(path).map_err(|error| io_error(path, error))?;
        if metadata.is_dir() {
            for file in table_files_in(path)? {
                sources.add(file)?;
            }
        } else {
            sources.add(classify_named_file(path)?)?;
        }
    }
    if sources.is_empty() {
        return Err(ImportError::NoTableFiles {
            paths: paths
                .iter()
                .map(|path| path.as_ref().to_path_buf())
                .collect(),
        });
    }
    Ok(ImportPlan { sources })
}

/// The files of one import, from [`plan`].
#[derive(Debug)]
pub struct ImportPlan {
    sources: Sources,
}

impl ImportPlan {
    /// The tables the import has files for, in the order they are read.
    pub fn tables(&self) -> Vec<&'static str> {
        let mut tables: Vec<Table> = self.sources.files.iter().map(|f| f.table).collect();
        tables.sort();
        tables.into_iter().map(Table::name).collect()
    }

    /// Reads the files one at a time, in table order, and hands their rows to `sink` in pieces
    /// of at most `piece_rows` rows of one table as they are converted, so that memory holds
    /// one file's bytes and one piece whatever the size of the import (each file gives at
    /// least one piece, empty when it has no rows). Once any row is bad no more pieces are
    /// handed over, but every file is still read, and every bad cell is reported in
    /// [`ImportError::Invalid`]: the writer must then discard what it was given. When `sink`
    /// returns false (the writer gave up) it gets no more pieces, but the files are still read
    /// for their diagnostics.
    pub fn stream(
        self,
        piece_rows: usize,
        sink: &mut dyn FnMut(Dataset) -> bool,
    ) -> Result<(), ImportError> {
        self.sources.stream(read_file, piece_rows, sink)
    }
}

fn read_file(path: &Path) -> Result<Cow<'static, [u8]>, ImportError> {
    std::fs::read(path)
        .map(Cow::Owned)
        .map_err(|error| io_error(path, error))
}

/// Loads one file, which must be named after a table.
pub fn load_file(path: impl AsRef<Path>) -> Result<Dataset, ImportError> {
    load_paths(&[path.as_ref()])
}

/// Loads files already in memory (an upload, a benchmark), each given by its file name, which
/// must be named after a table, and its bytes. The same rules as [`load_paths`] apply.
pub fn load_bytes<N: AsRef<Path>, B: AsRef<[u8]>>(
    files: &[(N, B)],
) -> Result<Dataset, ImportError> {
    let mut sources = Sources::default();
    for (name, _) in files {
        sources.add(classify_named_file(name.as_ref())?)?;
    }
    if sources.is_empty() {
        return Err(ImportError::NoTableFiles { paths: Vec::new() });
    }
    sources.load(|path| {
        files
            .iter()
            .find(|(name, _)| name.as_ref() == path)
            .map(|(_, bytes)| Cow::Borrowed(bytes.as_ref()))
            .ok_or_else(|| ImportError::NotFound {
                path: path.to_path_buf(),
            })
    })
}

/// The table a file name stands for (`Carteira_Principal.XLSX` -> `carteira_principal`),
/// whatever its extension; `None` when it names no table.
pub fn table_of_file(path: impl AsRef<Path>) -> Option<&'static str> {
    let stem = path.as_ref().file_stem()?.to_str()?;
    Table::from_name(stem).map(Table::name)
}

fn io_error(path: &Path, error: std::io::Error) -> ImportError {
    if error.kind() == std::io::ErrorKind::NotFound {
        ImportError::NotFound {
            path: path.to_path_buf(),
        }
    } else {
        ImportError::Io {
            path: path.to_path_buf(),
            cause: error,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileFormat {
    Csv,
    Spreadsheet(SpreadsheetFormat),
}

fn format_of(path: &Path) -> Option<FileFormat> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    match extension.as_str() {
        "csv" | "tsv" => Some(FileFormat::Csv),
        "xlsx" | "xlsm" => Some(FileFormat::Spreadsheet(SpreadsheetFormat::Xlsx)),
        "xls" => Some(FileFormat::Spreadsheet(SpreadsheetFormat::Xls)),
        "ods" => Some(FileFormat::Spreadsheet(SpreadsheetFormat::Ods)),
        _ => None,
    }
}

/// One table file to read.
#[derive(Debug)]
struct TableFile {
    table: Table,
    format: FileFormat,
    path: PathBuf,
}

/// A file given by name: it must name a table and be in a readable format.
fn classify_named_file(path: &Path) -> Result<TableFile, ImportError> {
    let table = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .and_then(Table::from_name)
        .ok_or_else(|| ImportError::UnknownTable {
            path: path.to_path_buf(),
        })?;
    let format = format_of(path).ok_or_else(|| ImportError::UnsupportedFormat {
        path: path.to_path_buf(),
    })?;
    Ok(TableFile {
        table,
        format,
        path: path.to_path_buf(),
    })
}

/// The table files of a folder, by file name; other files and sub-folders are ignored.
fn table_files_in(folder: &Path) -> Result<Vec<TableFile>, ImportError> {
    let entries = std::fs::read_dir(folder).map_err(|error| io_error(folder, error))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|error| io_error(folder, error))?.path();
        let Ok(table_file) = classify_named_file(&path) else {
            continue;
        };
        // Follows symbolic links; a broken link is as good as absent.
        if std::fs::metadata(&path).is_ok_and(|metadata| metadata.is_file()) {
            files.push(table_file);
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// The files of one import, at most one per table.
#[derive(Debug, Default)]
struct Sources {
    files: Vec<TableFile>,
}

impl Sources {
    fn add(&mut self, file: TableFile) -> Result<(), ImportError> {
        if let Some(first) = self.files.iter().find(|known| known.table == file.table) {
            return Err(ImportError::DuplicateTable {
                table: file.table.name(),
                first: first.path.clone(),
                second: file.path,
            });
        }
        self.files.push(file);
        Ok(())
    }

    fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Reads and converts every file, in table order, one at a time (so that only one file's
    /// bytes are held at once), collecting the diagnostics of all of them, into one dataset.
    fn load<'b>(
        self,
        read: impl Fn(&Path) -> Result<Cow<'b, [u8]>, ImportError>,
    ) -> Result<Dataset, ImportError> {
        let mut dataset = Dataset::default();
        self.stream(read, usize::MAX, &mut |piece| {
            dataset.append(piece);
            true
        })?;
        Ok(dataset)
    }

    /// Reads and converts every file, in table order, one at a time, handing the converted
    /// rows to `sink` in pieces of at most `piece_rows` rows of one table as it goes (each
    /// file gives at least one piece, empty when it has no rows, so that every table given is
    /// present). Once any row is bad no more pieces are handed over, but every file is still
    /// read so that every bad cell is reported ([`ImportError::Invalid`]). When `sink` returns
    /// false (the writer gave up) it gets no more pieces.
    fn stream<'b>(
        mut self,
        read: impl Fn(&Path) -> Result<Cow<'b, [u8]>, ImportError>,
        piece_rows: usize,
        sink: &mut dyn FnMut(Dataset) -> bool,
    ) -> Result<(), ImportError> {
        self.files.sort_by_key(|file| file.table);
        let piece_rows = piece_rows.max(1);
        let mut diagnostics = Diagnostics::default();
        // Pieces go to the sink until a row is bad or the sink refuses one.
        let mut refused = false;
        let mut give = |piece: Dataset, diagnostics: &Diagnostics| {
            if !refused && diagnostics.is_empty() && !sink(piece) {
                refused = true;
            }
        };
        for file in &self.files {
            let bytes = read(&file.path)?;
            let name = file.path.file_name().map_or_else(
                || file.path.to_string_lossy(),
                |name| name.to_string_lossy(),
            );
            let first_diagnostic_of_file = diagnostics.mark();
            match file.format {
                FileFormat::Csv => {
                    let text = decode::decode_text(&bytes);
                    stream_csv(
                        file.table,
                        &name,
                        &text,
                        piece_rows,
                        &mut diagnostics,
                        &mut give,
                    );
                }
                FileFormat::Spreadsheet(format) => {
                    let range = sheet::read_worksheet(format, &bytes, file.table.name()).map_err(
                        |message| ImportError::Spreadsheet {
                            path: file.path.clone(),
                            message,
                        },
                    )?;
                    if let Some(grid) = sheet::worksheet_grid(&name, &range, &mut diagnostics) {
                        let mut context = tables::FileContext::new(
                            file.table,
                            &name,
                            grid.header_line,
                            &grid.columns,
                            &mut diagnostics,
                        );
                        context.decimal_comma =
                            context.any_decimal_comma(grid.rows.iter().map(|(_, row)| *row));
                        let mut pieces = grid.rows.chunks(piece_rows).peekable();
                        if pieces.peek().is_none() {
                            give(
                                context.convert::<&[calamine::Data]>(&[], &mut diagnostics),
                                &diagnostics,
                            );
                        }
                        for rows in pieces {
                            let piece = context.convert(rows, &mut diagnostics);
                            give(piece, &diagnostics);
                        }
                        context.finish(&mut diagnostics);
                    }
                }
            }
            diagnostics.sort_lines_since(first_diagnostic_of_file);
        }
        if diagnostics.is_empty() {
            Ok(())
        } else {
            Err(ImportError::Invalid(diagnostics.into_vec()))
        }
    }
}

/// One CSV file, converted in pieces of `piece_rows` rows handed to `give`. Numbers are read
/// with a decimal comma when any numeric cell of the file has one, so the file is first
/// scanned for that, unless no field can hold a comma at all (comma-delimited, no quotes).
fn stream_csv(
    table: Table,
    name: &str,
    text: &str,
    piece_rows: usize,
    diagnostics: &mut Diagnostics,
    give: &mut dyn FnMut(Dataset, &Diagnostics),
) {
    let decimal_comma = !text.is_empty() && may_hold_a_comma(text) && {
        // A first pass: the header's numeric columns, then whether any cell in them has a
        // decimal comma. Its diagnostics are dropped: the second pass reports them.
        let mut scratch = Diagnostics::default();
        let mut context: Option<tables::FileContext<'_>> = None;
        let mut found = false;
        sheet::read_csv_text(name, text, &mut scratch, |item, scratch| match item {
            sheet::CsvItem::Header { line, columns } => {
                context = Some(tables::FileContext::new(
                    table, name, line, &columns, scratch,
                ));
            }
            sheet::CsvItem::Row { record, .. } => {
                if !found {
                    found = context
                        .as_ref()
                        .is_some_and(|c| c.has_numbers() && c.any_decimal_comma([&record]));
                }
            }
        });
        found
    };
    let mut context: Option<tables::FileContext<'_>> = None;
    let mut rows: Vec<(u64, csv::StringRecord)> = Vec::new();
    let mut gave_any = false;
    let found = sheet::read_csv_text(name, text, diagnostics, |item, diagnostics| match item {
        sheet::CsvItem::Header { line, columns } => {
            let mut c = tables::FileContext::new(table, name, line, &columns, diagnostics);
            c.decimal_comma = decimal_comma;
            context = Some(c);
        }
        sheet::CsvItem::Row { line, record } => {
            rows.push((line, record));
            if rows.len() >= piece_rows {
                if let Some(c) = context.as_mut() {
                    let piece = c.convert(&rows, diagnostics);
                    give(piece, diagnostics);
                    gave_any = true;
                }
                rows.clear();
            }
        }
    });
    if let (true, Some(mut c)) = (found, context) {
        if !rows.is_empty() || !gave_any {
            let piece = c.convert(&rows, diagnostics);
            give(piece, diagnostics);
        }
        c.finish(diagnostics);
    }
}

/// Whether a field of this CSV text could contain a comma: only inside quotes when commas
/// delimit the fields.
fn may_hold_a_comma(text: &str) -> bool {
    let bytes = text.as_bytes();
    let first_line = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("");
    let comma_delimited = first_line.contains(',')
        && !first_line.contains(';')
        && !first_line.contains('\t')
        && !first_line.starts_with("sep=");
    !comma_delimited || bytes.contains(&b'"')
}
