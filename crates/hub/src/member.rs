//! Who is asking: the device behind a bearer token, checked against the
//! team's roster on every request, so a revocation counts from the moment
//! it reaches the hub.

use std::sync::Arc;

use axum::http::HeaderMap;
use fieldbook_bundle::roster::{Admin, RosterEntry, Trust};
use fieldbook_bundle::{DeviceStatus, KeyRing};
use fieldbook_hub_wire::RefusalCode;

use crate::refusal::{refuse, Answer, Refused};
use crate::secrets::token_hash;
use crate::store::TeamRow;
use crate::Hub;

pub struct Member {
    pub team: TeamRow,
    pub actor: String,
}

impl Member {
    pub fn is_admin(&self) -> bool {
        self.actor == self.team.admin_actor
    }
}

/// The team's first device, as the hub recorded it at registration.
pub fn admin_of(team: &TeamRow) -> Answer<Admin> {
    let mut key = [0u8; 32];
    hex::decode_to_slice(&team.admin_key, &mut key).map_err(|_| {
        refuse(
            RefusalCode::Unavailable,
            "the hub's record of this team is damaged",
        )
    })?;
    Ok(Admin {
        actor: team.admin_actor.clone(),
        key,
    })
}

impl Hub {
    /// The team as the roster `entries` make it (the stored ones with what a
    /// request brings).
    pub(crate) fn trust_over(&self, team: &TeamRow, entries: &[RosterEntry]) -> Answer<Arc<Trust>> {
        Ok(self
            .trust
            .trust(&team.project_id, &admin_of(team)?, entries))
    }

    /// The team as its stored roster (of `n` entries) makes it. The stored
    /// entries are a set that only grows, so their number names them: the
    /// roster is read and decided again only when it has grown.
    async fn stored_trust(&self, team: &TeamRow, n: usize) -> Answer<Arc<Trust>> {
        let known = self
            .stored
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&team.project_id)
            .filter(|(len, _)| *len == n)
            .map(|(_, t)| Arc::clone(t));
        if let Some(t) = known {
            return Ok(t);
        }
        let entries = self.store.roster(&team.project_id).await?;
        let t = self.trust_over(team, &entries)?;
        self.stored
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(team.project_id.clone(), (entries.len(), Arc::clone(&t)));
        Ok(t)
    }

    pub(crate) async fn team(&self, project_id: &str) -> Answer<TeamRow> {
        self.store.team(project_id).await?.ok_or_else(|| {
            refuse(
                RefusalCode::WrongTeam,
                format!("this hub has no team {project_id}: enrol with `fieldbook hub enrol`"),
            )
        })
    }

    /// The device whose token `headers` carry, a member of `project_id`'s
    /// team in good standing.
    pub(crate) async fn member(&self, headers: &HeaderMap, project_id: &str) -> Answer<Member> {
        let token = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or_else(unauthorized)?;
        let row = self
            .store
            .token(&token_hash(token.trim()))
            .await?
            .ok_or_else(unauthorized)?;
        if row.revoked {
            return Err(refuse(
                RefusalCode::TokenRevoked,
                "this laptop's hub token was revoked: enrol again with a new code from a team member (`fieldbook hub invite`)",
            ));
        }
        if row.team.project_id != project_id {
            return Err(refuse(
                RefusalCode::WrongTeam,
                "this token is for another team on this hub",
            ));
        }
        let trust = self.stored_trust(&row.team, row.roster_len).await?;
        standing(&trust, &row.actor)?;
        Ok(Member {
            team: row.team,
            actor: row.actor,
        })
    }
}

/// The hub's roster entries (first, so a file cannot crowd them out) with
/// those `incoming` adds.
pub fn with_entries(mut roster: Vec<RosterEntry>, incoming: &[RosterEntry]) -> Vec<RosterEntry> {
    let known = roster.len();
    for e in incoming {
        if !roster[..known].contains(e) && !roster[known..].contains(e) {
            roster.push(e.clone());
        }
    }
    roster
}

/// Refuses a device the roster revokes or does not hold.
pub fn standing(trust: &Trust, actor: &str) -> Answer<[u8; 32]> {
    match trust.device(actor) {
        DeviceStatus::Active(key) => Ok(key),
        DeviceStatus::Revoked => Err(refuse(
            RefusalCode::DeviceRevoked,
            format!("device {actor} is revoked in the team's roster: the hub refuses it"),
        )),
        DeviceStatus::Unknown => Err(refuse(
            RefusalCode::NotAMember,
            format!(
                "device {actor} is not an active member in the roster the hub holds: \
                 have the member who enrolled it sync with the hub first"
            ),
        )),
    }
}

fn unauthorized() -> Refused {
    refuse(
        RefusalCode::Unauthorized,
        "no valid hub token: enrol this laptop with `fieldbook hub enrol` (Sync → Hub in the app)",
    )
}
