//! Keys: a device's Ed25519 signing key, the team's symmetric project key, and
//! the key ring through which the store tells this crate which devices are
//! enrolled.

use std::collections::BTreeMap;
use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use zeroize::Zeroize;

use crate::crypto::{os_random, sha256};

/// One device's (one actor's) Ed25519 signing key. It signs the checkpoints
/// of its own op chain and every bundle file it writes.
pub struct DeviceKey(SigningKey);

impl DeviceKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> DeviceKey {
        let mut seed = [0u8; 32];
        os_random(&mut seed);
        let key = DeviceKey::from_bytes(&seed);
        seed.zeroize();
        key
    }

    /// The key from its 32-byte secret seed (as stored by the app).
    pub fn from_bytes(secret: &[u8; 32]) -> DeviceKey {
        DeviceKey(SigningKey::from_bytes(secret))
    }

    /// The 32-byte secret seed. Keep it where only this device can read it.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The 32-byte public key other devices enrol.
    pub fn public(&self) -> [u8; 32] {
        self.0.verifying_key().to_bytes()
    }

    /// Short, human-comparable name of the public key; see [`fingerprint`].
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.public())
    }

    /// An Ed25519 signature of `msg`.
    pub fn sign(&self, msg: &[u8]) -> [u8; 64] {
        self.0.sign(msg).to_bytes()
    }
}

impl fmt::Debug for DeviceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceKey({})", self.fingerprint())
    }
}

/// The first 8 bytes of SHA-256(public key) as 16 lowercase hex digits in
/// groups of four (`"3f2a 91c0 7d4e 0b18"`), to read aloud or compare by eye
/// when adding a device.
pub fn fingerprint(public: &[u8; 32]) -> String {
    let h = hex::encode(&sha256(public)[..8]);
    let mut s = String::with_capacity(19);
    for (i, c) in h.chars().enumerate() {
        if i > 0 && i % 4 == 0 {
            s.push(' ');
        }
        s.push(c);
    }
    s
}

/// Strict Ed25519 verification (no malleable or small-order encodings).
pub fn verify(public: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    match VerifyingKey::from_bytes(public) {
        Ok(key) => key.verify_strict(msg, &Signature::from_bytes(sig)).is_ok(),
        Err(_) => false,
    }
}

/// The team's 32-byte symmetric key: it encrypts every bundle's ops and
/// blobs. Shared when a device joins (see [`crate::team`]); zeroed on drop.
#[derive(Clone)]
pub struct ProjectKey([u8; 32]);

impl Drop for ProjectKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl ProjectKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> ProjectKey {
        let mut k = [0u8; 32];
        os_random(&mut k);
        ProjectKey(k)
    }

    pub fn from_bytes(bytes: [u8; 32]) -> ProjectKey {
        ProjectKey(bytes)
    }

    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Hex of the first 8 bytes of SHA-256(key): names the key in bundle
    /// headers and error messages without revealing it.
    pub fn key_id(&self) -> String {
        hex::encode(&sha256(&self.0)[..8])
    }
}

impl fmt::Debug for ProjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ProjectKey({})", self.key_id())
    }
}

/// What this replica knows about a device (an actor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    /// Never enrolled in this project (or its enrolment has not arrived yet).
    Unknown,
    /// Enrolled with this Ed25519 public key.
    Active([u8; 32]),
    /// Enrolled once, then revoked: nothing it signed is accepted.
    Revoked,
}

/// The enrolled devices of the project, as the store knows them.
pub trait KeyRing {
    fn device(&self, actor: &str) -> DeviceStatus;
}

/// A key ring held in memory: for tests, tools, and stores that load their
/// device table up front.
#[derive(Debug, Clone, Default)]
pub struct MemKeyRing {
    devices: BTreeMap<String, DeviceStatus>,
}

impl MemKeyRing {
    pub fn new() -> MemKeyRing {
        MemKeyRing::default()
    }

    pub fn add(&mut self, actor: &str, public: [u8; 32]) -> &mut Self {
        self.devices
            .insert(actor.to_string(), DeviceStatus::Active(public));
        self
    }

    pub fn revoke(&mut self, actor: &str) -> &mut Self {
        self.devices
            .insert(actor.to_string(), DeviceStatus::Revoked);
        self
    }
}

impl KeyRing for MemKeyRing {
    fn device(&self, actor: &str) -> DeviceStatus {
        self.devices
            .get(actor)
            .copied()
            .unwrap_or(DeviceStatus::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_key_round_trips_and_signs() {
        let k = DeviceKey::generate();
        let k2 = DeviceKey::from_bytes(&k.to_bytes());
        assert_eq!(k.public(), k2.public());
        let sig = k.sign(b"hello");
        assert!(verify(&k.public(), b"hello", &sig));
        assert!(!verify(&k.public(), b"hellO", &sig));
        assert!(!verify(&DeviceKey::generate().public(), b"hello", &sig));
        let fp = k.fingerprint();
        assert_eq!(fp.len(), 19);
        assert_eq!(fp.split(' ').count(), 4);
        assert!(format!("{k:?}").contains(&fp));
    }

    #[test]
    fn project_key_id_is_stable_and_debug_hides_the_key() {
        let k = ProjectKey::from_bytes([1u8; 32]);
        assert_eq!(k.key_id().len(), 16);
        assert_eq!(k.key_id(), ProjectKey::from_bytes([1u8; 32]).key_id());
        assert_ne!(k.key_id(), ProjectKey::generate().key_id());
        assert!(!format!("{k:?}").contains("0101"));
    }
}
