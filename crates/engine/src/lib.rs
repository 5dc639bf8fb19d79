//! The Ruptura analysis engine: pure functions of data.
//!
//! No IO, no clock, no async: "today" is a parameter, and every input arrives in a
//! [`Snapshot`]. See SPEC.md section 2 for the rules implemented here, and ARCHITECTURE.md for
//! where this crate sits.
//!
//! ```text
//! Snapshot ──Analyzer::new(snapshot, params)──> Analyzer ──analyze(&orders)──> [(num, OrderOutcome)]
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod analysis;
pub mod criticality;
pub mod decision;
pub mod groups;
pub mod params;
pub mod projection;
pub mod records;
pub mod snapshot;
mod summary;

pub use analysis::{
    analyze, Analyzer, LineResult, OrderOutcome, OrderResult, Summary, TotalAvailability,
};
pub use criticality::{Criticality, CriticalityRule, Thresholds};
pub use decision::{Prazo, Sugestao};
pub use groups::ProductGroups;
pub use params::{round_half_away, Mode, Params, DEFAULT_HORIZON_DAYS, DEFAULT_LEAD_TIME_DAYS};
pub use projection::Projection;
pub use snapshot::{CodeLink, DatedQty, Interner, Interners, OrderLine, Snapshot};
