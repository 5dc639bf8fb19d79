//! What can go wrong in an import: a whole file or path ([`ImportError`]) or single rows
//! ([`Diagnostic`], collected over every file before the import gives up).

use std::fmt;
use std::path::PathBuf;

/// At most this many row diagnostics are kept; past it they are only counted, so that a file
/// with a million bad rows cannot exhaust memory. One summary diagnostic then closes the list.
pub const MAX_DIAGNOSTICS: usize = 1000;

/// One bad row (or header) of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file's name as given (`carteira_principal.csv`), without its folder.
    pub file: String,
    /// 1-based physical line of the row in a CSV file (the header is line 1), or the row number
    /// shown by the spreadsheet program for an XLSX file. 0 only in the summary diagnostic that
    /// counts diagnostics left out past [`MAX_DIAGNOSTICS`].
    pub line: u64,
    /// The column concerned, by its canonical name, when the problem is in one cell or column.
    pub column: Option<String>,
    /// What is wrong, for a person to read (in Portuguese, like the rest of the messages).
    pub reason: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.file.is_empty() {
            f.write_str(&self.file)?;
            if self.line > 0 {
                write!(f, ":{}", self.line)?;
            }
            f.write_str(": ")?;
        }
        if let Some(column) = &self.column {
            write!(f, "coluna {column}: ")?;
        }
        f.write_str(&self.reason)
    }
}

/// Why an import failed. Nothing is written when any of these happens.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("caminho não encontrado: {}", .path.display())]
    NotFound { path: PathBuf },

    /// The operating system's reason is the source (the command line says it in Portuguese).
    #[error("não foi possível ler {}", .path.display())]
    Io {
        path: PathBuf,
        #[source]
        cause: std::io::Error,
    },

    #[error(
        "{}: o nome do arquivo não corresponde a nenhuma tabela (esperado um de: {})",
        .path.display(),
        expected_file_names()
    )]
    UnknownTable { path: PathBuf },

    #[error(
        "{}: formato não suportado (use .csv, .xlsx, .xlsm, .xls ou .ods)",
        .path.display()
    )]
    UnsupportedFormat { path: PathBuf },

    #[error("a tabela {table} foi dada duas vezes: {} e {}", .first.display(), .second.display())]
    DuplicateTable {
        table: &'static str,
        first: PathBuf,
        second: PathBuf,
    },

    #[error(
        "nenhum arquivo de tabela encontrado em {} (esperado um de: {})",
        display_paths(.paths),
        expected_file_names()
    )]
    NoTableFiles { paths: Vec<PathBuf> },

    #[error("{}: planilha ilegível ou corrompida: {message}", .path.display())]
    Spreadsheet { path: PathBuf, message: String },

    /// Every bad row found in every file (see [`MAX_DIAGNOSTICS`]).
    #[error("{}", invalid_message(.0))]
    Invalid(Vec<Diagnostic>),
}

fn expected_file_names() -> String {
    ruptura_engine::records::TABLES
        .iter()
        .map(|table| format!("{table}.csv/.xlsx"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn display_paths(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "(nenhum caminho dado)".to_owned();
    }
    paths
        .iter()
        .map(|path| path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn invalid_message(diagnostics: &[Diagnostic]) -> String {
    let mut message = format!(
        "importação recusada, nada foi gravado: {} problema(s) nos arquivos",
        diagnostics.len()
    );
    for diagnostic in diagnostics {
        message.push_str("\n  ");
        message.push_str(&diagnostic.to_string());
    }
    message
}

/// Collects diagnostics over all the files of one import, up to [`MAX_DIAGNOSTICS`].
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    kept: Vec<Diagnostic>,
    left_out: usize,
}

impl Diagnostics {
    pub(crate) fn push(&mut self, file: &str, line: u64, column: Option<&str>, reason: String) {
        if self.kept.len() < MAX_DIAGNOSTICS {
            self.kept.push(Diagnostic {
                file: file.to_owned(),
                line,
                column: column.map(str::to_owned),
                reason,
            });
        } else {
            self.left_out += 1;
        }
    }

    /// How many diagnostics are kept so far: a mark for [`Self::sort_lines_since`].
    pub(crate) fn mark(&self) -> usize {
        self.kept.len()
    }

    /// Puts the diagnostics kept since `mark` (those of one file) in line order; problems
    /// found while splitting the file into rows are otherwise listed before the others.
    pub(crate) fn sort_lines_since(&mut self, mark: usize) {
        if let Some(recent) = self.kept.get_mut(mark..) {
            recent.sort_by_key(|diagnostic| diagnostic.line);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// The kept diagnostics, closed by a summary line when some were left out.
    pub(crate) fn into_vec(mut self) -> Vec<Diagnostic> {
        if self.left_out > 0 {
            self.kept.push(Diagnostic {
                file: String::new(),
                line: 0,
                column: None,
                reason: format!(
                    "... e mais {} problema(s) não listados (só os primeiros {MAX_DIAGNOSTICS} são mostrados)",
                    self.left_out
                ),
            });
        }
        self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostic_display_names_file_line_and_column() {
        let diagnostic = Diagnostic {
            file: "carteira_principal.csv".into(),
            line: 3,
            column: Some("qtd_saldo_produto_pedido".into()),
            reason: "número ilegível \"1,2,3\"".into(),
        };
        assert_eq!(
            diagnostic.to_string(),
            "carteira_principal.csv:3: coluna qtd_saldo_produto_pedido: número ilegível \"1,2,3\""
        );
    }

    #[test]
    fn diagnostics_past_the_cap_are_counted_in_a_summary() {
        let mut diagnostics = Diagnostics::default();
        for line in 0..(MAX_DIAGNOSTICS as u64 + 5) {
            diagnostics.push("separacao.csv", line + 2, None, "ruim".into());
        }
        let list = diagnostics.into_vec();
        assert_eq!(list.len(), MAX_DIAGNOSTICS + 1);
        let summary = list.last().map(ToString::to_string).unwrap_or_default();
        assert!(summary.contains("mais 5 problema(s)"), "{summary}");
    }
}
