//! One stack module: a function building the stack from a template model, in the order
//! CloudFormation declares things (parameters, mappings, conditions, resources, outputs).
//! Resources come in dependency order (template order where it allows), so references
//! between them use the handles of resources already added.

use std::collections::{HashMap, HashSet};

use indexmap::IndexMap;
use stackforge_construct_model::{Expr, Parameter, ParameterType, Template};

use super::emit::ResourceEmitter;
use super::link::ExportField;
use super::names::Names;
use super::rust_expr::{string_lit, Binding, Ctx};
use super::suggest;

/// Everything a module header needs to say where the stack came from.
pub struct ModuleSpec<'a> {
    /// The stack's short name (`network`).
    pub stack: &'a str,
    /// The file it was migrated from, as shown in the header.
    pub source: &'a str,
    /// Its links to the stacks migrated with it.
    pub cross: CrossStack,
}

/// A module's cross-stack links, with the producers named by their modules.
#[derive(Debug, Clone, Default)]
pub struct CrossStack {
    /// What it exports to other migrated stacks: its module returns them as `Exports`.
    pub exports: Vec<ExportField>,
    /// The modules whose `Exports` its `stack` function takes, in order.
    pub takes: Vec<String>,
    /// Export name -> (producer module, field) of each import made a typed reference.
    pub imports: HashMap<String, (String, String)>,
}

/// A module as written.
#[derive(Debug, Clone, Default)]
pub struct Written {
    /// The module source (not yet rustfmt-formatted).
    pub code: String,
    /// The catalog features its typed resources need (`ec2-vpc`).
    pub features: Vec<String>,
    /// How many resources are typed.
    pub typed: usize,
    /// How many resources are raw.
    pub raw: usize,
}

