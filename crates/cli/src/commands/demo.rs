//! `ruptura demo`: generates the demo book into a SQLite file (when it is new, or with
//! `--recriar`) and serves it, so the page can be tried with one command.

use std::path::PathBuf;

use clap::Args;
use ruptura_datagen::GenConfig;
use ruptura_store::ImportMode;

use crate::commands::serve::{open_runs, serve, RecordArgs, ServerArgs};
use crate::{AnalysisArgs, DbArgs};

#[derive(Debug, Args)]
pub struct DemoOpts {
    /// O banco de demonstração (arquivo SQLite); criado com dados gerados quando não existe.
    #[arg(long, value_name = "ARQUIVO", default_value = "ruptura-demo.db")]
    pub db: PathBuf,
    /// Semente dos dados gerados (mesma semente, mesmos dados).
    #[arg(
        long = "semente",
        visible_alias = "seed",
        value_name = "N",
        default_value_t = 20260302
    )]
    pub seed: u64,
    /// Pedidos a gerar.
    #[arg(long, value_name = "N", default_value_t = ruptura_datagen::DEFAULT_DEMO_ORDERS, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1_000_000))]
    pub pedidos: usize,
    /// Gera os dados de novo mesmo que o banco exista.
    #[arg(long)]
    pub recriar: bool,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub record: RecordArgs,
}

pub async fn run(opts: DemoOpts) -> anyhow::Result<()> {
    let fresh = opts.recriar || !opts.db.exists();
    let url = format!("sqlite://{}", opts.db.display());
    let store = ruptura_store::connect(&url).await?;
    if fresh {
        let settings = opts.analysis.settings()?;
        let today = settings.today();
        eprintln!(
            "gerando dados de demonstração: {} pedidos (semente {}, hoje {today})",
            opts.pedidos, opts.seed
        );
        let data = ruptura_datagen::generate(&GenConfig::demo(opts.seed, today, opts.pedidos));
        store.migrate().await?;
        store.import(&data, ImportMode::Replace).await?;
        eprintln!(
            "{} linhas gravadas em {}",
            data.row_count(),
            opts.db.display()
        );
    } else {
        eprintln!(
            "usando {} (existente; --recriar gera de novo)",
            opts.db.display()
        );
    }
    eprintln!(
        "nos outros comandos, use --db {}  (por exemplo: ruptura analyze --db {})",
        opts.db.display(),
        opts.db.display()
    );
    // Databases made before runs were recorded get the runs table.
    store.migrate().await?;
    let runs = open_runs(&opts.record, &DbArgs { db: url }).await?;
    serve(store, &opts.analysis, &opts.server, runs, &opts.record).await
}
