//! The rule packs in `assets/rules/`: everything a call for proposals or a
//! methodology fixes, each value with its source, validity date and status,
//! grouped into editions. Loaded and validated once, at start.

use std::sync::OnceLock;

use chrono::NaiveDate;
use fieldbook_core::units::UnitCatalogue;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// How far a value can be trusted; an unverified value is flagged wherever it is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Sourced,
    Derived,
    Unverified,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Sourced => "sourced",
            Status::Derived => "derived",
            Status::Unverified => "unverified",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CountryEdition {
    pub id: String,
    /// `jcm_partners` or `jfjcm_eligible`.
    pub list: String,
    pub as_of: NaiveDate,
    pub source: String,
    pub status: Status,
    pub countries: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProgrammeCountry {
    pub code: String,
    pub name_en: String,
    pub name_ja: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartnerCountries {
    #[serde(rename = "edition")]
    pub editions: Vec<CountryEdition>,
    #[serde(rename = "programme_country")]
    pub programme_countries: Vec<ProgrammeCountry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RateTier {
    pub min_similar_projects: u32,
    pub max_similar_projects: Option<u32>,
    pub rate: Decimal,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JcmModelProjectRules {
    pub edition: String,
    pub valid_from: NaiveDate,
    pub source: String,
    pub status: Status,
    pub currency: String,
    pub floor: Decimal,
    pub cap: Decimal,
    #[serde(rename = "rate_tier")]
    pub rate_tiers: Vec<RateTier>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JfjcmRules {
    pub edition: String,
    pub valid_from: NaiveDate,
    pub source: String,
    pub status: Status,
    pub currency: String,
    pub eligible_countries_edition: String,
    pub sovereign_rate: Decimal,
    pub sovereign_cap: Decimal,
    pub sovereign_small_project_threshold: Decimal,
    pub sovereign_small_project_cap: Decimal,
    pub non_sovereign_rate: Decimal,
    pub non_sovereign_cap: Decimal,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CostEffectivenessRules {
    pub threshold_jpy_per_t: Decimal,
    pub source: String,
    pub status: Status,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Schemes {
    pub jcm_model_project: Vec<JcmModelProjectRules>,
    pub jfjcm: Vec<JfjcmRules>,
    pub cost_effectiveness: CostEffectivenessRules,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Param {
    /// The code the formulas use (`volume_m3`).
    pub name: String,
    /// What the UI calls it ("Water pumped per year").
    pub label_en: String,
    pub label_ja: String,
    pub unit: String,
    pub description_en: String,
    pub description_ja: String,
    pub default: Option<Decimal>,
    pub default_source: Option<String>,
    pub default_status: Option<Status>,
    /// A fuel id in the emission factors whose per-unit factor is the default.
    pub default_from: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Methodology {
    pub id: String,
    pub name_en: String,
    pub name_ja: String,
    pub technology: String,
    pub reference_formula: String,
    pub project_formula: String,
    pub source: String,
    pub status: Status,
    pub durable_years: String,
    #[serde(rename = "param")]
    pub params: Vec<Param>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fuel {
    pub id: String,
    pub name_en: String,
    pub co2_kg_per_tj: Decimal,
    pub ncv_tj_per_gg: Decimal,
    pub density_kg_per_m3: Option<Decimal>,
    pub density_kg_per_nm3: Option<Decimal>,
    pub density_source: Option<String>,
    pub density_status: Option<Status>,
    pub source: String,
    pub status: Status,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GridFactor {
    pub id: String,
    pub country: String,
    pub grid: String,
    pub year: String,
    pub kind: String,
    pub ef_t_per_mwh: Decimal,
    pub source: String,
    pub status: Status,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EmissionFactors {
    #[serde(rename = "fuel")]
    pub fuels: Vec<Fuel>,
    #[serde(rename = "grid")]
    pub grids: Vec<GridFactor>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DurableAsset {
    pub key: String,
    pub name_en: String,
    pub name_ja: String,
    pub years: Option<u32>,
    pub source: String,
    pub status: Status,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DurableYears {
    #[serde(rename = "asset")]
    pub assets: Vec<DurableAsset>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fund {
    pub number: u32,
    pub group: String,
    pub name_en: String,
    pub name_ja: Option<String>,
    pub administered_by: String,
    pub who_may_apply: Vec<String>,
    pub source: String,
    pub status: Status,
}

/// A kind of body that may apply to a fund, in words.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Applicant {
    pub code: String,
    pub name_en: String,
    pub name_ja: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Funds {
    #[serde(rename = "applicant")]
    pub applicants: Vec<Applicant>,
    #[serde(rename = "fund")]
    pub funds: Vec<Fund>,
}

impl Funds {
    /// An applicant kind's English name ("a private company in Japan").
    pub fn applicant_name(&self, code: &str) -> Option<&str> {
        self.applicants
            .iter()
            .find(|a| a.code == code)
            .map(|a| a.name_en.as_str())
    }
}

/// Every rule pack, parsed and cross-checked.
#[derive(Debug, Clone, Serialize)]
pub struct Rules {
    pub countries: PartnerCountries,
    pub schemes: Schemes,
    pub methodologies: Vec<Methodology>,
    pub factors: EmissionFactors,
    pub durable_years: DurableYears,
    pub funds: Funds,
}

#[derive(Deserialize)]
struct MethodologyFile {
    #[serde(rename = "methodology")]
    methodologies: Vec<Methodology>,
}

fn parse<T: for<'de> Deserialize<'de>>(name: &str, text: &str) -> Result<T, String> {
    toml::from_str(text).map_err(|e| format!("assets/rules/{name}: {e}"))
}

impl Rules {
    fn parse_all(files: &RuleFiles) -> Result<Rules, String> {
        let rules = Rules {
            countries: parse("partner-countries.toml", files.countries)?,
            schemes: parse("schemes.toml", files.schemes)?,
            methodologies: parse::<MethodologyFile>("methodologies.toml", files.methodologies)?
                .methodologies,
            factors: parse("emission-factors.toml", files.factors)?,
            durable_years: parse("durable-years.toml", files.durable_years)?,
            funds: parse("funds.toml", files.funds)?,
        };
        rules.validate()?;
        Ok(rules)
    }

    fn validate(&self) -> Result<(), String> {
        if self.schemes.jcm_model_project.is_empty() || self.schemes.jfjcm.is_empty() {
            return Err("schemes.toml: every scheme needs at least one edition".into());
        }
        let units = UnitCatalogue::shipped();
        for m in &self.methodologies {
            // An estimate that leaves the durable years empty takes these.
            match self.durable_asset(&m.durable_years) {
                None => {
                    return Err(format!(
                        "methodology {}: unknown durable-years key {}",
                        m.id, m.durable_years
                    ))
                }
                Some(a) if a.years.is_none() => {
                    return Err(format!(
                        "methodology {}: durable-years {} gives no years",
                        m.id, m.durable_years
                    ))
                }
                Some(_) => {}
            }
            for p in &m.params {
                if p.label_en.trim().is_empty() || p.label_ja.trim().is_empty() {
                    return Err(format!(
                        "methodology {} parameter {}: a label in English and Japanese is needed",
                        m.id, p.name
                    ));
                }
                if units.unit(&p.unit).is_none() {
                    return Err(format!(
                        "methodology {} parameter {}: unknown unit {}",
                        m.id, p.name, p.unit
                    ));
                }
                if let Some(fuel) = &p.default_from {
                    if self.fuel(fuel).is_none() {
                        return Err(format!(
                            "methodology {} parameter {}: unknown fuel {fuel}",
                            m.id, p.name
                        ));
                    }
                }
            }
        }
        for code in [
            "japanese_company",
            "japanese_local_government",
            "partner_government",
        ] {
            if self.funds.applicant_name(code).is_none() {
                return Err(format!("funds.toml: the applicant {code} needs a name"));
            }
        }
        for f in &self.funds.funds {
            if let Some(w) = f
                .who_may_apply
                .iter()
                .find(|w| self.funds.applicant_name(w).is_none())
            {
                return Err(format!("fund {}: unknown applicant {w}", f.number));
            }
        }
        for j in &self.schemes.jfjcm {
            if self
                .country_edition(&j.eligible_countries_edition)
                .is_none()
            {
                return Err(format!(
                    "JFJCM {}: unknown country list {}",
                    j.edition, j.eligible_countries_edition
                ));
            }
        }
        for s in &self.schemes.jcm_model_project {
            if s.rate_tiers
                .first()
                .is_none_or(|t| t.min_similar_projects != 0)
                || s.rate_tiers
                    .last()
                    .is_none_or(|t| t.max_similar_projects.is_some())
            {
                return Err(format!(
                    "JCM Model Project {}: rate tiers must start at 0 and end open",
                    s.edition
                ));
            }
        }
        Ok(())
    }

    /// The packs shipped with this build.
    pub fn shipped() -> &'static Rules {
        static RULES: OnceLock<Rules> = OnceLock::new();
        RULES.get_or_init(|| {
            Rules::parse_all(&SHIPPED).unwrap_or_else(|e| panic!("rule pack invalid: {e}"))
        })
    }

    pub fn methodology(&self, id: &str) -> Option<&Methodology> {
        self.methodologies.iter().find(|m| m.id == id)
    }

    pub fn fuel(&self, id: &str) -> Option<&Fuel> {
        self.factors.fuels.iter().find(|f| f.id == id)
    }

    /// A country's English name from the programme's list, else its code.
    pub fn country_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.countries
            .programme_countries
            .iter()
            .find(|c| c.code == code)
            .map_or(code, |c| c.name_en.as_str())
    }

    pub fn durable_asset(&self, key: &str) -> Option<&DurableAsset> {
        self.durable_years.assets.iter().find(|a| a.key == key)
    }

    /// The newest grid emission factor recorded for a country.
    pub fn grid_factor(&self, country: &str) -> Option<&GridFactor> {
        self.factors
            .grids
            .iter()
            .filter(|g| g.country == country)
            .max_by(|a, b| a.year.cmp(&b.year))
    }

    pub fn country_edition(&self, id: &str) -> Option<&CountryEdition> {
        self.countries.editions.iter().find(|e| e.id == id)
    }

    /// The newest edition of `list` in force on `date`.
    pub fn country_list_at(&self, list: &str, date: NaiveDate) -> Option<&CountryEdition> {
        self.countries
            .editions
            .iter()
            .filter(|e| e.list == list && e.as_of <= date)
            .max_by_key(|e| e.as_of)
    }
}

struct RuleFiles {
    countries: &'static str,
    schemes: &'static str,
    methodologies: &'static str,
    factors: &'static str,
    durable_years: &'static str,
    funds: &'static str,
}

const SHIPPED: RuleFiles = RuleFiles {
    countries: include_str!("../../../assets/rules/partner-countries.toml"),
    schemes: include_str!("../../../assets/rules/schemes.toml"),
    methodologies: include_str!("../../../assets/rules/methodologies.toml"),
    factors: include_str!("../../../assets/rules/emission-factors.toml"),
    durable_years: include_str!("../../../assets/rules/durable-years.toml"),
    funds: include_str!("../../../assets/rules/funds.toml"),
};

impl Fuel {
    /// kg CO2 per litre (liquid fuels) = kg/TJ × TJ/Gg ÷ 10⁶ × kg/m³ ÷ 1000.
    pub fn kgco2_per_litre(&self) -> Option<Decimal> {
        let per_kg = self.co2_kg_per_tj * self.ncv_tj_per_gg / Decimal::from(1_000_000);
        self.density_kg_per_m3
            .map(|rho| per_kg * rho / Decimal::from(1000))
    }

    /// kg CO2 per normal cubic metre (gases).
    pub fn kgco2_per_nm3(&self) -> Option<Decimal> {
        let per_kg = self.co2_kg_per_tj * self.ncv_tj_per_gg / Decimal::from(1_000_000);
        self.density_kg_per_nm3.map(|rho| per_kg * rho)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_kinds_offer_exactly_the_packs_methodologies() {
        let ids: Vec<&str> = Rules::shipped()
            .methodologies
            .iter()
            .map(|m| m.id.as_str())
            .collect();
        assert_eq!(ids, fieldbook_core::kinds::METHODOLOGIES);
    }

    #[test]
    fn shipped_packs_load_and_cross_check() {
        let r = Rules::shipped();
        assert!(r.methodology("solar-pv").is_some());
        let diesel = r.fuel("diesel").unwrap();
        // methodologies.md §4: ≈ 2.69 kgCO2/L.
        assert_eq!(
            diesel.kgco2_per_litre().unwrap().round_dp(2),
            Decimal::new(269, 2)
        );
    }

    #[test]
    fn sources_name_documents_not_our_notes() {
        // A source the user reads names a publisher's document, never a file of
        // this project's research notes.
        for text in [
            SHIPPED.countries,
            SHIPPED.schemes,
            SHIPPED.methodologies,
            SHIPPED.factors,
            SHIPPED.durable_years,
            SHIPPED.funds,
        ] {
            for line in text.lines().filter(|l| !l.starts_with('#')) {
                let key = line.split(" = ").next().unwrap_or_default();
                if key.contains("source") {
                    assert!(!line.contains(".md"), "{line}");
                    assert!(!line.contains("GB §"), "{line}");
                }
            }
        }
    }

    #[test]
    fn parameters_have_labels() {
        let pump = Rules::shipped().methodology("pump-efficiency").unwrap();
        let volume = pump.params.iter().find(|p| p.name == "volume_m3").unwrap();
        assert_eq!(volume.label_en, "Water pumped per year");
        assert_eq!(volume.label_ja, "年間揚水量");
    }

    #[test]
    fn partner_lists_are_dated() {
        let r = Rules::shipped();
        let feb_2020 = NaiveDate::from_ymd_opt(2020, 2, 1).unwrap();
        let list = r.country_list_at("jcm_partners", feb_2020).unwrap();
        assert_eq!(list.countries.len(), 17);
        assert!(
            !list.countries.contains(&"MY".to_string()),
            "Malaysia is not a JCM partner"
        );
        let before = NaiveDate::from_ymd_opt(2010, 1, 1).unwrap();
        assert!(r.country_list_at("jcm_partners", before).is_none());
    }
}