/// The module of template `t`.
pub fn write(spec: &ModuleSpec<'_>, t: &Template, emitter: &dyn ResourceEmitter) -> Written {
    let mut ctx = Ctx::default();
    let mut names = Names::default();
    let used = used_names(t);
    let mut body = String::new();
    let mut params = String::new();
    for producer in &spec.cross.takes {
        let var = names.fresh(&format!("{producer}_exports"), "param");
        params.push_str(&format!(", {var}: &crate::{producer}::Exports"));
        for (name, (module, field)) in &spec.cross.imports {
            if module == producer {
                ctx.linked
                    .insert(name.clone(), format!("{var}.{field}.clone()"));
            }
        }
    }

    // Stack props.
    let mut props = Vec::new();
    if let Some(d) = &t.description {
        props.push(format!("description: Some({}.into())", string_lit(d)));
    }
    if !t.metadata.is_empty() {
        props.push(format!("metadata: {}", json_map(&t.metadata, &mut ctx)));
    }
    if let Some(r) = &t.rules {
        props.push(format!("rules: Some({})", ctx.json(r)));
    }
    let props = if props.is_empty() {
        "StackProps::default()".to_owned()
    } else {
        format!(
            "StackProps {{\n{},\n..Default::default()\n}}",
            props.join(",\n")
        )
    };
    // Written with line breaks: rustfmt leaves a statement with an over-long string as is.
    body.push_str(&format!(
        "let mut stack = Stack::new(\napp,\nenv,\n{},\n{props},\n)?;\n",
        string_lit(spec.stack)
    ));

    if !t.parameters.is_empty() {
        body.push_str("\n// Parameters\n");
        ctx.imports.insert("Parameter");
    }
    for (name, p) in &t.parameters {
        let value = parameter(p, &mut ctx);
        let call = format!("stack.add_parameter(\n{},\n{value},\n)?;", string_lit(name));
        if used.contains(name) {
            let var = names.fresh(name, "param");
            ctx.refs
                .insert(name.clone(), Binding::Parameter(var.clone()));
            body.push_str(&format!("let {var} = {call}\n"));
        } else {
            body.push_str(&format!("{call}\n"));
        }
    }

    if !t.mappings.is_empty() {
        body.push_str("\n// Mappings\n");
        ctx.imports.insert("IndexMap");
    }
    for (name, m) in &t.mappings {
        let mut tops = Vec::new();
        for (top, second) in m {
            let inner: Vec<String> = second
                .iter()
                .map(|(k, v)| format!("({}.to_owned(), {})", string_lit(k), ctx.expr(v)))
                .collect();
            tops.push(format!(
                "({}.to_owned(), IndexMap::from([{}]))",
                string_lit(top),
                inner.join(", ")
            ));
        }
        let call = format!(
            "stack.add_mapping({}, IndexMap::from([{}]))?;",
            string_lit(name),
            tops.join(", ")
        );
        if used.contains(name) {
            let var = names.fresh(name, "map");
            ctx.mappings.insert(name.clone(), var.clone());
            body.push_str(&format!("let {var} = {call}\n"));
        } else {
            body.push_str(&format!("{call}\n"));
        }
    }

    if !t.conditions.is_empty() {
        body.push_str("\n// Conditions\n");
    }
    let condition_order = order(&t.conditions, condition_deps);
    for name in condition_order {
        let value = ctx.expr(&t.conditions[name]);
        let call = format!("stack.add_condition({}, {value})?;", string_lit(name));
        if used.contains(name.as_str()) {
            let var = names.fresh(name, "cond");
            ctx.conditions.insert(name.clone(), var.clone());
            body.push_str(&format!("let {var} = {call}\n"));
        } else {
            body.push_str(&format!("{call}\n"));
        }
    }

    let resource_order = order(&t.resources, |r| {
        let mut deps = Vec::new();
        for v in r.properties.values() {
            deps.extend(expr_refs(v));
        }
        for v in r.creation_policy.iter().chain(r.update_policy.iter()) {
            deps.extend(expr_refs(v));
        }
        deps.extend(r.depends_on.iter().cloned());
        deps
    });
    if !t.resources.is_empty() {
        body.push_str("\n// Resources (each keeps its deployed logical ID)\n");
        for s in suggest::suggestions(t) {
            body.push_str(&format!("// Suggestion: {s}\n"));
        }
        body.push_str("let mut root = stack.root();\n");
    }
    for id in resource_order {
        let r = &t.resources[id];
        let options = options(id, r, &mut ctx);
        let call = emitter.emit(id, r, &options, &mut ctx);
        // Comments the emitter leads with go above the statement.
        let (comments, call) = split_comments(&call);
        body.push_str(comments);
        if used.contains(id.as_str()) {
            let var = names.fresh(id, "res");
            body.push_str(&format!("let {var} = {call}?;\n"));
            ctx.refs.insert(id.clone(), Binding::Resource(var));
        } else {
            body.push_str(&format!("{call}?;\n"));
        }
    }

    if !t.outputs.is_empty() {
        body.push_str("\n// Outputs\n");
        ctx.imports.insert("Output");
    }
    for (name, o) in &t.outputs {
        let mut out = format!("Output::new({})", ctx.convertible(&o.value));
        if let Some(d) = &o.description {
            out.push_str(&format!("\n.description({})", string_lit(d)));
        }
        if let Some(e) = &o.export_name {
            out.push_str(&format!("\n.export({})", ctx.convertible(e)));
        }
        if let Some(c) = &o.condition {
            out = format!(
                "Output {{\ncondition: Some({}.into()),\n..{out}\n}}",
                string_lit(c)
            );
        }
        body.push_str(&format!(
            "stack.add_output(\n{},\n{out},\n)?;\n",
            string_lit(name)
        ));
    }
    let mut returns = "Stack".to_owned();
    let mut exports_decl = String::new();
    if spec.cross.exports.is_empty() {
        body.push_str("Ok(stack)\n");
    } else {
        returns = "(Stack, Exports)".to_owned();
        exports_decl.push_str("\n/// What this stack exports to the stacks migrated with it (typed references: synth\n/// imports each by its export name).\n#[derive(Debug, Clone)]\npub struct Exports {\n");
        let mut fields = Vec::new();
        for e in &spec.cross.exports {
            exports_decl.push_str(&format!(
                "/// Output `{}`, exported as `{}`.\npub {}: Expr,\n",
                e.output,
                e.name.replace('`', ""),
                e.field
            ));
            let value = ctx.expr(&t.outputs[&e.output].value);
            fields.push(format!("{}: {value}", e.field));
        }
        exports_decl.push_str("}\n");
        ctx.imports.insert("Expr");
        body.push_str(&format!(
            "Ok((\nstack,\nExports {{\n{},\n}},\n))\n",
            fields.join(",\n")
        ));
    }

    if body.contains("Expr::") {
        ctx.imports.insert("Expr");
    }
    let text = header(spec, &ctx) + &exports_decl + &format!(
        "\n/// Builds the `{stack}` stack in `env`.\npub fn stack(app: &App, env: &Environment{params}) -> Result<{returns}, Error> {{\n{body}}}\n",
        stack = spec.stack
    );
    Written {
        code: super::indent::indent(&text),
        features: ctx.features.into_iter().collect(),
        typed: ctx.typed,
        raw: ctx.raw,
    }
}

