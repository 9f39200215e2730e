//! The record kinds Fieldbook keeps, and their fields. One table describes them
//! all, so the store, the CLI and the UI's forms are generic over kinds and a new
//! field is one line here (plus a migration and its labels).

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldType {
    Text,
    /// Long free text (a textarea in the UI).
    LongText,
    /// One of a fixed list of codes; the UI translates `enum.<field>.<code>`.
    Enum {
        options: &'static [&'static str],
    },
    Bool,
    Int {
        min: i64,
        max: i64,
    },
    /// An exact decimal, stored as its canonical string.
    Decimal {
        non_negative: bool,
    },
    /// ISO date, `YYYY-MM-DD`.
    Date,
    Latitude,
    Longitude,
    /// A unit code from the unit catalogue.
    Unit,
    /// A currency code from the unit catalogue.
    Currency,
    /// A technology type code from the technology catalogue.
    TechType,
    /// A hex SHA-256 of an attachment's content.
    Sha256,
    Email,
    /// The id of a record of another kind.
    Ref {
        kind: &'static str,
    },
    /// A list of ids of records of another kind.
    RefList {
        kind: &'static str,
    },
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct FieldSpec {
    pub name: &'static str,
    #[serde(flatten)]
    pub ty: FieldType,
    pub required: bool,
    /// Written on create when the user gives no value.
    pub default: Option<&'static str>,
    /// Part of the text the search box finds.
    pub searchable: bool,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct KindSpec {
    /// The name used by the CLI, the UI and the change log (`finding`).
    pub name: &'static str,
    /// The field that points at the parent record, if the kind lives inside one.
    pub parent: Option<&'static str>,
    /// Fields whose values, joined, name a record in lists.
    pub title: &'static [&'static str],
    /// Sets of fields whose values must be unique among live records.
    pub unique: &'static [&'static [&'static str]],
    pub fields: &'static [FieldSpec],
}

impl KindSpec {
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The SQL table that holds this kind (same as its name, checked at compile time
    /// to be one of the names below).
    pub fn table(&self) -> &'static str {
        self.name
    }
}

const fn field(name: &'static str, ty: FieldType) -> FieldSpec {
    FieldSpec {
        name,
        ty,
        required: false,
        default: None,
        searchable: false,
    }
}

const fn required(name: &'static str, ty: FieldType) -> FieldSpec {
    FieldSpec {
        required: true,
        ..field(name, ty)
    }
}

const fn searchable(spec: FieldSpec) -> FieldSpec {
    FieldSpec {
        searchable: true,
        ..spec
    }
}

const fn with_default(spec: FieldSpec, default: &'static str) -> FieldSpec {
    FieldSpec {
        default: Some(default),
        ..spec
    }
}

const TEXT: FieldType = FieldType::Text;
const LONG: FieldType = FieldType::LongText;
const fn r(kind: &'static str) -> FieldType {
    FieldType::Ref { kind }
}
const fn refs(kind: &'static str) -> FieldType {
    FieldType::RefList { kind }
}

pub const SECTORS: &[&str] = &[
    "energy",
    "transport",
    "waste",
    "water",
    "buildings",
    "industry",
    "other",
];

pub const ORG_KINDS: &[&str] = &[
    "japanese_company",
    "japanese_municipality",
    "partner_city_government",
    "local_company",
    "utility",
    "ministry",
    "financier",
    "other",
];

/// Progress of one consortium duty (GB Table 7).
pub const DUTY_STATUS: &[&str] = &["todo", "in_progress", "done", "not_applicable"];

const fn duty(name: &'static str) -> FieldSpec {
    with_default(
        field(
            name,
            FieldType::Enum {
                options: DUTY_STATUS,
            },
        ),
        "todo",
    )
}

/// The methodology families of `assets/rules/methodologies.toml` (checked
/// against the rule pack by the estimate crate's tests).
pub const METHODOLOGIES: &[&str] = &[
    "solar-pv",
    "chiller-cop",
    "absorption-chiller",
    "refrigeration-cop",
    "led",
    "pump-efficiency",
    "fuel-switch-vehicle",
    "boiler-efficiency",
    "biomass-power",
];

/// A statement the user attests to, or has not yet (empty).
const fn attest(name: &'static str) -> FieldSpec {
    field(
        name,
        FieldType::Enum {
            options: &["yes", "no"],
        },
    )
}

const MONEY: FieldType = FieldType::Decimal { non_negative: true };

pub const KINDS: &[KindSpec] = &[
    KindSpec {
        name: "country",
        parent: None,
        title: &["name"],
        unique: &[&["code"], &["name"]],
        fields: &[
            required("code", TEXT),
            searchable(required("name", TEXT)),
            searchable(field("name_ja", TEXT)),
            with_default(field("jcm_partner", FieldType::Bool), "false"),
            field("jcm_partner_as_of", FieldType::Date),
            with_default(field("jfjcm_eligible", FieldType::Bool), "false"),
            field("jfjcm_eligible_as_of", FieldType::Date),
            field("status_source", TEXT),
            searchable(field("notes", LONG)),
        ],
    },
    KindSpec {
        name: "city",
        parent: None,
        title: &["name"],
        unique: &[&["country_id", "name"]],
        fields: &[
            searchable(required("name", TEXT)),
            searchable(field("name_ja", TEXT)),
            required("country_id", r("country")),
            with_default(
                field(
                    "kind",
                    FieldType::Enum {
                        options: &["city", "province", "region", "district"],
                    },
                ),
                "city",
            ),
            searchable(field("notes", LONG)),
        ],
    },
    KindSpec {
        name: "org",
        parent: None,
        title: &["name"],
        unique: &[&["name"]],
        fields: &[
            searchable(required("name", TEXT)),
            searchable(field("name_ja", TEXT)),
            required("kind", FieldType::Enum { options: ORG_KINDS }),
            field("country_id", r("country")),
            field("city_id", r("city")),
            field("website", TEXT),
            searchable(field("notes", LONG)),
        ],
    },
    KindSpec {
        name: "contact",
        parent: Some("org_id"),
        title: &["name"],
        unique: &[],
        fields: &[
            required("org_id", r("org")),
            searchable(required("name", TEXT)),
            searchable(field("role", TEXT)),
            field("email", FieldType::Email),
            field("phone", TEXT),
            searchable(field("notes", LONG)),
        ],
    },
    KindSpec {
        name: "collaboration",
        parent: None,
        title: &["japanese_org_id", "partner_city_id"],
        unique: &[&["japanese_org_id", "partner_city_id"]],
        fields: &[
            required("japanese_org_id", r("org")),
            required("partner_city_id", r("city")),
            with_default(
                field(
                    "kind",
                    FieldType::Enum {
                        options: &["sister_city", "mou", "letter_of_interest", "other"],
                    },
                ),
                "letter_of_interest",
            ),
            field("since", FieldType::Date),
            searchable(field("notes", LONG)),
        ],
    },
    KindSpec {
        name: "study",
        parent: None,
        title: &["title"],
        unique: &[],
        fields: &[
            searchable(required("title", TEXT)),
            required(
                "fiscal_year",
                FieldType::Int {
                    min: 2013,
                    max: 2100,
                },
            ),
            field("collaboration_id", r("collaboration")),
            field("consignee_id", r("org")),
            field("stakeholder_ids", refs("org")),
            with_default(
                field(
                    "status",
                    FieldType::Enum {
                        options: &["planned", "ongoing", "completed"],
                    },
                ),
                "planned",
            ),
            with_default(field("years", FieldType::Int { min: 1, max: 3 }), "1"),
            searchable(field("notes", LONG)),
        ],
    },
    KindSpec {
        name: "visit",
        parent: Some("study_id"),
        title: &["date", "place"],
        unique: &[],
        fields: &[
            required("study_id", r("study")),
            required("date", FieldType::Date),
            searchable(field("place", TEXT)),
            field("latitude", FieldType::Latitude),
            field("longitude", FieldType::Longitude),
            searchable(field("participants", TEXT)),
            searchable(field("notes", LONG)),
            field("source", TEXT),
        ],
    },
    KindSpec {
        name: "finding",
        parent: Some("study_id"),
        title: &["title"],
        unique: &[],
        fields: &[
            required("study_id", r("study")),
            field("visit_id", r("visit")),
            required("sector", FieldType::Enum { options: SECTORS }),
            searchable(required("title", TEXT)),
            searchable(field("text", LONG)),
            with_default(
                field(
                    "status",
                    FieldType::Enum {
                        options: &["draft", "complete", "reviewed"],
                    },
                ),
                "draft",
            ),
            field("source", TEXT),
        ],
    },
    KindSpec {
        name: "measurement",
        parent: Some("finding_id"),
        title: &["quantity"],
        unique: &[],
        fields: &[
            required("finding_id", r("finding")),
            searchable(required("quantity", TEXT)),
            required("value", FieldType::Decimal { non_negative: true }),
            required("unit", FieldType::Unit),
            searchable(field("notes", TEXT)),
        ],
    },
    KindSpec {
        name: "attachment",
        parent: Some("finding_id"),
        title: &["file_name"],
        unique: &[],
        fields: &[
            required("finding_id", r("finding")),
            required(
                "role",
                FieldType::Enum {
                    options: &["photo", "document"],
                },
            ),
            required("sha256", FieldType::Sha256),
            searchable(required("file_name", TEXT)),
            required("mime", TEXT),
            required(
                "size_bytes",
                FieldType::Int {
                    min: 0,
                    max: i64::MAX,
                },
            ),
            searchable(field("caption", TEXT)),
        ],
    },
    KindSpec {
        name: "need",
        parent: Some("study_id"),
        title: &["statement"],
        unique: &[],
        fields: &[
            required("study_id", r("study")),
            searchable(required("statement", LONG)),
            field("sector", FieldType::Enum { options: SECTORS }),
            with_default(
                field(
                    "priority",
                    FieldType::Enum {
                        options: &["high", "medium", "low"],
                    },
                ),
                "medium",
            ),
            searchable(field("voiced_by", TEXT)),
            field("finding_ids", refs("finding")),
            searchable(field("notes", LONG)),
        ],
    },
    KindSpec {
        name: "technology",
        parent: Some("study_id"),
        title: &["name"],
        unique: &[],
        fields: &[
            required("study_id", r("study")),
            required("tech_type", FieldType::TechType),
            searchable(required("name", TEXT)),
            field("supplier_id", r("org")),
            field("capex", FieldType::Decimal { non_negative: true }),
            field("currency", FieldType::Currency),
            field("need_ids", refs("need")),
            // What the exit-strategy advisor cannot read from other records.
            attest("no_other_japanese_subsidy"),
            attest("proven_in_japan"),
            attest("new_to_partner_country"),
            attest("needs_customisation"),
            searchable(field("notes", LONG)),
        ],
    },
    KindSpec {
        name: "parameter",
        parent: Some("technology_id"),
        title: &["name"],
        unique: &[&["technology_id", "name"]],
        fields: &[
            required("technology_id", r("technology")),
            searchable(required("name", TEXT)),
            required(
                "value",
                FieldType::Decimal {
                    non_negative: false,
                },
            ),
            required("unit", FieldType::Unit),
        ],
    },
    KindSpec {
        name: "member",
        parent: Some("study_id"),
        title: &["org_id"],
        unique: &[&["study_id", "org_id"]],
        fields: &[
            required("study_id", r("study")),
            required("org_id", r("org")),
            required(
                "consortium_role",
                FieldType::Enum {
                    options: &["representative", "partner", "collaborator"],
                },
            ),
            // GB Table 7 (a)–(h): the duties of consortium members.
            duty("duty_a_methodology"),
            duty("duty_b_validation_verification"),
            duty("duty_c_monitoring"),
            duty("duty_d_reporting"),
            duty("duty_e_registration"),
            duty("duty_f_issuance"),
            duty("duty_g_equipment_care"),
            duty("duty_h_member_changes"),
            searchable(field("notes", LONG)),
        ],
    },
    KindSpec {
        name: "credit_share",
        parent: Some("study_id"),
        title: &["party", "org_id"],
        unique: &[],
        fields: &[
            required("study_id", r("study")),
            required(
                "party",
                FieldType::Enum {
                    options: &[
                        "government_of_japan",
                        "japanese_participant",
                        "partner_government",
                        "partner_participant",
                        "other",
                    ],
                },
            ),
            field("org_id", r("org")),
            required("percent", FieldType::Decimal { non_negative: true }),
        ],
    },
    KindSpec {
        name: "activity",
        parent: Some("study_id"),
        title: &["title"],
        unique: &[],
        fields: &[
            required("study_id", r("study")),
            required("year", FieldType::Int { min: 1, max: 3 }),
            required(
                "activity_kind",
                FieldType::Enum {
                    options: &["field_survey", "event", "meeting", "report", "other"],
                },
            ),
            searchable(required("title", TEXT)),
            field("date", FieldType::Date),
            // GB Table 1: the partner city's role at each stage.
            field(
                "stage",
                FieldType::Enum {
                    options: &["preparation", "implementation", "completion"],
                },
            ),
            searchable(field("partner_city_role", LONG)),
            searchable(field("notes", LONG)),
        ],
    },
    KindSpec {
        name: "estimate",
        parent: Some("study_id"),
        title: &["title"],
        unique: &[],
        fields: &[
            required("study_id", r("study")),
            field("technology_id", r("technology")),
            searchable(required("title", TEXT)),
            required(
                "methodology",
                FieldType::Enum {
                    options: METHODOLOGIES,
                },
            ),
            // Overrides the legal durable years of the rule pack.
            field("durable_years", FieldType::Int { min: 1, max: 100 }),
            field("capex", MONEY),
            // The JCM Model Project's eligible cost when it differs from the capex.
            field("eligible_cost", MONEY),
            field("opex_per_year", MONEY),
            field("savings_per_year", MONEY),
            field("currency", FieldType::Currency),
            // A fraction: 0.05 for 5 %.
            field("discount_rate", MONEY),
            // The finance lifetime; the durable years when empty.
            field("finance_years", FieldType::Int { min: 1, max: 100 }),
            with_default(
                field("similar_projects", FieldType::Int { min: 0, max: 1000 }),
                "0",
            ),
            // Subsidy rule editions; when empty, the editions in force on the
            // day the estimate was made, so it keeps its numbers when a newer
            // edition ships.
            field("jcm_edition", TEXT),
            field("jfjcm_edition", TEXT),
            searchable(field("notes", LONG)),
        ],
    },
    KindSpec {
        name: "estimate_input",
        parent: Some("estimate_id"),
        title: &["name"],
        unique: &[&["estimate_id", "name"]],
        fields: &[
            required("estimate_id", r("estimate")),
            // A parameter of the estimate's methodology.
            required("name", TEXT),
            // Typed by the user (with `source`), unless a measurement is linked.
            field(
                "value",
                FieldType::Decimal {
                    non_negative: false,
                },
            ),
            field("measurement_id", r("measurement")),
            searchable(field("source", TEXT)),
            // JCM monitoring option: A public/spec data, B invoices/meters, C measured.
            field(
                "monitoring",
                FieldType::Enum {
                    options: &["A", "B", "C"],
                },
            ),
        ],
    },
    KindSpec {
        name: "exchange_rate",
        parent: None,
        title: &["from_currency", "to_currency", "date"],
        unique: &[&["from_currency", "to_currency", "date"]],
        fields: &[
            required("from_currency", FieldType::Currency),
            required("to_currency", FieldType::Currency),
            // How many `to_currency` one `from_currency` buys.
            required("rate", MONEY),
            required("date", FieldType::Date),
            searchable(field("source", TEXT)),
        ],
    },
];

/// (kind, quantity field, unit field): records whose unit must fit the kind of
/// quantity the other field names (`quantities.rs`), checked on every local write.
pub const UNIT_OF_QUANTITY: &[(&str, &str, &str)] = &[
    ("measurement", "quantity", "unit"),
    ("parameter", "name", "unit"),
];

/// The kind called `name`, or `None`.
pub fn kind(name: &str) -> Option<&'static KindSpec> {
    KINDS.iter().find(|k| k.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_points_at_a_known_kind() {
        for k in KINDS {
            for f in k.fields {
                if let FieldType::Ref { kind: target } | FieldType::RefList { kind: target } = f.ty
                {
                    assert!(kind(target).is_some(), "{}.{} -> {target}", k.name, f.name);
                }
            }
            if let Some(p) = k.parent {
                assert!(k.field(p).is_some_and(|f| f.required), "{}", k.name);
            }
            for set in k.unique {
                for name in *set {
                    assert!(k.field(name).is_some(), "{}.{name}", k.name);
                }
            }
            for name in k.title {
                assert!(k.field(name).is_some(), "{}.{name}", k.name);
            }
        }
    }

    #[test]
    fn unit_of_quantity_names_unit_fields() {
        for (k, quantity, unit) in UNIT_OF_QUANTITY {
            let k = kind(k).unwrap();
            assert_eq!(k.field(quantity).unwrap().ty, FieldType::Text);
            assert_eq!(k.field(unit).unwrap().ty, FieldType::Unit);
        }
    }

    #[test]
    fn field_names_are_plain_identifiers() {
        // Field names become SQL column names: keep them to [a-z0-9_].
        for k in KINDS {
            assert!(k.name.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
            for f in k.fields {
                assert!(f
                    .name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
            }
        }
    }
}
