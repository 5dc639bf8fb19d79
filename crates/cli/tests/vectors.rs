//! Every golden scenario of ../shared/vectors through the real import path and the real
//! analysis (the `ruptura` binary), compared field by field: on a fresh SQLite file, on a
//! throwaway PostgreSQL database, and on a PostgreSQL database with the old system's layout.

mod common;

use std::collections::BTreeSet;

use common::{json_of, run_ok};
use ruptura_store::testing::TestDb;
use ruptura_testkit::Scenario;

fn analyze_args<'a>(s: &'a Scenario, db: &'a str, extra: &[&'a str]) -> Vec<String> {
    let p = &s.params;
    let mut args: Vec<String> = vec![
        "analyze".into(),
        "--db".into(),
        db.into(),
        "--format".into(),
        "json".into(),
        "--today".into(),
        p["today"].as_str().expect("today").into(),
        "--horizonte".into(),
        p["horizon"].as_u64().expect("horizon").to_string(),
        "--lead-time".into(),
        p["lead"].as_u64().expect("lead").to_string(),
        "--modo".into(),
        p["mode"].as_str().expect("mode").into(),
        "--regra".into(),
        p["regra"].as_str().expect("regra").into(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args
}

/// Analyses the scenario's data already in `db` with the real binary, twice (the whole book, and
/// every order of its file by number), and compares every field with `expected.json`.
fn check_analysis(s: &Scenario, db: &str, diffs: &mut Vec<String>) {
    // The whole book: exactly the orders the scenario expects to be analysed.
    let book = json_of(&run_ok(
        &analyze_args(s, db, &[])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    ));
    s.check(&book["resultados"], false, diffs);
    let found = s.found();
    let analysed: BTreeSet<String> = book["resultados"]
        .as_object()
        .expect("resultados")
        .keys()
        .cloned()
        .collect();
    if found != analysed {
        diffs.push(format!(
            "{}: whole book analysed {analysed:?}, expected {found:?}",
            s.name
        ));
    }

    // Every order of the file named explicitly: the same results, and the orders with no
    // open active line are "not found".
    let list = s.orders.iter().cloned().collect::<Vec<_>>().join(",");
    let named = json_of(&run_ok(
        &analyze_args(s, db, &["--pedidos", &list])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    ));
    s.check(&named["resultados"], true, diffs);
    let stats = &named["estatisticas"];
    if stats["total_pedidos"] != s.orders.len() || stats["processados"] != s.orders.len() {
        diffs.push(format!("{}: estatisticas {stats}", s.name));
    }
}

fn all_scenarios() -> Vec<(std::path::PathBuf, Scenario)> {
    let all = Scenario::all();
    assert!(
        all.len() >= 13,
        "expected the 13 scenarios, found {}",
        all.len()
    );
    all.into_iter().map(|s| (s.dir.clone(), s)).collect()
}

fn assert_no_diffs(diffs: &[String]) {
    assert!(
        diffs.is_empty(),
        "{} difference(s):\n{}",
        diffs.len(),
        diffs.join("\n")
    );
}

#[test]
fn every_golden_scenario_matches_field_by_field() {
    let mut diffs = Vec::new();
    for (dir, s) in all_scenarios() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let db = format!("sqlite://{}", tmp.path().join("v.db").display());
        run_ok(&["import", "--db", &db, dir.to_str().expect("utf-8 path")]);
        check_analysis(&s, &db, &mut diffs);
    }
    assert_no_diffs(&diffs);
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// The same scenarios on PostgreSQL (`RUPTURA_TEST_PG`, each on a throwaway database), through
/// `ruptura import` and `ruptura analyze`. Skipped with a notice when PostgreSQL does not answer,
/// unless `CI=true`.
#[test]
fn every_golden_scenario_matches_on_postgresql() {
    let rt = runtime();
    let mut diffs = Vec::new();
    for (dir, s) in all_scenarios() {
        let Some(db) = rt.block_on(TestDb::create()) else {
            return;
        };
        run_ok(&[
            "import",
            "--db",
            db.url(),
            dir.to_str().expect("utf-8 path"),
        ]);
        check_analysis(&s, db.url(), &mut diffs);
    }
    assert_no_diffs(&diffs);
}

/// The old system's database as it is (../shared/spec/original_schema.sql, its types: integer
/// codes in unificacao_codigos, double precision quantities, NULL flags, city and UF in
/// municipio/estado on some lines), filled with each scenario's rows: the same results, and the
/// database is never changed: no migration table, the same columns and rows after `analyze`, and
/// `migrate` and `import` refuse it.
#[test]
fn every_golden_scenario_matches_on_the_old_systems_database() {
    let rt = runtime();
    let mut diffs = Vec::new();
    let mut checked = Vec::new();
    for (dir, s) in all_scenarios() {
        let Some(db) = rt.block_on(TestDb::create()) else {
            return;
        };
        rt.block_on(db.create_original_schema());
        let data =
            ruptura_import::load_paths(&[&dir]).unwrap_or_else(|e| panic!("{}: {e}", s.name));
        rt.block_on(db.insert_original(&data))
            .unwrap_or_else(|e| panic!("{}: {e}", s.name));
        let schema = rt.block_on(db.schema_description());
        let rows = rt.block_on(db.contents_digest());

        check_analysis(&s, db.url(), &mut diffs);

        for args in [
            vec!["migrate", "--db", db.url()],
            vec![
                "import",
                "--db",
                db.url(),
                dir.to_str().expect("utf-8 path"),
            ],
            vec![
                "import",
                "--append",
                "--db",
                db.url(),
                dir.to_str().expect("utf-8 path"),
            ],
        ] {
            let out = common::ruptura().args(&args).output().expect("run ruptura");
            let stderr = String::from_utf8_lossy(&out.stderr);
            if out.status.success() || !stderr.contains("outro sistema") {
                diffs.push(format!("{}: {args:?} did not refuse: {stderr}", s.name));
            }
        }
        if rt.block_on(db.has_table("_sqlx_migrations")) {
            diffs.push(format!("{}: _sqlx_migrations was created", s.name));
        }
        if rt.block_on(db.schema_description()) != schema {
            diffs.push(format!("{}: the schema changed", s.name));
        }
        if rt.block_on(db.contents_digest()) != rows {
            diffs.push(format!("{}: the rows changed", s.name));
        }
        checked.push(s.name.clone());
    }
    for required in ["02-", "04-", "05-", "08-", "12-"] {
        assert!(
            checked.iter().any(|n| n.starts_with(required)),
            "scenario {required} not checked on the old layout: {checked:?}"
        );
    }
    assert_no_diffs(&diffs);
}
