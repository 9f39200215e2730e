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

#[cfg(test)]
mod tests {
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
