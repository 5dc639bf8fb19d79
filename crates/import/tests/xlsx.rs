//! XLSX imports: typed cells (numbers, dates, booleans, numeric codes), worksheet choice, line
//! numbers of a used range that does not start at A1, and corrupt files.

use std::str::FromStr;

use chrono::NaiveDate;
use ruptura_engine::records::Dataset;
use ruptura_import::{load_bytes, load_paths, Diagnostic, ImportError};
use rust_decimal::Decimal;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

/// A cell to write.
#[derive(Clone, Copy)]
enum Value {
    Text(&'static str),
    Number(f64),
    Bool(bool),
    /// A date cell (a serial number with a date format), as Excel stores typed dates.
    Date(u16, u8, u8),
    Blank,
}

use Value::{Blank, Bool, Date, Number, Text};

struct SheetSpec<'a> {
    name: &'a str,
    /// Zero-based (row, column) of the first cell written: (2, 1) is B3.
    origin: (u32, u16),
    rows: &'a [&'a [Value]],
}

fn build_workbook(sheets: &[SheetSpec<'_>]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    let date_format = Format::new().set_num_format("dd/mm/yyyy");
    for spec in sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(spec.name)?;
        for (row_offset, row) in (0u32..).zip(spec.rows.iter()) {
            for (col_offset, value) in (0u16..).zip(row.iter()) {
                let (row, col) = (spec.origin.0 + row_offset, spec.origin.1 + col_offset);
                match *value {
                    Text(text) => {
                        sheet.write_string(row, col, text)?;
                    }
                    Number(number) => {
                        sheet.write_number(row, col, number)?;
                    }
                    Bool(flag) => {
                        sheet.write_boolean(row, col, flag)?;
                    }
                    Date(year, month, day) => {
                        let date = ExcelDateTime::from_ymd(year, month, day)?;
                        sheet.write_datetime_with_format(row, col, &date, &date_format)?;
                    }
                    Blank => {}
                }
            }
        }
    }
    workbook.save_to_buffer()
}

fn workbook(sheets: &[SheetSpec<'_>]) -> Vec<u8> {
    build_workbook(sheets).expect("build test workbook")
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("test literal")
}

fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).expect("test date")
}

fn load_one(name: &str, bytes: &[u8]) -> Result<Dataset, ImportError> {
    load_bytes(&[(name, bytes)])
}

fn diagnostics_of(result: Result<Dataset, ImportError>) -> Vec<Diagnostic> {
    match result {
        Err(ImportError::Invalid(diagnostics)) => diagnostics,
        Err(other) => panic!("expected row diagnostics, got {other}"),
        Ok(dataset) => panic!("expected row diagnostics, got {dataset:?}"),
    }
}

const CARTEIRA_HEADER: &[Value] = &[
    Text("id"),
    Text("Num_Pedido"),
    Text("cod_produto"),
    Text("nome_produto"),
    Text("qtd_saldo_produto_pedido"),
    Text("preco_produto_pedido"),
    Text("ativo"),
    Text("expedicao"),
    Text("estado"),
    Text("data_pedido"),
];

#[test]
fn typed_cells_of_a_table_sheet_starting_at_b3() {
    let bytes = workbook(&[
        SheetSpec {
            name: "Leia-me",
            origin: (0, 0),
            rows: &[&[Text("Exportado do ERP")]],
        },
        SheetSpec {
            name: "Carteira_Principal",
            origin: (2, 1),
            rows: &[
                CARTEIRA_HEADER,
                &[
                    Number(1.0),
                    Text("P1"),
                    Number(1001.0),
                    Text(" Produto 1001 "),
                    Number(80.125),
                    Number(12.34),
                    Bool(true),
                    Date(2026, 3, 5),
                    Text("SP"),
                    Blank,
                ],
                &[Blank, Blank, Blank],
                &[
                    Number(2.0),
                    Number(12345.0),
                    Text("A"),
                    Text("Produto A"),
                    Text("1.234,5"),
                    Text("7,5"),
                    Text("não"),
                    Text("05/03/2026"),
                    Blank,
                    Text("2026-02-20T10:00:00"),
                ],
                &[
                    Number(3.0),
                    Text("P3"),
                    Text("B"),
                    Blank,
                    // Binary floats come back as the decimal that was typed.
                    Number(0.1 + 0.2),
                    Number(1.005),
                    Number(0.0),
                    Blank,
                    Blank,
                    Date(2026, 2, 28),
                ],
            ],
        },
    ]);
    let dataset = load_one("carteira_principal.xlsx", &bytes).expect("load workbook");
    let rows = dataset.carteira_principal.expect("carteira");
    assert_eq!(rows.len(), 3);

    assert_eq!(rows[0].id, Some(1));
    assert_eq!(rows[0].num_pedido, "P1");
    assert_eq!(rows[0].cod_produto, "1001");
    assert_eq!(rows[0].nome_produto, "Produto 1001");
    assert_eq!(rows[0].qtd_saldo_produto_pedido, dec("80.125"));
    assert_eq!(rows[0].preco_produto_pedido, Some(dec("12.34")));
    assert!(rows[0].ativo);
    assert_eq!(rows[0].expedicao, Some(date(2026, 3, 5)));
    assert_eq!(rows[0].cod_uf.as_deref(), Some("SP"));
    assert_eq!(rows[0].data_pedido, None);

    assert_eq!(rows[1].num_pedido, "12345");
    assert_eq!(rows[1].qtd_saldo_produto_pedido, dec("1234.5"));
    assert_eq!(rows[1].preco_produto_pedido, Some(dec("7.5")));
    assert!(!rows[1].ativo);
    assert_eq!(rows[1].expedicao, Some(date(2026, 3, 5)));
    assert_eq!(rows[1].cod_uf, None);
    assert_eq!(rows[1].data_pedido, Some(date(2026, 2, 20)));

    assert_eq!(rows[2].qtd_saldo_produto_pedido, dec("0.3"));
    // 1.005 is typed as 1.005 (its binary value is a hair below): half away from zero -> 1.01.
    assert_eq!(rows[2].preco_produto_pedido, Some(dec("1.01")));
    assert!(!rows[2].ativo);
    assert_eq!(rows[2].nome_produto, "");
    assert_eq!(rows[2].data_pedido, Some(date(2026, 2, 28)));
}

