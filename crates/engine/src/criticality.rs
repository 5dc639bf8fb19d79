//! Criticality of an order from its number of short lines and its share of value short
//! (SPEC 2.7).

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

/// The level shown as a coloured badge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Criticality {
    Ok,
    Baixa,
    Media,
    Alta,
    Critica,
}

impl Criticality {
    /// All levels, from the most to the least severe.
    pub const ALL: [Criticality; 5] = [
        Criticality::Critica,
        Criticality::Alta,
        Criticality::Media,
        Criticality::Baixa,
        Criticality::Ok,
    ];

    /// The wire name (`OK`, `CRITICA`, `ALTA`, `MEDIA`, `BAIXA`).
    pub fn as_str(self) -> &'static str {
        match self {
            Criticality::Ok => "OK",
            Criticality::Critica => "CRITICA",
            Criticality::Alta => "ALTA",
            Criticality::Media => "MEDIA",
            Criticality::Baixa => "BAIXA",
        }
    }
}

impl fmt::Display for Criticality {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Thresholds of the default rule: a level holds when the short-line count reaches its `itens`
/// or the percentage short exceeds its `pct`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Thresholds {
    pub critica_itens: u32,
    pub critica_pct: Decimal,
    pub alta_itens: u32,
    pub alta_pct: Decimal,
    pub media_itens: u32,
    pub media_pct: Decimal,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            critica_itens: 4,
            critica_pct: Decimal::from(10),
            alta_itens: 3,
            alta_pct: Decimal::from(5),
            media_itens: 2,
            media_pct: Decimal::from(2),
        }
    }
}

/// `CRITICIDADE_REGRA`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CriticalityRule {
    /// `monotona` (default): grows with either figure.
    Monotone(Thresholds),
    /// `original`: the rule documented by the seed's system, evaluated CRITICA, MEDIA, ALTA,
    /// else BAIXA.
    Original,
}

impl Default for CriticalityRule {
    fn default() -> Self {
        CriticalityRule::Monotone(Thresholds::default())
    }
}

impl CriticalityRule {
    /// The wire name (`monotona`, `original`).
    pub fn name(&self) -> &'static str {
        match self {
            CriticalityRule::Monotone(_) => "monotona",
            CriticalityRule::Original => "original",
        }
    }

    /// Classifies an order with `short_lines` short lines and `pct_short` percent of its value
    /// short (exact, not rounded).
    pub fn classify(&self, short_lines: usize, pct_short: Decimal) -> Criticality {
        if short_lines == 0 {
            return Criticality::Ok;
        }
        let n = short_lines as u64;
        let p = pct_short;
        match self {
            CriticalityRule::Monotone(t) => {
                if n >= u64::from(t.critica_itens) || p > t.critica_pct {
                    Criticality::Critica
                } else if n >= u64::from(t.alta_itens) || p > t.alta_pct {
                    Criticality::Alta
                } else if n >= u64::from(t.media_itens) || p > t.media_pct {
                    Criticality::Media
                } else {
                    Criticality::Baixa
                }
            }
            CriticalityRule::Original => {
                let (ten, five) = (Decimal::from(10), Decimal::from(5));
                if n > 3 && p > ten {
                    Criticality::Critica
                } else if n <= 2 && p <= five {
                    Criticality::Media
                } else if n <= 3 && p <= ten {
                    Criticality::Alta
                } else {
                    Criticality::Baixa
                }
            }
        }
    }
}

/// An unknown rule name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownRule(pub String);

impl fmt::Display for UnknownRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "regra de criticidade desconhecida {:?}: use \"monotona\" ou \"original\"",
            self.0
        )
    }
}

impl std::error::Error for UnknownRule {}

impl FromStr for CriticalityRule {
    type Err = UnknownRule;

    /// Parses a rule name; `monotona` gets the default thresholds.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "monotona" | "monótona" | "monotone" => Ok(CriticalityRule::default()),
            "original" => Ok(CriticalityRule::Original),
            _ => Err(UnknownRule(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Criticality::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn monotone_table() {
        let r = CriticalityRule::default();
        let cases = [
            (0, "50", Ok),
            (1, "0", Baixa),
            (1, "2", Baixa),
            (1, "2.0001", Media),
            (2, "0", Media),
            (1, "5.01", Alta),
            (3, "0", Alta),
            (1, "10.0001", Critica),
            (4, "0", Critica),
            (1, "10", Alta),
        ];
        for (n, p, want) in cases {
            assert_eq!(r.classify(n, d(p)), want, "n={n} p={p}");
        }
    }

    #[test]
    fn monotone_never_decreases() {
        let r = CriticalityRule::default();
        for n in 1..8usize {
            for p in 0..=100u32 {
                let here = r.classify(n, Decimal::from(p));
                assert!(r.classify(n + 1, Decimal::from(p)) >= here);
                assert!(r.classify(n, Decimal::from(p + 1)) >= here);
            }
        }
    }

    #[test]
    fn original_rule_order() {
        let r = CriticalityRule::Original;
        assert_eq!(r.classify(4, d("11")), Critica);
        assert_eq!(r.classify(1, d("1")), Media);
        assert_eq!(r.classify(3, d("8")), Alta);
        assert_eq!(r.classify(1, d("60")), Baixa);
        assert_eq!(r.classify(5, d("5")), Baixa);
        assert_eq!(r.classify(0, d("60")), Ok);
    }

    #[test]
    fn configurable_thresholds() {
        let t = Thresholds {
            critica_itens: 10,
            critica_pct: d("50"),
            ..Thresholds::default()
        };
        let r = CriticalityRule::Monotone(t);
        assert_eq!(r.classify(4, d("11")), Alta);
        assert_eq!(r.classify(10, d("0")), Critica);
    }

    #[test]
    fn names_parse() {
        assert_eq!(
            "original".parse::<CriticalityRule>(),
            std::result::Result::Ok(CriticalityRule::Original)
        );
        assert!("x".parse::<CriticalityRule>().is_err());
    }
}
