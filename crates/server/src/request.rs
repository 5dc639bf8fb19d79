//! Parsing and checking of analysis requests. Bodies are read as JSON values and checked field by
//! field, so each kind of bad input gets its own clear message (SPEC 3.1).

use std::collections::HashSet;

use axum::body::Bytes;
use chrono::NaiveDate;
use ruptura_app::wire::Modo;
use ruptura_app::Settings;
use ruptura_engine::{Mode, Params};
use rust_decimal::Decimal;
use ruptura_store::OrderFilter;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::error::ApiError;

/// A batch analysis (`analisar-lote-async`).
/// (Documentation of the body for OpenAPI; the body itself is checked field by field in [`parse`].)
#[derive(Debug, ToSchema)]
pub struct LoteRequest {
    /// Order numbers (duplicates are analysed once).
    pub pedidos: Vec<String>,
    /// Orders per batch, 1..=1000 (default `BATCH_SIZE`).
    pub tamanho_lote: Option<u32>,
    /// Batches analysed at once, 1..=64 (default `MAX_WORKERS`).
    pub max_workers: Option<u32>,
    /// Reference date D0, YYYY-MM-DD (default: today in `RUPTURA_TZ`).
    pub data_base: Option<String>,
    /// `independente` (default), `sequencial` or `prioridade`.
    pub modo: Option<Modo>,
    /// Least value (R$) that can ship now for `sugestao = parcial` (default
    /// `PARCIAL_MINIMO_VALOR`).
    pub parcial_minimo_valor: Option<f64>,
    /// Least percent of the order's value that can ship now (default `PARCIAL_MINIMO_PCT`).
    pub parcial_minimo_pct: Option<f64>,
}

/// Filters of the order book.
/// (Documentation of the body for OpenAPI; the body itself is checked field by field in [`parse`].)
#[derive(Debug, ToSchema)]
pub struct Filtros {
    pub vendedor: Option<String>,
    pub equipe_vendas: Option<String>,
    /// UF.
    pub estado: Option<String>,
    /// Free text: order, client, CNPJ, city, product.
    pub busca: Option<String>,
}

/// A job: either `pedidos` or `filtros` (neither: the whole book), plus the options of a batch.
/// (Documentation of the body for OpenAPI; the body itself is checked field by field in [`parse`].)
#[derive(Debug, ToSchema)]
pub struct JobRequest {
    pub pedidos: Option<Vec<String>>,
    pub filtros: Option<Filtros>,
    pub tamanho_lote: Option<u32>,
    pub max_workers: Option<u32>,
    pub data_base: Option<String>,
    pub modo: Option<Modo>,
    pub parcial_minimo_valor: Option<f64>,
    pub parcial_minimo_pct: Option<f64>,
}

/// What an analysis request asks for, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisRequest {
    /// The orders named (deduplicated, in the order given), or `None` for a filtered book.
    pub orders: Option<Vec<String>>,
    pub filter: OrderFilter,
    pub batch_size: usize,
    pub max_workers: usize,
    pub data_base: Option<NaiveDate>,
    pub mode: Mode,
    /// `parcial_minimo_valor`, when given.
    pub partial_min_value: Option<Decimal>,
    /// `parcial_minimo_pct`, when given.
    pub partial_min_pct: Option<Decimal>,
}

impl AnalysisRequest {
    /// The engine parameters: the settings, overridden by what the request names.
    pub fn params(&self, settings: &Settings) -> Params {
        let p = settings.params(self.data_base, self.mode);
        let (value, pct) = (p.partial_min_value, p.partial_min_pct);
        p.with_partial_minimum(
            self.partial_min_value.unwrap_or(value),
            self.partial_min_pct.unwrap_or(pct),
        )
    }
}

/// Which order sources a route accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `pedidos` is required.
    Orders,
    /// `pedidos`, or `filtros`, or neither (the whole book).
    OrdersOrFilter,
    /// `filtros` only (or none).
    Filter,
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::BadRequest(msg.into())
}