#[test]
fn the_first_sheet_is_read_when_none_is_named_after_the_table() {
    let bytes = workbook(&[
        SheetSpec {
            name: "Plan1",
            origin: (0, 0),
            rows: &[
                &[Text("codigo_origem"), Text("codigo_destino"), Text("ativo")],
                &[Number(4004.0), Number(3003.0), Number(1.0)],
                &[Text("3003"), Text("2002"), Blank],
            ],
        },
        SheetSpec {
            name: "Plan2",
            origin: (0, 0),
            rows: &[&[Text("nada")]],
        },
    ]);
    let dataset = load_one("unificacao_codigos.xlsx", &bytes).expect("load workbook");
    let links = dataset.unificacao_codigos.expect("links");
    assert_eq!(links.len(), 2);
    assert_eq!(
        (
            links[0].codigo_origem.as_str(),
            links[0].codigo_destino.as_str()
        ),
        ("4004", "3003")
    );
    assert!(links[0].ativo && links[1].ativo);
}

#[test]
fn diagnostics_use_the_spreadsheet_row_numbers() {
    let bytes = workbook(&[SheetSpec {
        name: "programacao_producao",
        origin: (2, 1),
        rows: &[
            &[
                Text("cod_produto"),
                Text("data_programacao"),
                Text("qtd_programada"),
            ],
            &[Text("A"), Date(2026, 3, 5), Number(10.0)],
            &[Text("A"), Text("05/03/2026"), Text("10,5")],
            &[Text("A"), Text("31/02/2026"), Text("abc")],
            &[Blank, Number(46085.0), Bool(true)],
        ],
    }]);
    let diagnostics = diagnostics_of(load_one("programacao_producao.xlsx", &bytes));
    let shown: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "programacao_producao.xlsx:6: coluna data_programacao: data inexistente \"31/02/2026\"",
            "programacao_producao.xlsx:6: coluna qtd_programada: número ilegível \"abc\"",
            "programacao_producao.xlsx:7: coluna cod_produto: valor obrigatório vazio",
            "programacao_producao.xlsx:7: coluna data_programacao: esperada uma data, a célula tem o número 46085 (formate a célula como data ou escreva DD/MM/AAAA)",
            "programacao_producao.xlsx:7: coluna qtd_programada: esperado um número, a célula tem true",
        ]
    );
}

#[test]
fn a_missing_required_column_is_reported_on_the_header_row() {
    let bytes = workbook(&[SheetSpec {
        name: "separacao",
        origin: (3, 2),
        rows: &[
            &[Text("cod_produto"), Text("qtd")],
            &[Text("A"), Number(1.0)],
        ],
    }]);
    let diagnostics = diagnostics_of(load_one("separacao.xlsx", &bytes));
    assert_eq!(diagnostics.len(), 1);
    assert_eq!(
        diagnostics[0].to_string(),
        "separacao.xlsx:4: coluna qtd_saldo: coluna obrigatória ausente do cabeçalho"
    );
}

#[test]
fn an_empty_sheet_is_refused() {
    let bytes = workbook(&[SheetSpec {
        name: "separacao",
        origin: (0, 0),
        rows: &[],
    }]);
    let diagnostics = diagnostics_of(load_one("separacao.xlsx", &bytes));
    assert!(
        diagnostics[0].reason.contains("planilha vazia"),
        "{diagnostics:?}"
    );
}

