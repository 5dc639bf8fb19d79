//! The import: each table's rows written in chunks of `INSERT ... SELECT FROM UNNEST(...)` inside
//! the import's transaction, with the id sequences moved past every id.

use ruptura_engine::records::{
    CarteiraRow, Dataset, MovimentacaoRow, ProgramacaoRow, SeparacaoRow, UnificacaoRow,
};
use sqlx::{Postgres, Transaction};

use crate::{ImportMode, ImportReport, StoreError};

/// Rows per `INSERT ... SELECT FROM UNNEST(...)` of an import.
const IMPORT_CHUNK: usize = 20_000;

/// Writes the tables present in `data` inside `tx`; when replacing, a table not yet in
/// `cleared` is emptied first (and added to it).
pub(super) async fn write_rows(
    tx: &mut Transaction<'_, Postgres>,
    data: &Dataset,
    mode: ImportMode,
    cleared: &mut Vec<&'static str>,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    if let Some(rows) = &data.carteira_principal {
        write_carteira_principal(tx, rows, mode, cleared, report).await?;
    }
    if let Some(rows) = &data.movimentacao_estoque {
        write_movimentacao_estoque(tx, rows, mode, cleared, report).await?;
    }
    if let Some(rows) = &data.separacao {
        write_separacao(tx, rows, mode, cleared, report).await?;
    }
    if let Some(rows) = &data.programacao_producao {
        write_programacao_producao(tx, rows, mode, cleared, report).await?;
    }
    if let Some(rows) = &data.unificacao_codigos {
        write_unificacao_codigos(tx, rows, mode, cleared, report).await?;
    }
    Ok(())
}

/// Writes `rows` into `carteira_principal`.
async fn write_carteira_principal(
    tx: &mut Transaction<'_, Postgres>,
    rows: &[CarteiraRow],
    mode: ImportMode,
    cleared: &mut Vec<&'static str>,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    let target = Target::prepare(
        tx,
        "carteira_principal",
        mode,
        cleared,
        rows.iter().map(|r| r.id),
    )
    .await?;
    for chunk in rows.chunks(IMPORT_CHUNK) {
        let text = |f: fn(&CarteiraRow) -> &Option<String>| {
            chunk.iter().map(|r| f(r).clone()).collect::<Vec<_>>()
        };
        let q = sqlx::query(
                "INSERT INTO carteira_principal (id, num_pedido, cod_produto, nome_produto, \
                 qtd_saldo_produto_pedido, preco_produto_pedido, ativo, raz_social_red, cnpj_cpf, \
                 nome_cidade, cod_uf, vendedor, equipe_vendas, data_pedido, expedicao, agendamento) \
                 SELECT COALESCE(id, nextval($17::regclass)), num_pedido, cod_produto, nome_produto, \
                 qtd, preco, ativo, raz_social_red, cnpj_cpf, nome_cidade, cod_uf, vendedor, \
                 equipe_vendas, data_pedido, expedicao, agendamento \
                 FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::text[], $5::numeric[], \
                 $6::numeric[], $7::bool[], $8::text[], $9::text[], $10::text[], $11::text[], \
                 $12::text[], $13::text[], $14::date[], $15::date[], $16::date[]) \
                 AS u(id, num_pedido, cod_produto, nome_produto, qtd, preco, ativo, raz_social_red, \
                 cnpj_cpf, nome_cidade, cod_uf, vendedor, equipe_vendas, data_pedido, expedicao, \
                 agendamento)",
            )
            .bind(chunk.iter().map(|r| r.id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.num_pedido.clone()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.cod_produto.clone()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.nome_produto.clone()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.qtd_saldo_produto_pedido).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.preco_produto_pedido).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.ativo).collect::<Vec<_>>())
            .bind(text(|r| &r.raz_social_red))
            .bind(text(|r| &r.cnpj_cpf))
            .bind(text(|r| &r.nome_cidade))
            .bind(text(|r| &r.cod_uf))
            .bind(text(|r| &r.vendedor))
            .bind(text(|r| &r.equipe_vendas))
            .bind(chunk.iter().map(|r| r.data_pedido).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.expedicao).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.agendamento).collect::<Vec<_>>())
            .bind(&target.sequence);
        target.insert(tx, q).await?;
    }
    report.add("carteira_principal", rows.len());
    Ok(())
}

