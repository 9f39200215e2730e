//! The hub's secrets and how it keeps them: one-time codes (an id to find the
//! row, a secret kept as an Argon2id hash), bearer tokens (kept as SHA-256:
//! they are 256 random bits, so a slow hash adds nothing) and challenges.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use sha2::{Digest, Sha256};

const CODE_PREFIX: &str = "fbh1";

fn random<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).expect("the OS random source");
    out
}

/// A fresh one-time code, `fbh1-<id>-<secret>`, with its id and the hash to store.
pub struct NewCode {
    pub code: String,
    pub id: String,
    pub hash: String,
}

pub fn new_code() -> NewCode {
    let id = hex::encode(random::<6>());
    let secret = hex::encode(random::<16>());
    NewCode {
        code: format!("{CODE_PREFIX}-{id}-{secret}"),
        hash: hash_secret(&secret),
        id,
    }
}

/// Splits a code as typed or pasted into its id and secret.
pub fn parse_code(code: &str) -> Option<(String, String)> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let mut parts = code.split('-');
    let (prefix, id, secret) = (parts.next()?, parts.next()?, parts.next()?);
    let hexdigits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (prefix == CODE_PREFIX && parts.next().is_none() && hexdigits(id, 12) && hexdigits(secret, 32))
        .then(|| (id.to_ascii_lowercase(), secret.to_ascii_lowercase()))
}

/// Argon2id with the crate's defaults (19 MiB, 2 passes), as a PHC string.
fn hash_secret(secret: &str) -> String {
    let salt = SaltString::encode_b64(&random::<16>()).expect("16 bytes make a salt");
    Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .expect("Argon2id with default parameters")
        .to_string()
}

/// Whether `secret` is the one `hash` was made from (slow by design: call it
/// off the async threads).
pub fn secret_matches(secret: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(secret.as_bytes(), &h)
            .is_ok()
    })
}

/// A fresh bearer token.
pub fn new_token() -> String {
    hex::encode(random::<32>())
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh challenge: 32 random bytes in hex.
pub fn new_challenge() -> String {
    hex::encode(random::<32>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_parses_back_and_its_secret_matches_only_its_hash() {
        let c = new_code();
        let (id, secret) = parse_code(&format!(
            "  {}\n",
            c.code.to_uppercase().replace("FBH1", "fbh1")
        ))
        .unwrap();
        assert_eq!(id, c.id);
        assert!(secret_matches(&secret, &c.hash));
        assert!(!secret_matches(&secret, &new_code().hash));
        assert!(!c.hash.contains(&secret), "the secret is not stored");
    }

    #[test]
    fn malformed_codes_do_not_parse() {
        for bad in [
            "",
            "fbh1",
            "fbh1-abc-def",
            "xx-aaaaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
            "fbh1-aaaaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb-c",
        ] {
            assert!(parse_code(bad).is_none(), "{bad}");
        }
    }
}
