//! Typed resources: a resource whose type the catalog has becomes its struct literal
//! (`ec2::Vpc { cidr_block: Some("10.0.0.0/16".into()), ..Default::default() }`), named
//! exactly as the catalog names it (both use `stackforge-catalog-model`). A resource with a
//! value the typed shape cannot hold (an intrinsic where a property type or a list is
//! expected, a property the struct lacks) stays raw, whole: typed structs have no per-property
//! escape. The typed code builds the same property values, so synth renders the same
//! template (properties in the catalog's order, which the template comparison ignores).

use stackforge_construct_model::expr::ExprMap;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use stackforge_catalog_model::model::{self, EnumDef, Resource, StructDef, Ty};
use stackforge_construct_model::schema::type_info;
use stackforge_construct_model::{Expr, ResourceDef};

use super::emit::{RawEmitter, ResourceEmitter};
use super::rust_expr::{number_lit, string_lit, Ctx};

/// Emits typed catalog resources, raw ones where the typed shape does not fit.
#[derive(Debug, Default)]
pub struct TypedEmitter {
    /// The catalog model of each type seen (`None`: no typed struct).
    models: RefCell<HashMap<String, Option<Rc<Resource>>>>,
}

impl TypedEmitter {
    fn model(&self, type_name: &str) -> Option<Rc<Resource>> {
        self.models
            .borrow_mut()
            .entry(type_name.to_owned())
            .or_insert_with(|| {
                let schema = type_info(type_name)?.schema().ok()?;
                model::build(schema).ok().map(Rc::new)
            })
            .clone()
    }
}

impl ResourceEmitter for TypedEmitter {
    fn emit(&self, id: &str, resource: &ResourceDef, options: &str, ctx: &mut Ctx) -> String {
        let Some(model) = self.model(&resource.type_name) else {
            ctx.raw += 1;
            return RawEmitter.emit(id, resource, options, ctx);
        };
        // Written on a copy: a resource that does not fit leaves no imports behind.
        let mut attempt = ctx.clone();
        let code = Writer {
            model: &model,
            ctx: &mut attempt,
        }
        .resource(&resource.properties);
        match code {
            Ok(code) => {
                *ctx = attempt;
                ctx.typed += 1;
                ctx.features.insert(model.feature());
                ctx.services.insert(model.service.clone());
                let methods = model
                    .attributes
                    .iter()
                    .map(|a| (a.name.clone(), a.method.clone()))
                    .collect();
                ctx.attributes.insert(id.to_owned(), methods);
                format!(
                    "root.add_with(\n{},\n{code},\n{options},\n)",
                    string_lit(id)
                )
            }
            Err(reason) => {
                ctx.raw += 1;
                let raw = RawEmitter.emit(id, resource, options, ctx);
                format!(
                    "// Raw, not `{}::{}`: {reason}.\n{raw}",
                    model.service, model.main.name
                )
            }
        }
    }
}

/// Where a value's code goes, which decides how much of its type the code must spell out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// The type is known from the context (a struct field, a list item of a known list):
    /// `"a".into()` is enough.
    Known,
    /// An argument of a generated `new` (`impl Into<T>`): a bare literal or `Expr`.
    Into,
    /// Nothing fixes the type: the code names it (`Str::from("a")`).
    Explicit,
}

struct Writer<'a> {
    model: &'a Resource,
    ctx: &'a mut Ctx,
}