/// Writes `rows` into `movimentacao_estoque`.
async fn write_movimentacao_estoque(
    tx: &mut Transaction<'_, Postgres>,
    rows: &[MovimentacaoRow],
    mode: ImportMode,
    cleared: &mut Vec<&'static str>,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    let target = Target::prepare(
        tx,
        "movimentacao_estoque",
        mode,
        cleared,
        rows.iter().map(|r| r.id),
    )
    .await?;
    for chunk in rows.chunks(IMPORT_CHUNK) {
        let q = sqlx::query(
                "INSERT INTO movimentacao_estoque (id, cod_produto, nome_produto, data_movimentacao, \
                 tipo_movimentacao, qtd_movimentacao, ativo) \
                 SELECT COALESCE(id, nextval($8::regclass)), cod_produto, nome_produto, \
                 data_movimentacao, tipo_movimentacao, qtd, ativo \
                 FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::date[], $5::text[], \
                 $6::numeric[], $7::bool[]) \
                 AS u(id, cod_produto, nome_produto, data_movimentacao, tipo_movimentacao, qtd, ativo)",
            )
            .bind(chunk.iter().map(|r| r.id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.cod_produto.clone()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.nome_produto.clone()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.data_movimentacao).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.tipo_movimentacao.clone()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.qtd_movimentacao).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.ativo).collect::<Vec<_>>())
            .bind(&target.sequence);
        target.insert(tx, q).await?;
    }
    report.add("movimentacao_estoque", rows.len());
    Ok(())
}

/// Writes `rows` into `separacao`.
async fn write_separacao(
    tx: &mut Transaction<'_, Postgres>,
    rows: &[SeparacaoRow],
    mode: ImportMode,
    cleared: &mut Vec<&'static str>,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    let target = Target::prepare(tx, "separacao", mode, cleared, rows.iter().map(|r| r.id)).await?;
    for chunk in rows.chunks(IMPORT_CHUNK) {
        let q = sqlx::query(
                "INSERT INTO separacao (id, separacao_lote_id, num_pedido, cod_produto, qtd_saldo, \
                 expedicao, sincronizado_nf) \
                 SELECT COALESCE(id, nextval($8::regclass)), separacao_lote_id, num_pedido, \
                 cod_produto, qtd, expedicao, sincronizado_nf \
                 FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::text[], $5::numeric[], \
                 $6::date[], $7::bool[]) \
                 AS u(id, separacao_lote_id, num_pedido, cod_produto, qtd, expedicao, sincronizado_nf)",
            )
            .bind(chunk.iter().map(|r| r.id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.separacao_lote_id.clone()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.num_pedido.clone()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.cod_produto.clone()).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.qtd_saldo).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.expedicao).collect::<Vec<_>>())
            .bind(chunk.iter().map(|r| r.sincronizado_nf).collect::<Vec<_>>())
            .bind(&target.sequence);
        target.insert(tx, q).await?;
    }
    report.add("separacao", rows.len());
    Ok(())
}

/// Writes `rows` into `programacao_producao`.
async fn write_programacao_producao(
    tx: &mut Transaction<'_, Postgres>,
    rows: &[ProgramacaoRow],
    mode: ImportMode,
    cleared: &mut Vec<&'static str>,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    let target = Target::prepare(
        tx,
        "programacao_producao",
        mode,
        cleared,
        rows.iter().map(|r| r.id),
    )
    .await?;
    for chunk in rows.chunks(IMPORT_CHUNK) {
        let q = sqlx::query(
            "INSERT INTO programacao_producao (id, cod_produto, nome_produto, data_programacao, \
                 qtd_programada, linha_producao) \
                 SELECT COALESCE(id, nextval($7::regclass)), cod_produto, nome_produto, \
                 data_programacao, qtd, linha_producao \
                 FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::date[], $5::numeric[], \
                 $6::text[]) \
                 AS u(id, cod_produto, nome_produto, data_programacao, qtd, linha_producao)",
        )
        .bind(chunk.iter().map(|r| r.id).collect::<Vec<_>>())
        .bind(
            chunk
                .iter()
                .map(|r| r.cod_produto.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            chunk
                .iter()
                .map(|r| r.nome_produto.clone())
                .collect::<Vec<_>>(),
        )
        .bind(chunk.iter().map(|r| r.data_programacao).collect::<Vec<_>>())
        .bind(chunk.iter().map(|r| r.qtd_programada).collect::<Vec<_>>())
        .bind(
            chunk
                .iter()
                .map(|r| r.linha_producao.clone())
                .collect::<Vec<_>>(),
        )
        .bind(&target.sequence);
        target.insert(tx, q).await?;
    }
    report.add("programacao_producao", rows.len());
    Ok(())
}

