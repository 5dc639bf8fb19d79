//! Recorded runs and what changed between them (SPEC 8.5).
//!
//! Every analysis of the whole active book can be recorded: [`analyze_recorded`] runs it like
//! [`crate::analyze`] while a [`Recording`] keeps what a comparison needs, then [`RunLog::save`]
//! writes it in one transaction, keeping the last `EXECUCOES_MANTIDAS`. A failure while recording
//! never fails the analysis: the caller gets the results and the recording error apart.
//! [`RunLog::compare`] lists the orders whose outcome changed between two runs, each with its
//! causes, taken from the recorded inputs ([`compare`]).

mod binary;
mod compare;
mod record;
mod schedule;
mod words;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use ruptura_engine::{CriticalityRule, Params};
use ruptura_store::{NewRun, RunFacts, RunInfo, RunStore, Selection, Store, StoreError};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use utoipa::ToSchema;

pub use binary::OrderArena;
pub use compare::{compare, Causa, Mudanca, Mudancas, Situacao, TIPOS};
pub use record::{GroupRec, OrderGroup, OrderRec, Recording, RunData, FORMAT_VERSION};
pub use schedule::{run_scheduled, Schedule};

use crate::run::{analyze, AnalysisError, Observer, RunOptions};
use crate::wire::{Dia, Estatisticas};

/// Runs kept by default (`EXECUCOES_MANTIDAS`).
pub const DEFAULT_KEEP: usize = 30;

#[derive(Debug, Error)]
pub enum RunError {
    /// The database of the runs has no `execucoes` table.
    #[error("o banco das execuções não tem a tabela execucoes")]
    NoTable,
    #[error(transparent)]
    Store(StoreError),
    /// No such run, or nothing to compare.
    #[error("{0}")]
    NotFound(String),
    /// A bad request (for example `de` after `para`).
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Corrupt(String),
}

impl From<StoreError> for RunError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Schema(_) => RunError::NoTable,
            other => RunError::Store(other),
        }
    }
}

/// A recorded run as the API lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Execucao {
    pub id: i64,
    /// When it was recorded (RFC 3339, UTC).
    pub criada_em: String,
    pub data_base: Dia,
    pub modo: String,
    /// Horizon, lead time and criticality rule of the run.
    #[schema(value_type = Object)]
    pub parametros: serde_json::Value,
    /// `analyze`, `job` or `agendada`.
    pub origem: String,
    pub total_pedidos: i64,
    pub pedidos_com_ruptura: i64,
    pub duracao_ms: i64,
    /// Size of what the run keeps.
    pub bytes: i64,
}

impl From<&RunInfo> for Execucao {
    fn from(info: &RunInfo) -> Self {
        let r = &info.facts;
        Execucao {
            id: info.id,
            criada_em: r
                .criada_em
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            data_base: Dia(r.data_base),
            modo: r.modo.clone(),
            parametros: serde_json::from_str(&r.parametros)
                .unwrap_or(serde_json::Value::String(r.parametros.clone())),
            origem: r.origem.clone(),
            total_pedidos: r.total_pedidos,
            pedidos_com_ruptura: r.pedidos_com_ruptura,
            duracao_ms: r.duracao_ms,
            bytes: info.bytes,
        }
    }
}

/// `GET /api/ruptura/execucoes`: the runs kept, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ListaExecucoes {
    pub execucoes: Vec<Execucao>,
}

/// The parameters that make two runs comparable by default (with the mode), as canonical JSON.
pub fn parametros(params: &Params) -> String {
    let limiares = match params.criticality {
        CriticalityRule::Monotone(t) => serde_json::json!({
            "critica_itens": t.critica_itens, "critica_pct": t.critica_pct.normalize().to_string(),
            "alta_itens": t.alta_itens, "alta_pct": t.alta_pct.normalize().to_string(),
            "media_itens": t.media_itens, "media_pct": t.media_pct.normalize().to_string(),
        }),
        CriticalityRule::Original => serde_json::Value::Null,
    };
    serde_json::json!({
        "horizonte_dias": params.horizon_days,
        "lead_time_dias": params.lead_time_days,
        "criticidade_regra": params.criticality.name(),
        "limiares": limiares,
        "parcial_minimo_valor": params.partial_min_value.normalize().to_string(),
        "parcial_minimo_pct": params.partial_min_pct.normalize().to_string(),
    })
    .to_string()
}

/// Where runs are recorded, and how many are kept.
#[derive(Debug, Clone)]
pub struct RunLog {
    store: Arc<dyn RunStore>,
    keep: usize,
}

impl RunLog {
    pub fn new(store: Arc<dyn RunStore>, keep: usize) -> Self {
        Self {
            store,
            keep: keep.max(1),
        }
    }

    pub fn keep(&self) -> usize {
        self.keep
    }

    /// Records a finished run in one transaction, dropping runs beyond the retention.
    pub async fn save(
        &self,
        data: RunData,
        params: &Params,
        stats: &Estatisticas,
        elapsed: Duration,
        origem: &str,
    ) -> Result<i64, RunError> {
        let dados = tokio::task::spawn_blocking(move || {
            let dados = data.encode();
            // A run's records are many small allocations: free them off the caller's path.
            std::thread::spawn(move || drop(data));
            dados
        })
        .await
        .map_err(|e| RunError::Corrupt(e.to_string()))?
        .map_err(RunError::Corrupt)?;
        self.save_encoded(dados, params, stats, elapsed, origem)
            .await
    }

