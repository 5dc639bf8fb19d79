//! Ruptura's HTTP service: the batch API, jobs with live progress, the order-book page.
//!
//! `router(state)` builds the whole application as a pure factory (tests drive it with
//! `oneshot`); `serve(listener, state, shutdown)` runs it with graceful shutdown, ending open
//! event streams when shutdown starts. Only this crate knows HTTP.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod auth;
pub mod error;
pub mod guard;
pub mod openapi;
mod openapi_pt;
pub mod request;
pub mod routes;
pub mod web;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::header::{CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use ruptura_app::runs::RunLog;
use ruptura_app::Settings;
use ruptura_store::Store;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::compression::CompressionLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use auth::Auth;
use error::ErrorBody;
pub use jobs::{JobQueue, LocalQueue, LocalQueueConfig};
/// The job queue contract and the in-process queue live in `ruptura-jobs`, below the server.
pub use ruptura_jobs as jobs;

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
    /// A connection must send a whole request head within this time, the first one and each
    /// next one on a keep-alive connection: silent, slow and idle connections are closed.
    pub header_timeout: Duration,
    /// Open connections at most; further clients wait in the listen backlog.
    pub max_connections: usize,
    /// On shutdown, connections still busy after this are dropped.
    pub shutdown_grace: Duration,
    /// Batch and single-order analyses running at once (`MAX_ANALISES_SIMULTANEAS`); later
    /// requests wait, their bodies unread, within the request timeout. With the jobs'
    /// `MAX_JOBS_SIMULTANEOS` this bounds the memory analysis takes under any load.
    pub max_concurrent_analyses: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_orders: 20_000,
            max_job_orders: 200_000,
            body_limit: 8 * 1024 * 1024,
            request_timeout: Duration::from_secs(120),
            web_dir: None,
            header_timeout: Duration::from_secs(15),
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(10),
            max_concurrent_analyses: 4,
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
    /// Permits for batch and single-order analyses (`ServerConfig::max_concurrent_analyses`).
    pub analyses: Arc<tokio::sync::Semaphore>,
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
            analyses: Arc::new(tokio::sync::Semaphore::new(
                config.max_concurrent_analyses.max(1),
            )),
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

/// The whole application: each module's routes merged here, one request timeout over all but
/// the event streams, the token required on the API.
pub fn router(state: AppState) -> Router {
    use routes::{analysis, compat, jobs, produtos, runs, system};
    let auth = || middleware::from_fn_with_state(state.clone(), auth::require);

    // Routes that need the token when one is configured.
    let api = Router::new()
        .merge(analysis::routes(&state))
        .merge(compat::routes())
        .merge(jobs::routes())
        .merge(runs::routes())
        .merge(produtos::routes())
        .merge(web::api_routes())
        .merge(openapi::routes(&state.config))
        .route_layer(auth());

    let open = Router::new()
        .merge(system::routes())
        .merge(auth::routes())
        .merge(web::page_routes(&state.config));

    let timed = api.merge(open).layer(TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        state.config.request_timeout,
    ));

    // Event streams last as long as their job: no request timeout.
    let streams = jobs::stream_routes().route_layer(auth());

    Router::new()
        .merge(timed)
        .merge(streams)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(state.config.body_limit))
        .layer(middleware::from_fn(guard::csrf))
        .layer(middleware::from_fn(json_errors))
        .layer(SetResponseHeaderLayer::overriding(
            X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        // One log line per request: method, matched route, status, duration. Never headers nor
        // the query string, so never the token.
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|request: &Request| {
                    let path = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("(sem rota)", MatchedPath::as_str);
                    tracing::info_span!(target: "ruptura::http", "request", method = %request.method(), path)
                })
                .on_request(())
                .on_response(|response: &Response, latency: Duration, _: &tracing::Span| {
                    let ms = latency.as_secs_f64() * 1000.0;
                    tracing::info!(target: "ruptura::http", status = response.status().as_u16(), ms = format!("{ms:.1}"), "request");
                })
                .on_failure(()),
        )
        // gzip for JSON, HTML, JS and CSS when the client accepts it. The default predicate
        // leaves event streams (each event must reach the page at once), images and tiny
        // bodies alone.
        .layer(CompressionLayer::new().gzip(true))
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

/// Serves `router(state)` on `listener` until `shutdown` completes; then stops accepting,
/// ends event streams and lets in-flight requests finish, for at most
/// `ServerConfig::shutdown_grace`.
///
/// HTTP/1.1 connections through hyper: a connection that does not send a whole request head
/// within `header_timeout` (silent, slow, or idle between keep-alive requests) is closed, and at
/// most `max_connections` are open at once (the next client waits in the listen backlog, so a
/// flood of idle sockets cannot use up the process's file descriptors).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    use hyper_util::server::graceful::GracefulShutdown;
    use hyper_util::service::TowerToHyperService;

    let token = state.shutdown.clone();
    let config = Arc::clone(&state.config);
    let app = router(state);
    let slots = Arc::new(tokio::sync::Semaphore::new(config.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of descriptors or a connection reset before accept: wait, go on.
                    tracing::warn!(error = %e, "accept falhou");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let conn = builder.serve_connection(TokioIo::new(stream), service);
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "conexão encerrada com erro");
            }
            drop(permit);
        });
    }
    drop(listener);
    token.cancel();
    if tokio::time::timeout(config.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            "encerrando: conexões ainda ocupadas após {:?} foram descartadas",
            config.shutdown_grace
        );
    }
    Ok(())
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