impl Writer<'_> {
    fn resource(&mut self, props: &ExprMap) -> Result<String, String> {
        let path = format!("{}::{}", self.model.service, self.model.main.name);
        self.struct_literal(&self.model.main, &path, props, "")
    }

    /// The Rust path of a property type of this resource.
    fn type_path(&self, name: &str) -> String {
        format!("{}::{}::{name}", self.model.service, self.model.module)
    }

    /// A struct literal holding exactly `props` (at property path `at`), or why one does
    /// not fit.
    fn struct_literal(
        &mut self,
        def: &StructDef,
        path: &str,
        props: &ExprMap,
        at: &str,
    ) -> Result<String, String> {
        let mut fields = Vec::new();
        for (json, value) in props {
            let Some(field) = def.fields.iter().find(|f| f.json == json) else {
                return Err(format!(
                    "`{at}{json}` is not a writable property of `{path}`"
                ));
            };
            fields.push((field, value));
        }
        let required: Vec<_> = def.fields.iter().filter(|f| f.required).collect();
        if let Some(r) = required.iter().find(|r| !props.contains_key(&r.json)) {
            return Err(format!("`{path}` requires `{at}{}`", r.json));
        }
        let mut set = Vec::new();
        for (field, value) in &fields {
            if field.required && fields.len() < def.fields.len() {
                continue; // an argument of `new` below
            }
            let mut code = self.value(&field.ty, value, Mode::Known, &field_at(at, &field.json))?;
            if field.boxed {
                code = format!("Box::new({code})");
            }
            if !field.required {
                code = format!("Some({code})");
            }
            set.push(format!("{}: {code}", field.rust));
        }
        let base = if fields.len() == def.fields.len() {
            None
        } else if required.is_empty() {
            Some("Default::default()".to_owned())
        } else {
            let mut args = Vec::new();
            for r in &required {
                args.push(self.value(
                    &r.ty,
                    &props[&r.json],
                    Mode::Into,
                    &field_at(at, &r.json),
                )?);
            }
            Some(format!("{path}::new({})", args.join(", ")))
        };
        Ok(match (base, set.is_empty()) {
            (Some(base), true) if base.starts_with("Default") => format!("{path}::default()"),
            (Some(base), true) => base,
            (Some(base), false) => format!("{path} {{\n{},\n..{base}\n}}", set.join(",\n")),
            (None, true) => format!("{path} {{}}"),
            (None, false) => format!("{path} {{\n{},\n}}", set.join(",\n")),
        })
    }

    /// Code of type `ty` building `e` (at property path `at`), or why `e` does not fit.
    fn value(&mut self, ty: &Ty, e: &Expr, mode: Mode, at: &str) -> Result<String, String> {
        let misfit = |what: &str| {
            Err(format!(
                "`{at}` is {} where the typed struct takes {what}",
                kind(e)
            ))
        };
        match ty {
            Ty::Str | Ty::Int | Ty::Num | Ty::Bool => Ok(self.scalar(ty, e, mode)),
            Ty::Expr => Ok(match mode {
                Mode::Known if e.is_literal() => format!("{}.into()", self.ctx.convertible(e)),
                _ => self.ctx.expr(e),
            }),
            Ty::Tag => {
                let Expr::Map(m) = e else {
                    return misfit("a tag");
                };
                let (Some(k), Some(v), 2) = (m.get("Key"), m.get("Value"), m.len()) else {
                    return Err(format!(
                        "`{at}` is a tag with other keys than `Key` and `Value`"
                    ));
                };
                self.ctx.imports.insert("Tag");
                Ok(format!(
                    "Tag::new({}, {})",
                    self.scalar(&Ty::Str, k, Mode::Into),
                    self.scalar(&Ty::Str, v, Mode::Into)
                ))
            }
            Ty::Vec(item) => {
                let Expr::List(items) = e else {
                    return misfit("a list");
                };
                if items.is_empty() && mode != Mode::Known {
                    return Err(format!("`{at}` is an empty list of no known type"));
                }
                let inner = if mode == Mode::Known {
                    Mode::Known
                } else {
                    Mode::Explicit
                };
                let mut codes = Vec::new();
                for (n, i) in items.iter().enumerate() {
                    codes.push(self.value(item, i, inner, &format!("{at}[{n}]"))?);
                }
                Ok(format!("vec![{}]", codes.join(", ")))
            }
            Ty::Map(value) => {
                let Expr::Map(m) = e else {
                    return misfit("a map");
                };
                if m.is_empty() && mode != Mode::Known {
                    return Err(format!("`{at}` is an empty map of no known type"));
                }
                self.ctx.imports.insert("IndexMap");
                let mut entries = Vec::new();
                for (k, v) in m {
                    let code = self.value(value, v, Mode::Explicit, &format!("{at}.{k}"))?;
                    entries.push(format!("({}.to_owned(), {code})", string_lit(k)));
                }
                Ok(format!("IndexMap::from([{}])", entries.join(", ")))
            }
            Ty::Named(name) => {
                let path = self.type_path(name);
                if let Some(def) = self.model.enum_named(name) {
                    return Ok(self.enum_value(def, &path, e));
                }
                let Some(def) = self.model.struct_named(name) else {
                    return Err(format!("the catalog model has no type `{name}`"));
                };
                let Expr::Map(m) = e else {
                    return misfit(&format!("`{path}`"));
                };
                self.struct_literal(def, &path, m, &format!("{at}."))
            }
        }
    }

    /// A scalar (`Str`, `Int`, `Num`, `Bool`): these hold any `Expr`, so every value fits;
    /// a literal of the scalar's own kind is written as a Rust literal.
    fn scalar(&mut self, ty: &Ty, e: &Expr, mode: Mode) -> String {
        let literal = match (ty, e) {
            (Ty::Str, Expr::String(s)) => Some(string_lit(s)),
            (Ty::Bool, Expr::Bool(b)) => Some(b.to_string()),
            (Ty::Int, Expr::Number(n)) if n.is_i64() || n.is_u64() => Some(number_lit(n)),
            (Ty::Num, Expr::Number(n)) => Some(number_lit(n)),
            _ => None,
        };
        let code = literal.unwrap_or_else(|| self.ctx.expr(e));
        match mode {
            Mode::Known => format!("{code}.into()"),
            Mode::Into => code,
            Mode::Explicit => {
                let name = match ty {
                    Ty::Str => "Str",
                    Ty::Int => "Int",
                    Ty::Num => "Num",
                    _ => "Bool",
                };
                self.ctx.imports.insert(name);
                format!("{name}::from({code})")
            }
        }
    }

    /// An enum value: its variant when the value is one the enum names, else `Expr(..)`.
    fn enum_value(&mut self, def: &EnumDef, path: &str, e: &Expr) -> String {
        if let Expr::String(s) = e {
            if let Some((variant, _)) = def.variants.iter().find(|(_, v)| v == s) {
                return format!("{path}::{variant}");
            }
        }
        format!("{path}::Expr({})", self.ctx.expr(e))
    }
}

