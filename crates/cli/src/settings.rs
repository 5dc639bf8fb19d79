//! Options shared by several subcommands: the database, the analysis settings (each
//! overridable by the environment, SPEC 3.5), the orders to analyse and where runs are recorded.

use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;
use ruptura_app::runs::RunLog;
use ruptura_app::Settings;
use ruptura_engine::{CriticalityRule, Mode, Params, Thresholds};
use ruptura_store::{DbUrl, OrderFilter, Selection, Store};
use rust_decimal::Decimal;

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Banco: sqlite://ARQUIVO, sqlite:ARQUIVO, o caminho do arquivo, ou postgres://...
    #[arg(
        long,
        value_name = "URL",
        env = "DATABASE_URL",
        default_value = "sqlite://ruptura.db",
        hide_env_values = true,
        value_parser = parse_db_url
    )]
    pub db: String,
}

impl DbArgs {
    /// Opens the database, creating a missing SQLite file (nothing is migrated): for the
    /// commands that write (`import`, `migrate`).
    pub async fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        ruptura_store::connect(&self.db)
            .await
            .with_context(|| format!("banco {}", ruptura_store::redact(&self.db)))
    }

    /// Opens a database that must already exist, for reading only: the read-only commands never
    /// create one, and never write to a SQLite file (it may be read-only to them).
    pub async fn open_existing(&self) -> anyhow::Result<Arc<dyn Store>> {
        ensure_exists(&self.db)?;
        ruptura_store::connect_read_only(&self.db)
            .await
            .with_context(|| format!("banco {}", ruptura_store::redact(&self.db)))
    }
}

fn parse_db_url(s: &str) -> Result<String, String> {
    DbUrl::parse(s)
        .map(|_| s.to_string())
        .map_err(|e| e.to_string())
}

fn parse_time_zone(s: &str) -> Result<String, String> {
    Settings::parse_time_zone(s)
        .map(|_| s.trim().to_string())
        .map_err(|e| e.to_string())
}

fn parse_rule(s: &str) -> Result<String, String> {
    s.parse::<CriticalityRule>()
        .map(|_| s.trim().to_string())
        .map_err(|e| e.to_string())
}

/// A day `AAAA-MM-DD` in the range the engine accepts (`--hoje`).
pub fn parse_day(s: &str) -> Result<NaiveDate, String> {
    ruptura_app::settings::parse_date(s).map_err(|e| e.to_string())
}

/// `independente`, `sequencial` or `prioridade` (`--modo`, `--agendar-modo`).
pub fn parse_mode(s: &str) -> Result<Mode, String> {
    s.parse::<Mode>().map_err(|e| e.to_string())
}

/// Fails with a hint when `url` names a SQLite file that does not exist.
pub fn ensure_exists(url: &str) -> anyhow::Result<()> {
    if let Ok(DbUrl::Sqlite(path)) = DbUrl::parse(url) {
        if !path.exists() {
            anyhow::bail!(
                "não há banco em {}: rode `ruptura import` ou `ruptura demo`",
                path.display()
            );
        }
    }
    Ok(())
}

