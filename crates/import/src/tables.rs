//! The conversion of a grid's rows into the five tables' records (their columns are the
//! tables' layouts, [`ruptura_engine::records::Layout`]), with one diagnostic per bad cell.

use std::collections::HashMap;

use chrono::NaiveDate;
use ruptura_engine::records::{
    CarteiraRow, CellSource, Column, Dataset, Kind, Layout, MovimentacaoRow, ProgramacaoRow,
    Record, SeparacaoRow, UnificacaoRow, LAYOUTS,
};
use rust_decimal::Decimal;

use crate::error::Diagnostics;
#[cfg(test)]
use crate::sheet::Grid;
use crate::sheet::{Cell, Row};
use crate::value::{parse_bool, parse_date, parse_decimal, parse_id, round_to, DateProblem};

/// One of the five source tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Table {
    Carteira,
    Movimentacao,
    Separacao,
    Programacao,
    Unificacao,
}

impl Table {
    /// In the order of [`LAYOUTS`].
    pub(crate) const ALL: [Table; 5] = [
        Table::Carteira,
        Table::Movimentacao,
        Table::Separacao,
        Table::Programacao,
        Table::Unificacao,
    ];

    pub(crate) fn name(self) -> &'static str {
        self.layout().name
    }

    fn layout(self) -> &'static Layout {
        LAYOUTS[self as usize]
    }

    /// The table a file stem names, in any case.
    pub(crate) fn from_name(name: &str) -> Option<Table> {
        Table::ALL
            .into_iter()
            .find(|table| table.name().eq_ignore_ascii_case(name.trim()))
    }
}

/// Converts a grid's rows into `table`'s records and stores them in `dataset`. Bad rows are
/// left out and reported; the caller refuses the whole import when any was reported.
#[cfg(test)]
pub(crate) fn convert_grid<R: Row>(
    table: Table,
    file: &str,
    grid: &Grid<R>,
    dataset: &mut Dataset,
    diagnostics: &mut Diagnostics,
) {
    let mut context = FileContext::new(table, file, grid.header_line, &grid.columns, diagnostics);
    context.decimal_comma = context.any_decimal_comma(grid.rows.iter().map(|(_, row)| row));
    let converted = context.convert(&grid.rows, diagnostics);
    context.finish(diagnostics);
    dataset.append(converted);
}

/// What the rows of one file share: where each column is, how the file writes decimals, the
/// ids seen so far. A file's rows can be converted in pieces ([`Self::convert`]), one after
/// the other, then [`Self::finish`] checks what needs the whole file.
pub(crate) struct FileContext<'d> {
    table: Table,
    file: &'d str,
    specs: &'static [Column],
    /// Position in the row of each spec's column, in the order of `specs`.
    positions: Vec<Option<usize>>,
    /// The header name each spec's column was found under: its own or its alias.
    found_as: Vec<&'static str>,
    /// Whether the file writes decimal commas in its numeric columns, which makes `1.234` mean
    /// one thousand two hundred and thirty-four (see [`Self::any_decimal_comma`]).
    pub(crate) decimal_comma: bool,
    first_line_of_id: HashMap<i64, u64>,
    lines_without_id: Vec<u64>,
}

impl<'d> FileContext<'d> {
    /// The columns of `table` in a header (`columns`, normalized names, on `header_line`); a
    /// missing required column or a repeated one is reported.
    pub(crate) fn new(
        table: Table,
        file: &'d str,
        header_line: u64,
        columns: &[String],
        diagnostics: &mut Diagnostics,
    ) -> Self {
        let specs = table.layout().columns;
        let mut positions = Vec::with_capacity(specs.len());
        let mut found_as = Vec::with_capacity(specs.len());
        for spec in specs {
            let mut name = spec.name;
            let mut position = find_column(columns, header_line, file, name, diagnostics);
            if let (None, Some(alias)) = (position, spec.alias) {
                name = alias;
                position = find_column(columns, header_line, file, alias, diagnostics);
            }
            found_as.push(name);
            if position.is_none() && spec.required {
                diagnostics.push(
                    file,
                    header_line,
                    Some(spec.name),
                    "coluna obrigatória ausente do cabeçalho".to_owned(),
                );
            }
            positions.push(position);
        }
        FileContext {
            table,
            file,
            specs,
            positions,
            found_as,
            decimal_comma: false,
            first_line_of_id: HashMap::new(),
            lines_without_id: Vec::new(),
        }
    }

