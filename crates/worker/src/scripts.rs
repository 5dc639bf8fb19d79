//! The Lua scripts that keep a job consistent. Each runs atomically in Redis, so "write the
//! batch's results, count it, append its event, maybe complete the job, acknowledge the
//! message" is one step: a worker that dies before it has done nothing visible, and one that
//! runs the same batch again finds it counted and only acknowledges.
//!
//! Every key a script touches is passed in KEYS. The stream is shared by all jobs, so the
//! layout targets one Redis (or a primary with replicas), not Redis Cluster.

use std::sync::LazyLock;

use redis::Script;

/// Called when a worker takes a message: is there still work, and which attempt is this?
///
/// KEYS: job, lotes_feitos, tentativas, stream.
/// ARGV: group, message id, first batch, batch count, ttl.
/// Returns `{n, last_error}`: n = -1 when the job is gone or finished, 0 when every batch of
/// the message is already counted (in both cases the message is acknowledged and deleted),
/// otherwise the number of this attempt (counted before the work, so a worker that dies
/// mid-batch uses one attempt too).
pub static BEGIN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local function drop()
  pcall(redis.call, 'XACK', KEYS[4], ARGV[1], ARGV[2])
  pcall(redis.call, 'XDEL', KEYS[4], ARGV[2])
end
if redis.call('HGET', KEYS[1], 'estado') ~= 'em_andamento' then
  drop()
  return {-1, ''}
end
local first, count = tonumber(ARGV[3]), tonumber(ARGV[4])
local all = true
for i = first, first + count - 1 do
  if redis.call('SISMEMBER', KEYS[2], i) == 0 then
    all = false
    break
  end
end
if all then
  drop()
  return {0, ''}
end
local n = redis.call('HINCRBY', KEYS[3], ARGV[3], 1)
local err = redis.call('HGET', KEYS[3], 'erro:' .. ARGV[3]) or ''
redis.call('EXPIRE', KEYS[3], ARGV[5])
return {n, err}
"#,
    )
});

/// Records one finished batch, once, and acknowledges its message.
///
/// KEYS: job, resultados, lotes_feitos, eventos, stream, pedidos, tentativas, jobs, decisoes.
/// ARGV: job id, batch index, group, message id ('' = do not acknowledge yet), ttl,
/// the batch's orders as a JSON array, processados, erros, pedidos_ok, pedidos_com_ruptura,
/// k, then k pairs (job hash field, count: `c:CRITICIDADE`, `p:prazo`), then pairs
/// (num_pedido, RESULT JSON), then the batch's exact totals (`total|com_ruptura|agora`, kept in
/// the job hash as `v:{index}`) and its products JSON (kept in `decisoes` under the index).
///
/// Only when SADD adds the batch index are the results written, the counters moved and the
/// `lote` event appended; the run that adds the last batch also completes the job and
/// appends `concluido`. Returns -1 (job gone or finished: nothing written), 0 (batch already
/// counted: nothing written), 1 (counted) or 2 (counted, job completed).
pub static COMMIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local function ack()
  if ARGV[4] ~= '' then
    pcall(redis.call, 'XACK', KEYS[5], ARGV[3], ARGV[4])
    pcall(redis.call, 'XDEL', KEYS[5], ARGV[4])
  end
end
if redis.call('HGET', KEYS[1], 'estado') ~= 'em_andamento' then
  ack()
  return -1
end
if redis.call('SADD', KEYS[3], ARGV[2]) == 0 then
  ack()
  return 0
end
local ncrit = tonumber(ARGV[11])
local i = 12 + 2 * ncrit
while i < #ARGV - 2 do
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1])
  i = i + 2
end
redis.call('HSET', KEYS[1], 'v:' .. ARGV[2], ARGV[#ARGV - 1])
redis.call('HSET', KEYS[9], ARGV[2], ARGV[#ARGV])
redis.call('HINCRBY', KEYS[1], 'processados', ARGV[7])
redis.call('HINCRBY', KEYS[1], 'erros', ARGV[8])
redis.call('HINCRBY', KEYS[1], 'pedidos_ok', ARGV[9])
redis.call('HINCRBY', KEYS[1], 'pedidos_com_ruptura', ARGV[10])
for k = 0, ncrit - 1 do
  redis.call('HINCRBY', KEYS[1], ARGV[12 + 2 * k], ARGV[13 + 2 * k])
end
local feitos = redis.call('SCARD', KEYS[3])
redis.call('HSET', KEYS[1], 'lotes_concluidos', feitos)
local h = redis.call('HMGET', KEYS[1], 'processados', 'total_pedidos', 'erros', 'pedidos_ok',
  'pedidos_com_ruptura', 'total_lotes')
redis.call('RPUSH', KEYS[4], '{"t":"lote","lote":' .. ARGV[2] .. ',"pedidos":' .. ARGV[6] ..
  ',"processados":' .. h[1] .. ',"total_pedidos":' .. h[2] .. ',"erros":' .. h[3] ..
  ',"pedidos_ok":' .. h[4] .. ',"pedidos_com_ruptura":' .. h[5] .. '}')
local result = 1
if feitos >= tonumber(h[6]) then
  local t = redis.call('TIME')
  local ms = t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))
  redis.call('HSET', KEYS[1], 'estado', 'concluido', 'concluido_ms', ms)
  redis.call('RPUSH', KEYS[4], '{"t":"concluido"}')
  redis.call('SREM', KEYS[8], ARGV[1])
  result = 2
end
for _, k in ipairs({1, 2, 3, 4, 6, 7, 9}) do
  redis.call('EXPIRE', KEYS[k], ARGV[5])
end
ack()
return result
"#,
    )
});

/// Gives a message back to the queue at once (a worker shutting down with a batch it could not
/// finish): adds a copy, acknowledges and deletes the original, and returns the attempt.
///
/// KEYS: stream, tentativas. ARGV: group, message id, first batch, then the message's fields
/// and values.
pub static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local fields = {}
for i = 4, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
redis.call('XADD', KEYS[1], '*', unpack(fields))
pcall(redis.call, 'XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
if redis.call('HEXISTS', KEYS[2], ARGV[3]) == 1 then
  redis.call('HINCRBY', KEYS[2], ARGV[3], -1)
end
return 1
"#,
    )
});

/// Marks a running job failed, with its final event.
///
/// KEYS: job, eventos, jobs. ARGV: job id, message, the `falhou` event JSON, ttl.
/// Returns 1, or 0 when the job was not running.
pub static FAIL_JOB: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
if redis.call('HGET', KEYS[1], 'estado') ~= 'em_andamento' then
  return 0
end
local t = redis.call('TIME')
local ms = t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))
redis.call('HSET', KEYS[1], 'estado', 'falhou', 'mensagem', ARGV[2], 'concluido_ms', ms)
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
"#,
    )
});
