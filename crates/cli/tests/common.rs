//! Helpers for tests that run the real `ruptura` binary.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The shared folder beside the checkout (`../shared`), or `RUPTURA_SHARED` when set.
pub fn shared_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("RUPTURA_SHARED") {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

pub fn vectors_dir() -> PathBuf {
    let dir = shared_dir().join("vectors");
    assert!(
        dir.is_dir(),
        "golden vectors not found at {} (set RUPTURA_SHARED)",
        dir.display()
    );
    dir
}

/// Every scenario folder, sorted.
pub fn vector_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(vectors_dir())
        .expect("read vectors")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    dirs.sort();
    dirs
}

pub fn ruptura() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ruptura"));
    // The tests set everything they rely on; nothing leaks in from the environment.
    for var in [
        "DATABASE_URL",
        "HORIZONTE_DIAS",
        "LEAD_TIME_DIAS",
        "CRITICIDADE_REGRA",
        "RUPTURA_TZ",
        "BATCH_SIZE",
        "MAX_WORKERS",
        "API_TOKEN",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `ruptura ARGS` and returns its output, panicking with stderr when it fails.
pub fn run_ok(args: &[&str]) -> Output {
    let out = ruptura().args(args).output().expect("run ruptura");
    assert!(
        out.status.success(),
        "ruptura {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    out
}

pub fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

/// Quantities compare to 0.001, money and percentages to 0.01 (SPEC 7).
fn tolerance(field: &str) -> f64 {
    match field {
        "qtd_saldo" | "estoque_atual" | "estoque_min_d7" | "ruptura_qtd" | "qtd_producao" => {
            0.0005 + 1e-9
        }
        _ => 0.005 + 1e-9,
    }
}

/// Checks that every field of `expected` is in `actual` with the same value (numbers within the
/// tolerance of their field); extra fields in `actual` are allowed. Returns the differences.
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
