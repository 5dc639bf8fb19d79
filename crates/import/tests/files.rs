//! CSV imports: the golden vectors, Brazilian spellings, and every kind of bad input.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::NaiveDate;
use ruptura_engine::records::{Dataset, TABLES};
use ruptura_import::{load_bytes, load_file, load_paths, table_of_file, Diagnostic, ImportError};
use rust_decimal::Decimal;

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/vectors");

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("test literal")
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("test date")
}

fn vector_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(VECTORS)
        .expect("shared/vectors beside the repository")
        .map(|entry| entry.expect("dir entry").path())
        .filter(|path| path.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn table_len(dataset: &Dataset, table: &str) -> Option<usize> {
    match table {
        "carteira_principal" => dataset.carteira_principal.as_ref().map(Vec::len),
        "movimentacao_estoque" => dataset.movimentacao_estoque.as_ref().map(Vec::len),
        "separacao" => dataset.separacao.as_ref().map(Vec::len),
        "programacao_producao" => dataset.programacao_producao.as_ref().map(Vec::len),
        "unificacao_codigos" => dataset.unificacao_codigos.as_ref().map(Vec::len),
        other => panic!("unknown table {other}"),
    }
}

/// Rows a CSV file holds, counted independently of the importer: non-blank lines but the header
/// (the vectors have no quoted line breaks).
fn csv_data_lines(path: &Path) -> usize {
    let text = std::fs::read_to_string(path).expect("read vector file");
    text.lines()
        .filter(|line| !line.trim().is_empty())
        .count()
        .saturating_sub(1)
}

fn write_files(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    for (name, contents) in files {
        std::fs::write(dir.path().join(name), contents).expect("write temp file");
    }
    dir
}

fn diagnostics_of(result: Result<Dataset, ImportError>) -> Vec<Diagnostic> {
    match result {
        Err(ImportError::Invalid(diagnostics)) => diagnostics,
        Err(other) => panic!("expected row diagnostics, got {other}"),
        Ok(dataset) => panic!("expected row diagnostics, got {dataset:?}"),
    }
}

fn assert_diagnostic(
    diagnostics: &[Diagnostic],
    file: &str,
    line: u64,
    column: Option<&str>,
    reason_part: &str,
) {
    let found = diagnostics.iter().any(|diagnostic| {
        diagnostic.file == file
            && diagnostic.line == line
            && diagnostic.column.as_deref() == column
            && diagnostic.reason.contains(reason_part)
    });
    let listed: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    assert!(
        found,
        "no diagnostic {file}:{line} {column:?} containing {reason_part:?} in {listed:#?}"
    );
}

#[test]
fn every_golden_vector_loads_with_its_row_counts() {
    let dirs = vector_dirs();
    assert!(dirs.len() >= 13, "found only {} vectors", dirs.len());
    for dir in dirs {
        let dataset =
            load_paths(&[&dir]).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
        for table in TABLES {
            let file = dir.join(format!("{table}.csv"));
            assert_eq!(
                table_len(&dataset, table),
                Some(csv_data_lines(&file)),
                "{}",
                file.display()
            );
        }
    }
}

#[test]
fn basic_vector_reads_every_column_it_has() {
    let dataset = load_paths(&[Path::new(VECTORS).join("01-basico")]).expect("load 01-basico");
    let carteira = dataset.carteira_principal.expect("carteira");
    let first = &carteira[0];
    assert_eq!(first.id, Some(1));
    assert_eq!(first.num_pedido, "P1");
    assert_eq!(first.cod_produto, "A");
    assert_eq!(first.nome_produto, "Produto A");
    assert_eq!(first.qtd_saldo_produto_pedido, dec("80"));
    assert_eq!(first.preco_produto_pedido, Some(dec("10.00")));
    assert!(first.ativo);
    assert_eq!(first.raz_social_red.as_deref(), Some("Cliente P1"));
    assert_eq!(first.vendedor.as_deref(), Some("Vendedor 1"));
    // `estado` is read as cod_uf.
    assert_eq!(first.cod_uf.as_deref(), Some("SP"));
    assert_eq!(first.expedicao, None);
    assert_eq!(first.data_pedido, None);
    assert_eq!(first.cnpj_cpf, None);

    let movements = dataset.movimentacao_estoque.expect("movements");
    assert_eq!(movements[1].qtd_movimentacao, dec("-50"));
    assert_eq!(movements[1].data_movimentacao, Some(date(2026, 2, 20)));
    assert_eq!(movements[1].id, None);
    let production = dataset.programacao_producao.expect("production");
    assert_eq!(production[0].data_programacao, date(2026, 3, 5));
}

#[test]
fn flags_and_tiny_quantities_of_vectors_02_and_09() {
    let dataset = load_paths(&[Path::new(VECTORS).join("02-separacao-atrasada")]).expect("02");
    let shipments = dataset.separacao.expect("separacao");
    let synced: Vec<bool> = shipments.iter().map(|row| row.sincronizado_nf).collect();
    assert_eq!(synced, [false, false, true]);
    assert_eq!(shipments[1].expedicao, None);
    assert_eq!(shipments[0].num_pedido.as_deref(), Some("S1"));
    let movements = dataset.movimentacao_estoque.expect("movements");
    assert!(!movements[1].ativo);

    let dataset = load_paths(&[Path::new(VECTORS).join("09-inativos-e-faturados")]).expect("09");
    let carteira = dataset.carteira_principal.expect("carteira");
    // 0.0004 rounds to 0.000 at NUMERIC(15,3).
    assert_eq!(carteira[2].qtd_saldo_produto_pedido, Decimal::ZERO);
    assert!(!carteira[1].ativo);
}

#[test]
fn brazilian_vector_gives_exact_decimals_and_dates() {
    let dataset =
        load_paths(&[Path::new(VECTORS).join("10-formato-brasileiro")]).expect("load vector 10");
    let carteira = dataset.carteira_principal.expect("carteira");
    assert_eq!(carteira[0].qtd_saldo_produto_pedido, dec("80.125"));
    assert_eq!(carteira[0].preco_produto_pedido, Some(dec("12.34")));
    assert_eq!(carteira[1].qtd_saldo_produto_pedido, dec("120.75"));
    assert_eq!(carteira[1].preco_produto_pedido, Some(dec("7.5")));
    assert_eq!(carteira[0].id, Some(1));
    assert_eq!(carteira[0].cod_uf.as_deref(), Some("SP"));

    let movements = dataset.movimentacao_estoque.expect("movements");
    let quantities: Vec<Decimal> = movements.iter().map(|row| row.qtd_movimentacao).collect();
    assert_eq!(quantities, [dec("150.5"), dec("-50.25")]);
    assert!(movements
        .iter()
        .all(|row| row.data_movimentacao == Some(date(2026, 2, 20))));

    let production = dataset.programacao_producao.expect("production");
    assert_eq!(production[0].qtd_programada, dec("50.5"));
    assert_eq!(production[0].data_programacao, date(2026, 3, 5));
    assert_eq!(dataset.separacao.map(|rows| rows.len()), Some(0));
}

const PLAIN_CARTEIRA: &str = "\
id,num_pedido,cod_produto,nome_produto,qtd_saldo_produto_pedido,preco_produto_pedido,ativo,raz_social_red,cnpj_cpf,nome_cidade,cod_uf,vendedor,equipe_vendas,data_pedido,expedicao,agendamento
1,P1,A,Açúcar refinado,1234.5,10.99,true,Mercado São João,12.345.678/0001-90,São Paulo,SP,Ana,Sul,2026-02-25,2026-03-05,
2,P1,B,\"Café, torrado\",0.125,1234.56,false,Mercado São João,,São Paulo,SP,Ana,Sul,2026-02-25,,2026-03-10
3,P2,1001,Feijão,1234567,0,true,,,,,,,,2026-03-02,
";

const BRAZILIAN_CARTEIRA: &str = "\u{FEFF}\
ID;Num_Pedido;COD_PRODUTO;nome_produto;qtd_saldo_produto_pedido;preco_produto_pedido;ativo;raz_social;cnpj_cpf;municipio;estado;vendedor;equipe_vendas;data_pedido;expedicao;agendamento;coluna_extra\r
1;P1;A;Açúcar refinado;1.234,5;10,99;sim;Mercado São João;12.345.678/0001-90;São Paulo;SP;Ana;Sul;25/02/2026;5/3/2026;;x\r
2;P1;B;\"Café, torrado\";0,125;1.234,56;não;Mercado São João;;São Paulo;SP;Ana;Sul;25/02/2026;;10/03/2026;y\r
3;P2;1001;Feijão;1.234.567;0;S;;;;;;;;02/03/2026 08:00:00;;\r
";

const PLAIN_OTHERS: [(&str, &str); 4] = [
    (
        "movimentacao_estoque.csv",
        "cod_produto,qtd_movimentacao,ativo,data_movimentacao,tipo_movimentacao\n\
         A,150.5,true,2026-02-20,ENTRADA\n\
         A,-50.25,1,2026-02-20T10:00:00,SAIDA\n\
         B,1234.567,0,2026-02-21,\n",
    ),
    (
        "separacao.csv",
        "separacao_lote_id,num_pedido,cod_produto,qtd_saldo,expedicao,sincronizado_nf\n\
         L1,P9,A,30,2026-02-28,false\n\
         L1,P9,B,10.5,,\n",
    ),
    (
        "programacao_producao.csv",
        "cod_produto,data_programacao,qtd_programada,linha_producao\n\
         A,2026-03-05,50.5,L-01\n",
    ),
    (
        "unificacao_codigos.csv",
        "codigo_origem,codigo_destino,ativo\n\
         4004,3003,true\n\
         3003,2002,\n",
    ),
];

const BRAZILIAN_OTHERS: [(&str, &str); 4] = [
    (
        "movimentacao_estoque.csv",
        "\u{FEFF}cod_produto;qtd_movimentacao;ativo;data_movimentacao;tipo_movimentacao\r\n\
         A;150,5;Sim;20/02/2026;ENTRADA\r\n\
         A;-50,25;s;20/02/2026 10:00;SAIDA\r\n\
         B;1.234,567;nao;21/02/2026;\r\n",
    ),
    (
        "separacao.csv",
        "\u{FEFF}separacao_lote_id;num_pedido;cod_produto;qtd_saldo;expedicao;sincronizado_nf\r\n\
         L1;P9;A;30;28/02/2026;N\r\n\
         L1;P9;B;10,5;;\r\n",
    ),
    (
        "programacao_producao.csv",
        "\u{FEFF}cod_produto;data_programacao;qtd_programada;linha_producao\r\n\
         A;05/03/2026;50,5;L-01\r\n",
    ),
    (
        "unificacao_codigos.csv",
        "\u{FEFF}codigo_origem;codigo_destino;ativo\r\n\
         4004;3003;VERDADEIRO\r\n\
         3003;2002;\r\n",
    ),
];

#[test]
fn brazilian_spellings_import_to_the_same_dataset_as_plain_ones() {
    let mut plain_files = vec![("carteira_principal.csv", PLAIN_CARTEIRA)];
    plain_files.extend(PLAIN_OTHERS);
    let mut brazilian_files = vec![("carteira_principal.csv", BRAZILIAN_CARTEIRA)];
    brazilian_files.extend(BRAZILIAN_OTHERS);
    let plain_dir = write_files(&plain_files);
    let brazilian_dir = write_files(&brazilian_files);

    let plain = load_paths(&[plain_dir.path()]).expect("plain files");
    let brazilian = load_paths(&[brazilian_dir.path()]).expect("brazilian files");
    assert_eq!(plain, brazilian);

    let carteira = plain.carteira_principal.expect("carteira");
    assert_eq!(carteira[0].qtd_saldo_produto_pedido, dec("1234.5"));
    assert_eq!(carteira[0].cnpj_cpf.as_deref(), Some("12.345.678/0001-90"));
    assert_eq!(carteira[0].nome_cidade.as_deref(), Some("São Paulo"));
    assert_eq!(
        carteira[0].raz_social_red.as_deref(),
        Some("Mercado São João")
    );
    assert_eq!(carteira[1].nome_produto, "Café, torrado");
    assert_eq!(carteira[1].preco_produto_pedido, Some(dec("1234.56")));
    assert_eq!(carteira[1].agendamento, Some(date(2026, 3, 10)));
    assert_eq!(carteira[2].qtd_saldo_produto_pedido, dec("1234567"));
    assert_eq!(carteira[2].cod_produto, "1001");
    assert_eq!(carteira[2].raz_social_red, None);
    assert_eq!(carteira[2].expedicao, Some(date(2026, 3, 2)));
    let separacao = plain.separacao.expect("separacao");
    assert!(!separacao[1].sincronizado_nf);
    let links = plain.unificacao_codigos.expect("links");
    assert!(links[1].ativo);
}

#[test]
fn windows_1252_and_tab_delimited_files_are_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    // "Açúcar" and "São Paulo" in Windows-1252, as Excel's "CSV (separado por vírgulas)" saves.
    let carteira: &[u8] =
        b"num_pedido;cod_produto;nome_produto;qtd_saldo_produto_pedido;municipio\r\n\
        P1;A;A\xE7\xFAcar;1,5;S\xE3o Paulo\r\n";
    std::fs::write(dir.path().join("carteira_principal.csv"), carteira).expect("write");
    std::fs::write(
        dir.path().join("separacao.tsv"),
        "cod_produto\tqtd_saldo\n\"A\"\t2.5\n",
    )
    .expect("write");
    let dataset = load_paths(&[dir.path()]).expect("load");
    let carteira = dataset.carteira_principal.expect("carteira");
    assert_eq!(carteira[0].nome_produto, "Açúcar");
    assert_eq!(carteira[0].nome_cidade.as_deref(), Some("São Paulo"));
    assert_eq!(carteira[0].qtd_saldo_produto_pedido, dec("1.5"));
    assert_eq!(
        dataset.separacao.expect("separacao")[0].qtd_saldo,
        dec("2.5")
    );
}

