//! Ruptura's HTTP service: the batch API, jobs with live progress, the order-book page.
//!
//! `router(state)` builds the whole application as a pure factory (tests drive it with
//! `oneshot`); `serve(listener, state, shutdown)` runs it with graceful shutdown, ending open
//! event streams when shutdown starts. Only this crate knows HTTP.
#![forbid(unsafe_code)]

pub mod auth;
pub mod error;
pub mod jobs;
pub mod openapi;
pub mod request;
pub mod routes;
pub mod web;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use ruptura_app::runs::RunLog;
use ruptura_app::Settings;
use ruptura_store::Store;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::timeout::TimeoutLayer;

pub use auth::Auth;
use error::ErrorBody;
pub use jobs::{JobQueue, LocalQueue, LocalQueueConfig};

/// Limits and switches of the HTTP layer.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `MAX_PEDIDOS_POR_REQUISICAO`: orders in one batch request.
    pub max_orders: usize,
    /// Orders in one job request that names them.
    pub max_job_orders: usize,
    /// Request bodies larger than this get 413.
    pub body_limit: usize,
    /// Requests (other than event streams) taking longer get 408.
    pub request_timeout: Duration,
    /// Serve the page's files from this folder instead of the embedded copies (development).
    pub web_dir: Option<std::path::PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_orders: 5000,
            max_job_orders: 200_000,
            body_limit: 8 * 1024 * 1024,
            request_timeout: Duration::from_secs(120),
            web_dir: None,
        }
    }
}

/// Everything a handler needs.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<Settings>,
    pub config: Arc<ServerConfig>,
    pub jobs: Arc<dyn JobQueue>,
    pub auth: Auth,
    /// Where runs are recorded and read (SPEC 8.5); `None`: this server records none.
    pub runs: Option<RunLog>,
    /// Cancelled when shutdown starts: event streams end.
    pub shutdown: CancellationToken,
}

impl AppState {
    /// State with the in-process job queue.
    pub fn new(
        store: Arc<dyn Store>,
        settings: Settings,
        config: ServerConfig,
        auth: Auth,
        queue: LocalQueueConfig,
    ) -> Self {
        let jobs = Arc::new(LocalQueue::new(Arc::clone(&store), queue));
        Self::with_queue(store, settings, config, auth, jobs)
    }

    pub fn with_queue(
        store: Arc<dyn Store>,
        settings: Settings,
        config: ServerConfig,
        auth: Auth,
        jobs: Arc<dyn JobQueue>,
    ) -> Self {
        Self {
            store,
            settings: Arc::new(settings),
            config: Arc::new(config),
            jobs,
            auth,
            runs: None,
            shutdown: CancellationToken::new(),
        }
    }

    /// Lists and compares the runs of `runs` (the job queue records them, see
    /// [`LocalQueue::recording`]).
    pub fn with_runs(mut self, runs: Option<RunLog>) -> Self {
        self.runs = runs;
        self
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    use routes::{analysis, jobs, produtos, runs, system};
    let timeout =
        TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, state.config.request_timeout);

    // Routes that need the token when one is configured.
    let api = Router::new()
        .route(
            "/carteira/api/ruptura/analisar-lote-async",
            post(analysis::analisar_lote),
        )
        .route(
            "/api/ruptura/analisar-lote-async",
            post(analysis::analisar_lote),
        )
        .route(
            "/carteira/api/ruptura/analisar-pedido/{num_pedido}",
            get(analysis::analisar_pedido),
        )
        .route(
            "/api/ruptura/analisar-pedido/{num_pedido}",
            get(analysis::analisar_pedido),
        )
        .route(
            "/carteira/api/ruptura/analisar-todos-async",
            post(jobs::analisar_todos),
        )
        .route("/api/ruptura/jobs", post(jobs::criar))
        .route("/api/ruptura/jobs/{id}", get(jobs::status))
        .route("/api/ruptura/jobs/{id}/resultados", get(jobs::resultados))
        .route("/api/ruptura/execucoes", get(runs::execucoes))
        .route("/api/ruptura/mudancas", get(runs::mudancas))
        .route("/api/ruptura/jobs/{id}/produtos", get(produtos::produtos_do_job))
        .route("/api/ruptura/produtos", post(produtos::produtos))
        .merge(web::api_routes())
        .merge(openapi::routes())
        .layer(timeout)
        // Event streams last as long as their job: no request timeout.
        .route("/api/ruptura/jobs/{id}/eventos", get(jobs::eventos))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::require));

    let open = Router::new()
        .route("/health", get(system::health))
        .route(
            "/api/auth/sessao",
            post(auth::open_session).delete(auth::close_session),
        )
        .route("/api/auth/status", get(auth::status))
        .merge(web::page_routes(&state.config))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.config.request_timeout,
        ));

    Router::new()
        .merge(api)
        .merge(open)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .layer(middleware::from_fn(json_errors))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

async fn not_found(request: Request) -> Response {
    let message = format!(
        "rota não encontrada: {} {}",
        request.method(),
        request.uri().path()
    );
    (
        StatusCode::NOT_FOUND,
        Json(ErrorBody {
            success: false,
            message,
        }),
    )
        .into_response()
}

/// Gives error responses made outside the handlers (timeouts, wrong methods, body limits) the
/// same JSON shape as the rest of the API.
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let message = match status {
        StatusCode::REQUEST_TIMEOUT => "a requisição demorou demais".to_string(),
        StatusCode::METHOD_NOT_ALLOWED => "método não permitido nesta rota".to_string(),
        StatusCode::PAYLOAD_TOO_LARGE => "corpo da requisição grande demais".to_string(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "tipo de conteúdo não suportado".to_string(),
        other => other.canonical_reason().unwrap_or("erro").to_string(),
    };
    let mut json = (
        status,
        Json(ErrorBody {
            success: false,
            message,
        }),
    )
        .into_response();
    for (name, value) in response.headers() {
        if name != CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            json.headers_mut().insert(name.clone(), value.clone());
        }
    }
    json
}

/// One log line per request: method, matched route, status, duration. Never headers, so never
/// the token.
async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "(sem rota)".to_string());
    let mut response = next.run(request).await;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    tracing::info!(target: "ruptura::http", %method, %path, status = response.status().as_u16(), ms = format!("{ms:.1}"), "request");
    response.headers_mut().insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// Serves `router(state)` on `listener` until `shutdown` completes; then stops accepting,
/// ends event streams and lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let token = state.shutdown.clone();
    let app = router(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            token.cancel();
        })
        .await
}

/// Completes on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("encerrando: sinal recebido");
}
