//! Test helpers: the golden scenarios of `../shared/vectors` and the field-by-field comparison
//! of results against their `expected.json` (SPEC 7). Used only by tests.
#![forbid(unsafe_code)]

pub mod changes;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The shared folder beside the checkout (`../shared`), or `RUPTURA_SHARED` when set.
pub fn shared_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("RUPTURA_SHARED") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// `../shared/vectors`; panics with a clear message when it is missing.
pub fn vectors_dir() -> PathBuf {
    let dir = shared_dir().join("vectors");
    assert!(
        dir.is_dir(),
        "golden vectors not found at {} (set RUPTURA_SHARED)",
        dir.display()
    );
    dir
}

/// `../shared/vectors-decisoes` (SPEC 8); panics with a clear message when it is missing.
pub fn decisions_dir() -> PathBuf {
    let dir = shared_dir().join("vectors-decisoes");
    assert!(
        dir.is_dir(),
        "decision vectors not found at {} (set RUPTURA_SHARED)",
        dir.display()
    );
    dir
}

/// The scenario folders (with an expected.json) under `dir`, sorted.
fn scenarios_in(dir: &Path) -> Vec<Scenario> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read vectors")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    dirs.sort();
    dirs.iter().map(|d| Scenario::load(d)).collect()
}

/// One golden scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub dir: PathBuf,
    /// `params.json`: today, horizon, lead, mode, regra.
    pub params: Value,
    /// `expected.json`.
    pub expected: Value,
    /// Every order number in the scenario's carteira_principal file.
    pub orders: BTreeSet<String>,
}

impl Scenario {
    pub fn load(dir: &Path) -> Self {
        let read = |f: &str| {
            std::fs::read_to_string(dir.join(f))
                .unwrap_or_else(|e| panic!("{}/{f}: {e}", dir.display()))
        };
        let params: Value = serde_json::from_str(&read("params.json")).expect("params.json");
        let expected: Value = serde_json::from_str(&read("expected.json")).expect("expected.json");
        // The order numbers, read with a plain CSV reader (not the import path under test).
        let text = read("carteira_principal.csv");
        let text = text.trim_start_matches('\u{feff}');
        let delim = if text.lines().next().unwrap_or_default().contains(';') {
            b';'
        } else {
            b','
        };
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delim)
            .from_reader(text.as_bytes());
        let col = rdr
            .headers()
            .expect("header")
            .iter()
            .position(|h| h == "num_pedido")
            .expect("num_pedido column");
        let orders = rdr
            .records()
            .map(|r| r.expect("record")[col].to_string())
            .collect();
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Scenario {
            name,
            dir: dir.to_path_buf(),
            params,
            expected,
            orders,
        }
    }

    /// Every scenario, sorted by name.
    pub fn all() -> Vec<Scenario> {
        scenarios_in(&vectors_dir())
    }

    /// Every scenario of `../shared/vectors-decisoes` (SPEC 8), sorted by name.
    pub fn all_decisions() -> Vec<Scenario> {
        scenarios_in(&decisions_dir())
    }

    /// `params.pedidos`: the orders the scenario asks for (none: the whole book).
    pub fn pedidos(&self) -> Option<Vec<String>> {
        self.params.get("pedidos")?.as_array().map(|a| {
            a.iter()
                .map(|v| v.as_str().expect("pedidos: text").to_string())
                .collect()
        })
    }

    /// A partial-shipment minimum of `params.json` (`parcial_min_valor`, `parcial_min_pct`) as
    /// text, when set.
    pub fn param_minimum(&self, key: &str) -> Option<String> {
        self.params.get(key).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    }

    /// Compares the parts of a decision document (`resultados`, `estatisticas`, `produtos`)
    /// that `actual` holds with `expected.json`: every expected field (numbers within their
    /// tolerance), exactly the expected orders, and the products in the expected order.
    pub fn check_document(&self, actual: &Value, diffs: &mut Vec<String>) {
        let expected = self.expected.as_object().expect("expected.json: object");
        for (part, exp) in expected {
            let Some(got) = actual.get(part) else {
                continue;
            };
            compare(&format!("{}:{part}", self.name), part, exp, got, diffs);
            if part == "resultados" {
                let keys = |v: &Value| -> BTreeSet<String> {
                    v.as_object()
                        .map(|o| o.keys().cloned().collect())
                        .unwrap_or_default()
                };
                if keys(exp) != keys(got) {
                    diffs.push(format!(
                        "{}: orders {:?}, expected {:?}",
                        self.name,
                        keys(got),
                        keys(exp)
                    ));
                }
            }
        }
    }

    pub fn param_str(&self, key: &str) -> &str {
        self.params[key]
            .as_str()
            .unwrap_or_else(|| panic!("{}: params.{key}", self.name))
    }

    pub fn param_u32(&self, key: &str) -> u32 {
        self.params[key]
            .as_u64()
            .and_then(|v| u32::try_from(v).ok())
            .unwrap_or_else(|| panic!("{}: params.{key}", self.name))
    }

    /// The orders `expected.json` says are analysed (success true).
    pub fn found(&self) -> BTreeSet<String> {
        self.expected["resultados"]
            .as_object()
            .expect("resultados")
            .iter()
            .filter(|(_, v)| v["success"] == Value::Bool(true))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Compares `resultados` (an object keyed by order) with the scenario: every expected order
    /// field by field, and every other order of the file "not found" when `all_named` is set.
    pub fn check(&self, resultados: &Value, all_named: bool, diffs: &mut Vec<String>) {
        let expected = self.expected["resultados"].as_object().expect("resultados");
        for (num, exp) in expected {
            match resultados.get(num) {
                Some(actual) => compare(&format!("{}:{num}", self.name), num, exp, actual, diffs),
                None => diffs.push(format!("{}:{num}: no result", self.name)),
            }
        }
        if all_named {
            let found = self.found();
            for num in self.orders.iter().filter(|n| !found.contains(*n)) {
                let r = &resultados[num];
                if r["success"] != Value::Bool(false) || r["message"] != "Pedido não encontrado" {
                    diffs.push(format!("{}:{num}: expected not found, got {r}", self.name));
                }
            }
        }
    }
}

