use thiserror::Error;

/// Why a bundle could not be written or was refused on reading. Every message
/// says what the person at the laptop can do about it.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum BundleError {
    #[error("the bundle file is incomplete (cut short while copying or downloading): copy or download it again")]
    Truncated,

    #[error("this is not a Fieldbook bundle (.fsb) file")]
    BadMagic,

    #[error("this bundle was made by a newer version of Fieldbook (bundle format {major}): update Fieldbook on this laptop, then import it again")]
    UnsupportedVersion { major: u16 },

    #[error("this bundle was made by a pre-release version of Fieldbook (bundle format {major}), which this version no longer reads: ask the sender to re-export it with the current version")]
    PreRelease { major: u16 },

    #[error("the bundle file is damaged ({0}): ask the sender to export it again")]
    Corrupt(String),

    #[error("the bundle file is damaged (its checksum does not match its contents): copy it again, or ask the sender to export it again")]
    HashMismatch,

    #[error("the bundle's signature does not match the device it names as sender: it was altered or forged; do not trust it, and ask the sender to export it again")]
    BadSignature,

    #[error("device {actor} is not enrolled in this project, so its data cannot be checked: add it to the team (fieldbook team add-device), or first import a bundle that enrols it")]
    UnknownDevice { actor: String },

    #[error("device {actor} has been revoked from this project: data it signed is refused")]
    RevokedDevice { actor: String },

    #[error("this bundle is for project key {bundle_key_id}; this laptop holds {our_key_id}: join that team or ask for a bundle for this one")]
    WrongProjectKey {
        bundle_key_id: String,
        our_key_id: String,
    },

    #[error("the {section} section does not decrypt with this project's key: the file was altered or damaged; ask the sender to export it again")]
    Decrypt { section: String },

    #[error("the ops section would expand past the safety limit of {limit} bytes, so it was not unpacked (a possible decompression bomb); if the data is genuine, ask the sender to export it in smaller parts")]
    DecompressLimit { limit: u64 },

    #[error("the bundle holds {ops} changes, more than the {limit} one file may hold, so it was not unpacked: ask the sender to export it again with a current version of Fieldbook, which splits it into parts")]
    TooManyOps { ops: u64, limit: u64 },

    #[error("the bundle's changes would take more than {limit} bytes of memory once unpacked, so they were not unpacked (a possible decompression bomb); if the data is genuine, ask the sender to export it in smaller parts")]
    DecodeLimit { limit: u64 },

    #[error("the bundle's contents are malformed ({0}): ask the sender to export it again")]
    Schema(String),

    #[error("op {actor}/{seq} does not match its own hash: it was altered after it was written; the bundle is refused")]
    OpHash { actor: String, seq: u64 },

    #[error("op {actor}/{seq} does not link to the op before it: the chain of ops was altered; the bundle is refused")]
    ChainBroken { actor: String, seq: u64 },

    #[error("the ops of {actor} up to {seq} are not vouched for by that device's signed checkpoint: they were altered or forged; the bundle is refused")]
    Checkpoint { actor: String, seq: u64 },

    #[error("attachment {sha256} does not match its listed hash or size: it was altered or damaged; ask the sender to export it again")]
    BlobMismatch { sha256: String },

    #[error("attachment {sha256} is {size} bytes, more than the {limit}-byte limit: it was not imported")]
    BlobTooLarge {
        sha256: String,
        size: u64,
        limit: u64,
    },

    #[error("cannot write the bundle: {0}")]
    Invalid(String),
}

impl BundleError {
    /// True when the file itself is bad (damaged, forged, malformed, or the
    /// data handed to `write` is inconsistent): retrying the same bytes can
    /// never succeed. False when a change on this laptop could make the same
    /// file importable: enrolling its device ([`BundleError::UnknownDevice`]),
    /// holding the right project key, or updating the app.
    pub fn is_permanent(&self) -> bool {
        !matches!(
            self,
            BundleError::UnknownDevice { .. }
                | BundleError::WrongProjectKey { .. }
                | BundleError::UnsupportedVersion { .. }
        )
    }
}
