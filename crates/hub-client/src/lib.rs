//! A laptop's side of the team hub (`docs/hub-api.md`): enrol with a code,
//! ask for a code for another device, and sync — push what the hub lacks,
//! then pull what this laptop lacks — through the very export and import
//! that bundle files go through. Blocking (the CLI calls it directly, the
//! app from its background sync thread).

mod http;
mod laptop;
mod photos;

use fieldbook_hub_wire::{Refusal, RefusalCode};

pub use http::HubClient;
pub use laptop::{
    enrol, forget, invite, status, sync, sync_shared, Enrolled, HubStatus, StoreLock, SyncOutcome,
    SyncStage,
};

#[derive(Debug, thiserror::Error)]
pub enum HubError {
    #[error("'{0}' is not a hub address: give one like http://127.0.0.1:8443 or https://hub.example.org")]
    BadUrl(String),
    #[error("the hub's certificate authority file holds no PEM certificate: give the team's CA certificate (BEGIN CERTIFICATE)")]
    BadCa,
    #[error("this laptop is enrolled with no hub: enrol with `fieldbook hub enrol --hub URL --code CODE` (Sync → Hub in the app)")]
    NotEnrolled,
    #[error("this laptop is not enrolled with {0}: enrol there with `fieldbook hub enrol --hub {0} --code CODE`, or sync with the hub it enrolled with")]
    NotEnrolledWith(String),
    #[error("the hub cannot be reached ({0}); nothing was lost: this laptop syncs when it answers again")]
    Unreachable(String),
    #[error("the hub refused: {} ({})", .0.message, .0.code.as_str())]
    Refused(Refusal),
    #[error("the hub answered something this Fieldbook does not understand ({0}): update Fieldbook or the hub")]
    Protocol(String),
    #[error(transparent)]
    Sync(#[from] fieldbook_sync::SyncError),
    #[error(transparent)]
    Store(#[from] fieldbook_store::StoreError),
}

impl HubError {
    /// Whether trying again later, unchanged, may succeed (the background
    /// sync backs off and retries these; the others need a person).
    pub fn is_transient(&self) -> bool {
        match self {
            HubError::Unreachable(_) => true,
            HubError::Refused(r) => r.code.is_transient(),
            _ => false,
        }
    }

    /// The refusal's code, if the hub refused.
    pub fn code(&self) -> Option<RefusalCode> {
        match self {
            HubError::Refused(r) => Some(r.code),
            _ => None,
        }
    }
}
