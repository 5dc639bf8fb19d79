//! `ruptura serve`: the HTTP service, with its jobs in process or on Redis workers.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, ValueEnum};
use ruptura_app::runs::{RunLog, Schedule};
use ruptura_engine::Mode;
use ruptura_server::{AppState, Auth, JobQueue, LocalQueue, LocalQueueConfig, ServerConfig};
use ruptura_store::{Store, StoreError};
use ruptura_worker::{RedisQueue, RedisQueueConfig};

use crate::commands::worker::RedisArgs;
use crate::settings::parse_mode;
use crate::{AnalysisArgs, DbArgs, RunArgs};

/// Where jobs run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum QueueKind {
    /// Neste processo.
    #[default]
    Local,
    /// Em processos `ruptura worker`, pelo Redis (`REDIS_URL`).
    Redis,
}

/// Where `serve` runs its jobs.
#[derive(Debug, Clone, Args)]
pub struct QueueArgs {
    /// Onde os jobs rodam: local (neste processo) ou redis (lotes para processos `ruptura worker`).
    #[arg(long = "fila", visible_alias = "queue", value_name = "FILA", env = "QUEUE", value_enum, default_value_t = QueueKind::Local)]
    pub queue: QueueKind,
    #[command(flatten)]
    pub redis: RedisArgs,
}

/// Options of the HTTP service, shared by `serve` and `demo`.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// Endereço onde escutar (IP:PORTA).
    #[arg(
        long = "endereco",
        visible_alias = "bind",
        value_name = "IP:PORTA",
        env = "BIND",
        default_value = "127.0.0.1:8080"
    )]
    pub bind: SocketAddr,
    /// Quando definido, toda requisição a /api e /carteira/api precisa de
    /// `Authorization: Bearer <token>` (a página pede o token uma vez).
    #[arg(
        long = "token",
        visible_alias = "api-token",
        value_name = "TOKEN",
        env = "API_TOKEN",
        hide_env_values = true
    )]
    pub api_token: Option<String>,
    /// Máximo de pedidos numa requisição de lote.
    #[arg(
        long = "max-pedidos",
        value_name = "N",
        env = "MAX_PEDIDOS_POR_REQUISICAO",
        default_value_t = 20_000
    )]
    pub max_orders: usize,
    /// Segundos que um job concluído continua disponível.
    #[arg(
        long = "validade-job",
        visible_alias = "job-ttl",
        value_name = "SEGUNDOS",
        env = "JOB_TTL_SEGUNDOS",
        default_value_t = 3600
    )]
    pub job_ttl_secs: u64,
    /// Jobs analisando ao mesmo tempo (os demais esperam).
    #[arg(
        long = "max-jobs",
        value_name = "N",
        env = "MAX_JOBS_SIMULTANEOS",
        default_value_t = 2
    )]
    pub max_jobs: usize,
    /// Segundos até uma requisição (exceto fluxos de eventos) ser cortada com 408.
    #[arg(
        long = "tempo-limite",
        visible_alias = "timeout",
        value_name = "SEGUNDOS",
        env = "REQUEST_TIMEOUT_SEGUNDOS",
        default_value_t = 120
    )]
    pub request_timeout_secs: u64,
    /// Maior corpo de requisição aceito, em bytes.
    #[arg(long = "limite-corpo", visible_alias = "body-limit", value_name = "BYTES", env = "BODY_LIMIT_BYTES", default_value_t = 8 * 1024 * 1024)]
    pub body_limit: usize,
    /// Serve os arquivos da página desta pasta (desenvolvimento) em vez das cópias embutidas.
    #[arg(
        long = "pasta-web",
        visible_alias = "web-dir",
        value_name = "PASTA",
        env = "RUPTURA_WEB_DIR"
    )]
    pub web_dir: Option<PathBuf>,
    /// Chave que assina os cookies de sessão (padrão: derivada do API_TOKEN). Servidores com a
    /// mesma chave aceitam as sessões uns dos outros.
    #[arg(
        long = "chave-sessao",
        visible_alias = "session-key",
        value_name = "CHAVE",
        env = "SESSION_KEY",
        hide_env_values = true
    )]
    pub session_key: Option<String>,
    /// Marca o cookie de sessão como Secure (só enviado por HTTPS): use atrás de TLS.
    #[arg(
        long = "cookie-seguro",
        visible_alias = "cookie-secure",
        env = "COOKIE_SECURE"
    )]
    pub cookie_secure: bool,
    /// Segundos que uma conexão tem para enviar o cabeçalho de uma requisição (também o limite
    /// de uma conexão ociosa).
    #[arg(
        long = "tempo-cabecalho",
        visible_alias = "header-timeout",
        value_name = "SEGUNDOS",
        env = "HEADER_TIMEOUT_SEGUNDOS",
        default_value_t = 15
    )]
    pub header_timeout_secs: u64,
    /// Conexões abertas no máximo.
    #[arg(
        long = "max-conexoes",
        value_name = "N",
        env = "MAX_CONEXOES",
        default_value_t = 1024
    )]
    pub max_connections: usize,
    /// Análises em lote e de um pedido rodando ao mesmo tempo (as seguintes esperam).
    #[arg(
        long = "max-analises",
        value_name = "N",
        env = "MAX_ANALISES_SIMULTANEAS",
        default_value_t = 4
    )]
    pub max_analyses: usize,
    /// Jobs concluídos mantidos na memória no máximo (fila no processo; os mais antigos saem primeiro).
    #[arg(
        long = "max-jobs-concluidos",
        value_name = "N",
        env = "MAX_JOBS_CONCLUIDOS",
        default_value_t = 64
    )]
    pub max_finished_jobs: usize,
    /// Megabytes que os resultados dos jobs concluídos ocupam no máximo, comprimidos por lote,
    /// no arquivo temporário de cada job (ou na memória, com --resultados-em-memoria) (fila no
    /// processo; os mais antigos saem primeiro).
    #[arg(
        long = "memoria-jobs-mb",
        value_name = "MB",
        env = "MEMORIA_JOBS_MB",
        default_value_t = 256
    )]
    pub finished_jobs_mb: usize,
    /// Mantém os resultados dos jobs na memória, não num arquivo temporário de cada job (no
    /// diretório temporário do sistema, TMPDIR; apagado quando o job é esquecido) (fila no
    /// processo).
    #[arg(long = "resultados-em-memoria", env = "RESULTADOS_JOBS_EM_MEMORIA")]
    pub results_in_memory: bool,
}

