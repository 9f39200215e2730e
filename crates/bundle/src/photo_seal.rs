//! A photo as it travels through the team hub, apart from any bundle:
//! sealed under the project key, so the hub stores what it cannot read.
//! The same photo always seals to the same bytes (the nonce comes from the
//! key and the photo's hash), so an upload cut off and resumed later, even
//! from another laptop, continues the same ciphertext. The photo's hash is
//! its name on the hub and is bound to the ciphertext: a sealed photo
//! served under another name does not open.

use crate::crypto::{is_hex64, open, seal, sha256, NONCE_PREFIX};
use crate::error::BundleError;
use crate::keys::ProjectKey;

/// What a sealed photo is bound to, besides the key.
fn aad(sha256_hex: &str) -> Vec<u8> {
    format!("fieldbook photo v1 {sha256_hex}").into_bytes()
}

/// The nonce prefix: a hash of the key and the photo's name, so that no
/// two photos share one under a key.
fn prefix(key: &ProjectKey, sha256_hex: &str) -> [u8; NONCE_PREFIX] {
    let mut input = b"fieldbook photo nonce v1 ".to_vec();
    input.extend_from_slice(key.bytes());
    input.extend_from_slice(sha256_hex.as_bytes());
    let mut out = [0u8; NONCE_PREFIX];
    out.copy_from_slice(&sha256(&input)[..NONCE_PREFIX]);
    out
}

/// Seals `plain`, whose SHA-256 is `sha256_hex`, under the project key.
pub fn seal_photo(key: &ProjectKey, sha256_hex: &str, plain: &[u8]) -> Vec<u8> {
    seal(
        key.bytes(),
        &prefix(key, sha256_hex),
        &aad(sha256_hex),
        plain,
    )
}

/// Opens a sealed photo and checks that its content has the hash it is
/// named by; anything altered, cut or misnamed is refused.
pub fn open_photo(
    key: &ProjectKey,
    sha256_hex: &str,
    sealed: &[u8],
) -> Result<Vec<u8>, BundleError> {
    let mismatch = || BundleError::BlobMismatch {
        sha256: sha256_hex.to_string(),
    };
    if !is_hex64(sha256_hex) {
        return Err(mismatch());
    }
    let plain = open(
        key.bytes(),
        &prefix(key, sha256_hex),
        &aad(sha256_hex),
        sealed,
    )
    .ok_or_else(mismatch)?;
    if hex::encode(sha256(&plain)) != sha256_hex {
        return Err(mismatch());
    }
    Ok(plain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(len: usize) -> (Vec<u8>, String) {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 253) as u8).collect();
        let sha = hex::encode(sha256(&bytes));
        (bytes, sha)
    }

    #[test]
    fn a_photo_seals_the_same_way_twice_and_opens_only_under_its_key_and_name() {
        let key = ProjectKey::from_bytes([3; 32]);
        let (bytes, sha) = photo(200_000);
        let sealed = seal_photo(&key, &sha, &bytes);
        assert_eq!(sealed, seal_photo(&key, &sha, &bytes), "resumable");
        assert!(
            !sealed.windows(64).any(|w| w == &bytes[..64]),
            "not in clear"
        );
        assert_eq!(open_photo(&key, &sha, &sealed).unwrap(), bytes);

        let other_key = ProjectKey::from_bytes([4; 32]);
        assert!(open_photo(&other_key, &sha, &sealed).is_err());
        let (_, other_sha) = photo(10);
        assert!(open_photo(&key, &other_sha, &sealed).is_err(), "misnamed");
        assert!(
            open_photo(&key, &sha, &sealed[..sealed.len() - 1]).is_err(),
            "cut"
        );
        let mut flipped = sealed.clone();
        flipped[1000] ^= 1;
        assert!(open_photo(&key, &sha, &flipped).is_err(), "altered");
        assert!(open_photo(&key, "../../etc/passwd", &sealed).is_err());
    }

    #[test]
    fn content_that_does_not_match_its_name_is_refused_even_when_sealed_under_it() {
        let key = ProjectKey::from_bytes([3; 32]);
        let (bytes, _) = photo(100);
        let (_, wrong) = photo(101);
        let sealed = seal_photo(&key, &wrong, &bytes);
        assert!(matches!(
            open_photo(&key, &wrong, &sealed),
            Err(BundleError::BlobMismatch { .. })
        ));
    }
}
