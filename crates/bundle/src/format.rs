//! The byte layout of a `.fsb` file (see the crate documentation), without
//! any meaning: framing, sections and the trailer.

use crate::crypto::sha256;
use crate::error::BundleError;
use crate::keys::DeviceKey;

pub(crate) const MAGIC: &[u8; 8] = b"FSBNDL\r\n";
pub(crate) const END: &[u8; 8] = b"FSBEND\0\0";
/// magic + major + minor + header_len.
pub(crate) const PREAMBLE: usize = 16;
/// 0xFF + hash + signature + total_len + end magic.
pub(crate) const TRAILER: usize = 1 + 32 + 64 + 8 + 8;
/// Section type byte + u64 length.
pub(crate) const SECTION_HEAD: usize = 9;

pub(crate) const SEC_OPS: u8 = 0x01;
pub(crate) const SEC_CHECKPOINTS: u8 = 0x02;
pub(crate) const SEC_BLOB: u8 = 0x03;
pub(crate) const TRAILER_MARK: u8 = 0xFF;
/// Section types a reader may skip if it does not know them (room for
/// later minor versions); any other unknown type is an error.
pub(crate) const OPTIONAL_SECTIONS: std::ops::RangeInclusive<u8> = 0x80..=0xFE;

/// Domain separation for the trailer signature.
const SIGNED_DOMAIN: &[u8] = b"fieldbook/bundle/v1\0";

/// The message the sender signs: the domain, then the trailer hash.
pub(crate) fn signed_message(hash: &[u8; 32]) -> Vec<u8> {
    let mut m = SIGNED_DOMAIN.to_vec();
    m.extend_from_slice(hash);
    m
}

/// Associated data of an encrypted section: SHA-256 of the header bytes, the
/// section type, and for a blob its hash, so a section cannot be moved to
/// another bundle, another type or another blob.
pub(crate) fn section_aad(
    header_hash: &[u8; 32],
    kind: u8,
    blob_sha: Option<&[u8; 32]>,
) -> Vec<u8> {
    let mut ad = header_hash.to_vec();
    ad.push(kind);
    if let Some(sha) = blob_sha {
        ad.extend_from_slice(sha);
    }
    ad
}

/// Lays out a file: preamble, header, sections, and the signed trailer.
pub(crate) fn assemble(
    minor: u16,
    header: &[u8],
    sections: &[(u8, Vec<u8>)],
    sender: &DeviceKey,
) -> Vec<u8> {
    let body: usize = sections.iter().map(|(_, b)| SECTION_HEAD + b.len()).sum();
    let mut out = Vec::with_capacity(PREAMBLE + header.len() + body + TRAILER);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&crate::FORMAT_MAJOR.to_le_bytes());
    out.extend_from_slice(&minor.to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(header);
    for (kind, b) in sections {
        out.push(*kind);
        out.extend_from_slice(&(b.len() as u64).to_le_bytes());
        out.extend_from_slice(b);
    }
    seal_trailer(&mut out, sender);
    out
}

/// Appends the trailer over everything in `out`.
pub(crate) fn seal_trailer(out: &mut Vec<u8>, sender: &DeviceKey) {
    let hash = sha256(out);
    let sig = sender.sign(&signed_message(&hash));
    out.push(TRAILER_MARK);
    out.extend_from_slice(&hash);
    out.extend_from_slice(&sig);
    let total = (out.len() + 16) as u64;
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(END);
}

/// The preamble and header of a file, read without the rest.
pub(crate) struct Preamble<'a> {
    pub minor: u16,
    pub header: &'a [u8],
}

/// Checks the magic and major version, and that the header is all there.
pub(crate) fn preamble(bytes: &[u8], max_header: u64) -> Result<Preamble<'_>, BundleError> {
    if bytes.len() < MAGIC.len() {
        return Err(if MAGIC.starts_with(bytes) {
            BundleError::Truncated
        } else {
            BundleError::BadMagic
        });
    }
    if &bytes[..8] != MAGIC {
        return Err(BundleError::BadMagic);
    }
    if bytes.len() < 10 {
        return Err(BundleError::Truncated);
    }
    let major = u16::from_le_bytes([bytes[8], bytes[9]]);
    if major > crate::FORMAT_MAJOR {
        return Err(BundleError::UnsupportedVersion { major });
    }
    if major == 0 {
        return Err(BundleError::Corrupt(
            "bundle format 0 does not exist".into(),
        ));
    }
    if major < crate::FORMAT_MAJOR {
        return Err(BundleError::PreRelease { major });
    }
    if bytes.len() < PREAMBLE {
        return Err(BundleError::Truncated);
    }
    let minor = u16::from_le_bytes([bytes[10], bytes[11]]);
    let header_len = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]) as u64;
    if header_len > max_header {
        return Err(BundleError::Corrupt(format!(
            "a {header_len}-byte header is over the {max_header}-byte limit"
        )));
    }
    let end = PREAMBLE + header_len as usize;
    if bytes.len() < end {
        return Err(BundleError::Truncated);
    }
    Ok(Preamble {
        minor,
        header: &bytes[PREAMBLE..end],
    })
}

/// A whole file, split up but not yet checked beyond its shape.
pub(crate) struct Frame<'a> {
    pub minor: u16,
    pub header: &'a [u8],
    /// The bytes between the header and the trailer.
    pub sections: &'a [u8],
    /// Everything the trailer hash covers.
    pub covered: &'a [u8],
    pub hash: [u8; 32],
    pub sig: [u8; 64],
}

pub(crate) fn frame(bytes: &[u8], max_header: u64) -> Result<Frame<'_>, BundleError> {
    let pre = preamble(bytes, max_header)?;
    let header_end = PREAMBLE + pre.header.len();
    if bytes.len() < header_end + TRAILER {
        return Err(BundleError::Truncated);
    }
    let t = bytes.len() - TRAILER;
    let trailer = &bytes[t..];
    if &trailer[TRAILER - 8..] != END {
        return Err(BundleError::Truncated);
    }
    let total = u64::from_le_bytes(trailer[97..105].try_into().expect("8 bytes"));
    if total != bytes.len() as u64 {
        return Err(if total > bytes.len() as u64 {
            BundleError::Truncated
        } else {
            BundleError::Corrupt("the file's recorded length does not match its size".into())
        });
    }
    if trailer[0] != TRAILER_MARK {
        return Err(BundleError::Corrupt(
            "the trailer is not where it should be".into(),
        ));
    }
    Ok(Frame {
        minor: pre.minor,
        header: pre.header,
        sections: &bytes[header_end..t],
        covered: &bytes[..t],
        hash: trailer[1..33].try_into().expect("32 bytes"),
        sig: trailer[33..97].try_into().expect("64 bytes"),
    })
}

/// Splits the section bytes into `(type, body)`.
pub(crate) fn sections(mut rest: &[u8]) -> Result<Vec<(u8, &[u8])>, BundleError> {
    let mut out = Vec::new();
    while !rest.is_empty() {
        if rest.len() < SECTION_HEAD {
            return Err(BundleError::Corrupt("a section header is cut short".into()));
        }
        let kind = rest[0];
        let len = u64::from_le_bytes(rest[1..9].try_into().expect("8 bytes"));
        let body = &rest[SECTION_HEAD..];
        if len > body.len() as u64 {
            return Err(BundleError::Corrupt(
                "a section runs past the end of the file".into(),
            ));
        }
        let (body, tail) = body.split_at(len as usize);
        out.push((kind, body));
        rest = tail;
    }
    Ok(out)
}
