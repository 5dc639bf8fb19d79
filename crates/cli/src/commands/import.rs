use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use clap::Args;
use ruptura_import::ImportError;
use ruptura_store::ImportMode;

use crate::commands::analyze::{br_integer, br_number};
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

pub async fn run(opts: ImportOpts) -> anyhow::Result<()> {
    let started = Instant::now();
    let paths = opts.paths.clone();
    // Parsing is CPU and file IO: keep it off the async workers.
    let parsed = tokio::task::spawn_blocking(move || ruptura_import::load_paths(&paths)).await?;
    let data = match parsed {
        Ok(data) => data,
        Err(ImportError::Invalid(diagnostics)) => {
            for d in &diagnostics {
                eprintln!("{d}");
            }
            bail!(
                "{} problema(s) nos arquivos; nada foi importado",
                diagnostics.len()
            );
        }
        Err(e) => return Err(e.into()),
    };
    let parsed_in = started.elapsed();
    let store = opts.db.open().await?;
    store.migrate().await?;
    let mode = if opts.append {
        ImportMode::Append
    } else {
        ImportMode::Replace
    };
    let report = store.import(&data, mode).await?;
    let elapsed = started.elapsed();
    let rows: usize = report.tables.iter().map(|(_, n)| n).sum();
    for (table, n) in &report.tables {
        eprintln!(
            "{table}: {n} linha(s) {}",
            if opts.append {
                "acrescentadas"
            } else {
                "gravadas"
            }
        );
    }
    let per_second = rows as f64 / elapsed.as_secs_f64().max(1e-9);
    eprintln!(
        "{} linhas em {} s (leitura {} s), {} linhas/s",
        br_integer(rows as u64),
        br_number(elapsed.as_secs_f64(), 2),
        br_number(parsed_in.as_secs_f64(), 2),
        br_integer(per_second.round() as u64)
    );
    Ok(())
}