    /// [`RunLog::save`] of a run already encoded (what [`Recording::finish`] gives).
    pub async fn save_encoded(
        &self,
        dados: Vec<u8>,
        params: &Params,
        stats: &Estatisticas,
        elapsed: Duration,
        origem: &str,
    ) -> Result<i64, RunError> {
        let facts = RunFacts {
            criada_em: Utc::now(),
            data_base: params.today,
            modo: params.mode.as_str().to_string(),
            parametros: parametros(params),
            origem: origem.to_string(),
            total_pedidos: stats.contagens.total_pedidos as i64,
            pedidos_com_ruptura: stats.contagens.pedidos_com_ruptura as i64,
            duracao_ms: i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX),
        };
        let run = NewRun { facts, dados };
        Ok(self.store.save_run(run, self.keep).await?)
    }

    /// The runs kept, newest first.
    pub async fn list(&self) -> Result<ListaExecucoes, RunError> {
        let runs = self.store.list_runs().await?;
        Ok(ListaExecucoes {
            execucoes: runs.iter().map(Execucao::from).collect(),
        })
    }

    /// What changed from run `de` to run `para`. Defaults: `para` the latest run (of the same
    /// mode and parameters as `de`, when `de` is given), `de` the latest run before `para` of the
    /// same mode and parameters.
    pub async fn compare(&self, de: Option<i64>, para: Option<i64>) -> Result<Mudancas, RunError> {
        let runs = self.store.list_runs().await?;
        if runs.is_empty() {
            return Err(RunError::NotFound(
                "nenhuma execução registrada: analise a carteira inteira para registrar uma".into(),
            ));
        }
        let find = |id: i64| {
            runs.iter()
                .find(|r| r.id == id)
                .ok_or_else(|| RunError::NotFound(format!("execução {id} não encontrada")))
        };
        let same = |a: &RunInfo, b: &RunInfo| {
            a.facts.modo == b.facts.modo && a.facts.parametros == b.facts.parametros
        };
        let para = match (para, de) {
            (Some(id), _) => find(id)?,
            (None, Some(de)) => {
                let de = find(de)?;
                runs.iter()
                    .find(|r| r.id > de.id && same(r, de))
                    .unwrap_or(&runs[0])
            }
            (None, None) => &runs[0],
        };
        let de = match de {
            Some(id) => find(id)?,
            None => runs
                .iter()
                .find(|r| r.id < para.id && same(r, para))
                .ok_or_else(|| {
                    RunError::NotFound(format!(
                        "não há execução anterior à {} no mesmo modo e com os mesmos parâmetros \
                         para comparar",
                        para.id
                    ))
                })?,
        };
        if de.id >= para.id {
            return Err(RunError::Invalid(format!(
                "a execução \"de\" ({}) deve ser anterior à \"para\" ({})",
                de.id, para.id
            )));
        }
        let (a, b) = tokio::try_join!(self.data(de.id), self.data(para.id))?;
        let (de, para) = (de.clone(), para.clone());
        tokio::task::spawn_blocking(move || compare(&de, &a, &para, &b))
            .await
            .map_err(|e| RunError::Corrupt(e.to_string()))
    }

    async fn data(&self, id: i64) -> Result<RunData, RunError> {
        let (_, bytes) = self
            .store
            .run_data(id)
            .await?
            .ok_or_else(|| RunError::NotFound(format!("execução {id} não encontrada")))?;
        tokio::task::spawn_blocking(move || RunData::decode(&bytes))
            .await
            .map_err(|e| RunError::Corrupt(e.to_string()))?
            .map_err(RunError::Corrupt)
    }
}

/// Whether `selection` is the whole active book: only such runs are recorded.
pub fn is_whole_book(selection: &Selection) -> bool {
    matches!(selection, Selection::Book(f) if f.is_empty())
}

/// What [`analyze_recorded`] did about the record.
#[derive(Debug)]
pub enum Recorded {
    /// Not asked for, or not a whole-book run.
    Skipped,
    /// Recorded with this id.
    Saved(i64),
    /// The analysis went fine, the record did not (nothing of it was written).
    Failed(RunError),
}

/// [`analyze`], recording the run in `runs` when it is given (the caller gives it only for runs
/// over the whole active book: see [`is_whole_book`]). A recording failure does not fail the
/// analysis: it is logged and returned apart.
pub async fn analyze_recorded(
    store: &dyn Store,
    selection: &Selection,
    params: Params,
    opts: RunOptions,
    observer: &mut (dyn Observer + Send),
    runs: Option<&RunLog>,
    origem: &str,
) -> Result<(Estatisticas, Recorded), AnalysisError> {
    let Some(runs) = runs else {
        let stats = analyze(store, selection, params, opts, observer).await?;
        return Ok((stats, Recorded::Skipped));
    };
    let started = Instant::now();
    let mut recording = Recording::new(observer);
    let stats = analyze(store, selection, params.clone(), opts, &mut recording).await?;
    let elapsed = started.elapsed();
    let dados = recording.finish();
    tracing::debug!(
        ms = started.elapsed().as_millis() as u64,
        bytes = dados.len(),
        pico_mb = crate::run::peak_mb(),
        "documento da execução codificado"
    );
    let recorded = match runs
        .save_encoded(dados, &params, &stats, elapsed, origem)
        .await
    {
        Ok(id) => {
            tracing::info!(
                execucao = id,
                origem,
                pico_mb = crate::run::peak_mb(),
                "execução registrada"
            );
            Recorded::Saved(id)
        }
        Err(e) => {
            tracing::warn!(error = %e, origem, "a análise terminou, mas a execução não foi registrada");
            Recorded::Failed(e)
        }
    };
    Ok((stats, recorded))
}
