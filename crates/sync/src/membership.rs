//! What a laptop tells the team hub about its team, and its proof of
//! identity. The hub is blind: it learns the team's ids, its first device
//! and the signed roster (all of which travel in every bundle header
//! anyway), never the project key.

use fieldbook_bundle::roster::{Admin, RosterEntry};
use fieldbook_store::Store;

use crate::error::SyncError;
use crate::team::{admin, device_key, roster, team};

/// This laptop's team as the hub may know it.
#[derive(Debug, Clone)]
pub struct Membership {
    pub project_id: String,
    /// The id of the project key (its hash), never the key.
    pub project_key_id: String,
    /// The team's first device, from which all trust flows.
    pub admin: Admin,
    /// Every signed roster entry this laptop holds.
    pub roster: Vec<RosterEntry>,
    /// This laptop's device id.
    pub actor: String,
}

pub fn membership(store: &Store) -> Result<Membership, SyncError> {
    let t = team(store)?;
    Ok(Membership {
        project_id: t.project_id,
        project_key_id: t.key.key_id(),
        admin: admin(store)?,
        roster: roster(store)?,
        actor: store.device_id().to_string(),
    })
}

/// `message` signed with this laptop's device key (Ed25519), to prove to the
/// hub that it holds the key its roster entry names.
pub fn sign_as_device(store: &Store, message: &[u8]) -> Result<[u8; 64], SyncError> {
    Ok(device_key(store)?.sign(message))
}
