use std::path::PathBuf;
use std::time::Instant;

use anyhow::bail;
use clap::Args;
use ruptura_import::ImportError;
use ruptura_store::ImportMode;

use crate::DbArgs;

#[derive(Debug, Args)]
pub struct ImportOpts {
    #[command(flatten)]
    pub db: DbArgs,
    /// Add to the tables instead of replacing their contents.
    #[arg(long)]
    pub append: bool,
    /// Folders or files: carteira_principal, movimentacao_estoque, separacao,
    /// programacao_producao, unificacao_codigos (.csv or .xlsx).
    #[arg(required = true, value_name = "PATH")]
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
    eprintln!(
        "{rows} linhas em {:.2} s (leitura {:.2} s), {:.0} linhas/s",
        elapsed.as_secs_f64(),
        parsed_in.as_secs_f64(),
        rows as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    Ok(())
}
