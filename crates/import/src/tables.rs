//! The five tables' columns, and the conversion of a grid's rows into their records, with one
//! diagnostic per bad cell.

use std::collections::HashMap;

use chrono::NaiveDate;
use ruptura_engine::records::{
    CarteiraRow, Dataset, MovimentacaoRow, ProgramacaoRow, SeparacaoRow, UnificacaoRow, TABLES,
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
    /// In the order of [`TABLES`].
    pub(crate) const ALL: [Table; 5] = [
        Table::Carteira,
        Table::Movimentacao,
        Table::Separacao,
        Table::Programacao,
        Table::Unificacao,
    ];

    pub(crate) fn name(self) -> &'static str {
        TABLES[self as usize]
    }

    /// The table a file stem names, in any case.
    pub(crate) fn from_name(name: &str) -> Option<Table> {
        Table::ALL
            .into_iter()
            .find(|table| table.name().eq_ignore_ascii_case(name.trim()))
    }

    fn columns(self) -> &'static [ColumnSpec] {
        match self {
            Table::Carteira => CARTEIRA_COLUMNS,
            Table::Movimentacao => MOVIMENTACAO_COLUMNS,
            Table::Separacao => SEPARACAO_COLUMNS,
            Table::Programacao => PROGRAMACAO_COLUMNS,
            Table::Unificacao => UNIFICACAO_COLUMNS,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Id,
    Text,
    /// NUMERIC(15,3)
    Quantity,
    /// NUMERIC(15,2)
    Price,
    Date,
    Bool,
}

#[derive(Debug)]
struct ColumnSpec {
    name: &'static str,
    /// Another header name read as this column when `name` itself is absent (the names of the
    /// seed's schema, such as `municipio` for `nome_cidade`).
    alias: Option<&'static str>,
    kind: Kind,
    /// A missing column or an empty cell is an error.
    required: bool,
}

const fn column(name: &'static str, kind: Kind) -> ColumnSpec {
    ColumnSpec {
        name,
        alias: None,
        kind,
        required: false,
    }
}

const fn required(name: &'static str, kind: Kind) -> ColumnSpec {
    ColumnSpec {
        name,
        alias: None,
        kind,
        required: true,
    }
}

const fn aliased(name: &'static str, alias: &'static str) -> ColumnSpec {
    ColumnSpec {
        name,
        alias: Some(alias),
        kind: Kind::Text,
        required: false,
    }
}

const CARTEIRA_COLUMNS: &[ColumnSpec] = &[
    column("id", Kind::Id),
    required("num_pedido", Kind::Text),
    required("cod_produto", Kind::Text),
    column("nome_produto", Kind::Text),
    required("qtd_saldo_produto_pedido", Kind::Quantity),
    column("preco_produto_pedido", Kind::Price),
    column("ativo", Kind::Bool),
    aliased("raz_social_red", "raz_social"),
    column("cnpj_cpf", Kind::Text),
    aliased("nome_cidade", "municipio"),
    aliased("cod_uf", "estado"),
    column("vendedor", Kind::Text),
    column("equipe_vendas", Kind::Text),
    column("data_pedido", Kind::Date),
    column("expedicao", Kind::Date),
    column("agendamento", Kind::Date),
];

const MOVIMENTACAO_COLUMNS: &[ColumnSpec] = &[
    column("id", Kind::Id),
    required("cod_produto", Kind::Text),
    column("nome_produto", Kind::Text),
    column("data_movimentacao", Kind::Date),
    column("tipo_movimentacao", Kind::Text),
    required("qtd_movimentacao", Kind::Quantity),
    column("ativo", Kind::Bool),
];

const SEPARACAO_COLUMNS: &[ColumnSpec] = &[
    column("id", Kind::Id),
    column("separacao_lote_id", Kind::Text),
    column("num_pedido", Kind::Text),
    required("cod_produto", Kind::Text),
    required("qtd_saldo", Kind::Quantity),
    column("expedicao", Kind::Date),
    column("sincronizado_nf", Kind::Bool),
];

