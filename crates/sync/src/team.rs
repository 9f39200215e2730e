//! `fieldbook team init | join | add-device | revoke | show`. The laptop's
//! signing key, the team's project id, name and key live in the database's
//! local settings (never in a bundle); the devices of the team in its
//! `team_device` table, each with the roster entry that vouches for it.

use fieldbook_bundle::roster::{Admin, RosterEntry, Trust, TrustMemo};
use fieldbook_bundle::team::{Invite, JoinRequest, KdfParams, Member};
use fieldbook_bundle::{fingerprint, DeviceKey, ProjectKey};
use fieldbook_store::Store;
use serde::Serialize;

use crate::error::SyncError;

const DEVICE_KEY: &str = "sync.device_key";
const PROJECT_ID: &str = "sync.project_id";
const TEAM_NAME: &str = "sync.team_name";
const PROJECT_KEY: &str = "sync.project_key";
const ROSTER: &str = "sync.roster";

fn unhex32(s: &str) -> Option<[u8; 32]> {
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
        out[i] = u8::from_str_radix(std::str::from_utf8(chunk).ok()?, 16).ok()?;
    }
    Some(out)
}

/// This laptop's signing key, made on first use.
pub(crate) fn device_key(store: &Store) -> Result<DeviceKey, SyncError> {
    if let Some(secret) = store.setting(DEVICE_KEY)? {
        let bytes = unhex32(&secret).ok_or_else(|| SyncError::BadSettings("device key".into()))?;
        return Ok(DeviceKey::from_bytes(&bytes));
    }
    let key = DeviceKey::generate();
    store.set_setting(DEVICE_KEY, &hex::encode(key.to_bytes()))?;
    Ok(key)
}

/// The team this laptop belongs to.
pub(crate) struct Team {
    pub project_id: String,
    pub name: String,
    pub key: ProjectKey,
    pub device: DeviceKey,
}

pub(crate) fn team(store: &Store) -> Result<Team, SyncError> {
    let (Some(project_id), Some(name), Some(key)) = (
        store.setting(PROJECT_ID)?,
        store.setting(TEAM_NAME)?,
        store.setting(PROJECT_KEY)?,
    ) else {
        return Err(SyncError::NoTeam);
    };
    let key = unhex32(&key).ok_or_else(|| SyncError::BadSettings("project key".into()))?;
    Ok(Team {
        project_id,
        name,
        key: ProjectKey::from_bytes(key),
        device: device_key(store)?,
    })
}

fn not_in_a_team(store: &Store) -> Result<(), SyncError> {
    match store.setting(TEAM_NAME)? {
        Some(name) => Err(SyncError::AlreadyInTeam(name)),
        None => Ok(()),
    }
}

fn join_team(
    store: &Store,
    project_id: &str,
    name: &str,
    key: &ProjectKey,
) -> Result<(), SyncError> {
    store.set_setting(PROJECT_ID, project_id)?;
    store.set_setting(TEAM_NAME, name)?;
    store.set_setting(PROJECT_KEY, &hex::encode(key.to_bytes()))?;
    Ok(())
}

/// Every roster entry this laptop holds (from its own actions and every
/// bundle whose sender's signature it checked), as they travel in bundles.
pub(crate) fn roster(store: &Store) -> Result<Vec<RosterEntry>, SyncError> {
    Ok(store
        .setting(ROSTER)?
        .map(|r| serde_json::from_str(&r))
        .transpose()
        .map_err(|e| SyncError::BadSettings(format!("roster: {e}")))?
        .unwrap_or_default())
}

/// The team's first device, which this laptop trusts without a roster
/// entry: the inviter it joined through (its row has no enroller and is not
/// this laptop's), or this laptop if it started the team.
pub(crate) fn admin(store: &Store) -> Result<Admin, SyncError> {
    let me = store.device_id();
    let devices = store.team_devices()?;
    let d = devices
        .iter()
        .find(|d| d.actor != me && d.added_by.is_none())
        .or_else(|| devices.iter().find(|d| d.actor == me))
        .ok_or(SyncError::NoTeam)?;
    let key = unhex32(&d.public_key).ok_or_else(|| SyncError::BadSettings("device key".into()))?;
    Ok(Admin {
        actor: d.actor.clone(),
        key,
    })
}

/// This laptop's roster with `incoming` entries added.
pub(crate) fn roster_with(
    store: &Store,
    incoming: &[RosterEntry],
) -> Result<Vec<RosterEntry>, SyncError> {
    let mut all = roster(store)?;
    for e in incoming {
        if !all.contains(e) {
            all.push(e.clone());
        }
    }
    Ok(all)
}

