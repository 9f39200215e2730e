//! The files of `fieldbook team init | join | add-device`:
//!
//! - an **invite** (`.fbteam`): the team's name and project id, the inviting
//!   device (actor, public key, label) and the project key wrapped with a
//!   passphrase: Argon2id derives a key-encryption key from the passphrase,
//!   and XChaCha20-Poly1305 seals the project key with the file's other
//!   fields as associated data, so neither the key nor the named inviter can
//!   be changed without the passphrase failing. The passphrase travels by
//!   another channel (said aloud, or by phone).
//! - a **join request** (`.fbreq`): a device's actor, public key and label
//!   and the project it asks to join, signed by that device's key, so the
//!   admin's laptop can check that the key in the file is the key that made
//!   it before enrolling it.
//!
//! Both are small JSON documents, safe to send by email or chat.

use std::fmt;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::XChaCha20Poly1305;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::Zeroize;

use crate::crypto::{os_random, sha256, unhex};
use crate::keys::{fingerprint, verify, DeviceKey, ProjectKey};

const INVITE_FORMAT: &str = "fieldbook-team-invite";
const REQUEST_FORMAT: &str = "fieldbook-join-request";
const VERSION: u32 = 1;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TeamError {
    #[error("the passphrase does not open this invite (or the file was altered): check the passphrase with the person who sent it, letter by letter")]
    WrongPassphrase,

    #[error("this is not a Fieldbook {0} file")]
    NotATeamFile(&'static str),

    #[error("this {kind} was made by a newer version of Fieldbook (version {version}): update Fieldbook, then try again")]
    UnsupportedVersion { kind: &'static str, version: u32 },

    #[error("the {kind} file is damaged ({detail}): ask for a new one")]
    Malformed { kind: &'static str, detail: String },

    #[error("the join request's signature does not match the key in it: it was altered; ask the device's owner to make a new request")]
    BadSignature,

    #[error("this invite asks for a passphrase check costing {} MiB of memory and {} passes, more than Fieldbook spends ({} MiB, {} passes): it was not made by Fieldbook; ask for a new invite", .0.m_cost_kib / 1024, .0.t_cost, KdfParams::MAX.m_cost_kib / 1024, KdfParams::MAX.t_cost)]
    KdfTooCostly(KdfParams),

    #[error("cannot derive a key from the passphrase: {0}")]
    Kdf(String),
}

/// A device as a team file names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub actor: String,
    /// The device's Ed25519 public key (lowercase hex in the file).
    #[serde(with = "hex32")]
    pub public_key: [u8; 32],
    /// What people call the device ("Aiko's laptop").
    pub label: String,
}

impl Member {
    pub fn new(actor: &str, key: &DeviceKey, label: &str) -> Member {
        Member {
            actor: actor.to_string(),
            public_key: key.public(),
            label: label.to_string(),
        }
    }

    /// [`crate::fingerprint`] of the public key, to compare by eye.
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.public_key)
    }
}

/// Argon2id cost. The file records the values used, so `open` needs none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    pub m_cost_kib: u32,
    pub t_cost: u32,
    pub p_cost: u32,
}

impl KdfParams {
    /// 64 MiB, 3 passes, 1 lane: about 0.2 s per derivation on this
    /// project's 2-core machine (release build), once per join; above
    /// OWASP's minimum of 19 MiB × 2 passes.
    pub const DEFAULT: KdfParams = KdfParams {
        m_cost_kib: 64 * 1024,
        t_cost: 3,
        p_cost: 1,
    };

    /// Deliberately weak (64 KiB, 1 pass): for tests only, never for a real
    /// invite.
    pub const INSECURE_FOR_TESTS: KdfParams = KdfParams {
        m_cost_kib: 64,
        t_cost: 1,
        p_cost: 1,
    };

    /// Largest cost `open` will spend: 4× the default's memory and under
    /// 3× its passes, a few seconds here (a hostile invite could ask for
    /// gigabytes and minutes before the passphrase is even checked).
    pub const MAX: KdfParams = KdfParams {
        m_cost_kib: 256 * 1024,
        t_cost: 8,
        p_cost: 4,
    };
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Kdf {
    alg: String,
    #[serde(flatten)]
    params: KdfParams,
    #[serde(with = "hex16")]
    salt: [u8; 16],
}

/// The fields of an invite that are readable without the passphrase (and
/// bound to the wrapped key as associated data).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct InvitePublic {
    format: String,
    version: u32,
    team_name: String,
    project_id: String,
    inviter: Member,
    kdf: Kdf,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct InviteFile {
    #[serde(flatten)]
    public: InvitePublic,
    #[serde(with = "hex24")]
    nonce: [u8; 24],
    /// The sealed 32-byte project key and its 16-byte tag, hex.
    wrapped_key: String,
}

/// An invitation to a team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub team_name: String,
    pub project_id: String,
    /// The device that made the invite: the joining device trusts this key
    /// from the start.
    pub inviter: Member,
}

