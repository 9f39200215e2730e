//! Latitude and longitude as people type or paste them: decimal degrees
//! (`-6.9932`, `6.9932 S`) or degrees-minutes-seconds (`6°59'35.5"S`,
//! `S 6 59 35.5`, `110° 25′ 12″ E`). Stored as decimal degrees, 6 places (~0.1 m).

use rust_decimal::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Axis {
    Latitude,
    Longitude,
}

impl Axis {
    fn limit(self) -> Decimal {
        match self {
            Axis::Latitude => Decimal::from(90),
            Axis::Longitude => Decimal::from(180),
        }
    }

    fn hemisphere_sign(self, c: char) -> Option<Decimal> {
        match (self, c.to_ascii_uppercase()) {
            (Axis::Latitude, 'N') | (Axis::Longitude, 'E') => Some(Decimal::ONE),
            (Axis::Latitude, 'S') | (Axis::Longitude, 'W') => Some(Decimal::NEGATIVE_ONE),
            _ => None,
        }
    }
}

/// Parses `text` as a coordinate on `axis`; the error says what was wrong.
pub fn parse(text: &str, axis: Axis) -> Result<Decimal, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("is empty".into());
    }
    let mut sign = Decimal::ONE;
    let mut hemisphere = None;
    let mut body = String::new();
    for c in text.chars() {
        if c.is_ascii_alphabetic() {
            let s = axis.hemisphere_sign(c).ok_or_else(|| {
                let want = match axis {
                    Axis::Latitude => "N or S",
                    Axis::Longitude => "E or W",
                };
                format!("'{c}' is not a hemisphere here (use {want})")
            })?;
            if hemisphere.replace(s).is_some() {
                return Err("gives the hemisphere twice".into());
            }
            body.push(' ');
        } else if matches!(c, '°' | '\'' | '"' | '′' | '″' | '’' | '”' | ',' | ';') {
            body.push(' ');
        } else {
            body.push(c);
        }
    }
    let parts: Vec<&str> = body.split_whitespace().collect();
    if parts.is_empty() || parts.len() > 3 {
        return Err("is not degrees, or degrees minutes seconds".into());
    }
    let mut numbers = Vec::with_capacity(parts.len());
    for (i, p) in parts.iter().enumerate() {
        let mut p = *p;
        if i == 0 {
            if let Some(rest) = p.strip_prefix('-') {
                sign = Decimal::NEGATIVE_ONE;
                p = rest;
            } else if let Some(rest) = p.strip_prefix('+') {
                p = rest;
            }
        }
        let n = Decimal::from_str(p).map_err(|_| format!("'{p}' is not a number"))?;
        if n.is_sign_negative() {
            return Err(format!("'{p}': only the degrees may carry a sign"));
        }
        numbers.push(n);
    }
    if hemisphere.is_some() && sign.is_sign_negative() {
        return Err("gives both a minus sign and a hemisphere".into());
    }
    let sixty = Decimal::from(60);
    for (i, n) in numbers.iter().enumerate().skip(1) {
        if *n >= sixty {
            let what = if i == 1 { "minutes" } else { "seconds" };
            return Err(format!("{what} must be below 60"));
        }
        if numbers[..i].iter().any(|prev| !prev.fract().is_zero()) {
            return Err("only the last part may have decimals".into());
        }
    }
    let mut degrees = numbers[0];
    if let Some(m) = numbers.get(1) {
        degrees += m / sixty;
    }
    if let Some(s) = numbers.get(2) {
        degrees += s / Decimal::from(3600);
    }
    let value = (degrees * sign * hemisphere.unwrap_or(Decimal::ONE))
        .round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero);
    if value.abs() > axis.limit() {
        return Err(format!(
            "must be between -{0} and {0} degrees",
            axis.limit()
        ));
    }
    Ok(value.normalize())
}

/// Parses a latitude and longitude pasted together, as maps and cameras give
/// them: `16°04'10.6"N 108°05'32.3"E`, `N 16 4 10.6 E 108 5 32.3`,
/// `16.0696, 108.0923` (latitude first unless the hemispheres say otherwise).
/// `None` when `text` is not two coordinates (one alone, say).
pub fn parse_pair(text: &str) -> Option<Result<(Decimal, Decimal), String>> {
    let (a, b) = split_pair(text.trim())?;
    let is_lon = |part: &str| {
        part.chars()
            .any(|c| matches!(c.to_ascii_uppercase(), 'E' | 'W'))
    };
    let (lat, lon) = if is_lon(a) && !is_lon(b) {
        (b, a)
    } else {
        (a, b)
    };
    Some(
        parse(lat, Axis::Latitude)
            .map_err(|why| format!("latitude '{}' {why}", lat.trim()))
            .and_then(|lat_v| {
                parse(lon, Axis::Longitude)
                    .map(|lon_v| (lat_v, lon_v))
                    .map_err(|why| format!("longitude '{}' {why}", lon.trim()))
            }),
    )
}

