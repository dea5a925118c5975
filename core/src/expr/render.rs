//! How an `Expr` is written into a template (JSON, with `Fn::Sub` for readable strings).

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::*;

struct OneKey<'a, V: Serialize + ?Sized>(&'a str, &'a V);

impl<V: Serialize + ?Sized> Serialize for OneKey<'_, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(self.0, self.1)?;
        m.end()
    }
}

/// The placeholders of an `Fn::Sub` template, as written (`Name`, `Resource.Attribute`),
/// trimmed; `${!Literal}` is an escape, not a placeholder. An unclosed `${` ends the scan.
pub fn sub_placeholders(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        rest = &rest[start + 2..];
        let Some(end) = rest.find('}') else { break };
        let inner = rest[..end].trim();
        if !inner.starts_with('!') && !inner.is_empty() {
            names.push(inner);
        }
        rest = &rest[end + 1..];
    }
    names
}

/// The `Fn::Sub` string for a concatenation of literals, pseudo parameters and same-stack
/// `Ref`/`GetAtt`s — far easier to read than the equivalent `Fn::Join`. `None` when any part
/// is something `Fn::Sub` cannot inline (an import, a nested function).
fn sub_form(items: &[Expr]) -> Option<String> {
    if items.iter().all(|i| matches!(i, Expr::String(_))) {
        return None;
    }
    let mut template = String::new();
    let mut placeholders = 0;
    for item in items {
        match item {
            // A literal `${` would read as a placeholder; `${!` is Fn::Sub's escape for it.
            Expr::String(s) => template.push_str(&s.replace("${", "${!")),
            Expr::Pseudo(p) if *p != Pseudo::NoValue => {
                placeholders += 1;
                template.push_str(&format!("${{{}}}", p.name()))
            }
            Expr::Ref(r) => {
                placeholders += 1;
                template.push_str(&format!("${{{}}}", r.logical_id()))
            }
            Expr::GetAtt { target, attribute } => {
                placeholders += 1;
                template.push_str(&format!("${{{}.{attribute}}}", target.logical_id()))
            }
            _ => return None,
        }
    }
    // An escaped literal `${` whose `}` comes after a placeholder (`${!${Queue}`) would
    // swallow it; such strings stay an exact Fn::Join.
    if sub_placeholders(&template).len() != placeholders {
        return None;
    }
    Some(template)
}

impl Serialize for Expr {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Expr::String(x) => s.serialize_str(x),
            Expr::Number(n) => n.serialize(s),
            Expr::Bool(b) => s.serialize_bool(*b),
            Expr::List(items) => items.serialize(s),
            Expr::Map(m) => m.serialize(s),
            Expr::Ref(r) => OneKey("Ref", r.logical_id()).serialize(s),
            Expr::GetAtt { target, attribute } => {
                OneKey("Fn::GetAtt", &(target.logical_id(), &**attribute)).serialize(s)
            }
            Expr::Pseudo(p) => OneKey("Ref", p.name()).serialize(s),
            Expr::Sub { template, vars } if vars.is_empty() => {
                OneKey("Fn::Sub", &**template).serialize(s)
            }
            Expr::Sub { template, vars } => OneKey("Fn::Sub", &(&**template, vars)).serialize(s),
            Expr::Concat(parts) => match sub_form(parts) {
                Some(template) => OneKey("Fn::Sub", template.as_str()).serialize(s),
                None => OneKey("Fn::Join", &("", parts)).serialize(s),
            },
            Expr::Join { delimiter, list } => {
                OneKey("Fn::Join", &(&**delimiter, &**list)).serialize(s)
            }
            Expr::Select { index, list } => OneKey("Fn::Select", &(&**index, &**list)).serialize(s),
            Expr::Split { delimiter, source } => {
                OneKey("Fn::Split", &(&**delimiter, &**source)).serialize(s)
            }
            Expr::GetAzs { region } => OneKey("Fn::GetAZs", &**region).serialize(s),
            Expr::ImportValue(x) => OneKey("Fn::ImportValue", &**x).serialize(s),
            Expr::If {
                condition,
                then,
                otherwise,
            } => OneKey("Fn::If", &(condition.name(), &**then, &**otherwise)).serialize(s),
            Expr::Equals(a, b) => OneKey("Fn::Equals", &(&**a, &**b)).serialize(s),
            Expr::And(items) => OneKey("Fn::And", items).serialize(s),
            Expr::Or(items) => OneKey("Fn::Or", items).serialize(s),
            Expr::Not(x) => OneKey("Fn::Not", &(&**x,)).serialize(s),
            Expr::Condition(c) => OneKey("Condition", c.name()).serialize(s),
            Expr::FindInMap { map, top, second } => {
                OneKey("Fn::FindInMap", &(map.name(), &**top, &**second)).serialize(s)
            }
            Expr::Base64(x) => OneKey("Fn::Base64", &**x).serialize(s),
            Expr::Cidr { block, count, bits } => {
                OneKey("Fn::Cidr", &(&**block, &**count, &**bits)).serialize(s)
            }
        }
    }
}