#[test]
fn xlsx_and_csv_of_the_same_data_give_the_same_dataset() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bytes = workbook(&[SheetSpec {
        name: "Sheet1",
        origin: (0, 0),
        rows: &[
            &[
                Text("cod_produto"),
                Text("qtd_movimentacao"),
                Text("data_movimentacao"),
                Text("ativo"),
            ],
            &[Number(1001.0), Number(150.5), Date(2026, 2, 20), Bool(true)],
            &[Text("1001"), Number(-50.25), Date(2026, 2, 21), Bool(false)],
        ],
    }]);
    std::fs::write(dir.path().join("movimentacao_estoque.XLSX"), &bytes).expect("write xlsx");
    std::fs::write(
        dir.path().join("separacao.csv"),
        "cod_produto;qtd_saldo\n1001;2,5\n",
    )
    .expect("write csv");
    let from_xlsx = load_paths(&[dir.path()]).expect("load folder");

    let csv_dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        csv_dir.path().join("movimentacao_estoque.csv"),
        "cod_produto;qtd_movimentacao;data_movimentacao;ativo\n\
         1001;150,5;20/02/2026;sim\n1001;-50,25;21/02/2026;não\n",
    )
    .expect("write csv");
    std::fs::write(
        csv_dir.path().join("separacao.csv"),
        "cod_produto,qtd_saldo\n1001,2.5\n",
    )
    .expect("write csv");
    let from_csv = load_paths(&[csv_dir.path()]).expect("load folder");
    assert_eq!(from_xlsx, from_csv);
}

#[test]
fn corrupt_spreadsheets_give_a_clear_error_naming_the_file() {
    let valid = workbook(&[SheetSpec {
        name: "separacao",
        origin: (0, 0),
        rows: &[
            &[Text("cod_produto"), Text("qtd_saldo")],
            &[Text("A"), Number(1.0)],
        ],
    }]);
    let truncated = valid[..valid.len() / 2].to_vec();
    let random: Vec<u8> = (0u32..4096)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let cases: [(&str, &[u8]); 6] = [
        ("separacao.xlsx", &random),
        ("separacao.xlsx", &truncated),
        ("separacao.xlsx", b""),
        ("separacao.xlsx", b"cod_produto,qtd_saldo\nA,1\n"),
        ("separacao.xls", &random),
        ("separacao.ods", &truncated),
    ];
    for (name, bytes) in cases {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write corrupt file");
        match load_paths(&[dir.path()]) {
            Err(error @ ImportError::Spreadsheet { .. }) => {
                let message = error.to_string();
                assert!(message.contains(name), "{message}");
                assert!(message.contains("corrompida"), "{message}");
            }
            other => panic!("{name}: expected a spreadsheet error, got {other:?}"),
        }
    }
    assert!(load_one("separacao.xlsx", &valid).is_ok());
}

#[test]
fn mangled_xlsx_never_panics() {
    let valid = workbook(&[SheetSpec {
        name: "carteira_principal",
        origin: (1, 1),
        rows: &[
            CARTEIRA_HEADER,
            &[
                Number(1.0),
                Text("P1"),
                Number(1001.0),
                Text("x"),
                Number(1.5),
                Number(2.0),
                Bool(true),
                Date(2026, 3, 5),
                Text("SP"),
                Blank,
            ],
        ],
    }]);
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..150 {
        let mut bytes = valid.clone();
        for _ in 0..(1 + next() % 8) {
            let at = (next() % bytes.len() as u64) as usize;
            bytes[at] = (next() % 256) as u8;
        }
        if next() & 3 == 0 {
            let keep = (next() % bytes.len() as u64) as usize;
            bytes.truncate(keep);
        }
        // Any outcome but a panic is fine. calamine 0.31 itself panics on some of these
        // (an index out of bounds in its cell reader); the import turns that into an error.
        let _ = load_one("carteira_principal.xlsx", &bytes);
    }
}

/// A small XLSX that expands to far more than a workbook of its size could hold is refused
/// before it is read, with a message naming the limit (issue 12: 575 KB expanding to 200 MB).
#[test]
fn a_zip_bomb_is_refused_before_reading() {
    use std::io::Write;
    let valid = workbook(&[SheetSpec {
        name: "separacao",
        origin: (0, 0),
        rows: &[
            &[Text("cod_produto"), Text("qtd_saldo")],
            &[Text("A"), Number(1.0)],
        ],
    }]);
    let mut zip = zip::ZipWriter::new_append(std::io::Cursor::new(valid.clone())).expect("zip");
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    zip.start_file("xl/media/enchimento.xml", options)
        .expect("entry");
    let block = vec![b' '; 1 << 20];
    for _ in 0..48 {
        zip.write_all(&block).expect("write");
    }
    let bomb = zip.finish().expect("finish").into_inner();
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    match load_one("separacao.xlsx", &bomb) {
        Err(error @ ImportError::Spreadsheet { .. }) => {
            let message = error.to_string();
            assert!(message.contains("separacao.xlsx"), "{message}");
            assert!(message.contains("limite"), "{message}");
        }
        other => panic!("expected the expansion limit, got {other:?}"),
    }
    assert!(load_one("separacao.xlsx", &valid).is_ok());
}
