//! The order-book page (`/carteira`) with its assets embedded in the binary, and the JSON the
//! page lists orders from. `ServerConfig::web_dir` serves the files from disk instead, for
//! working on the page without rebuilding.

use std::collections::HashSet;

use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Json, Router};
use chrono::NaiveDate;
use ruptura_store::{OrderFilter, OrderQuery, OrderSort};
use rust_decimal::prelude::ToPrimitive;
use rust_embed::RustEmbed;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
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
    #[param(minimum = 1, maximum = 20000, example = 100)]
    por_pagina: Option<usize>,
    /// Só pedidos com estas criticidades (separadas por vírgula: OK, CRITICA, ALTA, MEDIA, BAIXA,
    /// ERRO) nos resultados do job `job_id`; exige `job_id`.
    #[param(example = "CRITICA,ALTA")]
    criticidade: Option<String>,
    /// O job (`POST /api/ruptura/jobs`) de cujos resultados `criticidade` é lida; pedidos que o
    /// job não analisou ficam de fora.
    job_id: Option<String>,
}

/// Ordenação da lista de pedidos.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
pub enum OrdemCarteira {
    NumPedido,
    Cliente,
    Cidade,
    Vendedor,
    Expedicao,
    DataPedido,
    Valor,
    Linhas,
}

/// Direção da ordenação.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Direcao {
    Asc,
    Desc,
}

/// Criticality labels the page can filter on.
const CRITICIDADES: [&str; 6] = ["OK", "CRITICA", "ALTA", "MEDIA", "BAIXA", "ERRO"];

/// Parses `criticidade`: `None` when absent or blank (no filter).
fn parse_criticidades(raw: Option<&str>) -> Result<Option<Vec<&'static str>>, ApiError> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            CRITICIDADES
                .iter()
                .find(|c| c.eq_ignore_ascii_case(s))
                .copied()
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "criticidade desconhecida {s:?}: use {}",
                        CRITICIDADES.join(", ")
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// One order of the book.
#[derive(Debug, Serialize, ToSchema)]
pub struct PedidoCarteira {
    pub num_pedido: String,
    pub raz_social_red: Option<String>,
    pub cnpj_cpf: Option<String>,
    pub nome_cidade: Option<String>,
    pub cod_uf: Option<String>,
    pub vendedor: Option<String>,
    pub equipe_vendas: Option<String>,
    pub data_pedido: Option<NaiveDate>,
    pub expedicao: Option<NaiveDate>,
    pub agendamento: Option<NaiveDate>,
    pub valor_total: f64,
    pub linhas: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaginaCarteira {
    pub total: usize,
    pub pagina: usize,
    pub por_pagina: usize,
    pub pedidos: Vec<PedidoCarteira>,
}

/// The open orders of the book, filtered, sorted and paged.
#[utoipa::path(get, path = "/api/carteira/pedidos", tag = "carteira", params(PedidosQuery),
    responses((status = 200, body = PaginaCarteira), (status = 400, body = crate::error::ErrorBody)))]
pub async fn pedidos(
    State(state): State<AppState>,
    Query(q): Query<PedidosQuery>,
) -> Result<Json<PaginaCarteira>, ApiError> {
    let sort = match q.ordem.as_deref() {
        None | Some("") => OrderSort::NumPedido,
        Some(s) => OrderSort::parse(s)
            .ok_or_else(|| ApiError::BadRequest(format!("ordem desconhecida {s:?}")))?,
    };
    let descending = match q.direcao.as_deref() {
        None | Some("") | Some("asc") => false,
        Some("desc") => true,
        Some(d) => {
            return Err(ApiError::BadRequest(format!(
                "direção desconhecida {d:?}: use asc ou desc"
            )))
        }
    };
    let por_pagina = q.por_pagina.unwrap_or(100);
    if !(1..=20_000).contains(&por_pagina) {
        return Err(ApiError::BadRequest(
            "por_pagina deve ser de 1 a 20000".into(),
        ));
    }
    let pagina = q.pagina.unwrap_or(1);
    if pagina == 0 {
        return Err(ApiError::BadRequest("pagina deve ser 1 ou mais".into()));
    }
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
    // Criticality comes from a job's results, not from the store: the orders it keeps.
    let keep: Option<HashSet<String>> = match (criticidades, q.job_id.as_deref()) {
        (None, _) => None,
        (Some(_), None) => return Err(ApiError::BadRequest(
            "criticidade exige job_id: a criticidade vem de uma análise (POST /api/ruptura/jobs)"
                .into(),
        )),
        (Some(wanted), Some(job_id)) => {
            if !crate::jobs::valid_job_id(job_id) {
                return Err(ApiError::NotFound(format!(
                    "job {job_id:?} não encontrado: um id de job tem a forma de um UUID"
                )));
            }
            let labels = state.jobs.criticalities(job_id).await?.ok_or_else(|| {
                ApiError::NotFound(format!("job {job_id:?} não encontrado (ou expirado)"))
            })?;
            Some(
                labels
                    .into_iter()
                    .filter(|(_, label)| wanted.contains(&label.as_str()))
                    .map(|(num, _)| num)
                    .collect(),
            )
        }
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
        descending,
        offset,
        limit: por_pagina,
    };
    let page = match &keep {
        None => state.store.list_orders(&query).await?,
        Some(keep) => {
            // The whole filtered book in the requested order, then the kept orders, paged here.
            let all = state
                .store
                .list_orders(&OrderQuery {
                    offset: 0,
                    limit: usize::MAX,
                    ..query
                })
                .await?;
            let kept: Vec<_> = all
                .orders
                .into_iter()
                .filter(|o| keep.contains(&o.num_pedido))
                .collect();
            ruptura_store::OrderPage {
                total: kept.len(),
                orders: kept.into_iter().skip(offset).take(por_pagina).collect(),
            }
        }
    };
    Ok(Json(PaginaCarteira {
        total: page.total,
        pagina,
        por_pagina,
        pedidos: page
            .orders
            .into_iter()
            .map(|o| PedidoCarteira {
                num_pedido: o.num_pedido,
                raz_social_red: o.raz_social_red,
                cnpj_cpf: o.cnpj_cpf,
                nome_cidade: o.nome_cidade,
                cod_uf: o.cod_uf,
                vendedor: o.vendedor,
                equipe_vendas: o.equipe_vendas,
                data_pedido: o.data_pedido,
                expedicao: o.expedicao,
                agendamento: o.agendamento,
                valor_total: ruptura_engine::round_half_away(o.valor_total, 2)
                    .to_f64()
                    .unwrap_or(0.0),
                linhas: o.linhas,
            })
            .collect(),
    }))
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
