//! Parsing and checking of analysis requests. Bodies are read as JSON values and checked field by
//! field, so each kind of bad input gets its own clear message (SPEC 3.1).

use std::collections::HashSet;

use axum::body::Bytes;
use chrono::NaiveDate;
use ruptura_app::wire::Modo;
use ruptura_app::{RunOptions, Settings};
use ruptura_engine::{Mode, Params};
use ruptura_store::OrderFilter;
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::error::ApiError;

// The request bodies below document the API (OpenAPI); the bodies themselves are read as JSON
// values and checked field by field in `parse`, so that each bad input gets its own message.
// Their limits are the ones `parse` enforces (a test sends each bound and one past it).

/// Análise de uma lista de pedidos em lotes (`analisar-lote-async`).
#[derive(Debug, ToSchema)]
#[schema(example = json!({"pedidos": ["P1", "P2"], "tamanho_lote": 20, "max_workers": 5,
    "data_base": "2026-03-02", "modo": "independente"}))]
pub struct LoteRequest {
    /// Números dos pedidos (repetidos são analisados uma vez); no máximo
    /// `MAX_PEDIDOS_POR_REQUISICAO` (20000 por padrão).
    #[schema(min_items = 1, max_items = 20000)]
    pub pedidos: Vec<NumPedido>,
    #[serde(flatten)]
    #[schema(inline)]
    pub opcoes: OpcoesAnalise,
}

/// The options every analysis request takes besides its orders (`LoteRequest`, `JobRequest`,
/// `TodosRequest`): flattened into each, so the wire has them side by side with `pedidos` and
/// `filtros`. Their descriptions are the API's (Portuguese); `parse` reads and checks them.
#[derive(Debug, ToSchema)]
pub struct OpcoesAnalise {
    /// Pedidos por lote (padrão `BATCH_SIZE`, 20).
    #[schema(minimum = 1, maximum = 1000, example = 20)]
    pub tamanho_lote: Option<u32>,
    /// Lotes analisados ao mesmo tempo (padrão `MAX_WORKERS`, 5).
    #[schema(minimum = 1, maximum = 64, example = 5)]
    pub max_workers: Option<u32>,
    /// Data de referência D0, AAAA-MM-DD (padrão: hoje no fuso `RUPTURA_TZ`).
    #[schema(value_type = Option<String>, format = Date, example = "2026-03-02")]
    pub data_base: Option<String>,
    pub modo: Option<Modo>,
    /// Menor valor (R$) que pode sair agora para `sugestao = parcial` (padrão
    /// `PARCIAL_MINIMO_VALOR`).
    #[schema(minimum = 0, example = 0)]
    pub parcial_minimo_valor: Option<f64>,
    /// Menor percentual do valor do pedido que pode sair agora para `sugestao = parcial`
    /// (padrão `PARCIAL_MINIMO_PCT`).
    #[schema(minimum = 0, example = 0)]
    pub parcial_minimo_pct: Option<f64>,
}

/// Número de um pedido: texto não vazio.
#[derive(Debug, ToSchema)]
#[schema(value_type = String, pattern = "\\S", example = "P1")]
pub struct NumPedido(pub String);

/// Filtros da carteira (campos vazios não filtram).
#[derive(Debug, ToSchema)]
#[schema(example = json!({"vendedor": "Vendedor 1", "estado": "SP"}))]
pub struct Filtros {
    /// Vendedor, exato.
    pub vendedor: Option<String>,
    /// Equipe de vendas, exata.
    pub equipe_vendas: Option<String>,
    /// UF.
    #[schema(example = "SP")]
    pub estado: Option<String>,
    /// Texto livre: pedido, cliente, CNPJ, cidade, produto.
    pub busca: Option<String>,
    /// Ship date (the order's earliest `expedicao`) on or after this day, AAAA-MM-DD.
    pub expedicao_de: Option<String>,
    /// Ship date on or before this day, AAAA-MM-DD.
    pub expedicao_ate: Option<String>,
}

