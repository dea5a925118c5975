//! What a change does to deployed resources, decided from the template model and construct
//! identity: shared by synthesis (change safety against the committed state), `diff` and
//! `deploy` (against the deployed stacks).
//!
//! - [`impact`]: update, may replace or replace, from create-only properties;
//! - [`lineage`]: renames and moves, by construct-path lineage;
//! - [`blast`]: replacements propagated through every use (`Ref`, `GetAtt`, `Sub`, imports),
//!   and exports whose value changes;
//! - [`stateful`]: the resource types whose replacement loses data;
//! - [`rename`]: references renamed with their resources;
//! - [`refactor`]: declared renames and moves, what stack refactoring supports, and the
//!   templates a refactor is created with.

pub mod blast;
pub mod impact;
pub mod lineage;
pub mod refactor;
mod refactor_templates;
pub mod rename;
pub mod stateful;

use std::fmt;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::path::ConstructPath;
use crate::template::Template;

pub use impact::Impact;
pub use lineage::{pair_by_lineage, Pair, SubtreeMove};
pub use refactor::{plan_refactor, RefactorPlan, RefactorProblem};

/// The templates of one environment's stacks, by stack short name.
pub type EnvTemplates = IndexMap<String, Template>;

/// Where a resource is: its stack's short name and its logical ID.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Location {
    /// The stack's short name.
    pub stack: String,
    /// The logical ID.
    pub logical_id: String,
}

impl Location {
    /// Resource `logical_id` of stack `stack`.
    pub fn new(stack: &str, logical_id: &str) -> Self {
        Self {
            stack: stack.to_owned(),
            logical_id: logical_id.to_owned(),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.stack, self.logical_id)
    }
}

/// A resource's identity: where it is, its construct path and its type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// Stack and logical ID.
    pub location: Location,
    /// The construct path.
    pub path: ConstructPath,
    /// The CloudFormation type.
    pub type_name: String,
}

/// The identities of every resource of `templates` that records its construct path.
pub fn identities(templates: &EnvTemplates) -> Vec<Identity> {
    templates
        .iter()
        .flat_map(|(stack, t)| {
            t.resources.iter().filter_map(move |(id, r)| {
                Some(Identity {
                    location: Location::new(stack, id),
                    path: r.construct_path()?,
                    type_name: r.type_name.clone(),
                })
            })
        })
        .collect()
}
