//! Printed reports of Fieldbook studies, as PDF: a study's dossier (read by
//! `fieldbook-proposal`) in, bytes out. No SQL and no UI here; the layout
//! engine (fonts, text, flow, pdf) is testable on its own.

pub mod brief;
pub mod catalogue;
pub mod chart;
pub mod estimate_sheet;
pub mod flow;
pub mod fonts;
pub mod page;
pub mod pdf;
pub mod photo;
pub mod request;
pub mod text;
pub mod visit;
pub mod words;

pub use brief::brief;
pub use catalogue::Lang;
pub use estimate_sheet::estimate_sheet;
pub use page::PaperSize;
pub use request::{slug, Gathered, Printed, Request};
pub use visit::visit_record;
pub use words::Options;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
    #[error(transparent)]
    UnknownEstimate(#[from] estimate_sheet::UnknownEstimate),
    #[error(transparent)]
    UnknownVisit(#[from] visit::UnknownVisit),
    #[error(transparent)]
    Store(#[from] fieldbook_store::StoreError),
}

/// Flows `blocks` into a PDF with `furniture` on every page.
fn render_document(
    title: &str,
    o: &Options,
    furniture: &flow::Furniture,
    blocks: &[flow::Block],
) -> Result<Vec<u8>, ReportError> {
    let mut writer = pdf::Writer::new(title, o.paper.paper());
    flow::render(&mut writer, furniture, blocks);
    writer.save().map_err(ReportError::Pdf)
}