    /// Whether the file has numeric columns at all (only then can decimals be written with a
    /// comma).
    pub(crate) fn has_numbers(&self) -> bool {
        !self.numeric_positions().is_empty()
    }

    fn numeric_positions(&self) -> Vec<usize> {
        self.specs
            .iter()
            .zip(&self.positions)
            .filter(|(spec, _)| matches!(spec.kind, Kind::Quantity | Kind::Price))
            .filter_map(|(_, position)| *position)
            .collect()
    }

    /// Whether any of `rows` writes a number with a decimal comma: `1.234,5` or `12,5`, not
    /// `1,234.5` (a comma after the last dot).
    pub(crate) fn any_decimal_comma<R: Row>(&self, rows: impl IntoIterator<Item = R>) -> bool {
        let positions = self.numeric_positions();
        if positions.is_empty() {
            return false;
        }
        rows.into_iter().any(|row| {
            positions.iter().any(|&position| match row.cell(position) {
                Cell::Text(text) => text.rfind(',') > text.rfind('.'),
                _ => false,
            })
        })
    }

    /// Converts some rows of the file: a dataset with the table's converted rows (the table is
    /// present even when none converted). Bad rows are left out and reported.
    pub(crate) fn convert<R: Row>(
        &mut self,
        rows: &[(u64, R)],
        diagnostics: &mut Diagnostics,
    ) -> Dataset {
        match self.table {
            Table::Carteira => self.convert_rows::<R, CarteiraRow>(rows, diagnostics),
            Table::Movimentacao => self.convert_rows::<R, MovimentacaoRow>(rows, diagnostics),
            Table::Separacao => self.convert_rows::<R, SeparacaoRow>(rows, diagnostics),
            Table::Programacao => self.convert_rows::<R, ProgramacaoRow>(rows, diagnostics),
            Table::Unificacao => self.convert_rows::<R, UnificacaoRow>(rows, diagnostics),
        }
    }

    /// A dataset with the good rows as records of `T`.
    fn convert_rows<R: Row, T: Record>(
        &mut self,
        rows: &[(u64, R)],
        diagnostics: &mut Diagnostics,
    ) -> Dataset {
        let mut records = Vec::with_capacity(rows.len());
        for (line, row) in rows {
            let mut reader = RowReader {
                context: self,
                diagnostics,
                row,
                line: *line,
                failed: false,
            };
            let record = T::read(&mut reader);
            if !reader.failed {
                records.push(record);
            }
        }
        let mut dataset = Dataset::default();
        *T::slot(&mut dataset) = Some(records);
        dataset
    }

    /// After the last rows of the file: ids order the lines of an order and the store assigns
    /// ids only to rows without one, in file order: a file where some rows have an id and
    /// others not would get an order nobody wrote, so it is refused.
    pub(crate) fn finish(self, diagnostics: &mut Diagnostics) {
        if self.first_line_of_id.is_empty() {
            return;
        }
        for line in self.lines_without_id {
            diagnostics.push(
                self.file,
                line,
                Some("id"),
                "id vazio, mas outras linhas do arquivo têm id (preencha todos ou nenhum)"
                    .to_owned(),
            );
        }
    }
}

