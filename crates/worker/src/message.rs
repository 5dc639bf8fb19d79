//! What travels through Redis: the batch message on the stream, the analysis parameters it
//! carries, and the events stored in a job's event list.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use redis::Value;
use ruptura_app::wire::{Estatisticas, Resultado};
use ruptura_engine::{CriticalityRule, Mode, Params, Thresholds};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The analysis parameters of a job, as carried by its messages and kept in its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamsDto {
    pub data_base: NaiveDate,
    pub horizonte_dias: u32,
    pub lead_time_dias: u32,
    /// `independente`, `sequencial` or `prioridade`.
    pub modo: String,
    /// `monotona` or `original`.
    pub regra: String,
    /// The thresholds of `monotona`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limiares: Option<LimiaresDto>,
    /// `PARCIAL_MINIMO_VALOR` and `PARCIAL_MINIMO_PCT` as decimal strings (exact); absent: 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parcial_minimo_valor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parcial_minimo_pct: Option<String>,
}

/// Thresholds of the `monotona` rule; percentages as decimal strings (exact).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimiaresDto {
    pub critica_itens: u32,
    pub critica_pct: String,
    pub alta_itens: u32,
    pub alta_pct: String,
    pub media_itens: u32,
    pub media_pct: String,
}

impl From<&Params> for ParamsDto {
    fn from(p: &Params) -> Self {
        let limiares = match p.criticality {
            CriticalityRule::Monotone(t) => Some(LimiaresDto {
                critica_itens: t.critica_itens,
                critica_pct: t.critica_pct.to_string(),
                alta_itens: t.alta_itens,
                alta_pct: t.alta_pct.to_string(),
                media_itens: t.media_itens,
                media_pct: t.media_pct.to_string(),
            }),
            CriticalityRule::Original => None,
        };
        Self {
            data_base: p.today,
            horizonte_dias: p.horizon_days,
            lead_time_dias: p.lead_time_days,
            modo: p.mode.as_str().to_string(),
            regra: p.criticality.name().to_string(),
            limiares,
            parcial_minimo_valor: (!p.partial_min_value.is_zero())
                .then(|| p.partial_min_value.to_string()),
            parcial_minimo_pct: (!p.partial_min_pct.is_zero())
                .then(|| p.partial_min_pct.to_string()),
        }
    }
}

impl TryFrom<&ParamsDto> for Params {
    type Error = String;

    fn try_from(d: &ParamsDto) -> Result<Self, String> {
        let mode: Mode = d
            .modo
            .parse()
            .map_err(|e: ruptura_engine::params::UnknownMode| e.to_string())?;
        let rule: CriticalityRule = d.regra.parse().map_err(|e| format!("{e}"))?;
        let pct = |s: &str| {
            s.parse::<Decimal>()
                .map_err(|_| format!("limiar inválido {s:?}"))
        };
        let criticality = match (rule, &d.limiares) {
            (CriticalityRule::Monotone(_), Some(l)) => CriticalityRule::Monotone(Thresholds {
                critica_itens: l.critica_itens,
                critica_pct: pct(&l.critica_pct)?,
                alta_itens: l.alta_itens,
                alta_pct: pct(&l.alta_pct)?,
                media_itens: l.media_itens,
                media_pct: pct(&l.media_pct)?,
            }),
            (other, _) => other,
        };
        let minimum = |s: &Option<String>| match s {
            None => Ok(Decimal::ZERO),
            Some(s) => s
                .parse::<Decimal>()
                .map_err(|_| format!("mínimo de envio parcial inválido {s:?}")),
        };
        Ok(Params::new(d.data_base)
            .with_horizon(d.horizonte_dias)
            .with_lead_time(d.lead_time_dias)
            .with_mode(mode)
            .with_criticality(criticality)
            .with_partial_minimum(
                minimum(&d.parcial_minimo_valor)?,
                minimum(&d.parcial_minimo_pct)?,
            ))
    }
}

