//! Migrating CloudFormation templates to a stackforge app: each template becomes a Rust
//! module building the same stack (`stackforge migrate`), and synth of that app gives the
//! template back.
//!
//! - [`migrate_template`] reads a template (JSON or YAML, through the one reader) and writes
//!   its module: parameters, mappings, conditions, resources with every logical ID kept,
//!   outputs; intrinsics as [`Expr`](stackforge_construct_model::Expr) builder calls, references
//!   between resources through their handles. What cannot be migrated is a [`NotMigrated`]
//!   naming each reason; nothing is dropped silently.
//! - [`app_files`] writes the app crate around the modules (the shape `stackforge new`
//!   writes), [`rustfmt`] formats it.
//! - [`compare`] checks a synthesized template against its original: equal as templates,
//!   up to the [`ALLOWED_DIFFERENCES`] (which `--exact` turns off).
//!
//! How a resource is written is decided in one place, `emit::ResourceEmitter`: the typed
//! catalog struct where its values fit (`typed`), raw (type name + properties) elsewhere.
//! [`migrate_templates`] migrates templates together, so an import of an export another of
//! them declares becomes a typed cross-stack reference (`link`).

mod app;
mod compare;
mod emit;
mod indent;
mod link;
mod module;
mod names;
mod rust_expr;
mod suggest;
mod typed;

use std::fmt;

use stackforge_construct_model::document::{self, DocumentError};
use stackforge_construct_model::logical_id::is_valid_logical_id;
use stackforge_construct_model::schema;
use stackforge_construct_model::Template;

pub use app::{app_files, build_stacks, rustfmt, AppSpec};
pub use compare::{compare, ALLOWED_DIFFERENCES};
pub use names::stack_name;

/// A template migrated to a stack module.
#[derive(Debug, Clone)]
pub struct MigratedStack {
    /// The stack's short name (`vpc-with-nat`).
    pub name: String,
    /// The Rust module name (`vpc_with_nat`).
    pub module: String,
    /// Where the template came from (a file name).
    pub source: String,
    /// The template as read (what synth of the module must give back).
    pub template: Template,
    /// The template text as given.
    pub text: String,
    /// The module source, rustfmt-formatted once written with [`rustfmt`].
    pub code: String,
    /// The catalog features (`ec2-vpc`) the module's typed resources need.
    pub features: Vec<String>,
    /// How many resources are typed catalog structs.
    pub typed: usize,
    /// How many resources are raw (no catalog type, or values the typed shape cannot hold).
    pub raw: usize,
    /// The modules whose `Exports` this module's `stack` function takes (typed cross-stack
    /// references), in order.
    pub takes: Vec<String>,
    /// The fields of this module's `Exports` (empty: `stack` returns the stack alone).
    pub exports: Vec<String>,
    /// Logical IDs of resources that already carry what stackforge adds (its construct-path
    /// metadata, or `app`/`env`/`stack` tags): `--exact` leaves them as synthesized.
    pub already_stackforge: Vec<String>,
}

/// A template that cannot be migrated, with every reason found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotMigrated {
    /// Where the template came from.
    pub source: String,
    /// Why, one sentence each (the feature, where, and what to do).
    pub reasons: Vec<String>,
    /// Whether the template is valid CloudFormation stackforge does not support (transforms,
    /// macros, `Fn::ForEach`), rather than a template it cannot read at all.
    pub unsupported: bool,
}

impl fmt::Display for NotMigrated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: not migrated: {}",
            self.source,
            self.reasons.join("; ")
        )
    }
}

/// Migrates one template (`text`, from `source`) to the module of stack `stack` in app `app`
/// and environment `env` (their names are the default tags stackforge adds).
pub fn migrate_template(
    source: &str,
    text: &str,
    stack: &str,
    app: &str,
    env: &str,
) -> Result<MigratedStack, NotMigrated> {
    let template = read(source, text)?;
    Ok(write(
        source,
        text,
        template,
        stack,
        (app, env),
        module::CrossStack::default(),
    ))
}

/// One template to migrate with others.
#[derive(Debug, Clone)]
pub struct TemplateInput {
    /// Where it came from (a file name).
    pub source: String,
    /// Its text.
    pub text: String,
    /// The stack's short name.
    pub stack: String,
}

/// Migrates templates together (in app `app`, environment `env`): like
/// [`migrate_template`] each, and an import of an export another of them declares becomes a
/// typed cross-stack reference. The stacks come back in build order (producers first).
pub fn migrate_templates(
    inputs: &[TemplateInput],
    app: &str,
    env: &str,
) -> (Vec<MigratedStack>, Vec<NotMigrated>) {
    let mut read_ok = Vec::new();
    let mut refused = Vec::new();
    for input in inputs {
        match read(&input.source, &input.text) {
            Ok(t) => read_ok.push((input, t)),
            Err(e) => refused.push(e),
        }
    }
    let templates: Vec<&Template> = read_ok.iter().map(|(_, t)| t).collect();
    let (links, order) = link::link(&templates);
    let modules: Vec<String> = read_ok.iter().map(|(i, _)| module_name(&i.stack)).collect();
    let mut migrated = Vec::new();
    for i in order {
        let (input, template) = &read_ok[i];
        let l = &links[i];
        let cross = module::CrossStack {
            exports: l.exports.clone(),
            takes: l.producers.iter().map(|&p| modules[p].clone()).collect(),
            imports: l
                .imports
                .iter()
                .map(|(name, (p, field))| (name.clone(), (modules[*p].clone(), field.clone())))
                .collect(),
        };
        migrated.push(write(
            &input.source,
            &input.text,
            template.clone(),
            &input.stack,
            (app, env),
            cross,
        ));
    }
    (migrated, refused)
}

