use std::path::PathBuf;

use clap::Args;
use ruptura_datagen::GenConfig;
use ruptura_store::ImportMode;

use crate::commands::serve::{open_runs, serve, RecordArgs, ServerArgs};
use crate::{AnalysisArgs, DbArgs};

#[derive(Debug, Args)]
pub struct DemoOpts {
    /// The demo database; created with generated data when it does not exist.
    #[arg(long, default_value = "ruptura-demo.db")]
    pub db: PathBuf,
    /// Seed of the generated data (same seed, same data).
    #[arg(long, default_value_t = 20260302)]
    pub seed: u64,
    /// Orders to generate.
    #[arg(long, default_value_t = ruptura_datagen::DEFAULT_DEMO_ORDERS)]
    pub pedidos: usize,
    /// Generate the data again even if the database exists.
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
    anyhow::ensure!(opts.pedidos >= 1, "--pedidos deve ser pelo menos 1");
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
    // Databases made before runs were recorded get the runs table.
    store.migrate().await?;
    let runs = open_runs(&opts.record, &DbArgs { db: url }).await?;
    serve(store, &opts.analysis, &opts.server, runs, &opts.record).await
}
