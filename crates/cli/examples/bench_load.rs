//! Load figures of the README's "Garantias sob falhas e carga", against a running `ruptura serve`
//! (normally started by `bench/load.sh`, which also samples the server's memory):
//!
//! - `rajada`: `--clientes` requests of `--pedidos` orders each (the maximum size,
//!   `MAX_PEDIDOS_POR_REQUISICAO`), all sent at once to `analisar-lote-async`; prints how many
//!   got each status and the slowest answer.
//! - `sustentado`: `--clientes` clients sending `--requisicoes` requests in all, back to back, a
//!   mix of `/health`, `analisar-pedido/{n}` and 20-order batches; prints the count per status
//!   class and transport errors, and the rate.
//! - `tokens`: one client sends requests with a wrong bearer token for `--segundos`; prints how
//!   many were checked (401) and how many refused by the failed-token limit (429), and the
//!   checked guesses per second.
//!
//! Figures are printed, never asserted. Every request goes to `--url` (loopback), and each mode
//! stops by itself.

#[path = "shared/mod.rs"]
mod shared;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{anyhow, ensure, Context};
use clap::Parser;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rand::seq::IndexedRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::{json, Value};

#[derive(Debug, Parser)]
#[command(about = "Load figures of `ruptura serve` (bursts, sustained load, token guesses)")]
struct Opts {
    /// rajada, sustentado or tokens.
    #[arg(long)]
    modo: String,
    /// Base URL of a running `ruptura serve`.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Concurrent clients (rajada: requests sent at once).
    #[arg(long, default_value_t = 48)]
    clientes: usize,
    /// Orders per request of `rajada`.
    #[arg(long, default_value_t = 20_000)]
    pedidos: usize,
    /// Requests in all of `sustentado`.
    #[arg(long, default_value_t = 270_000)]
    requisicoes: usize,
    /// Longest run of `sustentado` and length of `tokens`, in seconds.
    #[arg(long, default_value_t = 30)]
    segundos: u64,
    /// Reference date of every analysis.
    #[arg(long, default_value = "2026-03-02")]
    data_base: String,
    /// Bearer token for the requests of `rajada` and `sustentado` (the server's API_TOKEN).
    #[arg(long)]
    token: Option<String>,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

#[derive(Clone)]
struct Http {
    base: String,
    token: Option<String>,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Http {
    fn new(base: &str, token: Option<String>) -> Self {
        Http {
            base: base.trim_end_matches('/').to_string(),
            token,
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// Sends a request and reads the whole reply: its status and body.
    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Bytes,
        token: Option<&str>,
    ) -> anyhow::Result<(u16, Bytes)> {
        let mut req = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header("content-type", "application/json");
        if let Some(t) = token.or(self.token.as_deref()) {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let resp = self
            .client
            .request(req.body(Full::new(body))?)
            .await
            .with_context(|| format!("{}{path}", self.base))?;
        let status = resp.status().as_u16();
        let bytes = resp.into_body().collect().await?.to_bytes();
        Ok((status, bytes))
    }

    /// Every order number of the book, from the page's listing.
    async fn order_numbers(&self) -> anyhow::Result<Vec<String>> {
        shared::order_numbers(|path| async move {
            let (status, bytes) = self.send(Method::GET, &path, Bytes::new(), None).await?;
            ensure!(status == 200, "{path}: {status}");
            Ok(bytes)
        })
        .await
    }
}

/// Counts per status class, and transport errors.
#[derive(Default)]
struct Tally {
    by_class: [AtomicUsize; 6],
    transport: AtomicUsize,
}

impl Tally {
    fn add(&self, result: &anyhow::Result<(u16, Bytes)>) {
        match result {
            Ok((status, _)) => {
                let class = (*status as usize / 100).min(5);
                self.by_class[class].fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {
                self.transport.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    fn line(&self) -> String {
        let n = |i: usize| self.by_class[i].load(Ordering::Relaxed);
        format!(
            "2xx {} | 4xx {} | 5xx {} | erros de transporte {}",
            n(2),
            n(4),
            n(5),
            self.transport.load(Ordering::Relaxed)
        )
    }
}

fn main() -> anyhow::Result<()> {
    let opts = Opts::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(run(opts))
}

async fn run(opts: Opts) -> anyhow::Result<()> {
    let http = Http::new(&opts.url, opts.token.clone());
    match opts.modo.as_str() {
        "rajada" => rajada(&http, &opts).await,
        "sustentado" => sustentado(&http, &opts).await,
        "tokens" => tokens(&http, &opts).await,
        other => Err(anyhow!("--modo {other}: use rajada, sustentado ou tokens")),
    }
}

async fn rajada(http: &Http, opts: &Opts) -> anyhow::Result<()> {
    let book = http.order_numbers().await?;
    ensure!(
        book.len() >= opts.pedidos,
        "the book has {} orders, fewer than --pedidos {}",
        book.len(),
        opts.pedidos
    );
    let mut rng = ChaCha8Rng::seed_from_u64(opts.seed);
    let bodies: Vec<Bytes> = (0..opts.clientes)
        .map(|_| {
            let pedidos: Vec<&String> = book.choose_multiple(&mut rng, opts.pedidos).collect();
            Bytes::from(
                json!({"pedidos": pedidos, "data_base": opts.data_base})
                    .to_string()
                    .into_bytes(),
            )
        })
        .collect();
    let body_bytes = bodies.first().map_or(0, Bytes::len);
    let tally = Arc::new(Tally::default());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for body in bodies {
        let http = http.clone();
        let tally = Arc::clone(&tally);
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = http
                .send(Method::POST, "/api/ruptura/analisar-lote-async", body, None)
                .await;
            let analysed = r
                .as_ref()
                .ok()
                .and_then(|(_, b)| serde_json::from_slice::<Value>(b).ok())
                .and_then(|v| v["estatisticas"]["processados"].as_u64())
                .unwrap_or(0);
            tally.add(&r);
            (t.elapsed(), analysed)
        }));
    }
    let mut times = Vec::new();
    let mut analysed = 0;
    for t in tasks {
        let (d, n) = t.await?;
        times.push(d);
        analysed += n;
    }
    times.sort();
    println!(
        "rajada: {} requisições de {} pedidos ({:.1} MB cada) ao mesmo tempo: {}; {} pedidos \
         analisados; resposta mais lenta {:.1} s, mediana {:.1} s, total {:.1} s",
        opts.clientes,
        opts.pedidos,
        body_bytes as f64 / 1e6,
        tally.line(),
        analysed,
        times.last().map_or(0.0, Duration::as_secs_f64),
        times
            .get(times.len() / 2)
            .map_or(0.0, Duration::as_secs_f64),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn sustentado(http: &Http, opts: &Opts) -> anyhow::Result<()> {
    let book = Arc::new(http.order_numbers().await?);
    ensure!(!book.is_empty(), "the book is empty");
    let next = Arc::new(AtomicUsize::new(0));
    let tally = Arc::new(Tally::default());
    let deadline = Instant::now() + Duration::from_secs(opts.segundos);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..opts.clientes {
        let (http, book, next, tally) = (
            http.clone(),
            Arc::clone(&book),
            Arc::clone(&next),
            Arc::clone(&tally),
        );
        let (total, seed, data_base) = (
            opts.requisicoes,
            opts.seed + client as u64,
            opts.data_base.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total || Instant::now() >= deadline {
                    break;
                }
                let r = match i % 3 {
                    0 => http.send(Method::GET, "/health", Bytes::new(), None).await,
                    1 => {
                        let n = book.choose(&mut rng).expect("non-empty");
                        let path =
                            format!("/api/ruptura/analisar-pedido/{n}?data_base={data_base}");
                        http.send(Method::GET, &path, Bytes::new(), None).await
                    }
                    _ => {
                        let pedidos: Vec<&String> = book.choose_multiple(&mut rng, 20).collect();
                        let body = json!({"pedidos": pedidos, "data_base": data_base});
                        http.send(
                            Method::POST,
                            "/api/ruptura/analisar-lote-async",
                            Bytes::from(body.to_string().into_bytes()),
                            None,
                        )
                        .await
                    }
                };
                tally.add(&r);
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let sent = next.load(Ordering::Relaxed).min(opts.requisicoes);
    println!(
        "sustentado: {} clientes, {} requisições em {:.1} s ({:.0}/s; health, analisar-pedido e \
         lotes de 20 alternados): {}",
        opts.clientes,
        sent,
        elapsed,
        sent as f64 / elapsed,
        tally.line()
    );
    Ok(())
}

async fn tokens(http: &Http, opts: &Opts) -> anyhow::Result<()> {
    let (mut checked, mut limited, mut other) = (0usize, 0usize, 0usize);
    let deadline = Instant::now() + Duration::from_secs(opts.segundos);
    let started = Instant::now();
    let mut i = 0u64;
    while Instant::now() < deadline {
        i += 1;
        let guess = format!("palpite-{i:016}");
        // A protected route: a wrong token gets 401, or 429 past the failed-token limit.
        match http
            .send(
                Method::GET,
                "/api/carteira/filtros",
                Bytes::new(),
                Some(&guess),
            )
            .await
        {
            Ok((401, _)) => checked += 1,
            Ok((429, _)) => limited += 1,
            _ => other += 1,
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "tokens: {i} tokens errados em {elapsed:.1} s: {checked} conferidos (401), {limited} \
         recusados pelo limite (429), {other} outras respostas; {:.2} palpites conferidos por \
         segundo",
        checked as f64 / elapsed
    );
    Ok(())
}
