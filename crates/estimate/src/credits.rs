//! Splitting issued JCM credits among the parties of a consortium: whole
//! tonnes that add up exactly to the total, by largest remainder.

use fieldbook_core::ValidationError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The party id of the Government of Japan, which must receive at least half.
pub const GOVERNMENT_OF_JAPAN: &str = "gov-japan";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    pub party: String,
    /// Percent of the issued credits, e.g. 70 for 70 %.
    pub percent: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Allocation {
    pub party: String,
    pub tonnes: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditError {
    #[error("the shares add up to {0} %, not 100 %: adjust them")]
    NotHundred(Decimal),
    #[error("the Government of Japan must receive at least 50 % of the credits; it has {0} %")]
    JapanBelowHalf(Decimal),
    #[error("share of {0} is negative")]
    Negative(String),
    #[error("party {0} is listed twice")]
    Duplicate(String),
}

impl CreditError {
    /// The error as the UI translates it: a code, with the percent or the
    /// party as values it names (the UI says which party in words).
    pub fn to_field_error(&self) -> ValidationError {
        let error = |code| ValidationError::new("percent", code, self.to_string());
        match self {
            CreditError::NotHundred(p) => {
                error("shares_not_hundred").with_param("percent", p.to_string())
            }
            CreditError::JapanBelowHalf(p) => {
                error("japan_below_half").with_param("percent", p.to_string())
            }
            CreditError::Negative(party) => error("share_negative").with_param("party", party),
            CreditError::Duplicate(party) => error("party_twice").with_param("party", party),
        }
    }
}

/// Checks a planned allocation: shares sum to 100 and Japan holds ≥ 50 %.
pub fn check_shares(shares: &[Share]) -> Result<(), CreditError> {
    let mut total = Decimal::ZERO;
    for (i, s) in shares.iter().enumerate() {
        if s.percent.is_sign_negative() && !s.percent.is_zero() {
            return Err(CreditError::Negative(s.party.clone()));
        }
        if shares[..i].iter().any(|o| o.party == s.party) {
            return Err(CreditError::Duplicate(s.party.clone()));
        }
        total += s.percent;
    }
    if total != Decimal::ONE_HUNDRED {
        return Err(CreditError::NotHundred(total.normalize()));
    }
    let japan = shares
        .iter()
        .find(|s| s.party == GOVERNMENT_OF_JAPAN)
        .map_or(Decimal::ZERO, |s| s.percent);
    if japan < Decimal::from(50) {
        return Err(CreditError::JapanBelowHalf(japan.normalize()));
    }
    Ok(())
}

/// Splits `total` tonnes by `shares`: each party gets the floor of its exact
/// share, and the tonnes left go one each to the largest remainders — ties to
/// the Government of Japan first, then in the order listed.
pub fn split(total: u64, shares: &[Share]) -> Result<Vec<Allocation>, CreditError> {
    check_shares(shares)?;
    let total_d = Decimal::from(total);
    let mut parts: Vec<(usize, u64, Decimal)> = shares
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let exact = total_d * s.percent / Decimal::ONE_HUNDRED;
            let floor = exact.floor();
            let whole = u64::try_from(floor.mantissa() / 10i128.pow(floor.scale()))
                .expect("a share of a u64 total fits a u64");
            (i, whole, exact - floor)
        })
        .collect();
    let assigned: u64 = parts.iter().map(|p| p.1).sum();
    let mut left = total - assigned;
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| {
        let (ra, rb) = (parts[a].2, parts[b].2);
        rb.cmp(&ra)
            .then_with(|| {
                let ja = shares[a].party == GOVERNMENT_OF_JAPAN;
                let jb = shares[b].party == GOVERNMENT_OF_JAPAN;
                jb.cmp(&ja)
            })
            .then(a.cmp(&b))
    });
    for i in order {
        if left == 0 {
            break;
        }
        parts[i].1 += 1;
        left -= 1;
    }
    Ok(parts
        .into_iter()
        .map(|(i, tonnes, _)| Allocation {
            party: shares[i].party.clone(),
            tonnes,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn share(party: &str, percent: i64) -> Share {
        Share {
            party: party.into(),
            percent: Decimal::from(percent),
        }
    }

    #[test]
    fn the_guidebooks_darkhan_example() {
        // GB §2.1 Box 2: 8,947 t at 70/10/20.
        let shares = [
            share(GOVERNMENT_OF_JAPAN, 70),
            share("jp-company", 10),
            share("mn-government", 20),
        ];
        let split = split(8947, &shares).unwrap();
        let tonnes: Vec<u64> = split.iter().map(|a| a.tonnes).collect();
        assert_eq!(tonnes, vec![6263, 895, 1789]);
    }

    #[test]
    fn ties_go_to_japan_then_in_listed_order() {
        let shares = [
            share("a", 25),
            share(GOVERNMENT_OF_JAPAN, 50),
            share("b", 25),
        ];
        // 3 t: exact 0.75 / 1.5 / 0.75 → floors 0/1/0, remainders .75/.5/.75 → a, b.
        let t: Vec<u64> = split(3, &shares)
            .unwrap()
            .iter()
            .map(|a| a.tonnes)
            .collect();
        assert_eq!(t, vec![1, 1, 1]);
        // 2 t: exact .5/1/.5 → floors 0/1/0; one left; a and b tie, a is listed first.
        let t: Vec<u64> = split(2, &shares)
            .unwrap()
            .iter()
            .map(|a| a.tonnes)
            .collect();
        assert_eq!(t, vec![1, 1, 0]);
        let shares = [share("a", 50), share(GOVERNMENT_OF_JAPAN, 50)];
        let t: Vec<u64> = split(1, &shares)
            .unwrap()
            .iter()
            .map(|a| a.tonnes)
            .collect();
        assert_eq!(t, vec![0, 1], "a tie between a and Japan goes to Japan");
    }

    #[test]
    fn invalid_shares_are_refused() {
        assert_eq!(
            split(10, &[share(GOVERNMENT_OF_JAPAN, 60), share("a", 30)]),
            Err(CreditError::NotHundred(Decimal::from(90)))
        );
        assert!(matches!(
            split(10, &[share(GOVERNMENT_OF_JAPAN, 40), share("a", 60)]),
            Err(CreditError::JapanBelowHalf(_))
        ));
        let below = split(10, &[share("a", 100)]).unwrap_err();
        assert!(matches!(below, CreditError::JapanBelowHalf(_)));
        // Messages name the Government of Japan, not its party id.
        assert!(!below.to_string().contains(GOVERNMENT_OF_JAPAN), "{below}");
        let fe = below.to_field_error();
        assert_eq!(
            (fe.code, fe.params["percent"].as_str()),
            ("japan_below_half", "0")
        );
    }

    proptest! {
        #[test]
        fn whole_tonnes_add_up_exactly(total in 0u64..10_000_000, others in proptest::collection::vec(0u32..=1000, 0..5)) {
            // Japan gets at least half; the rest is split in tenths of a percent.
            let sum: u32 = others.iter().sum();
            let mut shares = vec![];
            let mut other_total = Decimal::ZERO;
            for (i, w) in others.iter().enumerate() {
                let p = if sum == 0 { Decimal::ZERO } else {
                    (Decimal::from(*w) * Decimal::from(50) / Decimal::from(sum)).round_dp(1)
                };
                other_total += p;
                shares.push(Share { party: format!("p{i}"), percent: p });
            }
            prop_assume!(other_total <= Decimal::from(50));
            shares.insert(0, Share { party: GOVERNMENT_OF_JAPAN.into(), percent: Decimal::ONE_HUNDRED - other_total });
            let split = split(total, &shares).unwrap();
            prop_assert_eq!(split.iter().map(|a| a.tonnes).sum::<u64>(), total);
            for (a, s) in split.iter().zip(&shares) {
                let exact = Decimal::from(total) * s.percent / Decimal::ONE_HUNDRED;
                let t = Decimal::from(a.tonnes);
                prop_assert!(t >= exact.floor() && t <= exact.floor() + Decimal::ONE);
            }
        }
    }
}
