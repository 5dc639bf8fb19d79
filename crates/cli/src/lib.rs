//! The `ruptura` command line: one module per subcommand, each with `run(opts)`.
#![forbid(unsafe_code)]

pub mod commands;
pub mod settings;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use settings::{AnalysisArgs, DbArgs, RunArgs};

/// Ruptura: for every open order, does projected stock cover it, how critical is the
/// shortfall, and when will it be fully available.
#[derive(Debug, Parser)]
#[command(name = "ruptura", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a demo database with generated data (when missing) and serve the page and API.
    Demo(Box<commands::demo::DemoOpts>),
    /// Serve the order-book page and the API.
    Serve(Box<commands::serve::ServeOpts>),
    /// Load CSV/XLSX files (one per table, named after it) into the database.
    Import(commands::import::ImportOpts),
    /// Analyse the whole order book (or the named orders) and write the results.
    Analyze(Box<commands::analyze::AnalyzeOpts>),
    /// List the recorded runs (whole-book analyses).
    Execucoes(commands::runs::ExecucoesOpts),
    /// What changed between two recorded runs, and why.
    Mudancas(commands::runs::MudancasOpts),
    /// The products that block orders (SPEC 8.4): what to produce first.
    Produtos(Box<commands::produtos::ProdutosOpts>),
    /// Create or update Ruptura's tables.
    Migrate(commands::migrate::MigrateOpts),
    /// Take analysis batches from Redis (jobs of `serve --queue redis`).
    Worker(Box<commands::worker::WorkerOpts>),
}

/// Parses the command line, runs the command and turns errors into a message and exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let serving = matches!(
        cli.command,
        Command::Serve(_) | Command::Demo(_) | Command::Worker(_)
    );
    init_tracing(if serving { "info,sqlx=warn" } else { "warn" });
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("erro: não foi possível iniciar o runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("erro: {e:#}");
            ExitCode::FAILURE
        }
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo(opts) => commands::demo::run(*opts).await,
        Command::Serve(opts) => commands::serve::run(*opts).await,
        Command::Import(opts) => commands::import::run(opts).await,
        Command::Analyze(opts) => commands::analyze::run(*opts).await,
        Command::Execucoes(opts) => commands::runs::execucoes(opts).await,
        Command::Mudancas(opts) => commands::runs::mudancas(opts).await,
        Command::Migrate(opts) => commands::migrate::run(opts).await,
        Command::Produtos(opts) => commands::produtos::run(*opts).await,
        Command::Worker(opts) => commands::worker::run(*opts).await,
    }
}

/// Logs to stderr; `RUST_LOG` overrides `default`.
pub fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