impl Invite {
    /// The invite file (`.fbteam`) for `project_id`, carrying `key` wrapped
    /// with `passphrase`. Use [`KdfParams::DEFAULT`].
    pub fn create(
        team_name: &str,
        project_id: &str,
        key: &ProjectKey,
        passphrase: &str,
        inviter: &Member,
        params: KdfParams,
    ) -> Result<Vec<u8>, TeamError> {
        let mut salt = [0u8; 16];
        os_random(&mut salt);
        let mut nonce = [0u8; 24];
        os_random(&mut nonce);
        let public = InvitePublic {
            format: INVITE_FORMAT.into(),
            version: VERSION,
            team_name: team_name.into(),
            project_id: project_id.into(),
            inviter: inviter.clone(),
            kdf: Kdf {
                alg: "argon2id".into(),
                params,
                salt,
            },
        };
        let mut kek = derive(passphrase, &public.kdf)?;
        let sealed = XChaCha20Poly1305::new((&kek).into())
            .encrypt(
                (&nonce).into(),
                Payload {
                    msg: &key.to_bytes(),
                    aad: &aad(&public),
                },
            )
            .expect("in-memory encryption cannot fail");
        kek.zeroize();
        let file = InviteFile {
            public,
            nonce,
            wrapped_key: hex::encode(&sealed),
        };
        Ok(serde_json::to_vec_pretty(&file).expect("plain data serialises"))
    }

    /// What the invite says, without the passphrase (to show "join team X,
    /// invited by Y (fingerprint …)?" before asking for it). Not verified.
    pub fn peek(bytes: &[u8]) -> Result<Invite, TeamError> {
        Ok(parse_invite(bytes)?.0)
    }

    /// The invite and the project key it carries.
    pub fn open(bytes: &[u8], passphrase: &str) -> Result<(Invite, ProjectKey), TeamError> {
        let (invite, file) = parse_invite(bytes)?;
        let p = file.public.kdf.params;
        let max = KdfParams::MAX;
        if p.m_cost_kib > max.m_cost_kib || p.t_cost > max.t_cost || p.p_cost > max.p_cost {
            return Err(TeamError::KdfTooCostly(p));
        }
        let sealed = unhex::<48>(&file.wrapped_key)
            .ok_or_else(|| malformed("invite", "the wrapped key is not 48 hex bytes"))?;
        let mut kek = derive(passphrase, &file.public.kdf)?;
        let opened = XChaCha20Poly1305::new((&kek).into()).decrypt(
            (&file.nonce).into(),
            Payload {
                msg: &sealed,
                aad: &aad(&file.public),
            },
        );
        kek.zeroize();
        let mut plain = opened.map_err(|_| TeamError::WrongPassphrase)?;
        let key: [u8; 32] = plain
            .as_slice()
            .try_into()
            .map_err(|_| TeamError::WrongPassphrase)?;
        plain.zeroize();
        Ok((invite, ProjectKey::from_bytes(key)))
    }
}

fn parse_invite(bytes: &[u8]) -> Result<(Invite, InviteFile), TeamError> {
    let kind = "invite";
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|_| TeamError::NotATeamFile(kind))?;
    check_format(&v, INVITE_FORMAT, kind)?;
    let file: InviteFile =
        serde_json::from_value(v).map_err(|e| malformed(kind, &e.to_string()))?;
    if file.public.kdf.alg != "argon2id" {
        return Err(malformed(kind, "unknown passphrase algorithm"));
    }
    let invite = Invite {
        team_name: file.public.team_name.clone(),
        project_id: file.public.project_id.clone(),
        inviter: file.public.inviter.clone(),
    };
    Ok((invite, file))
}

fn check_format(v: &serde_json::Value, format: &str, kind: &'static str) -> Result<(), TeamError> {
    if v.get("format").and_then(|f| f.as_str()) != Some(format) {
        return Err(TeamError::NotATeamFile(kind));
    }
    match v.get("version").and_then(|f| f.as_u64()) {
        Some(1) => Ok(()),
        Some(n) if n > 1 => Err(TeamError::UnsupportedVersion {
            kind,
            version: u32::try_from(n).unwrap_or(u32::MAX),
        }),
        _ => Err(malformed(kind, "no valid version")),
    }
}

