//! The primitives: SHA-256, lowercase hex, and XChaCha20-Poly1305 in STREAM
//! mode (the construction `age` uses: 64 KiB segments, each nonce = a random
//! 19-byte prefix | 32-bit big-endian segment counter | last-segment flag), so
//! a cut, reordered or extended ciphertext fails to decrypt.

use chacha20poly1305::aead::stream::{DecryptorBE32, EncryptorBE32};
use chacha20poly1305::aead::{KeyInit, Payload};
use chacha20poly1305::XChaCha20Poly1305;
use sha2::{Digest, Sha256};

/// Plaintext bytes per STREAM segment.
pub(crate) const SEGMENT: usize = 64 * 1024;
/// Poly1305 tag added to every segment.
pub(crate) const TAG: usize = 16;
/// Random per-section nonce prefix (24-byte XChaCha nonce minus the 5-byte
/// counter and flag).
pub(crate) const NONCE_PREFIX: usize = 19;

pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Lowercase hex only: an upper-case digit is one bit away from its
/// lower-case twin, and a flipped bit must never decode to the same value.
pub(crate) fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let b = s.as_bytes();
    if b.len() != N * 2 {
        return None;
    }
    fn digit(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = (digit(b[2 * i])? << 4) | digit(b[2 * i + 1])?;
    }
    Some(out)
}

pub(crate) fn is_hex64(s: &str) -> bool {
    unhex::<32>(s).is_some()
}

/// Fills `buf` from the operating system's random source.
pub(crate) fn os_random(buf: &mut [u8]) {
    getrandom::fill(buf).expect("the operating system's random source is available");
}

/// Number of segments a plaintext of `len` bytes is cut into (at least one:
/// an empty plaintext is one empty, tagged, last segment).
fn segments(len: usize) -> usize {
    len.div_ceil(SEGMENT).max(1)
}

/// Length of the ciphertext of a `len`-byte plaintext.
pub(crate) fn sealed_len(len: usize) -> usize {
    len + segments(len) * TAG
}

/// Length of the plaintext of a `len`-byte ciphertext, if that length is one
/// that `seal` can produce.
pub(crate) fn opened_len(len: usize) -> Option<usize> {
    let full = SEGMENT + TAG;
    let n = len.div_ceil(full).max(1);
    let plain = len.checked_sub(n * TAG)?;
    (sealed_len(plain) == len).then_some(plain)
}

pub(crate) fn seal(
    key: &[u8; 32],
    prefix: &[u8; NONCE_PREFIX],
    aad: &[u8],
    plain: &[u8],
) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut enc = EncryptorBE32::from_aead(cipher, prefix.into());
    let mut out = Vec::with_capacity(sealed_len(plain.len()));
    let mut chunks = plain.chunks(SEGMENT).peekable();
    if chunks.peek().is_none() {
        let last = enc
            .encrypt_last(Payload { msg: &[], aad })
            .expect("in-memory encryption cannot fail");
        out.extend_from_slice(&last);
        return out;
    }
    while let Some(chunk) = chunks.next() {
        let payload = Payload { msg: chunk, aad };
        if chunks.peek().is_none() {
            let last = enc
                .encrypt_last(payload)
                .expect("in-memory encryption cannot fail");
            out.extend_from_slice(&last);
            break;
        }
        let seg = enc.encrypt_next(payload).expect("fewer than 2^32 segments");
        out.extend_from_slice(&seg);
    }
    out
}

/// `None` when any segment fails to authenticate, the stream was cut at a
/// segment boundary (the last-segment flag is missing) or extended.
pub(crate) fn open(
    key: &[u8; 32],
    prefix: &[u8; NONCE_PREFIX],
    aad: &[u8],
    sealed: &[u8],
) -> Option<Vec<u8>> {
    let plain_len = opened_len(sealed.len())?;
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut dec = DecryptorBE32::from_aead(cipher, prefix.into());
    let mut out = Vec::with_capacity(plain_len);
    let mut chunks = sealed.chunks(SEGMENT + TAG).peekable();
    while let Some(chunk) = chunks.next() {
        let payload = Payload { msg: chunk, aad };
        if chunks.peek().is_none() {
            out.extend_from_slice(&dec.decrypt_last(payload).ok()?);
            return Some(out);
        }
        out.extend_from_slice(&dec.decrypt_next(payload).ok()?);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_round_trips_at_segment_boundaries_and_detects_cuts() {
        let key = [7u8; 32];
        let prefix = [9u8; NONCE_PREFIX];
        for len in [
            0,
            1,
            SEGMENT - 1,
            SEGMENT,
            SEGMENT + 1,
            2 * SEGMENT,
            2 * SEGMENT + 5,
        ] {
            let plain: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let sealed = seal(&key, &prefix, b"ad", &plain);
            assert_eq!(sealed.len(), sealed_len(len));
            assert_eq!(opened_len(sealed.len()), Some(len));
            assert_eq!(open(&key, &prefix, b"ad", &sealed).unwrap(), plain);
            assert!(open(&key, &prefix, b"ax", &sealed).is_none());
            assert!(open(&[8u8; 32], &prefix, b"ad", &sealed).is_none());
            if len > SEGMENT {
                // Cut at a segment boundary: the remaining last segment lacks the flag.
                assert!(open(&key, &prefix, b"ad", &sealed[..SEGMENT + TAG]).is_none());
            }
            for cut in [1, TAG, sealed.len() / 2] {
                if cut <= sealed.len() {
                    assert!(open(&key, &prefix, b"ad", &sealed[..sealed.len() - cut]).is_none());
                }
            }
        }
    }

    #[test]
    fn hex_is_lowercase_only() {
        let h = hex::encode([0xab, 0x01]);
        assert_eq!(h, "ab01");
        assert_eq!(unhex::<2>("ab01"), Some([0xab, 0x01]));
        assert_eq!(unhex::<2>("AB01"), None);
        assert_eq!(unhex::<2>("ab0"), None);
        assert_eq!(unhex::<2>("ab0g"), None);
    }
}
