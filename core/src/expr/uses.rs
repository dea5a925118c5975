//! What a value uses from outside itself (`Expr::uses`).

use crate::property_path::{PathSeg, PropertyPath};

use super::*;

/// Something a value uses from outside itself, as [`Expr::uses`] reports it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Use<'a> {
    /// A logical ID of the same template: a resource or parameter through `Ref`, an
    /// attribute through `Fn::GetAtt`, or either through an `Fn::Sub` placeholder.
    Local {
        /// The logical ID.
        id: &'a str,
        /// The attribute, for `Fn::GetAtt` and `${Id.Attribute}`.
        attribute: Option<&'a str>,
    },
    /// A pseudo parameter.
    Pseudo(Pseudo),
    /// `Fn::ImportValue` of this name (usually a literal string).
    Import(&'a Expr),
    /// A condition, by name (`Fn::If`, `{"Condition": ..}`).
    Condition(&'a str),
    /// A mapping, by name (`Fn::FindInMap`).
    Mapping(&'a str),
}

impl Expr {
    /// Everything this value uses, with where (the property path below this value), in
    /// document order. `Fn::Sub` placeholders count (`${Bucket.Arn}`), except those naming the
    /// substitution's own variables and `${!Literal}` escapes.
    pub fn uses(&self) -> Vec<(PropertyPath, Use<'_>)> {
        let mut out = Vec::new();
        self.collect_uses(&mut PropertyPath::new(), &mut out);
        out
    }

    fn collect_uses<'a>(&'a self, path: &mut PropertyPath, out: &mut Vec<(PropertyPath, Use<'a>)>) {
        let local = |r: &'a Reference, attribute: Option<&'a str>| Use::Local {
            id: r.logical_id(),
            attribute,
        };
        match self {
            Expr::Ref(r) => out.push((path.clone(), local(r, None))),
            Expr::GetAtt { target, attribute } => {
                out.push((path.clone(), local(target, Some(attribute))))
            }
            Expr::Pseudo(p) => out.push((path.clone(), Use::Pseudo(*p))),
            Expr::ImportValue(name) => {
                out.push((path.clone(), Use::Import(name)));
                name.collect_uses(path, out);
            }
            Expr::If { condition, .. } | Expr::Condition(condition) => {
                out.push((path.clone(), Use::Condition(condition.name())))
            }
            Expr::FindInMap { map, .. } => out.push((path.clone(), Use::Mapping(map.name()))),
            Expr::Sub { template, vars } => {
                for name in sub_placeholders(template) {
                    if vars.contains_key(name) {
                        continue;
                    }
                    let (id, attribute) = match name.split_once('.') {
                        Some((id, attr)) => (id, Some(attr)),
                        None => (name, None),
                    };
                    let u = match Pseudo::from_name(name) {
                        Some(p) => Use::Pseudo(p),
                        None => Use::Local { id, attribute },
                    };
                    out.push((path.clone(), u));
                }
            }
            _ => {}
        }
        match self {
            Expr::Map(m) => {
                for (k, v) in m {
                    path.push(PathSeg::Key(k.to_string()));
                    v.collect_uses(path, out);
                    path.pop();
                }
            }
            Expr::List(items) => {
                for (i, v) in items.iter().enumerate() {
                    path.push(PathSeg::Index(i));
                    v.collect_uses(path, out);
                    path.pop();
                }
            }
            // The parts of a string and a function's argument lists are not properties: their
            // uses belong to the property holding the whole value.
            Expr::Concat(items) => items.iter().for_each(|v| v.collect_uses(path, out)),
            Expr::Join { list, .. } | Expr::Select { list, .. } => {
                if let Expr::Select { index, .. } = self {
                    index.collect_uses(path, out);
                }
                match &**list {
                    Expr::List(items) => items.iter().for_each(|v| v.collect_uses(path, out)),
                    other => other.collect_uses(path, out),
                }
            }
            Expr::Sub { vars, .. } => {
                for v in vars.values() {
                    v.collect_uses(path, out);
                }
            }
            Expr::ImportValue(_) => {}
            other => other.for_each_child(|c| c.collect_uses(path, out)),
        }
    }
}
