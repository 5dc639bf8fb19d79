//! The order-book page (`/carteira`) with its assets embedded in the binary, and the JSON the
//! page lists orders from. `ServerConfig::web_dir` serves the files from disk instead, for
//! working on the page without rebuilding.

use std::collections::{HashMap, HashSet};

use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use ruptura_app::wire::Rotulo;
use ruptura_store::{OrderFilter, OrderQuery, OrderSort, OrderSummary};
use rust_embed::RustEmbed;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use crate::jobs::OrderFacts;
use crate::request::ShipRange;
use crate::{AppState, ServerConfig};

#[derive(RustEmbed)]
#[folder = "../../web/"]
struct Assets;

/// `/carteira` and its assets.
pub fn page_routes(config: &ServerConfig) -> Router<AppState> {
    let _ = config;
    Router::new()
        .route("/", get(|| async { Redirect::temporary("/carteira") }))
        .route("/carteira", get(index))
        .route("/carteira/", get(index))
        .route("/static/{*path}", get(asset))
}

/// JSON the page reads.
pub fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/api/carteira/pedidos", get(pedidos))
        .route("/api/carteira/filtros", get(filtros))
}

async fn index(State(state): State<AppState>) -> Response {
    serve_file(&state, "index.html")
}

async fn asset(State(state): State<AppState>, Path(path): Path<String>) -> Response {
    serve_file(&state, &path)
}

/// The content type of a page file, from its extension (text in UTF-8).
fn content_type(path: &str) -> HeaderValue {
    let mime = mime_guess::from_path(path).first_or_octet_stream();
    let value = if mime.type_() == mime_guess::mime::TEXT {
        format!("{}; charset=utf-8", mime.essence_str())
    } else {
        mime.essence_str().to_string()
    };
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static("application/octet-stream"))
}

/// Reads `path` from `dir` only when it names a file inside `dir`: plain relative components
/// only (no root, no `..`, no drive prefix), and the resolved file (symbolic links followed)
/// still under the resolved folder.
fn read_inside(dir: &std::path::Path, path: &str) -> Option<Vec<u8>> {
    use std::path::Component;
    if path.is_empty() || path.contains(['\\', '\0']) {
        return None;
    }
    let rel = std::path::Path::new(path);
    if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    let root = dir.canonicalize().ok()?;
    let file = root.join(rel).canonicalize().ok()?;
    if !file.starts_with(&root) || !file.is_file() {
        return None;
    }
    std::fs::read(file).ok()
}

fn serve_file(state: &AppState, path: &str) -> Response {
    if path
        .split('/')
        .any(|part| part == ".." || part.starts_with('.'))
    {
        return StatusCode::NOT_FOUND.into_response();
    }
    let bytes: Option<Vec<u8>> = match &state.config.web_dir {
        Some(dir) => read_inside(dir, path),
        None => Assets::get(path).map(|f| f.data.into_owned()),
    };
    match bytes {
        Some(body) => {
            let mut r = body.into_response();
            r.headers_mut().insert(CONTENT_TYPE, content_type(path));
            r.headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            r.headers_mut().insert(
                "content-security-policy",
                HeaderValue::from_static(
                    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'",
                ),
            );
            r
        }
        None => (StatusCode::NOT_FOUND, "não encontrado").into_response(),
    }
}

/// Filters, sorting and paging of the order list (described in Portuguese for the API docs).
#[derive(Debug, Deserialize, IntoParams)]
pub struct PedidosQuery {
    /// Só pedidos deste vendedor.
    vendedor: Option<String>,
    /// Só pedidos desta equipe de vendas.
    equipe_vendas: Option<String>,
    /// Só pedidos para esta UF.
    #[param(example = "SP")]
    estado: Option<String>,
    /// Texto livre: pedido, cliente, CNPJ, cidade, produto.
    busca: Option<String>,
    /// Ordenação (padrão num_pedido).
    #[param(value_type = Option<OrdemCarteira>)]
    ordem: Option<String>,
    /// Direção da ordenação (padrão asc).
    #[param(value_type = Option<Direcao>)]
    direcao: Option<String>,
    /// Página, a partir de 1 (padrão 1).
    #[param(minimum = 1, example = 1)]
    pagina: Option<usize>,
    /// Pedidos por página (padrão 100).
    #[param(minimum = 1, maximum = 1000, example = 100)]
    por_pagina: Option<usize>,
    /// Só pedidos com estas criticidades (separadas por vírgula: OK, CRITICA, ALTA, MEDIA, BAIXA,
    /// ERRO) nos resultados do job `job_id`; exige `job_id`.
    #[param(example = "CRITICA,ALTA")]
    criticidade: Option<String>,
    /// O job (`POST /api/ruptura/jobs`) de cujos resultados vêm `criticidade`, `falta_produto`
    /// e as ordenações da análise; pedidos que o job não analisou ficam de fora.
    job_id: Option<String>,
    /// Ship date (the order's earliest `expedicao`) from this day, AAAA-MM-DD.
    expedicao_de: Option<String>,
    /// Ship date up to this day, AAAA-MM-DD.
    expedicao_ate: Option<String>,
    /// Keep only orders with a short line of one of these codes (comma-separated) in the
    /// results of job `job_id`: the orders a product blocks.
    falta_produto: Option<String>,
}

