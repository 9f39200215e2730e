//! Enrolment and sync as a laptop does them, with what it keeps in its
//! local settings: the hub's address, this device's token for it (a secret,
//! like the device key) and how the last sync went.

use std::cell::{RefCell, RefMut};
use std::collections::BTreeMap;
use std::ops::DerefMut;
use std::sync::{Mutex, MutexGuard};

use fieldbook_hub_wire::{enrol_message, EnrolRequest, Invite, TeamAdmin};
use fieldbook_store::Store;
use fieldbook_sync::{membership, sign_as_device, Target};
use serde::Serialize;

use crate::{photos, HubClient, HubError};

const HUB_URL: &str = "hub.url";
const HUB_TOKENS: &str = "hub.tokens";
/// The team's own certificate authority (PEM) the hub's certificate must
/// chain to, when it is not one of the public authorities.
const HUB_CA: &str = "hub.ca";
const LAST_SYNC: &str = "hub.last_sync";
const LAST_ERROR: &str = "hub.last_error";
/// Bytes asked for per pull answer: a few requests catch a laptop up.
const PULL_BYTES: u64 = 32 << 20;
/// Pull rounds in one sync, at most (each at most [`PULL_BYTES`]).
const MAX_PULL_ROUNDS: usize = 64;

fn tokens(store: &Store) -> Result<BTreeMap<String, String>, HubError> {
    Ok(store
        .setting(HUB_TOKENS)?
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default())
}

/// The hub this laptop syncs with (`url`, or the one it enrolled with last)
/// and its token there.
fn client(store: &Store, url: Option<&str>) -> Result<HubClient, HubError> {
    let url = match url {
        Some(u) => u.trim().trim_end_matches('/').to_string(),
        None => store.setting(HUB_URL)?.ok_or(HubError::NotEnrolled)?,
    };
    let token = tokens(store)?
        .remove(&url)
        .ok_or_else(|| HubError::NotEnrolledWith(url.clone()))?;
    HubClient::new(&url, Some(token), store.setting(HUB_CA)?.as_deref())
}

#[derive(Debug, Clone, Serialize)]
pub struct Enrolled {
    pub hub: String,
    /// True when this enrolment registered the team on the hub.
    pub new_team: bool,
}

/// Enrols this laptop with the hub at `url` using a one-time `code`;
/// `ca_pem`, the team's certificate authority if the hub's certificate is
/// not from a public one.
pub fn enrol(
    store: &Store,
    url: &str,
    code: &str,
    ca_pem: Option<&str>,
) -> Result<Enrolled, HubError> {
    let m = membership(store)?;
    let client = HubClient::new(url, None, ca_pem)?;
    let challenge = client.challenge()?;
    let signature = sign_as_device(store, &enrol_message(&m.project_id, &m.actor, &challenge))?;
    let answer = client.enrol(&EnrolRequest {
        code: code.trim().to_string(),
        project_id: m.project_id,
        project_key_id: m.project_key_id,
        admin: TeamAdmin {
            actor: m.admin.actor,
            public_key: hex::encode(m.admin.key),
        },
        roster: m.roster,
        actor: m.actor,
        challenge,
        signature: hex::encode(signature),
    })?;
    let mut all = tokens(store)?;
    all.insert(client.url().to_string(), answer.token);
    store.set_setting(
        HUB_TOKENS,
        &serde_json::to_string(&all).expect("a map serialises"),
    )?;
    store.set_setting(HUB_URL, client.url())?;
    match ca_pem {
        Some(pem) => store.set_setting(HUB_CA, pem)?,
        None => store.clear_setting(HUB_CA)?,
    }
    Ok(Enrolled {
        hub: client.url().to_string(),
        new_team: answer.new_team,
    })
}

/// Forgets the hub: no more background sync (the hub keeps what it has).
pub fn forget(store: &Store) -> Result<(), HubError> {
    store.clear_setting(HUB_URL)?;
    store.clear_setting(LAST_SYNC)?;
    store.clear_setting(LAST_ERROR)?;
    Ok(())
}

/// A one-time code another device of the team enrols with.
pub fn invite(store: &Store) -> Result<Invite, HubError> {
    let m = membership(store)?;
    client(store, None)?.invite(&m.project_id)
}

/// Where a sync has got, for a progress indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum SyncStage {
    /// Sending this laptop's changes: part `done` of `total`.
    Pushing { done: usize, total: usize },
    /// Bundles received and imported so far, of those this pull answer
    /// brings (more answers may follow).
    Pulling { done: usize, total: usize },
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SyncOutcome {
    pub hub: String,
    /// Changes sent, and in how many bundle parts.
    pub pushed_ops: usize,
    pub pushed_parts: usize,
    /// Bundle parts received, and the changes new to this laptop.
    pub pulled_bundles: usize,
    /// Pull requests made (a laptop joining late needs few).
    pub pull_rounds: usize,
    pub ops_new: usize,
    pub photos_new: usize,
    /// Photos this laptop sent the hub (each sealed, resumable).
    pub photos_sent: usize,
    /// Bundles received that this laptop refused, each with the reason
    /// (kept by the hub; they do not stop the sync).
    pub refused: Vec<String>,
}

/// How a sync reaches the laptop's store: locked for each local step only,
/// never across a network call, so the app's editing is never blocked.
pub trait StoreLock {
    type Guard<'a>: DerefMut<Target = Store>
    where
        Self: 'a;
    fn lock_store(&self) -> Self::Guard<'_>;
}

