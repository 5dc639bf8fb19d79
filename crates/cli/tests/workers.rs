//! Scale-out with real processes: `ruptura serve --queue redis` and several `ruptura worker`
//! processes against a real Redis (`RUPTURA_TEST_REDIS`, default `redis://127.0.0.1:6379`),
//! on a SQLite database filled through `ruptura import`. Every result is compared with
//! `ruptura analyze --format json` on the same database and date.
//!
//! When Redis does not answer these tests print a notice and pass, unless `CI=true`, where they
//! fail. Each test uses its own key prefix; the restart test runs a private `redis-server`.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{json_of, run_ok, ruptura};
use serde_json::Value;

const TODAY: &str = "2026-03-02";
const JOB_LIMIT: Duration = Duration::from_secs(120);

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

fn base_redis() -> String {
    std::env::var("RUPTURA_TEST_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

fn redis_answers(url: &str) -> bool {
    redis::Client::open(url)
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(3)))
        .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
        .is_ok()
}

/// The shared test Redis, or `None` (after a notice) when it does not answer outside CI.
fn test_redis() -> Option<String> {
    let url = base_redis();
    if redis_answers(&url) {
        return Some(url);
    }
    assert!(!in_ci(), "Redis não responde em {url} (CI=true)");
    eprintln!("AVISO: Redis não responde em {url}; teste ignorado (defina RUPTURA_TEST_REDIS)");
    None
}

/// A `ruptura` command with none of the queue settings of the environment.
fn cmd() -> Command {
    let mut c = ruptura();
    for var in [
        "QUEUE",
        "REDIS_URL",
        "REDIS_PREFIX",
        "NUM_WORKERS",
        "WORKER_NAME",
        "VISIBILIDADE_SEGUNDOS",
        "MAX_TENTATIVAS",
        "JOB_TTL_SEGUNDOS",
        "BIND",
    ] {
        c.env_remove(var);
    }
    c
}

/// A generated order book imported through the real import path, and the in-process results.
struct Book {
    dir: tempfile::TempDir,
    db: String,
    /// `ruptura analyze --format json` on it: num_pedido -> RESULT.
    expected: BTreeMap<String, Value>,
}

