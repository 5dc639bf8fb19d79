//! Helpers for the tests against a real Redis (`RUPTURA_TEST_REDIS`, default
//! `redis://127.0.0.1:6379`). When Redis does not answer, a test prints a notice and passes,
//! unless `CI=true`, where it fails.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use futures::StreamExt;
use redis::AsyncCommands;
use ruptura_app::wire::Resultado;
use ruptura_app::{InOrder, RunOptions};
use ruptura_datagen::GenConfig;
use ruptura_engine::Params;
use ruptura_jobs::JobQueue;
use ruptura_jobs::{JobEvent, JobSpec};
use ruptura_store::{ImportMode, OrderFilter, Selection, Store};
use ruptura_worker::{RedisOptions, RedisQueue, RedisQueueConfig, WorkerConfig};
use tokio_util::sync::CancellationToken;

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
}

/// The test Redis URL with database `db`, or `None` (after a notice) when Redis does not
/// answer outside CI.
pub async fn redis_url(db: u8) -> Option<String> {
    let base = std::env::var("RUPTURA_TEST_REDIS")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
    let base = base.trim_end_matches('/');
    // Drop a database number already in the URL.
    let base = match base.rsplit_once('/') {
        Some((head, tail)) if !head.ends_with('/') && tail.chars().all(|c| c.is_ascii_digit()) => {
            head
        }
        _ => base,
    };
    let url = format!("{base}/{db}");
    let ok = async {
        let client = redis::Client::open(url.as_str()).ok()?;
        let mut conn = tokio::time::timeout(
            Duration::from_secs(3),
            client.get_multiplexed_async_connection(),
        )
        .await
        .ok()?
        .ok()?;
        redis::cmd("PING")
            .query_async::<String>(&mut conn)
            .await
            .ok()
    }
    .await;
    if ok.is_some() {
        return Some(url);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("Redis não responde em {url} (CI=true: os testes de Redis são obrigatórios)");
    }
    eprintln!("AVISO: Redis não responde em {url}; teste ignorado (defina RUPTURA_TEST_REDIS)");
    None
}

pub async fn conn(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

/// A prefix no other test uses.
pub fn prefix(test: &str) -> String {
    format!("ruptura-teste-{test}-{}:", uuid::Uuid::new_v4().simple())
}

/// Deletes every key under `prefix`.
pub async fn cleanup(url: &str, prefix: &str) {
    let mut c = conn(url).await;
    let keys: Vec<String> = c.keys(format!("{prefix}*")).await.unwrap_or_default();
    if !keys.is_empty() {
        let _: () = c.del(keys).await.unwrap_or(());
    }
}

/// A SQLite database in `dir` holding a generated demo book of `orders` orders.
pub async fn store(dir: &tempfile::TempDir, orders: usize) -> Arc<dyn Store> {
    let path = dir.path().join("teste.db");
    let store = ruptura_store::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let data = ruptura_datagen::generate(&GenConfig::demo(11, today(), orders));
    store.import(&data, ImportMode::Replace).await.unwrap();
    store
}

pub async fn all_orders(store: &dyn Store) -> Vec<String> {
    store.order_numbers(&OrderFilter::default()).await.unwrap()
}

pub fn spec(orders: Vec<String>, params: Params, batch_size: usize) -> JobSpec {
    JobSpec {
        orders,
        params,
        batch_size,
        max_workers: 2,
        whole_book: false,
    }
}

/// What the in-process analysis gives for the same orders.
pub async fn in_process(store: &dyn Store, spec: &JobSpec) -> Vec<Resultado> {
    let mut sink = InOrder::default();
    ruptura_app::analyze(
        store,
        &Selection::Orders(spec.orders.clone()),
        spec.params.clone(),
        RunOptions {
            batch_size: spec.batch_size,
            max_workers: 2,
            json: false,
        },
        &mut sink,
    )
    .await
    .unwrap();
    sink.into_results()
}

pub fn options(url: &str, prefix: &str) -> RedisOptions {
    let mut o = RedisOptions::new(url);
    o.prefix = prefix.to_string();
    o.job_ttl = Duration::from_secs(600);
    o.visibility = Duration::from_secs(2);
    o
}

pub async fn queue(opts: &RedisOptions, shutdown: &CancellationToken) -> RedisQueue {
    let mut cfg = RedisQueueConfig::new(opts.clone());
    cfg.watchdog_interval = Duration::from_millis(500);
    RedisQueue::connect(cfg, shutdown.clone()).await.unwrap()
}

/// Starts a worker process's consumers in this process.
pub fn start_worker(
    store: &Arc<dyn Store>,
    opts: &RedisOptions,
    consumers: usize,
    name: &str,
) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let mut cfg = WorkerConfig::new(opts.clone());
    cfg.consumers = consumers;
    cfg.name = name.to_string();
    start_worker_with(store, cfg)
}