impl StoreLock for Mutex<Store> {
    type Guard<'a> = MutexGuard<'a, Store>;
    fn lock_store(&self) -> MutexGuard<'_, Store> {
        self.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl StoreLock for RefCell<&mut Store> {
    type Guard<'a>
        = RefMut<'a, Store>
    where
        Self: 'a;
    fn lock_store(&self) -> RefMut<'_, Store> {
        RefMut::map(self.borrow_mut(), |s| &mut **s)
    }
}

/// One sync with the hub (`url`, or the enrolled one): the roster both ways
/// (so a revocation counts at once, and this laptop knows every sender),
/// then what the hub lacks, then what this laptop lacks, until it has
/// everything the hub holds.
pub fn sync(
    store: &mut Store,
    url: Option<&str>,
    progress: &dyn Fn(SyncStage),
) -> Result<SyncOutcome, HubError> {
    sync_shared(&RefCell::new(store), url, progress)
}

/// [`sync`] for a store others use meanwhile.
pub fn sync_shared<L: StoreLock>(
    store: &L,
    url: Option<&str>,
    progress: &dyn Fn(SyncStage),
) -> Result<SyncOutcome, HubError> {
    let result = sync_steps(store, url, progress);
    let s = store.lock_store();
    match &result {
        Ok(_) => {
            s.set_setting(LAST_SYNC, &chrono::Utc::now().to_rfc3339())?;
            s.clear_setting(LAST_ERROR)?;
        }
        Err(e) => s.set_setting(LAST_ERROR, &e.to_string())?,
    }
    result
}

fn sync_steps<L: StoreLock>(
    store: &L,
    url: Option<&str>,
    progress: &dyn Fn(SyncStage),
) -> Result<SyncOutcome, HubError> {
    let (client, m) = {
        let s = store.lock_store();
        (client(&s, url)?, membership(&s)?)
    };
    let project = m.project_id.as_str();
    let mut outcome = SyncOutcome {
        hub: client.url().to_string(),
        ..SyncOutcome::default()
    };
    let hub_roster = client.push_roster(project, &m.roster)?.roster;
    store
        .lock_store()
        .atomically(|s| fieldbook_sync::learn_roster(s, &hub_roster))?;

    let hub_vv = client.vv(project)?;
    // The changes alone: photos follow, sealed one by one, resumably.
    let export = fieldbook_sync::export_changes(&store.lock_store(), &Target::Have(hub_vv))?;
    if export.ops > 0 {
        let total = export.parts.len();
        for (i, part) in export.parts.iter().enumerate() {
            progress(SyncStage::Pushing { done: i, total });
            client.push(project, part)?;
        }
        outcome.pushed_ops = export.ops;
        outcome.pushed_parts = total;
    }
    outcome.photos_sent = photos::send(store, &client, project)?;

    for _ in 0..MAX_PULL_ROUNDS {
        let have = store.lock_store().version_vector()?;
        outcome.pull_rounds += 1;
        let end = client.pull(project, &have, PULL_BYTES, &mut |bytes, total| {
            outcome.pulled_bundles += 1;
            match fieldbook_sync::import(&mut store.lock_store(), &bytes) {
                Ok(report) => {
                    outcome.ops_new += report.summary.ops_new;
                    outcome.photos_new += report.photos_new;
                }
                Err(fieldbook_sync::SyncError::Store(e)) => return Err(e.into()),
                Err(e) => outcome.refused.push(e.to_string()),
            }
            progress(SyncStage::Pulling {
                done: outcome.pulled_bundles,
                total,
            });
            Ok(())
        })?;
        // Pull again only while it brings something: bundles this laptop
        // refuses must not make it ask for ever.
        if !end.more || store.lock_store().version_vector()? == have {
            break;
        }
    }
    let fetched = photos::fetch(store, &client, project)?;
    outcome.photos_new += fetched.kept;
    outcome.refused.extend(fetched.refused);
    Ok(outcome)
}

#[derive(Debug, Clone, Serialize)]
pub struct HubStatus {
    pub hub: Option<String>,
    pub last_sync: Option<String>,
    pub last_error: Option<String>,
    /// Whether the hub answered just now (`None`: not asked, not enrolled).
    pub reachable: Option<bool>,
    /// Changes this laptop holds that the hub lacks, and the reverse.
    pub to_push: Option<u64>,
    pub to_pull: Option<u64>,
}

/// How this laptop stands with its hub; asks the hub when `ask` is true.
pub fn status(store: &Store, ask: bool) -> Result<HubStatus, HubError> {
    let mut s = HubStatus {
        hub: store.setting(HUB_URL)?,
        last_sync: store.setting(LAST_SYNC)?,
        last_error: store.setting(LAST_ERROR)?,
        reachable: None,
        to_push: None,
        to_pull: None,
    };
    if !ask || s.hub.is_none() {
        return Ok(s);
    }
    let client = client(store, None)?;
    match client.vv(&membership(store)?.project_id) {
        Ok(hub_vv) => {
            let mine = store.version_vector()?;
            let beyond = |a: &BTreeMap<String, u64>, b: &BTreeMap<String, u64>| {
                a.iter()
                    .map(|(actor, top)| top.saturating_sub(b.get(actor).copied().unwrap_or(0)))
                    .sum()
            };
            s.reachable = Some(true);
            s.to_push = Some(beyond(&mine, &hub_vv));
            s.to_pull = Some(beyond(&hub_vv, &mine));
        }
        Err(e) if e.is_transient() => s.reachable = Some(false),
        Err(e) => return Err(e),
    }
    Ok(s)
}
