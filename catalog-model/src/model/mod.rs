//! Turns one resource provider schema into the Rust types that represent it.

mod cycles;
mod schema;
#[cfg(test)]
mod tests;
mod types;

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{bail, Context, Result};
use serde_json::{Map, Value};

use crate::naming::{camel, escape, first_sentence, singular, snake};

pub use cycles::{edges_to_box, Graph};
pub use types::{Attribute, EnumDef, Field, Resource, StructDef, TagKind, Ty};

use cycles::box_cycles;
use schema::{is_struct, is_tag, map_values, properties, str_at, string_enum, strings, tag_shape};

/// Type names the generated modules import or that would read ambiguously.
const RESERVED: &[&str] = &[
    "Bool",
    "Box",
    "CfnResource",
    "Default",
    "Expr",
    "IndexMap",
    "Int",
    "IntoExpr",
    "Num",
    "Option",
    "ResourceHandle",
    "Self",
    "Str",
    "String",
    "Tag",
    "Vec",
];

/// Methods every `ResourceHandle` has; attributes with these names get an `_attr` suffix.
const HANDLE_METHODS: &[&str] = &["ref_", "get_att", "logical_id", "path", "reference"];

/// Builds the model of the resource described by `schema`.
pub fn build(schema: &Value) -> Result<Resource> {
    let type_name = str_at(schema, "typeName").context("schema has no typeName")?;
    let parts: Vec<&str> = type_name.split("::").collect();
    let [_, service, resource] = parts[..] else {
        bail!("unexpected type name {type_name}");
    };
    let name = camel(resource);
    // A keyword (`AWS::AppSync::Type`) gets a trailing underscore: `appsync::type_`.
    let module = match snake(resource) {
        m if m.starts_with("r#") => format!("{}_", &m[2..]),
        m => m,
    };
    let mut b = Builder::new(schema, &name)?;
    let main = b.struct_def(schema, "#", &name)?;
    while let Some((loc, node, name)) = b.queue.pop() {
        let def = b.struct_def(node, &loc, &name)?;
        b.structs.insert(name, def);
    }
    let mut structs: Vec<StructDef> = std::mem::take(&mut b.structs).into_values().collect();
    let mut all = vec![main];
    all.append(&mut structs);
    box_cycles(&mut all);
    let main = all.remove(0);

    Ok(Resource {
        tags: tag_shape(schema, &main),
        attributes: b.attributes(type_name)?,
        type_name: type_name.to_owned(),
        service: service.to_lowercase(),
        module,
        doc_url: format!(
            "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-{}-{}.html",
            service.to_lowercase(),
            resource.to_lowercase()
        ),
        main,
        structs: all,
        enums: b.enums.into_values().collect(),
        create_only: strings(schema, "createOnlyProperties"),
        conditional_create_only: strings(schema, "conditionalCreateOnlyProperties"),
    })
}

/// Short description of a type for properties the schema does not describe.
fn type_words(ty: &Ty) -> String {
    match ty {
        Ty::Int => "an integer".into(),
        Ty::Expr => "a JSON value".into(),
        Ty::Vec(t) => format!("a list of {}", plural(t)),
        Ty::Map(t) => format!("a map of {}", plural(t)),
        Ty::Named(n) => format!("`{n}`"),
        _ => format!("a {}", plural(ty).trim_end_matches('s')),
    }
}

fn plural(ty: &Ty) -> String {
    match ty {
        Ty::Str => "strings".into(),
        Ty::Int => "integers".into(),
        Ty::Num => "numbers".into(),
        Ty::Bool => "booleans".into(),
        Ty::Expr => "JSON values".into(),
        Ty::Tag => "tags".into(),
        Ty::Named(n) => format!("`{n}`s"),
        Ty::Vec(_) => "lists".into(),
        Ty::Map(_) => "maps".into(),
    }
}

struct Builder<'a> {
    schema: &'a Value,
    definitions: Option<&'a Map<String, Value>>,
    read_only: BTreeSet<String>,
    create_only: BTreeSet<String>,
    conditional: BTreeSet<String>,
    /// Pointer paths (`/properties/Endpoint`) through which each struct location is reached.
    reach: BTreeMap<String, BTreeSet<String>>,
    /// Struct and enum names by schema location.
    names: BTreeMap<String, String>,
    taken: BTreeSet<String>,
    /// Structs named but not yet built: (location, node, name).
    queue: Vec<(String, &'a Value, String)>,
    structs: BTreeMap<String, StructDef>,
    enums: BTreeMap<String, EnumDef>,
}