/// Reads a template and checks that stackforge can migrate it.
fn read(source: &str, text: &str) -> Result<Template, NotMigrated> {
    let not = |reasons: Vec<String>, unsupported: bool| NotMigrated {
        source: source.to_owned(),
        reasons,
        unsupported,
    };
    let template = document::parse(text).map_err(|e| {
        let unsupported = e.is_unsupported();
        not(vec![describe(&e)], unsupported)
    })?;
    let reasons = unsupported_names(&template);
    if !reasons.is_empty() {
        return Err(not(reasons, true));
    }
    let reasons = schema_errors(&template);
    if !reasons.is_empty() {
        return Err(not(reasons, false));
    }
    Ok(template)
}

/// Writes the module of a template read by [`read`].
fn write(
    source: &str,
    text: &str,
    template: Template,
    stack: &str,
    (app, env): (&str, &str),
    cross: module::CrossStack,
) -> MigratedStack {
    let module = module_name(stack);
    let takes = cross.takes.clone();
    let exports = cross.exports.iter().map(|e| e.field.clone()).collect();
    let written = module::write(
        &module::ModuleSpec {
            stack,
            source,
            cross,
        },
        &template,
        &typed::TypedEmitter::default(),
    );
    let already_stackforge = compare::already_stackforge(&template, app, env, stack);
    MigratedStack {
        name: stack.to_owned(),
        module,
        source: source.to_owned(),
        template,
        text: text.to_owned(),
        code: written.code,
        features: written.features,
        typed: written.typed,
        raw: written.raw,
        takes,
        exports,
        already_stackforge,
    }
}

fn describe(e: &DocumentError) -> String {
    match e {
        DocumentError::Unsupported { .. } => e.to_string(),
        other => format!("stackforge cannot read it: {other}"),
    }
}

/// Properties CloudFormation would reject (the schema index's findings, as `check` reports
/// them): a migrated stack would not synthesize, so the template is fixed first.
fn schema_errors(t: &Template) -> Vec<String> {
    let mut reasons = Vec::new();
    for (id, r) in &t.resources {
        let schema::TypeName::Known(info) = schema::classify(&r.type_name) else {
            continue;
        };
        for v in schema::validate(info, &r.properties) {
            let at = match v.property.as_str() {
                "" => String::new(),
                p => format!(" property `{p}`"),
            };
            reasons.push(format!(
                "`Resources.{id}`{at}: {}; fix the template first (`stackforge check FILE` lists every such error)",
                v.problem
            ));
        }
    }
    reasons
}

/// Names stackforge's declarations refuse although CloudFormation takes them.
fn unsupported_names(t: &Template) -> Vec<String> {
    let mut reasons = Vec::new();
    // Outputs are a namespace of their own (an output may share its resource's name).
    let sections: [(&str, Vec<&String>); 4] = [
        ("Parameters", t.parameters.keys().collect()),
        ("Mappings", t.mappings.keys().collect()),
        ("Conditions", t.conditions.keys().collect()),
        ("Resources", t.resources.keys().collect()),
    ];
    for name in t.outputs.keys() {
        if !is_valid_logical_id(name) {
            reasons.push(format!(
                "`Outputs.{name}`: stackforge takes only names of 1 to 255 ASCII letters and digits; rename it in the deployed stack first"
            ));
        }
    }
    let mut seen: Vec<(&str, &String)> = Vec::new();
    for (section, names) in &sections {
        for name in names {
            if !is_valid_logical_id(name) {
                reasons.push(format!(
                    "`{section}.{name}`: stackforge takes only names of 1 to 255 ASCII letters and digits; rename it in the deployed stack first"
                ));
            }
            if let Some((other, _)) = seen.iter().find(|(_, n)| n == name) {
                reasons.push(format!(
                    "`{section}.{name}`: the name is also used in {other}, and stackforge requires names unique across Parameters, Mappings, Conditions and Resources; rename one of them in the deployed stack first"
                ));
            }
            seen.push((section, name));
        }
    }
    reasons
}

/// The Rust module for stack `stack` (`vpc-with-nat` -> `vpc_with_nat`).
pub fn module_name(stack: &str) -> String {
    let m = names::snake_case(stack);
    if m == "support" || names::is_keyword(&m) {
        format!("{m}_stack")
    } else {
        m
    }
}
