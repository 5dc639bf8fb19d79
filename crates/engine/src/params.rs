//! Parameters of one analysis.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::criticality::CriticalityRule;

/// How orders share stock (SPEC 2.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Mode {
    /// Each order on its own, against the whole projection (the seed's behaviour).
    #[default]
    Independent,
    /// Orders take stock in priority order; each promise holds stock from the orders after it.
    Sequential,
    /// The allocation of sequential mode over every order of the active book, reporting the
    /// requested orders (SPEC 8.1): what each order gets if the whole book ships in priority
    /// order.
    Priority,
}

impl Mode {
    /// Every mode, in the order the documentation lists them.
    pub const ALL: [Mode; 3] = [Mode::Independent, Mode::Sequential, Mode::Priority];

    /// The wire name (`independente`, `sequencial`, `prioridade`).
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Independent => "independente",
            Mode::Sequential => "sequencial",
            Mode::Priority => "prioridade",
        }
    }

    /// Whether the analysis needs the whole active book, whatever orders are requested.
    pub fn needs_whole_book(self) -> bool {
        self == Mode::Priority
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown mode name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMode(pub String);

impl fmt::Display for UnknownMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "modo desconhecido {:?}: use \"independente\", \"sequencial\" ou \"prioridade\"",
            self.0
        )
    }
}

impl std::error::Error for UnknownMode {}

impl FromStr for Mode {
    type Err = UnknownMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "independente" | "independent" => Ok(Mode::Independent),
            "sequencial" | "sequential" => Ok(Mode::Sequential),
            "prioridade" | "priority" => Ok(Mode::Priority),
            _ => Err(UnknownMode(s.to_string())),
        }
    }
}

/// `HORIZONTE_DIAS` when not set (SPEC 3.5): the one place this default is written.
pub const DEFAULT_HORIZON_DAYS: u32 = 7;

/// `LEAD_TIME_DIAS` when not set (SPEC 3.5).
pub const DEFAULT_LEAD_TIME_DAYS: u32 = 0;

/// Everything that shapes one analysis besides the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// D0, in the business time zone. The engine never reads a clock.
    pub today: NaiveDate,
    /// `HORIZONTE_DIAS`: the window D0..=D_H whose minimum decides shortness.
    pub horizon_days: u32,
    /// `LEAD_TIME_DIAS`: days added to a covering day to give the availability date.
    pub lead_time_days: u32,
    pub mode: Mode,
    pub criticality: CriticalityRule,
    /// `PARCIAL_MINIMO_VALOR`: the least value that can ship now for a partial shipment to be
    /// suggested (SPEC 8.3; default 0).
    pub partial_min_value: Decimal,
    /// `PARCIAL_MINIMO_PCT`: the least share (percent of the order's value) that can ship now for
    /// a partial shipment to be suggested (default 0).
    pub partial_min_pct: Decimal,
}

impl Params {
    /// Defaults of SPEC 3.5 for a given day: horizon 7, lead time 0, independent, `monotona`,
    /// partial shipment minimums 0.
    pub fn new(today: NaiveDate) -> Self {
        Self {
            today,
            horizon_days: DEFAULT_HORIZON_DAYS,
            lead_time_days: DEFAULT_LEAD_TIME_DAYS,
            mode: Mode::Independent,
            criticality: CriticalityRule::default(),
            partial_min_value: Decimal::ZERO,
            partial_min_pct: Decimal::ZERO,
        }
    }

    /// The minimums of a partial shipment (`PARCIAL_MINIMO_VALOR`, `PARCIAL_MINIMO_PCT`).
    pub fn with_partial_minimum(mut self, value: Decimal, pct: Decimal) -> Self {
        self.partial_min_value = value;
        self.partial_min_pct = pct;
        self
    }

    pub fn with_mode(mut self, mode: Mode) -> Self {
        self.mode = mode;
        self
    }

    pub fn with_horizon(mut self, days: u32) -> Self {
        self.horizon_days = days;
        self
    }

    pub fn with_lead_time(mut self, days: u32) -> Self {
        self.lead_time_days = days;
        self
    }

    pub fn with_criticality(mut self, rule: CriticalityRule) -> Self {
        self.criticality = rule;
        self
    }
}

/// Rounds half away from zero to `places` decimal places, as the wire format asks (SPEC 2.10).
pub fn round_half_away(value: Decimal, places: u32) -> Decimal {
    value.round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}