/// The position of `name` in the header; a name given twice is reported (and the first taken).
fn find_column(
    columns: &[String],
    header_line: u64,
    file: &str,
    name: &str,
    diagnostics: &mut Diagnostics,
) -> Option<usize> {
    let mut matches = columns
        .iter()
        .enumerate()
        .filter(|(_, column)| column.as_str() == name)
        .map(|(position, _)| position);
    let first = matches.next()?;
    if matches.next().is_some() {
        diagnostics.push(
            file,
            header_line,
            Some(name),
            "coluna repetida no cabeçalho".to_owned(),
        );
    }
    Some(first)
}

/// Reads the cells of one row by column (an index into the table's layout); every problem becomes
/// a diagnostic and marks the row as failed, and reading goes on so that every bad cell of the
/// row is reported.
struct RowReader<'c, 'd, R> {
    context: &'c mut FileContext<'d>,
    diagnostics: &'c mut Diagnostics,
    row: &'c R,
    line: u64,
    failed: bool,
}

impl<'c, R: Row> RowReader<'c, '_, R> {
    /// The cell of a column (`None` when the file has no such column).
    fn cell(&self, column: usize) -> Option<Cell<'c>> {
        let row: &'c R = self.row;
        let position = self.context.positions.get(column).copied().flatten();
        position.map(|position| row.cell(position))
    }

    fn report(&mut self, column: &str, reason: String) {
        self.failed = true;
        self.diagnostics
            .push(self.context.file, self.line, Some(column), reason);
    }

    /// The cell, or `None` when it is empty or its column absent. An empty required value is
    /// reported here; an absent required column was reported once, on the header.
    fn filled_cell(&mut self, column: usize) -> Option<(Cell<'c>, &'static Column)> {
        let cell = self.cell(column);
        let spec = self.context.specs.get(column)?;
        match cell {
            Some(Cell::Empty) | None => {
                if spec.required {
                    self.failed = true;
                    if cell.is_some() {
                        self.report(spec.name, "valor obrigatório vazio".to_owned());
                    }
                }
                None
            }
            Some(Cell::SheetError(error)) => {
                let reason = format!("célula com erro da planilha ({error})");
                // Named as in the file: `municipio` rather than `nome_cidade`.
                self.report(self.context.found_as[column], reason);
                None
            }
            Some(cell) => Some((cell, spec)),
        }
    }

    fn text_of_number(&self, cell: Cell<'_>) -> String {
        match cell {
            Cell::Int(value) => value.to_string(),
            Cell::Float(value) => value.to_string(),
            _ => String::new(),
        }
    }
}

impl<R: Row> CellSource for RowReader<'_, '_, R> {
    fn text(&mut self, column: usize) -> Option<String> {
        let (cell, _) = self.filled_cell(column)?;
        let text = match cell {
            Cell::Text(text) => text.trim().to_owned(),
            Cell::Int(value) => value.to_string(),
            // Shortest round-trip form: a code typed as 1001 in a spreadsheet arrives as the
            // float 1001.0 and is written "1001".
            Cell::Float(value) => value.to_string(),
            Cell::Bool(value) => value.to_string(),
            Cell::DateTime(value) => match excel_date(value) {
                Some(date) => date.to_string(),
                None => value.as_f64().to_string(),
            },
            Cell::Empty | Cell::SheetError(_) => return None,
        };
        Some(text)
    }