fn book(orders: usize) -> Book {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("csv");
    let today = chrono::NaiveDate::parse_from_str(TODAY, "%Y-%m-%d").unwrap();
    let data = ruptura_datagen::generate(&ruptura_datagen::GenConfig::demo(5, today, orders));
    ruptura_datagen::write_csv_dir(&data, &csv).unwrap();
    let db = format!("sqlite://{}", dir.path().join("carteira.db").display());
    run_ok(&["migrate", "--db", &db]);
    run_ok(&["import", "--db", &db, csv.to_str().unwrap()]);
    let out = run_ok(&["analyze", "--db", &db, "--today", TODAY, "--format", "json"]);
    let expected = json_of(&out)["resultados"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    Book { dir, db, expected }
}

/// A child process killed (SIGKILL) when dropped.
struct Proc {
    child: Child,
    name: String,
    log: PathBuf,
}

impl Proc {
    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.pid().to_string()])
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(ok, "kill {sig} {}", self.name);
    }

    /// Waits for the process to exit, at most `limit`.
    fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let until = Instant::now() + limit;
        while Instant::now() < until {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server with the Redis queue and its workers, sharing a key prefix.
struct Cluster {
    redis: String,
    prefix: String,
    db: String,
    logs: PathBuf,
    addr: SocketAddr,
    server: Proc,
    workers: Vec<Proc>,
}

impl Cluster {
    fn start(book: &Book, redis: &str, test: &str, workers: usize) -> Self {
        let prefix = format!("ruptura-cli-{test}-{}:", std::process::id());
        let logs = book.dir.path().to_path_buf();
        let log = logs.join("serve.log");
        let mut child = cmd()
            .args([
                "serve",
                "--db",
                &book.db,
                "--bind",
                "127.0.0.1:0",
                "--queue",
                "redis",
            ])
            .args(["--redis-url", redis, "--redis-prefix", &prefix])
            .env("RUST_LOG", "info,ruptura::http=warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve");
        // The address is printed on stderr; the rest is copied to a file.
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let file = Arc::new(Mutex::new(std::fs::File::create(&log).unwrap()));
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("Ruptura em http://").nth(1) {
                    let addr = rest.split('/').next().unwrap_or_default().to_string();
                    let _ = tx.send(addr);
                }
                let _ = writeln!(file.lock().unwrap(), "{line}");
            }
        });
        let server = Proc {
            child,
            name: "serve".into(),
            log,
        };
        let addr = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("o servidor não subiu:\n{}", server.log()))
            .parse()
            .unwrap();
        let mut cluster = Self {
            redis: redis.to_string(),
            prefix,
            db: book.db.clone(),
            logs,
            addr,
            server,
            workers: Vec::new(),
        };
        for n in 0..workers {
            cluster.add_worker(&format!("w{n}"));
        }
        cluster
    }

    fn add_worker(&mut self, name: &str) {
        let log = self.logs.join(format!("{name}.log"));
        let child = cmd()
            .args(["worker", "--db", &self.db, "--redis-url", &self.redis])
            .args([
                "--redis-prefix",
                &self.prefix,
                "--workers",
                "1",
                "--nome",
                name,
            ])
            .args(["--visibilidade", "2", "--carencia", "5"])
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("worker");
        self.workers.push(Proc {
            child,
            name: name.to_string(),
            log,
        });
    }

    fn submit(&self, batch_size: usize) -> (String, usize) {
        let body = format!(r#"{{"data_base": "{TODAY}", "tamanho_lote": {batch_size}}}"#);
        let (status, text) = http(self.addr, "POST", "/api/ruptura/jobs", Some(&body));
        assert_eq!(status, 202, "{text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        (
            v["job_id"].as_str().unwrap().to_string(),
            v["total_lotes"].as_u64().unwrap() as usize,
        )
    }

    /// The job's status, or `None` while the server cannot answer (Redis down).
    fn status(&self, id: &str) -> Option<Value> {
        let (status, text) = http(self.addr, "GET", &format!("/api/ruptura/jobs/{id}"), None);
        (status == 200).then(|| serde_json::from_str(&text).unwrap())
    }

    /// Polls until the job is no longer running; its final status.
    fn wait_finished(&self, id: &str, limit: Duration) -> Value {
        let until = Instant::now() + limit;
        loop {
            if let Some(s) = self.status(id) {
                if s["estado"] != "em_andamento" {
                    return s;
                }
            }
            assert!(
                Instant::now() < until,
                "o job {id} não terminou em {limit:?}\n{}",
                self.logs_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Polls until `cond` holds for the job's status.
    fn wait_until(&self, id: &str, what: &str, cond: impl Fn(&Value) -> bool) {
        let until = Instant::now() + JOB_LIMIT;
        loop {
            if self.status(id).is_some_and(|s| cond(&s)) {
                return;
            }
            assert!(
                Instant::now() < until,
                "esperando {what}\n{}",
                self.logs_text()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn results(&self, id: &str) -> BTreeMap<String, Value> {
        let (status, text) = http(
            self.addr,
            "GET",
            &format!("/api/ruptura/jobs/{id}/resultados"),
            None,
        );
        assert_eq!(status, 200, "{text}");
        let v: Value = serde_json::from_str(&text).unwrap();
        v["resultados"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Pending entries of one consumer on the stream.
    fn pending_of(&self, consumer: &str) -> usize {
        let Ok(mut c) = redis::Client::open(self.redis.as_str()).and_then(|c| c.get_connection())
        else {
            return 0;
        };
        let reply: redis::RedisResult<redis::streams::StreamPendingCountReply> =
            redis::cmd("XPENDING")
                .arg(format!("{}lotes", self.prefix))
                .arg(ruptura_worker::keys::GROUP)
                .arg("-")
                .arg("+")
                .arg(100)
                .arg(consumer)
                .query(&mut c);
        reply.map(|r| r.ids.len()).unwrap_or(0)
    }

    fn logs_text(&self) -> String {
        let mut all = format!("--- serve\n{}", tail(&self.server.log()));
        for w in &self.workers {
            all.push_str(&format!("--- {}\n{}", w.name, tail(&w.log())));
        }
        all
    }
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n") + "\n"
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.workers.clear();
        if let Ok(mut c) = redis::Client::open(self.redis.as_str()).and_then(|c| c.get_connection())
        {
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{}*", self.prefix))
                .query(&mut c)
                .unwrap_or_default();
            if !keys.is_empty() {
                let _: redis::RedisResult<()> = redis::cmd("DEL").arg(keys).query(&mut c);
            }
        }
    }
}

/// A plain HTTP/1.0 request (the server then sends the body without chunking and closes).
fn http(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> (u16, String) {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(5)) else {
        return (0, String::new());
    };
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let body = body.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    if s.write_all(req.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return (0, text);
    };
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

/// One server-sent event.
#[derive(Debug, Clone)]
struct Sse {
    id: u64,
    event: String,
    data: Value,
}

/// Follows a job's event stream (SSE) until it ends; the events.
fn follow_sse(addr: SocketAddr, id: &str, limit: Duration) -> Vec<Sse> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(limit)).unwrap();
    write!(
        s,
        "GET /api/ruptura/jobs/{id}/eventos HTTP/1.0\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    let until = Instant::now() + limit;
    let mut reader = BufReader::new(s);
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => raw.push_str(&line),
            Err(e) => panic!("SSE: {e}"),
        }
        if raw.contains("event: concluido") || raw.contains("event: falhou") {
            // Read to the end of that event.
            if raw.ends_with("\n\n") || raw.ends_with("\r\n\r\n") {
                break;
            }
        }
        assert!(Instant::now() < until, "SSE sem fim em {limit:?}");
    }
    let body = raw.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or(&raw);
    body.split("\n\n")
        .filter_map(|block| {
            let mut ev = Sse {
                id: 0,
                event: String::new(),
                data: Value::Null,
            };
            for l in block.lines() {
                if let Some(v) = l.strip_prefix("id:") {
                    ev.id = v.trim().parse().unwrap_or(0);
                } else if let Some(v) = l.strip_prefix("event:") {
                    ev.event = v.trim().to_string();
                } else if let Some(v) = l.strip_prefix("data:") {
                    ev.data = serde_json::from_str(v.trim()).unwrap_or(Value::Null);
                }
            }
            (!ev.event.is_empty()).then_some(ev)
        })
        .collect()
}

/// Every order has exactly one result, equal to the in-process one.
fn assert_same(book: &Book, got: &BTreeMap<String, Value>) {
    assert_eq!(got.len(), book.expected.len(), "um resultado por pedido");
    let mut diffs = Vec::new();
    for (num, want) in &book.expected {
        match got.get(num) {
            Some(g) if g == want => {}
            Some(_) => diffs.push(format!("{num}: diferente do processamento local")),
            None => diffs.push(format!("{num}: sem resultado")),
        }
    }
    assert!(
        diffs.is_empty(),
        "{} diferenças: {:?}",
        diffs.len(),
        &diffs[..diffs.len().min(10)]
    );
}

/// The SSE stream of a completed job: ids 1..=n, each batch once, every order in exactly one
/// `lote` event, then `concluido`.
fn assert_events(events: &[Sse], batches: usize, orders: usize) {
    assert_eq!(events.len(), batches + 1, "um evento por lote e o final");
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.id, i as u64 + 1);
    }
    let mut lotes: Vec<u64> = events
        .iter()
        .filter(|e| e.event == "lote")
        .map(|e| e.data["lote_index"].as_u64().unwrap())
        .collect();
    lotes.sort_unstable();
    assert_eq!(lotes, (0..batches as u64).collect::<Vec<_>>());
    let mut seen = std::collections::HashSet::new();
    for e in events.iter().filter(|e| e.event == "lote") {
        for num in e.data["resultados"].as_object().unwrap().keys() {
            assert!(seen.insert(num.clone()), "{num} em dois eventos");
        }
    }
    assert_eq!(seen.len(), orders);
    let last = events.last().unwrap();
    assert_eq!(last.event, "concluido");
    assert_eq!(last.data["processados"].as_u64(), Some(orders as u64));
}

#[test]
fn http_job_with_workers_equals_in_process() {
    let Some(redis) = test_redis() else { return };
    let book = book(1000);
    let cluster = Cluster::start(&book, &redis, "http", 2);
    let (id, batches) = cluster.submit(20);
    let events = follow_sse(cluster.addr, &id, JOB_LIMIT);
    assert_events(&events, batches, book.expected.len());
    let status = cluster.wait_finished(&id, JOB_LIMIT);
    assert_eq!(status["estado"], "concluido");
    assert_eq!(
        status["processados"].as_u64(),
        Some(book.expected.len() as u64)
    );
    assert_same(&book, &cluster.results(&id));
}

#[test]
fn kill_9_of_one_of_three_workers_loses_nothing() {
    let Some(redis) = test_redis() else { return };
    let book = book(3000);
    let mut cluster = Cluster::start(&book, &redis, "kill9", 3);
    let (id, batches) = cluster.submit(10);
    let sse = {
        let addr = cluster.addr;
        let id = id.clone();
        std::thread::spawn(move || follow_sse(addr, &id, JOB_LIMIT))
    };
    // Kill worker w1 while it holds a batch, some way into the job.
    cluster.wait_until(&id, "progresso", |s| {
        s["lotes_concluidos"].as_u64() >= Some(20)
    });
    let until = Instant::now() + Duration::from_secs(20);
    while cluster.pending_of("w1-0") == 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(1));
    }
    let held = cluster.pending_of("w1-0");
    cluster.workers[1].signal("-KILL");
    assert!(cluster.workers[1]
        .wait_exit(Duration::from_secs(5))
        .is_some());
    eprintln!("worker w1 morto (kill -9) com {held} lote(s) pendente(s)");

    let status = cluster.wait_finished(&id, JOB_LIMIT);
    assert_eq!(status["estado"], "concluido", "{}", cluster.logs_text());
    assert_eq!(status["lotes_concluidos"].as_u64(), Some(batches as u64));
    assert_eq!(
        status["processados"].as_u64(),
        Some(book.expected.len() as u64)
    );
    assert_same(&book, &cluster.results(&id));
    assert_events(&sse.join().unwrap(), batches, book.expected.len());
    assert_eq!(
        cluster.pending_of("w1-0"),
        0,
        "o lote do morto foi retomado"
    );
}

#[test]
fn sigterm_is_graceful() {
    let Some(redis) = test_redis() else { return };
    let book = book(2000);
    let mut cluster = Cluster::start(&book, &redis, "sigterm", 2);
    let (id, batches) = cluster.submit(10);
    cluster.wait_until(&id, "progresso", |s| {
        s["lotes_concluidos"].as_u64() >= Some(10)
    });
    let until = Instant::now() + Duration::from_secs(20);
    while cluster.pending_of("w0-0") == 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(1));
    }
    let sent = Instant::now();
    cluster.workers[0].signal("-TERM");
    let exit = cluster.workers[0]
        .wait_exit(Duration::from_secs(10))
        .expect("o worker saiu depois do SIGTERM");
    let took = sent.elapsed();
    assert!(
        exit.success(),
        "saída {exit:?}\n{}",
        cluster.workers[0].log()
    );
    assert!(took < Duration::from_secs(5), "saiu em {took:?}");
    eprintln!("worker saiu {took:?} depois do SIGTERM");
    assert_eq!(
        cluster.pending_of("w0-0"),
        0,
        "nada ficou pendente com o worker que saiu"
    );

    let status = cluster.wait_finished(&id, JOB_LIMIT);
    assert_eq!(status["estado"], "concluido", "{}", cluster.logs_text());
    assert_eq!(status["lotes_concluidos"].as_u64(), Some(batches as u64));
    assert_same(&book, &cluster.results(&id));
}

