//! Every refusal: a stable code, a message a person can act on, the matching
//! HTTP status, and a count in the metrics.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use fieldbook_bundle::BundleError;
use fieldbook_hub_wire::{Refusal, RefusalCode};

use crate::store::StoreError;

#[derive(Debug)]
pub struct Refused(pub Refusal);

pub type Answer<T> = Result<T, Refused>;

pub fn refuse(code: RefusalCode, message: impl Into<String>) -> Refused {
    Refused(Refusal {
        code,
        message: message.into(),
    })
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code.status()).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, Json(&self.0)).into_response();
        // The metrics layer counts refusals by the code it finds here.
        response.extensions_mut().insert(self.0.code);
        response
    }
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Refused {
        eprintln!("fieldbook hub: {e}");
        refuse(
            RefusalCode::Unavailable,
            "the hub cannot reach its storage just now; nothing was changed, try again later",
        )
    }
}

/// A bundle the hub will not keep, named as a laptop would name it.
pub fn bundle_refusal(e: BundleError) -> Refused {
    use BundleError as B;
    let code = match &e {
        B::BadMagic | B::Truncated | B::HashMismatch | B::Corrupt(_) | B::Schema(_) => {
            RefusalCode::BadBundle
        }
        B::UnsupportedVersion { .. } => RefusalCode::UnsupportedVersion,
        B::WrongProjectKey { .. } => RefusalCode::WrongTeam,
        B::UnknownDevice { .. } => RefusalCode::NotAMember,
        B::RevokedDevice { .. } => RefusalCode::DeviceRevoked,
        B::BadSignature => RefusalCode::BadSignature,
        B::TooManyOps { .. } => RefusalCode::DeclaredTooLarge,
        _ => RefusalCode::BadBundle,
    };
    refuse(code, e.to_string())
}
