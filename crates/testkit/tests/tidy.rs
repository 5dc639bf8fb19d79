//! The architecture's rules as a test (after rust-analyzer's tidy test): what ARCHITECTURE.md
//! says each crate may not do is checked here against `cargo metadata` and the sources, so a
//! change that breaks a rule fails `cargo test` instead of waiting for a reviewer.
//!
//! Each rule is a function from its inputs (the metadata's JSON, a file's text) to the
//! violations it finds; the tests at the end feed each rule a broken input and check that it
//! complains, so a rule cannot pass by checking nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// A module may have at most this many lines.
const MAX_LINES: usize = 800;

/// Crates the engine may not reach through its normal dependencies: IO, async, databases, JSON.
const ENGINE_FORBIDDEN: &[&str] = &[
    "tokio",
    "sqlx",
    "rusqlite",
    "serde_json",
    "redis",
    "axum",
    "hyper",
    "reqwest",
];

/// Crates that run SQL: the server may not depend on them directly.
const SQL_CRATES: &[&str] = &["sqlx", "rusqlite"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The platform the tests run on: the metadata is resolved for it only (crates of other
/// platforms need not be downloaded).
fn host() -> String {
    let out = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("-vV")
        .output()
        .expect("rustc -vV runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .to_string()
}

fn metadata() -> Value {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", &host()])
        .current_dir(root())
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON")
}

/// The dependency graph of the metadata's resolve: package name -> (dependency name, kinds),
/// kinds being "normal", "dev" or "build".
type Graph = BTreeMap<String, Vec<(String, BTreeSet<String>)>>;

fn graph(meta: &Value) -> Graph {
    let name_of: BTreeMap<&str, &str> = meta["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| Some((p["id"].as_str()?, p["name"].as_str()?)))
        .collect();
    let mut g = Graph::new();
    for node in meta["resolve"]["nodes"].as_array().into_iter().flatten() {
        let Some(&name) = node["id"].as_str().and_then(|id| name_of.get(id)) else {
            continue;
        };
        let deps: Vec<(String, BTreeSet<String>)> = node["deps"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|d| {
                let dep = *name_of.get(d["pkg"].as_str()?)?;
                let kinds: BTreeSet<String> = d["dep_kinds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|k| k["kind"].as_str().unwrap_or("normal").to_string())
                    .collect();
                Some((dep.to_string(), kinds))
            })
            .collect();
        g.entry(name.to_string()).or_default().extend(deps);
    }
    g
}

/// Names of the dependencies of `pkg` of `kind`, direct ones only.
fn direct(g: &Graph, pkg: &str, kind: &str) -> BTreeSet<String> {
    g.get(pkg)
        .into_iter()
        .flatten()
        .filter(|(_, kinds)| kinds.contains(kind))
        .map(|(d, _)| d.clone())
        .collect()
}

/// Every package `pkg` reaches through normal dependencies (what its library links), as
/// `cargo tree` resolves them for `pkg` alone (the metadata's resolve unifies the features of the
/// whole workspace, so it shows dependencies a crate does not have on its own).
fn linked(pkg: &str) -> BTreeSet<String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "-p",
            pkg,
        ])
        .current_dir(root())
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// The same over a graph: what the rule tests below use.
fn normal_closure(g: &Graph, pkg: &str) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![pkg.to_string()];
    while let Some(p) = todo.pop() {
        for d in direct(g, &p, "normal") {
            if seen.insert(d.clone()) {
                todo.push(d);
            }
        }
    }
    seen
}

/// The rules on dependencies; each violation is one line.
fn dependency_violations(g: &Graph, linked: &dyn Fn(&str) -> BTreeSet<String>) -> Vec<String> {
    let mut v = Vec::new();
    let engine = linked("ruptura-engine");
    for bad in ENGINE_FORBIDDEN {
        if engine.contains(*bad) {
            v.push(format!(
                "ruptura-engine reaches {bad}: the engine does no IO"
            ));
        }
    }
    for kind in ["normal", "dev", "build"] {
        if direct(g, "ruptura-worker", kind).contains("ruptura-server") {
            v.push(format!(
                "ruptura-worker depends on ruptura-server ({kind}): the job queue contract is in ruptura-jobs"
            ));
        }
    }
    if linked("ruptura-worker").contains("ruptura-server") {
        v.push("ruptura-worker reaches ruptura-server".to_string());
    }
    let server = direct(g, "ruptura-server", "normal");
    for sql in SQL_CRATES {
        if server.contains(*sql) {
            v.push(format!(
                "ruptura-server depends on {sql}: the server runs no SQL, the store does"
            ));
        }
    }
    for (pkg, deps) in g {
        for (dep, kinds) in deps {
            if dep == "ruptura-testkit" && kinds.iter().any(|k| k != "dev") {
                v.push(format!(
                    "{pkg} depends on ruptura-testkit outside dev-dependencies"
                ));
            }
        }
    }
    v
}

/// The rules on one source file under `crates/*/src`.
fn source_violations(path: &str, text: &str) -> Vec<String> {
    let mut v = Vec::new();
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if !first.starts_with("//!") {
        v.push(format!(
            "{path}: no `//!` doc comment saying what the module is for"
        ));
    }
    let lines = text.lines().count();
    if lines > MAX_LINES {
        v.push(format!(
            "{path}: {lines} lines, more than {MAX_LINES}: split it by job"
        ));
    }
    v
}

/// The lint that keeps `unwrap`/`expect` (panics) out of production code.
const NO_PANICS: &str = "#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]";

/// A crate root (`lib.rs`, `main.rs`) must deny `unwrap`/`expect` outside tests; testkit, a
/// test helper, may panic.
fn crate_root_violations(path: &str, text: &str) -> Vec<String> {
    let root = path.ends_with("/src/lib.rs") || path.ends_with("/src/main.rs");
    if root && !path.starts_with("crates/testkit/") && !text.lines().any(|l| l.trim() == NO_PANICS)
    {
        vec![format!("{path}: lacks `{NO_PANICS}`")]
    } else {
        Vec::new()
    }
}

/// SQL in the server's code: the server goes through the store.
fn server_sql_violations(path: &str, text: &str) -> Vec<String> {
    ["sqlx::", "rusqlite::"]
        .iter()
        .filter(|needle| text.contains(*needle))
        .map(|needle| format!("{path}: uses {needle}: the server runs no SQL"))
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Every `.rs` file under `crates/*/src`, with its path relative to the workspace.
fn sources() -> Vec<(String, String)> {
    let root = root();
    let mut crates: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .expect("crates/ is there")
        .flatten()
        .map(|e| e.path().join("src"))
        .collect();
    crates.sort();
    let mut files = Vec::new();
    for src in crates {
        rust_files(&src, &mut files);
    }
    let canonical = root.canonicalize().expect("the workspace root exists");
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("a source file is UTF-8");
            let shown = p
                .canonicalize()
                .ok()
                .and_then(|c| c.strip_prefix(&canonical).ok().map(Path::to_path_buf))
                .unwrap_or(p);
            (shown.display().to_string(), text)
        })
        .collect()
}

#[test]
fn dependencies_keep_the_layers() {
    let g = graph(&metadata());
    assert!(
        g.contains_key("ruptura-engine") && g.contains_key("ruptura-worker"),
        "the metadata lists the workspace's crates"
    );
    assert!(
        linked("ruptura-engine").contains("rust_decimal"),
        "cargo tree's output was read"
    );
    let v = dependency_violations(&g, &linked);
    assert!(v.is_empty(), "layering broken:\n{}", v.join("\n"));
}

#[test]
fn every_module_is_documented_and_short() {
    let files = sources();
    assert!(files.len() > 50, "the sources were found ({})", files.len());
    let v: Vec<String> = files
        .iter()
        .flat_map(|(path, text)| {
            let mut v = source_violations(path, text);
            v.extend(crate_root_violations(path, text));
            v
        })
        .collect();
    assert!(v.is_empty(), "modules:\n{}", v.join("\n"));
}

#[test]
fn the_server_runs_no_sql() {
    let files = sources();
    let v: Vec<String> = files
        .iter()
        .filter(|(path, _)| path.starts_with("crates/server/"))
        .flat_map(|(path, text)| server_sql_violations(path, text))
        .collect();
    assert!(v.is_empty(), "{}", v.join("\n"));
}

// The rules themselves: each must complain about a broken input.

fn dep(name: &str, kinds: &[&str]) -> (String, BTreeSet<String>) {
    (
        name.to_string(),
        kinds.iter().map(|k| k.to_string()).collect(),
    )
}

fn clean_graph() -> Graph {
    let mut g = Graph::new();
    g.insert(
        "ruptura-engine".into(),
        vec![dep("rust_decimal", &["normal"])],
    );
    g.insert(
        "ruptura-worker".into(),
        vec![
            dep("ruptura-jobs", &["normal"]),
            dep("ruptura-testkit", &["dev"]),
        ],
    );
    g.insert("ruptura-jobs".into(), vec![dep("tokio", &["normal"])]);
    g.insert(
        "ruptura-server".into(),
        vec![dep("ruptura-store", &["normal"])],
    );
    g.insert("ruptura-store".into(), vec![dep("sqlx", &["normal"])]);
    g
}

#[test]
fn the_dependency_rules_catch_each_break() {
    assert_eq!(
        dependency_violations(&clean_graph(), &|p| normal_closure(&clean_graph(), p)),
        Vec::<String>::new()
    );

    let mut g = clean_graph();
    g.insert("rust_decimal".into(), vec![dep("serde_json", &["normal"])]);
    let v = dependency_violations(&g, &|p| normal_closure(&g, p));
    assert!(v.iter().any(|m| m.contains("reaches serde_json")), "{v:?}");

    let mut g = clean_graph();
    g.get_mut("ruptura-worker")
        .unwrap()
        .push(dep("ruptura-server", &["dev"]));
    let v = dependency_violations(&g, &|p| normal_closure(&g, p));
    assert!(
        v.iter()
            .any(|m| m.contains("ruptura-worker depends on ruptura-server")),
        "{v:?}"
    );

    let mut g = clean_graph();
    g.get_mut("ruptura-jobs")
        .unwrap()
        .push(dep("ruptura-server", &["normal"]));
    let v = dependency_violations(&g, &|p| normal_closure(&g, p));
    assert!(
        v.iter().any(|m| m.contains("reaches ruptura-server")),
        "{v:?}"
    );

    let mut g = clean_graph();
    g.get_mut("ruptura-server")
        .unwrap()
        .push(dep("rusqlite", &["normal"]));
    let v = dependency_violations(&g, &|p| normal_closure(&g, p));
    assert!(v.iter().any(|m| m.contains("runs no SQL")), "{v:?}");

    let mut g = clean_graph();
    g.get_mut("ruptura-server")
        .unwrap()
        .push(dep("ruptura-testkit", &["normal", "dev"]));
    let v = dependency_violations(&g, &|p| normal_closure(&g, p));
    assert!(
        v.iter().any(|m| m.contains("outside dev-dependencies")),
        "{v:?}"
    );
}

#[test]
fn the_source_rules_catch_each_break() {
    assert!(source_violations("a.rs", "//! What it is.\n\nfn f() {}\n").is_empty());
    let v = source_violations("a.rs", "\nuse std::fmt;\n//! late\n");
    assert!(v.iter().any(|m| m.contains("doc comment")), "{v:?}");
    let v = source_violations("a.rs", "/// an item's doc, not the module's\nfn f() {}\n");
    assert!(v.iter().any(|m| m.contains("doc comment")), "{v:?}");
    let long = format!("//! Long.\n{}", "fn f() {}\n".repeat(MAX_LINES));
    let v = source_violations("a.rs", &long);
    assert!(v.iter().any(|m| m.contains("more than 800")), "{v:?}");
    let v = crate_root_violations(
        "crates/app/src/lib.rs",
        "//! App.\n#![forbid(unsafe_code)]\n",
    );
    assert!(v.iter().any(|m| m.contains("lacks")), "{v:?}");
    assert!(
        crate_root_violations("crates/app/src/lib.rs", &format!("//! App.\n{NO_PANICS}\n"))
            .is_empty()
    );
    assert!(crate_root_violations("crates/app/src/run.rs", "//! Run.\n").is_empty());
    let v = server_sql_violations("s.rs", "let q = sqlx::query(\"SELECT 1\");");
    assert_eq!(v.len(), 1, "{v:?}");
}
