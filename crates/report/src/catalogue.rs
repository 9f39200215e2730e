//! The reports' own labels (`assets/report/<lang>.toml`), chosen apart
//! from the app's language: section titles, table headers, units, page
//! furniture. English is complete and the reference; a partner language
//! may lack a label (it then prints in English) and says whether a native
//! speaker has reviewed it.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    En,
    Ja,
    Vi,
    Id,
    Mn,
    Th,
    Km,
    Lo,
    My,
}

impl Lang {
    pub const ALL: [Lang; 9] = [
        Lang::En,
        Lang::Ja,
        Lang::Vi,
        Lang::Id,
        Lang::Mn,
        Lang::Th,
        Lang::Km,
        Lang::Lo,
        Lang::My,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja => "ja",
            Lang::Vi => "vi",
            Lang::Id => "id",
            Lang::Mn => "mn",
            Lang::Th => "th",
            Lang::Km => "km",
            Lang::Lo => "lo",
            Lang::My => "my",
        }
    }

    fn source(self) -> &'static str {
        macro_rules! labels {
            ($file:literal) => {
                include_str!(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../assets/report/",
                    $file
                ))
            };
        }
        match self {
            Lang::En => labels!("en.toml"),
            Lang::Ja => labels!("ja.toml"),
            Lang::Vi => labels!("vi.toml"),
            Lang::Id => labels!("id.toml"),
            Lang::Mn => labels!("mn.toml"),
            Lang::Th => labels!("th.toml"),
            Lang::Km => labels!("km.toml"),
            Lang::Lo => labels!("lo.toml"),
            Lang::My => labels!("my.toml"),
        }
    }

    /// Its own name, and whether a native speaker reviewed its labels.
    pub fn name(self) -> &'static str {
        &catalogue(self).meta.name
    }

    pub fn reviewed(self) -> bool {
        catalogue(self).meta.reviewed
    }

    /// The label `key`, in this language or else in English, with
    /// `{name}` placeholders filled from `args`.
    pub fn label(self, key: &str, args: &[(&str, &str)]) -> String {
        let text = catalogue(self)
            .labels
            .get(key)
            .or_else(|| catalogue(Lang::En).labels.get(key))
            .unwrap_or_else(|| panic!("report label '{key}' is not in assets/report/en.toml"));
        args.iter().fold(text.clone(), |t, (name, value)| {
            t.replace(&format!("{{{name}}}"), value)
        })
    }

    /// The label of an enum value (`enum.<group>.<value>`), or the value
    /// itself if the catalogue has none.
    pub fn value(self, group: &str, value: &str) -> String {
        let key = format!("enum.{group}.{value}");
        if catalogue(Lang::En).labels.contains_key(&key) {
            self.label(&key, &[])
        } else {
            value.to_string()
        }
    }
}

impl std::str::FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Lang, String> {
        Lang::ALL
            .into_iter()
            .find(|l| l.code() == s.trim())
            .ok_or_else(|| {
                let known: Vec<&str> = Lang::ALL.iter().map(|l| l.code()).collect();
                format!(
                    "unknown document language '{s}' (one of {})",
                    known.join(", ")
                )
            })
    }
}

#[derive(Deserialize)]
pub(crate) struct Catalogue {
    pub(crate) meta: Meta,
    pub(crate) labels: BTreeMap<String, String>,
}

#[derive(Deserialize)]
pub(crate) struct Meta {
    name: String,
    pub(crate) reviewed: bool,
}

pub(crate) fn catalogue(lang: Lang) -> &'static Catalogue {
    static ALL: OnceLock<Vec<Catalogue>> = OnceLock::new();
    &ALL.get_or_init(|| {
        Lang::ALL
            .iter()
            .map(|l| {
                toml::from_str(l.source())
                    .unwrap_or_else(|e| panic!("assets/report/{}.toml: {e}", l.code()))
            })
            .collect()
    })[lang as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn placeholders(s: &str) -> Vec<&str> {
        s.match_indices('{')
            .filter_map(|(i, _)| s[i..].find('}').map(|j| &s[i..i + j + 1]))
            .collect()
    }

    #[test]
    fn every_language_has_only_english_keys_with_the_same_placeholders() {
        let en = &catalogue(Lang::En).labels;
        for lang in Lang::ALL {
            for (key, text) in &catalogue(lang).labels {
                let reference = en
                    .get(key)
                    .unwrap_or_else(|| panic!("{}: '{key}' is not an English label", lang.code()));
                let mut want = placeholders(reference);
                let mut have = placeholders(text);
                want.sort();
                have.sort();
                assert_eq!(want, have, "{}: '{key}'", lang.code());
                assert!(!text.trim().is_empty(), "{}: '{key}' is empty", lang.code());
            }
        }
    }

    #[test]
    fn english_and_japanese_are_complete_and_reviewed() {
        let en = &catalogue(Lang::En).labels;
        let ja = &catalogue(Lang::Ja).labels;
        let missing: Vec<&String> = en.keys().filter(|k| !ja.contains_key(*k)).collect();
        assert!(missing.is_empty(), "ja lacks {missing:?}");
        assert!(Lang::En.reviewed() && Lang::Ja.reviewed());
    }

    #[test]
    fn partner_languages_are_marked_unreviewed_and_fall_back_to_english() {
        for lang in &Lang::ALL[2..] {
            assert!(
                !lang.reviewed(),
                "{} claims a native speaker's review",
                lang.code()
            );
        }
        // A label a partner language lacks prints in English.
        let en = &catalogue(Lang::En).labels;
        for lang in Lang::ALL {
            for key in en.keys() {
                assert!(!lang.label(key, &[]).is_empty());
            }
        }
        assert_eq!(
            Lang::Ja.label("page.printed", &[("date", "2026-12-03")]),
            "印刷日 2026-12-03"
        );
        assert!("xx".parse::<Lang>().is_err());
    }
}