/// The team as `roster` makes it, from this laptop's admin.
pub(crate) fn team_trust(store: &Store, roster: &[RosterEntry]) -> Result<Trust, SyncError> {
    let project_id = store.setting(PROJECT_ID)?.ok_or(SyncError::NoTeam)?;
    Ok(DECIDED
        .trust(&project_id, &admin(store)?, roster)
        .as_ref()
        .clone())
}

/// The last few teams this process decided (a sync imports many bundles
/// carrying the same roster).
static DECIDED: TrustMemo = TrustMemo::new(4);

/// The team as this laptop sees it.
pub(crate) fn current_trust(store: &Store) -> Result<Trust, SyncError> {
    team_trust(store, &roster(store)?)
}

/// Keeps `all` as this laptop's roster and brings its team devices in line
/// with `trust`: trusted devices listed (with the member that enrolled
/// them), revoked ones — and those no one trusted vouches for any more —
/// marked revoked. Returns how many devices changed status.
pub(crate) fn learn(store: &Store, trust: &Trust, all: &[RosterEntry]) -> Result<usize, SyncError> {
    store.set_setting(
        ROSTER,
        &serde_json::to_string(all).expect("roster entries serialise"),
    )?;
    let me = store.device_id();
    let devices = store.team_devices()?;
    let mut changed = 0;
    for e in trust.accepted.iter().filter(|e| !e.revoked) {
        let actor = &e.device.actor;
        let row = devices.iter().find(|d| &d.actor == actor);
        if trust.active.contains_key(actor) && row.is_none_or(|d| d.revoked_at.is_some()) {
            store.add_team_device(
                actor,
                &hex::encode(e.device.public_key),
                &e.device.label,
                Some(&e.signer),
            )?;
            store.reinstate_team_device(actor)?;
            changed += 1;
        }
    }
    // This laptop stays listed while it waits to be enrolled.
    for d in devices.iter().filter(|d| d.revoked_at.is_none()) {
        let untrusted = !trust.active.contains_key(&d.actor) && d.actor != me;
        if untrusted || trust.revoked.contains(&d.actor) {
            store.revoke_team_device(&d.actor, None)?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// Learns signed roster entries from elsewhere (the team hub): they count
/// as far as trust from the team's first device reaches, as a bundle's do.
/// Returns how many devices changed status.
pub fn learn_roster(store: &Store, incoming: &[RosterEntry]) -> Result<usize, SyncError> {
    let all = roster_with(store, incoming)?;
    if all.len() == roster(store)?.len() {
        return Ok(0);
    }
    learn(store, &team_trust(store, &all)?, &all)
}

/// Adds an entry this laptop signed to its roster.
fn sign_and_learn(store: &Store, entry: RosterEntry) -> Result<(), SyncError> {
    let all = roster_with(store, std::slice::from_ref(&entry))?;
    learn(store, &team_trust(store, &all)?, &all)?;
    Ok(())
}

fn me(store: &Store, key: &DeviceKey, label: &str) -> Member {
    Member::new(store.device_id(), key, label)
}

/// Starts a team with this laptop as its first device; returns the invite
/// file (the project key sealed with `passphrase`).
pub fn init(
    store: &Store,
    name: &str,
    label: &str,
    passphrase: &str,
    kdf: KdfParams,
) -> Result<Vec<u8>, SyncError> {
    not_in_a_team(store)?;
    let key = device_key(store)?;
    let project_id = uuid::Uuid::now_v7().to_string();
    let project_key = ProjectKey::generate();
    let inviter = me(store, &key, label);
    let invite = Invite::create(name, &project_id, &project_key, passphrase, &inviter, kdf)?;
    join_team(store, &project_id, name, &project_key)?;
    // The first device vouches for itself; every other laptop takes it on
    // trust from the invite it opened with the passphrase.
    store.add_team_device(store.device_id(), &hex::encode(key.public()), label, None)?;
    sign_and_learn(
        store,
        RosterEntry::sign(&project_id, &inviter, false, store.device_id(), &key),
    )?;
    Ok(invite)
}

/// Joins the team of `invite`; returns the join request to send back to the
/// inviter (or any member), who enrols this laptop with `add_device`.
pub fn join(
    store: &Store,
    invite: &[u8],
    passphrase: &str,
    label: &str,
) -> Result<Vec<u8>, SyncError> {
    not_in_a_team(store)?;
    let (invite, project_key) = Invite::open(invite, passphrase)?;
    let key = device_key(store)?;
    join_team(store, &invite.project_id, &invite.team_name, &project_key)?;
    // Trusted because the passphrase opened the invite.
    store.add_team_device(
        &invite.inviter.actor,
        &hex::encode(invite.inviter.public_key),
        &invite.inviter.label,
        None,
    )?;
    store.add_team_device(store.device_id(), &hex::encode(key.public()), label, None)?;
    Ok(JoinRequest::create(
        &key,
        store.device_id(),
        label,
        &invite.project_id,
    ))
}

/// Enrols the device of a join request; returns it. A request that names a
/// device of the team under another key is refused: it is an impostor (or a
/// laptop that lost its key, which must join again under a new id).
pub fn add_device(store: &Store, request: &[u8]) -> Result<DeviceView, SyncError> {
    let t = team(store)?;
    let request = JoinRequest::verify(request)?;
    if request.project_id != t.project_id {
        return Err(SyncError::OtherTeam(request.project_id));
    }
    let known = store
        .team_devices()?
        .into_iter()
        .find(|d| d.actor == request.device.actor);
    if known.is_some_and(|d| d.public_key != hex::encode(request.device.public_key)) {
        return Err(SyncError::DeviceKeyConflict(request.device.actor));
    }
    let entry = RosterEntry::sign(
        &t.project_id,
        &request.device,
        false,
        store.device_id(),
        &t.device,
    );
    sign_and_learn(store, entry)?;
    view(store, &request.device.actor)
}

/// Revokes a device: this laptop refuses its bundles from now on, and the
/// signed revocation travels in every bundle this laptop sends. Only the
/// device that enrolled it, or the team's first device, may; no one may
/// revoke the first device.
pub fn revoke(store: &Store, actor: &str) -> Result<DeviceView, SyncError> {
    let t = team(store)?;
    let d = store
        .team_devices()?
        .into_iter()
        .find(|d| d.actor == actor)
        .ok_or_else(|| SyncError::NoSuchDevice(actor.to_string()))?;
    let public =
        unhex32(&d.public_key).ok_or_else(|| SyncError::BadSettings("device key".into()))?;
    let member = Member {
        actor: d.actor.clone(),
        public_key: public,
        label: d.label.clone(),
    };
    if actor == admin(store)?.actor {
        return Err(SyncError::RevokeNotAllowed {
            actor: actor.to_string(),
            why: "it is the team's first device, which no one can revoke",
        });
    }
    let entry = RosterEntry::sign(&t.project_id, &member, true, store.device_id(), &t.device);
    let all = roster_with(store, std::slice::from_ref(&entry))?;
    let trust = team_trust(store, &all)?;
    if !trust.revoked.contains(actor) {
        return Err(SyncError::RevokeNotAllowed {
            actor: actor.to_string(),
            why: "only the device that enrolled it, or the team's first device, may revoke it",
        });
    }
    learn(store, &trust, &all)?;
    view(store, actor)
}

#[derive(Debug, Clone, Serialize)]
pub struct DeviceView {
    pub actor: String,
    pub label: String,
    pub fingerprint: String,
    pub this_laptop: bool,
    pub added_by: Option<String>,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TeamView {
    pub name: String,
    pub project_id: String,
    pub project_key_id: String,
    pub device: String,
    pub fingerprint: String,
    pub devices: Vec<DeviceView>,
}

fn view(store: &Store, actor: &str) -> Result<DeviceView, SyncError> {
    show(store)?
        .devices
        .into_iter()
        .find(|d| d.actor == actor)
        .ok_or_else(|| SyncError::NoSuchDevice(actor.to_string()))
}

pub fn show(store: &Store) -> Result<TeamView, SyncError> {
    let t = team(store)?;
    let devices = store
        .team_devices()?
        .into_iter()
        .map(|d| DeviceView {
            fingerprint: unhex32(&d.public_key)
                .map(|k| fingerprint(&k))
                .unwrap_or_default(),
            this_laptop: d.actor == store.device_id(),
            actor: d.actor,
            label: d.label,
            added_by: d.added_by,
            revoked_at: d.revoked_at,
        })
        .collect();
    Ok(TeamView {
        name: t.name,
        project_id: t.project_id,
        project_key_id: t.key.key_id(),
        device: store.device_id().to_string(),
        fingerprint: t.device.fingerprint(),
        devices,
    })
}