/// Ordenação da lista de pedidos: the store's sorts, then the analysis ones (which need
/// `job_id`), listed from the two parsers' own tables.
pub struct OrdemCarteira;

impl utoipa::PartialSchema for OrdemCarteira {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(sort_names()))
            .description(Some(
                "Ordenação. criticidade (CRITICA > ALTA > MEDIA > BAIXA > OK), valor_com_ruptura, \
                 data_pronto e dias_atraso exigem job_id.",
            ))
            .into()
    }
}

impl ToSchema for OrdemCarteira {}

/// Every sort of the order list by its wire name.
fn sort_names() -> impl Iterator<Item = &'static str> {
    OrderSort::NAMES
        .iter()
        .map(|(n, _)| *n)
        .chain(AnalysisSort::NAMES.iter().map(|(n, _)| *n))
}

/// Direção da ordenação.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Direcao {
    Asc,
    Desc,
}

/// Orders of the list that come from a job's results, sorted over the whole filtered book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AnalysisSort {
    /// CRITICA > ALTA > MEDIA > BAIXA > OK > not analysed.
    Criticidade,
    ValorComRuptura,
    /// The day the whole order can ship; no forecast counts as latest.
    DataPronto,
    /// Days late; unknown counts as least.
    DiasAtraso,
}

impl AnalysisSort {
    const NAMES: [(&'static str, AnalysisSort); 4] = [
        ("criticidade", Self::Criticidade),
        ("valor_com_ruptura", Self::ValorComRuptura),
        ("data_pronto", Self::DataPronto),
        ("dias_atraso", Self::DiasAtraso),
    ];

    fn parse(s: &str) -> Option<Self> {
        Self::NAMES.iter().find(|(n, _)| *n == s).map(|(_, v)| *v)
    }

    /// Ascending comparison of two orders' facts (an order without facts sorts first).
    fn compare(self, a: Option<&OrderFacts>, b: Option<&OrderFacts>) -> std::cmp::Ordering {
        match (a, b) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Less,
            (Some(_), None) => std::cmp::Ordering::Greater,
            (Some(a), Some(b)) => match self {
                Self::Criticidade => a
                    .severity()
                    .cmp(&b.severity())
                    .then(a.valor_com_ruptura.total_cmp(&b.valor_com_ruptura)),
                Self::ValorComRuptura => a.valor_com_ruptura.total_cmp(&b.valor_com_ruptura),
                // None (no forecast) after every date.
                Self::DataPronto => match (a.data_pronto, b.data_pronto) {
                    (None, None) => std::cmp::Ordering::Equal,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (Some(x), Some(y)) => x.cmp(&y),
                },
                Self::DiasAtraso => a.dias_atraso.cmp(&b.dias_atraso),
            },
        }
    }
}

/// The numbers of the orders matching `filter` whose ship date is in `ship`, in order number
/// order: what a job over a filtered book with a ship-date range analyses.
pub async fn orders_in_range(
    state: &AppState,
    filter: &OrderFilter,
    ship: &ShipRange,
) -> Result<Vec<String>, ApiError> {
    let all = state
        .store
        .list_orders(&OrderQuery::all(filter.clone()))
        .await?;
    Ok(all
        .orders
        .into_iter()
        .filter(|o| ship.contains(o.expedicao))
        .map(|o| o.num_pedido)
        .collect())
}

/// Largest page of the order list: a page is for reading on screen (thousands of rows cost
/// the browser hundreds of thousands of DOM nodes); whole-book work goes through jobs.
pub const MAX_POR_PAGINA: usize = 1000;

/// Parses `criticidade`: `None` when absent or blank (no filter).
fn parse_criticidades(raw: Option<&str>) -> Result<Option<Vec<&'static str>>, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<Rotulo>()
                .map(Rotulo::as_str)
                .map_err(ApiError::BadRequest)
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaginaCarteira {
    pub total: usize,
    pub pagina: usize,
    pub por_pagina: usize,
    /// The API's `PedidoCarteira` is the store's row as it stands.
    pub pedidos: Vec<OrderSummary>,
}

/// The open orders of the book, filtered, sorted and paged.
#[utoipa::path(get, path = "/api/carteira/pedidos", tag = "carteira", params(PedidosQuery),
    responses((status = 200, body = PaginaCarteira), (status = 400, body = crate::error::ErrorBody)))]
