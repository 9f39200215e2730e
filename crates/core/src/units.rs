//! The unit catalogue (`assets/units.toml`) and conversion between units of one
//! dimension, in exact decimals.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

const UNITS_TOML: &str = include_str!("../../../assets/units.toml");

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unit {
    pub code: String,
    pub label_en: String,
    pub dimension: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub factor: Decimal,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Currency {
    pub code: String,
    pub name_en: String,
    /// The decimals an amount is shown with (ISO 4217: JPY 0, USD 2).
    pub minor_units: u32,
}

/// A yearly rate dimension and the amount it gives over one year.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Yearly {
    pub rate: String,
    pub amount: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub scale: Decimal,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnitCatalogue {
    pub source: String,
    pub valid_from: chrono::NaiveDate,
    pub dimensions: BTreeMap<String, String>,
    #[serde(rename = "unit")]
    pub units: Vec<Unit>,
    #[serde(rename = "currency")]
    pub currencies: Vec<Currency>,
    #[serde(default)]
    pub yearly: Vec<Yearly>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error("unknown unit '{0}': use one of the unit catalogue's codes (fieldbook units)")]
    Unknown(String),
    #[error(
        "cannot convert {from} ({from_dim}) to {to} ({to_dim}): the units measure different things"
    )]
    Incompatible {
        from: String,
        from_dim: String,
        to: String,
        to_dim: String,
    },
    #[error("cannot convert {from} to {to}: converting money needs a dated exchange rate")]
    Currency { from: String, to: String },
    #[error("converting {value} {from} to {to} overflows")]
    Overflow {
        value: Decimal,
        from: String,
        to: String,
    },
}

impl UnitCatalogue {
    fn parse(text: &str) -> Result<Self, String> {
        let cat: UnitCatalogue = toml::from_str(text).map_err(|e| e.to_string())?;
        for u in &cat.units {
            if !cat.dimensions.contains_key(&u.dimension) {
                return Err(format!(
                    "unit {} has unknown dimension {}",
                    u.code, u.dimension
                ));
            }
            if u.factor <= Decimal::ZERO {
                return Err(format!("unit {} has a factor that is not positive", u.code));
            }
        }
        for (dim, base) in &cat.dimensions {
            let ok = cat
                .units
                .iter()
                .any(|u| &u.code == base && &u.dimension == dim && u.factor == Decimal::ONE);
            if !ok {
                return Err(format!(
                    "dimension {dim}: base unit {base} missing or factor not 1"
                ));
            }
        }
        for y in &cat.yearly {
            for dim in [&y.rate, &y.amount] {
                if !cat.dimensions.contains_key(dim) {
                    return Err(format!("yearly: unknown dimension {dim}"));
                }
            }
            if y.scale <= Decimal::ZERO {
                return Err(format!("yearly {}: scale is not positive", y.rate));
            }
        }
        let mut codes: Vec<&str> = cat.units.iter().map(|u| u.code.as_str()).collect();
        codes.extend(cat.currencies.iter().map(|c| c.code.as_str()));
        let n = codes.len();
        codes.sort_unstable();
        codes.dedup();
        if codes.len() != n {
            return Err("a unit or currency code appears twice".into());
        }
        Ok(cat)
    }

    /// The catalogue shipped with this build, validated on first use.
    pub fn shipped() -> &'static UnitCatalogue {
        static CAT: OnceLock<UnitCatalogue> = OnceLock::new();
        CAT.get_or_init(|| {
            UnitCatalogue::parse(UNITS_TOML)
                .unwrap_or_else(|e| panic!("assets/units.toml is invalid: {e}"))
        })
    }

    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.units.iter().find(|u| u.code == code)
    }

    pub fn currency(&self, code: &str) -> Option<&Currency> {
        self.currencies.iter().find(|c| c.code == code)
    }

    /// An amount as people read it: thousands grouped, the currency's minor
    /// units ("2,000,000,000 JPY", "1,234.50 USD"); an unknown currency keeps
    /// the amount's own decimals.
    pub fn format_money(&self, amount: Decimal, currency: &str) -> String {
        let shown = match self.currency(currency) {
            Some(c) => {
                let mut a = amount.round_dp_with_strategy(
                    c.minor_units,
                    rust_decimal::RoundingStrategy::MidpointAwayFromZero,
                );
                a.rescale(c.minor_units);
                a
            }
            None => amount.normalize(),
        };
        format!("{} {currency}", group_thousands(shown))
    }

    /// A measurement may carry a physical unit or a currency.
    pub fn is_known(&self, code: &str) -> bool {
        self.unit(code).is_some() || self.currency(code).is_some()
    }

    /// `value` in `from` expressed in `to`.
    pub fn convert(&self, value: Decimal, from: &str, to: &str) -> Result<Decimal, UnitError> {
        if self.currency(from).is_some() || self.currency(to).is_some() {
            if !self.is_known(from) {
                return Err(UnitError::Unknown(from.into()));
            }
            if !self.is_known(to) {
                return Err(UnitError::Unknown(to.into()));
            }
            if from == to {
                return Ok(value);
            }
            return Err(UnitError::Currency {
                from: from.into(),
                to: to.into(),
            });
        }
        let f = self
            .unit(from)
            .ok_or_else(|| UnitError::Unknown(from.into()))?;
        let t = self.unit(to).ok_or_else(|| UnitError::Unknown(to.into()))?;
        if f.dimension != t.dimension {
            return Err(UnitError::Incompatible {
                from: from.into(),
                from_dim: f.dimension.clone(),
                to: to.into(),
                to_dim: t.dimension.clone(),
            });
        }
        let overflow = || UnitError::Overflow {
            value,
            from: from.into(),
            to: to.into(),
        };
        value
            .checked_mul(f.factor)
            .and_then(|base| base.checked_div(t.factor))
            .map(|v| v.normalize())
            .ok_or_else(overflow)
    }

    /// Like [`convert`](Self::convert), but a yearly rate also converts to the
    /// amount it gives over one year (`L/yr` → `L`): the methodologies' inputs
    /// are amounts per year.
    pub fn convert_yearly(
        &self,
        value: Decimal,
        from: &str,
        to: &str,
    ) -> Result<Decimal, UnitError> {
        let err = match self.convert(value, from, to) {
            Err(e @ UnitError::Incompatible { .. }) => e,
            done => return done,
        };
        let (f, t) = (self.unit(from), self.unit(to));
        let Some((f, t, y)) = f.zip(t).and_then(|(f, t)| {
            self.yearly
                .iter()
                .find(|y| y.rate == f.dimension && y.amount == t.dimension)
                .map(|y| (f, t, y))
        }) else {
            return Err(err);
        };
        value
            .checked_mul(f.factor)
            .and_then(|v| v.checked_mul(y.scale))
            .and_then(|v| v.checked_div(t.factor))
            .map(|v| v.normalize())
            .ok_or(UnitError::Overflow {
                value,
                from: from.into(),
                to: to.into(),
            })
    }
}