/// Recorded runs and scheduled analyses, shared by `serve` and `demo`.
#[derive(Debug, Clone, Args)]
pub struct RecordArgs {
    #[command(flatten)]
    pub runs: RunArgs,
    /// Analisa a carteira inteira sozinho e registra a execução: todo dia num horário (06:30) ou
    /// a cada intervalo (30s, 15m, 6h, 1d). Desligado por padrão.
    #[arg(long = "agendar", env = "ANALISE_AGENDADA")]
    pub agendar: Option<String>,
    /// Modo das análises agendadas.
    #[arg(long = "agendar-modo", env = "ANALISE_AGENDADA_MODO", default_value = "independente", value_parser = parse_mode)]
    pub agendar_modo: Mode,
}

#[derive(Debug, Args)]
pub struct ServeOpts {
    #[command(flatten)]
    pub db: DbArgs,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    #[command(flatten)]
    pub server: ServerArgs,
    #[command(flatten)]
    pub queue: QueueArgs,
    #[command(flatten)]
    pub record: RecordArgs,
}

pub async fn run(opts: ServeOpts) -> anyhow::Result<()> {
    let store = opts.db.open_existing().await?;
    check_readable(store.as_ref(), &opts.db.db).await?;
    let runs = open_runs(&opts.record, &opts.db).await?;
    serve_with(
        store,
        &opts.analysis,
        &opts.server,
        Some(&opts.queue),
        runs,
        &opts.record,
    )
    .await
}

/// The run log of a server, checked once: a database without the runs table (the old system's,
/// or one not migrated since) records nothing, and says so at start-up.
pub async fn open_runs(record: &RecordArgs, db: &DbArgs) -> anyhow::Result<Option<RunLog>> {
    if let Some(s) = &record.agendar {
        Schedule::parse(s)?;
    }
    Ok(open_run_log(&record.runs, db).await)
}

/// The run log of a server or a worker, checked once: a database without the runs table (the
/// old system's, or one not migrated since) records nothing, and says so at start-up.
pub async fn open_run_log(runs: &RunArgs, db: &DbArgs) -> Option<RunLog> {
    let log = match runs.open(db).await {
        Ok(log) if runs.execucoes_db.is_some() => return Some(log),
        Ok(log) => log,
        Err(e) => {
            eprintln!(
                "aviso: as execuções não serão registradas: {e:#}{}",
                runs.hint(&e)
            );
            return None;
        }
    };
    match log.list().await {
        Ok(_) => Some(log),
        Err(e) => {
            eprintln!(
                "aviso: as execuções não serão registradas: {e}{}",
                runs.hint(&e)
            );
            None
        }
    }
}