pub async fn pedidos(
    State(state): State<AppState>,
    Query(q): Query<PedidosQuery>,
) -> Result<Json<PaginaCarteira>, ApiError> {
    let (sort, analysis_sort) = sort_of(q.ordem.as_deref())?;
    let descending = descending_of(q.direcao.as_deref())?;
    let (pagina, por_pagina) = page_of(q.pagina, q.por_pagina)?;
    for (field, value) in [
        ("vendedor", &q.vendedor),
        ("equipe_vendas", &q.equipe_vendas),
        ("estado", &q.estado),
        ("busca", &q.busca),
        ("job_id", &q.job_id),
    ] {
        if let Some(v) = value {
            crate::request::check_text(field, v)?;
        }
    }
    let criticidades = parse_criticidades(q.criticidade.as_deref())?;
    let ship = ShipRange::parse(q.expedicao_de.as_deref(), q.expedicao_ate.as_deref())?;
    let falta = falta_codes(q.falta_produto.as_deref());
    // Criticality, the products short and the analysis orders come from a job's results, not
    // from the store.
    let needs_job = criticidades.is_some() || falta.is_some() || analysis_sort.is_some();
    let facts = if needs_job {
        Some(job_facts(&state, q.job_id.as_deref()).await?)
    } else {
        None
    };
    let offset = (pagina - 1).saturating_mul(por_pagina);
    let query = OrderQuery {
        filter: OrderFilter {
            vendedor: q.vendedor,
            equipe_vendas: q.equipe_vendas,
            estado: q.estado,
            busca: q.busca,
        }
        .normalized(),
        sort,
        descending: descending && analysis_sort.is_none(),
        offset,
        limit: por_pagina,
    };
    let page = if facts.is_none() && ship.is_empty() {
        state.store.list_orders(&query).await?
    } else {
        // The whole filtered book in the requested order, then the kept orders, sorted and paged
        // here: the order covers the whole filtered book, not the page on screen.
        let all = state
            .store
            .list_orders(&OrderQuery {
                offset: 0,
                limit: usize::MAX,
                ..query
            })
            .await?;
        let keep = Keep {
            ship: &ship,
            facts: facts.as_ref(),
            criticidades: criticidades.as_ref(),
            falta: falta.as_ref(),
        };
        let kept = keep.sorted(all.orders, analysis_sort, descending);
        ruptura_store::OrderPage {
            total: kept.len(),
            orders: kept.into_iter().skip(offset).take(por_pagina).collect(),
        }
    };
    Ok(Json(PaginaCarteira {
        total: page.total,
        pagina,
        por_pagina,
        pedidos: page.orders,
    }))
}

/// The store's sort and, for the analysis orders (`criticidade`, ...), the job's.
fn sort_of(ordem: Option<&str>) -> Result<(OrderSort, Option<AnalysisSort>), ApiError> {
    let analysis_sort = ordem.and_then(AnalysisSort::parse);
    let sort = match ordem {
        None | Some("") => OrderSort::NumPedido,
        Some(_) if analysis_sort.is_some() => OrderSort::NumPedido,
        Some(s) => OrderSort::parse(s).ok_or_else(|| {
            let names: Vec<&str> = sort_names().collect();
            ApiError::BadRequest(format!(
                "ordem desconhecida {s:?}: use {} ou {}",
                names[..names.len() - 1].join(", "),
                names[names.len() - 1]
            ))
        })?,
    };
    Ok((sort, analysis_sort))
}

fn descending_of(direcao: Option<&str>) -> Result<bool, ApiError> {
    match direcao {
        None | Some("") | Some("asc") => Ok(false),
        Some("desc") => Ok(true),
        Some(d) => Err(ApiError::BadRequest(format!(
            "direção desconhecida {d:?}: use asc ou desc"
        ))),
    }
}

/// The page asked (`pagina`, 1 by default) and its size (`por_pagina`, 100 by default).
fn page_of(pagina: Option<usize>, por_pagina: Option<usize>) -> Result<(usize, usize), ApiError> {
    let por_pagina = por_pagina.unwrap_or(100);
    if !(1..=MAX_POR_PAGINA).contains(&por_pagina) {
        return Err(ApiError::BadRequest(format!(
            "por_pagina deve ser de 1 a {MAX_POR_PAGINA} (para a carteira inteira, use um job: POST /api/ruptura/jobs)"
        )));
    }
    let pagina = pagina.unwrap_or(1);
    if pagina == 0 {
        return Err(ApiError::BadRequest("pagina deve ser 1 ou mais".into()));
    }
    Ok((pagina, por_pagina))
}

