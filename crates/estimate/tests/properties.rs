//! Properties the estimate engine keeps for any input: a more efficient
//! project never shows a negative reduction; a subsidy is never above its cap
//! or above rate × cost.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use fieldbook_estimate::emissions::{self, Input, Provenance};
use fieldbook_estimate::rules::Rules;
use fieldbook_estimate::subsidy::{self, Scheme, SubsidyQuery};
use fieldbook_estimate::Decimal;
use proptest::prelude::*;

/// A positive decimal with up to 3 places: 0.001 … 1,000,000.
fn amount() -> impl Strategy<Value = Decimal> {
    (1i64..1_000_000_000).prop_map(|n| Decimal::new(n, 3))
}

fn inputs(pairs: &[(&str, Decimal)]) -> BTreeMap<String, Input> {
    pairs
        .iter()
        .map(|(k, v)| {
            let input = Input {
                value: *v,
                provenance: Provenance::User {
                    source: "proptest".into(),
                },
                monitoring: None,
            };
            (k.to_string(), input)
        })
        .collect()
}

proptest! {
    #[test]
    fn a_more_efficient_chiller_or_lamp_never_shows_a_negative_reduction(
        consumption in amount(),
        reference in amount(),
        better in 0i64..1_000_000,
        ef in amount(),
        family in prop::sample::select(vec!["chiller-cop", "refrigeration-cop", "led"]),
    ) {
        let project = reference + Decimal::new(better, 3);
        let names = if family == "led" {
            ("efficacy_project_lm_per_w", "efficacy_reference_lm_per_w")
        } else {
            ("cop_project", "cop_reference")
        };
        let e = emissions::estimate(
            Rules::shipped(),
            family,
            &inputs(&[("consumption_mwh", consumption), (names.0, project), (names.1, reference), ("ef_t_per_mwh", ef)]),
            Some(10),
        ).unwrap();
        prop_assert!(e.reduction_t_per_year >= Decimal::ZERO, "{e:?}");
        prop_assert!(e.lifetime_reduction_t.unwrap() >= Decimal::ZERO);
    }

    #[test]
    fn pumps_that_use_less_than_the_reference_never_show_a_negative_reduction(
        volume in amount(),
        sec in amount(),
        share in 0u32..=100,
        ef in amount(),
    ) {
        let reference_mwh = volume * sec / Decimal::from(1000);
        let consumption = reference_mwh * Decimal::from(share) / Decimal::ONE_HUNDRED;
        let e = emissions::estimate(
            Rules::shipped(),
            "pump-efficiency",
            &inputs(&[("volume_m3", volume), ("sec_reference_kwh_per_m3", sec), ("consumption_mwh", consumption), ("ef_t_per_mwh", ef)]),
            Some(18),
        ).unwrap();
        prop_assert!(e.reduction_t_per_year >= Decimal::ZERO, "{e:?}");
    }

    #[test]
    fn a_subsidy_is_never_above_its_cap_or_rate_times_cost(
        // Costs around each floor and cap as well as far above them.
        cost in prop_oneof![0i64..100_000_000, 0i64..10_000_000_000, 0i64..10_000_000_000_000]
            .prop_map(Decimal::from),
        similar in 0u32..12,
        scheme in prop::sample::select(vec![Scheme::JcmModelProject, Scheme::JfjcmSovereign, Scheme::JfjcmNonSovereign]),
    ) {
        let currency = if scheme == Scheme::JcmModelProject { "JPY" } else { "USD" };
        let r = subsidy::estimate(Rules::shipped(), &SubsidyQuery {
            scheme,
            country: "VN".into(),
            cost,
            currency: currency.into(),
            similar_projects: similar,
            edition: None,
            date: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        }).unwrap();
        prop_assert!(r.amount <= r.rate * cost, "{r:?}");
        prop_assert!(r.amount >= Decimal::ZERO);
        let cap = if scheme == Scheme::JcmModelProject { Decimal::from(2_000_000_000) } else { Decimal::from(10_000_000) };
        prop_assert!(r.amount <= cap, "{r:?}");
        // Capped means the uncapped amount was above it; else only rounding separates them.
        let uncapped = r.rate * cost;
        if r.cap_applied {
            prop_assert!(uncapped > r.amount);
        } else {
            prop_assert!(uncapped - r.amount < Decimal::ONE, "{r:?}");
        }
    }
}