/// Quantities compare to 0.001, money and percentages to 0.01 (SPEC 7).
fn tolerance(field: &str) -> f64 {
    match field {
        "qtd_saldo" | "estoque_atual" | "estoque_min_d7" | "ruptura_qtd" | "qtd_producao"
        | "qtd_agora" | "qtd_falta" | "menor_estoque" => 0.0005 + 1e-9,
        _ => 0.005 + 1e-9,
    }
}

/// Checks that every field of `expected` is in `actual` with the same value (numbers within the
/// tolerance of their field); extra fields in `actual` are allowed. Pushes the differences.
pub fn compare(path: &str, field: &str, expected: &Value, actual: &Value, diffs: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                match a.get(k) {
                    Some(av) => compare(&format!("{path}.{k}"), k, ev, av, diffs),
                    None => diffs.push(format!("{path}.{k}: missing (expected {ev})")),
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                diffs.push(format!("{path}: {} items, expected {}", a.len(), e.len()));
                return;
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                compare(&format!("{path}[{i}]"), field, ev, av, diffs);
            }
        }
        (Value::Number(e), Value::Number(a)) => {
            let (e, a) = (
                e.as_f64().unwrap_or(f64::NAN),
                a.as_f64().unwrap_or(f64::NAN),
            );
            if (e - a).abs() > tolerance(field) {
                diffs.push(format!("{path}: {a}, expected {e}"));
            }
        }
        (e, a) => {
            if e != a {
                diffs.push(format!("{path}: {a}, expected {e}"));
            }
        }
    }
}

/// A TCP proxy in front of a database that a test can stop (refusing and cutting every
/// connection, as a stopped server does) and start again on the same port: an outage without
/// touching the real server, which other tests share.
pub struct Proxy {
    pub port: u16,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Proxy {
    /// Listens on 127.0.0.1:`port` (0: any free port) and forwards to `upstream` (`host:port`).
    pub async fn start(port: u16, upstream: String) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                conns.spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
            }
        });
        Self {
            port,
            task: Some(task),
        }
    }

    /// Stops listening and cuts every connection (the JoinSet aborts its tasks on drop).
    pub async fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

/// `host:port` of a `postgres://user@host:port/...` URL.
pub fn host_port(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_catches_a_wrong_value() {
        let mut diffs = Vec::new();
        let exp =
            serde_json::json!({"a": {"ruptura_qtd": 20.0, "data": "2026-03-05", "l": [1, 2]}});
        let bad = serde_json::json!({"a": {"ruptura_qtd": 20.002, "data": "2026-03-06", "l": [1]}});
        compare("t", "t", &exp, &bad, &mut diffs);
        assert_eq!(diffs.len(), 3, "{diffs:?}");
        let mut none = Vec::new();
        let ok = serde_json::json!({"a": {"ruptura_qtd": 20.0004, "data": "2026-03-05", "l": [1, 2], "extra": 1}});
        compare("t", "t", &exp, &ok, &mut none);
        assert!(none.is_empty(), "{none:?}");
    }

    #[test]
    fn host_port_of_urls() {
        assert_eq!(
            host_port("postgres://postgres@127.0.0.1:5432"),
            "127.0.0.1:5432"
        );
        assert_eq!(host_port("postgres://u:p@h:1/db"), "h:1");
    }

    #[test]
    fn every_decision_scenario_loads() {
        let all = Scenario::all_decisions();
        assert!(all.len() >= 4, "found {}", all.len());
        assert!(all.iter().any(|s| s.pedidos().is_some()));
        let mut diffs = Vec::new();
        let s = &all[0];
        s.check_document(&s.expected, &mut diffs);
        assert!(diffs.is_empty(), "{diffs:?}");
        let mut wrong = s.expected.clone();
        wrong["estatisticas"]["valor_total"] = serde_json::json!(-1.0);
        s.check_document(&wrong, &mut diffs);
        assert_eq!(diffs.len(), 1, "{diffs:?}");
    }

    #[test]
    fn every_scenario_loads() {
        let all = Scenario::all();
        assert!(all.len() >= 13, "found {}", all.len());
        assert!(all.iter().all(|s| !s.orders.is_empty()));
    }
}
