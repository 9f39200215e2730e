//! The study's planned credit allocation, read from its credit shares.

use fieldbook_estimate::credits::{self, Allocation, CreditError, Share, GOVERNMENT_OF_JAPAN};
use fieldbook_store::{Result, Store};

use crate::{children, decimal, follow, text};

/// The study's planned credit shares split over `issued` tonnes. The party
/// "government_of_japan" is the Government of Japan of the split rules; other
/// parties are named by their organisation, else by their party code.
pub fn credit_split(
    store: &Store,
    study_id: &str,
    issued: u64,
) -> Result<std::result::Result<Vec<Allocation>, CreditError>> {
    let mut shares = Vec::new();
    for share in children(store, "credit_share", study_id)? {
        let party = match (
            text(&share, "party"),
            follow(store, &share, "org_id", "org")?,
        ) {
            (Some("government_of_japan"), _) => GOVERNMENT_OF_JAPAN.to_string(),
            (_, Some(org)) => org.title,
            (party, None) => party.unwrap_or("other").to_string(),
        };
        let percent = decimal(&share, "percent").unwrap_or_default();
        shares.push(Share { party, percent });
    }
    Ok(credits::split(issued, &shares))
}
