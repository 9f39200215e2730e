//! Kinds of quantity (`assets/quantities.toml`) and the units each may be
//! measured in, so "Flow rate = 850 kWh" is refused: a measurement's quantity
//! is free text, and one whose head names a known kind must carry a unit of
//! that kind's dimensions. A quantity of no known kind is not checked.

use std::sync::OnceLock;

use serde::Deserialize;

use crate::units::UnitCatalogue;

const QUANTITIES_TOML: &str = include_str!("../../../assets/quantities.toml");

/// What ends a quantity's head: a qualifier follows ("Diesel use, 25 buses",
/// "Flow (reference)", "Operating hours per pump").
const SEPARATORS: &[&str] = &[",", "(", "（", ":", "：", ";", "、", "。"];
const CONNECTORS: &[&str] = &[
    " per ", " of ", " at ", " for ", " in ", " by ", " during ", " after ", " before ", " from ",
    " on ",
];
/// Words before a quantity that do not change its kind ("Annual distance").
const LEADING: &[&str] = &[
    "annual ",
    "average ",
    "daily ",
    "monthly ",
    "yearly ",
    "total ",
    "measured ",
    "estimated ",
    "typical ",
    "maximum ",
    "minimum ",
    "nominal ",
];

#[derive(Debug, Clone, Deserialize)]
pub struct QuantityKind {
    pub code: String,
    pub label_en: String,
    pub names: Vec<String>,
    #[serde(default)]
    pub dimensions: Vec<String>,
    /// Measured in a currency.
    #[serde(default)]
    pub money: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct QuantityCatalogue {
    pub source: String,
    pub valid_from: chrono::NaiveDate,
    #[serde(rename = "kind")]
    pub kinds: Vec<QuantityKind>,
}

/// A unit that does not fit the kind of quantity named.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {kind} is measured in {allowed}, not {unit}")]
pub struct UnitMismatch {
    /// The kind's English label ("flow rate").
    pub kind: String,
    /// The unit given.
    pub unit: String,
    /// The units that fit, as a list ("L/yr, m3/h or Nm3/yr").
    pub allowed: String,
}

/// A quantity's name in lower case, qualifiers after a separator and words
/// such as "annual" before it cut off.
fn plain(quantity: &str) -> String {
    let mut s = quantity.trim().to_lowercase();
    for sep in SEPARATORS {
        if let Some(i) = s.find(sep) {
            s.truncate(i);
        }
    }
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut rest = s.as_str();
    while let Some(r) = LEADING.iter().find_map(|w| rest.strip_prefix(w)) {
        rest = r;
    }
    rest.to_string()
}

/// The head of a plain name: the words before a connector ("operating hours
/// per pump"), or after the last の in Japanese (「ポンプの流量」).
fn head(plain: &str) -> &str {
    let padded = format!("{plain} ");
    let end = CONNECTORS
        .iter()
        .filter_map(|c| padded.find(c))
        .min()
        .unwrap_or(plain.len());
    let s = &plain[..end.min(plain.len())];
    s.rsplit('の').next().unwrap_or(s).trim()
}

impl QuantityCatalogue {
    fn parse(text: &str) -> Result<Self, String> {
        let cat: QuantityCatalogue = toml::from_str(text).map_err(|e| e.to_string())?;
        let units = UnitCatalogue::shipped();
        let mut names: Vec<String> = Vec::new();
        for k in &cat.kinds {
            if k.dimensions.is_empty() && !k.money {
                return Err(format!("quantity kind {} allows no unit", k.code));
            }
            if let Some(d) = k
                .dimensions
                .iter()
                .find(|d| !units.dimensions.contains_key(*d))
            {
                return Err(format!("quantity kind {}: unknown dimension {d}", k.code));
            }
            for n in &k.names {
                if plain(n) != *n {
                    return Err(format!(
                        "quantity kind {}: name '{n}' is not in its plain form",
                        k.code
                    ));
                }
                names.push(n.clone());
            }
        }
        let count = names.len();
        names.sort_unstable();
        names.dedup();
        if names.len() != count {
            return Err("a quantity name belongs to two kinds".into());
        }
        Ok(cat)
    }