impl<'a> Builder<'a> {
    fn new(schema: &'a Value, resource: &str) -> Result<Self> {
        let set = |key| strings(schema, key).into_iter().collect::<BTreeSet<_>>();
        let mut b = Builder {
            schema,
            definitions: schema.get("definitions").and_then(Value::as_object),
            read_only: set("readOnlyProperties"),
            create_only: set("createOnlyProperties"),
            conditional: set("conditionalCreateOnlyProperties"),
            reach: BTreeMap::new(),
            names: BTreeMap::new(),
            taken: RESERVED.iter().map(|s| s.to_string()).collect(),
            queue: Vec::new(),
            structs: BTreeMap::new(),
            enums: BTreeMap::new(),
        };
        b.taken.insert(resource.to_owned());
        // Definitions claim their names first, so inline types never take them.
        for (def, node) in b.definitions.into_iter().flatten() {
            if (is_struct(node) && !is_tag(node)) || string_enum(node).is_some() {
                let mut name = camel(def);
                if b.taken.contains(&name) {
                    name.push_str("Property");
                }
                if !b.taken.insert(name.clone()) {
                    bail!("definition {def}: type name {name} is used twice");
                }
                b.names.insert(format!("#/definitions/{def}"), name);
            }
        }
        let mut stack = Vec::new();
        b.walk_reach(schema, "#", "/properties", &mut stack);
        Ok(b)
    }

    /// Follows `$ref`s to the node they name, with its location.
    fn resolve(&self, node: &'a Value, loc: &str) -> (&'a Value, String) {
        let mut node = node;
        let mut loc = loc.to_owned();
        // Bounded: definitions that only refer to each other would otherwise loop.
        for _ in 0..16 {
            let Some(def) = str_at(node, "$ref").and_then(|r| r.strip_prefix("#/definitions/"))
            else {
                break;
            };
            match self.definitions.and_then(|d| d.get(def)) {
                Some(target) => {
                    node = target;
                    loc = format!("#/definitions/{def}");
                }
                None => break,
            }
        }
        (node, loc)
    }

    /// Records the pointer paths reaching each struct (cut at cycles).
    fn walk_reach(&mut self, node: &'a Value, loc: &str, pointer: &str, stack: &mut Vec<String>) {
        let (node, loc) = self.resolve(node, loc);
        if let Some(props) = properties(node).filter(|_| is_struct(node)) {
            self.reach
                .entry(loc.clone())
                .or_default()
                .insert(pointer.to_owned());
            if stack.contains(&loc) {
                return;
            }
            stack.push(loc.clone());
            for (name, child) in props {
                let child_pointer = if loc == "#" {
                    format!("/properties/{name}")
                } else {
                    format!("{pointer}/{name}")
                };
                self.walk_reach(
                    child,
                    &format!("{loc}/properties/{name}"),
                    &child_pointer,
                    stack,
                );
            }
            stack.pop();
        } else if let Some(items) = node.get("items") {
            self.walk_reach(
                items,
                &format!("{loc}/items"),
                &format!("{pointer}/*"),
                stack,
            );
        } else if let Some(values) = map_values(node) {
            self.walk_reach(
                values,
                &format!("{loc}/values"),
                &format!("{pointer}/*"),
                stack,
            );
        }
    }

    /// Whether the property at `pointer` takes input: not read-only, and for an object not
    /// made only of read-only properties.
    fn writable(&self, node: &'a Value, loc: &str, pointer: &str, depth: usize) -> bool {
        if self.read_only.contains(pointer) {
            return false;
        }
        let prefix = format!("{pointer}/");
        if depth > 16 || !self.read_only.iter().any(|p| p.starts_with(&prefix)) {
            return true;
        }
        let (node, loc) = self.resolve(node, loc);
        if let Some(props) = properties(node).filter(|_| is_struct(node)) {
            props.iter().any(|(name, child)| {
                let child_loc = format!("{loc}/properties/{name}");
                self.writable(child, &child_loc, &format!("{prefix}{name}"), depth + 1)
            })
        } else if let Some(items) = node.get("items") {
            self.writable(
                items,
                &format!("{loc}/items"),
                &format!("{prefix}*"),
                depth + 1,
            )
        } else {
            true
        }
    }

    /// Pointers of a struct's field through every path reaching the struct.
    fn field_pointers(&self, loc: &str, field: &str) -> Vec<String> {
        self.reach
            .get(loc)
            .into_iter()
            .flatten()
            .map(|p| format!("{p}/{field}"))
            .collect()
    }