/// The property path of field `json` under `at` (`""` or `"Parent."`).
fn field_at(at: &str, json: &str) -> String {
    format!("{at}{json}")
}

/// What a value is, in a reason for staying raw.
fn kind(e: &Expr) -> &'static str {
    match e {
        Expr::String(_) => "a string",
        Expr::Number(_) => "a number",
        Expr::Bool(_) => "a boolean",
        Expr::List(_) => "a list",
        Expr::Map(_) => "a map",
        _ => "an intrinsic function",
    }
}

#[cfg(test)]
mod tests {
    use super::super::migrate_template;

    fn code(resources: &str) -> super::super::MigratedStack {
        let text = format!(r#"{{"Resources": {resources}}}"#);
        migrate_template("t.json", &text, "s", "app", "dev").unwrap()
    }

    #[test]
    fn a_catalog_type_becomes_its_struct_with_its_feature() {
        let m = code(
            r#"{"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16", "Tags": [{"Key": "k", "Value": "v"}]}},
                "Sub": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.0.0.0/24", "Ipv6Native": false}}}"#,
        );
        for want in [
            "ec2::Vpc {",
            "cidr_block: Some(\"10.0.0.0/16\".into())",
            "tags: Some(vec![Tag::new(\"k\", \"v\")])",
            // Required properties go through `new`, the rest is set around it.
            "..ec2::Subnet::new(vpc.ref_())",
            "ipv6_native: Some(false.into())",
        ] {
            assert!(m.code.contains(want), "{want} in:\n{}", m.code);
        }
        assert!(!m.code.contains("RawResource"), "{}", m.code);
        assert_eq!((m.typed, m.raw), (2, 0));
        assert_eq!(m.features, ["ec2-subnet", "ec2-vpc"]);
    }

    #[test]
    fn a_value_the_typed_shape_cannot_hold_keeps_the_resource_raw_and_says_why() {
        let m = code(
            r#"{"Lb": {"Type": "AWS::ElasticLoadBalancing::LoadBalancer", "Properties": {
                 "AvailabilityZones": {"Fn::GetAZs": ""},
                 "Listeners": [{"LoadBalancerPort": "80", "InstancePort": "80", "Protocol": "HTTP"}]}},
                "Custom": {"Type": "Custom::Thing", "Properties": {"ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:f"}}}"#,
        );
        assert!(
            m.code.contains("// Raw, not `elasticloadbalancing::LoadBalancer`: `AvailabilityZones` is an intrinsic function where the typed struct takes a list."),
            "{}",
            m.code
        );
        assert!(m.code.contains("RawResource::new(\"Custom::Thing\")"));
        assert_eq!((m.typed, m.raw), (0, 2));
        assert!(m.features.is_empty());
    }

    #[test]
    fn scalars_take_any_value_and_enums_name_their_variants() {
        let m = code(
            r#"{"Q": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": "5", "FifoQueue": {"Fn::Equals": ["a", "a"]}}},
                "A": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"ComparisonOperator": "LessThanThreshold",
                  "EvaluationPeriods": 1, "Statistic": {"Ref": "AWS::Region"}}}}"#,
        );
        for want in [
            // A string where the schema says integer stays a string: the template is kept.
            "delay_seconds: Some(Expr::from(\"5\").into())",
            "comparison_operator: Some(cloudwatch::alarm::ComparisonOperator::LessThanThreshold)",
            "statistic: Some(cloudwatch::alarm::Statistic::Expr(Expr::region()))",
        ] {
            assert!(m.code.contains(want), "{want} in:\n{}", m.code);
        }
    }
}