    /// The catalogue shipped with this build, validated on first use.
    pub fn shipped() -> &'static QuantityCatalogue {
        static CAT: OnceLock<QuantityCatalogue> = OnceLock::new();
        CAT.get_or_init(|| {
            QuantityCatalogue::parse(QUANTITIES_TOML)
                .unwrap_or_else(|e| panic!("assets/quantities.toml is invalid: {e}"))
        })
    }

    /// The kind a quantity's name is of: its plain form, else its head, is a known name.
    pub fn kind_of(&self, quantity: &str) -> Option<&QuantityKind> {
        let plain = plain(quantity);
        let named = |name: &str| {
            self.kinds
                .iter()
                .find(|k| k.names.iter().any(|n| n == name))
        };
        named(&plain).or_else(|| named(head(&plain)))
    }

    /// Whether `unit` may measure `quantity` (always, for a quantity of no known kind).
    pub fn check(&self, quantity: &str, unit: &str) -> Result<(), UnitMismatch> {
        let Some(kind) = self.kind_of(quantity) else {
            return Ok(());
        };
        let units = UnitCatalogue::shipped();
        let fits = match units.unit(unit) {
            Some(u) => kind.dimensions.contains(&u.dimension),
            None => kind.money && units.currency(unit).is_some(),
        };
        if fits {
            return Ok(());
        }
        let mut allowed: Vec<String> = units
            .units
            .iter()
            .filter(|u| kind.dimensions.contains(&u.dimension))
            .map(|u| u.code.clone())
            .collect();
        if kind.money {
            allowed.push("a currency (JPY, USD …)".into());
        }
        let allowed = match allowed.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
            _ => allowed.join(""),
        };
        Err(UnitMismatch {
            kind: kind.label_en.clone(),
            unit: unit.to_string(),
            allowed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(q: &str, u: &str) -> Result<(), UnitMismatch> {
        QuantityCatalogue::shipped().check(q, u)
    }

    #[test]
    fn the_head_drops_qualifiers_in_english_and_japanese() {
        let h = |q: &str| head(&plain(q)).to_string();
        assert_eq!(h("Diesel use, 25 large buses"), "diesel use");
        assert_eq!(
            h("Operating hours per pump (illustrative)"),
            "operating hours"
        );
        assert_eq!(
            h("Electricity consumption of the station, per year"),
            "electricity consumption"
        );
        assert_eq!(h("  Annual   distance per large bus"), "distance");
        assert_eq!(h("ポンプの流量"), "流量");
        let cop = QuantityCatalogue::shipped().kind_of("Coefficient of performance (rated)");
        assert_eq!(cop.unwrap().code, "cop");
    }

    #[test]
    fn a_unit_of_another_dimension_is_refused_naming_what_fits() {
        let err = check("Flow rate", "kWh").unwrap_err();
        assert_eq!(err.kind, "flow rate");
        assert!(err.allowed.contains("m3/h"), "{err}");
        assert!(err.to_string().ends_with("not kWh"), "{err}");
        assert!(check("Flow rate at the intake", "m3/h").is_ok());
        assert!(check("吐出量", "kW").is_err());
        assert!(check("Rated motor power per pump", "kWh").is_err());
        assert!(check("Total project cost", "kW").is_err());
        assert!(check("Total project cost", "IDR").is_ok());
        assert!(check("Operating hours", "JPY").is_err());
    }

    #[test]
    fn a_quantity_of_no_known_kind_is_not_checked() {
        assert!(check("Buses to be retrofitted", "count").is_ok());
        assert!(check("Power consumption", "kWh").is_ok());
        assert!(check("Raw water supplied by An Trach", "kWh").is_ok());
    }

    #[test]
    fn a_broken_catalogue_is_refused() {
        let bad = QUANTITIES_TOML.replace("\"volume_per_time\", \"gas_per_time\"]", "\"warp\"]");
        assert!(QuantityCatalogue::parse(&bad).is_err());
        let dup = format!(
            "{QUANTITIES_TOML}\n[[kind]]\ncode = \"x\"\nlabel_en = \"x\"\nnames = [\"flow\"]\nmoney = true\n"
        );
        assert!(QuantityCatalogue::parse(&dup).is_err());
    }
}
