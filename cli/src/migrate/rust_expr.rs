//! Rust source for values: an [`Expr`] becomes the builder calls that recreate it
//! (`bucket.get_att("Arn")`, `Expr::sub(..)`, `Expr::if_(&is_prod, ..)`), literal JSON
//! becomes `json!(..)`. What the code builds is exactly the value it was written from, so
//! synth renders the same template.

use std::collections::{BTreeSet, HashMap};

use serde_json::{Number, Value};
use stackforge_construct_model::{Expr, Pseudo};

/// What a template name is bound to in the generated code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Binding {
    /// A resource handle variable (`bucket.ref_()`).
    Resource(String),
    /// A parameter's `Expr` variable (`vpc_cidr.clone()`).
    Parameter(String),
}

/// The names in scope while writing values, and the imports the code needs.
#[derive(Debug, Default, Clone)]
pub struct Ctx {
    /// Resources and parameters declared so far, by logical ID.
    pub refs: HashMap<String, Binding>,
    /// Conditions declared so far: name -> `ConditionRef` variable.
    pub conditions: HashMap<String, String>,
    /// Mappings: name -> `MappingRef` variable.
    pub mappings: HashMap<String, String>,
    /// Items of `stackforge_constructs` the code names.
    pub imports: BTreeSet<&'static str>,
    /// Whether `json!` is used.
    pub uses_json: bool,
    /// Whether the `sub` helper is used.
    pub uses_sub: bool,
    /// Whether the `json_text` helper is used.
    pub uses_json_text: bool,
    /// Catalog service modules the code names (`ec2`), imported from
    /// `stackforge_constructs::resources`.
    pub services: BTreeSet<String>,
    /// Catalog features of the typed resources written (`ec2-vpc`).
    pub features: BTreeSet<String>,
    /// The `Fn::GetAtt` accessors of typed resources, by logical ID: attribute -> method
    /// (`QueueName` -> `queue_name`).
    pub attributes: HashMap<String, HashMap<String, String>>,
    /// Imports of exports of other migrated stacks: export name -> code of the typed
    /// reference (`network_exports.vpc_id.clone()`).
    pub linked: HashMap<String, String>,
    /// Resources written typed.
    pub typed: usize,
    /// Resources written raw.
    pub raw: usize,
}

/// A Rust string literal for `s`: a raw string with real line breaks when `s` spans lines
/// (scripts, policies), else an escaped one.
pub fn string_lit(s: &str) -> String {
    if s.contains('\n')
        && !s.contains('\r')
        && s.chars().all(|c| c == '\n' || c == '\t' || !c.is_control())
    {
        let mut hashes = String::from("#");
        while s.contains(&format!("\"{hashes}")) {
            hashes.push('#');
        }
        format!("r{hashes}\"{s}\"{hashes}")
    } else {
        format!("{s:?}")
    }
}

/// A Rust numeric literal that converts to the same JSON number (`5`, `5_i64`, `1.5`).
pub fn number_lit(n: &Number) -> String {
    if let Some(i) = n.as_i64() {
        if i32::try_from(i).is_ok() {
            i.to_string()
        } else {
            format!("{i}_i64")
        }
    } else if let Some(u) = n.as_u64() {
        format!("{u}_u64")
    } else {
        let text = n.to_string();
        if text.contains(['.', 'e', 'E']) {
            format!("{text}_f64")
        } else {
            format!("{text}.0_f64")
        }
    }
}