/// The product codes of `falta_produto` (comma-separated); `None` when it names none.
fn falta_codes(falta_produto: Option<&str>) -> Option<HashSet<String>> {
    falta_produto
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect::<HashSet<_>>()
        })
        .filter(|set| !set.is_empty())
}

/// What the order list filters and sorts by, from the results of job `job_id`.
async fn job_facts(
    state: &AppState,
    job_id: Option<&str>,
) -> Result<HashMap<String, OrderFacts>, ApiError> {
    match job_id {
        None => Err(ApiError::BadRequest(
            "criticidade, falta_produto e as ordens da análise exigem job_id: vêm de uma análise (POST /api/ruptura/jobs)"
                .into(),
        )),
        Some(job_id) if !crate::jobs::valid_job_id(job_id) => Err(ApiError::NotFound(format!(
            "job {job_id:?} não encontrado: um id de job tem a forma de um UUID"
        ))),
        Some(job_id) => state.jobs.order_facts(job_id).await?.ok_or_else(|| {
            ApiError::NotFound(format!("job {job_id:?} não encontrado (ou expirado)"))
        }),
    }
}

/// Which orders of the book a filtered page keeps.
struct Keep<'a> {
    ship: &'a ShipRange,
    facts: Option<&'a HashMap<String, OrderFacts>>,
    criticidades: Option<&'a Vec<&'static str>>,
    falta: Option<&'a HashSet<String>>,
}

impl Keep<'_> {
    /// The orders kept, in the analysis order when one is asked (else as they come).
    fn sorted(
        &self,
        orders: Vec<OrderSummary>,
        analysis_sort: Option<AnalysisSort>,
        descending: bool,
    ) -> Vec<OrderSummary> {
        let mut kept: Vec<_> = orders
            .into_iter()
            .filter(|o| self.ship.contains(o.expedicao))
            .filter(|o| self.matches(o))
            .collect();
        if let (Some(by), Some(facts)) = (analysis_sort, self.facts) {
            // Stable: equal keys keep order number order.
            kept.sort_by(|a, b| {
                let o = by.compare(facts.get(&a.num_pedido), facts.get(&b.num_pedido));
                if descending {
                    o.reverse()
                } else {
                    o
                }
            });
        }
        kept
    }

    fn matches(&self, o: &OrderSummary) -> bool {
        match self.facts {
            None => true,
            Some(facts) => {
                let f = facts.get(&o.num_pedido);
                let crit_ok = self.criticidades.is_none_or(|wanted| {
                    f.is_some_and(|f| wanted.contains(&f.criticidade.as_str()))
                });
                let falta_ok = self.falta.is_none_or(|codes| {
                    f.is_some_and(|f| f.short_codes.iter().any(|c| codes.contains(c)))
                });
                crit_ok && falta_ok
            }
        }
    }
}

/// Valores para os menus de filtro da página.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiltrosCarteira {
    /// Vendedores dos pedidos em aberto, em ordem.
    pub vendedores: Vec<String>,
    /// Equipes de vendas dos pedidos em aberto, em ordem.
    pub equipes: Vec<String>,
    /// UFs dos pedidos em aberto, em ordem.
    pub estados: Vec<String>,
}

/// Vendedores, equipes e UFs da carteira em aberto, para os filtros da página.
#[utoipa::path(get, path = "/api/carteira/filtros", tag = "carteira",
    summary = "Valores para os filtros da carteira",
    responses((status = 200, description = "vendedores, equipes e UFs", body = FiltrosCarteira),
        (status = 503, description = "banco indisponível", body = crate::error::ErrorBody)))]
pub async fn filtros(State(state): State<AppState>) -> Result<Json<FiltrosCarteira>, ApiError> {
    let f = state.store.facets().await?;
    Ok(Json(FiltrosCarteira {
        vendedores: f.vendedores,
        equipes: f.equipes,
        estados: f.estados,
    }))
}

/// The rows of SPEC 8.4 over a finished job, as JSON (for the exports).
pub async fn produtos_json(state: &AppState, id: &str) -> Result<Vec<serde_json::Value>, ApiError> {
    let Some((_, _, decisoes)) = state.jobs.decisions(id).await? else {
        return Ok(Vec::new());
    };
    ruptura_app::export::produtos_rows(&decisoes.produtos)
        .map_err(|e| ApiError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criticality_filter_parses_labels() {
        assert_eq!(parse_criticidades(None).unwrap(), None);
        assert_eq!(parse_criticidades(Some(" ")).unwrap(), None);
        assert_eq!(
            parse_criticidades(Some("critica, ALTA,,erro")).unwrap(),
            Some(vec!["CRITICA", "ALTA", "ERRO"])
        );
        assert!(parse_criticidades(Some("CRÍTICA")).is_err());
    }
}