/// A range of ship dates (an order's earliest `expedicao`), either end open. With either end
/// set, orders without a ship date are left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ShipRange {
    pub de: Option<NaiveDate>,
    pub ate: Option<NaiveDate>,
}

impl ShipRange {
    /// Checks the ends (`de` after `ate` is an error).
    pub fn new(de: Option<NaiveDate>, ate: Option<NaiveDate>) -> Result<Self, ApiError> {
        if let (Some(d), Some(a)) = (de, ate) {
            if d > a {
                return Err(bad(format!(
                    "expedicao_de ({d}) é depois de expedicao_ate ({a})"
                )));
            }
        }
        Ok(Self { de, ate })
    }

    /// Parses the two ends as given in a query string or a body (blank: open).
    pub fn parse(de: Option<&str>, ate: Option<&str>) -> Result<Self, ApiError> {
        let day = |name: &str, v: Option<&str>| -> Result<Option<NaiveDate>, ApiError> {
            match v.map(str::trim).filter(|s| !s.is_empty()) {
                None => Ok(None),
                Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| bad(format!("{name} inválida {s:?}: use AAAA-MM-DD"))),
            }
        };
        Self::new(day("expedicao_de", de)?, day("expedicao_ate", ate)?)
    }

    pub fn is_empty(&self) -> bool {
        self.de.is_none() && self.ate.is_none()
    }

    /// Whether an order with this ship date is in the range.
    pub fn contains(&self, expedicao: Option<NaiveDate>) -> bool {
        if self.is_empty() {
            return true;
        }
        expedicao.is_some_and(|d| {
            self.de.is_none_or(|de| d >= de) && self.ate.is_none_or(|ate| d <= ate)
        })
    }
}

/// Um job: `pedidos` ou `filtros` (nenhum dos dois: a carteira inteira), mais as opções de um
/// lote.
#[derive(Debug, ToSchema)]
#[schema(example = json!({"pedidos": ["P1", "P2"], "tamanho_lote": 20, "max_workers": 5,
    "data_base": "2026-03-02", "modo": "independente"}))]
pub struct JobRequest {
    /// Números dos pedidos (no máximo 200000); sem `pedidos` nem `filtros`, a carteira inteira.
    #[schema(min_items = 1, max_items = 200000)]
    pub pedidos: Option<Vec<NumPedido>>,
    pub filtros: Option<Filtros>,
    #[serde(flatten)]
    #[schema(inline)]
    pub opcoes: OpcoesAnalise,
}

/// "Analisar tudo" do sistema antigo: só `filtros` (nenhum: a carteira inteira).
#[derive(Debug, ToSchema)]
#[schema(example = json!({"filtros": {"vendedor": "Vendedor 1"}}))]
pub struct TodosRequest {
    pub filtros: Option<Filtros>,
    #[serde(flatten)]
    #[schema(inline)]
    pub opcoes: OpcoesAnalise,
}