    /// A quantity (3 places) or a price (2 places), by the column's kind.
    fn decimal(&mut self, column: usize) -> Option<Decimal> {
        let decimal_comma = self.context.decimal_comma;
        let (cell, spec) = self.filled_cell(column)?;
        let (places, max_integer_digits) = match spec.kind {
            Kind::Price => (2, 13),
            _ => (3, 12),
        };
        let parsed = match cell {
            Cell::Text(text) => parse_decimal(text, decimal_comma)
                .ok_or_else(|| format!("número ilegível \"{}\"", text.trim())),
            Cell::Int(value) => Ok(Decimal::from(value)),
            Cell::Float(value) => float_to_decimal(value)
                .ok_or_else(|| format!("número fora do intervalo aceito ({value})")),
            Cell::Bool(value) => Err(format!("esperado um número, a célula tem {value}")),
            Cell::DateTime(_) => Err("esperado um número, a célula tem uma data".to_owned()),
            Cell::Empty | Cell::SheetError(_) => return None,
        };
        let checked = parsed.map(|value| round_to(value, places)).and_then(|value| {
            if value.abs() < Decimal::from(10i64.pow(max_integer_digits)) {
                Ok(value)
            } else {
                Err(format!(
                    "número fora do intervalo aceito (no máximo {max_integer_digits} dígitos inteiros): {value}"
                ))
            }
        });
        match checked {
            Ok(value) => Some(value),
            Err(reason) => {
                self.report(spec.name, reason);
                None
            }
        }
    }

    fn date(&mut self, column: usize) -> Option<NaiveDate> {
        let (cell, spec) = self.filled_cell(column)?;
        let parsed = match cell {
            Cell::Text(text) => parse_date(text).map_err(|problem| match problem {
                DateProblem::Unreadable => format!(
                    "data ilegível \"{}\" (use AAAA-MM-DD ou DD/MM/AAAA)",
                    text.trim()
                ),
                DateProblem::Impossible => format!("data inexistente \"{}\"", text.trim()),
            }),
            Cell::DateTime(value) if value.is_datetime() => excel_date(value)
                .ok_or_else(|| format!("data fora do calendário (valor {})", value.as_f64())),
            Cell::DateTime(_) => Err("esperada uma data, a célula tem uma duração".to_owned()),
            // A bare number is not taken as a spreadsheet serial date: 20260305 and 46085
            // would both be plausible, and a wrong guess moves stock across days unseen.
            Cell::Int(_) | Cell::Float(_) => Err(format!(
                "esperada uma data, a célula tem o número {} (formate a célula como data ou escreva DD/MM/AAAA)",
                self.text_of_number(cell)
            )),
            Cell::Bool(value) => Err(format!("esperada uma data, a célula tem {value}")),
            Cell::Empty | Cell::SheetError(_) => return None,
        };
        match parsed {
            Ok(date) => Some(date),
            Err(reason) => {
                self.report(spec.name, reason);
                None
            }
        }
    }

    /// A flag; the layout's default when the column is absent or the cell empty.
    fn flag(&mut self, column: usize) -> bool {
        let default = match self.context.specs.get(column).map(|spec| spec.kind) {
            Some(Kind::Flag { default }) => default,
            _ => false,
        };
        let Some((cell, spec)) = self.filled_cell(column) else {
            return default;
        };
        let parsed = match cell {
            Cell::Text(text) => parse_bool(text),
            Cell::Bool(value) => Some(value),
            Cell::Int(0) => Some(false),
            Cell::Int(1) => Some(true),
            Cell::Float(0.0) => Some(false),
            Cell::Float(1.0) => Some(true),
            _ => None,
        };
        match parsed {
            Some(value) => value,
            None => {
                let shown = match cell {
                    Cell::Text(text) => format!("\"{}\"", text.trim()),
                    Cell::DateTime(_) => "uma data".to_owned(),
                    other => self.text_of_number(other),
                };
                self.report(
                    spec.name,
                    format!("valor lógico ilegível {shown} (use true/false, 1/0, sim/não ou s/n)"),
                );
                default
            }
        }
    }