/// Checks that the database has what the analysis reads, with a hint for an empty SQLite file.
pub async fn check_readable(store: &dyn Store, url: &str) -> anyhow::Result<()> {
    match store.check_schema().await {
        Ok(()) => Ok(()),
        Err(StoreError::Schema(missing)) if missing.len() >= 5 => anyhow::bail!(
            "o banco {} não tem as tabelas do Ruptura: crie-as com `ruptura migrate` e carregue dados com \
             `ruptura import`, ou experimente `ruptura demo`",
            ruptura_store::redact(url)
        ),
        Err(e) => Err(e.into()),
    }
}

/// Serves the page and the API on `store` until ctrl-c or SIGTERM, with the in-process queue.
pub async fn serve(
    store: Arc<dyn Store>,
    analysis: &AnalysisArgs,
    server: &ServerArgs,
    runs: Option<RunLog>,
    record: &RecordArgs,
) -> anyhow::Result<()> {
    serve_with(store, analysis, server, None, runs, record).await
}

/// Serves the page and the API on `store` until ctrl-c or SIGTERM; jobs run where `queue`
/// says (in this process when `None`).
pub async fn serve_with(
    store: Arc<dyn Store>,
    analysis: &AnalysisArgs,
    server: &ServerArgs,
    queue: Option<&QueueArgs>,
    runs: Option<RunLog>,
    record: &RecordArgs,
) -> anyhow::Result<()> {
    let settings = analysis.settings()?;
    let schedule = record.agendar.as_deref().map(Schedule::parse).transpose()?;
    let config = ServerConfig {
        max_orders: server.max_orders,
        body_limit: server.body_limit,
        request_timeout: Duration::from_secs(server.request_timeout_secs.max(1)),
        web_dir: server.web_dir.clone(),
        header_timeout: Duration::from_secs(server.header_timeout_secs.max(1)),
        max_connections: server.max_connections.max(1),
        max_concurrent_analyses: server.max_analyses.max(1),
        ..ServerConfig::default()
    };
    let local = LocalQueueConfig {
        max_running: server.max_jobs.max(1),
        ttl: Duration::from_secs(server.job_ttl_secs),
        max_finished_jobs: server.max_finished_jobs.max(1),
        max_finished_bytes: server.finished_jobs_mb.saturating_mul(1024 * 1024),
        results_in_file: !server.results_in_memory,
        ..LocalQueueConfig::default()
    };
    let auth = Auth::new(server.api_token.clone())
        .with_session_key(server.session_key.as_deref())
        .with_secure_cookie(server.cookie_secure);
    let redis = queue.filter(|q| q.queue == QueueKind::Redis);
    let jobs: Arc<dyn JobQueue> = match redis {
        None => Arc::new(LocalQueue::new(Arc::clone(&store), local).recording(runs.clone())),
        Some(q) => {
            let mut cfg = RedisQueueConfig::new(q.redis.options(server.job_ttl_secs));
            cfg.max_pending = local.max_pending;
            let url = ruptura_worker::redact(&cfg.redis.url);
            let queue = RedisQueue::connect(cfg, tokio_util::sync::CancellationToken::new())
                .await
                .with_context(|| format!("Redis {url}"))?;
            eprintln!("jobs na fila Redis {url}: rode `ruptura worker` para processá-los");
            if runs.is_some() {
                eprintln!(
                    "aviso: jobs da fila Redis não são registrados como execuções; use \
                     --agendar para registrar análises da carteira inteira"
                );
            }
            Arc::new(queue)
        }
    };
    if let (Some(schedule), Some(log)) = (schedule, &runs) {
        eprintln!("análise agendada da carteira inteira: {schedule}");
        tokio::spawn(ruptura_app::runs::run_scheduled(
            Arc::clone(&store),
            Arc::new(settings.clone()),
            record.agendar_modo,
            log.clone(),
            schedule,
        ));
    } else if schedule.is_some() {
        eprintln!("aviso: --agendar ignorado: não há onde registrar as execuções");
    }
    let state = AppState::with_queue(store, settings, config, auth.clone(), jobs).with_runs(runs);
    let listener = tokio::net::TcpListener::bind(server.bind)
        .await
        .with_context(|| format!("não foi possível escutar em {}", server.bind))?;
    let addr = listener.local_addr()?;
    eprintln!("Ruptura em http://{addr}/carteira  (API: http://{addr}/api/docs)");
    if auth.enabled() {
        eprintln!("API_TOKEN definido: a API exige o token (a página pede uma vez)");
    }
    ruptura_server::serve(listener, state, ruptura_server::shutdown_signal()).await?;
    eprintln!("encerrado");
    Ok(())
}
