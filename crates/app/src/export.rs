//! Exports of an analysis (SPEC 8.6): a workbook with the sheets Pedidos, Itens em falta and
//! Produtos, with real numbers and dates (rust_xlsxwriter), and the Pedidos sheet as CSV in
//! Brazilian spelling (`;`, decimal comma, dd/mm/aaaa, UTF-8 with BOM) so it opens right in
//! Excel set to Portuguese.
//!
//! The figures are read from the wire results (`app::wire`), the same numbers the API, the page
//! and the command line show; the order's client, city and seller come from the order list.

use std::collections::HashMap;
use std::io::Write;

use chrono::{Datelike, NaiveDate};
use ruptura_store::OrderSummary;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet, XlsxError};
use serde_json::Value;
use thiserror::Error;

use crate::wire::Resultado;

/// The list data (client, CNPJ, city, seller, team) of the book's orders, by order number:
/// what the exports show beside the figures. Read before the results, so that each batch of
/// results becomes rows as it comes (see [`Sheets`]).
pub async fn order_summaries(
    store: &dyn ruptura_store::Store,
) -> Result<HashMap<String, OrderSummary>, ruptura_store::StoreError> {
    let all = store
        .list_orders(&ruptura_store::OrderQuery::all(
            ruptura_store::OrderFilter::default(),
        ))
        .await?;
    Ok(all
        .orders
        .into_iter()
        .map(|o| (o.num_pedido.clone(), o))
        .collect())
}

/// The rows of SPEC 8.4 as JSON values (the workbook's Produtos sheet).
pub fn produtos_rows(produtos: &crate::Produtos) -> Result<Vec<Value>, serde_json::Error> {
    produtos.rows().iter().map(serde_json::to_value).collect()
}