/// The two halves of a pair: at the hemisphere letters when there are two,
/// else at the one comma or semicolon, else at the one space between two numbers.
fn split_pair(text: &str) -> Option<(&str, &str)> {
    let letters: Vec<(usize, char)> = text
        .char_indices()
        .filter(|(_, c)| c.is_ascii_alphabetic())
        .collect();
    if let [(first, c1), (second, _)] = letters.as_slice() {
        // Letters before the numbers (`N 16 … E 108 …`) or after them (`16…N 108…E`).
        let at = if text[..*first].trim().is_empty() {
            *second
        } else {
            first + c1.len_utf8()
        };
        let (a, b) = text.split_at(at);
        return (!a.trim().is_empty() && !b.trim().is_empty()).then_some((a, b));
    }
    if !letters.is_empty() {
        return None;
    }
    let separators: Vec<usize> = text.match_indices([',', ';']).map(|(i, _)| i).collect();
    if let [at] = separators.as_slice() {
        return Some((&text[..*at], &text[at + 1..]));
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    match (separators.is_empty(), words.as_slice()) {
        (true, [a, b])
            if ![a, b]
                .iter()
                .any(|w| w.contains(['°', '\'', '"', '′', '″'])) =>
        {
            Some((a, b))
        }
        _ => None,
    }
}

/// Decimal degrees as degrees, minutes and seconds to a tenth
/// (`16°04'10.6"N`), as printed beside the decimal form.
pub fn to_dms(value: Decimal, axis: Axis) -> String {
    let hemisphere = match (axis, value.is_sign_negative()) {
        (Axis::Latitude, false) => 'N',
        (Axis::Latitude, true) => 'S',
        (Axis::Longitude, false) => 'E',
        (Axis::Longitude, true) => 'W',
    };
    // Whole tenths of a second, so rounding never shows 60".
    let tenths = (value.abs() * Decimal::from(36_000))
        .round()
        .to_u64()
        .unwrap_or(0);
    let (deg, rest) = (tenths / 36_000, tenths % 36_000);
    let (min, sec) = (rest / 600, rest % 600);
    format!("{deg}°{min:02}'{:02}.{}\"{hemisphere}", sec / 10, sec % 10)
}

#[cfg(test)]
mod tests {
    #[test]
    fn dms_prints_what_parse_reads_back() {
        for (v, axis, shown) in [
            ("16.069611", Axis::Latitude, "16°04'10.6\"N"),
            ("108.092306", Axis::Longitude, "108°05'32.3\"E"),
            ("-6.993194", Axis::Latitude, "6°59'35.5\"S"),
            ("-0.999999", Axis::Longitude, "1°00'00.0\"W"),
        ] {
            let value: Decimal = v.parse().unwrap();
            assert_eq!(to_dms(value, axis), shown);
            let back = parse(shown, axis).unwrap();
            assert!(
                (back - value).abs() < Decimal::new(3, 5),
                "{shown} -> {back}"
            );
        }
    }

    use super::*;

    fn lat(s: &str) -> Result<String, String> {
        parse(s, Axis::Latitude).map(|d| d.to_string())
    }
    fn lon(s: &str) -> Result<String, String> {
        parse(s, Axis::Longitude).map(|d| d.to_string())
    }

    #[test]
    fn decimal_forms() {
        assert_eq!(lat("-6.9932").unwrap(), "-6.9932");
        assert_eq!(lat("6.9932 S").unwrap(), "-6.9932");
        assert_eq!(lat("+16.054").unwrap(), "16.054");
        assert_eq!(lon("108.2022161 E").unwrap(), "108.202216");
    }

    #[test]
    fn dms_forms() {
        assert_eq!(lat("6°59'35.5\"S").unwrap(), "-6.993194");
        assert_eq!(lat("S 6 59 35.5").unwrap(), "-6.993194");
        assert_eq!(lon("110° 25′ 12″ E").unwrap(), "110.42");
        assert_eq!(lon("110 25.2 W").unwrap(), "-110.42");
    }

    #[test]
    fn a_pasted_pair_gives_both() {
        let pair = |s: &str| {
            parse_pair(s)
                .expect("a pair")
                .map(|(a, b)| (a.to_string(), b.to_string()))
        };
        let da_nang = Ok(("16.069611".to_string(), "108.092306".to_string()));
        assert_eq!(pair("16°04'10.6\"N 108°05'32.3\"E"), da_nang);
        assert_eq!(pair("N 16 4 10.6 E 108 5 32.3"), da_nang);
        assert_eq!(pair("108°05'32.3\"E, 16°04'10.6\"N"), da_nang);
        assert_eq!(
            pair("16.0696, 108.0923"),
            Ok(("16.0696".into(), "108.0923".into()))
        );
        assert_eq!(
            pair("-6.9932 110.4203"),
            Ok(("-6.9932".into(), "110.4203".into()))
        );
        assert!(pair("95, 108").unwrap_err().starts_with("latitude '95'"));
        // One coordinate is not a pair.
        for one in ["16.0696", "6°59'35.5\"S", "S 6 59 35.5", "6 59 35"] {
            assert!(parse_pair(one).is_none(), "{one}");
        }
    }

    #[test]
    fn bad_input_says_why() {
        assert!(lat("91").unwrap_err().contains("between -90 and 90"));
        assert!(lon("181").unwrap_err().contains("180"));
        assert!(lat("6 E").unwrap_err().contains("hemisphere"));
        assert!(lat("6 61 0 N").unwrap_err().contains("minutes"));
        assert!(lat("abc").is_err());
        assert!(lat("").is_err());
        assert!(lat("-6 S").unwrap_err().contains("both"));
        assert!(lat("6.5 30").unwrap_err().contains("last part"));
    }
}