/// How analyses are computed.
#[derive(Debug, Clone, Args)]
pub struct AnalysisArgs {
    /// Dias da janela D0..=D_H cujo mínimo decide a ruptura.
    #[arg(long = "horizonte", value_name = "DIAS", env = "HORIZONTE_DIAS", default_value_t = ruptura_engine::DEFAULT_HORIZON_DAYS, value_parser = clap::value_parser!(u32).range(0..=3650))]
    pub horizon_days: u32,
    /// Dias somados ao dia em que o estoque cobre a linha para dar a data de disponibilidade
    /// (1 reproduz o script mais recente do sistema antigo).
    #[arg(long = "dias-entrega", visible_alias = "lead-time", value_name = "DIAS", env = "LEAD_TIME_DIAS", default_value_t = ruptura_engine::DEFAULT_LEAD_TIME_DAYS, value_parser = clap::value_parser!(u32).range(0..=3650))]
    pub lead_time_days: u32,
    /// Fuso horário do negócio: "hoje" é a data lá.
    #[arg(long = "fuso", visible_alias = "tz", value_name = "FUSO", env = "RUPTURA_TZ", default_value_t = ruptura_app::DEFAULT_TIME_ZONE.name().to_string(), value_parser = parse_time_zone)]
    pub time_zone: String,
    /// Regra de criticidade: monotona ou original (a documentada pelo sistema antigo).
    #[arg(long = "regra", value_name = "REGRA", env = "CRITICIDADE_REGRA", default_value_t = CriticalityRule::default().name().to_string(), value_parser = parse_rule)]
    pub rule: String,
    /// monotona: itens em ruptura a partir dos quais o pedido é CRÍTICA.
    #[arg(
        long,
        value_name = "N",
        env = "CRITICIDADE_CRITICA_ITENS",
        default_value_t = Thresholds::default().critica_itens
    )]
    pub critica_itens: u32,
    /// monotona: percentual do valor em ruptura acima do qual o pedido é CRÍTICA.
    #[arg(
        long,
        value_name = "PCT",
        env = "CRITICIDADE_CRITICA_PCT",
        default_value_t = Thresholds::default().critica_pct
    )]
    pub critica_pct: Decimal,
    /// monotona: itens em ruptura a partir dos quais o pedido é ALTA.
    #[arg(
        long,
        value_name = "N",
        env = "CRITICIDADE_ALTA_ITENS",
        default_value_t = Thresholds::default().alta_itens
    )]
    pub alta_itens: u32,
    /// monotona: percentual do valor em ruptura acima do qual o pedido é ALTA.
    #[arg(
        long,
        value_name = "PCT",
        env = "CRITICIDADE_ALTA_PCT",
        default_value_t = Thresholds::default().alta_pct
    )]
    pub alta_pct: Decimal,
    /// monotona: itens em ruptura a partir dos quais o pedido é MÉDIA.
    #[arg(
        long,
        value_name = "N",
        env = "CRITICIDADE_MEDIA_ITENS",
        default_value_t = Thresholds::default().media_itens
    )]
    pub media_itens: u32,
    /// monotona: percentual do valor em ruptura acima do qual o pedido é MÉDIA.
    #[arg(
        long,
        value_name = "PCT",
        env = "CRITICIDADE_MEDIA_PCT",
        default_value_t = Thresholds::default().media_pct
    )]
    pub media_pct: Decimal,
    /// Pedidos por lote.
    #[arg(long = "tamanho-lote", visible_alias = "batch-size", value_name = "N", env = "BATCH_SIZE", default_value_t = ruptura_app::DEFAULT_BATCH_SIZE as u32, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub batch_size: u32,
    /// Lotes analisados ao mesmo tempo.
    #[arg(long = "max-workers", value_name = "N", env = "MAX_WORKERS", default_value_t = ruptura_app::DEFAULT_MAX_WORKERS as u32, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub max_workers: u32,
    /// Menor valor (R$) que pode sair agora para sugerir um envio parcial.
    #[arg(long = "parcial-minimo-valor", value_name = "R$", env = "PARCIAL_MINIMO_VALOR", default_value = "0", value_parser = non_negative)]
    pub partial_min_value: Decimal,
    /// Menor parte do valor do pedido (%) que pode sair agora para sugerir um envio parcial.
    #[arg(long = "parcial-minimo-pct", value_name = "PCT", env = "PARCIAL_MINIMO_PCT", default_value = "0", value_parser = non_negative)]
    pub partial_min_pct: Decimal,
}

/// A decimal number >= 0 (`1234.56` or `1234,56`).
pub fn non_negative(s: &str) -> Result<Decimal, String> {
    ruptura_app::settings::parse_minimum(s).map_err(|e| e.to_string())
}

