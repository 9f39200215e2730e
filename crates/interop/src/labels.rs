//! Column headers and sheet names in the chosen language. Field and kind
//! labels are the app's own (`ui/src/i18n/<lang>.json`, read at compile time
//! as data), so a column is called what the form calls it; the few labels
//! only exports need are in `assets/interop/labels.toml`.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::OnceLock;

type Catalogue = BTreeMap<String, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Ja,
}

impl FromStr for Lang {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "en" => Ok(Lang::En),
            "ja" => Ok(Lang::Ja),
            other => Err(format!("unknown export language '{other}': en or ja")),
        }
    }
}

const UI_EN: &str = include_str!("../../../ui/src/i18n/en.json");
const UI_JA: &str = include_str!("../../../ui/src/i18n/ja.json");
const OWN: &str = include_str!("../../../assets/interop/labels.toml");

fn ui(lang: Lang) -> &'static Catalogue {
    static EN: OnceLock<Catalogue> = OnceLock::new();
    static JA: OnceLock<Catalogue> = OnceLock::new();
    let (cell, text) = match lang {
        Lang::En => (&EN, UI_EN),
        Lang::Ja => (&JA, UI_JA),
    };
    cell.get_or_init(|| serde_json::from_str(text).expect("ui/src/i18n is valid JSON"))
}

fn own_table(name: &str) -> &'static Catalogue {
    static ALL: OnceLock<BTreeMap<String, Catalogue>> = OnceLock::new();
    &ALL.get_or_init(|| toml::from_str(OWN).expect("assets/interop/labels.toml"))[name]
}

fn own(lang: Lang) -> &'static Catalogue {
    own_table(match lang {
        Lang::En => "en",
        Lang::Ja => "ja",
    })
}

impl Lang {
    /// A field's column header: the kind's own label for it, else the
    /// shared one, else English, else its code.
    pub(crate) fn field(self, kind: &str, field: &str) -> String {
        [self, Lang::En]
            .iter()
            .flat_map(|l| {
                let c = ui(*l);
                [
                    c.get(&format!("field.{kind}.{field}")),
                    c.get(&format!("field.{field}")),
                ]
            })
            .flatten()
            .next()
            .cloned()
            .unwrap_or_else(|| field.to_string())
    }

    /// A column header: the field's label, with its unit when it has one.
    pub(crate) fn header(self, kind: &str, field: &str) -> String {
        let label = self.field(kind, field);
        match own_table("units").get(&format!("{kind}.{field}")) {
            Some(unit) => match unit.strip_prefix('@') {
                Some(column) => format!("{label} [{}]", self.field(kind, column)),
                None => format!("{label} [{unit}]"),
            },
            None => label,
        }
    }

    pub(crate) fn kind(self, kind: &str) -> String {
        [self, Lang::En]
            .iter()
            .find_map(|l| ui(*l).get(&format!("kind.{kind}")))
            .cloned()
            .unwrap_or_else(|| kind.to_string())
    }

    /// An export label with its `{name}` placeholders filled in.
    pub(crate) fn label(self, key: &str, args: &[(&str, &str)]) -> String {
        let text = own(self)
            .get(key)
            .or_else(|| own(Lang::En).get(key))
            .unwrap_or_else(|| panic!("assets/interop/labels.toml has no '{key}'"));
        args.iter().fold(text.clone(), |t, (name, value)| {
            t.replace(&format!("{{{name}}}"), value)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::exported;

    #[test]
    fn every_exported_field_has_a_label_in_both_languages() {
        for kind in exported() {
            for lang in [Lang::En, Lang::Ja] {
                assert_ne!(lang.kind(kind.name), kind.name, "kind.{}", kind.name);
                for f in kind.fields {
                    let key = [
                        format!("field.{}.{}", kind.name, f.name),
                        format!("field.{}", f.name),
                    ];
                    assert!(
                        key.iter().any(|k| ui(lang).contains_key(k)),
                        "{lang:?} lacks {}",
                        key[1]
                    );
                }
            }
        }
    }

    #[test]
    fn both_languages_have_every_export_label() {
        let en: Vec<_> = own(Lang::En).keys().collect();
        let ja: Vec<_> = own(Lang::Ja).keys().collect();
        assert_eq!(en, ja);
    }

    #[test]
    fn units_name_numeric_fields_and_unit_columns() {
        use fieldbook_core::kinds::{kind, FieldType};
        for (key, unit) in own_table("units") {
            let (k, f) = key.split_once('.').unwrap();
            let spec = kind(k).and_then(|k| k.field(f)).expect(key);
            assert!(
                !matches!(spec.ty, FieldType::Text | FieldType::LongText),
                "{key}"
            );
            if let Some(column) = unit.strip_prefix('@') {
                assert!(
                    kind(k).unwrap().field(column).is_some(),
                    "{key} -> {column}"
                );
            }
        }
    }
}
