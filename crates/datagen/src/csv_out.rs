//! Writing a [`Dataset`] as the CSV files `ruptura import` reads (SPEC 4): one `<table>.csv` per
//! present table, `,` delimiter, `.` decimals, ISO dates, `true`/`false`, empty for null.

use std::fmt::Display;
use std::io;
use std::path::Path;

use ruptura_engine::records::{
    CarteiraRow, Dataset, MovimentacaoRow, ProgramacaoRow, SeparacaoRow, UnificacaoRow,
};

/// Writes one `<table>.csv` per table present in `ds` into `dir` (created if missing). The header
/// row holds the column names of SPEC 4, which are the field names of the records.
pub fn write_csv_dir(ds: &Dataset, dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    if let Some(rows) = &ds.carteira_principal {
        write_carteira_principal(dir, rows)?;
    }
    if let Some(rows) = &ds.movimentacao_estoque {
        write_movimentacao_estoque(dir, rows)?;
    }
    if let Some(rows) = &ds.separacao {
        write_separacao(dir, rows)?;
    }
    if let Some(rows) = &ds.programacao_producao {
        write_programacao_producao(dir, rows)?;
    }
    if let Some(rows) = &ds.unificacao_codigos {
        write_unificacao_codigos(dir, rows)?;
    }
    Ok(())
}

/// `carteira_principal.csv`.
fn write_carteira_principal(dir: &Path, rows: &[CarteiraRow]) -> io::Result<()> {
    write_table(
        dir,
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
        rows.iter().map(|r| {
            vec![
                opt(r.id),
                r.num_pedido.clone(),
                r.cod_produto.clone(),
                r.nome_produto.clone(),
                r.qtd_saldo_produto_pedido.to_string(),
                opt(r.preco_produto_pedido),
                r.ativo.to_string(),
                opt(r.raz_social_red.as_ref()),
                opt(r.cnpj_cpf.as_ref()),
                opt(r.nome_cidade.as_ref()),
                opt(r.cod_uf.as_ref()),
                opt(r.vendedor.as_ref()),
                opt(r.equipe_vendas.as_ref()),
                opt(r.data_pedido),
                opt(r.expedicao),
                opt(r.agendamento),
            ]
        }),
    )
}

/// `movimentacao_estoque.csv`.
fn write_movimentacao_estoque(dir: &Path, rows: &[MovimentacaoRow]) -> io::Result<()> {
    write_table(
        dir,
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
        rows.iter().map(|r| {
            vec![
                opt(r.id),
                r.cod_produto.clone(),
                opt(r.nome_produto.as_ref()),
                opt(r.data_movimentacao),
                opt(r.tipo_movimentacao.as_ref()),
                r.qtd_movimentacao.to_string(),
                r.ativo.to_string(),
            ]
        }),
    )
}

/// `separacao.csv`.
fn write_separacao(dir: &Path, rows: &[SeparacaoRow]) -> io::Result<()> {
    write_table(
        dir,
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
        rows.iter().map(|r| {
            vec![
                opt(r.id),
                opt(r.separacao_lote_id.as_ref()),
                opt(r.num_pedido.as_ref()),
                r.cod_produto.clone(),
                r.qtd_saldo.to_string(),
                opt(r.expedicao),
                r.sincronizado_nf.to_string(),
            ]
        }),
    )
}

/// `programacao_producao.csv`.
fn write_programacao_producao(dir: &Path, rows: &[ProgramacaoRow]) -> io::Result<()> {
    write_table(
        dir,
        "programacao_producao",
        &[
            "id",
            "cod_produto",
            "nome_produto",
            "data_programacao",
            "qtd_programada",
            "linha_producao",
        ],
        rows.iter().map(|r| {
            vec![
                opt(r.id),
                r.cod_produto.clone(),
                opt(r.nome_produto.as_ref()),
                r.data_programacao.to_string(),
                r.qtd_programada.to_string(),
                opt(r.linha_producao.as_ref()),
            ]
        }),
    )
}

/// `unificacao_codigos.csv`.
fn write_unificacao_codigos(dir: &Path, rows: &[UnificacaoRow]) -> io::Result<()> {
    write_table(
        dir,
        "unificacao_codigos",
        &["id", "codigo_origem", "codigo_destino", "ativo"],
        rows.iter().map(|r| {
            vec![
                opt(r.id),
                r.codigo_origem.clone(),
                r.codigo_destino.clone(),
                r.ativo.to_string(),
            ]
        }),
    )
}

/// A nullable cell: empty when absent (the import reads an empty cell as null).
fn opt<T: Display>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

fn write_table(
    dir: &Path,
    table: &str,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) -> io::Result<()> {
    let mut writer = csv::Writer::from_path(dir.join(format!("{table}.csv")))?;
    writer.write_record(header)?;
    for row in rows {
        writer.write_record(&row)?;
    }
    writer.flush()
}
