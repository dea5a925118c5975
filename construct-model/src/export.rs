//! `ExportName`: a cross-stack export with the stack and output that produce it. Synthesis
//! names the exports it creates here (the one place that knows the format), and anything
//! that follows an import back to its producer looks it up in
//! [`crate::EnvironmentAssembly::exports`] instead of parsing names.

use std::fmt;

/// An export of an environment: its name, the producing stack and the declaring output.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExportName {
    name: String,
    producer: String,
    output: String,
}

impl ExportName {
    /// The export of `name` declared by output `output` of stack `producer` (short name).
    pub fn new(name: &str, producer: &str, output: &str) -> Self {
        Self {
            name: name.to_owned(),
            producer: producer.to_owned(),
            output: output.to_owned(),
        }
    }

    /// The name synthesis gives the export of a resource's `Ref` (attribute `None`) or
    /// attribute: `<stack name>:<logical ID>[-<attribute with . as ->]`.
    pub fn synthesized_name(stack_name: &str, logical_id: &str, attribute: Option<&str>) -> String {
        match attribute {
            None => format!("{stack_name}:{logical_id}"),
            Some(a) => format!("{stack_name}:{logical_id}-{}", a.replace('.', "-")),
        }
    }

    /// The export name (what `Fn::ImportValue` names).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The producing stack's short name.
    pub fn producer(&self) -> &str {
        &self.producer
    }

    /// The output declaring the export.
    pub fn output(&self) -> &str {
        &self.output
    }
}

impl fmt::Display for ExportName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthesized_names_flatten_attribute_dots() {
        assert_eq!(
            ExportName::synthesized_name("shop-dev-data", "Db", Some("Endpoint.Address")),
            "shop-dev-data:Db-Endpoint-Address"
        );
        assert_eq!(
            ExportName::synthesized_name("shop-dev-net", "Vpc", None),
            "shop-dev-net:Vpc"
        );
    }
}