/// Parses a request body. `max_orders` is `MAX_PEDIDOS_POR_REQUISICAO`.
pub fn parse(
    body: &Bytes,
    source: Source,
    settings: &Settings,
    max_orders: usize,
) -> Result<AnalysisRequest, ApiError> {
    let value: Value = if body.iter().all(u8::is_ascii_whitespace) && source != Source::Orders {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(body)
            .map_err(|e| bad(format!("o corpo não é um JSON válido: {e}")))?
    };
    let Value::Object(obj) = value else {
        return Err(bad(
            "o corpo deve ser um objeto JSON, por exemplo {\"pedidos\": [\"P1\"]}",
        ));
    };

    let orders = match (obj.get("pedidos"), source) {
        (None | Some(Value::Null), Source::Orders) => {
            return Err(bad("o campo \"pedidos\" é obrigatório"))
        }
        (None | Some(Value::Null), _) => None,
        (Some(_), Source::Filter) => {
            return Err(bad("esta rota aceita \"filtros\", não \"pedidos\""))
        }
        (Some(v), _) => Some(order_list(v, max_orders, source)?),
    };
    let filter = match obj.get("filtros") {
        None | Some(Value::Null) => OrderFilter::default(),
        Some(_) if source == Source::Orders => {
            return Err(bad("esta rota aceita \"pedidos\", não \"filtros\""))
        }
        Some(_) if orders.is_some() => {
            return Err(bad("envie \"pedidos\" ou \"filtros\", não os dois"))
        }
        Some(Value::Object(f)) => filters(f)?,
        Some(_) => return Err(bad("\"filtros\" deve ser um objeto")),
    };
    let batch_size = int_in(&obj, "tamanho_lote", 1, 1000)?.unwrap_or(settings.batch_size);
    let max_workers = int_in(&obj, "max_workers", 1, 64)?.unwrap_or(settings.max_workers);
    let data_base = match obj.get("data_base") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(parse_date(s)?),
        Some(_) => return Err(bad("\"data_base\" deve ser uma data AAAA-MM-DD")),
    };
    let mode = match obj.get("modo") {
        None | Some(Value::Null) => Mode::Independent,
        Some(Value::String(s)) => s.parse::<Mode>().map_err(|e| bad(e.to_string()))?,
        Some(_) => {
            return Err(bad(
                "\"modo\" deve ser \"independente\", \"sequencial\" ou \"prioridade\"",
            ))
        }
    };
    let partial_min_value = minimum(&obj, "parcial_minimo_valor")?;
    let partial_min_pct = minimum(&obj, "parcial_minimo_pct")?;
    Ok(AnalysisRequest {
        orders,
        filter,
        batch_size,
        max_workers,
        data_base,
        mode,
        partial_min_value,
        partial_min_pct,
    })
}

/// A partial-shipment minimum: a number (or numeric text) >= 0.
fn minimum(obj: &Map<String, Value>, name: &str) -> Result<Option<Decimal>, ApiError> {
    let text = match obj.get(name) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(v) => {
            return Err(bad(format!(
                "\"{name}\" deve ser um número maior ou igual a 0, não {v}"
            )))
        }
    };
    ruptura_app::settings::parse_minimum(&text)
        .map(Some)
        .map_err(|e| bad(format!("\"{name}\": {e}")))
}

pub fn parse_date(s: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| bad(format!("\"data_base\" inválida {s:?}: use AAAA-MM-DD")))
}

fn order_list(v: &Value, max_orders: usize, source: Source) -> Result<Vec<String>, ApiError> {
    let Value::Array(items) = v else {
        return Err(bad(
            "\"pedidos\" deve ser uma lista de números de pedido (texto)",
        ));
    };
    if items.is_empty() {
        return Err(bad("\"pedidos\" está vazio"));
    }
    let mut seen = HashSet::with_capacity(items.len());
    let mut orders = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let Value::String(s) = item else {
            return Err(bad(format!("pedidos[{i}] não é texto: {item}")));
        };
        let s = s.trim();
        if s.is_empty() {
            return Err(bad(format!("pedidos[{i}] está vazio")));
        }
        if seen.insert(s.to_string()) {
            orders.push(s.to_string());
        }
    }
    if orders.len() > max_orders {
        let hint = if source == Source::Orders {
            " (MAX_PEDIDOS_POR_REQUISICAO): para mais, use /api/ruptura/jobs"
        } else {
            " num job"
        };
        return Err(bad(format!(
            "{} pedidos numa requisição; o máximo é {max_orders}{hint}",
            orders.len()
        )));
    }
    Ok(orders)
}

fn filters(f: &Map<String, Value>) -> Result<OrderFilter, ApiError> {
    let text = |name: &str| -> Result<Option<String>, ApiError> {
        match f.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(bad(format!("filtros.{name} deve ser texto"))),
        }
    };
    for key in f.keys() {
        if !matches!(
            key.as_str(),
            "vendedor" | "equipe_vendas" | "estado" | "busca"
        ) {
            return Err(bad(format!(
                "filtro desconhecido {key:?}: use vendedor, equipe_vendas, estado ou busca"
            )));
        }
    }
    Ok(OrderFilter {
        vendedor: text("vendedor")?,
        equipe_vendas: text("equipe_vendas")?,
        estado: text("estado")?,
        busca: text("busca")?,
    }
    .normalized())
}

