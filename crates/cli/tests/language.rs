//! The command line as a new user meets it: read-only commands never create a database, help and
//! errors are Portuguese (clap's own included), exit codes say whose fault it was (2 usage, 1
//! anything else), the table shows every order with totals, and `-o` says what it wrote.

mod common;

use std::process::Output;

use common::{run_ok, ruptura};
use ruptura_testkit::vectors_dir;

fn run(args: &[&str]) -> Output {
    ruptura().args(args).output().expect("run ruptura")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn seeded(dir: &std::path::Path) -> String {
    let db = format!("sqlite://{}", dir.join("r.db").display());
    let basic = vectors_dir().join("01-basico");
    run_ok(&["import", "--db", &db, basic.to_str().expect("utf-8")]);
    db
}

#[test]
fn read_only_commands_never_create_a_database() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let missing = tmp.path().join("nao-existe.db");
    let path = missing.to_str().expect("utf-8");
    let url = format!("sqlite://{path}");
    for args in [
        vec!["analyze", "--db", path],
        vec!["analyze", "--db", &url, "--formato", "json"],
        vec!["produtos", "--db", path],
        vec!["serve", "--db", path, "--endereco", "127.0.0.1:0"],
        vec!["worker", "--db", &url, "--redis-url", "redis://127.0.0.1:1"],
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(&format!("não há banco em {path}"))
                && err.contains("rode `ruptura import` ou `ruptura demo`"),
            "{args:?}: {err}"
        );
        assert!(!missing.exists(), "{args:?} created {path}");
    }
    // The default database too: run where there is none.
    let out = ruptura()
        .current_dir(tmp.path())
        .args(["analyze"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("não há banco em ruptura.db"),
        "{}",
        stderr(&out)
    );
    assert!(!tmp.path().join("ruptura.db").exists());
    // The commands that write still create it.
    run_ok(&["migrate", "--db", path]);
    assert!(missing.exists());
}

#[test]
fn usage_errors_exit_2_and_other_failures_1() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = seeded(tmp.path());
    for (args, needle) in [
        (vec!["analyze", "--db", &db, "--modo", "foo"], "foo"),
        (vec!["analyze", "--db", &db, "--regra", "xyz"], "xyz"),
        (
            vec!["analyze", "--db", &db, "--fuso", "Marte/Base"],
            "Marte/Base",
        ),
        (vec!["analyze", "--db", &db, "--formato", "xml"], "xml"),
        (
            vec!["analyze", "--db", &db, "--hoje", "2026-13-01"],
            "2026-13-01",
        ),
        (vec!["analyze", "--db", &db, "--horizonte", "sete"], "sete"),
        (
            vec!["analyze", "--db", &db, "--horizonte", "99999"],
            "99999",
        ),
        (vec!["analyze", "--db", &db, "--pedidos", ","], "--pedidos"),
        (
            vec![
                "produtos",
                "--db",
                &db,
                "--pedidos",
                "P1",
                "--vendedor",
                "A",
            ],
            "não os dois",
        ),
        (
            vec!["analyze", "--db", &db, "--pedidos", "P1", "--estado", "SP"],
            "não os dois",
        ),
        (vec!["analyze", "--db", "mysql://u@h/db"], "mysql"),
        (vec!["analyze", "--nao-existe"], "--nao-existe"),
        (vec!["import", "--db", &db], "CAMINHO"),
        (vec!["demo", "--pedidos", "0"], "0"),
        (vec!["nada"], "nada"),
        (vec![], "comando"),
    ] {
        let out = run(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: expected {needle:?} in {err}"
        );
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        for english in [
            "error:",
            "Usage:",
            "invalid value",
            "For more information",
            "tip:",
        ] {
            assert!(
                !err.contains(english),
                "{args:?}: English {english:?} in {err}"
            );
        }
    }
    // Not the user's wording but the world: exit 1.
    for args in [
        vec!["analyze", "--db", "/nao/existe/pasta/r.db"],
        vec!["analyze", "--db", &db, "-o", "/nao/existe/saida.json"],
        vec!["import", "--db", &db, "/nao/existe/arquivos"],
    ] {
        let out = run(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.starts_with("erro: "), "{args:?}: {err}");
        assert!(
            !err.contains("No such file"),
            "{args:?}: English OS error in {err}"
        );
    }
}

