//! What CloudFormation checks when it creates a stack, checked on a template before anyone
//! deploys it: every `Ref`, `Fn::GetAtt`, `Fn::Sub` placeholder and `DependsOn` names
//! something the template declares, `GetAtt` attributes exist for the resource's type,
//! conditions and mappings exist, resources do not depend on each other in a cycle, and
//! parameter defaults satisfy their own constraints. Synthesis and the template reader
//! both run it, so a file given to `check`, `diff --against` or `deploy --templates` is held
//! to the same rules as a synthesized stack.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use crate::expr::Use;
use crate::property_path::PropertyPath;
use crate::resource::type_info;
use crate::template::{Template, UseSite};

/// Bytes of a template's `Description`.
pub const DESCRIPTION_BYTES: usize = 1024;

/// Characters of a parameter's `Description`.
pub const PARAMETER_DESCRIPTION_CHARS: usize = 4000;

/// One thing CloudFormation would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The resource concerned, when it is one (for the construct path).
    pub resource: Option<String>,
    /// Where in the template (`Resources.Queue.Properties.QueueName`, `Outputs.Url`).
    pub location: String,
    /// What is wrong, and how to fix it.
    pub problem: String,
}

/// Every problem of `t`, in document order.
pub fn check(t: &Template) -> Vec<Problem> {
    let mut out = Vec::new();
    if let Some(d) = &t.description {
        let problem = if d.len() > DESCRIPTION_BYTES {
            Some(format!("it is {} bytes, over the {DESCRIPTION_BYTES} CloudFormation accepts. Fix: shorten it", d.len()))
        } else if d
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            Some("it holds a control character. Fix: remove it".to_owned())
        } else {
            None
        };
        if let Some(problem) = problem {
            out.push(Problem {
                resource: None,
                location: "Description".into(),
                problem: format!("the template description is invalid: {problem}"),
            });
        }
    }
    names_are_alphanumeric(t, &mut out);
    references(t, &mut out);
    declarations(t, &mut out);
    if let Some(p) = cycle(t) {
        out.push(p);
    }
    parameters(t, &mut out);
    out
}

fn names_are_alphanumeric(t: &Template, out: &mut Vec<Problem>) {
    let sections: [(&str, Vec<&String>); 5] = [
        ("Parameters", t.parameters.keys().collect()),
        ("Mappings", t.mappings.keys().collect()),
        ("Conditions", t.conditions.keys().collect()),
        ("Resources", t.resources.keys().collect()),
        ("Outputs", t.outputs.keys().collect()),
    ];
    for (section, keys) in sections {
        for name in keys {
            if name.is_empty()
                || name.len() > 255
                || !name.chars().all(|c| c.is_ascii_alphanumeric())
            {
                out.push(Problem {
                    resource: None,
                    location: format!("{section}.{name}"),
                    problem: "the name is not alphanumeric: CloudFormation accepts 1 to 255 ASCII letters and digits. Fix: rename it, e.g. without `-`, `_` or spaces".into(),
                });
            }
        }
    }
}

/// Whether `name` has the form of a resource type: `AWS::Service::Resource`,
/// `Custom::Name` or a registry type (`Org::Service::Resource`, `...::MODULE`).
pub fn is_type_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split("::").collect();
    (2..=4).contains(&parts.len())
        && parts.iter().enumerate().all(|(i, p)| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || (i > 0 && matches!(c, '_' | '@' | '-')))
        })
}

fn site_location(site: &UseSite, path: &PropertyPath) -> (Option<String>, String) {
    let (resource, base) = match site {
        UseSite::Resource(id) => (Some(id.clone()), format!("Resources.{id}")),
        UseSite::Output(name) => (None, format!("Outputs.{name}")),
        UseSite::Condition(name) => (None, format!("Conditions.{name}")),
    };
    (resource, crate::document::location(&base, path))
}

fn names(keys: impl Iterator<Item = impl AsRef<str>>) -> String {
    let all: Vec<String> = keys.map(|k| k.as_ref().to_owned()).take(8).collect();
    if all.is_empty() {
        "none".to_owned()
    } else {
        all.join(", ")
    }
}

