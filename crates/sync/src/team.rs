//! `fieldbook team init | join | add-device | revoke | show`. The laptop's
//! signing key, the team's project id, name and key live in the database's
//! local settings (never in a bundle); the devices of the team in its
//! `team_device` table, each with the roster entry that vouches for it.

use fieldbook_bundle::roster::RosterEntry;
use fieldbook_bundle::team::{Invite, JoinRequest, KdfParams, Member};
use fieldbook_bundle::{fingerprint, DeviceKey, DeviceStatus, KeyRing, ProjectKey};
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

/// The roster entries this laptop knows, as they travel in bundles.
pub(crate) fn roster(store: &Store) -> Result<Vec<RosterEntry>, SyncError> {
    Ok(store
        .setting(ROSTER)?
        .map(|r| serde_json::from_str(&r))
        .transpose()
        .map_err(|e| SyncError::BadSettings(format!("roster: {e}")))?
        .unwrap_or_default())
}

/// Adds roster entries this laptop accepted (from its own actions or a
/// bundle) to its roster and its team devices.
pub(crate) fn learn(store: &Store, entries: &[RosterEntry]) -> Result<(), SyncError> {
    let mut all = roster(store)?;
    for e in entries {
        if !all.contains(e) {
            all.push(e.clone());
        }
        if e.revoked {
            store.revoke_team_device(&e.device.actor, None)?;
        } else {
            store.add_team_device(
                &e.device.actor,
                &hex::encode(e.device.public_key),
                &e.device.label,
                Some(&e.signer),
            )?;
        }
    }
    store.set_setting(
        ROSTER,
        &serde_json::to_string(&all).expect("roster entries serialise"),
    )?;
    Ok(())
}

/// The team's devices as a bundle reader sees them.
pub(crate) struct StoreKeyRing(Vec<fieldbook_store::TeamDevice>);

impl StoreKeyRing {
    pub fn of(store: &Store) -> Result<StoreKeyRing, SyncError> {
        Ok(StoreKeyRing(store.team_devices()?))
    }
}

impl KeyRing for StoreKeyRing {
    fn device(&self, actor: &str) -> DeviceStatus {
        match self.0.iter().find(|d| d.actor == actor) {
            None => DeviceStatus::Unknown,
            Some(d) if d.revoked_at.is_some() => DeviceStatus::Revoked,
            Some(d) => unhex32(&d.public_key).map_or(DeviceStatus::Unknown, DeviceStatus::Active),
        }
    }
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
    learn(
        store,
        &[RosterEntry::sign(
            &project_id,
            &inviter,
            false,
            store.device_id(),
            &key,
        )],
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

/// Enrols the device of a join request; returns it.
pub fn add_device(store: &Store, request: &[u8]) -> Result<DeviceView, SyncError> {
    let t = team(store)?;
    let request = JoinRequest::verify(request)?;
    if request.project_id != t.project_id {
        return Err(SyncError::OtherTeam(request.project_id));
    }
    let entry = RosterEntry::sign(
        &t.project_id,
        &request.device,
        false,
        store.device_id(),
        &t.device,
    );
    learn(store, &[entry])?;
    view(store, &request.device.actor)
}

/// Revokes a device: this laptop refuses its bundles from now on, and the
/// signed revocation travels in every bundle this laptop sends.
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
    let entry = RosterEntry::sign(&t.project_id, &member, true, store.device_id(), &t.device);
    learn(store, &[entry])?;
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