#[test]
fn a_lone_dot_is_a_thousands_separator_in_a_decimal_comma_file() {
    let dir = write_files(&[(
        "movimentacao_estoque.csv",
        "cod_produto;qtd_movimentacao\nA;1.234\nB;2,5\n",
    )]);
    let dataset = load_paths(&[dir.path()]).expect("load");
    let movements = dataset.movimentacao_estoque.expect("movements");
    assert_eq!(movements[0].qtd_movimentacao, dec("1234"));

    let dir = write_files(&[(
        "movimentacao_estoque.csv",
        "cod_produto;qtd_movimentacao\nA;1.234\nB;2.5\n",
    )]);
    let dataset = load_paths(&[dir.path()]).expect("load");
    let movements = dataset.movimentacao_estoque.expect("movements");
    assert_eq!(movements[0].qtd_movimentacao, dec("1.234"));
}

#[test]
fn quantities_round_to_three_places_and_prices_to_two() {
    let dir = write_files(&[(
        "carteira_principal.csv",
        "num_pedido,cod_produto,qtd_saldo_produto_pedido,preco_produto_pedido\n\
         P1,A,1.0005,2.345\n\
         P1,B,-1.0005,2.344\n",
    )]);
    let carteira = load_paths(&[dir.path()])
        .expect("load")
        .carteira_principal
        .expect("carteira");
    assert_eq!(carteira[0].qtd_saldo_produto_pedido, dec("1.001"));
    assert_eq!(carteira[0].preco_produto_pedido, Some(dec("2.35")));
    assert_eq!(carteira[1].qtd_saldo_produto_pedido, dec("-1.001"));
    assert_eq!(carteira[1].preco_produto_pedido, Some(dec("2.34")));
    // Defaults of absent optional columns.
    assert_eq!(carteira[0].nome_produto, "");
    assert!(carteira[0].ativo);
    assert_eq!(carteira[0].id, None);
}

