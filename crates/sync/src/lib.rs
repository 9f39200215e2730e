//! Sync between laptops: a team (each device with its own signing key, the
//! team sharing a project key) and bundles — every op and photo another
//! laptop lacks, in signed, encrypted files — exported from and imported into
//! a store. The file format is `fieldbook-bundle`'s; merging is the store's.

mod error;
mod exchange;
mod membership;
mod team;

pub use error::SyncError;
pub use exchange::{
    export, export_changes, import, import_reporting, inspect, keep_sealed_photo, seal_photo,
    ExportReport, ImportReport, Progress, Target,
};
pub use membership::{membership, sign_as_device, Membership};
pub use team::{add_device, init, join, learn_roster, revoke, show, DeviceView, TeamView};