/// What an analysis request asks for, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisRequest {
    /// The orders named (deduplicated, in the order given), or `None` for a filtered book.
    pub orders: Option<Vec<String>>,
    pub filter: OrderFilter,
    /// `filtros.expedicao_de` / `filtros.expedicao_ate`.
    pub ship: ShipRange,
    pub batch_size: usize,
    pub max_workers: usize,
    pub data_base: Option<NaiveDate>,
    pub mode: Mode,
    /// `parcial_minimo_valor`, when given.
    pub partial_min_value: Option<Decimal>,
    /// `parcial_minimo_pct`, when given.
    pub partial_min_pct: Option<Decimal>,
    /// `registrar` (default true): a whole-book job is recorded as a run (SPEC 8.5) unless
    /// this is false (the page's own totals job, which would otherwise push the planner's runs
    /// out of the kept history on every page load).
    pub record: bool,
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

    /// The batching the request asks for (`json`: see [`RunOptions::json`]).
    pub fn run_options(&self, json: bool) -> RunOptions {
        RunOptions {
            batch_size: self.batch_size,
            max_workers: self.max_workers,
            json,
        }
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

/// Rejects text holding a NUL or another control character (PostgreSQL refuses NUL in text,
/// and none belongs in an order number, a filter or a search).
pub fn check_text(field: &str, value: &str) -> Result<(), ApiError> {
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(bad(format!(
            "{field} contém caractere de controle (por exemplo NUL): não permitido"
        )));
    }
    Ok(())
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
    let (filter, ship) = match obj.get("filtros") {
        None | Some(Value::Null) => (OrderFilter::default(), ShipRange::default()),
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
    let record = match obj.get("registrar") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("\"registrar\" deve ser true ou false")),
    };
    Ok(AnalysisRequest {
        orders,
        filter,
        ship,
        batch_size,
        max_workers,
        data_base,
        mode,
        partial_min_value,
        partial_min_pct,
        record,
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
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| bad(format!("\"data_base\" inválida {s:?}: use AAAA-MM-DD")))?;
    ruptura_app::settings::check_date_range(d).map_err(|e| bad(format!("\"data_base\": {e}")))
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
        check_text(&format!("pedidos[{i}]"), s)?;
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

fn filters(f: &Map<String, Value>) -> Result<(OrderFilter, ShipRange), ApiError> {
    let text = |name: &str| -> Result<Option<String>, ApiError> {
        match f.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                check_text(&format!("filtros.{name}"), s)?;
                Ok(Some(s.clone()))
            }
            Some(_) => Err(bad(format!("filtros.{name} deve ser texto"))),
        }
    };
    for key in f.keys() {
        if !matches!(
            key.as_str(),
            "vendedor" | "equipe_vendas" | "estado" | "busca" | "expedicao_de" | "expedicao_ate"
        ) {
            return Err(bad(format!(
                "filtro desconhecido {key:?}: use vendedor, equipe_vendas, estado, busca, expedicao_de ou expedicao_ate"
            )));
        }
    }
    let ship = ShipRange::parse(
        text("expedicao_de")?.as_deref(),
        text("expedicao_ate")?.as_deref(),
    )?;
    let filter = OrderFilter {
        vendedor: text("vendedor")?,
        equipe_vendas: text("equipe_vendas")?,
        estado: text("estado")?,
        busca: text("busca")?,
    }
    .normalized();
    Ok((filter, ship))
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
            r#"{"pedidos": ["a"], "data_base": "0000-01-01"}"#,
            r#"{"pedidos": ["a"], "data_base": "-0001-12-31"}"#,
            r#"{"pedidos": ["a"], "data_base": "+262142-12-31"}"#,
            r#"{"pedidos": ["a"], "data_base": "1999-12-31"}"#,
            r#"{"pedidos": ["a"], "data_base": "2101-01-01"}"#,
            r#"{"pedidos": ["a\u0000"]}"#,
            r#"{"pedidos": ["a"], "filtros": {"busca": "\u0000"}}"#,
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
        assert_eq!(
            r.params(&Settings::default()).partial_min_pct,
            Decimal::ZERO
        );
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
        let r = p(
            r#"{"filtros": {"expedicao_de": "2026-03-02", "expedicao_ate": ""}}"#,
            Source::OrdersOrFilter,
        )
        .unwrap();
        assert_eq!(r.ship.de, NaiveDate::from_ymd_opt(2026, 3, 2));
        assert_eq!(r.ship.ate, None);
        for bad_range in [
            r#"{"filtros": {"expedicao_de": "2026-03-09", "expedicao_ate": "2026-03-02"}}"#,
            r#"{"filtros": {"expedicao_ate": "02/03/2026"}}"#,
            r#"{"filtros": {"expedicao_de": 3}}"#,
        ] {
            assert!(
                matches!(
                    p(bad_range, Source::OrdersOrFilter),
                    Err(ApiError::BadRequest(_))
                ),
                "{bad_range}"
            );
        }
        assert!(p(
            r#"{"pedidos": ["a"], "filtros": {}}"#,
            Source::OrdersOrFilter
        )
        .is_err());
    }
}
