//! The constructs layer's error type: every variant names where (construct path or stack),
//! what is wrong, and how to fix it.

use std::fmt;

/// Errors from building constructs and synthesizing an app.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A construct id is already taken in its scope.
    #[error("`{path}`: the id `{id}` is already used in this scope. Fix: give one of the two constructs a different id.")]
    DuplicateId {
        /// Path of the scope plus the id.
        path: String,
        /// The id.
        id: String,
    },

    /// A construct id is empty or contains `/`.
    #[error(
        "`{scope}`: invalid construct id `{id}`: {problem}. Fix: use a non-empty id without `/` or control characters."
    )]
    InvalidId {
        /// The scope the id was used in.
        scope: String,
        /// The id.
        id: String,
        /// What is wrong.
        problem: String,
    },

    /// A construct's props are invalid.
    #[error("`{path}`: invalid `{field}`: {problem}. Fix: {fix}")]
    InvalidProps {
        /// The construct path.
        path: String,
        /// The offending property.
        field: String,
        /// What is wrong.
        problem: String,
        /// How to fix it.
        fix: String,
    },

    /// A resource's path yields no logical ID: its id directly in the stack has no ASCII
    /// letter or digit, or is the hidden id `Default`.
    #[error("`{path}`: no logical ID can be computed for this resource: a resource directly in the stack is named by the ASCII letters and digits of its id, and this id has none (or is `Default`, which logical IDs leave out). Fix: give it an id with letters or digits (e.g. `Queue`), or add it inside a named scope")]
    NoLogicalId {
        /// The construct path.
        path: String,
    },

    /// Two paths produce the same logical ID.
    #[error("stack `{stack}`: `{first}` and `{second}` both get the logical ID `{logical_id}`. Fix: rename one construct, or give one an explicit logical ID.")]
    LogicalIdCollision {
        /// The stack.
        stack: String,
        /// The logical ID.
        logical_id: String,
        /// The path that took the ID first.
        first: String,
        /// The path that collided.
        second: String,
    },

    /// A logical ID override or rename target is not a valid logical ID.
    #[error("`{path}`: `{logical_id}` is not a valid logical ID. Fix: use 1 to 255 ASCII letters and digits.")]
    InvalidLogicalId {
        /// The construct path or stack.
        path: String,
        /// The rejected ID.
        logical_id: String,
    },

    /// A rename was declared that no resource used.
    #[error("stack `{stack}`: the logical ID rename `{from}` -> `{to}` matches no resource. Fix: remove the rename, or correct `{from}` to an ID the stack computes.")]
    UnusedRename {
        /// The stack.
        stack: String,
        /// The computed ID the rename expects.
        from: String,
        /// The ID it would produce.
        to: String,
    },

    /// A name in Parameters/Mappings/Conditions/Outputs is taken or invalid.
    #[error("stack `{stack}`: {section} `{name}`: {problem}. Fix: {fix}")]
    InvalidTemplateName {
        /// The stack.
        stack: String,
        /// The template section.
        section: &'static str,
        /// The name.
        name: String,
        /// What is wrong.
        problem: String,
        /// How to fix it.
        fix: String,
    },

    /// Two stacks of one environment share a name.
    #[error("environment `{env}`: the stack `{stack}` is added twice. Fix: give each stack a unique name.")]
    DuplicateStack {
        /// The environment.
        env: String,
        /// The stack name.
        stack: String,
    },

    /// A reference points into a stack that is not part of the app.
    #[error("`{consumer}` uses `{target}` of stack `{stack}`, which is not part of the app. Fix: add that stack to the app with `App::add_stack`.")]
    UnknownStack {
        /// The construct path using the reference.
        consumer: String,
        /// The referenced construct path.
        target: String,
        /// The unknown stack.
        stack: String,
    },

    /// A reference points into another environment.
    #[error("`{consumer}` (environment `{consumer_env}`) uses `{target}` of environment `{target_env}`. Environments cannot reference each other. Fix: create the resource in `{consumer_env}` too, or pass the value as a parameter.")]
    CrossEnvironmentReference {
        /// The construct path using the reference.
        consumer: String,
        /// Its environment.
        consumer_env: String,
        /// The referenced construct path.
        target: String,
        /// The target's environment.
        target_env: String,
    },

    /// A condition or mapping is used in a stack that does not declare it.
    #[error("`{consumer}` uses the {kind} `{name}` of stack `{owner}`. Conditions and mappings are local to a stack. Fix: declare it in the stack that uses it.")]
    ForeignDeclaration {
        /// The construct path using it.
        consumer: String,
        /// `condition` or `mapping`.
        kind: &'static str,
        /// Its name.
        name: String,
        /// The declaring stack.
        owner: String,
    },

    /// Stacks depend on each other in a cycle.
    #[error("environment `{env}`: stacks depend on each other in a cycle: {cycle}. Fix: move one of these resources so references flow one way, or pass the value as a parameter.")]
    StackCycle {
        /// The environment.
        env: String,
        /// The references forming the cycle, in order.
        cycle: String,
    },

    /// A `Ref`, `GetAtt`, `DependsOn` or `Fn::Sub` placeholder names nothing in the stack.
    #[error("`{consumer}`: {what} `{target}` does not exist in stack `{stack}`. Fix: {fix}")]
    MissingTarget {
        /// The construct path or template section using it.
        consumer: String,
        /// `Ref`, `GetAtt`, `DependsOn`, `Fn::Sub placeholder`.
        what: &'static str,
        /// The missing name.
        target: String,
        /// The stack.
        stack: String,
        /// How to fix it.
        fix: String,
    },

    /// Two outputs export one name.
    #[error("environment `{env}`: the export name `{name}` is used by `{first}` and `{second}`. Fix: export names must be unique per account and region; rename one output.")]
    DuplicateExport {
        /// The environment.
        env: String,
        /// The export name.
        name: String,
        /// The first output (`stack/Output`).
        first: String,
        /// The second output.
        second: String,
    },

    /// A CloudFormation limit is exceeded.
    #[error(
        "stack `{stack}`: {what}: {count} exceeds CloudFormation's limit of {limit}. Fix: {fix}"
    )]
    LimitExceeded {
        /// The stack.
        stack: String,
        /// What is counted.
        what: &'static str,
        /// The count.
        count: usize,
        /// The limit.
        limit: usize,
        /// How to fix it.
        fix: &'static str,
    },

    /// A raw resource does not match its type's schema.
    #[error("`{path}` ({type_name}): property `{property}`: {problem}")]
    Schema {
        /// The construct path.
        path: String,
        /// The resource type.
        type_name: String,
        /// The property path.
        property: String,
        /// What is wrong and how to fix it.
        problem: String,
    },

    /// A resource's type name is not a CloudFormation resource type stackforge can deploy.
    #[error("`{path}`: resource type `{type_name}`: {problem}. Fix: {fix}")]
    UnknownType {
        /// The construct path.
        path: String,
        /// The type name as given.
        type_name: String,
        /// What is wrong (with the nearest type names, when there are any).
        problem: String,
        /// How to fix it.
        fix: String,
    },

    /// A resource type does not exist in the region its environment names.
    #[error("`{path}`: {type_name} is not available in {region} (cfn-lint {cfn_lint} schemas); the regions that have it: {available}. Fix: deploy the stack to one of those regions, or use another resource type.")]
    UnavailableType {
        /// The construct path.
        path: String,
        /// The resource type.
        type_name: &'static str,
        /// The environment's region.
        region: String,
        /// The regions that have the type.
        available: String,
        /// The cfn-lint version whose schemas say so.
        cfn_lint: &'static str,
    },

    /// `Fn::GetAtt` of an attribute the target's type does not have.
    #[error("`{consumer}`: Fn::GetAtt `{attribute}` of `{target}`: {type_name} has no attribute `{attribute}`; its attributes are {known}. Fix: use one of those (typed handles have a method for each).")]
    UnknownAttribute {
        /// The construct path (or `stack/Outputs/Name`) using the attribute.
        consumer: String,
        /// The construct path of the resource read.
        target: String,
        /// Its type.
        type_name: &'static str,
        /// The attribute asked for.
        attribute: String,
        /// The attributes the type has.
        known: String,
    },

    /// A policy-rule suppression is malformed.
    #[error("`{path}`: suppression of rule `{rule}` is invalid: {problem}. Fix: {fix}")]
    InvalidSuppression {
        /// The construct path.
        path: String,
        /// The rule id.
        rule: String,
        /// What is wrong.
        problem: String,
        /// How to fix it.
        fix: String,
    },

    /// An aspect rejected a resource.
    #[error("`{path}`: {message}")]
    Aspect {
        /// The construct path.
        path: String,
        /// The aspect's message.
        message: String,
    },

    /// Synthesis would replace committed resources or drop exports still imported (the
    /// message lists each finding with its fixes).
    #[error("{message}")]
    Unsafe {
        /// Every finding, one per line, with fixes.
        message: String,
    },

    /// A synthesized template cannot be read back as CloudFormation (a value built by hand
    /// holds a malformed intrinsic function).
    #[error("stack `{stack}`: the synthesized template is not valid CloudFormation: {problem}. Fix: build the value with the `Expr` constructors instead of raw JSON")]
    Unreadable {
        /// The stack.
        stack: String,
        /// What the reader found.
        problem: String,
    },

    /// Something CloudFormation refuses when it creates the stack (a cycle among resources,
    /// an attribute the type lacks, an undeclared condition, a parameter default outside
    /// its own constraints), found in the synthesized template.
    #[error("`{path}`: `{location}`: {problem}")]
    Template {
        /// The construct path of the resource concerned, or the stack.
        path: String,
        /// Where in the template (`Resources.Queue.DependsOn`, `Parameters.Size`).
        location: String,
        /// What is wrong, and how to fix it.
        problem: String,
    },

    /// Several errors (synthesis reports all it finds, not only the first).
    #[error("{}", Many(.0))]
    Many(Vec<Error>),
}

struct Many<'a>(&'a [Error]);

impl fmt::Display for Many<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl Error {
    /// Shorthand for [`Error::InvalidProps`].
    pub fn invalid_props(
        path: impl Into<String>,
        field: impl Into<String>,
        problem: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Error::InvalidProps {
            path: path.into(),
            field: field.into(),
            problem: problem.into(),
            fix: fix.into(),
        }
    }

    /// One error for a list of errors: the error itself when there is one, `None` when empty.
    pub fn from_many(mut errors: Vec<Error>) -> Option<Error> {
        match errors.len() {
            0 => None,
            1 => errors.pop(),
            _ => Some(Error::Many(errors)),
        }
    }

    /// The individual errors (one for a single error).
    pub fn errors(&self) -> Vec<&Error> {
        match self {
            Error::Many(v) => v.iter().flat_map(Error::errors).collect(),
            e => vec![e],
        }
    }
}

/// Result with the constructs [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A non-fatal finding of synthesis (a limit approached, a type the schema index cannot know).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// The stack (`dev/network`) or construct path concerned.
    pub location: String,
    /// What was found and what to do about it.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.location, self.message)
    }
}