fn malformed(kind: &'static str, detail: &str) -> TeamError {
    TeamError::Malformed {
        kind,
        detail: detail.to_string(),
    }
}

fn aad(public: &InvitePublic) -> [u8; 32] {
    sha256(&serde_json::to_vec(public).expect("plain data serialises"))
}

fn derive(passphrase: &str, kdf: &Kdf) -> Result<[u8; 32], TeamError> {
    let p = kdf.params;
    let params = Params::new(p.m_cost_kib, p.t_cost, p.p_cost, Some(32))
        .map_err(|e| TeamError::Kdf(e.to_string()))?;
    let mut out = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), &kdf.salt, &mut out)
        .map_err(|e| TeamError::Kdf(e.to_string()))?;
    Ok(out)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RequestBody {
    format: String,
    version: u32,
    project_id: String,
    device: Member,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct RequestFile {
    #[serde(flatten)]
    body: RequestBody,
    #[serde(with = "hex64")]
    signature: [u8; 64],
}

/// A device's request to join a project, self-signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    pub project_id: String,
    pub device: Member,
}

impl JoinRequest {
    /// The request file (`.fbreq`) of the device whose key is `key`.
    pub fn create(key: &DeviceKey, actor: &str, label: &str, project_id: &str) -> Vec<u8> {
        let body = RequestBody {
            format: REQUEST_FORMAT.into(),
            version: VERSION,
            project_id: project_id.into(),
            device: Member::new(actor, key, label),
        };
        let signature = key.sign(&request_message(&body));
        serde_json::to_vec_pretty(&RequestFile { body, signature }).expect("plain data serialises")
    }

    /// The request, if it was signed by the key it carries. Compare
    /// `project_id` with the project being joined, and the fingerprint with
    /// the one the device shows, before enrolling it.
    pub fn verify(bytes: &[u8]) -> Result<JoinRequest, TeamError> {
        let kind = "join request";
        let v: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|_| TeamError::NotATeamFile(kind))?;
        check_format(&v, REQUEST_FORMAT, kind)?;
        let file: RequestFile =
            serde_json::from_value(v).map_err(|e| malformed(kind, &e.to_string()))?;
        if !verify(
            &file.body.device.public_key,
            &request_message(&file.body),
            &file.signature,
        ) {
            return Err(TeamError::BadSignature);
        }
        Ok(JoinRequest {
            project_id: file.body.project_id,
            device: file.body.device,
        })
    }
}

fn request_message(body: &RequestBody) -> Vec<u8> {
    let mut m = b"fieldbook/join-request/v1\0".to_vec();
    m.extend_from_slice(&sha256(
        &serde_json::to_vec(body).expect("plain data serialises"),
    ));
    m
}

impl fmt::Display for Member {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}, key {})",
            self.label,
            self.actor,
            self.fingerprint()
        )
    }
}

macro_rules! hex_serde {
    ($name:ident, $n:expr) => {
        mod $name {
            use serde::{de::Error, Deserialize, Deserializer, Serializer};

            pub fn serialize<S: Serializer>(v: &[u8; $n], s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&hex::encode(v))
            }

            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; $n], D::Error> {
                let s = String::deserialize(d)?;
                crate::crypto::unhex::<$n>(&s).ok_or_else(|| {
                    D::Error::custom(concat!(
                        "expected ",
                        stringify!($n),
                        " bytes of lowercase hex"
                    ))
                })
            }
        }
    };
}
hex_serde!(hex16, 16);
hex_serde!(hex24, 24);
hex_serde!(hex32, 32);
hex_serde!(hex64, 64);

#[cfg(test)]
mod tests {
    use super::*;

    fn inviter() -> (DeviceKey, Member) {
        let k = DeviceKey::from_bytes(&[3u8; 32]);
        let m = Member::new("a1", &k, "Aiko's laptop");
        (k, m)
    }