fn header(spec: &ModuleSpec<'_>, ctx: &Ctx) -> String {
    let mut imports: Vec<&str> = ["App", "Environment", "Error", "Stack", "StackProps"]
        .into_iter()
        .chain(ctx.imports.iter().copied())
        .collect();
    imports.sort_unstable();
    imports.dedup();
    let mut out = format!(
        "//! The `{}` stack, migrated from `{}` by `stackforge migrate`.\n//! Every resource keeps the logical ID it has in the deployed stack, so nothing is replaced.\n\n",
        spec.stack, spec.source
    );
    if ctx.uses_json {
        out.push_str("use serde_json::json;\n");
    }
    out.push_str(&format!(
        "use stackforge_constructs::{{{}}};\n",
        imports.join(", ")
    ));
    match ctx.services.len() {
        0 => {}
        1 => out.push_str(&format!(
            "use stackforge_constructs::resources::{};\n",
            ctx.services.iter().next().map_or("", String::as_str)
        )),
        _ => out.push_str(&format!(
            "use stackforge_constructs::resources::{{{}}};\n",
            ctx.services.iter().cloned().collect::<Vec<_>>().join(", ")
        )),
    }
    let mut support = vec!["kept"];
    if ctx.uses_json_text {
        support.push("json_text");
    }
    if ctx.uses_sub {
        support.push("sub");
    }
    out.push_str(&format!(
        "\nuse crate::support::{{{}}};\n",
        support.join(", ")
    ));
    out
}

/// Splits the leading `//` comment lines off `code`.
fn split_comments(code: &str) -> (&str, &str) {
    let mut at = 0;
    while code[at..].starts_with("//") {
        match code[at..].find('\n') {
            Some(end) => at += end + 1,
            None => break,
        }
    }
    code.split_at(at)
}

/// The `ResourceOptions` of a resource: its logical ID kept, plus its attributes.
fn options(id: &str, r: &stackforge_construct_model::ResourceDef, ctx: &mut Ctx) -> String {
    let mut fields = Vec::new();
    if !r.depends_on.is_empty() {
        let deps: Vec<String> = r
            .depends_on
            .iter()
            .map(|d| match ctx.refs.get(d) {
                Some(Binding::Resource(var)) => format!("{var}.reference().clone()"),
                _ => {
                    ctx.imports.insert("Reference");
                    format!("Reference::local({})", string_lit(d))
                }
            })
            .collect();
        fields.push(format!("depends_on: vec![{}]", deps.join(", ")));
    }
    if let Some(c) = &r.condition {
        fields.push(format!("condition: Some({})", ctx.condition_owned(c)));
    }
    for (field, policy) in [
        ("deletion_policy", r.deletion_policy),
        ("update_replace_policy", r.update_replace_policy),
    ] {
        if let Some(p) = policy {
            ctx.imports.insert("RemovalPolicy");
            fields.push(format!("{field}: Some(RemovalPolicy::{p:?})"));
        }
    }
    if !r.metadata.is_empty() {
        fields.push(format!("metadata: {}", json_map(&r.metadata, ctx)));
    }
    if let Some(p) = &r.creation_policy {
        fields.push(format!("creation_policy: Some({})", ctx.expr(p)));
    }
    if let Some(p) = &r.update_policy {
        fields.push(format!("update_policy: Some({})", ctx.expr(p)));
    }
    let kept = format!("kept({})", string_lit(id));
    if fields.is_empty() {
        kept
    } else {
        ctx.imports.insert("ResourceOptions");
        format!("ResourceOptions {{\n{},\n..{kept}\n}}", fields.join(",\n"))
    }
}

/// `IndexMap<String, serde_json::Value>` code (metadata).
fn json_map(m: &IndexMap<String, serde_json::Value>, ctx: &mut Ctx) -> String {
    ctx.imports.insert("IndexMap");
    let entries: Vec<String> = m
        .iter()
        .map(|(k, v)| format!("({}.to_owned(), {})", string_lit(k), ctx.json(v)))
        .collect();
    format!("IndexMap::from([\n{},\n])", entries.join(",\n"))
}

