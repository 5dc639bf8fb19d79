//! What a planner decides with (SPEC 8.2, 8.3): the ship-date status of an order and the
//! shipment suggestion.

use std::fmt;

/// Ship-date status of an order (`prazo`, SPEC 8.2): the first that holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Prazo {
    /// No line has a ship date.
    SemExpedicao,
    /// The ship date is before today.
    Vencida,
    /// The order has no date on which it is complete.
    SemPrevisao,
    /// Complete on or before the ship date.
    NoPrazo,
    /// Complete only after the ship date.
    Atrasa,
}

impl Prazo {
    /// Every status, in the order of SPEC 8.2.
    pub const ALL: [Prazo; 5] = [
        Prazo::SemExpedicao,
        Prazo::Vencida,
        Prazo::SemPrevisao,
        Prazo::NoPrazo,
        Prazo::Atrasa,
    ];

    /// The wire name (`sem_expedicao`, `vencida`, `sem_previsao`, `no_prazo`, `atrasa`).
    pub fn as_str(self) -> &'static str {
        match self {
            Prazo::SemExpedicao => "sem_expedicao",
            Prazo::Vencida => "vencida",
            Prazo::SemPrevisao => "sem_previsao",
            Prazo::NoPrazo => "no_prazo",
            Prazo::Atrasa => "atrasa",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl fmt::Display for Prazo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What to do with an order now (`sugestao`, SPEC 8.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Sugestao {
    /// No line is short: ship it all.
    Enviar,
    /// Ship what is available now (above the configured minimums).
    Parcial,
    /// Wait until it is complete.
    Aguardar,
}

impl Sugestao {
    pub const ALL: [Sugestao; 3] = [Sugestao::Enviar, Sugestao::Parcial, Sugestao::Aguardar];

    /// The wire name (`enviar`, `parcial`, `aguardar`).
    pub fn as_str(self) -> &'static str {
        match self {
            Sugestao::Enviar => "enviar",
            Sugestao::Parcial => "parcial",
            Sugestao::Aguardar => "aguardar",
        }
    }

    /// Parses the wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl fmt::Display for Sugestao {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