impl ParamsDto {
    /// Parses the JSON carried by a message into engine parameters.
    pub fn parse_params(json: &str) -> Result<Params, String> {
        let dto: ParamsDto =
            serde_json::from_str(json).map_err(|e| format!("parâmetros ilegíveis: {e}"))?;
        Params::try_from(&dto).map_err(|e| format!("parâmetros inválidos: {e}"))
    }
}

/// One stream message: a run of consecutive batches of a job. Independent jobs send one
/// message per batch; a sequential job sends one message with all its orders (its allocation
/// runs over all of them in priority order), whose results are still recorded batch by batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchMessage {
    pub job_id: String,
    /// Index of the message's first batch.
    pub first_batch: usize,
    /// Number of batches the message covers.
    pub batches: usize,
    /// Orders per batch (`tamanho_lote`).
    pub batch_size: usize,
    /// The orders of the covered batches, in the job's order.
    pub orders: Vec<String>,
    /// [`ParamsDto`] as JSON: parsed when the batch is processed, so an unreadable one is a
    /// failure of the batch (retried, then error results), not of the envelope.
    pub params: String,
    /// The job is over the whole book and is recorded as a run (SPEC 8.5): each message also
    /// keeps what the run needs of its orders and their product groups.
    pub record: bool,
}

/// Field names of a stream message.
pub mod field {
    pub const JOB: &str = "job";
    pub const FIRST: &str = "lote";
    pub const COUNT: &str = "lotes";
    pub const SIZE: &str = "tamanho";
    pub const ORDERS: &str = "pedidos";
    pub const PARAMS: &str = "params";
    /// "1" when the job is recorded as a run; absent otherwise.
    pub const RECORD: &str = "registrar";
}

impl BatchMessage {
    /// The message's fields, for `XADD`.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            (field::JOB, self.job_id.clone()),
            (field::FIRST, self.first_batch.to_string()),
            (field::COUNT, self.batches.to_string()),
            (field::SIZE, self.batch_size.to_string()),
            (
                field::ORDERS,
                serde_json::to_string(&self.orders).unwrap_or_else(|_| "[]".into()),
            ),
            (field::PARAMS, self.params.clone()),
        ];
        if self.record {
            fields.push((field::RECORD, "1".to_string()));
        }
        fields
    }

    /// Reads the envelope of a message (everything but the parameters, kept raw).
    pub fn from_fields(map: &HashMap<String, Value>) -> Result<Self, String> {
        let text = |name: &str| -> Result<String, String> {
            match map.get(name) {
                Some(v) => redis::from_redis_value::<String>(v)
                    .map_err(|_| format!("campo {name:?} ilegível")),
                None => Err(format!("campo {name:?} ausente")),
            }
        };
        let number = |name: &str| -> Result<usize, String> {
            text(name)?
                .parse::<usize>()
                .map_err(|_| format!("campo {name:?} não é um número"))
        };
        let job_id = text(field::JOB)?;
        if job_id.is_empty() {
            return Err("campo \"job\" vazio".into());
        }
        let orders: Vec<String> = serde_json::from_str(&text(field::ORDERS)?)
            .map_err(|e| format!("campo \"pedidos\" ilegível: {e}"))?;
        let msg = Self {
            job_id,
            first_batch: number(field::FIRST)?,
            batches: number(field::COUNT)?,
            batch_size: number(field::SIZE)?,
            orders,
            params: text(field::PARAMS).unwrap_or_default(),
            record: text(field::RECORD).is_ok_and(|v| v == "1"),
        };
        if msg.batches == 0 || msg.batch_size == 0 || msg.orders.is_empty() {
            return Err("mensagem sem lotes ou sem pedidos".into());
        }
        if msg.orders.len().div_ceil(msg.batch_size) != msg.batches {
            return Err("número de lotes não confere com os pedidos".into());
        }
        Ok(msg)
    }

    /// The covered batches: (index, orders).
    pub fn batch_slices(&self) -> impl Iterator<Item = (usize, &[String])> {
        self.orders
            .chunks(self.batch_size)
            .enumerate()
            .map(move |(i, chunk)| (self.first_batch + i, chunk))
    }
}

