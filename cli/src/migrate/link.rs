//! Cross-stack links between templates migrated together: a `Fn::ImportValue` of an export
//! another migrated template declares (an output with a literal `Export.Name` of a resource's
//! `Ref` or `Fn::GetAtt`) becomes a typed reference to that resource. The producer's module
//! returns the exported values (`Exports`), the consumer's takes them, and synth imports the
//! producer's export by its name (a reference to an explicitly exported value reuses that
//! export), so both templates stay as they were. Other imports stay `Fn::ImportValue`.

use std::collections::{HashMap, HashSet};

use stackforge_construct_model::{Expr, Template};

use super::names::snake_case;

/// One export a producer's `Exports` struct carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportField {
    /// The output declaring it.
    pub output: String,
    /// The field of `Exports` (`vpc_id`).
    pub field: String,
    /// The export name.
    pub name: String,
}

/// How one stack takes part in the links.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    /// What it exports to other migrated stacks (empty: its module returns the stack alone).
    pub exports: Vec<ExportField>,
    /// The stacks (indexes) whose exports it imports, in the order its module takes them.
    pub producers: Vec<usize>,
    /// Export name -> (producer index, field) for each import made typed.
    pub imports: HashMap<String, (usize, String)>,
}

/// The links of `templates` (migrated together), and the order to build them in: every
/// producer before its consumers, otherwise as given. An import that would close a cycle
/// stays an import.
pub fn link(templates: &[&Template]) -> (Vec<Links>, Vec<usize>) {
    let mut exported: HashMap<&str, Vec<(usize, &str)>> = HashMap::new();
    for (i, t) in templates.iter().enumerate() {
        for (output, o) in &t.outputs {
            let Some(Expr::String(name)) = &o.export_name else {
                continue;
            };
            let target = match &o.value {
                Expr::Ref(r) => r.logical_id(),
                Expr::GetAtt { target, .. } => target.logical_id(),
                _ => continue,
            };
            if o.condition.is_none() && t.resources.contains_key(target) {
                exported.entry(name).or_default().push((i, output));
            }
        }
    }
    // Wanted links (consumer, export name, producer, output), each export name once.
    let mut wanted: Vec<(usize, String, usize, String)> = Vec::new();
    for (j, t) in templates.iter().enumerate() {
        let mut seen = HashSet::new();
        for name in imported_names(t) {
            let Some([(i, output)]) = exported.get(name.as_str()).map(Vec::as_slice) else {
                continue; // not exported by a migrated template, or by several
            };
            if *i != j && seen.insert(name.clone()) {
                wanted.push((j, name, *i, (*output).to_owned()));
            }
        }
    }
    let order = build_order(templates.len(), &wanted);
    let position: Vec<usize> = {
        let mut p = vec![0; templates.len()];
        for (at, &i) in order.iter().enumerate() {
            p[i] = at;
        }
        p
    };
    let mut links = vec![Links::default(); templates.len()];
    for (j, name, i, output) in wanted {
        if position[i] > position[j] {
            continue; // closes a cycle
        }
        let field = match links[i].exports.iter().find(|e| e.name == name) {
            Some(e) => e.field.clone(),
            None => {
                let field = unique_field(&links[i].exports, &output);
                links[i].exports.push(ExportField {
                    output,
                    field: field.clone(),
                    name: name.clone(),
                });
                field
            }
        };
        if !links[j].producers.contains(&i) {
            links[j].producers.push(i);
        }
        links[j].imports.insert(name, (i, field));
    }
    (links, order)
}

/// A field name for `output` not yet used among `exports`.
fn unique_field(exports: &[ExportField], output: &str) -> String {
    let base = match snake_case(output) {
        s if super::names::is_keyword(&s) => format!("{s}_export"),
        s => s,
    };
    let mut field = base.clone();
    let mut n = 2;
    while exports.iter().any(|e| e.field == field) {
        field = format!("{base}_{n}");
        n += 1;
    }
    field
}

/// Literal export names the template imports (resources, outputs and conditions).
fn imported_names(t: &Template) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |e: &Expr| {
        e.visit(&mut |x| {
            if let Expr::ImportValue(name) = x {
                if let Expr::String(s) = &**name {
                    out.push(s.to_string());
                }
            }
        })
    };
    for r in t.resources.values() {
        r.properties.values().for_each(&mut add);
        r.creation_policy.as_deref().into_iter().for_each(&mut add);
        r.update_policy.as_deref().into_iter().for_each(&mut add);
    }
    for o in t.outputs.values() {
        add(&o.value);
        o.export_name.iter().for_each(&mut add);
    }
    t.conditions.values().for_each(&mut add);
    out
}

/// Indexes `0..n` with producers first (as given otherwise; a cycle keeps the given order).
fn build_order(n: usize, wanted: &[(usize, String, usize, String)]) -> Vec<usize> {
    let mut done = vec![false; n];
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let ready = |j: usize, done: &[bool]| {
            wanted
                .iter()
                .all(|(c, _, p, _)| *c != j || *p == j || done[*p])
        };
        let next = (0..n)
            .find(|&j| !done[j] && ready(j, &done))
            .or_else(|| (0..n).find(|&j| !done[j]));
        let Some(j) = next else { break };
        done[j] = true;
        out.push(j);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use stackforge_construct_model::document;

    fn parse(text: &str) -> Template {
        document::parse(text).unwrap()
    }

    #[test]
    fn imports_of_literal_exports_link_producer_first() {
        let consumer = parse(
            r#"{"Resources": {"T": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::ImportValue": "net-Vpc"}, "DisplayName": {"Fn::ImportValue": "elsewhere"}}}}}"#,
        );
        let producer = parse(
            r#"{"Resources": {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}},
                "Outputs": {"VpcId": {"Value": {"Ref": "Vpc"}, "Export": {"Name": "net-Vpc"}},
                            "Sub": {"Value": {"Ref": "Vpc"}, "Export": {"Name": {"Fn::Sub": "${AWS::StackName}-x"}}}}}"#,
        );
        let (links, order) = link(&[&consumer, &producer]);
        assert_eq!(order, [1, 0]);
        assert_eq!(
            links[1].exports,
            [ExportField {
                output: "VpcId".into(),
                field: "vpc_id".into(),
                name: "net-Vpc".into()
            }]
        );
        assert_eq!(links[0].producers, [1]);
        assert_eq!(links[0].imports["net-Vpc"], (1, "vpc_id".to_owned()));
        assert!(!links[0].imports.contains_key("elsewhere"));
    }

    #[test]
    fn an_import_closing_a_cycle_stays_an_import() {
        let a = parse(
            r#"{"Resources": {"A": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::ImportValue": "b"}}}},
                "Outputs": {"A": {"Value": {"Ref": "A"}, "Export": {"Name": "a"}}}}"#,
        );
        let b = parse(
            r#"{"Resources": {"B": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::ImportValue": "a"}}}},
                "Outputs": {"B": {"Value": {"Ref": "B"}, "Export": {"Name": "b"}}}}"#,
        );
        let (links, order) = link(&[&a, &b]);
        assert_eq!(order, [0, 1]);
        assert!(links[0].imports.is_empty());
        assert_eq!(links[1].imports["a"], (0, "a".to_owned()));
    }
}
