//! Fieldbook's domain: the record kinds and their fields, how user input is
//! validated and normalised, and the reference catalogues shipped in `assets/`.
//! No I/O beyond the assets compiled into the binary.

pub mod catalogue;
pub mod coordinate;
pub mod error;
pub mod ids;
pub mod kinds;
pub mod op;
pub mod quantities;
pub mod units;
pub mod validate;

pub use error::{ValidationError, ValidationErrors};
pub use kinds::{FieldSpec, FieldType, KindSpec, KINDS};
pub use validate::Stored;
