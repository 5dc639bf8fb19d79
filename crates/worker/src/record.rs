//! Whole-book jobs recorded as runs (SPEC 8.5) when they run on Redis workers.
//!
//! A job over the whole book is spread over messages, each analysed on its own snapshot. Each
//! message keeps, beside its results, its part of the run: its orders' outcomes and the inputs of
//! their product groups as read from the snapshot those orders were analysed on (so a run's
//! causes come from the data its outcomes came from). The part goes into the job's `registro`
//! hash under the message's first batch before the batch is counted; a batch done again
//! overwrites its own part. The worker whose batch completes the job (the commit script says so
//! to exactly one) merges the parts and saves the run in one transaction of the run log. A
//! failure there is logged and leaves the finished job as it is.

use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::{AsyncCommands, RedisResult};
use ruptura_app::runs::{OrderArena, OrderRec, RunData, RunLog, FORMAT_VERSION};
use ruptura_app::wire::{Estatisticas, Resultado};
use ruptura_engine::ProductGroups;

use crate::keys::Keys;
use crate::message::{BatchMessage, ParamsDto};
use crate::queue::parse;

/// The part of a run of the orders that got error results (no inputs: nothing was read),
/// encoded.
pub fn error_part(results: &[Resultado]) -> Vec<u8> {
    let groups = ProductGroups::default();
    let mut orders = OrderArena::default();
    for r in results {
        orders.push(&OrderRec::of(r, &groups));
    }
    orders.finish(FORMAT_VERSION, None, &[])
}

/// Keeps `part` (encoded) as the run part of `msg` (before its batches are counted).
pub async fn keep_part(
    conn: &mut ConnectionManager,
    keys: &Keys,
    ttl_secs: u64,
    msg: &BatchMessage,
    bytes: &[u8],
) -> RedisResult<()> {
    let key = keys.record(&msg.job_id);
    redis::pipe()
        .atomic()
        .hset(&key, msg.first_batch, bytes)
        .ignore()
        .expire(&key, ttl_secs as i64)
        .ignore()
        .query_async(conn)
        .await
}

/// Saves the run of job `job_id`, just completed, when it is one to record. Returns the run's
/// id; `Ok(None)` when the job is not recorded.
pub async fn save_run(
    conn: &mut ConnectionManager,
    keys: &Keys,
    job_id: &str,
    runs: &RunLog,
) -> Result<Option<i64>, String> {
    let job: std::collections::HashMap<String, String> = conn
        .hgetall(keys.job(job_id))
        .await
        .map_err(|e| e.to_string())?;
    if parse::<u8>(&job, "registrar") != 1 {
        return Ok(None);
    }
    let number = |k: &str| -> u64 { parse(&job, k) };
    let params = job
        .get("params")
        .ok_or("parâmetros do job ausentes")
        .and_then(|p| ParamsDto::parse_params(p).map_err(|_| "parâmetros do job ilegíveis"))?;
    let parts: Vec<Vec<u8>> = conn
        .hvals(keys.record(job_id))
        .await
        .map_err(|e| e.to_string())?;
    let run = tokio::task::spawn_blocking(move || -> Result<RunData, String> {
        let parts = parts
            .iter()
            .map(|b| RunData::decode(b))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RunData::merge(parts))
    })
    .await
    .map_err(|e| e.to_string())??;
    let total = number("total_pedidos") as usize;
    if run.pedidos.len() != total {
        return Err(format!(
            "o registro do job tem {} de {total} pedidos",
            run.pedidos.len()
        ));
    }
    let mut stats = Estatisticas::new(total);
    stats.contagens.pedidos_com_ruptura = number("pedidos_com_ruptura") as usize;
    let elapsed = Duration::from_millis(number("concluido_ms").saturating_sub(number("criado_ms")));
    let id = runs
        .save(run, &params, &stats, elapsed, "job")
        .await
        .map_err(|e| e.to_string())?;
    let _: RedisResult<()> = conn.del(keys.record(job_id)).await;
    Ok(Some(id))
}