/// Starts a worker process's consumers with `cfg` in this process (`block` shortened).
pub fn start_worker_with(
    store: &Arc<dyn Store>,
    mut cfg: WorkerConfig,
) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    cfg.block = Duration::from_millis(500);
    let token = CancellationToken::new();
    let handle = tokio::spawn(ruptura_worker::worker::run(
        Arc::clone(store),
        cfg,
        token.clone(),
    ));
    let handle = tokio::spawn(async move {
        handle.await.unwrap().unwrap();
    });
    (token, handle)
}

/// Follows a job's events until the final one, failing after `limit`.
pub async fn follow(queue: &RedisQueue, id: &str, limit: Duration) -> Vec<JobEvent> {
    let mut events = queue.events(id, 0).await.unwrap().expect("job exists");
    tokio::time::timeout(limit, async {
        let mut all = Vec::new();
        while let Some(e) = events.next().await {
            all.push(e);
        }
        all
    })
    .await
    .unwrap_or_else(|_| panic!("job {id} não terminou em {limit:?}"))
}

/// Asserts that `got` holds exactly one result per order, each equal to `want`'s.
pub fn assert_same_results(want: &[Resultado], got: &[Resultado]) {
    assert_eq!(got.len(), want.len(), "número de resultados");
    let mut seen = std::collections::HashSet::new();
    for (w, g) in want.iter().zip(got) {
        assert!(
            seen.insert(g.num_pedido().to_string()),
            "resultado repetido"
        );
        assert_eq!(w, g, "resultado do pedido {}", w.num_pedido());
    }
}

/// The stream entries of `prefix`'s queue: (id, fields).
pub async fn stream_entries(url: &str, prefix: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut c = conn(url).await;
    let reply: redis::streams::StreamRangeReply =
        c.xrange_all(format!("{prefix}lotes")).await.unwrap();
    reply
        .ids
        .into_iter()
        .map(|e| {
            let mut fields: Vec<(String, String)> = e
                .map
                .iter()
                .map(|(k, v)| (k.clone(), redis::from_redis_value::<String>(v).unwrap()))
                .collect();
            fields.sort();
            (e.id, fields)
        })
        .collect()
}

/// What most queue tests start from: a Redis database (`None`: Redis absent, the test skips),
/// a SQLite store with a generated book, a private key prefix, and a `RedisQueue` on them.
pub struct Setup {
    pub url: String,
    pub dir: tempfile::TempDir,
    pub store: Arc<dyn Store>,
    pub prefix: String,
    pub opts: RedisOptions,
    pub shutdown: CancellationToken,
    pub queue: RedisQueue,
}

impl Setup {
    pub async fn new(db: u8, name: &str, orders: usize) -> Option<Self> {
        let url = redis_url(db).await?;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = store(&dir, orders).await;
        let prefix = prefix(name);
        let opts = options(&url, &prefix);
        let shutdown = CancellationToken::new();
        let queue = queue(&opts, &shutdown).await;
        Some(Self {
            url,
            dir,
            store,
            prefix,
            opts,
            shutdown,
            queue,
        })
    }

    /// Stops the queue's background tasks and deletes the test's keys.
    pub async fn finish(self) {
        self.shutdown.cancel();
        cleanup(&self.url, &self.prefix).await;
    }
}