impl AnalysisArgs {
    pub fn settings(&self) -> anyhow::Result<Settings> {
        let time_zone = Settings::parse_time_zone(&self.time_zone)?;
        let criticality = match self.rule.parse::<CriticalityRule>()? {
            CriticalityRule::Monotone(_) => CriticalityRule::Monotone(Thresholds {
                critica_itens: self.critica_itens,
                critica_pct: self.critica_pct,
                alta_itens: self.alta_itens,
                alta_pct: self.alta_pct,
                media_itens: self.media_itens,
                media_pct: self.media_pct,
            }),
            other => other,
        };
        Ok(Settings {
            horizon_days: self.horizon_days,
            lead_time_days: self.lead_time_days,
            time_zone,
            criticality,
            batch_size: self.batch_size as usize,
            max_workers: self.max_workers as usize,
            partial_min_value: self.partial_min_value,
            partial_min_pct: self.partial_min_pct,
        })
    }
}

/// What `analyze` and `produtos` analyse, and how: the database, the analysis settings and the
/// orders.
#[derive(Debug, Args)]
pub struct BookArgs {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    #[command(flatten)]
    pub selecao: SelectionArgs,
}

impl BookArgs {
    /// The settings and the selection, checked before anything is opened.
    pub fn settings_and_selection(&self) -> anyhow::Result<(Settings, Selection)> {
        Ok((self.analysis.settings()?, self.selecao.selection()?))
    }

    /// The database (it must exist; opened for reading), checked to have the tables an analysis
    /// reads.
    pub async fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        let store = self.db.open_existing().await?;
        store.check_schema().await?;
        Ok(store)
    }

    /// The engine parameters: `settings` on the day and in the mode asked for.
    pub fn params(&self, settings: &Settings) -> Params {
        settings.params(self.selecao.today, self.selecao.modo)
    }
}

/// Which orders a command analyses, on which day and in which mode (`analyze`, `produtos`).
#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// Data de referência D0 (AAAA-MM-DD); padrão: hoje no fuso do negócio.
    #[arg(long = "hoje", visible_alias = "today", value_name = "AAAA-MM-DD", value_parser = parse_day)]
    pub today: Option<NaiveDate>,
    /// Só estes pedidos (separados por vírgula); padrão: a carteira inteira.
    #[arg(long, value_delimiter = ',', num_args = 1..)]
    pub pedidos: Option<Vec<String>>,
    /// independente (cada pedido sozinho), sequencial (alocação em ordem de prioridade entre os
    /// pedidos analisados) ou prioridade (alocação sobre a carteira inteira; os pedidos pedidos).
    #[arg(long, default_value = "independente", value_parser = parse_mode)]
    pub modo: Mode,
    /// Só pedidos deste vendedor.
    #[arg(long)]
    pub vendedor: Option<String>,
    /// Só pedidos desta equipe de vendas.
    #[arg(long)]
    pub equipe: Option<String>,
    /// Só pedidos para esta UF.
    #[arg(long)]
    pub estado: Option<String>,
    /// Só pedidos que contenham este texto (pedido, cliente, cidade, produto).
    #[arg(long)]
    pub busca: Option<String>,
}

impl SelectionArgs {
    /// The named orders, or the book filtered by the flags given (none: the whole book); both
    /// at once is a usage error.
    pub fn selection(&self) -> anyhow::Result<Selection> {
        let filter = OrderFilter {
            vendedor: self.vendedor.clone(),
            equipe_vendas: self.equipe.clone(),
            estado: self.estado.clone(),
            busca: self.busca.clone(),
        };
        match &self.pedidos {
            Some(_) if !filter.is_empty() => crate::usage_bail!(
                "use --pedidos ou os filtros (--vendedor, --equipe, --estado, --busca), não os dois"
            ),
            Some(list) => {
                let list: Vec<String> = list
                    .iter()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                if list.is_empty() {
                    crate::usage_bail!("--pedidos sem nenhum número de pedido");
                }
                Ok(Selection::Orders(list))
            }
            None => Ok(Selection::Book(filter)),
        }
    }
}

/// Where whole-book runs are recorded (SPEC 8.5).
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Banco das execuções registradas (sqlite://CAMINHO, um caminho de arquivo ou
    /// postgres://...); padrão: o próprio banco analisado. Defina-o quando esse for o banco do
    /// sistema antigo, que nunca é escrito. É criado e migrado quando preciso.
    #[arg(long = "execucoes-db", env = "EXECUCOES_URL", hide_env_values = true)]
    pub execucoes_db: Option<String>,
    /// Execuções mantidas: as mais antigas além destas são apagadas quando uma execução é registrada.
    #[arg(long = "execucoes-mantidas", env = "EXECUCOES_MANTIDAS", default_value_t = ruptura_app::runs::DEFAULT_KEEP as u32, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub keep: u32,
}