fn int_in(
    obj: &Map<String, Value>,
    name: &str,
    lo: u64,
    hi: u64,
) -> Result<Option<usize>, ApiError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_u64() {
            Some(v) if (lo..=hi).contains(&v) => Ok(Some(v as usize)),
            _ => Err(bad(format!(
                "\"{name}\" deve ser um inteiro de {lo} a {hi}"
            ))),
        },
        Some(_) => Err(bad(format!(
            "\"{name}\" deve ser um inteiro de {lo} a {hi}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(body: &str, source: Source) -> Result<AnalysisRequest, ApiError> {
        parse(
            &Bytes::from(body.to_string()),
            source,
            &Settings::default(),
            3,
        )
    }

    #[test]
    fn accepts_the_seed_request() {
        let r = p(
            r#"{"pedidos": ["P1", "P2", "P1"], "tamanho_lote": 20, "max_workers": 5}"#,
            Source::Orders,
        )
        .unwrap();
        assert_eq!(r.orders, Some(vec!["P1".to_string(), "P2".to_string()]));
        assert_eq!(
            (r.batch_size, r.max_workers, r.mode),
            (20, 5, Mode::Independent)
        );
    }

    #[test]
    fn rejects_each_bad_input() {
        for body in [
            "not json",
            "[1]",
            "{}",
            r#"{"pedidos": []}"#,
            r#"{"pedidos": "P1"}"#,
            r#"{"pedidos": [1]}"#,
            r#"{"pedidos": [""]}"#,
            r#"{"pedidos": ["a","b","c","d"]}"#,
            r#"{"pedidos": ["a"], "tamanho_lote": 0}"#,
            r#"{"pedidos": ["a"], "tamanho_lote": 1001}"#,
            r#"{"pedidos": ["a"], "max_workers": 65}"#,
            r#"{"pedidos": ["a"], "max_workers": 2.5}"#,
            r#"{"pedidos": ["a"], "data_base": "2026-02-31"}"#,
            r#"{"pedidos": ["a"], "modo": "turbo"}"#,
            r#"{"pedidos": ["a"], "modo": 1}"#,
            r#"{"pedidos": ["a"], "parcial_minimo_valor": -1}"#,
            r#"{"pedidos": ["a"], "parcial_minimo_pct": "muito"}"#,
            r#"{"pedidos": ["a"], "parcial_minimo_pct": [50]}"#,
        ] {
            assert!(
                matches!(p(body, Source::Orders), Err(ApiError::BadRequest(_))),
                "{body}"
            );
        }
    }

    #[test]
    fn takes_priority_mode_and_minimums() {
        let r = p(
            r#"{"pedidos": ["a"], "modo": "prioridade", "parcial_minimo_valor": 150.5, "parcial_minimo_pct": "12,5"}"#,
            Source::Orders,
        )
        .unwrap();
        assert_eq!(r.mode, Mode::Priority);
        let params = r.params(&Settings::default());
        assert_eq!(params.partial_min_value, Decimal::new(1505, 1));
        assert_eq!(params.partial_min_pct, Decimal::new(125, 1));
        let r = p(r#"{"pedidos": ["a"]}"#, Source::Orders).unwrap();
        assert_eq!(r.mode, Mode::Independent);
        assert_eq!(r.params(&Settings::default()).partial_min_pct, Decimal::ZERO);
    }

    #[test]
    fn jobs_take_filters_or_nothing() {
        let r = p(
            r#"{"filtros": {"vendedor": " Ana ", "busca": ""}}"#,
            Source::OrdersOrFilter,
        )
        .unwrap();
        assert_eq!(r.orders, None);
        assert_eq!(r.filter.vendedor.as_deref(), Some("Ana"));
        assert_eq!(r.filter.busca, None);
        assert!(p("", Source::OrdersOrFilter).unwrap().filter.is_empty());
        assert!(p(r#"{"filtros": {"cor": "azul"}}"#, Source::OrdersOrFilter).is_err());
        assert!(p(
            r#"{"pedidos": ["a"], "filtros": {}}"#,
            Source::OrdersOrFilter
        )
        .is_err());
    }
}
