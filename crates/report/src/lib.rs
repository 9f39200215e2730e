//! Printed reports of Fieldbook studies, as PDF: plain facts in, bytes out.
//! No SQL and no UI here; the layout engine (fonts, text, pages) is
//! testable on its own.

pub mod fonts;
pub mod text;
pub mod chart;
pub mod flow;
pub mod page;
pub mod pdf;
pub mod photo;