fn references(t: &Template, out: &mut Vec<Problem>) {
    for (site, path, u) in t.uses() {
        let problem = match u {
            Use::Local {
                id,
                attribute: None,
            } if !t.resources.contains_key(id) && !t.parameters.contains_key(id) => format!(
                "`{id}` names no resource or parameter of this template. Fix: use one it declares (resources: {}; parameters: {})",
                names(t.resources.keys()),
                names(t.parameters.keys())
            ),
            Use::Local {
                id,
                attribute: Some(attribute),
            } => match t.resources.get(id) {
                None => format!(
                    "`{id}.{attribute}` names no resource of this template. Fix: use one it declares ({})",
                    names(t.resources.keys())
                ),
                Some(r) => match unknown_attribute(&r.type_name, attribute) {
                    Some(known) => format!(
                        "`{id}` ({}) has no attribute `{attribute}`. Fix: use one of {}",
                        r.type_name,
                        names(known.iter())
                    ),
                    None => continue,
                },
            },
            Use::Condition(name) if !t.conditions.contains_key(name) => format!(
                "the condition `{name}` is not declared. Fix: add it to `Conditions` (declared: {})",
                names(t.conditions.keys())
            ),
            Use::Mapping(name) if !t.mappings.contains_key(name) => format!(
                "the mapping `{name}` is not declared. Fix: add it to `Mappings` (declared: {})",
                names(t.mappings.keys())
            ),
            _ => continue,
        };
        let (resource, location) = site_location(&site, &path);
        out.push(Problem {
            resource,
            location,
            problem,
        });
    }
}

fn declarations(t: &Template, out: &mut Vec<Problem>) {
    for (id, r) in &t.resources {
        if !is_type_name(&r.type_name) {
            out.push(Problem {
                resource: Some(id.clone()),
                location: format!("Resources.{id}.Type"),
                problem: format!(
                    "`{}` is not a resource type name. Fix: use the form `AWS::Service::Resource` (e.g. `AWS::SQS::Queue`) or `Custom::Name`",
                    r.type_name
                ),
            });
        }
        for target in &r.depends_on {
            let problem = if target == id {
                format!("`{id}` depends on itself. Fix: remove it from its own `DependsOn`")
            } else if !t.resources.contains_key(target) {
                format!(
                    "`{target}` names no resource of this template. Fix: depend on one it declares ({})",
                    names(t.resources.keys())
                )
            } else {
                continue;
            };
            out.push(Problem {
                resource: Some(id.clone()),
                location: format!("Resources.{id}.DependsOn"),
                problem,
            });
        }
        if let Some(c) = &r.condition {
            if !t.conditions.contains_key(c) {
                out.push(Problem {
                    resource: Some(id.clone()),
                    location: format!("Resources.{id}.Condition"),
                    problem: format!(
                        "the condition `{c}` is not declared. Fix: add it to `Conditions` (declared: {})",
                        names(t.conditions.keys())
                    ),
                });
            }
        }
    }
    for (name, o) in &t.outputs {
        if let Some(c) = &o.condition {
            if !t.conditions.contains_key(c) {
                out.push(Problem {
                    resource: None,
                    location: format!("Outputs.{name}.Condition"),
                    problem: format!(
                        "the condition `{c}` is not declared. Fix: add it to `Conditions` (declared: {})",
                        names(t.conditions.keys())
                    ),
                });
            }
        }
    }
}

/// The attributes `Fn::GetAtt` may read of `type_name` when `attribute` is not one of them;
/// `None` when it is, or when the type is not known here (custom and third-party types).
pub fn unknown_attribute(type_name: &str, attribute: &str) -> Option<Vec<String>> {
    let info = type_info(type_name)?;
    // Some older types also return writable top-level properties (`AWS::SQS::Queue`
    // `QueueName`), so those count as well.
    let is_property = info
        .schema()
        .ok()
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .is_some_and(|p| p.contains_key(attribute));
    if info.attributes.is_empty() || info.has_attribute(attribute) || is_property {
        None
    } else {
        Some(info.attributes.iter().map(|a| (*a).to_owned()).collect())
    }
}

