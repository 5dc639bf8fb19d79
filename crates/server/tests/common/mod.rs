//! A test application over a real SQLite file: in-process requests with `oneshot`, or a real
//! port for event streams and shutdown.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use axum::Router;
use chrono::NaiveDate;
use http_body_util::BodyExt;
use ruptura_app::Settings;
use ruptura_engine::records::Dataset;
use ruptura_server::{AppState, Auth, LocalQueueConfig, ServerConfig};
use ruptura_store::{ImportMode, Store};
use serde_json::Value;
use tower::ServiceExt;

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).expect("date")
}

/// A generated book of `orders` orders (seeded, so every run sees the same data).
pub fn book(orders: usize) -> Dataset {
    ruptura_datagen::generate(&ruptura_datagen::GenConfig::demo(11, today(), orders))
}

pub struct TestApp {
    pub dir: tempfile::TempDir,
    pub store: Arc<dyn Store>,
    pub state: AppState,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

impl TestApp {
    /// A migrated SQLite file holding `data`.
    pub async fn new(data: &Dataset) -> Self {
        Self::with(data, Settings::default(), ServerConfig::default(), None).await
    }

    pub async fn with(
        data: &Dataset,
        settings: Settings,
        config: ServerConfig,
        token: Option<&str>,
    ) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = ruptura_store::connect(&url).await.expect("open");
        store.migrate().await.expect("migrate");
        store
            .import(data, ImportMode::Replace)
            .await
            .expect("import");
        Self::over(dir, store, settings, config, token)
    }

    /// An app with the default settings over an existing store, in a fresh folder.
    pub fn serving(store: Arc<dyn Store>) -> Self {
        Self::serving_in(tempfile::tempdir().expect("tempdir"), store)
    }

    /// An app with the default settings over an existing store (for example a gated one).
    pub fn serving_in(dir: tempfile::TempDir, store: Arc<dyn Store>) -> Self {
        Self::over(
            dir,
            store,
            Settings::default(),
            ServerConfig::default(),
            None,
        )
    }

    /// An app over an existing store (for example a gated one).
    pub fn over(
        dir: tempfile::TempDir,
        store: Arc<dyn Store>,
        settings: Settings,
        config: ServerConfig,
        token: Option<&str>,
    ) -> Self {
        let state = AppState::new(
            Arc::clone(&store),
            settings,
            config,
            Auth::new(token.map(str::to_string)),
            LocalQueueConfig::default(),
        );
        Self { dir, store, state }
    }

    pub fn router(&self) -> Router {
        ruptura_server::router(self.state.clone())
    }

    pub async fn call(
        &self,
        method: Method,
        uri: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
            .expect("request");
        let resp = self.router().oneshot(req).await.expect("infallible");
        let status = resp.status();
        let headers = resp.headers().clone();
        let body = resp
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, uri: &str) -> Reply {
        self.call(Method::GET, uri, None, &[]).await
    }

    pub async fn post(&self, uri: &str, body: &str) -> Reply {
        self.call(Method::POST, uri, Some(body), &[]).await
    }

    /// Serves the app on 127.0.0.1:0; returns the address and the server task.
    pub async fn spawn(
        &self,
    ) -> (
        SocketAddr,
        tokio::sync::oneshot::Sender<()>,
        tokio::task::JoinHandle<()>,
    ) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = self.state.clone();
        let task = tokio::spawn(async move {
            ruptura_server::serve(listener, state, async {
                let _ = rx.await;
            })
            .await
            .expect("serve");
        });
        (addr, tx, task)
    }

    /// Polls a job until it leaves `em_andamento`.
    pub async fn wait_job(&self, id: &str) -> Value {
        for _ in 0..600 {
            let s = self.get(&format!("/api/ruptura/jobs/{id}")).await.json();
            if s["estado"] != "em_andamento" {
                return s;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("job {id} did not finish");
    }
}

/// The real store behind a gate ([`HeldStore::gated`]): `load` waits until the test opens it.
/// Lets a test hold an analysis in flight (to test timeouts and shutdown) while the data still
/// comes from SQLite.
#[allow(unused_imports)]
pub use ruptura_store::testing::HeldStore;

/// One server-sent event.
#[derive(Debug, Clone, PartialEq)]
pub struct SseEvent {
    pub id: Option<u64>,
    pub event: String,
    pub data: Value,
}

/// Reads the event stream of a job over a real connection, stopping after `stop_after` events
/// (or when the server ends the stream). Returns the events and whether the stream ended.
pub async fn read_events(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    stop_after: usize,
) -> (Vec<SseEvent>, bool) {
    use hyper_util::client::legacy::Client;
    use hyper_util::rt::TokioExecutor;
    let client: Client<_, Body> = Client::builder(TokioExecutor::new()).build_http();
    let mut req = Request::builder().uri(format!("http://{addr}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = client
        .request(req.body(Body::empty()).expect("req"))
        .await
        .expect("connect");
    assert_eq!(resp.status(), StatusCode::OK, "event stream status");
    let mut body = resp.into_body();
    let mut buf = String::new();
    let mut events = Vec::new();
    while events.len() < stop_after {
        let Some(frame) = body.frame().await else {
            return (events, true);
        };
        let frame = frame.expect("frame");
        if let Some(chunk) = frame.data_ref() {
            buf.push_str(&String::from_utf8_lossy(chunk));
        }
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let mut ev = SseEvent {
                id: None,
                event: "message".into(),
                data: Value::Null,
            };
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("id:") {
                    ev.id = v.trim().parse().ok();
                } else if let Some(v) = line.strip_prefix("event:") {
                    ev.event = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            if data.is_empty() {
                continue; // keep-alive comment
            }
            ev.data = serde_json::from_str(&data).expect("event data is JSON");
            events.push(ev);
        }
    }
    (events, false)
}
