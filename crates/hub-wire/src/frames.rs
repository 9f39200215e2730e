//! A pull's answer is a stream of frames, `kind (u8) | length (u64 LE) |
//! body`: one [`FRAME_BUNDLE`] per stored bundle part, exactly as pushed,
//! then one [`FRAME_END`] whose body is the JSON of [`PullEnd`]. A stream cut
//! short still yields every bundle that arrived whole; the missing end frame
//! tells the laptop to pull again.

use std::io::{self, Read};

use crate::PullEnd;

pub const FRAME_BUNDLE: u8 = 1;
pub const FRAME_END: u8 = 0;
/// The largest frame a reader accepts: a bundle part (20 MiB) holding one
/// photo at the attachment cap (50 MiB), with room to spare.
pub const MAX_FRAME_BYTES: u64 = 128 << 20;

pub fn write_frame(out: &mut Vec<u8>, kind: u8, body: &[u8]) {
    out.push(kind);
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(body);
}

#[derive(Debug, Clone)]
pub enum Frame {
    Bundle(Vec<u8>),
    End(PullEnd),
}

pub struct FrameReader<R> {
    inner: R,
    ended: bool,
}

impl<R: Read> FrameReader<R> {
    pub fn new(inner: R) -> Self {
        FrameReader {
            inner,
            ended: false,
        }
    }

    /// The next frame; `Ok(None)` after the end frame. A stream that stops
    /// anywhere else is an `UnexpectedEof` error.
    pub fn next_frame(&mut self) -> io::Result<Option<Frame>> {
        if self.ended {
            return Ok(None);
        }
        let mut head = [0u8; 9];
        self.inner.read_exact(&mut head)?;
        let len = u64::from_le_bytes(head[1..].try_into().expect("8 bytes"));
        if len > MAX_FRAME_BYTES {
            return Err(invalid(format!("a frame of {len} bytes is over the cap")));
        }
        let mut body = Vec::with_capacity(len as usize);
        (&mut self.inner).take(len).read_to_end(&mut body)?;
        if body.len() as u64 != len {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        match head[0] {
            FRAME_BUNDLE => Ok(Some(Frame::Bundle(body))),
            FRAME_END => {
                self.ended = true;
                let end = serde_json::from_slice(&body)
                    .map_err(|e| invalid(format!("end frame: {e}")))?;
                Ok(Some(Frame::End(end)))
            }
            kind => Err(invalid(format!("unknown frame kind {kind}"))),
        }
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stream() -> Vec<u8> {
        let mut out = Vec::new();
        write_frame(&mut out, FRAME_BUNDLE, b"first");
        write_frame(&mut out, FRAME_BUNDLE, b"second");
        let end = serde_json::to_vec(&PullEnd {
            bundles: 2,
            more: true,
        })
        .unwrap();
        write_frame(&mut out, FRAME_END, &end);
        out
    }

    #[test]
    fn frames_read_back_in_order_then_end() {
        let bytes = stream();
        let mut r = FrameReader::new(&bytes[..]);
        assert!(matches!(r.next_frame().unwrap(), Some(Frame::Bundle(b)) if b == b"first"));
        assert!(matches!(r.next_frame().unwrap(), Some(Frame::Bundle(b)) if b == b"second"));
        assert!(matches!(r.next_frame().unwrap(), Some(Frame::End(e)) if e.more && e.bundles == 2));
        assert!(r.next_frame().unwrap().is_none());
    }

    #[test]
    fn a_stream_cut_anywhere_yields_the_whole_frames_before_the_cut() {
        let bytes = stream();
        for cut in 0..bytes.len() {
            let mut r = FrameReader::new(&bytes[..cut]);
            let mut whole = 0;
            let err = loop {
                match r.next_frame() {
                    Ok(Some(Frame::Bundle(_))) => whole += 1,
                    Ok(other) => panic!("cut at {cut} read {other:?}"),
                    Err(e) => break e,
                }
            };
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "cut at {cut}");
            let expected = [14usize, 29].iter().filter(|&&end| cut >= end).count();
            assert_eq!(whole, expected, "cut at {cut}");
        }
    }

    #[test]
    fn an_oversized_frame_is_refused_before_it_is_read() {
        let mut bytes = vec![FRAME_BUNDLE];
        bytes.extend_from_slice(&u64::MAX.to_le_bytes());
        let err = FrameReader::new(&bytes[..]).next_frame().unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }
}