/// A decimal with its thousands grouped by commas: "1,661", "-12,345.678".
pub fn group_thousands(value: Decimal) -> String {
    let text = value.to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (int, frac) = digits.split_at(digits.find('.').unwrap_or(digits.len()));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}{frac}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn money_shows_grouped_in_the_currencys_minor_units() {
        let cat = UnitCatalogue::shipped();
        assert_eq!(
            cat.format_money(d("2000000000"), "JPY"),
            "2,000,000,000 JPY"
        );
        assert_eq!(cat.format_money(d("60000000.50"), "JPY"), "60,000,001 JPY");
        assert_eq!(cat.format_money(d("1234.5"), "USD"), "1,234.50 USD");
        assert_eq!(cat.format_money(d("-999.994"), "USD"), "-999.99 USD");
        assert_eq!(cat.format_money(d("180000000"), "VND"), "180,000,000 VND");
        assert_eq!(group_thousands(d("1661")), "1,661");
        assert_eq!(group_thousands(d("-12345.678")), "-12,345.678");
        assert_eq!(group_thousands(d("999")), "999");
    }

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn shipped_catalogue_loads_and_has_the_issue_units() {
        let cat = UnitCatalogue::shipped();
        for code in [
            "kW", "MW", "kWh", "MWh", "h/yr", "L", "m3", "Nm3", "L/100km", "km/yr", "t", "tCO2",
            "JPY", "USD", "IDR", "VND",
        ] {
            assert!(cat.is_known(code), "{code}");
        }
    }

    #[test]
    fn converts_within_a_dimension_exactly() {
        let cat = UnitCatalogue::shipped();
        assert_eq!(cat.convert(d("75"), "kW", "MW").unwrap(), d("0.075"));
        assert_eq!(cat.convert(d("1.5"), "MWh", "kWh").unwrap(), d("1500"));
        assert_eq!(cat.convert(d("2"), "m3", "L").unwrap(), d("2000"));
        assert_eq!(
            cat.convert(d("3.6"), "GJ", "kWh").unwrap().round_dp(6),
            d("1000")
        );
        assert_eq!(cat.convert(d("16"), "h/day", "h/yr").unwrap(), d("5840"));
    }

    #[test]
    fn refuses_incompatible_unknown_and_currency_conversions() {
        let cat = UnitCatalogue::shipped();
        assert!(matches!(
            cat.convert(d("1"), "kW", "kWh"),
            Err(UnitError::Incompatible { .. })
        ));
        assert_eq!(
            cat.convert(d("1"), "furlong", "km"),
            Err(UnitError::Unknown("furlong".into()))
        );
        assert!(matches!(
            cat.convert(d("1"), "JPY", "USD"),
            Err(UnitError::Currency { .. })
        ));
        assert_eq!(cat.convert(d("5"), "JPY", "JPY").unwrap(), d("5"));
    }

    #[test]
    fn a_yearly_rate_gives_its_amount_over_a_year() {
        let cat = UnitCatalogue::shipped();
        assert_eq!(
            cat.convert_yearly(d("1.5"), "kL/yr", "L").unwrap(),
            d("1500")
        );
        assert_eq!(
            cat.convert_yearly(d("1200"), "MWh/yr", "MWh").unwrap(),
            d("1200")
        );
        assert_eq!(cat.convert_yearly(d("2"), "t/yr", "kg").unwrap(), d("2000"));
        assert_eq!(cat.convert_yearly(d("3"), "MWh", "kWh").unwrap(), d("3000"));
        // Only rate → amount, never the other way or across dimensions.
        assert!(cat.convert_yearly(d("1"), "L", "L/yr").is_err());
        assert!(cat.convert_yearly(d("1"), "L/yr", "kg").is_err());
    }

    #[test]
    fn a_broken_catalogue_is_refused() {
        let bad = UNITS_TOML.replace(
            "factor = \"1000\"\n[[unit]]\ncode = \"MW\"",
            "factor = \"0\"\n[[unit]]\ncode = \"MW\"",
        );
        assert!(UnitCatalogue::parse(&bad).is_err());
        let dup = format!("{UNITS_TOML}\n[[currency]]\ncode = \"kW\"\nname_en = \"x\"\n");
        assert!(UnitCatalogue::parse(&dup).is_err());
    }
}
