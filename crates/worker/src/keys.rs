//! The Redis key layout, shared by the server side and the workers.
//!
//! | key | type | what |
//! | --- | --- | --- |
//! | `{p}lotes` | stream | batches waiting or in hand; group `ruptura-workers`; an entry is deleted when acknowledged |
//! | `{p}jobs` | set | ids of the jobs still `em_andamento` (the watchdog's list) |
//! | `{p}job:{id}` | hash | the job: sizes, params, state, message, timestamps, running counts |
//! | `{p}job:{id}:pedidos` | list | the job's orders, in order (batch `i` is a slice of it) |
//! | `{p}job:{id}:resultados` | hash | num_pedido -> RESULT JSON |
//! | `{p}job:{id}:lotes_feitos` | set | indexes of the batches counted |
//! | `{p}job:{id}:eventos` | list | the job's events, in order; position `n` has event id `eventos_base + n + 1` |
//! | `{p}job:{id}:tentativas` | hash | batch index -> attempts started; `erro:{index}` -> last error |
//! | `{p}job:{id}:decisoes` | hash | batch index -> the batch's products that block orders (SPEC 8.4), exact, as JSON |
//!
//! The job hash also holds `c:{CRITICIDADE}` and `p:{prazo}` counts and, per batch, `v:{index}`:
//! its exact value totals (`total|com_ruptura|agora`), summed with decimals when read.
//!
//! Every `job:{id}*` key carries the job TTL, refreshed as the job progresses.

/// The default prefix of every key.
pub const DEFAULT_PREFIX: &str = "ruptura:";

/// The consumer group of the workers.
pub const GROUP: &str = "ruptura-workers";

/// Names of the keys under one prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    prefix: String,
}

impl Keys {
    pub fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_string(),
        }
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The stream of batches.
    pub fn stream(&self) -> String {
        format!("{}lotes", self.prefix)
    }

    /// The set of running jobs.
    pub fn jobs(&self) -> String {
        format!("{}jobs", self.prefix)
    }

    pub fn job(&self, id: &str) -> String {
        format!("{}job:{id}", self.prefix)
    }

    pub fn orders(&self, id: &str) -> String {
        format!("{}job:{id}:pedidos", self.prefix)
    }

    pub fn results(&self, id: &str) -> String {
        format!("{}job:{id}:resultados", self.prefix)
    }

    pub fn done(&self, id: &str) -> String {
        format!("{}job:{id}:lotes_feitos", self.prefix)
    }

    pub fn events(&self, id: &str) -> String {
        format!("{}job:{id}:eventos", self.prefix)
    }

    pub fn attempts(&self, id: &str) -> String {
        format!("{}job:{id}:tentativas", self.prefix)
    }

    pub fn decisions(&self, id: &str) -> String {
        format!("{}job:{id}:decisoes", self.prefix)
    }

    /// What each message of a job recorded as a run keeps for the run (SPEC 8.5): message's
    /// first batch -> that part of the run, encoded as the run log stores it.
    pub fn record(&self, id: &str) -> String {
        format!("{}job:{id}:registro", self.prefix)
    }

    /// Every key of one job (they share its TTL).
    pub fn job_keys(&self, id: &str) -> [String; 8] {
        [
            self.job(id),
            self.orders(id),
            self.results(id),
            self.done(id),
            self.events(id),
            self.attempts(id),
            self.decisions(id),
            self.record(id),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        let k = Keys::new("ruptura:");
        assert_eq!(k.stream(), "ruptura:lotes");
        assert_eq!(k.job("j1"), "ruptura:job:j1");
        assert_eq!(k.results("j1"), "ruptura:job:j1:resultados");
        assert_eq!(k.job_keys("j1").len(), 8);
    }
}