/// A private `redis-server` without persistence, on a free port.
struct PrivateRedis {
    port: u16,
    dir: PathBuf,
    proc: Option<Child>,
}

impl PrivateRedis {
    fn start(dir: &Path) -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let mut r = Self {
            port,
            dir: dir.to_path_buf(),
            proc: None,
        };
        r.restart().then_some(r)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    /// (Re)starts the server on the same port, empty; false when redis-server is missing.
    fn restart(&mut self) -> bool {
        self.kill();
        let Ok(child) = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        else {
            return false;
        };
        self.proc = Some(child);
        let until = Instant::now() + Duration::from_secs(10);
        while Instant::now() < until {
            if redis_answers(&self.url()) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn kill(&mut self) {
        if let Some(mut c) = self.proc.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

#[test]
fn redis_restart_mid_job_ends_the_job() {
    let book = book(3000);
    let Some(mut redis) = PrivateRedis::start(book.dir.path()) else {
        assert!(!in_ci(), "redis-server não pôde ser iniciado (CI=true)");
        eprintln!("AVISO: redis-server indisponível; teste ignorado");
        return;
    };
    let cluster = Cluster::start(&book, &redis.url(), "restart", 3);
    let (id, _) = cluster.submit(5);
    cluster.wait_until(&id, "progresso", |s| {
        s["lotes_concluidos"].as_u64() >= Some(30)
    });

    // Redis dies and comes back empty (no persistence) mid-job.
    let restarted = Instant::now();
    redis.kill();
    std::thread::sleep(Duration::from_millis(500));
    assert!(redis.restart(), "redis-server reiniciado");

    // Within a bounded time the job is complete (recreated from the server's copy and
    // re-queued) or failed with a message, never left running.
    let status = cluster.wait_finished(&id, Duration::from_secs(90));
    eprintln!(
        "depois do reinício do Redis: {} em {:?}",
        status["estado"],
        restarted.elapsed()
    );
    match status["estado"].as_str() {
        Some("concluido") => assert_same(&book, &cluster.results(&id)),
        Some("falhou") => assert!(status["mensagem"].as_str().is_some_and(|m| !m.is_empty())),
        other => panic!("estado {other:?}"),
    }
}

#[test]
fn worker_command_line() {
    let out = cmd().args(["worker", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--redis-url",
        "--workers",
        "--visibilidade",
        "--max-tentativas",
        "--db",
    ] {
        assert!(help.contains(flag), "{flag} em `worker --help`");
    }
    let out = cmd().args(["serve", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("--queue"));
}