#[test]
fn only_the_tables_given_are_in_the_dataset() {
    let dir = write_files(&[
        ("separacao.csv", "cod_produto,qtd_saldo\nA,1\n"),
        ("README.md", "# notes"),
        ("params.json", "{}"),
        ("separacao.csv.bak", "garbage"),
    ]);
    let dataset = load_paths(&[dir.path()]).expect("load");
    assert_eq!(dataset.separacao.map(|rows| rows.len()), Some(1));
    assert_eq!(dataset.carteira_principal, None);
    assert_eq!(dataset.movimentacao_estoque, None);

    let dataset = load_file(dir.path().join("separacao.csv")).expect("load one file");
    assert_eq!(dataset.row_count(), 1);
}

#[test]
fn files_in_memory_load_like_files_on_disk() {
    let files = [
        ("separacao.csv", "cod_produto;qtd_saldo\nA;1,5\n".as_bytes()),
        (
            "unificacao_codigos.CSV",
            b"codigo_origem,codigo_destino\n1,2\n",
        ),
    ];
    let dataset = load_bytes(&files).expect("load");
    assert_eq!(
        dataset.separacao.expect("separacao")[0].qtd_saldo,
        dec("1.5")
    );
    assert_eq!(dataset.unificacao_codigos.map(|rows| rows.len()), Some(1));
    assert_eq!(
        table_of_file("dir/Carteira_Principal.XLSX"),
        Some("carteira_principal")
    );
    assert_eq!(table_of_file("notes.csv"), None);
}

