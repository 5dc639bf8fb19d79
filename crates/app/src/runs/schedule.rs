//! Scheduled whole-book analyses (`ANALISE_AGENDADA`): "since yesterday" needs yesterday's run,
//! so `serve` can analyse the whole book by itself, every interval or every day at a time, and
//! record each run like any whole-book job. Off unless asked for.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use ruptura_engine::Mode;
use ruptura_store::{OrderFilter, Selection, Store};

use super::{analyze_recorded, Recorded, RunLog};
use crate::run::{Batch, RunOptions};
use crate::settings::{Settings, SettingsError};

/// When scheduled analyses run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Every interval, the first one interval after start.
    Every(Duration),
    /// Every day at this time in the business time zone.
    DailyAt(NaiveTime),
}

impl Schedule {
    /// Parses `HH:MM` (daily) or an interval: a number with `s`, `m`, `h` or `d` (`30s`, `15m`,
    /// `6h`, `1d`).
    pub fn parse(s: &str) -> Result<Self, SettingsError> {
        let t = s.trim();
        let bad = || {
            SettingsError::Invalid(format!(
                "agendamento inválido {s:?}: use um horário diário (06:30) ou um intervalo \
                 (30s, 15m, 6h, 1d)"
            ))
        };
        if t.contains(':') {
            return NaiveTime::parse_from_str(t, "%H:%M")
                .map(Schedule::DailyAt)
                .map_err(|_| bad());
        }
        let (num, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?);
        let n: u64 = num.parse().map_err(|_| bad())?;
        let secs = match unit {
            "s" => n,
            "m" => n * 60,
            "h" => n * 3600,
            "d" => n * 86_400,
            _ => return Err(bad()),
        };
        if secs == 0 {
            return Err(bad());
        }
        Ok(Schedule::Every(Duration::from_secs(secs)))
    }

    /// How long from `now` to the next run.
    pub fn next_delay(&self, now: DateTime<Utc>, tz: Tz) -> Duration {
        match self {
            Schedule::Every(d) => *d,
            Schedule::DailyAt(time) => {
                let local = now.with_timezone(&tz);
                let mut day = local.date_naive();
                loop {
                    // A time skipped by a clock change falls to the next day.
                    if let Some(at) = tz.from_local_datetime(&day.and_time(*time)).earliest() {
                        if at > local {
                            return (at.with_timezone(&Utc) - now)
                                .to_std()
                                .unwrap_or(Duration::from_secs(1));
                        }
                    }
                    day = day.succ_opt().unwrap_or(day);
                }
            }
        }
    }
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Schedule::Every(d) => write!(f, "a cada {} s", d.as_secs()),
            Schedule::DailyAt(t) => write!(f, "todo dia às {}", t.format("%H:%M")),
        }
    }
}

/// Runs whole-book analyses on `schedule` for ever, recording each in `runs`. Failures are
/// logged and the schedule goes on.
pub async fn run_scheduled(
    store: Arc<dyn Store>,
    settings: Arc<Settings>,
    mode: Mode,
    runs: RunLog,
    schedule: Schedule,
) {
    loop {
        tokio::time::sleep(schedule.next_delay(Utc::now(), settings.time_zone)).await;
        let params = settings.params(None, mode);
        let opts = RunOptions {
            batch_size: settings.batch_size,
            max_workers: settings.max_workers,
            json: false,
        };
        let mut discard = |_: Batch| {};
        let selection = Selection::Book(OrderFilter::default());
        match analyze_recorded(
            store.as_ref(),
            &selection,
            params,
            opts,
            &mut discard,
            Some(&runs),
            "agendada",
        )
        .await
        {
            Ok((stats, Recorded::Saved(id))) => tracing::info!(
                execucao = id,
                pedidos = stats.contagens.processados,
                "análise agendada registrada"
            ),
            Ok((_, _)) => {}
            Err(e) => tracing::warn!(error = %e, "análise agendada falhou"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_times_and_intervals() {
        assert_eq!(
            Schedule::parse("06:30").unwrap(),
            Schedule::DailyAt(NaiveTime::from_hms_opt(6, 30, 0).unwrap())
        );
        assert_eq!(
            Schedule::parse("15m").unwrap(),
            Schedule::Every(Duration::from_secs(900))
        );
        assert_eq!(
            Schedule::parse(" 2s ").unwrap(),
            Schedule::Every(Duration::from_secs(2))
        );
        for bad in ["", "0s", "25:00", "10", "10x", "m", "-5m"] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn daily_time_is_next_in_the_business_zone() {
        let tz = chrono_tz::America::Sao_Paulo;
        // 12:00 UTC is 09:00 in São Paulo: 06:30 is tomorrow, 21.5 h later; 10:00 is in 1 h.
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap();
        let at = |s: &str| Schedule::parse(s).unwrap().next_delay(now, tz);
        assert_eq!(at("06:30"), Duration::from_secs(21 * 3600 + 1800));
        assert_eq!(at("10:00"), Duration::from_secs(3600));
    }
}
