//! Resolving references: every `Ref`, `Fn::GetAtt`, `Fn::Sub` placeholder, condition and
//! mapping is checked against the stack that owns it; references into another stack of the
//! environment become an export there and `Fn::ImportValue` here.

use indexmap::IndexMap;

use super::{Edges, ExportRequest};
use crate::app::App;
use crate::error::Error;
use crate::export::ExportName;
use crate::expr::{Expr, ExprMap, Pseudo, RefKind, Reference, StackKey};
use crate::stack::Stack;

pub(super) struct Resolver<'a, 'b> {
    pub(super) app: &'a App,
    pub(super) stack: &'a Stack,
    pub(super) exports: &'b mut IndexMap<StackKey, IndexMap<String, ExportRequest>>,
    pub(super) deps: &'b mut Edges,
    pub(super) errors: &'b mut Vec<Error>,
}

impl Resolver<'_, '_> {
    /// Checks every reference in `value`, turning cross-stack ones into `Fn::ImportValue`.
    pub(super) fn resolve(&mut self, value: &mut Expr, consumer: &str) {
        value.visit_mut(&mut |e| match e {
            Expr::Ref(r) => {
                if let Some(import) = self.reference(r, None, consumer) {
                    *e = import;
                }
            }
            Expr::GetAtt { target, attribute } => {
                let attribute = attribute.clone();
                if let Some(import) = self.reference(target, Some(&attribute), consumer) {
                    *e = import;
                }
            }
            Expr::If { condition, .. } | Expr::Condition(condition)
                if condition.owner().is_some_and(|o| o != self.stack.key()) =>
            {
                self.errors.push(Error::ForeignDeclaration {
                    consumer: consumer.to_owned(),
                    kind: "condition",
                    name: condition.name().to_owned(),
                    owner: condition
                        .owner()
                        .map_or_else(String::new, ToString::to_string),
                });
            }
            Expr::FindInMap { map, .. } if map.owner().is_some_and(|o| o != self.stack.key()) => {
                self.errors.push(Error::ForeignDeclaration {
                    consumer: consumer.to_owned(),
                    kind: "mapping",
                    name: map.name().to_owned(),
                    owner: map.owner().map_or_else(String::new, ToString::to_string),
                });
            }
            Expr::Sub { template, vars } => self.check_sub(template, vars, consumer),
            _ => {}
        });
    }

