//! Settings shared by every entry point (SPEC 3.5): horizon, lead time, business time zone,
//! criticality rule and thresholds, batch size and workers.

use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use ruptura_engine::{CriticalityRule, Mode, Params};
use rust_decimal::Decimal;
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum SettingsError {
    #[error("fuso horário desconhecido {0:?} (exemplo: America/Sao_Paulo)")]
    TimeZone(String),
    #[error("{0}")]
    Invalid(String),
}

/// `BATCH_SIZE` when not set: orders per batch (SPEC 3.5). The one place this default is written.
pub const DEFAULT_BATCH_SIZE: usize = 20;

/// `MAX_WORKERS` when not set: batches analysed at once.
pub const DEFAULT_MAX_WORKERS: usize = 5;

/// `RUPTURA_TZ` when not set: the business time zone.
pub const DEFAULT_TIME_ZONE: Tz = chrono_tz::America::Sao_Paulo;

/// How analyses are run, whatever asks for them.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// `HORIZONTE_DIAS` (7).
    pub horizon_days: u32,
    /// `LEAD_TIME_DIAS` (0).
    pub lead_time_days: u32,
    /// `RUPTURA_TZ` (America/Sao_Paulo): "today" is the date there.
    pub time_zone: Tz,
    /// `CRITICIDADE_REGRA` (monotona) with its thresholds.
    pub criticality: CriticalityRule,
    /// `BATCH_SIZE` (20).
    pub batch_size: usize,
    /// `MAX_WORKERS` (5).
    pub max_workers: usize,
    /// `PARCIAL_MINIMO_VALOR` (0): least value that can ship now for `sugestao = parcial`.
    pub partial_min_value: Decimal,
    /// `PARCIAL_MINIMO_PCT` (0): least percent of the order's value that can ship now.
    pub partial_min_pct: Decimal,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            horizon_days: ruptura_engine::DEFAULT_HORIZON_DAYS,
            lead_time_days: ruptura_engine::DEFAULT_LEAD_TIME_DAYS,
            time_zone: DEFAULT_TIME_ZONE,
            criticality: CriticalityRule::default(),
            batch_size: DEFAULT_BATCH_SIZE,
            max_workers: DEFAULT_MAX_WORKERS,
            partial_min_value: Decimal::ZERO,
            partial_min_pct: Decimal::ZERO,
        }
    }
}

impl Settings {
    /// Parses a time zone name.
    pub fn parse_time_zone(name: &str) -> Result<Tz, SettingsError> {
        name.trim()
            .parse::<Tz>()
            .map_err(|_| SettingsError::TimeZone(name.to_string()))
    }

    /// Today in the business time zone.
    pub fn today(&self) -> NaiveDate {
        Utc::now().with_timezone(&self.time_zone).date_naive()
    }

    /// The engine parameters for a reference date (`data_base`; today when `None`) and mode.
    pub fn params(&self, data_base: Option<NaiveDate>, mode: Mode) -> Params {
        Params::new(data_base.unwrap_or_else(|| self.today()))
            .with_horizon(self.horizon_days)
            .with_lead_time(self.lead_time_days)
            .with_mode(mode)
            .with_criticality(self.criticality)
            .with_partial_minimum(self.partial_min_value, self.partial_min_pct)
    }

    /// The batching of a run with these settings (`json`: see [`RunOptions::json`]).
    pub fn run_options(&self, json: bool) -> crate::RunOptions {
        crate::RunOptions {
            batch_size: self.batch_size,
            max_workers: self.max_workers,
            json,
        }
    }
}

/// Years a reference date may fall in: a business date, not year 0, nor a negative year, nor
/// chrono's far future (`+262142-12-31`), whose arithmetic would overflow.
pub const DATE_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

/// Checks that a reference date lies in [`DATE_YEARS`].
pub fn check_date_range(d: NaiveDate) -> Result<NaiveDate, String> {
    use chrono::Datelike;
    if DATE_YEARS.contains(&d.year()) {
        Ok(d)
    } else {
        Err(format!(
            "data {d} fora do intervalo aceito: anos de {} a {}",
            DATE_YEARS.start(),
            DATE_YEARS.end()
        ))
    }
}

/// Parses a reference date as `YYYY-MM-DD` (or `DD/MM/YYYY`), in [`DATE_YEARS`].
pub fn parse_date(s: &str) -> Result<NaiveDate, SettingsError> {
    let t = s.trim();
    let d = NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(t, "%d/%m/%Y"))
        .map_err(|_| SettingsError::Invalid(format!("data inválida {s:?}: use AAAA-MM-DD")))?;
    check_date_range(d).map_err(SettingsError::Invalid)
}

/// Parses a partial-shipment minimum: a decimal number >= 0, with a decimal point or comma.
pub fn parse_minimum(s: &str) -> Result<Decimal, SettingsError> {
    let t = s.trim();
    let parsed = if t.contains(',') && !t.contains('.') {
        t.replace(',', ".").parse::<Decimal>()
    } else {
        t.parse::<Decimal>()
    };
    match parsed {
        Ok(d) if d >= Decimal::ZERO => Ok(d),
        Ok(_) => Err(SettingsError::Invalid(format!(
            "mínimo de envio parcial negativo {s:?}: use um número maior ou igual a 0"
        ))),
        Err(_) => Err(SettingsError::Invalid(format!(
            "mínimo de envio parcial inválido {s:?}: use um número (exemplo: 100 ou 12,5)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_zones() {
        assert_eq!(
            parse_date("2026-03-02").unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
        );
        assert_eq!(
            parse_date("02/03/2026").unwrap(),
            NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
        );
        assert!(parse_date("2026-02-31").is_err());
        for out in [
            "0000-01-01",
            "-0001-01-01",
            "+262142-12-31",
            "1999-12-31",
            "2101-01-01",
        ] {
            assert!(parse_date(out).is_err(), "{out}");
        }
        assert!(parse_date("2000-01-01").is_ok() && parse_date("2100-12-31").is_ok());
        assert!(Settings::parse_time_zone("America/Sao_Paulo").is_ok());
        assert!(Settings::parse_time_zone("Mars/Base").is_err());
    }

    #[test]
    fn minimums_are_non_negative_numbers() {
        assert_eq!(parse_minimum("12,5").unwrap(), Decimal::new(125, 1));
        assert_eq!(parse_minimum(" 100 ").unwrap(), Decimal::ONE_HUNDRED);
        assert_eq!(parse_minimum("0").unwrap(), Decimal::ZERO);
        assert!(parse_minimum("-1")
            .unwrap_err()
            .to_string()
            .contains("negativo"));
        assert!(parse_minimum("abc")
            .unwrap_err()
            .to_string()
            .contains("inválido"));
        assert!(parse_minimum("").is_err());
    }

    #[test]
    fn params_carry_the_settings() {
        let s = Settings {
            horizon_days: 3,
            lead_time_days: 2,
            ..Settings::default()
        };
        let d = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        let p = s.params(Some(d), Mode::Sequential);
        assert_eq!(
            (p.today, p.horizon_days, p.lead_time_days, p.mode),
            (d, 3, 2, Mode::Sequential)
        );
    }
}
