//! Estimates a municipality can defend: every function here is pure, works in
//! exact decimals, and takes its rates, caps and factors from the versioned rule
//! packs in `assets/rules/` — never from literals in code.

pub mod advisor;
pub mod credits;
pub mod emissions;
pub mod finance;
pub mod rules;
pub mod subsidy;

pub use rust_decimal::Decimal;