    /// Returns the `Fn::ImportValue` replacing a cross-stack reference, or `None` when the
    /// reference stays (it is local; errors are recorded).
    fn reference(
        &mut self,
        r: &Reference,
        attribute: Option<&str>,
        consumer: &str,
    ) -> Option<Expr> {
        let owner = match r.owner() {
            None => {
                self.check_local(r, attribute, consumer);
                return None;
            }
            Some(owner) if owner == self.stack.key() => {
                self.check_local(r, attribute, consumer);
                return None;
            }
            Some(owner) => owner,
        };
        if owner.env() != self.stack.key().env() {
            self.errors.push(Error::CrossEnvironmentReference {
                consumer: consumer.to_owned(),
                consumer_env: self.stack.key().env().to_owned(),
                target: r.path().to_string(),
                target_env: owner.env().to_owned(),
            });
            return None;
        }
        let Some(producer) = self.app.stacks.iter().find(|s| s.key() == owner) else {
            self.errors.push(Error::UnknownStack {
                consumer: consumer.to_owned(),
                target: r.path().to_string(),
                stack: owner.to_string(),
            });
            return None;
        };
        let exists = match r.kind() {
            RefKind::Resource => producer.resources.contains_key(r.logical_id()),
            RefKind::Parameter => producer.parameters.contains_key(r.logical_id()),
        };
        if !exists {
            self.errors.push(Error::MissingTarget {
                consumer: consumer.to_owned(),
                what: if attribute.is_some() { "GetAtt" } else { "Ref" },
                target: r.logical_id().to_owned(),
                stack: producer.stack_name().to_owned(),
                fix: "use the handle returned when the resource was added to that stack".into(),
            });
            return None;
        }
        let value = match attribute {
            None => Expr::Ref(r.clone()),
            Some(a) => Expr::GetAtt {
                target: r.clone(),
                attribute: a.into(),
            },
        };
        // A value the producer already exports under a name of its own (an output with a
        // literal `Export.Name`, as migrated stacks declare) is imported by that name, so
        // the export keeps its name and no second export of the same value is made.
        let named = producer
            .outputs
            .values()
            .find_map(|o| match &o.export_name {
                Some(Expr::String(name)) if o.condition.is_none() && o.value == value => Some(name),
                _ => None,
            });
        if let Some(name) = named {
            self.record_dependency(owner, r, attribute, consumer);
            return Some(Expr::import_value(Expr::String(name.clone())));
        }
        let attr_alnum: String = attribute
            .unwrap_or_default()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        let mut output_id = format!("Export{}{attr_alnum}", r.logical_id());
        if output_id.len() > crate::logical_id::MAX_ID_LEN {
            let digest = format!("{:x}", md5::compute(&output_id));
            output_id.truncate(crate::logical_id::MAX_ID_LEN - 8);
            output_id.push_str(&digest[..8].to_uppercase());
        }
        let export_name =
            ExportName::synthesized_name(producer.stack_name(), r.logical_id(), attribute);
        self.exports
            .entry(owner.clone())
            .or_default()
            .entry(output_id.clone())
            .or_insert(ExportRequest {
                output_id,
                export_name: export_name.clone(),
                value,
            });
        self.record_dependency(owner, r, attribute, consumer);
        Some(Expr::import_value(Expr::String(export_name.into())))
    }

    /// Records that this stack deploys after `owner`, whose `r` (`attribute`) `consumer` uses.
    fn record_dependency(
        &mut self,
        owner: &StackKey,
        r: &Reference,
        attribute: Option<&str>,
        consumer: &str,
    ) {
        self.deps.entry(owner.clone()).or_insert_with(|| {
            let what = attribute.map_or(String::new(), |a| format!(".{a}"));
            format!("`{consumer}` uses `{}{what}`", r.path())
        });
    }

    fn check_local(&mut self, r: &Reference, attribute: Option<&str>, consumer: &str) {
        let id = r.logical_id();
        let exists = self.stack.resources.contains_key(id)
            || (attribute.is_none() && self.stack.parameters.contains_key(id))
            || (attribute.is_none() && r.owner().is_none() && Pseudo::from_name(id).is_some());
        if !exists {
            self.errors.push(Error::MissingTarget {
                consumer: consumer.to_owned(),
                what: if attribute.is_some() { "GetAtt" } else { "Ref" },
                target: id.to_owned(),
                stack: self.stack.stack_name().to_owned(),
                fix: "reference a resource or parameter of this stack (prefer the handle returned when it was added)".into(),
            });
        }
    }

    /// `${Name}` placeholders must be variables, pseudo parameters, or names of this stack.
    fn check_sub(&mut self, template: &str, vars: &ExprMap, consumer: &str) {
        for name in crate::expr::sub_placeholders(template) {
            let base = name.split('.').next().unwrap_or(name);
            let known = vars.contains_key(name)
                || Pseudo::from_name(name).is_some()
                || self.stack.parameters.contains_key(name)
                || self.stack.resources.contains_key(base);
            if !known {
                self.errors.push(Error::MissingTarget {
                    consumer: consumer.to_owned(),
                    what: "Fn::Sub placeholder",
                    target: name.to_owned(),
                    stack: self.stack.stack_name().to_owned(),
                    fix: format!(
                        "pass `{name}` as a variable: Expr::sub(template, [(\"{name}\", value)])"
                    ),
                });
            }
        }
    }
}