    #[test]
    fn invite_opens_with_the_passphrase_and_only_with_it() {
        let (_, m) = inviter();
        let key = ProjectKey::generate();
        let file = Invite::create(
            "Mekong survey",
            "p1",
            &key,
            "correct horse",
            &m,
            KdfParams::INSECURE_FOR_TESTS,
        )
        .unwrap();
        let peek = Invite::peek(&file).unwrap();
        assert_eq!(peek.team_name, "Mekong survey");
        assert_eq!(peek.inviter, m);
        let (invite, got) = Invite::open(&file, "correct horse").unwrap();
        assert_eq!(got.to_bytes(), key.to_bytes());
        assert_eq!(invite.project_id, "p1");
        assert_eq!(
            Invite::open(&file, "correct hors").unwrap_err(),
            TeamError::WrongPassphrase
        );
        assert_eq!(
            Invite::open(&file, "").unwrap_err(),
            TeamError::WrongPassphrase
        );
        let msg = TeamError::WrongPassphrase.to_string();
        assert!(msg.contains("passphrase"), "{msg}");
    }

    #[test]
    fn an_invite_whose_public_fields_were_changed_does_not_open() {
        let (_, m) = inviter();
        let key = ProjectKey::generate();
        let file = Invite::create(
            "Mekong survey",
            "p1",
            &key,
            "pw",
            &m,
            KdfParams::INSECURE_FOR_TESTS,
        )
        .unwrap();
        let text = String::from_utf8(file).unwrap();
        let forged = text.replace("Aiko's laptop", "Mallory's laptop");
        assert_ne!(forged, text);
        assert_eq!(
            Invite::open(forged.as_bytes(), "pw").unwrap_err(),
            TeamError::WrongPassphrase
        );
        let other = text.replace("\"p1\"", "\"p2\"");
        assert_eq!(
            Invite::open(other.as_bytes(), "pw").unwrap_err(),
            TeamError::WrongPassphrase
        );
    }

    #[test]
    fn invite_rejects_other_files_future_versions_and_absurd_costs() {
        let (_, m) = inviter();
        let key = ProjectKey::generate();
        let file =
            Invite::create("t", "p1", &key, "pw", &m, KdfParams::INSECURE_FOR_TESTS).unwrap();
        assert_eq!(
            Invite::open(b"not json", "pw").unwrap_err(),
            TeamError::NotATeamFile("invite")
        );
        let text = String::from_utf8(file).unwrap();
        let v2 = text.replace("\"version\": 1", "\"version\": 2");
        assert!(matches!(
            Invite::open(v2.as_bytes(), "pw").unwrap_err(),
            TeamError::UnsupportedVersion { version: 2, .. }
        ));
        // A cost just over the cap in each dimension is refused before any
        // key is derived; the cap itself is accepted.
        for (field, over) in [
            ("m_cost_kib\": 64", "m_cost_kib\": 262145"),
            ("t_cost\": 1", "t_cost\": 9"),
            ("p_cost\": 1", "p_cost\": 5"),
        ] {
            let costly = text.replace(field, over);
            assert_ne!(costly, text);
            let e = Invite::open(costly.as_bytes(), "pw").unwrap_err();
            assert!(matches!(e, TeamError::KdfTooCostly(_)), "{over}: {e:?}");
            assert!(e.to_string().contains("new invite"), "{e}");
        }
        let at_cap = text.replace("t_cost\": 1", "t_cost\": 8");
        assert_eq!(
            Invite::open(at_cap.as_bytes(), "pw").unwrap_err(),
            TeamError::WrongPassphrase
        );
        let req = JoinRequest::create(&DeviceKey::generate(), "b2", "x", "p1");
        assert_eq!(
            Invite::open(&req, "pw").unwrap_err(),
            TeamError::NotATeamFile("invite")
        );
    }

    #[test]
    fn join_request_verifies_its_self_signature() {
        let k = DeviceKey::generate();
        let file = JoinRequest::create(&k, "b2", "Field tablet", "p1");
        let req = JoinRequest::verify(&file).unwrap();
        assert_eq!(req.project_id, "p1");
        assert_eq!(req.device.actor, "b2");
        assert_eq!(req.device.public_key, k.public());
        assert_eq!(req.device.fingerprint(), k.fingerprint());
        let text = String::from_utf8(file).unwrap();
        for (from, to) in [
            ("\"b2\"", "\"b3\""),
            ("Field tablet", "Field tablets"),
            ("\"p1\"", "\"p2\""),
        ] {
            let forged = text.replace(from, to);
            assert_eq!(
                JoinRequest::verify(forged.as_bytes()).unwrap_err(),
                TeamError::BadSignature,
                "{from}"
            );
        }
        // Someone else's key with the original signature.
        let other = hex::encode(DeviceKey::generate().public());
        let forged = text.replace(&hex::encode(k.public()), &other);
        assert_eq!(
            JoinRequest::verify(forged.as_bytes()).unwrap_err(),
            TeamError::BadSignature
        );
    }
}