#[derive(Debug, Error)]
pub enum ExportError {
    #[error("falha ao montar a planilha: {0}")]
    Xlsx(#[from] XlsxError),
    #[error("falha ao escrever o CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("falha ao escrever: {0}")]
    Io(#[from] std::io::Error),
}

/// One cell of a sheet.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// Money: 2 places.
    Money(f64),
    /// Quantities: up to 3 places.
    Qty(f64),
    Int(i64),
    Date(NaiveDate),
    Empty,
}

/// An export in the making: each batch of results becomes rows at once ([`Sheets::add`]) and
/// the rows are written as they come, so that an export of a whole book holds neither its
/// results nor its rows (at 100,000 orders the results take several hundred MB): the CSV into
/// its bytes, the workbook's Pedidos and Itens em falta sheets row by row into temporary files
/// (rust_xlsxwriter's low-memory worksheets, which keep only the table of distinct strings).
/// [`Sheets::finish`] adds the Produtos sheet (the rows of SPEC 8.4, written the same way) and
/// writes the whole. Every sheet takes its columns' widths from its first rows.
pub struct Sheets {
    /// The orders' list data, by order number (see [`order_summaries`]).
    orders: HashMap<String, OrderSummary>,
    out: Out,
}

enum Out {
    /// The Pedidos sheet as Brazilian CSV, written so far (BOM and header first).
    Csv(Box<csv::Writer<Vec<u8>>>),
    Xlsx(Box<Book>),
}

/// The workbook being written: its formats, and where each streamed sheet is.
struct Book {
    wb: Workbook,
    formats: Formats,
    pedidos: Streamed,
    itens: Streamed,
}

struct Formats {
    header: Format,
    money: Format,
    qty: Format,
    date: Format,
}

impl Formats {
    fn new() -> Self {
        Self {
            header: Format::new().set_bold(),
            money: Format::new().set_num_format("#,##0.00"),
            qty: Format::new().set_num_format("#,##0.###"),
            date: Format::new().set_num_format("dd/mm/yyyy"),
        }
    }
}

/// A sheet written row by row: its place in the workbook, the rows written (after the
/// header) and each column's width so far (pixels, from the header and the first
/// [`WIDTH_ROWS`] rows: Excel's autofit needs the rows in memory).
struct Streamed {
    index: usize,
    columns: u16,
    rows: u32,
    widths: Vec<u32>,
}

fn text(v: Option<&str>) -> Cell {
    match v {
        Some(s) if !s.is_empty() => Cell::Text(s.to_string()),
        _ => Cell::Empty,
    }
}

fn date_of(v: &Value) -> Cell {
    v.as_str()
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .map_or(Cell::Empty, Cell::Date)
}

fn money_of(v: &Value) -> Cell {
    v.as_f64().map_or(Cell::Empty, Cell::Money)
}

fn qty_of(v: &Value) -> Cell {
    v.as_f64().map_or(Cell::Empty, Cell::Qty)
}

fn int_of(v: &Value) -> Cell {
    v.as_i64().map_or(Cell::Empty, Cell::Int)
}

fn str_of(v: &Value) -> Cell {
    text(v.as_str())
}

const PEDIDOS: [&str; 16] = [
    "num_pedido",
    "cliente",
    "cnpj_cpf",
    "cidade",
    "uf",
    "vendedor",
    "equipe_vendas",
    "expedicao",
    "valor_total_pedido",
    "valor_com_ruptura",
    "valor_agora",
    "criticidade",
    "prazo",
    "dias_atraso",
    "data_pronto",
    "sugestao",
];

const ITENS: [&str; 14] = [
    "num_pedido",
    "cliente",
    "expedicao",
    "cod_produto",
    "nome_produto",
    "qtd_saldo",
    "ruptura_qtd",
    "qtd_agora",
    "estoque_atual",
    "estoque_min_d7",
    "data_producao",
    "qtd_producao",
    "data_disponivel",
    "valor_total",
];

/// The columns of the products table (SPEC 8.4), in every export that lists products.
pub const PRODUTOS: [&str; 14] = [
    "cod_produto",
    "nome_produto",
    "codigos",
    "pedidos",
    "linhas",
    "qtd_falta",
    "valor_linhas",
    "valor_pedidos",
    "pedidos_destravados",
    "valor_destravado",
    "estoque_atual",
    "menor_estoque",
    "data_producao",
    "qtd_producao",
];

impl Sheets {
    /// An export as the workbook (`xlsx`: Pedidos, Itens em falta, Produtos) or as the CSV
    /// (Pedidos), with the orders' list data of [`order_summaries`].
    pub fn new(orders: HashMap<String, OrderSummary>, xlsx: bool) -> Result<Self, ExportError> {
        let out = if xlsx {
            let mut wb = Workbook::new();
            let formats = Formats::new();
            let pedidos = Streamed::start(&mut wb, "Pedidos", &PEDIDOS, &formats)?;
            let itens = Streamed::start(&mut wb, "Itens em falta", &ITENS, &formats)?;
            Out::Xlsx(Box::new(Book {
                wb,
                formats,
                pedidos,
                itens,
            }))
        } else {
            let mut bytes = Vec::with_capacity(1 << 20);
            bytes.extend_from_slice("\u{feff}".as_bytes());
            let mut w = csv::WriterBuilder::new()
                .delimiter(b';')
                .terminator(csv::Terminator::CRLF)
                .from_writer(bytes);
            w.write_record(PEDIDOS)?;
            Out::Csv(Box::new(w))
        };
        Ok(Self { orders, out })
    }