/// The counts one batch adds to its job, computed from its results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchCounts {
    pub processados: usize,
    pub erros: usize,
    pub pedidos_ok: usize,
    pub pedidos_com_ruptura: usize,
    /// Non-zero counts by job hash field: `c:{criticality}` and `p:{prazo}`.
    pub por_campo: BTreeMap<String, usize>,
}

impl BatchCounts {
    pub fn of(results: &[Resultado]) -> Self {
        let mut s = Estatisticas::default();
        for r in results {
            s.count(r);
        }
        Self {
            processados: s.contagens.processados,
            erros: s.contagens.erros,
            pedidos_ok: s.contagens.pedidos_ok,
            pedidos_com_ruptura: s.contagens.pedidos_com_ruptura,
            por_campo: s
                .por_criticidade
                .into_iter()
                .map(|(k, n)| (format!("c:{k}"), n))
                .chain(s.por_prazo.into_iter().map(|(k, n)| (format!("p:{k}"), n)))
                .filter(|(_, n)| *n > 0)
                .collect(),
        }
    }
}

/// An event as stored in a job's event list (`t` tells the kind). `lote` events are written
/// by the commit script; the server renders them with the batch's results read from the
/// results hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum StoredEvent {
    Lote {
        lote: usize,
        pedidos: Vec<String>,
        processados: usize,
        total_pedidos: usize,
        erros: usize,
        pedidos_ok: usize,
        pedidos_com_ruptura: usize,
    },
    Concluido,
    Falhou {
        mensagem: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
    }

    #[test]
    fn params_round_trip() {
        for p in [
            Params::new(day()),
            Params::new(day())
                .with_mode(Mode::Priority)
                .with_partial_minimum("150.5".parse().unwrap(), "50".parse().unwrap()),
            Params::new(day())
                .with_mode(Mode::Sequential)
                .with_horizon(10)
                .with_lead_time(2)
                .with_criticality(CriticalityRule::Original),
            Params::new(day()).with_criticality(CriticalityRule::Monotone(Thresholds {
                critica_pct: "12.5".parse().unwrap(),
                ..Thresholds::default()
            })),
        ] {
            let json = serde_json::to_string(&ParamsDto::from(&p)).unwrap();
            assert_eq!(ParamsDto::parse_params(&json).unwrap(), p, "{json}");
        }
        assert!(ParamsDto::parse_params("{").is_err());
        assert!(ParamsDto::parse_params(
            r#"{"data_base":"2026-03-02","horizonte_dias":7,"lead_time_dias":0,"modo":"xpto","regra":"monotona"}"#
        )
        .is_err());
    }

    #[test]
    fn message_round_trip() {
        let m = BatchMessage {
            job_id: "j".into(),
            first_batch: 0,
            batches: 2,
            batch_size: 2,
            orders: vec!["a".into(), "b".into(), "c".into()],
            params: "{}".into(),
            record: true,
        };
        let map: HashMap<String, Value> = m
            .fields()
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::BulkString(v.into_bytes())))
            .collect();
        let back = BatchMessage::from_fields(&map).unwrap();
        assert_eq!(back, m);
        let slices: Vec<_> = back.batch_slices().map(|(i, o)| (i, o.len())).collect();
        assert_eq!(slices, vec![(0, 2), (1, 1)]);

        let mut bad = map.clone();
        bad.insert("lotes".into(), Value::BulkString(b"3".to_vec()));
        assert!(BatchMessage::from_fields(&bad).is_err());
        bad.remove("job");
        assert!(BatchMessage::from_fields(&bad).is_err());
    }

    #[test]
    fn stored_events_parse() {
        let e: StoredEvent = serde_json::from_str(
            r#"{"t":"lote","lote":3,"pedidos":["1","2"],"processados":2,"total_pedidos":9,"erros":0,"pedidos_ok":1,"pedidos_com_ruptura":1}"#,
        )
        .unwrap();
        assert!(matches!(e, StoredEvent::Lote { lote: 3, .. }));
        let e: StoredEvent = serde_json::from_str(r#"{"t":"concluido"}"#).unwrap();
        assert_eq!(e, StoredEvent::Concluido);
    }
}