    fn struct_def(&mut self, node: &'a Value, loc: &str, name: &str) -> Result<StructDef> {
        let required: BTreeSet<&str> = node
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut fields: Vec<Field> = Vec::new();
        for (json, child) in properties(node).into_iter().flatten() {
            let child_loc = format!("{loc}/properties/{json}");
            let pointers = self.field_pointers(loc, json);
            // Unreached structs (none here, as all are found from the root) count as writable.
            let writable = pointers.is_empty()
                || pointers
                    .iter()
                    .any(|p| self.writable(child, &child_loc, p, 0));
            if !writable {
                continue;
            }
            let ty = self.ty(child, &child_loc, json, name)?;
            let rust = snake(json);
            if fields.iter().any(|f| f.rust == rust) {
                bail!("{name}: two properties are named {rust} in Rust");
            }
            let is_required = required.contains(json.as_str());
            let all = |set: &BTreeSet<String>| {
                !pointers.is_empty() && pointers.iter().all(|p| set.contains(p))
            };
            let mut doc = self
                .description(child, &child_loc)
                .unwrap_or_else(|| format!("The `{json}` property ({}).", type_words(&ty)));
            doc.push_str(if is_required {
                " Required."
            } else {
                " Optional."
            });
            if all(&self.create_only) {
                doc.push_str(" Changing it replaces the resource.");
            } else if all(&self.conditional) {
                doc.push_str(" Changing it may replace the resource.");
            }
            fields.push(Field {
                json: json.clone(),
                rust,
                ty,
                required: is_required,
                boxed: false,
                doc,
            });
        }
        let doc = match self.description(node, loc) {
            Some(d) => d,
            None => format!("The `{name}` property type."),
        };
        Ok(StructDef {
            name: name.to_owned(),
            doc,
            fields,
        })
    }

    /// The first sentence of the node's description, or of the definition it refers to.
    fn description(&self, node: &'a Value, loc: &str) -> Option<String> {
        str_at(node, "description")
            .and_then(first_sentence)
            .or_else(|| {
                let (target, _) = self.resolve(node, loc);
                str_at(target, "description").and_then(first_sentence)
            })
    }

    /// The Rust type of the value at `loc`; `prop` and `owner` name inline types.
    fn ty(&mut self, node: &'a Value, loc: &str, prop: &str, owner: &str) -> Result<Ty> {
        let (node, loc) = self.resolve(node, loc);
        if is_tag(node) {
            return Ok(Ty::Tag);
        }
        if is_struct(node) {
            return Ok(Ty::Named(self.struct_name(node, &loc, prop, owner)?));
        }
        if let Some(values) = string_enum(node) {
            return Ok(Ty::Named(self.enum_name(&loc, values, prop, owner)?));
        }
        let single = match node.get("type") {
            Some(Value::String(t)) => Some(t.as_str()),
            Some(Value::Array(ts)) if ts.len() == 1 => ts[0].as_str(),
            Some(_) => return Ok(Ty::Expr),
            None if node.get("items").is_some() => Some("array"),
            None => None,
        };
        Ok(match single {
            Some("string") => Ty::Str,
            Some("integer") => Ty::Int,
            Some("number") => Ty::Num,
            Some("boolean") => Ty::Bool,
            Some("array") => match node.get("items") {
                Some(items) => {
                    let item_prop = singular(prop);
                    Ty::Vec(Box::new(self.ty(
                        items,
                        &format!("{loc}/items"),
                        &item_prop,
                        owner,
                    )?))
                }
                None => Ty::Vec(Box::new(Ty::Expr)),
            },
            Some("object") => match map_values(node) {
                Some(values) => {
                    let value_prop = format!("{prop}Value");
                    Ty::Map(Box::new(self.ty(
                        values,
                        &format!("{loc}/values"),
                        &value_prop,
                        owner,
                    )?))
                }
                None => Ty::Expr,
            },
            _ => Ty::Expr,
        })
    }

    /// A name for an inline type: the property's, or prefixed by its owner's if taken.
    fn inline_name(&self, prop: &str, owner: &str, free: impl Fn(&str) -> bool) -> Result<String> {
        let short = camel(prop);
        let long = format!("{owner}{short}");
        [short, long]
            .into_iter()
            .find(|n| free(n))
            .with_context(|| format!("no free type name for {owner}.{prop}"))
    }

