//! The catalogue of technology types (`assets/technologies.toml`).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::kinds::SECTORS;

const TECHNOLOGIES_TOML: &str = include_str!("../../../assets/technologies.toml");

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TechnologyType {
    pub code: String,
    pub name_en: String,
    pub name_ja: String,
    pub sector: String,
    pub methodology: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TechnologyCatalogue {
    pub source: String,
    pub valid_from: chrono::NaiveDate,
    #[serde(rename = "technology")]
    pub technologies: Vec<TechnologyType>,
}

impl TechnologyCatalogue {
    fn parse(text: &str) -> Result<Self, String> {
        let cat: TechnologyCatalogue = toml::from_str(text).map_err(|e| e.to_string())?;
        for (i, t) in cat.technologies.iter().enumerate() {
            if !SECTORS.contains(&t.sector.as_str()) {
                return Err(format!(
                    "technology {}: unknown sector {}",
                    t.code, t.sector
                ));
            }
            if cat.technologies[..i].iter().any(|o| o.code == t.code) {
                return Err(format!("technology {} appears twice", t.code));
            }
        }
        Ok(cat)
    }

    pub fn shipped() -> &'static TechnologyCatalogue {
        static CAT: OnceLock<TechnologyCatalogue> = OnceLock::new();
        CAT.get_or_init(|| {
            TechnologyCatalogue::parse(TECHNOLOGIES_TOML)
                .unwrap_or_else(|e| panic!("assets/technologies.toml is invalid: {e}"))
        })
    }

    pub fn get(&self, code: &str) -> Option<&TechnologyType> {
        self.technologies.iter().find(|t| t.code == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_catalogue_has_the_programme_technologies() {
        let cat = TechnologyCatalogue::shipped();
        for code in [
            "solar_pv",
            "pump_inverter",
            "chiller",
            "led",
            "cng_dual_fuel_bus",
            "biomass_power",
            "boiler_waste_heat",
            "refrigeration",
        ] {
            assert!(cat.get(code).is_some(), "{code}");
        }
    }

    #[test]
    fn unknown_sector_is_refused() {
        let bad = TECHNOLOGIES_TOML.replacen("sector = \"energy\"", "sector = \"space\"", 1);
        assert!(TechnologyCatalogue::parse(&bad).is_err());
    }
}