/// `json!` syntax for a literal value (no intrinsic functions inside).
fn json_body(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => number_lit(n),
        Value::String(s) => string_lit(s),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(json_body).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(m) => {
            let inner: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{}: {}", string_lit(k), json_body(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

impl Ctx {
    /// Code of a `serde_json::Value`: `json!(..)` when short, else the pretty-printed JSON
    /// text in a raw string (`json_text(r#"..."#)?`), which rustfmt leaves readable.
    pub fn json(&mut self, v: &Value) -> String {
        let compact = json_body(v);
        if compact.len() <= 60 && !compact.contains('\n') {
            self.uses_json = true;
            return format!("json!({compact})");
        }
        self.uses_json_text = true;
        let pretty = serde_json::to_string_pretty(v).unwrap_or_default();
        let mut hashes = String::from("#");
        while pretty.contains(&format!("\"{hashes}")) {
            hashes.push('#');
        }
        format!("json_text(r{hashes}\"\n{pretty}\n\"{hashes})?")
    }

    /// Code of type `Expr` building `e`.
    pub fn expr(&mut self, e: &Expr) -> String {
        match e {
            Expr::String(_) | Expr::Number(_) | Expr::Bool(_) => {
                format!("Expr::from({})", self.convertible(e))
            }
            _ if e.is_literal() => {
                format!(
                    "Expr::from({})",
                    self.json(&serde_json::to_value(e).unwrap_or(Value::Null))
                )
            }
            Expr::List(items) => format!("Expr::list([{}])", self.list(items)),
            Expr::Map(m) => {
                let entries: Vec<String> = m
                    .iter()
                    .map(|(k, v)| format!("({}, {})", string_lit(k), self.expr(v)))
                    .collect();
                format!("Expr::map([{}])", entries.join(", "))
            }
            Expr::Ref(r) => match self.refs.get(r.logical_id()) {
                Some(Binding::Resource(var)) => format!("{var}.ref_()"),
                Some(Binding::Parameter(var)) => format!("{var}.clone()"),
                None => format!("Expr::local_ref({})", string_lit(r.logical_id())),
            },
            Expr::GetAtt { target, attribute } => match self.refs.get(target.logical_id()) {
                Some(Binding::Resource(var)) => match self
                    .attributes
                    .get(target.logical_id())
                    .and_then(|a| a.get(&**attribute))
                {
                    Some(method) => format!("{var}.{method}()"),
                    None => format!("{var}.get_att({})", string_lit(attribute)),
                },
                _ => format!(
                    "Expr::local_get_att({}, {})",
                    string_lit(target.logical_id()),
                    string_lit(attribute)
                ),
            },
            Expr::Pseudo(p) => match p {
                Pseudo::Region => "Expr::region()".into(),
                Pseudo::AccountId => "Expr::account_id()".into(),
                Pseudo::Partition => "Expr::partition()".into(),
                Pseudo::StackName => "Expr::stack_name()".into(),
                Pseudo::UrlSuffix => "Expr::url_suffix()".into(),
                Pseudo::NoValue => "Expr::no_value()".into(),
                Pseudo::StackId => self.pseudo("StackId"),
                Pseudo::NotificationArns => self.pseudo("NotificationArns"),
            },
            Expr::Sub { template, vars } if vars.is_empty() => {
                self.uses_sub = true;
                format!("sub({})", string_lit(template))
            }
            Expr::Sub { template, vars } => {
                let entries: Vec<String> = vars
                    .iter()
                    .map(|(k, v)| format!("({}, {})", string_lit(k), self.expr(v)))
                    .collect();
                format!(
                    "Expr::sub({}, [{}])",
                    string_lit(template),
                    entries.join(", ")
                )
            }
            Expr::Concat(parts) => format!("Expr::concat([{}])", self.list(parts)),
            Expr::Join { delimiter, list } => match &**list {
                Expr::List(items) if !items.iter().all(|i| matches!(i, Expr::String(_))) => {
                    format!(
                        "Expr::join({}, [{}])",
                        string_lit(delimiter),
                        self.list(items)
                    )
                }
                other => format!(
                    "Expr::Join {{ delimiter: {}.into(), list: Box::new({}) }}",
                    string_lit(delimiter),
                    self.expr(other)
                ),
            },
            Expr::Select { index, list } => match &**index {
                Expr::Number(n) if n.as_u64().is_some_and(|i| u32::try_from(i).is_ok()) => {
                    format!("Expr::select({n}, {})", self.expr(list))
                }
                other => format!(
                    "Expr::Select {{ index: Box::new({}), list: Box::new({}) }}",
                    self.expr(other),
                    self.expr(list)
                ),
            },
            Expr::Split { delimiter, source } => {
                format!(
                    "Expr::split({}, {})",
                    string_lit(delimiter),
                    self.expr(source)
                )
            }
            Expr::GetAzs { region } => match &**region {
                Expr::String(s) if s.is_empty() => "Expr::get_azs()".into(),
                other => format!("Expr::GetAzs {{ region: Box::new({}) }}", self.expr(other)),
            },
            Expr::ImportValue(name) => match &**name {
                Expr::String(n) if self.linked.contains_key(n.as_str()) => {
                    self.linked[n.as_str()].clone()
                }
                Expr::String(n) => format!("Expr::import_value({})", string_lit(n)),
                _ => format!("Expr::import_value({})", self.expr(name)),
            },
            Expr::If {
                condition,
                then,
                otherwise,
            } => {
                let c = self.condition_ref(condition.name());
                format!(
                    "Expr::if_({c}, {}, {})",
                    self.expr(then),
                    self.expr(otherwise)
                )
            }
            Expr::Equals(a, b) => format!("Expr::equals({}, {})", self.expr(a), self.expr(b)),
            Expr::And(items) => format!("Expr::And(vec![{}])", self.list(items)),
            Expr::Or(items) => format!("Expr::Or(vec![{}])", self.list(items)),
            Expr::Not(x) => format!("Expr::not({})", self.expr(x)),
            Expr::Condition(c) => format!("Expr::Condition({})", self.condition_owned(c.name())),
            Expr::FindInMap { map, top, second } => {
                let m = match self.mappings.get(map.name()) {
                    Some(var) => format!("&{var}"),
                    None => {
                        self.imports.insert("MappingRef");
                        format!("&MappingRef::local({})", string_lit(map.name()))
                    }
                };
                format!(
                    "Expr::find_in_map({m}, {}, {})",
                    self.expr(top),
                    self.expr(second)
                )
            }
            Expr::Base64(x) => format!("Expr::base64({})", self.expr(x)),
            Expr::Cidr { block, count, bits } => {
                let small = |e: &Expr| match e {
                    Expr::Number(n) => n.as_u64().filter(|i| u32::try_from(*i).is_ok()),
                    _ => None,
                };
                match (small(count), small(bits)) {
                    (Some(c), Some(b)) => format!("Expr::cidr({}, {c}, {b})", self.expr(block)),
                    _ => format!(
                        "Expr::Cidr {{ block: Box::new({}), count: Box::new({}), bits: Box::new({}) }}",
                        self.expr(block),
                        self.expr(count),
                        self.expr(bits)
                    ),
                }
            }
        }
    }

    /// Code of a type that converts into `Expr` (a bare literal where possible), for
    /// `RawResource::prop` and `Output::new`.
    pub fn convertible(&mut self, e: &Expr) -> String {
        match e {
            Expr::String(s) => string_lit(s),
            Expr::Number(n) => number_lit(n),
            Expr::Bool(b) => b.to_string(),
            _ if e.is_literal() => self.json(&serde_json::to_value(e).unwrap_or(Value::Null)),
            _ => self.expr(e),
        }
    }

    /// `&ConditionRef` code for the condition `name`.
    pub fn condition_ref(&mut self, name: &str) -> String {
        match self.conditions.get(name) {
            Some(var) => format!("&{var}"),
            None => {
                self.imports.insert("ConditionRef");
                format!("&ConditionRef::local({})", string_lit(name))
            }
        }
    }

    /// Owned `ConditionRef` code for the condition `name` (resource and output options).
    pub fn condition_owned(&mut self, name: &str) -> String {
        match self.conditions.get(name) {
            Some(var) => format!("{var}.clone()"),
            None => {
                self.imports.insert("ConditionRef");
                format!("ConditionRef::local({})", string_lit(name))
            }
        }
    }

    fn pseudo(&mut self, variant: &str) -> String {
        self.imports.insert("Pseudo");
        format!("Expr::Pseudo(Pseudo::{variant})")
    }

    fn list(&mut self, items: &[Expr]) -> String {
        items
            .iter()
            .map(|i| self.expr(i))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn code(v: Value, ctx: &mut Ctx) -> String {
        ctx.expr(&Expr::from_json(&v).unwrap())
    }

    #[test]
    fn references_to_declared_names_use_their_variables() {
        let mut ctx = Ctx::default();
        ctx.refs
            .insert("Bucket".into(), Binding::Resource("bucket".into()));
        ctx.refs
            .insert("Env".into(), Binding::Parameter("env_name".into()));
        ctx.conditions.insert("IsProd".into(), "is_prod".into());
        assert_eq!(
            code(json!({"Fn::GetAtt": ["Bucket", "Arn"]}), &mut ctx),
            "bucket.get_att(\"Arn\")"
        );
        assert_eq!(
            code(
                json!({"Fn::If": ["IsProd", {"Ref": "Env"}, {"Ref": "Later"}]}),
                &mut ctx
            ),
            "Expr::if_(&is_prod, env_name.clone(), Expr::local_ref(\"Later\"))"
        );
    }

    #[test]
    fn literals_keep_their_json_number_kind() {
        let mut ctx = Ctx::default();
        assert_eq!(code(json!(5), &mut ctx), "Expr::from(5)");
        assert_eq!(code(json!(1.0), &mut ctx), "Expr::from(1.0_f64)");
        assert_eq!(
            code(json!(5_000_000_000_i64), &mut ctx),
            "Expr::from(5000000000_i64)"
        );
        assert_eq!(
            code(json!({"A": [1, "b"]}), &mut ctx),
            "Expr::from(json!({\"A\": [1, \"b\"]}))"
        );
    }

    #[test]
    fn multi_line_strings_are_raw_strings() {
        assert_eq!(string_lit("a\n\"b\""), "r#\"a\n\"b\"\"#");
        assert_eq!(string_lit("a\"#b\nc"), "r##\"a\"#b\nc\"##");
        assert_eq!(string_lit("tab\there"), "\"tab\\there\"");
    }
}