const PROGRAMACAO_COLUMNS: &[ColumnSpec] = &[
    column("id", Kind::Id),
    required("cod_produto", Kind::Text),
    column("nome_produto", Kind::Text),
    required("data_programacao", Kind::Date),
    required("qtd_programada", Kind::Quantity),
    column("linha_producao", Kind::Text),
];

const UNIFICACAO_COLUMNS: &[ColumnSpec] = &[
    column("id", Kind::Id),
    required("codigo_origem", Kind::Text),
    required("codigo_destino", Kind::Text),
    column("ativo", Kind::Bool),
];

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

fn carteira_row<R: Row>(row: &mut RowReader<'_, '_, R>) -> CarteiraRow {
    CarteiraRow {
        id: row.id(),
        num_pedido: row.required_text("num_pedido"),
        cod_produto: row.required_text("cod_produto"),
        nome_produto: row.text("nome_produto").unwrap_or_default(),
        qtd_saldo_produto_pedido: row.required_number("qtd_saldo_produto_pedido"),
        preco_produto_pedido: row.number("preco_produto_pedido"),
        ativo: row.flag("ativo", true),
        raz_social_red: row.text("raz_social_red"),
        cnpj_cpf: row.text("cnpj_cpf"),
        nome_cidade: row.text("nome_cidade"),
        cod_uf: row.text("cod_uf"),
        vendedor: row.text("vendedor"),
        equipe_vendas: row.text("equipe_vendas"),
        data_pedido: row.date("data_pedido"),
        expedicao: row.date("expedicao"),
        agendamento: row.date("agendamento"),
    }
}

fn movimentacao_row<R: Row>(row: &mut RowReader<'_, '_, R>) -> MovimentacaoRow {
    MovimentacaoRow {
        id: row.id(),
        cod_produto: row.required_text("cod_produto"),
        nome_produto: row.text("nome_produto"),
        data_movimentacao: row.date("data_movimentacao"),
        tipo_movimentacao: row.text("tipo_movimentacao"),
        qtd_movimentacao: row.required_number("qtd_movimentacao"),
        ativo: row.flag("ativo", true),
    }
}

fn separacao_row<R: Row>(row: &mut RowReader<'_, '_, R>) -> SeparacaoRow {
    SeparacaoRow {
        id: row.id(),
        separacao_lote_id: row.text("separacao_lote_id"),
        num_pedido: row.text("num_pedido"),
        cod_produto: row.required_text("cod_produto"),
        qtd_saldo: row.required_number("qtd_saldo"),
        expedicao: row.date("expedicao"),
        sincronizado_nf: row.flag("sincronizado_nf", false),
    }
}

fn programacao_row<R: Row>(row: &mut RowReader<'_, '_, R>) -> ProgramacaoRow {
    ProgramacaoRow {
        id: row.id(),
        cod_produto: row.required_text("cod_produto"),
        nome_produto: row.text("nome_produto"),
        data_programacao: row.date("data_programacao").unwrap_or_default(),
        qtd_programada: row.required_number("qtd_programada"),
        linha_producao: row.text("linha_producao"),
    }
}

fn unificacao_row<R: Row>(row: &mut RowReader<'_, '_, R>) -> UnificacaoRow {
    UnificacaoRow {
        id: row.id(),
        codigo_origem: row.required_text("codigo_origem"),
        codigo_destino: row.required_text("codigo_destino"),
        ativo: row.flag("ativo", true),
    }
}

