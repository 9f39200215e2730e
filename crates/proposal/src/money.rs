//! Money between currencies: only at an exchange rate the user recorded, with
//! its date — never a built-in rate.

use rust_decimal::prelude::*;
use serde::Serialize;

use fieldbook_store::{ListQuery, Store, StoreError};

use crate::{decimal, text};

/// One conversion, with the rate record it used, so the working can show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversion {
    pub from_currency: String,
    pub to_currency: String,
    pub amount: Decimal,
    pub converted: Decimal,
    /// How many `to_currency` one `from_currency` buys.
    pub rate: Decimal,
    pub date: String,
    pub source: Option<String>,
    pub exchange_rate_id: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MoneyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no exchange rate between {from} and {to}: record one with its date (an exchange_rate record)")]
    NoRate { from: String, to: String },
    #[error("{amount} {from} is too large to convert")]
    Overflow { amount: Decimal, from: String },
    #[error("the exchange rate {from} → {to} of {date} is zero: correct it")]
    ZeroRate {
        from: String,
        to: String,
        date: String,
    },
}

/// `amount` in `from` expressed in `to` at the newest-dated rate recorded
/// between the two, in either direction; `None` when no conversion is needed.
pub fn convert(
    store: &Store,
    amount: Decimal,
    from: &str,
    to: &str,
) -> Result<Option<Conversion>, MoneyError> {
    if from == to {
        return Ok(None);
    }
    let rates = store.list("exchange_rate", &ListQuery::default())?;
    let best = rates
        .iter()
        .filter_map(|r| {
            let pair = (text(r, "from_currency")?, text(r, "to_currency")?);
            let direct = pair == (from, to);
            (direct || pair == (to, from)).then_some((r, direct))
        })
        // The newest date wins; on one date a rate recorded in the asked direction.
        .max_by(|(a, a_direct), (b, b_direct)| {
            (text(a, "date"), a_direct).cmp(&(text(b, "date"), b_direct))
        });
    let Some((r, direct)) = best else {
        return Err(MoneyError::NoRate {
            from: from.into(),
            to: to.into(),
        });
    };
    let recorded = decimal(r, "rate").unwrap_or_default();
    let date = text(r, "date").unwrap_or_default().to_string();
    if recorded.is_zero() {
        return Err(MoneyError::ZeroRate {
            from: from.into(),
            to: to.into(),
            date,
        });
    }
    let rate = if direct {
        recorded
    } else {
        Decimal::ONE / recorded
    };
    let converted = amount
        .checked_mul(rate)
        .ok_or_else(|| MoneyError::Overflow {
            amount,
            from: from.into(),
        })?;
    Ok(Some(Conversion {
        from_currency: from.into(),
        to_currency: to.into(),
        amount,
        converted: converted.round_dp(2).normalize(),
        rate: rate.normalize(),
        date,
        source: text(r, "source").map(str::to_string),
        exchange_rate_id: r.id.clone(),
    }))
}
