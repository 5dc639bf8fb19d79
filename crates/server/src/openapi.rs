//! The API description at `/api/openapi.json` and a docs page at `/api/docs`.

use axum::Router;
use serde_json::{Map, Value};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use crate::{AppState, ServerConfig};

#[derive(OpenApi)]
#[openapi(
    info(title = "Ruptura", description = "Análise de ruptura de estoque da carteira de pedidos"),
    paths(
        crate::routes::analysis::analisar_lote,
        crate::routes::analysis::analisar_pedido,
        crate::routes::compat::analisar_pedido_sem_cache,
        crate::routes::compat::atualizar_visual_separacao,
        crate::routes::jobs::criar,
        crate::routes::jobs::analisar_todos,
        crate::routes::jobs::status,
        crate::routes::jobs::resultados,
        crate::routes::jobs::eventos,
        crate::routes::jobs::exportar,
        crate::routes::runs::execucoes,
        crate::routes::runs::mudancas,
        crate::routes::produtos::produtos,
        crate::routes::produtos::produtos_do_job,
        crate::routes::system::health,
        crate::auth::open_session,
        crate::auth::close_session,
        crate::auth::status,
        crate::web::pedidos,
        crate::web::filtros,
    ),
    modifiers(&BearerScheme),
    components(schemas(
        crate::routes::jobs::EventoFalhou,
        crate::web::OrdemCarteira,
        ruptura_app::wire::Estatisticas,
    )),
    tags(
        (name = "analise", description = "Análise de pedidos"),
        (name = "jobs", description = "Análises grandes com progresso ao vivo"),
        (name = "mudancas", description = "Execuções registradas e o que mudou entre elas"),
        (name = "carteira", description = "A carteira de pedidos, para a página"),
        (name = "auth", description = "Sessão para a página quando API_TOKEN está definido"),
        (name = "compatibilidade", description = "Rotas que os scripts da página do sistema antigo chamam"),
        (name = "sistema")
    )
)]
pub struct ApiDoc;

/// Declares `Authorization: Bearer <API_TOKEN>` (the `bearer` scheme) as the API's security.
/// Routes that need no token (`/health`, `/api/auth/*`) say so with an empty requirement.
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "API_TOKEN; a página usa o cookie de sessão aberto em /api/auth/sessao",
                    ))
                    .build(),
            ),
        );
        openapi.security = Some(vec![SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
        for (path, item) in openapi.paths.paths.iter_mut() {
            if path == "/health" || path.starts_with("/api/auth/") {
                for op in [&mut item.get, &mut item.post, &mut item.delete]
                    .into_iter()
                    .flatten()
                {
                    op.security = Some(vec![SecurityRequirement::default()]);
                }
            }
        }
    }
}

/// Routes served under two spellings (`/carteira/api/...`, as the old page scripts call them,
/// and `/api/...`): documented alike, each with its own operation id.
const ALIASES: [(&str, &str); 4] = [
    (
        "/carteira/api/ruptura/analisar-lote-async",
        "/api/ruptura/analisar-lote-async",
    ),
    (
        "/carteira/api/ruptura/analisar-pedido/{num_pedido}",
        "/api/ruptura/analisar-pedido/{num_pedido}",
    ),
    (
        "/carteira/api/ruptura/sem-cache/analisar-pedido/{num_pedido}",
        "/api/ruptura/sem-cache/analisar-pedido/{num_pedido}",
    ),
    (
        "/carteira/api/ruptura/atualizar-visual-separacao",
        "/api/ruptura/atualizar-visual-separacao",
    ),
];

/// The API description served at `/api/openapi.json`, with the limits of this server's
/// configuration.
pub fn description(config: &ServerConfig) -> Value {
    let mut api = ApiDoc::openapi();
    for (documented, alias) in ALIASES {
        let Some(mut item) = api.paths.paths.get(documented).cloned() else {
            continue;
        };
        for op in [&mut item.get, &mut item.post].into_iter().flatten() {
            op.operation_id = op
                .operation_id
                .as_ref()
                .map(|id| format!("{id}_{}", alias_suffix(alias)));
            op.description = Some(format!(
                "{}\n\nO mesmo que `{documented}`.",
                op.description.as_deref().unwrap_or_default()
            ));
        }
        api.paths.paths.insert(alias.to_string(), item);
    }
    let mut value = serde_json::to_value(&api).unwrap_or_default();
    let schemas = &mut value["components"]["schemas"];
    merge_flattened(schemas);
    crate::openapi_pt::apply(schemas);
    schemas["LoteRequest"]["properties"]["pedidos"]["maxItems"] = config.max_orders.into();
    schemas["JobRequest"]["properties"]["pedidos"]["maxItems"] = config.max_job_orders.into();
    value
}

/// Writes each schema of a struct with `#[serde(flatten)]` fields (utoipa makes it an `allOf` of
/// inline objects) as the one object it is on the wire: every property side by side, so a
/// client, the Portuguese texts and the limits above find them where they find any other.
fn merge_flattened(schemas: &mut Value) {
    let Some(schemas) = schemas.as_object_mut() else {
        return;
    };
    for schema in schemas.values_mut() {
        let Some(object) = schema.as_object_mut() else {
            continue;
        };
        let inline_objects = match object.get("allOf") {
            Some(Value::Array(items)) => items
                .iter()
                .all(|item| item["type"] == "object" && item.get("$ref").is_none()),
            _ => false,
        };
        if !inline_objects {
            continue;
        }
        let Some(Value::Array(items)) = object.remove("allOf") else {
            continue;
        };
        let (mut properties, mut required) = (Map::new(), Vec::new());
        for mut item in items {
            if let Some(Value::Object(p)) = item.get_mut("properties").map(Value::take) {
                properties.extend(p);
            }
            if let Some(Value::Array(r)) = item.get_mut("required").map(Value::take) {
                required.extend(r);
            }
        }
        object.insert("type".into(), "object".into());
        object.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            object.insert("required".into(), Value::Array(required));
        }
    }
}

fn alias_suffix(path: &str) -> &'static str {
    if path.starts_with("/carteira") {
        "carteira"
    } else {
        "api"
    }
}

pub fn routes(config: &ServerConfig) -> Router<AppState> {
    Router::new().merge(
        SwaggerUi::new("/api/docs")
            .external_url_unchecked("/api/openapi.json", description(config)),
    )
}