#[test]
fn an_unreadable_number_is_reported_with_file_line_and_column() {
    let dir = write_files(&[(
        "carteira_principal.csv",
        "num_pedido;cod_produto;qtd_saldo_produto_pedido\nP1;A;10\nP2;A;1,2,3\n",
    )]);
    let diagnostics = diagnostics_of(load_paths(&[dir.path()]));
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(
        diagnostics[0].to_string(),
        "carteira_principal.csv:3: coluna qtd_saldo_produto_pedido: número ilegível \"1,2,3\""
    );
}

#[test]
fn garbage_numbers_are_all_refused() {
    let dir = write_files(&[(
        "movimentacao_estoque.csv",
        "cod_produto,qtd_movimentacao\nA,NaN\nA,inf\nA,1e5\nA,abc\nA,12.34.5\nA,9999999999999\n",
    )]);
    let diagnostics = diagnostics_of(load_paths(&[dir.path()]));
    let lines: Vec<u64> = diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(lines, [2, 3, 4, 5, 6, 7]);
    assert_diagnostic(
        &diagnostics,
        "movimentacao_estoque.csv",
        7,
        Some("qtd_movimentacao"),
        "fora do intervalo",
    );
}

#[test]
fn a_missing_required_value_is_reported() {
    let dir = write_files(&[(
        "programacao_producao.csv",
        "cod_produto,data_programacao,qtd_programada\nA,2026-03-05,10\n  ,2026-03-05,10\nB,,10\n",
    )]);
    let diagnostics = diagnostics_of(load_paths(&[dir.path()]));
    assert_eq!(diagnostics.len(), 2);
    assert_diagnostic(
        &diagnostics,
        "programacao_producao.csv",
        3,
        Some("cod_produto"),
        "valor obrigatório vazio",
    );
    assert_diagnostic(
        &diagnostics,
        "programacao_producao.csv",
        4,
        Some("data_programacao"),
        "valor obrigatório vazio",
    );
}