/// A cycle among resources (through `DependsOn`, `Ref`, `Fn::GetAtt` and `Fn::Sub`).
fn cycle(t: &Template) -> Option<Problem> {
    let mut edges: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for (id, r) in &t.resources {
        let e = edges.entry(id.as_str()).or_default();
        for d in &r.depends_on {
            if d != id && t.resources.contains_key(d) {
                e.insert(d.as_str());
            }
        }
    }
    for (site, _, u) in t.uses() {
        if let (UseSite::Resource(from), Use::Local { id, .. }) = (&site, u) {
            if let Some((to, _)) = t.resources.get_key_value(id) {
                if let Some((from, _)) = t.resources.get_key_value(from.as_str()) {
                    edges.entry(from.as_str()).or_default().insert(to.as_str());
                }
            }
        }
    }
    // Iterative depth-first search: 0 unseen, 1 on the current path, 2 done.
    let mut state: HashMap<&str, u8> = HashMap::new();
    for start in t.resources.keys() {
        if state.get(start.as_str()).copied().unwrap_or(0) != 0 {
            continue;
        }
        let mut stack: Vec<(&str, Vec<&str>)> = vec![(
            start.as_str(),
            edges
                .get(start.as_str())
                .map(|s| s.iter().rev().copied().collect())
                .unwrap_or_default(),
        )];
        state.insert(start.as_str(), 1);
        while let Some((node, todo)) = stack.last_mut() {
            let node = *node;
            match todo.pop() {
                None => {
                    state.insert(node, 2);
                    stack.pop();
                }
                Some(next) => match state.get(next).copied().unwrap_or(0) {
                    0 => {
                        state.insert(next, 1);
                        let children = edges
                            .get(next)
                            .map(|s| s.iter().rev().copied().collect())
                            .unwrap_or_default();
                        stack.push((next, children));
                    }
                    1 => {
                        let from = stack.iter().position(|(n, _)| *n == next).unwrap_or(0);
                        let mut ids: Vec<&str> = stack[from..].iter().map(|(n, _)| *n).collect();
                        ids.push(next);
                        return Some(Problem {
                            resource: Some(next.to_owned()),
                            location: format!("Resources.{next}"),
                            problem: format!(
                                "resources depend on each other in a cycle: {}. Fix: remove one of these references or `DependsOn` entries",
                                ids.join(" -> ")
                            ),
                        });
                    }
                    _ => {}
                },
            }
        }
    }
    None
}

fn parameters(t: &Template, out: &mut Vec<Problem>) {
    for (name, p) in &t.parameters {
        let location = format!("Parameters.{name}");
        let mut push = |problem: String| {
            out.push(Problem {
                resource: None,
                location: location.clone(),
                problem,
            })
        };
        if let Some(d) = &p.description {
            if d.chars().count() > PARAMETER_DESCRIPTION_CHARS {
                push(format!(
                    "its Description is over the {PARAMETER_DESCRIPTION_CHARS} characters CloudFormation accepts. Fix: shorten it"
                ));
            }
        }
        // AllowedPattern is not checked for syntax: CloudFormation reads it as a Java regex,
        // which accepts patterns no Rust engine does (`[\w-\+]`, look-around); a pattern our
        // engine cannot read is not evidence that CloudFormation refuses it.
        if let (Some(min), Some(max)) = (p.min_length, p.max_length) {
            if min > max {
                push(format!(
                    "MinLength {min} is above MaxLength {max}. Fix: swap or correct them"
                ));
            }
        }
        if let (Some(min), Some(max)) = (p.min_value, p.max_value) {
            if min > max {
                push(format!(
                    "MinValue {min} is above MaxValue {max}. Fix: swap or correct them"
                ));
            }
        }
        if let Some(d) = &p.default {
            if let Err(problem) = p.check_value(d) {
                push(format!(
                    "its Default does not satisfy its own constraints: {problem}. Fix: change the Default or the constraint"
                ));
            }
        }
    }
}