/// Writes `rows` into `unificacao_codigos`.
async fn write_unificacao_codigos(
    tx: &mut Transaction<'_, Postgres>,
    rows: &[UnificacaoRow],
    mode: ImportMode,
    cleared: &mut Vec<&'static str>,
    report: &mut ImportReport,
) -> Result<(), StoreError> {
    let target = Target::prepare(
        tx,
        "unificacao_codigos",
        mode,
        cleared,
        rows.iter().map(|r| r.id),
    )
    .await?;
    for chunk in rows.chunks(IMPORT_CHUNK) {
        let q = sqlx::query(
            "INSERT INTO unificacao_codigos (id, codigo_origem, codigo_destino, ativo) \
                 SELECT COALESCE(id, nextval($5::regclass)), codigo_origem, codigo_destino, ativo \
                 FROM UNNEST($1::int8[], $2::text[], $3::text[], $4::bool[]) \
                 AS u(id, codigo_origem, codigo_destino, ativo)",
        )
        .bind(chunk.iter().map(|r| r.id).collect::<Vec<_>>())
        .bind(
            chunk
                .iter()
                .map(|r| r.codigo_origem.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            chunk
                .iter()
                .map(|r| r.codigo_destino.clone())
                .collect::<Vec<_>>(),
        )
        .bind(chunk.iter().map(|r| r.ativo).collect::<Vec<_>>())
        .bind(&target.sequence);
        target.insert(tx, q).await?;
    }
    report.add("unificacao_codigos", rows.len());
    Ok(())
}

/// A table an import writes to, cleared when replacing, with its id sequence moved past every
/// id already there or about to be written.
pub(super) struct Target {
    table: &'static str,
    /// The id sequence (`regclass` text), for rows without an id.
    sequence: String,
}

impl Target {
    pub(super) async fn prepare(
        tx: &mut Transaction<'_, Postgres>,
        table: &'static str,
        mode: ImportMode,
        cleared: &mut Vec<&'static str>,
        ids: impl Iterator<Item = Option<i64>>,
    ) -> Result<Self, StoreError> {
        if mode == ImportMode::Replace && !cleared.contains(&table) {
            cleared.push(table);
            // DELETE, not TRUNCATE: TRUNCATE is not MVCC-safe, and a load whose snapshot was
            // taken before this import commits must still see the old rows.
            sqlx::query(&format!("DELETE FROM {table}"))
                .execute(&mut **tx)
                .await?;
        }
        let sequence: Option<String> =
            sqlx::query_scalar("SELECT pg_get_serial_sequence($1, 'id')")
                .bind(table)
                .fetch_one(&mut **tx)
                .await?;
        let sequence =
            sequence.ok_or_else(|| StoreError::Schema(vec![format!("sequência de {table}.id")]))?;
        // Rows without an id take nextval: move it above every id already there and every
        // explicit id of this import, so that neither collides and later inserts follow on.
        let top_new = ids.flatten().max().unwrap_or(0);
        sqlx::query(&format!(
            "SELECT setval($1::regclass, GREATEST(top, 1), top >= 1) \
             FROM (SELECT GREATEST(COALESCE(MAX(id), 0), $2::bigint) AS top FROM {table}) AS t"
        ))
        .bind(&sequence)
        .bind(top_new)
        .execute(&mut **tx)
        .await?;
        Ok(Self { table, sequence })
    }

    pub(super) async fn insert<'q>(
        &self,
        tx: &mut Transaction<'_, Postgres>,
        query: sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments>,
    ) -> Result<(), StoreError> {
        query.execute(&mut **tx).await.map_err(|e| {
            let table = self.table;
            match &e {
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    StoreError::Rejected(format!("id repetido em {table} ({})", db.message()))
                }
                // Class 22 (data exception: a number too large, ...) and 23 (integrity).
                sqlx::Error::Database(db)
                    if db
                        .code()
                        .is_some_and(|c| c.starts_with("22") || c.starts_with("23")) =>
                {
                    StoreError::Rejected(format!("{table}: {}", db.message()))
                }
                _ => StoreError::from(e),
            }
        })?;
        Ok(())
    }
}