/// What the rows of one file share: where each column is, how the file writes decimals, the
/// ids seen so far. A file's rows can be converted in pieces ([`Self::convert`]), one after
/// the other, then [`Self::finish`] checks what needs the whole file.
pub(crate) struct FileContext<'d> {
    table: Table,
    file: &'d str,
    specs: &'static [ColumnSpec],
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
        let specs = table.columns();
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
        let mut dataset = Dataset::default();
        match self.table {
            Table::Carteira => {
                dataset.carteira_principal =
                    Some(self.convert_rows(rows, diagnostics, carteira_row));
            }
            Table::Movimentacao => {
                dataset.movimentacao_estoque =
                    Some(self.convert_rows(rows, diagnostics, movimentacao_row));
            }
            Table::Separacao => {
                dataset.separacao = Some(self.convert_rows(rows, diagnostics, separacao_row));
            }
            Table::Programacao => {
                dataset.programacao_producao =
                    Some(self.convert_rows(rows, diagnostics, programacao_row));
            }
            Table::Unificacao => {
                dataset.unificacao_codigos =
                    Some(self.convert_rows(rows, diagnostics, unificacao_row));
            }
        }
        dataset
    }

    fn convert_rows<R: Row, T>(
        &mut self,
        rows: &[(u64, R)],
        diagnostics: &mut Diagnostics,
        build: impl Fn(&mut RowReader<'_, '_, R>) -> T,
    ) -> Vec<T> {
        let mut records = Vec::with_capacity(rows.len());
        for (line, row) in rows {
            let mut reader = RowReader {
                context: self,
                diagnostics,
                row,
                line: *line,
                failed: false,
            };
            let record = build(&mut reader);
            if !reader.failed {
                records.push(record);
            }
        }
        records
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

/// Reads the cells of one row by column name; every problem becomes a diagnostic and marks the
/// row as failed, and reading goes on so that every bad cell of the row is reported.
struct RowReader<'c, 'd, R> {
    context: &'c mut FileContext<'d>,
    diagnostics: &'c mut Diagnostics,
    row: &'c R,
    line: u64,
    failed: bool,
}

impl<'c, R: Row> RowReader<'c, '_, R> {
    /// The cell of a column (`None` when the file has no such column), and the column's index
    /// in the table's specs.
    fn cell(&self, name: &str) -> (Option<Cell<'c>>, usize) {
        let index = self.context.specs.iter().position(|spec| spec.name == name);
        debug_assert!(index.is_some(), "column {name} is not in the table's specs");
        let index = index.unwrap_or(0);
        let row: &'c R = self.row;
        let cell = self.context.positions[index].map(|position| row.cell(position));
        (cell, index)
    }

    fn report(&mut self, column: &str, reason: String) {
        self.failed = true;
        self.diagnostics
            .push(self.context.file, self.line, Some(column), reason);
    }

    /// The cell, or `None` when it is empty or its column absent. An empty required value is
    /// reported here; an absent required column was reported once, on the header.
    fn filled_cell(&mut self, name: &str) -> Option<(Cell<'c>, &'static ColumnSpec)> {
        let (cell, index) = self.cell(name);
        let spec = &self.context.specs[index];
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
                self.report(self.context.found_as[index], reason);
                None
            }
            Some(cell) => Some((cell, spec)),
        }
    }

    fn text(&mut self, name: &str) -> Option<String> {
        let (cell, _) = self.filled_cell(name)?;
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

    fn required_text(&mut self, name: &str) -> String {
        self.text(name).unwrap_or_default()
    }

    /// A quantity (3 places) or a price (2 places), by the column's kind.
    fn number(&mut self, name: &str) -> Option<Decimal> {
        let decimal_comma = self.context.decimal_comma;
        let (cell, spec) = self.filled_cell(name)?;
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

    fn required_number(&mut self, name: &str) -> Decimal {
        self.number(name).unwrap_or_default()
    }

    fn date(&mut self, name: &str) -> Option<NaiveDate> {
        let (cell, spec) = self.filled_cell(name)?;
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

    fn text_of_number(&self, cell: Cell<'_>) -> String {
        match cell {
            Cell::Int(value) => value.to_string(),
            Cell::Float(value) => value.to_string(),
            _ => String::new(),
        }
    }

    /// A boolean; `default` when the column is absent or the cell empty.
    fn flag(&mut self, name: &str, default: bool) -> bool {
        let Some((cell, spec)) = self.filled_cell(name) else {
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
    fn id(&mut self) -> Option<i64> {
        let line = self.line;
        let column_present = self.cell("id").0.is_some();
        let Some((cell, spec)) = self.filled_cell("id") else {
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
