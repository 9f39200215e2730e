//! The `fbfile://localhost/<sha256>` protocol: lets the webview show photos from
//! the content-addressed store without loosening the CSP or the file-system scope.

use std::borrow::Cow;

use fieldbook_store::BlobStore;
use tauri::http::{header, Request, Response, StatusCode};

pub fn serve(blobs: &BlobStore, request: &Request<Vec<u8>>) -> Response<Cow<'static, [u8]>> {
    let sha = request.uri().path().trim_start_matches('/');
    let valid = sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit());
    let bytes = if valid { blobs.read(sha).ok() } else { None };
    match bytes {
        Some(bytes) => {
            let mime = infer_mime(&bytes);
            Response::builder()
                .header(header::CONTENT_TYPE, mime)
                .header(header::CACHE_CONTROL, "max-age=31536000, immutable")
                .body(Cow::Owned(bytes))
        }
        None => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .body(Cow::Borrowed(&b"no such attachment"[..])),
    }
    .unwrap_or_else(|_| Response::new(Cow::Borrowed(&b""[..])))
}

fn infer_mime(bytes: &[u8]) -> &'static str {
    infer::get(bytes).map_or("application/octet-stream", |t| t.mime_type())
}
