//! Project finance as RETScreen users expect it: NPV, IRR, simple and
//! discounted payback, cost per tonne abated — each with and without the
//! subsidy. Cash flows fall at the end of each year; the subsidy reduces the
//! up-front cost. Exact decimals throughout.

use rust_decimal::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize)]
pub struct FinanceInput {
    pub capex: Decimal,
    pub opex_per_year: Decimal,
    pub savings_per_year: Decimal,
    pub years: u32,
    /// A fraction: 0.05 for 5 %.
    pub discount_rate: Decimal,
    pub subsidy: Decimal,
    /// When given, the cost per tonne abated is computed.
    pub reduction_t_per_year: Option<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FinanceCase {
    pub upfront_cost: Decimal,
    pub npv: Decimal,
    /// The discount rate at which NPV is zero, as a fraction; `None` when the
    /// project never pays back.
    pub irr: Option<Decimal>,
    pub simple_payback_years: Option<Decimal>,
    pub discounted_payback_years: Option<Decimal>,
    /// −NPV per tonne reduced over the life: negative means the project saves money.
    pub cost_per_t_abated: Option<Decimal>,
    /// The undiscounted cash position at the end of each year, year 0 first
    /// (−upfront): what the cumulative cash-flow chart draws.
    pub cumulative_cash_flow: Vec<Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FinanceResult {
    pub without_subsidy: FinanceCase,
    pub with_subsidy: FinanceCase,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FinanceError {
    #[error("{0} must not be negative")]
    Negative(&'static str),
    #[error("the lifetime must be at least one year")]
    NoYears,
    #[error("the discount rate must be above -100 % (give it as a fraction: 0.05 for 5 %)")]
    Rate,
    #[error("the subsidy is larger than the capex")]
    SubsidyAboveCapex,
    #[error("the numbers are too large to compute exactly")]
    Overflow,
}

/// Money rounds to the cent; rates and years to 6 places, once, at the end.
const MONEY_DP: u32 = 2;
const RATIO_DP: u32 = 6;

pub fn evaluate(input: &FinanceInput) -> Result<FinanceResult, FinanceError> {
    for (name, v) in [
        ("capex", input.capex),
        ("opex", input.opex_per_year),
        ("savings", input.savings_per_year),
        ("subsidy", input.subsidy),
    ] {
        if v.is_sign_negative() && !v.is_zero() {
            return Err(FinanceError::Negative(name));
        }
    }
    if input.years == 0 {
        return Err(FinanceError::NoYears);
    }
    if input.discount_rate <= Decimal::NEGATIVE_ONE {
        return Err(FinanceError::Rate);
    }
    if input.subsidy > input.capex {
        return Err(FinanceError::SubsidyAboveCapex);
    }
    Ok(FinanceResult {
        without_subsidy: case(input, input.capex)?,
        with_subsidy: case(input, input.capex - input.subsidy)?,
    })
}

fn case(input: &FinanceInput, upfront: Decimal) -> Result<FinanceCase, FinanceError> {
    let net = input.savings_per_year - input.opex_per_year;
    let npv = npv(upfront, net, input.years, input.discount_rate).ok_or(FinanceError::Overflow)?;
    let simple_payback = (net > Decimal::ZERO).then(|| upfront / net);
    let lifetime_t = input
        .reduction_t_per_year
        .filter(|t| *t > Decimal::ZERO)
        .map(|t| t * Decimal::from(input.years));
    Ok(FinanceCase {
        upfront_cost: upfront.round_dp(MONEY_DP),
        npv: round_money(npv),
        irr: irr(upfront, net, input.years).map(|r| r.round_dp(RATIO_DP)),
        simple_payback_years: simple_payback.map(|y| y.round_dp(RATIO_DP)),
        discounted_payback_years: discounted_payback(
            upfront,
            net,
            input.years,
            input.discount_rate,
        )
        .map(|y| y.round_dp(RATIO_DP)),
        cost_per_t_abated: lifetime_t.map(|t| round_money(-npv / t)),
        cumulative_cash_flow: (0..=input.years)
            .map(|year| {
                net.checked_mul(Decimal::from(year))
                    .and_then(|gained| gained.checked_sub(upfront))
                    .map(round_money)
                    .ok_or(FinanceError::Overflow)
            })
            .collect::<Result<_, _>>()?,
    })
}

fn round_money(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(MONEY_DP, RoundingStrategy::MidpointAwayFromZero)
}

/// −upfront + Σ net / (1+r)^t for t = 1..=years.
fn npv(upfront: Decimal, net: Decimal, years: u32, rate: Decimal) -> Option<Decimal> {
    let growth = Decimal::ONE.checked_add(rate)?;
    let mut factor = Decimal::ONE;
    let mut total = -upfront;
    for _ in 0..years {
        factor = match factor.checked_mul(growth) {
            Some(f) => f,
            // Beyond Decimal's range the remaining discounted flows are nil.
            None if growth > Decimal::ONE => break,
            None => return None,
        };
        total = total.checked_add(net.checked_div(factor)?)?;
    }
    Some(total)
}

/// The IRR by bisection: NPV falls as the rate rises when one outlay is
/// followed by equal positive returns, so the root is unique.
fn irr(upfront: Decimal, net: Decimal, years: u32) -> Option<Decimal> {
    if net <= Decimal::ZERO || upfront <= Decimal::ZERO {
        return None;
    }
    // Near −100 % the discount factors vanish and the NPV is too large to
    // represent: an NPV that does not compute counts as above zero.
    let above_zero = |rate| npv(upfront, net, years, rate).is_none_or(|v| v > Decimal::ZERO);
    let mut low = Decimal::new(-9999, 4); // −99.99 %
    let mut high = Decimal::from(100); // 10,000 %
    if !above_zero(low) || above_zero(high) {
        return None;
    }
    let tolerance = Decimal::new(1, 10);
    while high - low > tolerance {
        let mid = (low + high) / Decimal::TWO;
        if above_zero(mid) {
            low = mid;
        } else {
            high = mid;
        }
    }
    Some((low + high) / Decimal::TWO)
}

/// Years until the discounted cash flows repay the outlay, interpolated
/// within the year it happens; `None` if not within the lifetime.
fn discounted_payback(
    upfront: Decimal,
    net: Decimal,
    years: u32,
    rate: Decimal,
) -> Option<Decimal> {
    if upfront.is_zero() {
        return Some(Decimal::ZERO);
    }
    let growth = Decimal::ONE + rate;
    let mut factor = Decimal::ONE;
    let mut remaining = upfront;
    for year in 1..=years {
        factor = factor.checked_mul(growth)?;
        let flow = net.checked_div(factor)?;
        if flow > Decimal::ZERO && flow >= remaining {
            return Some(Decimal::from(year - 1) + remaining / flow);
        }
        remaining -= flow;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn input(
        capex: &str,
        opex: &str,
        savings: &str,
        years: u32,
        rate: &str,
        subsidy: &str,
    ) -> FinanceInput {
        FinanceInput {
            capex: d(capex),
            opex_per_year: d(opex),
            savings_per_year: d(savings),
            years,
            discount_rate: d(rate),
            subsidy: d(subsidy),
            reduction_t_per_year: Some(d("500")),
        }
    }

    #[test]
    fn a_textbook_annuity() {
        // 1000 up front, 300 a year for 5 years at 10 %: annuity factor 3.790787.
        let r = evaluate(&input("1000", "0", "300", 5, "0.10", "0")).unwrap();
        let c = r.without_subsidy;
        assert_eq!(c.npv, d("137.24"));
        assert_eq!(c.simple_payback_years, Some(d("3.333333")));
        // IRR of 1000 vs 5 × 300 is 15.2382 %.
        let irr = c.irr.unwrap();
        assert!((irr - d("0.152382")).abs() < d("0.000002"), "{irr}");
        // Discounted: 272.73 + 247.93 + 225.39 = 746.05; year 4 brings 204.90 ≥ 253.95? no;
        // year 5 brings 186.28 ≥ 49.05: payback 4 + 49.05/186.28.
        let dp = c.discounted_payback_years.unwrap();
        assert!((dp - d("4.2633")).abs() < d("0.001"), "{dp}");
        assert_eq!(c.cost_per_t_abated, Some(d("-0.05")));
        assert_eq!(
            c.cumulative_cash_flow,
            ["-1000", "-700", "-400", "-100", "200", "500"].map(d)
        );
    }

    #[test]
    fn large_sums_in_rupiah_still_have_an_irr() {
        // 10 billion IDR up front, 4.4 billion a year net for 5 years: 33.70 %
        // (checked by an independent bisection in floating point).
        let r = evaluate(&input(
            "10000000000",
            "500000000",
            "4900000000",
            5,
            "0.08",
            "0",
        ))
        .unwrap();
        let irr = r.without_subsidy.irr.expect("it pays back");
        assert!((irr - d("0.337016")).abs() < d("0.000002"), "{irr}");
        // And over a long life, where (1 + r)^n underflows near −100 %.
        let r = evaluate(&input("150000000", "1000000", "21000000", 18, "0.06", "0")).unwrap();
        let irr = r.without_subsidy.irr.expect("it pays back");
        assert!((irr - d("0.114339")).abs() < d("0.000002"), "{irr}");
    }

    #[test]
    fn the_subsidy_lowers_the_outlay() {
        let r = evaluate(&input("1000", "50", "350", 5, "0.10", "400")).unwrap();
        assert_eq!(r.with_subsidy.upfront_cost, d("600"));
        assert_eq!(r.with_subsidy.npv - r.without_subsidy.npv, d("400"));
        assert!(r.with_subsidy.irr > r.without_subsidy.irr);
        assert_eq!(r.with_subsidy.simple_payback_years, Some(d("2")));
    }

    #[test]
    fn a_project_that_never_pays_back() {
        let r = evaluate(&input("1000", "100", "100", 10, "0.05", "0")).unwrap();
        let c = r.without_subsidy;
        assert_eq!(c.npv, d("-1000"));
        assert_eq!(c.irr, None);
        assert_eq!(c.simple_payback_years, None);
        assert_eq!(c.discounted_payback_years, None);
    }

    #[test]
    fn bad_input_is_refused() {
        assert_eq!(
            evaluate(&input("-1", "0", "1", 5, "0.1", "0")),
            Err(FinanceError::Negative("capex"))
        );
        assert_eq!(
            evaluate(&input("1", "0", "1", 0, "0.1", "0")),
            Err(FinanceError::NoYears)
        );
        assert_eq!(
            evaluate(&input("1", "0", "1", 5, "-1", "0")),
            Err(FinanceError::Rate)
        );
        assert_eq!(
            evaluate(&input("1", "0", "1", 5, "0.1", "2")),
            Err(FinanceError::SubsidyAboveCapex)
        );
    }
}