#[test]
fn help_is_portuguese_for_every_command() {
    for cmd in [
        vec!["--help"],
        vec!["-h"],
        vec!["help"],
        vec!["analyze", "--help"],
        vec!["serve", "--help"],
        vec!["demo", "--help"],
        vec!["import", "--help"],
        vec!["migrate", "--help"],
        vec!["worker", "--help"],
        vec!["produtos", "--help"],
        vec!["execucoes", "--help"],
        vec!["mudancas", "--help"],
        vec!["help", "analyze"],
    ] {
        let out = run(&cmd);
        assert_eq!(out.status.code(), Some(0), "{cmd:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Uso:"), "{cmd:?}: {text}");
        for english in [
            "Usage:",
            "Options:",
            "Commands:",
            "Print help",
            "[default:",
            "[env:",
            "[possible values:",
        ] {
            assert!(!text.contains(english), "{cmd:?}: {english:?} in {text}");
        }
        // Our own descriptions too: no English sentence, no English placeholder.
        for line in text.lines() {
            for english in [
                " the ",
                " and ",
                " with ",
                " of ",
                " at most",
                " this ",
                " is ",
                "Do not",
                "Seconds",
                "Write to",
                "<OUTPUT>",
                "<FORMAT>",
                "<LIMIT>",
                "<SESSION_KEY>",
                "<HEADER_TIMEOUT_SECS>",
            ] {
                assert!(!line.contains(english), "{cmd:?}: {english:?} in {line:?}");
            }
        }
    }
    let text = String::from_utf8_lossy(&run_ok(&["analyze", "--help"]).stdout).into_owned();
    for flag in [
        "--hoje",
        "--formato",
        "--saida",
        "--dias-entrega",
        "--fuso",
        "[padrão: ",
    ] {
        assert!(text.contains(flag), "{flag} missing from: {text}");
    }
    for english in [
        "<HORIZON_DAYS>",
        "<TIME_ZONE>",
        "<RULE>",
        "<OUTPUT>",
        "<LIMIT>",
        "[alias",
    ] {
        assert!(!text.contains(english), "{english} in: {text}");
    }
    // Each flag in one language; the other spelling still works.
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = seeded(tmp.path());
    let pt = run_ok(&[
        "analyze",
        "--db",
        &db,
        "--hoje",
        "2026-03-02",
        "--formato",
        "csv",
    ]);
    let en = run_ok(&[
        "analyze",
        "--db",
        &db,
        "--today",
        "2026-03-02",
        "--format",
        "csv",
    ]);
    assert_eq!(pt.stdout, en.stdout);
}

#[test]
fn the_table_shows_every_order_risk_first_with_totals_and_o_says_what_it_wrote() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = seeded(tmp.path());
    let out = run_ok(&["analyze", "--db", &db, "--hoje", "2026-03-02"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // 01-basico: P1 is OK, P2 is CRITICA.
    let p1 = text.find("\nP1 ").expect("P1 listed although OK");
    let p2 = text.find("\nP2 ").expect("P2 listed");
    assert!(p2 < p1, "the order at risk comes first: {text}");
    assert!(text.contains("CRÍTICA"), "{text}");
    assert!(!text.contains("CRITICA"), "{text}");
    let total = text
        .lines()
        .find(|l| l.starts_with("total"))
        .unwrap_or_else(|| panic!("no totals: {text}"));
    assert!(total.contains("1.200,00") && total.contains('2'), "{total}");
    assert!(
        text.lines()
            .next()
            .is_some_and(|l| l.contains(" s:") && !l.contains('.')),
        "time in pt-BR: {text}"
    );

    let file = tmp.path().join("saida.csv");
    let out = run_ok(&[
        "analyze",
        "--db",
        &db,
        "--hoje",
        "2026-03-02",
        "--formato",
        "csv",
        "-o",
        file.to_str().expect("utf-8"),
    ]);
    assert!(out.stdout.is_empty());
    let err = stderr(&out);
    assert!(
        err.contains("2 pedido(s) gravado(s) em")
            && err.contains("saida.csv")
            && err.contains("csv"),
        "{err}"
    );
    assert!(std::fs::read_to_string(&file).expect("read").contains("P2"));
}

#[test]
fn demo_prints_the_db_for_the_other_commands() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let db = tmp.path().join("demo.db");
    // A port that is taken makes `demo` stop right after preparing the database.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let out = run(&[
        "demo",
        "--db",
        db.to_str().expect("utf-8"),
        "--pedidos",
        "5",
        "--endereco",
        &addr,
    ]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("--db {}", db.display())),
        "demo does not name the --db to use: {err}"
    );
    assert!(err.contains("endereço já em uso"), "{err}");
    // And that --db works for the read-only commands.
    run_ok(&[
        "analyze",
        "--db",
        db.to_str().expect("utf-8"),
        "--formato",
        "json",
    ]);
}
