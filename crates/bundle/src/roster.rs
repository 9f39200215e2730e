//! The team's roster as it travels in every bundle header: who is enrolled
//! and who is revoked, each entry signed by the member who enrolled or revoked
//! that device. A laptop accepts an entry only when its signer is a device it
//! already trusts, so trust spreads from the inviter a laptop joined through,
//! and a sender cannot enrol or revoke anyone by itself.

use serde::{Deserialize, Serialize};

use crate::crypto::unhex;
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

/// The roster entries a laptop can trust, given the devices it trusts already
/// (`known`): repeatedly, an entry signed by an active known device — or by a
/// device enrolled by an earlier accepted entry — is accepted. Revocations
/// come out with `revoked: true`; an entry whose signer is not trusted is
/// left out.
pub fn trusted_entries(
    project_id: &str,
    known: &dyn KeyRing,
    roster: &[RosterEntry],
) -> Vec<RosterEntry> {
    let mut accepted: Vec<RosterEntry> = Vec::new();
    let mut progress = true;
    while progress {
        progress = false;
        for entry in roster {
            if accepted.contains(entry) {
                continue;
            }
            let revoked_here = |actor: &str| {
                accepted
                    .iter()
                    .any(|a| a.revoked && a.device.actor == actor)
            };
            if revoked_here(&entry.signer) {
                continue;
            }
            let signer_key = match known.device(&entry.signer) {
                DeviceStatus::Active(k) => Some(k),
                DeviceStatus::Revoked => None,
                DeviceStatus::Unknown => accepted
                    .iter()
                    .find(|a| !a.revoked && a.device.actor == entry.signer)
                    .map(|a| a.device.public_key),
            };
            if signer_key.is_some_and(|k| entry.verify(project_id, &k)) {
                accepted.push(entry.clone());
                progress = true;
            }
        }
    }
    accepted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::MemKeyRing;

    #[test]
    fn trust_spreads_from_known_devices_and_cannot_be_forged() {
        let (a, b, c, mallory) = (
            DeviceKey::generate(),
            DeviceKey::generate(),
            DeviceKey::generate(),
            DeviceKey::generate(),
        );
        let member = |actor: &str, k: &DeviceKey| Member::new(actor, k, actor);
        let p = "project";
        let b_by_a = RosterEntry::sign(p, &member("b", &b), false, "a", &a);
        let c_by_b = RosterEntry::sign(p, &member("c", &c), false, "b", &b);
        let m_by_m = RosterEntry::sign(p, &member("m", &mallory), false, "m", &mallory);
        let mut forged = b_by_a.clone();
        forged.device.public_key = mallory.public();
        let mut known = MemKeyRing::new();
        known.add("a", a.public());
        // Listed backwards: the fixpoint still finds c through b.
        let roster = [c_by_b.clone(), m_by_m, forged, b_by_a.clone()];
        let got = trusted_entries(p, &known, &roster);
        assert_eq!(got, vec![b_by_a.clone(), c_by_b.clone()]);
        // Another project's entries do not verify.
        assert!(trusted_entries("other", &known, &roster).is_empty());
        // A revocation signed by a trusted member is accepted; what the
        // revoked device signed afterwards is not.
        let b_revoked = RosterEntry::sign(p, &member("b", &b), true, "a", &a);
        let got = trusted_entries(p, &known, &[b_revoked.clone(), c_by_b]);
        assert_eq!(got, vec![b_revoked]);
    }
}