    fn struct_name(
        &mut self,
        node: &'a Value,
        loc: &str,
        prop: &str,
        owner: &str,
    ) -> Result<String> {
        if let Some(name) = self.names.get(loc) {
            if !self.structs.contains_key(name) {
                self.queue.push((loc.to_owned(), node, name.clone()));
                // A placeholder marks it as queued until it is built.
                self.structs.insert(
                    name.clone(),
                    StructDef {
                        name: name.clone(),
                        doc: String::new(),
                        fields: Vec::new(),
                    },
                );
            }
            return Ok(name.clone());
        }
        let name = self.inline_name(prop, owner, |n| !self.taken.contains(n))?;
        self.taken.insert(name.clone());
        self.names.insert(loc.to_owned(), name.clone());
        self.struct_name(node, loc, prop, owner)
    }

    fn enum_name(
        &mut self,
        loc: &str,
        values: Vec<String>,
        prop: &str,
        owner: &str,
    ) -> Result<String> {
        let same_values = |e: &EnumDef| e.values == values;
        let name = match self.names.get(loc) {
            Some(name) => name.clone(),
            // Inline enums with the same name and values share one type.
            None => self.inline_name(prop, owner, |n| match self.enums.get(n) {
                Some(e) => same_values(e),
                None => !self.taken.contains(n),
            })?,
        };
        if let Some(existing) = self.enums.get(&name) {
            if !same_values(existing) {
                bail!("enum {name} has two different sets of values");
            }
            return Ok(name);
        }
        let mut variants: Vec<(String, String)> = Vec::new();
        let mut shadowed = Vec::new();
        for value in values.iter().cloned() {
            let variant = crate::naming::variant(&value);
            match variants.iter().find(|(v, _)| *v == variant) {
                // S3 lists both `GLACIER` and `Glacier`, EC2 both `lowest-price` and
                // `lowestPrice`: the later spelling stays reachable through the `Expr` variant.
                Some(_) => shadowed.push(value),
                None if variant == "Expr" => bail!("enum {name}: a value is named Expr"),
                None => variants.push((variant, value)),
            }
        }
        self.taken.insert(name.clone());
        self.enums.insert(
            name.clone(),
            EnumDef {
                name: name.clone(),
                doc: match shadowed.as_slice() {
                    [] => format!("Allowed values of `{name}`."),
                    _ => format!(
                        "Allowed values of `{name}`. Values whose Rust name an earlier value \
                         takes have no variant of their own; use `Expr` for: {}.",
                        shadowed
                            .iter()
                            .map(|v| format!("`{}`", v.replace('`', "")))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                },
                variants,
                values,
            },
        );
        Ok(name)
    }

    /// Accessors for every read-only property that `Fn::GetAtt` can address.
    fn attributes(&self, type_name: &str) -> Result<Vec<Attribute>> {
        let mut out: Vec<Attribute> = Vec::new();
        for pointer in strings(self.schema, "readOnlyProperties") {
            let Some(path) = pointer.strip_prefix("/properties/") else {
                continue;
            };
            if path.contains('*') {
                continue;
            }
            let parts: Vec<&str> = path.split('/').collect();
            let snake_parts: Vec<String> = parts
                .iter()
                .map(|p| snake(p).trim_start_matches("r#").to_owned())
                .collect();
            let mut method = escape(&snake_parts.join("_"));
            let taken = |m: &str| out.iter().any(|a: &Attribute| a.method == m);
            // `CertificateAuthority.Data` after `CertificateAuthorityData`: the later one gets
            // the suffix too.
            if HANDLE_METHODS.contains(&method.as_str()) || taken(&method) {
                method.push_str("_attr");
            }
            if taken(&method) {
                bail!("{type_name}: two attributes are named {method}");
            }
            let name = parts.join(".");
            let sentence = self
                .pointer_node(&parts)
                .and_then(|(n, loc)| self.description(n, &loc));
            let doc = match sentence {
                Some(s) => format!("{s} `Fn::GetAtt` attribute `{name}`."),
                None => format!("The `{name}` attribute (`Fn::GetAtt`)."),
            };
            out.push(Attribute { method, name, doc });
        }
        Ok(out)
    }

    /// The schema node a property path names.
    fn pointer_node(&self, parts: &[&str]) -> Option<(&'a Value, String)> {
        let mut node = self.schema;
        let mut loc = "#".to_owned();
        for part in parts {
            let (resolved, rloc) = self.resolve(node, &loc);
            node = properties(resolved)?.get(*part)?;
            loc = format!("{rloc}/properties/{part}");
        }
        Some((node, loc))
    }
}
