//! `write_csv_dir` writes what `ruptura import` reads, byte for byte the same for a seed.

use std::path::Path;

use chrono::NaiveDate;
use ruptura_datagen::{generate, write_csv_dir, GenConfig};
use ruptura_engine::records::TABLES;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
}

fn header_and_rows(path: &Path) -> (Vec<String>, usize) {
    let mut reader = csv::Reader::from_path(path).unwrap();
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .collect::<Result<Vec<_>, _>>()
        .expect("every record parses")
        .len();
    (header, rows)
}

#[test]
fn writes_five_files_with_spec_headers_and_every_row() {
    let ds = generate(&GenConfig::demo(42, today(), 300));
    let dir = tempfile::tempdir().unwrap();
    write_csv_dir(&ds, dir.path()).unwrap();

    let expected: [(&str, &[&str], usize); 5] = [
        (
            "carteira_principal",
            &[
                "id",
                "num_pedido",
                "cod_produto",
                "nome_produto",
                "qtd_saldo_produto_pedido",
                "preco_produto_pedido",
                "ativo",
                "raz_social_red",
                "cnpj_cpf",
                "nome_cidade",
                "cod_uf",
                "vendedor",
                "equipe_vendas",
                "data_pedido",
                "expedicao",
                "agendamento",
            ],
            ds.carteira_principal.as_ref().unwrap().len(),
        ),
        (
            "movimentacao_estoque",
            &[
                "id",
                "cod_produto",
                "nome_produto",
                "data_movimentacao",
                "tipo_movimentacao",
                "qtd_movimentacao",
                "ativo",
            ],
            ds.movimentacao_estoque.as_ref().unwrap().len(),
        ),
        (
            "separacao",
            &[
                "id",
                "separacao_lote_id",
                "num_pedido",
                "cod_produto",
                "qtd_saldo",
                "expedicao",
                "sincronizado_nf",
            ],
            ds.separacao.as_ref().unwrap().len(),
        ),
        (
            "programacao_producao",
            &[
                "id",
                "cod_produto",
                "nome_produto",
                "data_programacao",
                "qtd_programada",
                "linha_producao",
            ],
            ds.programacao_producao.as_ref().unwrap().len(),
        ),
        (
            "unificacao_codigos",
            &["id", "codigo_origem", "codigo_destino", "ativo"],
            ds.unificacao_codigos.as_ref().unwrap().len(),
        ),
    ];
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut wanted: Vec<String> = TABLES.iter().map(|t| format!("{t}.csv")).collect();
    wanted.sort();
    assert_eq!(files, wanted);

    for (table, header, rows) in expected {
        let (got_header, got_rows) = header_and_rows(&dir.path().join(format!("{table}.csv")));
        assert_eq!(got_header, header, "{table}");
        assert_eq!(got_rows, rows, "{table}");
        assert!(rows > 0, "{table}");
    }

    // Spot-check the cell formats: ISO dates, true/false, '.' decimals, empty for null.
    let text = std::fs::read_to_string(dir.path().join("carteira_principal.csv")).unwrap();
    let first = text.lines().nth(1).unwrap();
    assert!(first.contains(",true,") || first.contains(",false,"));
    assert!(first.contains(",2026-"));
    let prices = text.lines().skip(1).filter(|l| l.contains('.')).count();
    assert!(prices > 0);
}

#[test]
fn absent_tables_are_not_written() {
    let mut ds = generate(&GenConfig::demo(1, today(), 20));
    ds.separacao = None;
    ds.unificacao_codigos = None;
    let dir = tempfile::tempdir().unwrap();
    write_csv_dir(&ds, dir.path()).unwrap();
    assert!(dir.path().join("carteira_principal.csv").exists());
    assert!(!dir.path().join("separacao.csv").exists());
    assert!(!dir.path().join("unificacao_codigos.csv").exists());
}

#[test]
fn same_seed_writes_byte_identical_files() {
    let cfg = GenConfig::demo(2_026, today(), 500);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write_csv_dir(&generate(&cfg), a.path()).unwrap();
    write_csv_dir(&generate(&cfg), b.path()).unwrap();
    for table in TABLES {
        let name = format!("{table}.csv");
        let left = std::fs::read(a.path().join(&name)).unwrap();
        let right = std::fs::read(b.path().join(&name)).unwrap();
        assert!(left == right, "{name} differs");
    }
}
