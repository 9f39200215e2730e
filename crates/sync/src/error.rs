use fieldbook_bundle::team::TeamError;
use fieldbook_bundle::BundleError;
use fieldbook_store::StoreError;

/// What can stop a sync action. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("this laptop is in no team yet: start one with `fieldbook team init` or join one with `fieldbook team join INVITE`")]
    NoTeam,
    #[error("this laptop is already in team {0}: a laptop belongs to one team")]
    AlreadyInTeam(String),
    #[error("the join request is for another team ({0}): ask for a request made from this team's invite")]
    OtherTeam(String),
    #[error("no device {0} in this team: see `fieldbook team show`")]
    NoSuchDevice(String),
    #[error("device {0} is already in the team under another key: this request is not from that device (or the device lost its key and must join again, under a new id); it was not enrolled")]
    DeviceKeyConflict(String),
    #[error("this laptop cannot revoke device {actor}: {why}")]
    RevokeNotAllowed { actor: String, why: &'static str },
    #[error("export cancelled: nothing was written")]
    Cancelled,
    #[error("the team settings of this laptop are damaged ({0}): restore the database from a backup or join again")]
    BadSettings(String),
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error(transparent)]
    Team(#[from] TeamError),
    #[error(transparent)]
    Store(#[from] StoreError),
}
