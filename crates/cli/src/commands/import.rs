//! `ruptura import`: CSV/XLSX files into a database, in one transaction, with a diagnostic per
//! bad cell.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use clap::Args;
use ruptura_import::ImportError;
use ruptura_store::{ImportMode, ImportPiece};

use crate::output::{br_integer, br_number};
use crate::DbArgs;

#[derive(Debug, Args)]
pub struct ImportOpts {
    #[command(flatten)]
    pub db: DbArgs,
    /// Acrescenta às tabelas em vez de substituir o conteúdo delas.
    #[arg(long = "acrescentar", visible_alias = "append")]
    pub append: bool,
    /// Pastas ou arquivos: carteira_principal, movimentacao_estoque, separacao,
    /// programacao_producao, unificacao_codigos (.csv ou .xlsx).
    #[arg(required = true, value_name = "CAMINHO")]
    pub paths: Vec<PathBuf>,
}

/// Rows per piece handed from the file reader to the database transaction.
const PIECE_ROWS: usize = 20_000;

pub async fn run(opts: ImportOpts) -> anyhow::Result<()> {
    let started = Instant::now();
    // Paths are checked before the database is touched.
    let plan = ruptura_import::plan(&opts.paths)?;
    let store = opts.db.open().await?;
    store.migrate().await?;
    let mode = if opts.append {
        ImportMode::Append
    } else {
        ImportMode::Replace
    };
    // The files are read on a blocking thread and their rows go, a piece at a time, into one
    // transaction: memory holds a file's bytes and a few pieces, whatever the import's size.
    // A bad row anywhere stops the pieces; every bad cell is still reported, and the
    // transaction is abandoned (nothing written).
    let (tx, rx) = tokio::sync::mpsc::channel::<ImportPiece>(2);
    let writer = {
        let store = std::sync::Arc::clone(&store);
        tokio::spawn(async move { store.import_pieces(mode, rx).await })
    };
    let parsed = tokio::task::spawn_blocking(move || {
        let read = plan.stream(PIECE_ROWS, &mut |piece| {
            tx.blocking_send(ImportPiece::Rows(piece)).is_ok()
        });
        if read.is_ok() {
            // The writer may have stopped already (its error is reported below).
            let _ = tx.blocking_send(ImportPiece::Commit);
        }
        read
    })
    .await?;
    let written = writer.await?;
    let report = match (parsed, written) {
        (Err(ImportError::Invalid(diagnostics)), _) => {
            for d in &diagnostics {
                eprintln!("{d}");
            }
            bail!(
                "{} problema(s) nos arquivos; nada foi importado",
                diagnostics.len()
            );
        }
        (Err(e), _) => return Err(e.into()),
        (Ok(()), written) => written?,
    };
    let elapsed = started.elapsed();
    let rows: usize = report.tables.iter().map(|(_, n)| n).sum();
    for (table, n) in &report.tables {
        eprintln!(
            "{table}: {} linha(s) {}",
            br_integer(*n as u64),
            if opts.append {
                "acrescentadas"
            } else {
                "gravadas"
            }
        );
    }
    let per_second = rows as f64 / elapsed.as_secs_f64().max(1e-9);
    eprintln!(
        "{} linhas em {} s, {} linhas/s",
        br_integer(rows as u64),
        br_number(elapsed.as_secs_f64(), 2),
        br_integer(per_second.round() as u64)
    );
    Ok(())
}
