//! The `ruptura` command line: one module per subcommand, each with `run(opts)`.
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod commands;
pub mod lang;
pub mod output;
pub mod settings;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub use settings::{AnalysisArgs, DbArgs, RunArgs};

/// Ruptura: para cada pedido em aberto, o estoque projetado cobre? Quão crítica é a falta, e
/// quando o pedido estará completo?
#[derive(Debug, Parser)]
#[command(name = "ruptura", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Cria um banco de demonstração com dados gerados (se não existir) e serve a página e a API.
    Demo(Box<commands::demo::DemoOpts>),
    /// Serve a página da carteira e a API.
    Serve(Box<commands::serve::ServeOpts>),
    /// Carrega arquivos CSV/XLSX (um por tabela, com o nome dela) no banco.
    Import(commands::import::ImportOpts),
    /// Analisa a carteira inteira (ou os pedidos indicados) e escreve os resultados.
    Analyze(Box<commands::analyze::AnalyzeOpts>),
    /// Lista as execuções registradas (análises da carteira inteira).
    Execucoes(commands::runs::ExecucoesOpts),
    /// O que mudou entre duas execuções registradas, e por quê.
    Mudancas(commands::runs::MudancasOpts),
    /// Os produtos que travam pedidos (SPEC 8.4): o que produzir primeiro.
    Produtos(Box<commands::produtos::ProdutosOpts>),
    /// Cria ou atualiza as tabelas do Ruptura.
    Migrate(commands::migrate::MigrateOpts),
    /// Processa lotes de análise da fila Redis (jobs de `serve --fila redis`).
    Worker(Box<commands::worker::WorkerOpts>),
}

/// Parses the command line, runs the command and turns errors into a Portuguese message and an
/// exit code: 2 for usage errors (clap's and [`lang::UsageError`]), 1 for any other failure.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let (text, code) = lang::clap_error(&e);
            if code == 0 {
                print!("{text}");
            } else {
                eprint!("{text}");
            }
            return ExitCode::from(code);
        }
    };
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
            eprintln!("erro: {}", describe(&e));
            if e.downcast_ref::<lang::UsageError>().is_some() {
                ExitCode::from(lang::USAGE)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// The error and its causes on one line, with operating-system messages in Portuguese.
pub fn describe(e: &anyhow::Error) -> String {
    e.chain()
        .map(|cause| match cause.downcast_ref::<std::io::Error>() {
            Some(io) => lang::io_error(io),
            None => cause.to_string(),
        })
        .collect::<Vec<_>>()
        .join(": ")
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