impl RunArgs {
    /// The run log: in `EXECUCOES_URL` (migrated when needed), else in the analysed database
    /// (never migrated here: `ruptura migrate` creates the table).
    pub async fn open(&self, db: &DbArgs) -> anyhow::Result<RunLog> {
        self.open_beside(db, None).await
    }

    /// [`RunArgs::open`], sharing the connections of `analysed` (the store opened on `db`) when
    /// the runs go to the analysed database and the store can write them (PostgreSQL).
    pub async fn open_beside(
        &self,
        db: &DbArgs,
        analysed: Option<&dyn Store>,
    ) -> anyhow::Result<RunLog> {
        let shared = analysed
            .filter(|_| self.execucoes_db.is_none())
            .and_then(|s| s.as_run_store());
        if let Some(store) = shared {
            return Ok(RunLog::new(store, self.keep as usize));
        }
        let store = match &self.execucoes_db {
            Some(url) => {
                let store = ruptura_store::connect_runs(url).await.with_context(|| {
                    format!("banco de execuções {}", ruptura_store::redact(url))
                })?;
                store.migrate_runs().await.with_context(|| {
                    format!("banco de execuções {}", ruptura_store::redact(url))
                })?;
                store
            }
            None => ruptura_store::connect_runs(&db.db)
                .await
                .with_context(|| format!("banco {}", ruptura_store::redact(&db.db)))?,
        };
        Ok(RunLog::new(store, self.keep as usize))
    }

    /// The run log for reading only (`execucoes`, `mudancas`): a SQLite file must exist and is
    /// opened read-only; a PostgreSQL `EXECUCOES_URL` is opened (and migrated) as for recording.
    pub async fn open_read_only(&self, db: &DbArgs) -> anyhow::Result<RunLog> {
        let url = self.execucoes_db.as_deref().unwrap_or(&db.db);
        let path = match DbUrl::parse(url) {
            Ok(DbUrl::Sqlite(path)) => path,
            _ => return self.open(db).await,
        };
        if !path.exists() {
            if self.execucoes_db.is_some() {
                anyhow::bail!(
                    "não há banco de execuções em {}: nenhuma execução foi registrada nele ainda \
                     (ele é criado na primeira análise registrada)",
                    path.display()
                );
            }
            ensure_exists(url)?;
        }
        let store = ruptura_store::connect_runs_read_only(url)
            .await
            .with_context(|| format!("banco de execuções {}", ruptura_store::redact(url)))?;
        Ok(RunLog::new(store, self.keep as usize))
    }

    /// What to tell the user when recording failed.
    pub fn hint(&self, error: &dyn std::fmt::Display) -> &'static str {
        if self.execucoes_db.is_some() {
            ""
        } else if format!("{error:#}").contains("somente leitura") {
            " (para registrar as execuções, defina EXECUCOES_URL com um banco gravável)"
        } else {
            " (crie a tabela com `ruptura migrate`; se este banco é o do sistema antigo, defina \
             EXECUCOES_URL com outro banco para as execuções)"
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, FromArgMatches, Parser};

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        analysis: AnalysisArgs,
    }

    /// The flags' defaults are the library's defaults: with no flag and no environment, the
    /// settings are `Settings::default()` (the defaults are written once, in the engine and app).
    #[test]
    fn flag_defaults_are_the_library_defaults() {
        // Ignore the environment, so a variable set where the test runs does not count.
        let cmd = Cli::command().mut_args(|a| a.env(clap::builder::Resettable::Reset));
        let matches = cmd.try_get_matches_from(["ruptura"]).unwrap();
        let cli = Cli::from_arg_matches(&matches).unwrap();
        assert_eq!(cli.analysis.settings().unwrap(), Settings::default());
    }
}