    /// The optional `id`; a bad or repeated id is reported.
    fn id(&mut self, column: usize) -> Option<i64> {
        let line = self.line;
        let column_present = self.cell(column).is_some();
        let Some((cell, spec)) = self.filled_cell(column) else {
            if column_present {
                self.context.lines_without_id.push(line);
            }
            return None;
        };
        let parsed = match cell {
            Cell::Text(text) => parse_id(text),
            Cell::Int(value) => Some(value).filter(|id| *id > 0),
            // Exactly representable integers only: 2^53 is far above any real id.
            Cell::Float(value) if value.fract() == 0.0 && (1.0..9.0e15).contains(&value) => {
                Some(value as i64)
            }
            _ => None,
        };
        let Some(id) = parsed else {
            let shown = match cell {
                Cell::Text(text) => text.trim().to_owned(),
                other => self.text_of_number(other),
            };
            self.report(
                spec.name,
                format!("id ilegível \"{shown}\" (esperado um inteiro positivo)"),
            );
            return None;
        };
        if let Some(first_line) = self.context.first_line_of_id.get(&id).copied() {
            self.report(
                spec.name,
                format!("id {id} repetido (já usado na linha {first_line})"),
            );
        } else {
            self.context.first_line_of_id.insert(id, line);
        }
        Some(id)
    }
}

/// A spreadsheet float as the decimal it was typed as: its shortest round-trip text
/// (`0.1`, not `0.1000000000000000055511151231257827`), read exactly.
fn float_to_decimal(value: f64) -> Option<Decimal> {
    if !value.is_finite() {
        return None;
    }
    value.to_string().parse::<Decimal>().ok()
}

/// The calendar day of a spreadsheet date-time (its time of day is dropped).
fn excel_date(value: calamine::ExcelDateTime) -> Option<NaiveDate> {
    let (year, month, day, ..) = value.to_ymd_hms_milli();
    NaiveDate::from_ymd_opt(i32::from(year), u32::from(month), u32::from(day))
}

#[cfg(test)]
mod tests {
    use calamine::{CellErrorType, Data};

    use super::*;

    fn convert(columns: &[&str], rows: &[Vec<Data>]) -> (Dataset, Vec<String>) {
        // Data rows start on line 2, under the header.
        let grid = Grid {
            header_line: 1,
            columns: columns.iter().map(|name| (*name).to_owned()).collect(),
            rows: (2u64..).zip(rows.iter().map(Vec::as_slice)).collect(),
        };
        let mut dataset = Dataset::default();
        let mut diagnostics = Diagnostics::default();
        convert_grid(
            Table::Carteira,
            "carteira_principal.xlsx",
            &grid,
            &mut dataset,
            &mut diagnostics,
        );
        let shown = diagnostics
            .into_vec()
            .iter()
            .map(ToString::to_string)
            .collect();
        (dataset, shown)
    }

    #[test]
    fn a_spreadsheet_error_cell_is_reported_under_the_header_name_of_the_file() {
        let (_, shown) = convert(
            &[
                "num_pedido",
                "cod_produto",
                "qtd_saldo_produto_pedido",
                "municipio",
            ],
            &[vec![
                Data::String("P1".into()),
                Data::String("A".into()),
                Data::Float(1.0),
                Data::Error(CellErrorType::NA),
            ]],
        );
        assert_eq!(
            shown,
            ["carteira_principal.xlsx:2: coluna municipio: célula com erro da planilha (#N/A)"]
        );
    }

    #[test]
    fn the_canonical_column_wins_over_its_alias_and_repeats_are_reported() {
        let (dataset, shown) = convert(
            &[
                "num_pedido",
                "cod_produto",
                "qtd_saldo_produto_pedido",
                "estado",
                "cod_uf",
                "cod_produto",
            ],
            &[vec![
                Data::String("P1".into()),
                Data::Int(7),
                Data::Int(2),
                Data::String("RJ".into()),
                Data::String("SP".into()),
            ]],
        );
        assert_eq!(
            shown,
            ["carteira_principal.xlsx:1: coluna cod_produto: coluna repetida no cabeçalho"]
        );
        let rows = dataset.carteira_principal.unwrap_or_default();
        assert_eq!(rows[0].cod_uf.as_deref(), Some("SP"));
        assert_eq!(rows[0].cod_produto, "7");
    }
}
