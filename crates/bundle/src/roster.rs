//! The team's roster as it travels in every bundle header: who is enrolled
//! and who is revoked, each entry signed by the member who enrolled or revoked
//! that device. A laptop accepts an entry only when its signer is a device it
//! trusts, so trust spreads from the team's first device (whose invite every
//! laptop opened), and a sender cannot enrol or revoke anyone by itself.
//! [`trust`] decides over the whole set of entries at once, so every laptop
//! holding the same entries sees the same team.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use crate::crypto::{sha256, unhex};
use crate::keys::{verify, DeviceKey, DeviceStatus, KeyRing};
use crate::team::Member;

/// One device's enrolment, or revocation, vouched for by `signer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    pub device: Member,
    pub revoked: bool,
    /// The actor of the member that signed this entry.
    pub signer: String,
    /// Lowercase hex of the Ed25519 signature.
    pub sig: String,
}

fn message(project_id: &str, device: &Member, revoked: bool) -> Vec<u8> {
    fn field(out: &mut Vec<u8>, s: &[u8]) {
        out.extend_from_slice(&(s.len() as u32).to_le_bytes());
        out.extend_from_slice(s);
    }
    let mut m = b"fieldbook/roster/v1\0".to_vec();
    field(&mut m, project_id.as_bytes());
    field(&mut m, device.actor.as_bytes());
    field(&mut m, &device.public_key);
    field(&mut m, device.label.as_bytes());
    m.push(u8::from(revoked));
    m
}

impl RosterEntry {
    /// `signer` (with its key) enrols `device`, or revokes it.
    pub fn sign(
        project_id: &str,
        device: &Member,
        revoked: bool,
        signer: &str,
        key: &DeviceKey,
    ) -> RosterEntry {
        RosterEntry {
            device: device.clone(),
            revoked,
            signer: signer.to_string(),
            sig: hex::encode(key.sign(&message(project_id, device, revoked))),
        }
    }

    /// Whether `signer_public` made this entry's signature.
    pub fn verify(&self, project_id: &str, signer_public: &[u8; 32]) -> bool {
        unhex::<64>(&self.sig).is_some_and(|sig| {
            verify(
                signer_public,
                &message(project_id, &self.device, self.revoked),
                &sig,
            )
        })
    }
}

/// The one device every laptop of a team trusts without a roster entry: the
/// team's first device (the admin: the laptop that started the team, whose
/// invite every other laptop opened). All trust comes from it, so laptops
/// holding the same roster entries see the same team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admin {
    pub actor: String,
    pub key: [u8; 32],
}

/// Who a laptop trusts, decided from the admin and every roster entry it
/// holds, taken as a set: the same entries give the same team on every
/// laptop whatever their order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trust {
    /// The entries that hold, in roster order: enrolments of trusted devices
    /// by trusted devices, and the revocations that count.
    pub accepted: Vec<RosterEntry>,
    /// Trusted devices and their keys.
    pub active: BTreeMap<String, [u8; 32]>,
    /// Devices revoked by a revocation that counts.
    pub revoked: BTreeSet<String>,
}

impl KeyRing for Trust {
    fn device(&self, actor: &str) -> DeviceStatus {
        if self.revoked.contains(actor) {
            return DeviceStatus::Revoked;
        }
        self.active
            .get(actor)
            .map_or(DeviceStatus::Unknown, |k| DeviceStatus::Active(*k))
    }
}

/// The keys `actor` may sign with, as the roster names them (unchecked:
/// cheap, to check a file's signature before any roster signature).
pub fn candidate_keys(admin: &Admin, roster: &[RosterEntry], actor: &str) -> Vec<[u8; 32]> {
    if actor == admin.actor {
        return vec![admin.key];
    }
    let mut keys: Vec<[u8; 32]> = Vec::new();
    for e in roster
        .iter()
        .filter(|e| !e.revoked && e.device.actor == actor)
    {
        if !keys.contains(&e.device.public_key) {
            keys.push(e.device.public_key);
        }
    }
    keys
}

/// The one key each device goes by: the admin's own, else the key every
/// enrolment of it names — counting only enrolments signed under a key
/// their signer may sign with, and no self-enrolment but the admin's. A
/// device enrolled under two keys has none (an impostor reusing its id
/// cannot be told from it), and neither key counts.
fn device_keys(
    project_id: &str,
    admin: &Admin,
    roster: &[RosterEntry],
) -> BTreeMap<String, [u8; 32]> {
    let mut claims: BTreeMap<&str, BTreeSet<[u8; 32]>> = BTreeMap::new();
    for e in roster
        .iter()
        .filter(|e| !e.revoked && e.signer != e.device.actor)
    {
        let signed = candidate_keys(admin, roster, &e.signer)
            .iter()
            .any(|k| e.verify(project_id, k));
        if signed {
            claims
                .entry(e.device.actor.as_str())
                .or_default()
                .insert(e.device.public_key);
        }
    }
    let mut keys: BTreeMap<String, [u8; 32]> = claims
        .into_iter()
        .filter(|(actor, _)| *actor != admin.actor)
        .filter_map(|(actor, ks)| {
            let mut ks = ks.into_iter();
            match (ks.next(), ks.next()) {
                (Some(k), None) => Some((actor.to_string(), k)),
                _ => None,
            }
        })
        .collect();
    keys.insert(admin.actor.clone(), admin.key);
    keys
}

