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
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use serde_json::Value;
use thiserror::Error;

use crate::wire::Resultado;

/// The list data (client, CNPJ, city, seller, team) of the orders of `results`, by order
/// number: what the exports show beside the figures.
pub async fn order_summaries(
    store: &dyn ruptura_store::Store,
    results: &[Resultado],
) -> Result<HashMap<String, OrderSummary>, ruptura_store::StoreError> {
    let wanted: std::collections::HashSet<&str> = results.iter().map(|r| r.num_pedido()).collect();
    let all = store
        .list_orders(&ruptura_store::OrderQuery::all(
            ruptura_store::OrderFilter::default(),
        ))
        .await?;
    Ok(all
        .orders
        .into_iter()
        .filter(|o| wanted.contains(o.num_pedido.as_str()))
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

/// A sheet: a name, headers and rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    pub name: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

/// What an export holds: every result of the analysis, the orders' list data, and the rows of
/// SPEC 8.4 (as their JSON).
pub struct Export<'a> {
    pub results: &'a [Resultado],
    pub orders: &'a HashMap<String, OrderSummary>,
    pub produtos: &'a [Value],
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

impl Export<'_> {
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

    /// Pedidos: one row per order.
    pub fn pedidos(&self) -> Sheet {
        let rows = self
            .results
            .iter()
            .map(|r| {
                let num = r.num_pedido();
                let mut row = vec![Cell::Text(num.to_string())];
                row.extend(self.order_cells(num));
                match r.analisado() {
                    Some(p) => {
                        let s = serde_json::to_value(&p.resumo).unwrap_or(Value::Null);
                        row.push(self.expedicao(num, Some(&s)));
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
            })
            .collect();
        Sheet {
            name: "Pedidos",
            headers: PEDIDOS.to_vec(),
            rows,
        }
    }

    /// Itens em falta: one row per short line, with its order's client and ship date.
    pub fn itens(&self) -> Sheet {
        let mut rows = Vec::new();
        for p in self.results.iter().filter_map(Resultado::analisado) {
            if p.itens.is_empty() {
                continue;
            }
            let resumo = serde_json::to_value(&p.resumo).unwrap_or(Value::Null);
            let cliente = self
                .orders
                .get(&p.num_pedido)
                .and_then(|o| o.raz_social_red.as_deref());
            let expedicao = self.expedicao(&p.num_pedido, Some(&resumo));
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
        Sheet {
            name: "Itens em falta",
            headers: ITENS.to_vec(),
            rows,
        }
    }

    /// Produtos: the rows of SPEC 8.4, ranked as given.
    pub fn produtos(&self) -> Sheet {
        let rows = self
            .produtos
            .iter()
            .map(|p| {
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
            })
            .collect();
        Sheet {
            name: "Produtos",
            headers: PRODUTOS.to_vec(),
            rows,
        }
    }

    /// The workbook: Pedidos, Itens em falta, Produtos.
    pub fn xlsx(&self) -> Result<Vec<u8>, ExportError> {
        let mut wb = Workbook::new();
        let header = Format::new().set_bold();
        let money = Format::new().set_num_format("#,##0.00");
        let qty = Format::new().set_num_format("#,##0.###");
        let date = Format::new().set_num_format("dd/mm/yyyy");
        for sheet in [self.pedidos(), self.itens(), self.produtos()] {
            let ws = wb.add_worksheet();
            ws.set_name(sheet.name)?;
            for (c, h) in sheet.headers.iter().enumerate() {
                ws.write_string_with_format(0, c as u16, *h, &header)?;
            }
            for (r, row) in sheet.rows.iter().enumerate() {
                let r = r as u32 + 1;
                for (c, cell) in row.iter().enumerate() {
                    let c = c as u16;
                    match cell {
                        Cell::Text(s) => {
                            ws.write_string(r, c, s)?;
                        }
                        Cell::Money(v) => {
                            ws.write_number_with_format(r, c, *v, &money)?;
                        }
                        Cell::Qty(v) => {
                            ws.write_number_with_format(r, c, *v, &qty)?;
                        }
                        Cell::Int(v) => {
                            ws.write_number(r, c, *v as f64)?;
                        }
                        Cell::Date(d) => {
                            let dt = ExcelDateTime::from_ymd(
                                d.year() as u16,
                                d.month() as u8,
                                d.day() as u8,
                            )?;
                            ws.write_datetime_with_format(r, c, &dt, &date)?;
                        }
                        Cell::Empty => {}
                    }
                }
            }
            ws.set_freeze_panes(1, 0)?;
            if !sheet.rows.is_empty() {
                ws.autofilter(
                    0,
                    0,
                    sheet.rows.len() as u32,
                    sheet.headers.len() as u16 - 1,
                )?;
            }
            ws.autofit();
        }
        Ok(wb.save_to_buffer()?)
    }

    /// The Pedidos sheet as Brazilian CSV: UTF-8 with BOM, `;`, decimal comma, dd/mm/aaaa.
    pub fn csv(&self, out: &mut dyn Write) -> Result<(), ExportError> {
        out.write_all("\u{feff}".as_bytes())?;
        let sheet = self.pedidos();
        let mut w = csv::WriterBuilder::new()
            .delimiter(b';')
            .terminator(csv::Terminator::CRLF)
            .from_writer(out);
        w.write_record(&sheet.headers)?;
        for row in &sheet.rows {
            w.write_record(row.iter().map(brazilian))?;
        }
        w.flush()?;
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
