//! The Ruptura analysis engine: pure functions of data.
//!
//! No IO, no clock, no async: "today" is a parameter, and every input arrives in a
//! [`Snapshot`]. See SPEC.md section 2 for the rules implemented here.
#![forbid(unsafe_code)]

pub mod records;