/// Decides the team over the whole roster, in three steps:
/// 1. an entry counts only if it names its device under the device's one
///    key and is signed under its signer's one key;
/// 2. revocations: every device reachable from the admin through
///    enrolments (revocations aside) may revoke a device it enrolled, and
///    the admin any device but itself; every such revocation holds, all at
///    once (two devices that enrolled each other and revoke each other are
///    both revoked);
/// 3. trust: reachable from the admin through enrolments signed by trusted
///    devices, never through a revoked one (an enrolment signed by a
///    revoked device does not count, whenever it was made).
pub fn trust(project_id: &str, admin: &Admin, roster: &[RosterEntry]) -> Trust {
    let keys = device_keys(project_id, admin, roster);
    let mut valid: Vec<&RosterEntry> = Vec::new();
    for e in roster {
        let named_right = keys.get(&e.device.actor) == Some(&e.device.public_key);
        let signed = keys.get(&e.signer).is_some_and(|k| e.verify(project_id, k));
        if named_right && signed && !valid.contains(&e) {
            valid.push(e);
        }
    }
    let (revocations, enrolments): (Vec<&RosterEntry>, Vec<&RosterEntry>) =
        valid.into_iter().partition(|e| e.revoked);
    let reach = |revoked: &BTreeSet<String>| {
        let mut trusted: BTreeSet<&str> = BTreeSet::from([admin.actor.as_str()]);
        let mut grew = true;
        while grew {
            grew = false;
            for e in &enrolments {
                let device = e.device.actor.as_str();
                if trusted.contains(e.signer.as_str())
                    && !revoked.contains(device)
                    && trusted.insert(device)
                {
                    grew = true;
                }
            }
        }
        trusted
    };
    let before = reach(&BTreeSet::new());
    let counts = |r: &RosterEntry| {
        let (signer, device) = (r.signer.as_str(), r.device.actor.as_str());
        before.contains(signer)
            && device != admin.actor
            && (signer == admin.actor
                || enrolments
                    .iter()
                    .any(|e| e.signer == signer && e.device.actor == device))
    };
    let revocations: Vec<&RosterEntry> = revocations.into_iter().filter(|r| counts(r)).collect();
    let revoked: BTreeSet<String> = revocations.iter().map(|r| r.device.actor.clone()).collect();
    let trusted = reach(&revoked);
    let accepted = roster
        .iter()
        .filter(|e| {
            if e.revoked {
                revocations.contains(e)
            } else {
                enrolments.contains(e)
                    && trusted.contains(e.signer.as_str())
                    && trusted.contains(e.device.actor.as_str())
            }
        })
        .fold(Vec::new(), |mut out: Vec<RosterEntry>, e| {
            if !out.contains(e) {
                out.push(e.clone());
            }
            out
        });
    let active = trusted
        .iter()
        .filter_map(|a| keys.get(*a).map(|k| (a.to_string(), *k)))
        .collect();
    Trust {
        accepted,
        active,
        revoked,
    }
}

/// Teams already decided, each remembered by a hash of everything it was
/// decided from (project, first device, every entry whole). Deciding checks
/// every roster signature; a laptop importing the hundreds of bundles a hub
/// pull brings, or a hub answering every request, would otherwise check
/// the same roster again each time. Keeps the `kept` most recent.
pub struct TrustMemo {
    kept: usize,
    decided: Mutex<Vec<([u8; 32], Arc<Trust>)>>,
}

impl TrustMemo {
    pub const fn new(kept: usize) -> TrustMemo {
        TrustMemo {
            kept,
            decided: Mutex::new(Vec::new()),
        }
    }

    /// [`trust`], remembered.
    pub fn trust(&self, project_id: &str, admin: &Admin, roster: &[RosterEntry]) -> Arc<Trust> {
        let mut from = project_id.as_bytes().to_vec();
        from.push(0);
        from.extend_from_slice(admin.actor.as_bytes());
        from.push(0);
        from.extend_from_slice(&admin.key);
        from.extend(serde_json::to_vec(roster).expect("roster entries serialise"));
        let key = sha256(&from);
        let mut decided = self.decided.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, t)) = decided.iter().find(|(k, _)| *k == key) {
            return Arc::clone(t);
        }
        let t = Arc::new(trust(project_id, admin, roster));
        if decided.len() >= self.kept.max(1) {
            decided.remove(0);
        }
        decided.push((key, Arc::clone(&t)));
        t
    }
}