#[test]
fn a_missing_required_column_is_one_diagnostic_on_the_header() {
    let dir = write_files(&[(
        "carteira_principal.csv",
        "num_pedido,nome_produto,qtd_saldo_produto_pedido\nP1,x,1\nP2,y,2\nP3,z,3\n",
    )]);
    let diagnostics = diagnostics_of(load_paths(&[dir.path()]));
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(
        diagnostics[0].to_string(),
        "carteira_principal.csv:1: coluna cod_produto: coluna obrigatória ausente do cabeçalho"
    );
}

#[test]
fn an_impossible_date_is_reported() {
    let dir = write_files(&[(
        "separacao.csv",
        "cod_produto;qtd_saldo;expedicao\nA;1;28/02/2026\nA;1;31/02/2026\nA;1;amanhã\n",
    )]);
    let diagnostics = diagnostics_of(load_paths(&[dir.path()]));
    assert_eq!(diagnostics.len(), 2);
    assert_diagnostic(
        &diagnostics,
        "separacao.csv",
        3,
        Some("expedicao"),
        "data inexistente \"31/02/2026\"",
    );
    assert_diagnostic(
        &diagnostics,
        "separacao.csv",
        4,
        Some("expedicao"),
        "data ilegível",
    );
}

#[test]
fn a_bad_boolean_is_reported() {
    let dir = write_files(&[(
        "unificacao_codigos.csv",
        "codigo_origem,codigo_destino,ativo\n1,2,talvez\n",
    )]);
    let diagnostics = diagnostics_of(load_paths(&[dir.path()]));
    assert_eq!(
        diagnostics[0].to_string(),
        "unificacao_codigos.csv:2: coluna ativo: valor lógico ilegível \"talvez\" (use true/false, 1/0, sim/não ou s/n)"
    );
}

