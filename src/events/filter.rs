//! Which events a list shows: the [`Filter`] on a row's fields, and the text
//! matching the filter and the full-text search share.

use super::Summary;
use crate::record::{Record, Signature};
use crate::truora::Product;

/// True when `hay` holds `needle` (lowercased), ignoring case.
fn holds(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    if hay.is_ascii() {
        let needle = needle.as_bytes();
        return hay.len() >= needle.len()
            && hay
                .as_bytes()
                .windows(needle.len())
                .any(|window| window.eq_ignore_ascii_case(needle));
    }
    hay.to_lowercase().contains(needle)
}

/// The list filters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub text: String,
    pub signature: Option<Signature>,
    pub product: Option<Product>,
    /// Only the requests whose sender got no 2xx (a failed delivery, as Truora counts it).
    pub failed_only: bool,
    /// Only tokens whose `exp`/`nbf` say they are not current (expired, not yet
    /// valid, not numbers).
    pub time_problem: bool,
}

impl Filter {
    /// The filters in force, in words: what an empty list is empty of.
    pub fn in_words(&self) -> String {
        let mut parts = Vec::new();
        if !self.text.trim().is_empty() {
            parts.push(format!("the text {:?}", self.text.trim()));
        }
        if let Some(signature) = self.signature {
            parts.push(format!("Signature: {}", signature.label()));
        }
        if self.time_problem {
            parts.push("Signature: expired or not yet valid".to_owned());
        }
        if let Some(product) = self.product {
            parts.push(format!("Product: {}", product.title()));
        }
        if self.failed_only {
            parts.push("Failed deliveries".to_owned());
        }
        match parts.len() {
            0 => "the filter".to_owned(),
            _ => parts.join(" and "),
        }
    }

    /// Everything but the text.
    pub(super) fn admits(&self, summary: &Summary) -> bool {
        self.signature.is_none_or(|s| s == summary.signature)
            && (!self.time_problem || summary.time_state.is_problem())
            && self.product.is_none_or(|p| p == summary.product)
            && (!self.failed_only || !crate::health::is_success(summary.status))
    }

    /// True when any filter is set.
    pub fn is_active(&self) -> bool {
        !self.text.trim().is_empty()
            || self.signature.is_some()
            || self.product.is_some()
            || self.failed_only
            || self.time_problem
    }
}

/// True when the row shows `needle` (lowercased): what the filter finds at once;
/// the rest of the record is searched on a job.
pub(super) fn row_holds(summary: &Summary, needle: &str) -> bool {
    needle.is_empty()
        || holds(&summary.path, needle)
        || holds(&summary.label, needle)
        || holds(&summary.subject, needle)
        || holds(&summary.method, needle)
        || holds(summary.signature.label(), needle)
}

/// True when `needle` (lowercased) is in the record's body, header names and
/// values, remote address or decoded claims.
pub fn full_text_contains(
    record: &Record,
    analysis: &crate::token::Analysis,
    needle: &str,
) -> bool {
    let contains = |text: &str| holds(text, needle);
    record.body.as_deref().is_some_and(contains)
        || contains(&record.path)
        || contains(&record.remote_addr)
        || record
            .headers
            .iter()
            .any(|(name, value)| contains(name) || contains(value))
        || analysis
            .token
            .as_ref()
            .and_then(|t| t.claims.as_ref())
            .is_some_and(|claims| contains(&claims.to_string()))
}
