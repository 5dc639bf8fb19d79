//! The rows of each table written the way the old system stores them (see
//! [`super::TestDb::insert_original`]): one step per table.

use chrono::NaiveDate;
use ruptura_engine::records::{
    CarteiraRow, MovimentacaoRow, ProgramacaoRow, Rows, SeparacaoRow, UnificacaoRow,
};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use sqlx::{Postgres, Transaction};

use crate::StoreError;

type Tx<'c> = Transaction<'c, Postgres>;

/// The old system leaves a flag NULL when it holds its default: on every other row (the even
/// ones), a flag at its default is written as NULL.
fn null_on_even(i: usize, value: bool, default: bool) -> Option<bool> {
    (i % 2 == 1 || value != default).then_some(value)
}

/// Ids are INTEGER in the old layout.
fn old_id(id: Option<i64>) -> Option<i32> {
    id.map(|id| id as i32)
}

/// Quantities are double precision in `separacao` and `programacao_producao`.
fn double(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(f64::NAN)
}

/// Moves the SERIAL sequence of the table of `rows` above their explicit ids.
pub(super) async fn move_sequence(tx: &mut Tx<'_>, rows: &dyn Rows) -> Result<(), StoreError> {
    let layout = rows.layout();
    let top = layout
        .id_column()
        .and_then(|id| (0..rows.len()).filter_map(|r| rows.cell(r, id).id()).max())
        .unwrap_or(0);
    if top >= 1 {
        sqlx::query("SELECT setval(pg_get_serial_sequence($1, 'id'), $2)")
            .bind(layout.name)
            .bind(top)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// City and UF in `municipio` / `estado` on even lines, in `nome_cidade` / `cod_uf` on odd ones.
pub(super) async fn carteira(tx: &mut Tx<'_>, rows: &[CarteiraRow]) -> Result<(), StoreError> {
    for (i, r) in rows.iter().enumerate() {
        let (cidade, uf, municipio, estado) = if i % 2 == 0 {
            (None, None, r.nome_cidade.clone(), r.cod_uf.clone())
        } else {
            (r.nome_cidade.clone(), r.cod_uf.clone(), None, None)
        };
        sqlx::query(
            "INSERT INTO carteira_principal (id, num_pedido, cod_produto, data_pedido, \
             cnpj_cpf, raz_social_red, municipio, estado, nome_cidade, cod_uf, vendedor, \
             equipe_vendas, nome_produto, qtd_produto_pedido, qtd_saldo_produto_pedido, \
             preco_produto_pedido, expedicao, agendamento, ativo) \
             VALUES (COALESCE($1, nextval('carteira_principal_id_seq'))::int, $2, $3, $4, \
             $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $16, $17, $18)",
        )
        .bind(old_id(r.id))
        .bind(&r.num_pedido)
        .bind(&r.cod_produto)
        .bind(r.data_pedido)
        .bind(r.cnpj_cpf.clone().unwrap_or_default())
        .bind(&r.raz_social_red)
        .bind(municipio)
        .bind(estado)
        .bind(cidade)
        .bind(uf)
        .bind(&r.vendedor)
        .bind(&r.equipe_vendas)
        .bind(&r.nome_produto)
        .bind(r.qtd_saldo_produto_pedido)
        .bind(r.preco_produto_pedido)
        .bind(r.expedicao)
        .bind(r.agendamento)
        .bind(null_on_even(i, r.ativo, true))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Every movement at location `CD`; a missing name, date or type takes the code, 2000-01-01 or
/// `AJUSTE` (the old layout requires them).
pub(super) async fn movimentacao(
    tx: &mut Tx<'_>,
    rows: &[MovimentacaoRow],
) -> Result<(), StoreError> {
    let long_ago = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
    for (i, r) in rows.iter().enumerate() {
        sqlx::query(
            "INSERT INTO movimentacao_estoque (id, cod_produto, nome_produto, \
             data_movimentacao, tipo_movimentacao, local_movimentacao, qtd_movimentacao, ativo) \
             VALUES (COALESCE($1, nextval('movimentacao_estoque_id_seq'))::int, $2, $3, $4, $5, \
             'CD', $6, $7)",
        )
        .bind(old_id(r.id))
        .bind(&r.cod_produto)
        .bind(r.nome_produto.as_ref().unwrap_or(&r.cod_produto))
        .bind(r.data_movimentacao.unwrap_or(long_ago))
        .bind(r.tipo_movimentacao.as_deref().unwrap_or("AJUSTE"))
        .bind(r.qtd_movimentacao)
        .bind(null_on_even(i, r.ativo, true))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Every shipment to UF `SP`.
pub(super) async fn separacao(tx: &mut Tx<'_>, rows: &[SeparacaoRow]) -> Result<(), StoreError> {
    for (i, r) in rows.iter().enumerate() {
        sqlx::query(
            "INSERT INTO separacao (id, separacao_lote_id, num_pedido, cod_uf, cod_produto, \
             qtd_saldo, expedicao, sincronizado_nf) \
             VALUES (COALESCE($1, nextval('separacao_id_seq'))::int, $2, $3, 'SP', $4, $5, $6, $7)",
        )
        .bind(old_id(r.id))
        .bind(&r.separacao_lote_id)
        .bind(&r.num_pedido)
        .bind(&r.cod_produto)
        .bind(double(r.qtd_saldo))
        .bind(r.expedicao)
        .bind(null_on_even(i, r.sincronizado_nf, false))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// A missing product name takes the code (the old layout requires it).
pub(super) async fn programacao(
    tx: &mut Tx<'_>,
    rows: &[ProgramacaoRow],
) -> Result<(), StoreError> {
    for r in rows {
        sqlx::query(
            "INSERT INTO programacao_producao (id, data_programacao, cod_produto, \
             nome_produto, qtd_programada, linha_producao) \
             VALUES (COALESCE($1, nextval('programacao_producao_id_seq'))::int, $2, $3, $4, $5, $6)",
        )
        .bind(old_id(r.id))
        .bind(r.data_programacao)
        .bind(&r.cod_produto)
        .bind(r.nome_produto.as_ref().unwrap_or(&r.cod_produto))
        .bind(double(r.qtd_programada))
        .bind(&r.linha_producao)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Codes are integers in the old layout: a code that is not one is refused.
pub(super) async fn unificacao(tx: &mut Tx<'_>, rows: &[UnificacaoRow]) -> Result<(), StoreError> {
    let int = |code: &str| {
        code.trim().parse::<i32>().map_err(|_| {
            StoreError::Rejected(format!(
                "unificacao_codigos guarda inteiros no layout antigo: {code:?}"
            ))
        })
    };
    for (i, r) in rows.iter().enumerate() {
        sqlx::query(
            "INSERT INTO unificacao_codigos (id, codigo_origem, codigo_destino, ativo) \
             VALUES (COALESCE($1, nextval('unificacao_codigos_id_seq'))::int, $2, $3, $4)",
        )
        .bind(old_id(r.id))
        .bind(int(&r.codigo_origem)?)
        .bind(int(&r.codigo_destino)?)
        .bind(null_on_even(i, r.ativo, true))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
