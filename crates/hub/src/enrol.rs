//! Enrolment: a device proves it holds the key the team's roster names for
//! it (a signed, single-use challenge) and spends a one-time code — the
//! hub's admin code registers its team, a device code (asked for by a
//! member) enrols another device. It gets a bearer token; the hub keeps
//! only its hash.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use fieldbook_hub_wire::{
    enrol_message, Challenge, EnrolAnswer, EnrolRequest, Invite, RefusalCode, Revoked,
};

use crate::member::{admin_of, standing, with_entries};
use crate::refusal::{refuse, Answer, Refused};
use crate::secrets::{new_challenge, new_code, new_token, parse_code, token_hash};
use crate::store::{CodeKind, CodeRow, EnrolOutcome, Enrolment, TeamRow};
use crate::{now, Hub, CHALLENGE_SECONDS};

pub async fn challenge(State(hub): State<Arc<Hub>>) -> Answer<Json<Challenge>> {
    let challenge = new_challenge();
    hub.store
        .add_challenge(&challenge, now() + CHALLENGE_SECONDS)
        .await?;
    Ok(Json(Challenge { challenge }))
}

fn bad_code(why: &str) -> Refused {
    refuse(
        RefusalCode::BadCode,
        format!("{why}: ask the hub's administrator for its admin code, or a team member for a new device code (`fieldbook hub invite`)"),
    )
}

fn wrong_team(why: &str) -> Refused {
    refuse(RefusalCode::WrongTeam, why.to_string())
}

pub async fn enrol(
    State(hub): State<Arc<Hub>>,
    request: Result<Json<EnrolRequest>, axum::extract::rejection::JsonRejection>,
) -> Answer<Json<EnrolAnswer>> {
    let Json(r) = request.map_err(|e| refuse(RefusalCode::BadRequest, e.body_text()))?;
    let (id, secret) = parse_code(&r.code).ok_or_else(|| bad_code("this is not a hub code"))?;
    let code = hub
        .store
        .code(&id)
        .await?
        .ok_or_else(|| bad_code("this hub never issued that code"))?;
    if code.spent {
        return Err(bad_code("that code was used already"));
    }
    if code.expires_at < now() {
        return Err(bad_code("that code has expired"));
    }
    if !hub.argon2.verify(secret, code.hash.clone()).await {
        return Err(bad_code("wrong code"));
    }
    let team = match code.kind {
        CodeKind::Admin => {
            if hub.store.team(&r.project_id).await?.is_some() {
                return Err(bad_code(
                    "this team is registered on the hub already; the admin code registers a new team",
                ));
            }
            let team = TeamRow {
                project_id: r.project_id.clone(),
                project_key_id: r.project_key_id.clone(),
                admin_actor: r.admin.actor.clone(),
                admin_key: r.admin.public_key.clone(),
            };
            if admin_of(&team).is_err() {
                return Err(refuse(
                    RefusalCode::BadRequest,
                    "the team's first device has no valid public key (64 hex digits)",
                ));
            }
            team
        }
        CodeKind::Device => {
            if code.project_id.as_deref() != Some(r.project_id.as_str()) {
                return Err(wrong_team("this device code is for another team"));
            }
            let team = hub.team(&r.project_id).await?;
            if team.project_key_id != r.project_key_id {
                return Err(wrong_team(
                    "this laptop's project key is not the team's on this hub",
                ));
            }
            team
        }
    };
    let roster = with_entries(hub.store.roster(&r.project_id).await?, &r.roster);
    let trust = hub.trust_over(&team, &roster)?;
    let key = standing(&trust, &r.actor)?;
    let mut sig = [0u8; 64];
    let signed = hex::decode_to_slice(&r.signature, &mut sig).is_ok()
        && fieldbook_bundle::verify(
            &key,
            &enrol_message(&r.project_id, &r.actor, &r.challenge),
            &sig,
        );
    if !signed {
        return Err(refuse(
            RefusalCode::BadSignature,
            "the enrolment is not signed by this device's key in the team's roster",
        ));
    }
    if !hub.store.take_challenge(&r.challenge, now()).await? {
        return Err(bad_code("the challenge expired or was used: enrol again"));
    }
    let token = new_token();
    let new_team = code.kind == CodeKind::Admin;
    let outcome = hub
        .store
        .enrol(Enrolment {
            code_id: id,
            new_team: new_team.then_some(team),
            project_id: r.project_id.clone(),
            roster: r.roster,
            actor: r.actor,
            token_hash: token_hash(&token),
        })
        .await?;
    match outcome {
        EnrolOutcome::Enrolled => Ok(Json(EnrolAnswer { token, new_team })),
        EnrolOutcome::CodeSpent => Err(bad_code("that code was used already")),
        EnrolOutcome::TeamExists => Err(bad_code("this team is registered on the hub already")),
    }
}

/// A one-time device code for another device of the member's team.
pub async fn invite(
    State(hub): State<Arc<Hub>>,
    Path(project): Path<String>,
    headers: HeaderMap,
) -> Answer<Json<Invite>> {
    let member = hub.member(&headers, &project).await?;
    let code = new_code();
    let hash = hub.argon2.hash(code.secret).await;
    let expires_at = now() + hub.limits.device_code_seconds;
    hub.store
        .add_code(
            &code.id,
            CodeRow {
                kind: CodeKind::Device,
                hash,
                project_id: Some(member.team.project_id),
                expires_at,
                spent: false,
            },
        )
        .await?;
    let expires_at = chrono::DateTime::from_timestamp(expires_at, 0)
        .unwrap_or_default()
        .to_rfc3339();
    Ok(Json(Invite {
        code: code.code,
        expires_at,
    }))
}

/// Revokes a device's tokens: its own, or any device's by the team's first device.
pub async fn revoke_tokens(
    State(hub): State<Arc<Hub>>,
    Path((project, actor)): Path<(String, String)>,
    headers: HeaderMap,
) -> Answer<Json<Revoked>> {
    let member = hub.member(&headers, &project).await?;
    if member.actor != actor && !member.is_admin() {
        return Err(refuse(
            RefusalCode::NotAMember,
            "only the device itself, or the team's first device, may revoke its hub tokens",
        ));
    }
    let tokens = hub.store.revoke_tokens(&project, &actor).await?;
    Ok(Json(Revoked { tokens }))
}
