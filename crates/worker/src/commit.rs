//! One finished batch recorded in Redis: its results, its counts, its exact totals and
//! products, and the acknowledgement of its message, in one atomic script.

use redis::RedisResult;
use ruptura_app::wire::Resultado;
use ruptura_app::Decisoes;

use crate::keys::{Keys, GROUP};
use crate::message::BatchCounts;
use crate::scripts;

/// One finished batch, as [`record_batch`] records it.
#[derive(Debug, Clone, Copy)]
pub struct FinishedBatch<'a> {
    /// The batch's index in the job.
    pub index: usize,
    /// The stream message id to acknowledge, or "" for none.
    pub ack: &'a str,
    pub results: &'a [Resultado],
    /// The batch's exact totals and products (SPEC 8.3, 8.4).
    pub decisoes: &'a Decisoes,
}

/// Records one finished batch of job `job_id` with [`scripts::COMMIT`] and, when `ack` is a
/// message id, acknowledges and deletes that message, all atomically. Returns the script's code:
/// -1 (job gone or finished: nothing written), 0 (batch already counted: nothing written),
/// 1 (counted) or 2 (counted, job completed).
pub async fn record_batch<C: redis::aio::ConnectionLike + Send>(
    conn: &mut C,
    keys: &Keys,
    ttl_secs: u64,
    job_id: &str,
    batch: FinishedBatch<'_>,
) -> RedisResult<i64> {
    let FinishedBatch {
        index,
        ack,
        results,
        decisoes,
    } = batch;
    let counts = BatchCounts::of(results);
    let orders: Vec<&str> = results.iter().map(Resultado::num_pedido).collect();
    let orders_json = serde_json::to_string(&orders).unwrap_or_else(|_| "[]".into());
    let mut inv = scripts::COMMIT.prepare_invoke();
    inv.key(keys.job(job_id))
        .key(keys.results(job_id))
        .key(keys.done(job_id))
        .key(keys.events(job_id))
        .key(keys.stream())
        .key(keys.orders(job_id))
        .key(keys.attempts(job_id))
        .key(keys.jobs())
        .key(keys.decisions(job_id))
        .arg(job_id)
        .arg(index)
        .arg(GROUP)
        .arg(ack)
        .arg(ttl_secs)
        .arg(&orders_json)
        .arg(counts.processados)
        .arg(counts.erros)
        .arg(counts.pedidos_ok)
        .arg(counts.pedidos_com_ruptura)
        .arg(counts.por_campo.len());
    for (field, n) in &counts.por_campo {
        inv.arg(field).arg(*n);
    }
    for r in results {
        let json = serde_json::to_string(r).unwrap_or_else(|e| {
            serde_json::to_string(&Resultado::erro(
                r.num_pedido(),
                &format!("falha ao serializar o resultado: {e}"),
            ))
            .unwrap_or_default()
        });
        inv.arg(r.num_pedido()).arg(json);
    }
    let v = &decisoes.valores;
    inv.arg(format!("{}|{}|{}", v.total, v.com_ruptura, v.agora))
        .arg(serde_json::to_string(&decisoes.produtos).unwrap_or_else(|_| "{}".into()));
    inv.invoke_async(conn).await
}
