//! The `.fsb` sync bundle: the file that carries ops and attachments between
//! Fieldbook replicas by USB stick, email or hub (`SYNC.md` §8.6), and the
//! team invite / join-request files ([`team`]). Pure: no database and no
//! filesystem. Everything that can be checked without the database is
//! checked by [`read`] before the store writes anything.
//!
//! # API
//! - [`DeviceKey`] (Ed25519; `generate`, `from_bytes`/`to_bytes`, `public`,
//!   `fingerprint`), [`ProjectKey`] (32 random bytes; `key_id`),
//!   [`fingerprint`] of a public key.
//! - [`KeyRing`]: `fn device(&self, actor) -> DeviceStatus` with
//!   [`DeviceStatus`]`::{Unknown, Active([u8; 32]), Revoked}`; [`MemKeyRing`]
//!   is an in-memory one.
//! - [`Bundle`] `{ header: Header, ops: Vec<Op>, checkpoints: Vec<Checkpoint>,
//!   blobs: Vec<Blob> }`; [`Header`] (with [`Range`], [`BlobRef`], [`Part`]);
//!   [`Bundle::new`] fills `header.ranges`/`header.blobs` from the ops and
//!   blobs; [`Header::new`] mints the UUIDv7 `bundle_id`; [`ranges_of`].
//! - [`checkpoint`]`(key, project_id, actor, seq, op_hash) -> Checkpoint`:
//!   an author signs the head of its chain.
//! - [`write()`]`(bundle, sender_actor, sender_key, project_key, max_part_bytes)
//!   -> Result<Vec<Vec<u8>>>`: one file, or parts (default size
//!   [`DEFAULT_MAX_PART_BYTES`] = 20 MiB).
//! - [`read()`]`(bytes, project_key, keyring, limits) -> Result<Bundle>`,
//!   [`inspect`]`(bytes) -> Result<Header>` (unverified, no keys).
//! - [`BundleError`], with [`BundleError::is_permanent`].
//!
//! # File format, version 2.0
//! ```text
//! offset  size
//! 0       8    magic "FSBNDL\r\n"          (CR-LF catches text-mode mangling)
//! 8       2    format_major = 2 (u16 LE)   a reader refuses a higher one: UnsupportedVersion
//!                                          (1 was a pre-release format: Corrupt)
//! 10      2    format_minor = 0 (u16 LE)   repeated in the header
//! 12      4    header_len (u32 LE)
//! 16      H    header: JSON of `Header` (serde, fields in declared order)
//! …            sections, each: u8 type | u64 LE len | body, in this order:
//!   0x01 OPS          nonce_prefix[19] | STREAM( zstd( op columns ) )
//!                     (postcard; no actor, seq or hashes: see below)
//!   0x02 CHECKPOINTS  JSON array of Checkpoint, one per header range, same order
//!                     (plaintext: each is signed by its author)
//!   0x03 BLOB         sha256[32] | nonce_prefix[19] | STREAM( raw bytes )
//!                     one per header.blobs entry, same order; not compressed
//!                     (photos do not compress)
//!   0x80..=0xFE       optional sections a reader skips (room for minor versions)
//! trailer 0xFF | SHA-256 of every byte before the 0xFF (32)
//!         | Ed25519 signature by the sender (64) of "fieldbook/bundle/v1\0" ‖ that hash
//!         | total file length (u64 LE) | "FSBEND\0\0"
//! ```
//! STREAM is XChaCha20-Poly1305 in the STREAM construction (`aead::stream`,
//! BE32: nonce = random per-section 19-byte prefix ‖ u32 BE segment counter ‖
//! last-segment flag), 64 KiB plaintext segments each with its 16-byte tag,
//! keyed with the project key. Its associated data is SHA-256(header bytes) ‖
//! section type (‖ the blob's sha256 for a BLOB), so a section cut short,
//! moved to another bundle, swapped with another section or paired with an
//! edited header does not decrypt. Ops are compressed, then encrypted.
//!
//! The op columns (layout in `columns.rs`) hold every field of every op but
//! its `actor` and `seq`, which follow from `header.ranges` (ops in range
//! order, each range's by ascending seq), and its `prev_hash` and `op_hash`,
//! which the reader rebuilds: a range's first op links to the genesis hash
//! at seq 1, or else to the range's starting hash that the columns carry,
//! and each later op to the hash of the one before. The checkpoint that
//! ends the range, signed by the author, must then name the last hash
//! rebuilt, so it vouches for every op of the range and their order. The
//! ops `read` returns carry both hashes, as their author made them.
//!
//! Simplifications from `SYNC.md` §8.6, and why:
//! - JSON instead of CBOR for the header and checkpoints: small, and the
//!   header is hashed as the bytes on disk, so it need not be re-encodable
//!   byte for byte. The ops are columns (postcard) instead, compressed with
//!   zstd: row-wise JSON repeated every key and shipped two random 64-digit
//!   hashes per op, and was over 20× larger compressed (see the bench). An op's
//!   `value` and `extra` fields stay JSON text inside their columns: the
//!   op hash is defined over serde JSON in `fieldbook-core`.
//! - SHA-256 instead of BLAKE3 for the trailer and associated data: one hash
//!   function for the whole sync layer (op hashes are SHA-256 already), no
//!   extra native build, and hashing is not the bottleneck.
//! - No `compression`/`encryption` fields in the header: version 2.0 always
//!   uses zstd and XChaCha20-Poly1305 STREAM; a change is a new minor or
//!   major version.
//!
//! # Checks on reading, in order
//! 1. magic, major version, lengths (`BadMagic`, `UnsupportedVersion`,
//!    `Truncated`);
//! 2. the trailer hash (`HashMismatch`);
//! 3. the project key id (`WrongProjectKey`) — before the sender's key, so a
//!    bundle from another team (whose sender this laptop cannot know) is
//!    reported as such rather than as `UnknownDevice`. Nothing is trusted
//!    on the strength of it; the bundle is refused either way;
//! 4. the sender's signature, by a device the key ring has `Active`
//!    (`UnknownDevice`, `RevokedDevice`, `BadSignature`), then the header's
//!    shape (`Schema`) and the number of ops its ranges hold (`TooManyOps`:
//!    at most `max_ops`, 500,000);
//! 5. section layout (`Corrupt`), AEAD of every segment of every section
//!    (`Decrypt`), attachment sizes (`BlobTooLarge`, [`Limits`]);
//! 6. zstd decompression within [`Limits`] (`DecompressLimit`): at most
//!    `max_ratio` (1,000)× the compressed size (with a 64 KiB floor) and at
//!    most `max_ops_bytes` (512 MiB); the decoder window is capped at 128 MiB;
//! 7. the ops: the columns decode (`Schema`: any length, count or
//!    dictionary index that does not agree, trailing bytes; `DecodeLimit`:
//!    the columns, then the ops, would take more than `max_decoded_bytes`,
//!    2 GiB, counted before they are allocated), hold exactly
//!    the ops of `header.ranges` and one starting hash per range that starts
//!    after seq 1 (`Schema`); each op's `prev_hash` and `op_hash` are
//!    rebuilt range by range, and each op's shape checked (`Schema`);
//! 8. each range ends at a checkpoint `(project_id, actor, seq, op_hash)`
//!    signed by the author's key, which must be `Active` in the key ring
//!    (`Checkpoint`, `UnknownDevice`, `RevokedDevice`), whose `op_hash` is
//!    the one rebuilt for the range's last op (`Checkpoint`: an op altered,
//!    added, dropped or moved, or a wrong starting hash, changes it) — this
//!    is what makes the ops trustworthy, relayed or not: the sender's
//!    signature only says who made the file;
//! 9. each attachment's SHA-256 and size (`BlobMismatch`).
//!
//! Not checked here (needs the database): that a range's first op links to
//! the op before it that the recipient already holds (a mismatch there is
//! equivocation), and whether ops or blobs are already present.
//!
//! # Parts
//! If the whole bundle is larger than `max_part_bytes`, `write` splits it
//! into parts. A part is a complete bundle of its own: its header lists only
//! its own ranges and blobs and `part: {index (from 1), count}`, and it
//! carries the checkpoint ending each of its ranges; all parts share the
//! `bundle_id`. Ops are split only where a checkpoint can end a range: the
//! sender's own ops anywhere (`write` signs a checkpoint there), a relayed
//! author's ops only at checkpoints that author signed (give them in
//! `bundle.checkpoints`). Attachments are never split. So one unit that is
//! alone larger than `max_part_bytes` (an attachment, or a relayed run
//! between two checkpoints) makes a part larger than `max_part_bytes`.

mod columns;
mod crypto;
mod error;
mod format;
mod keys;
mod model;
mod photo_seal;
mod read;
mod verify;
mod write;

pub mod roster;
pub mod team;

#[doc(hidden)]
pub mod fixtures;

#[cfg(test)]
mod tests;

pub use error::BundleError;
pub use keys::{fingerprint, verify, DeviceKey, DeviceStatus, KeyRing, MemKeyRing, ProjectKey};
pub use model::{
    checkpoint, ranges_of, Blob, BlobRef, Bundle, Checkpoint, Header, Limits, Part, Range,
    DEFAULT_MAX_PART_BYTES, MAX_OPS_PER_FILE,
};
pub use photo_seal::{open_photo, seal_photo};
pub use read::{inspect, read, read_header, read_header_by_roster, read_streaming};
pub use write::write;

/// The format major version this build reads and writes.
pub const FORMAT_MAJOR: u16 = 2;
/// The format minor version this build writes.
pub const FORMAT_MINOR: u16 = 0;