/// `Parameter` builder code reproducing `p`.
fn parameter(p: &Parameter, ctx: &mut Ctx) -> String {
    let mut code = match &p.kind {
        ParameterType::String => "Parameter::string()".to_owned(),
        ParameterType::Number => "Parameter::number()".to_owned(),
        ParameterType::NumberList => {
            ctx.imports.insert("ParameterType");
            "Parameter::new(ParameterType::NumberList)".to_owned()
        }
        ParameterType::CommaDelimitedList => {
            ctx.imports.insert("ParameterType");
            "Parameter::new(ParameterType::CommaDelimitedList)".to_owned()
        }
        ParameterType::Aws(name) => {
            ctx.imports.insert("ParameterType");
            format!(
                "Parameter::new(ParameterType::Aws({}.into()))",
                string_lit(name)
            )
        }
    };
    if let Some(d) = &p.description {
        code.push_str(&format!("\n.description({})", string_lit(d)));
    }
    if let Some(d) = &p.default {
        code.push_str(&format!("\n.default_value({})", string_lit(d)));
    }
    if p.no_echo {
        code.push_str("\n.no_echo()");
    }
    if !p.allowed_values.is_empty() {
        let values: Vec<String> = p.allowed_values.iter().map(|v| string_lit(v)).collect();
        code.push_str(&format!("\n.allowed_values([{}])", values.join(", ")));
    }
    let mut fields = Vec::new();
    if let Some(v) = &p.allowed_pattern {
        fields.push(format!("allowed_pattern: Some({}.into())", string_lit(v)));
    }
    if let Some(v) = &p.constraint_description {
        fields.push(format!(
            "constraint_description: Some({}.into())",
            string_lit(v)
        ));
    }
    for (field, v) in [("min_length", p.min_length), ("max_length", p.max_length)] {
        if let Some(v) = v {
            fields.push(format!("{field}: Some({v})"));
        }
    }
    for (field, v) in [("min_value", p.min_value), ("max_value", p.max_value)] {
        if let Some(v) = v {
            let lit = format!("{v:?}_f64");
            fields.push(format!("{field}: Some({lit})"));
        }
    }
    if fields.is_empty() {
        code
    } else {
        format!("Parameter {{\n{},\n..{code}\n}}", fields.join(",\n"))
    }
}

/// Names (parameters, resources, conditions, mappings) the template refers to anywhere, so
/// only those get variables.
fn used_names(t: &Template) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut add = |e: &Expr| {
        e.visit(&mut |x| match x {
            Expr::Ref(r) => {
                out.insert(r.logical_id().to_owned());
            }
            Expr::GetAtt { target, .. } => {
                out.insert(target.logical_id().to_owned());
            }
            Expr::If { condition, .. } | Expr::Condition(condition) => {
                out.insert(condition.name().to_owned());
            }
            Expr::FindInMap { map, .. } => {
                out.insert(map.name().to_owned());
            }
            _ => {}
        })
    };
    for c in t.conditions.values() {
        add(c);
    }
    for m in t
        .mappings
        .values()
        .flat_map(|m| m.values())
        .flat_map(|s| s.values())
    {
        add(m);
    }
    for r in t.resources.values() {
        r.properties.values().for_each(&mut add);
        r.creation_policy.as_deref().into_iter().for_each(&mut add);
        r.update_policy.as_deref().into_iter().for_each(&mut add);
    }
    for o in t.outputs.values() {
        add(&o.value);
        o.export_name.iter().for_each(&mut add);
    }
    for r in t.resources.values() {
        out.extend(r.depends_on.iter().cloned());
        out.extend(r.condition.iter().cloned());
    }
    out
}

/// Logical IDs an expression refers to with `Ref`/`GetAtt`.
fn expr_refs(e: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    e.visit(&mut |x| match x {
        Expr::Ref(r) => out.push(r.logical_id().to_owned()),
        Expr::GetAtt { target, .. } => out.push(target.logical_id().to_owned()),
        _ => {}
    });
    out
}

/// Conditions a condition refers to.
fn condition_deps(e: &Expr) -> Vec<String> {
    let mut out = Vec::new();
    e.visit(&mut |x| {
        if let Expr::Condition(c) | Expr::If { condition: c, .. } = x {
            out.push(c.name().to_owned());
        }
    });
    out
}

/// The keys of `items` in dependency order: each item after the items it depends on,
/// otherwise in template order (a cycle, which CloudFormation rejects, keeps template order).
fn order<T>(items: &IndexMap<String, T>, deps: impl Fn(&T) -> Vec<String>) -> Vec<&String> {
    let deps: Vec<Vec<usize>> = items
        .values()
        .map(|v| {
            deps(v)
                .iter()
                .filter_map(|d| items.get_index_of(d))
                .collect()
        })
        .collect();
    let mut done = vec![false; items.len()];
    let mut out = Vec::with_capacity(items.len());
    while out.len() < items.len() {
        let next = (0..items.len())
            .find(|&i| !done[i] && deps[i].iter().all(|&d| done[d] || d == i))
            .or_else(|| (0..items.len()).find(|&i| !done[i]));
        let Some(i) = next else { break };
        done[i] = true;
        out.push(items.get_index(i).map(|(k, _)| k).expect("index in range"));
    }
    out
}