#[test]
fn bad_and_repeated_ids_are_reported() {
    let dir = write_files(&[(
        "carteira_principal.csv",
        "id,num_pedido,cod_produto,qtd_saldo_produto_pedido\n\
         1,P1,A,1\n2,P1,B,1\n1,P2,A,1\nx,P3,A,1\n,P4,A,1\n",
    )]);
    let diagnostics = diagnostics_of(load_paths(&[dir.path()]));
    let file = "carteira_principal.csv";
    assert_diagnostic(
        &diagnostics,
        file,
        4,
        Some("id"),
        "id 1 repetido (já usado na linha 2)",
    );
    assert_diagnostic(&diagnostics, file, 5, Some("id"), "id ilegível \"x\"");
    assert_diagnostic(&diagnostics, file, 6, Some("id"), "id vazio");
    assert_eq!(diagnostics.len(), 3, "{diagnostics:#?}");
}

#[test]
fn every_bad_row_of_every_file_is_reported() {
    let dir = write_files(&[
        (
            "carteira_principal.csv",
            "num_pedido,cod_produto,qtd_saldo_produto_pedido,expedicao\n\
             P1,A,x,2026-03-01\nP2,A,1,2026-02-30\nP3,A,1,\n",
        ),
        (
            "movimentacao_estoque.csv",
            "cod_produto;qtd_movimentacao;ativo\nA;1;sim\n;2;talvez\n",
        ),
        ("separacao.csv", "cod_produto,qtd_saldo\nA,1\n"),
    ]);
    let diagnostics = diagnostics_of(load_paths(&[dir.path()]));
    assert_eq!(diagnostics.len(), 4, "{diagnostics:#?}");
    assert_diagnostic(
        &diagnostics,
        "carteira_principal.csv",
        2,
        Some("qtd_saldo_produto_pedido"),
        "número ilegível \"x\"",
    );
    assert_diagnostic(
        &diagnostics,
        "carteira_principal.csv",
        3,
        Some("expedicao"),
        "data inexistente",
    );
    assert_diagnostic(
        &diagnostics,
        "movimentacao_estoque.csv",
        3,
        Some("cod_produto"),
        "valor obrigatório vazio",
    );
    assert_diagnostic(
        &diagnostics,
        "movimentacao_estoque.csv",
        3,
        Some("ativo"),
        "valor lógico ilegível",
    );
    let message = ImportError::Invalid(diagnostics).to_string();
    assert!(message.contains("4 problema(s)"), "{message}");
    assert!(
        message.contains("movimentacao_estoque.csv:3: coluna ativo"),
        "{message}"
    );
}

#[test]
fn diagnostics_are_capped_with_a_count_of_the_rest() {
    let mut contents = String::from("cod_produto,qtd_saldo\n");
    for _ in 0..1200 {
        contents.push_str("A,x\n");
    }
    let dir = write_files(&[("separacao.csv", &contents)]);
    let diagnostics = diagnostics_of(load_paths(&[dir.path()]));
    assert_eq!(diagnostics.len(), ruptura_import::MAX_DIAGNOSTICS + 1);
    let summary = diagnostics.last().expect("summary").to_string();
    assert!(summary.contains("mais 200 problema(s)"), "{summary}");
}

#[test]
fn a_row_with_extra_fields_is_refused_rather_than_shifted() {
    let dir = write_files(&[(
        "carteira_principal.csv",
        "num_pedido,cod_produto,qtd_saldo_produto_pedido,preco_produto_pedido\n\
         P0,A,x,1\nP1,A,80,125,12,34\n",
    )]);
    let diagnostics = diagnostics_of(load_paths(&[dir.path()]));
    assert_diagnostic(
        &diagnostics,
        "carteira_principal.csv",
        3,
        None,
        "a linha tem 6 campo(s), mas o cabeçalho tem 4",
    );
    // Listed in line order, whichever stage found them.
    let lines: Vec<u64> = diagnostics.iter().map(|d| d.line).collect();
    assert_eq!(lines, [2, 3]);
}