    /// Writes the rows of `results`, in their order.
    pub fn add(&mut self, results: &[Resultado]) -> Result<(), ExportError> {
        for r in results {
            // The order's summary as JSON, read by both sheets.
            let summary = r.analisado().map(|p| {
                let resumo = serde_json::to_value(&p.resumo).unwrap_or(Value::Null);
                (p, resumo)
            });
            let row = self.pedido_row(r.num_pedido(), summary.as_ref().map(|(_, s)| s));
            let items = match (&self.out, &summary) {
                (Out::Xlsx(_), Some((p, resumo))) => self.item_rows(p, resumo),
                _ => Vec::new(),
            };
            match &mut self.out {
                Out::Csv(w) => w.write_record(row.iter().map(brazilian))?,
                Out::Xlsx(book) => {
                    let Book {
                        wb,
                        formats,
                        pedidos,
                        itens,
                    } = book.as_mut();
                    pedidos.write(wb, &row, formats)?;
                    for item in &items {
                        itens.write(wb, item, formats)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes the whole export to `out`: the CSV, or the workbook with the Produtos sheet of
    /// `produtos` (the rows of SPEC 8.4 as their JSON, ranked as given).
    pub fn finish(self, produtos: &[Value], out: &mut dyn Write) -> Result<(), ExportError> {
        match self.out {
            Out::Csv(w) => {
                let bytes = (*w).into_inner().map_err(|e| e.into_error())?;
                out.write_all(&bytes)?;
            }
            Out::Xlsx(book) => {
                let Book {
                    mut wb,
                    formats,
                    pedidos,
                    itens,
                } = *book;
                pedidos.end(&mut wb)?;
                itens.end(&mut wb)?;
                let mut sheet = Streamed::start(&mut wb, "Produtos", &PRODUTOS, &formats)?;
                for row in produtos.iter().map(produto_row) {
                    sheet.write(&mut wb, &row, &formats)?;
                }
                sheet.end(&mut wb)?;
                out.write_all(&wb.save_to_buffer()?)?;
            }
        }
        Ok(())
    }

    /// The client columns of an order (empty when the order is not in the list).
    fn order_cells(&self, num: &str) -> [Cell; 6] {
        match self.orders.get(num) {
            Some(o) => [
                text(o.raz_social_red.as_deref()),
                text(o.cnpj_cpf.as_deref()),
                text(o.nome_cidade.as_deref()),
                text(o.cod_uf.as_deref()),
                text(o.vendedor.as_deref()),
                text(o.equipe_vendas.as_deref()),
            ],
            None => std::array::from_fn(|_| Cell::Empty),
        }
    }

    fn expedicao(&self, num: &str, resumo: Option<&Value>) -> Cell {
        match resumo.map(|r| date_of(&r["expedicao"])) {
            Some(Cell::Date(d)) => Cell::Date(d),
            _ => self
                .orders
                .get(num)
                .and_then(|o| o.expedicao)
                .map_or(Cell::Empty, Cell::Date),
        }
    }

    /// Pedidos: one row per order, with its summary as JSON (`None`: not analysed).
    fn pedido_row(&self, num: &str, resumo: Option<&Value>) -> Vec<Cell> {
        let mut row = Vec::with_capacity(PEDIDOS.len());
        row.push(Cell::Text(num.to_string()));
        row.extend(self.order_cells(num));
        match resumo {
            Some(s) => {
                row.push(self.expedicao(num, Some(s)));
                row.push(money_of(&s["valor_total_pedido"]));
                row.push(money_of(&s["valor_com_ruptura"]));
                row.push(money_of(&s["valor_agora"]));
                row.push(str_of(&s["criticidade"]));
                row.push(str_of(&s["prazo"]));
                row.push(int_of(&s["dias_atraso"]));
                row.push(date_of(&s["data_pronto"]));
                row.push(str_of(&s["sugestao"]));
            }
            None => {
                row.push(self.expedicao(num, None));
                row.extend([Cell::Empty, Cell::Empty, Cell::Empty]);
                row.push(Cell::Text("ERRO".into()));
                row.extend([Cell::Empty, Cell::Empty, Cell::Empty, Cell::Empty]);
            }
        }
        row
    }

    /// Itens em falta: one row per short line of `p` (its summary as JSON: `resumo`), with
    /// its order's client and ship date.
    fn item_rows(&self, p: &crate::wire::PedidoAnalisado, resumo: &Value) -> Vec<Vec<Cell>> {
        let mut rows = Vec::with_capacity(p.itens.len());
        if !p.itens.is_empty() {
            let cliente = self
                .orders
                .get(&p.num_pedido)
                .and_then(|o| o.raz_social_red.as_deref());
            let expedicao = self.expedicao(&p.num_pedido, Some(resumo));
            for item in &p.itens {
                let it = serde_json::to_value(item).unwrap_or(Value::Null);
                rows.push(vec![
                    Cell::Text(p.num_pedido.clone()),
                    text(cliente),
                    expedicao.clone(),
                    str_of(&it["cod_produto"]),
                    str_of(&it["nome_produto"]),
                    qty_of(&it["qtd_saldo"]),
                    qty_of(&it["ruptura_qtd"]),
                    if it["qtd_agora"].is_null() {
                        qty_of(&it["qtd_disponivel"])
                    } else {
                        qty_of(&it["qtd_agora"])
                    },
                    qty_of(&it["estoque_atual"]),
                    qty_of(&it["estoque_min_d7"]),
                    date_of(&it["data_producao"]),
                    qty_of(&it["qtd_producao"]),
                    date_of(&it["data_disponivel"]),
                    money_of(&it["valor_total"]),
                ]);
            }
        }
        rows
    }
}

/// Rows past this one do not change the columns' widths: a reader sees the first screens of
/// rows, and the rows are not kept to measure them all.
const WIDTH_ROWS: u32 = 2_000;

/// Produtos: a row of SPEC 8.4 (as its JSON).
fn produto_row(p: &Value) -> Vec<Cell> {
    let codigos = p["codigos"]
        .as_array()
        .map(|c| {
            c.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    vec![
        str_of(&p["cod_produto"]),
        str_of(&p["nome_produto"]),
        text(Some(&codigos)),
        int_of(&p["pedidos"]),
        int_of(&p["linhas"]),
        qty_of(&p["qtd_falta"]),
        money_of(&p["valor_linhas"]),
        money_of(&p["valor_pedidos"]),
        int_of(&p["pedidos_destravados"]),
        money_of(&p["valor_destravado"]),
        qty_of(&p["estoque_atual"]),
        qty_of(&p["menor_estoque"]),
        date_of(&p["data_producao"]),
        qty_of(&p["qtd_producao"]),
    ]
}

/// Writes `cell` at (`r`, `c`): text, or a real number or date with its format.
fn write_cell(
    ws: &mut Worksheet,
    r: u32,
    c: u16,
    cell: &Cell,
    formats: &Formats,
) -> Result<(), ExportError> {
    match cell {
        Cell::Text(s) => {
            ws.write_string(r, c, s)?;
        }
        Cell::Money(v) => {
            ws.write_number_with_format(r, c, *v, &formats.money)?;
        }
        Cell::Qty(v) => {
            ws.write_number_with_format(r, c, *v, &formats.qty)?;
        }
        Cell::Int(v) => {
            ws.write_number(r, c, *v as f64)?;
        }
        Cell::Date(d) => {
            let dt = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
            ws.write_datetime_with_format(r, c, &dt, &formats.date)?;
        }
        Cell::Empty => {}
    }
    Ok(())
}

/// About the width in pixels Excel gives `cell` in its default font (7 pixels a character,
/// as rust_xlsxwriter's autofit counts them, plus the cell's margin).
fn pixel_width(cell: &Cell) -> u32 {
    let chars = match cell {
        Cell::Text(s) => s.chars().count(),
        // "1.234.567,89": the digits, a separator every three, the decimals.
        Cell::Money(v) => digits(*v) + digits(*v) / 3 + 3,
        Cell::Qty(v) => digits(*v) + digits(*v) / 3 + 4,
        Cell::Int(v) => v.to_string().len(),
        Cell::Date(_) => 10,
        Cell::Empty => 0,
    };
    if chars == 0 {
        0
    } else {
        (chars as u32 * 7 + 7).min(MAX_WIDTH_PIXELS)
    }
}

/// Digits of the integer part of `v`, with its sign.
fn digits(v: f64) -> usize {
    format!("{:.0}", v.trunc()).len()
}

/// No column wider than this (pixels): long names stay readable without filling the screen.
const MAX_WIDTH_PIXELS: u32 = 400;

impl Streamed {
    /// A low-memory worksheet named `name`, with its header row.
    fn start(
        wb: &mut Workbook,
        name: &str,
        headers: &[&str],
        formats: &Formats,
    ) -> Result<Self, ExportError> {
        let index = wb.worksheets().len();
        let ws = wb.add_worksheet_with_low_memory()?;
        ws.set_name(name)?;
        let mut widths = Vec::with_capacity(headers.len());
        for (c, h) in headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, *h, &formats.header)?;
            // The header has the filter's button beside it.
            widths.push(h.chars().count() as u32 * 7 + 7 + 16);
        }
        Ok(Self {
            index,
            columns: headers.len() as u16,
            rows: 0,
            widths,
        })
    }

    /// Writes `row` after the rows written so far.
    fn write(
        &mut self,
        wb: &mut Workbook,
        row: &[Cell],
        formats: &Formats,
    ) -> Result<(), ExportError> {
        let ws = wb.worksheet_from_index(self.index)?;
        self.rows += 1;
        for (c, cell) in row.iter().enumerate() {
            write_cell(ws, self.rows, c as u16, cell, formats)?;
            if self.rows <= WIDTH_ROWS {
                if let Some(w) = self.widths.get_mut(c) {
                    *w = (*w).max(pixel_width(cell));
                }
            }
        }
        Ok(())
    }

    /// The header frozen, the filter over the rows written, the columns' widths.
    fn end(self, wb: &mut Workbook) -> Result<(), ExportError> {
        let ws = wb.worksheet_from_index(self.index)?;
        ws.set_freeze_panes(1, 0)?;
        if self.rows > 0 {
            ws.autofilter(0, 0, self.rows, self.columns - 1)?;
        }
        for (c, w) in self.widths.iter().enumerate() {
            ws.set_column_width_pixels(c as u16, *w)?;
        }
        Ok(())
    }
}

/// A cell in Brazilian spelling.
pub fn brazilian(cell: &Cell) -> String {
    match cell {
        Cell::Text(s) => s.clone(),
        Cell::Money(v) => decimal_comma(*v, 2, 2),
        Cell::Qty(v) => decimal_comma(*v, 0, 3),
        Cell::Int(v) => v.to_string(),
        Cell::Date(d) => d.format("%d/%m/%Y").to_string(),
        Cell::Empty => String::new(),
    }
}

/// `1234.5` with 2..2 places -> `1234,50`; with 0..3 places -> `1234,5`. No thousands separator,
/// which Excel in Portuguese reads as a number either way.
fn decimal_comma(v: f64, min_places: usize, max_places: usize) -> String {
    let d = rust_decimal::Decimal::from_f64_retain(v)
        .map(|d| ruptura_engine::round_half_away(d, max_places as u32))
        .and_then(|d| d.to_f64())
        .unwrap_or(v);
    let mut s = format!("{d:.max_places$}");
    if s.contains('.') {
        while s.ends_with('0') && s.len() - s.find('.').unwrap_or(0) - 1 > min_places {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    if s == "-0" {
        s = "0".into();
    }
    s.replace('.', ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streamed_sheets_take_the_width_of_their_longest_early_cells() {
        let client = "Distribuidora de Alimentos do Vale do Paraíba Ltda";
        let summary = |num: &str| OrderSummary {
            num_pedido: num.to_string(),
            raz_social_red: Some(client.to_string()),
            cnpj_cpf: None,
            nome_cidade: None,
            cod_uf: Some("SP".into()),
            vendedor: None,
            equipe_vendas: None,
            data_pedido: None,
            expedicao: None,
            agendamento: None,
            valor_total: rust_decimal::Decimal::ZERO,
            linhas: 1,
        };
        let orders = HashMap::from([("P1".to_string(), summary("P1"))]);
        let mut sheets = Sheets::new(orders, true).expect("workbook");
        let results = [Resultado::erro("P1", "x"), Resultado::erro("P2", "x")];
        sheets.add(&results).expect("rows");
        let Out::Xlsx(book) = &sheets.out else {
            panic!("a workbook")
        };
        assert_eq!(book.pedidos.rows, 2);
        assert_eq!(book.itens.rows, 0, "an error has no short lines");
        let width =
            |header: &str| book.pedidos.widths[PEDIDOS.iter().position(|h| *h == header).unwrap()];
        assert_eq!(width("cliente"), client.chars().count() as u32 * 7 + 7);
        // A short value keeps its header's width (with the filter's button).
        assert_eq!(width("uf"), 2 * 7 + 7 + 16);
        let mut bytes = Vec::new();
        sheets.finish(&[], &mut bytes).expect("written");
        assert!(bytes.starts_with(b"PK"), "a zip");

        // The CSV: BOM, header, one row per result.
        let mut csv = Sheets::new(HashMap::new(), false).expect("csv");
        csv.add(&results).expect("rows");
        let mut bytes = Vec::new();
        csv.finish(&[], &mut bytes).expect("written");
        let text = String::from_utf8(bytes).expect("utf-8");
        let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(lines[2].starts_with("P2;"), "{}", lines[2]);
        assert!(lines[2].contains(";ERRO;"), "{}", lines[2]);
    }

    #[test]
    fn numbers_are_spelled_with_a_decimal_comma() {
        assert_eq!(decimal_comma(1234.5, 2, 2), "1234,50");
        assert_eq!(decimal_comma(0.0, 2, 2), "0,00");
        assert_eq!(decimal_comma(-7.125, 2, 2), "-7,13");
        assert_eq!(decimal_comma(12.0, 0, 3), "12");
        assert_eq!(decimal_comma(12.5, 0, 3), "12,5");
        assert_eq!(decimal_comma(0.001, 0, 3), "0,001");
        assert_eq!(
            brazilian(&Cell::Date(NaiveDate::from_ymd_opt(2026, 3, 5).unwrap())),
            "05/03/2026"
        );
    }
}