#[test]
fn an_empty_file_is_refused() {
    let dir = write_files(&[("separacao.csv", "")]);
    let diagnostics = diagnostics_of(load_paths(&[dir.path()]));
    assert_diagnostic(&diagnostics, "separacao.csv", 1, None, "arquivo vazio");
}

#[test]
fn a_missing_folder_or_file_is_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("nao-existe");
    match load_paths(&[&missing]) {
        Err(ImportError::NotFound { path }) => assert_eq!(path, missing),
        other => panic!("expected NotFound, got {other:?}"),
    }
    let missing_file = dir.path().join("separacao.csv");
    let error = load_file(&missing_file).expect_err("missing file");
    assert!(matches!(error, ImportError::NotFound { .. }));
    assert!(error.to_string().contains("separacao.csv"), "{error}");
}

#[test]
fn a_file_named_after_no_table_is_refused() {
    let dir = write_files(&[("pedidos.csv", "a,b\n1,2\n"), ("separacao.json", "{}")]);
    let error = load_paths(&[dir.path().join("pedidos.csv")]).expect_err("unknown name");
    assert!(
        matches!(error, ImportError::UnknownTable { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains("pedidos.csv"), "{message}");
    assert!(message.contains("carteira_principal.csv"), "{message}");

    let error = load_file(dir.path().join("separacao.json")).expect_err("unknown format");
    assert!(
        matches!(error, ImportError::UnsupportedFormat { .. }),
        "{error:?}"
    );
}

#[test]
fn a_folder_without_table_files_is_refused() {
    let dir = write_files(&[("README.md", "# nada")]);
    let error = load_paths(&[dir.path()]).expect_err("no tables");
    assert!(
        matches!(error, ImportError::NoTableFiles { .. }),
        "{error:?}"
    );
    let empty: [&Path; 0] = [];
    assert!(matches!(
        load_paths(&empty),
        Err(ImportError::NoTableFiles { .. })
    ));
}

#[test]
fn the_same_table_given_twice_is_refused() {
    let dir = write_files(&[
        ("separacao.csv", "cod_produto,qtd_saldo\nA,1\n"),
        ("SEPARACAO.xlsx", "not even a spreadsheet"),
    ]);
    let error = load_paths(&[dir.path()]).expect_err("duplicate in a folder");
    assert!(
        matches!(
            error,
            ImportError::DuplicateTable {
                table: "separacao",
                ..
            }
        ),
        "{error:?}"
    );

    let other = write_files(&[("separacao.csv", "cod_produto,qtd_saldo\nA,1\n")]);
    let error = load_paths(&[
        dir.path().join("separacao.csv"),
        other.path().join("separacao.csv"),
    ])
    .expect_err("duplicate across paths");
    assert!(error.to_string().contains("separacao"), "{error}");
}

/// A small deterministic xorshift generator, so that the mutations are the same on every run.
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn mangled_csv_never_panics() {
    let original = BRAZILIAN_CARTEIRA.as_bytes();
    let alphabet = b";,.\"\r\n 0123456789-+/eE\xC3\xA3\xFF";
    let mut state = 0x2545_F491_4F6C_DD1D_u64;
    for _ in 0..400 {
        let mut bytes = original.to_vec();
        let edits = 1 + next_random(&mut state) % 12;
        for _ in 0..edits {
            let at = (next_random(&mut state) % bytes.len() as u64) as usize;
            let byte = alphabet[(next_random(&mut state) % alphabet.len() as u64) as usize];
            match next_random(&mut state) % 3 {
                0 => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ => {
                    bytes.remove(at);
                }
            }
        }
        let cut = (next_random(&mut state) % (bytes.len() as u64 + 1)) as usize;
        if next_random(&mut state) & 3 == 0 {
            bytes.truncate(cut);
        }
        // Any outcome but a panic is fine: a dataset or an error.
        let _ = load_bytes(&[("carteira_principal.csv", bytes.as_slice())]);
    }
}
