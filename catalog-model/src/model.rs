//! Turns one resource provider schema into the Rust types that represent it.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{bail, Context, Result};
use serde_json::{Map, Value};

use crate::naming::{camel, escape, first_sentence, singular, snake};

/// The Rust type of a property value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// `Str`: a string or any `Expr`.
    Str,
    /// `Int`: an integer or any `Expr`.
    Int,
    /// `Num`: a number or any `Expr`.
    Num,
    /// `Bool`: a boolean or any `Expr`.
    Bool,
    /// Free-form JSON or anything the schema does not type precisely.
    Expr,
    /// The shared `Key`/`Value` tag.
    Tag,
    /// A generated struct or enum of the same module.
    Named(String),
    /// `Vec<T>`.
    Vec(Box<Ty>),
    /// `IndexMap<String, T>`.
    Map(Box<Ty>),
}

/// A field of a generated struct.
#[derive(Debug)]
pub struct Field {
    /// The property name in the template (`CidrBlock`).
    pub json: String,
    /// The Rust field name (`cidr_block`, `r#type`).
    pub rust: String,
    /// Its Rust type (wrapped in `Option` unless required).
    pub ty: Ty,
    /// Whether the schema requires it (a plain field, not an `Option`).
    pub required: bool,
    /// Set when the field closes a cycle of directly nested structs.
    pub boxed: bool,
    /// Its doc comment.
    pub doc: String,
}

/// A generated struct (the resource, or a property type).
#[derive(Debug)]
pub struct StructDef {
    /// The Rust name (`Vpc`, `Ingress`).
    pub name: String,
    /// Its doc comment.
    pub doc: String,
    /// Its writable properties, in schema order.
    pub fields: Vec<Field>,
}

/// A generated enum of the allowed string values, with an `Expr` variant for any other.
#[derive(Debug)]
pub struct EnumDef {
    /// The Rust name.
    pub name: String,
    /// Its doc comment.
    pub doc: String,
    /// (variant, schema value)
    pub variants: Vec<(String, String)>,
    /// Every schema value, in order (including those without a variant of their own).
    pub values: Vec<String>,
}

/// A `Fn::GetAtt` accessor on the resource's handle.
#[derive(Debug)]
pub struct Attribute {
    /// The accessor (`cidr_block_associations`).
    pub method: String,
    /// The attribute (`CidrBlockAssociations`).
    pub name: String,
    /// Its doc comment.
    pub doc: String,
}

/// How a resource takes tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    /// A list of `Key`/`Value` objects.
    List,
    /// A map of strings.
    Map,
}

/// Everything generated for one resource type.
#[derive(Debug)]
pub struct Resource {
    /// `AWS::EC2::VPCGatewayAttachment`
    pub type_name: String,
    /// `ec2`
    pub service: String,
    /// `vpc_gateway_attachment`
    pub module: String,
    /// Its CloudFormation reference page.
    pub doc_url: String,
    /// The resource struct.
    pub main: StructDef,
    /// Nested structs, sorted by name.
    pub structs: Vec<StructDef>,
    /// Enums, sorted by name.
    pub enums: Vec<EnumDef>,
    /// `Fn::GetAtt` accessors of its handle.
    pub attributes: Vec<Attribute>,
    /// How it takes tags, and the tag property.
    pub tags: Option<(TagKind, String)>,
    /// Properties whose change replaces the resource.
    pub create_only: Vec<String>,
    /// Properties whose change may replace the resource.
    pub conditional_create_only: Vec<String>,
}

impl Resource {
    /// The Cargo feature of the catalog turning this type on: `ec2-vpc-gateway-attachment`
    /// (service, then the module with hyphens).
    pub fn feature(&self) -> String {
        format!("{}-{}", self.service, self.module.replace('_', "-"))
    }

    /// The struct (the resource's or a property type's) named `name`.
    pub fn struct_named(&self, name: &str) -> Option<&StructDef> {
        std::iter::once(&self.main)
            .chain(&self.structs)
            .find(|s| s.name == name)
    }

    /// The enum named `name`.
    pub fn enum_named(&self, name: &str) -> Option<&EnumDef> {
        self.enums.iter().find(|e| e.name == name)
    }
}

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

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn properties(node: &Value) -> Option<&Map<String, Value>> {
    node.get("properties")
        .and_then(Value::as_object)
        .filter(|p| !p.is_empty())
}

/// An object with declared properties becomes a struct.
fn is_struct(node: &Value) -> bool {
    let object_or_untyped = match node.get("type") {
        None => true,
        Some(t) => t == "object",
    };
    object_or_untyped && properties(node).is_some()
}

fn is_string(node: &Value) -> bool {
    node.get("type").is_some_and(|t| t == "string") && node.get("enum").is_none()
}

/// Exactly `Key` and `Value`, both plain strings: the shared `Tag`.
fn is_tag(node: &Value) -> bool {
    properties(node).is_some_and(|p| {
        p.len() == 2 && p.get("Key").is_some_and(is_string) && p.get("Value").is_some_and(is_string)
    })
}

/// The schema of every value of a map-like object, if they all share one.
fn map_values(node: &Value) -> Option<&Value> {
    if let Some(patterns) = node.get("patternProperties").and_then(Value::as_object) {
        let first = patterns.values().next()?;
        return patterns.values().all(|v| v == first).then_some(first);
    }
    node.get("additionalProperties").filter(|v| v.is_object())
}

/// Enum values when they are all strings.
fn string_enum(node: &Value) -> Option<Vec<String>> {
    let values = node.get("enum")?.as_array()?;
    let strings: Vec<String> = values
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect::<Option<_>>()?;
    let typed_string = match node.get("type") {
        None => true,
        Some(t) => t == "string",
    };
    (typed_string && !strings.is_empty()).then_some(strings)
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

/// How the resource takes tags, judged from the type of its tag property.
fn tag_shape(schema: &Value, main: &StructDef) -> Option<(TagKind, String)> {
    let tagging = schema.get("tagging");
    let taggable = tagging
        .and_then(|t| t.get("taggable"))
        .or_else(|| schema.get("taggable"))
        .and_then(Value::as_bool)
        .unwrap_or(tagging.is_some());
    if !taggable {
        return None;
    }
    let pointer = tagging
        .and_then(|t| str_at(t, "tagProperty"))
        .unwrap_or("/properties/Tags");
    let prop = pointer.strip_prefix("/properties/")?;
    let field = main.fields.iter().find(|f| f.json == prop)?;
    let kind = match &field.ty {
        Ty::Vec(item) if **item == Ty::Tag => TagKind::List,
        Ty::Map(value) if **value == Ty::Str => TagKind::Map,
        _ => tag_kind_of(schema, schema.get("properties")?.get(prop)?)?,
    };
    Some((kind, prop.to_owned()))
}

/// The tag shape of a property whose Rust type is not the plain one: a list of objects with
/// string `Key` and `Value` (other fields optional), or an object of strings (`"type":
/// "object"` or only `patternProperties`, without declared properties; JSON text allowed).
fn tag_kind_of(schema: &Value, node: &Value) -> Option<TagKind> {
    let node = resolve_ref(schema, node);
    let types: Vec<&str> = match node.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let is_string = |v: &Value| {
        resolve_ref(schema, v)
            .get("type")
            .is_some_and(|t| t == "string")
    };
    if types.contains(&"array") {
        let item = resolve_ref(schema, node.get("items")?);
        let props = item.get("properties")?.as_object()?;
        let required = strings(item, "required");
        let key_value = props.get("Key").is_some_and(is_string)
            && props.get("Value").is_some_and(is_string)
            && required.iter().all(|r| r == "Key" || r == "Value");
        return key_value.then_some(TagKind::List);
    }
    let values_are_strings = node
        .get("patternProperties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.values())
        .chain(node.get("additionalProperties").filter(|a| a.is_object()))
        .all(is_string);
    let object =
        types.contains(&"object") || (types.is_empty() && node.get("patternProperties").is_some());
    (object && node.get("properties").is_none() && values_are_strings).then_some(TagKind::Map)
}

/// Follows `$ref`s into `#/definitions` (bounded, as definitions may refer to each other).
fn resolve_ref<'a>(schema: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..16 {
        let target = str_at(node, "$ref")
            .and_then(|r| r.strip_prefix("#/definitions/"))
            .and_then(|d| schema.get("definitions")?.get(d));
        match target {
            Some(t) => node = t,
            None => break,
        }
    }
    node
}

/// Boxes fields until no struct contains itself directly (`Vec` and maps are already
/// indirect). Each cycle found by a depth-first search gets one boxed field: the one
/// closing it if optional, else the last optional field on the way round, so users mostly
/// see `Option<Box<T>>`. Searches start from structs in the order a value nests them,
/// so the field boxed is the one leading back to an outer type.
fn box_cycles(structs: &mut [StructDef]) {
    let graph: Graph = structs
        .iter()
        .map(|s| {
            let edges = s
                .fields
                .iter()
                .map(|f| match &f.ty {
                    Ty::Named(n) => (n.clone(), !f.required),
                    _ => (String::new(), false),
                })
                .collect();
            (s.name.clone(), edges)
        })
        .collect();
    let mut order: Vec<String> = Vec::new();
    if let Some(root) = structs.first() {
        nesting_order(&root.name, structs, &mut order);
    }
    for (owner, index) in edges_to_box(&order, &graph) {
        if let Some(s) = structs.iter_mut().find(|s| s.name == owner) {
            s.fields[index].boxed = true;
        }
    }
}

/// Structs in depth-first pre-order of containment, through lists and maps too.
fn nesting_order(name: &str, structs: &[StructDef], order: &mut Vec<String>) {
    if order.iter().any(|n| n == name) {
        return;
    }
    let Some(s) = structs.iter().find(|s| s.name == name) else {
        return;
    };
    order.push(name.to_owned());
    for f in &s.fields {
        let mut ty = &f.ty;
        while let Ty::Vec(t) | Ty::Map(t) = ty {
            ty = t;
        }
        if let Ty::Named(n) = ty {
            nesting_order(n, structs, order);
        }
    }
}

/// Struct name -> its fields as (target struct name, optional). Targets that are not keys
/// (scalars, enums) are ignored.
pub type Graph = BTreeMap<String, Vec<(String, bool)>>;

/// The edges (struct, field index) to box so that the graph has no cycle left; searches
/// start from `starts` in order, then from the other structs by name.
pub fn edges_to_box(starts: &[String], graph: &Graph) -> BTreeSet<(String, usize)> {
    let mut boxed = BTreeSet::new();
    while let Some(edge) = find_cycle_edge(starts, graph, &boxed) {
        boxed.insert(edge);
    }
    boxed
}

/// One edge to box on a cycle of unboxed edges, if any cycle is left.
fn find_cycle_edge(
    starts: &[String],
    graph: &Graph,
    boxed: &BTreeSet<(String, usize)>,
) -> Option<(String, usize)> {
    let mut done: BTreeSet<&str> = BTreeSet::new();
    for start in starts.iter().chain(graph.keys()) {
        let start = start.as_str();
        if !graph.contains_key(start) || done.contains(start) {
            continue;
        }
        // Iterative DFS; `path` holds (node, next edge index) for every open node.
        let mut path: Vec<(&str, usize)> = vec![(start, 0)];
        while let Some(&mut (node, ref mut next)) = path.last_mut() {
            let edges = &graph[node];
            let Some(i) = (*next..edges.len()).find(|&i| {
                graph.contains_key(&edges[i].0) && !boxed.contains(&(node.to_owned(), i))
            }) else {
                done.insert(node);
                path.pop();
                continue;
            };
            *next = i + 1;
            let (target, optional) = (&edges[i].0, edges[i].1);
            if let Some(pos) = path.iter().position(|(n, _)| *n == target.as_str()) {
                if optional {
                    return Some((node.to_owned(), i));
                }
                // The edges on the way round are the ones just taken from each open node.
                let on_cycle = path[pos..path.len() - 1].iter().rev();
                let last_optional = on_cycle
                    .map(|&(n, nx)| (n, nx - 1))
                    .find(|&(n, e)| graph[n][e].1);
                let (n, e) = last_optional.unwrap_or((node, i));
                return Some((n.to_owned(), e));
            }
            if !done.contains(target.as_str()) {
                path.push((target.as_str(), 0));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn graph(edges: &[(&str, &[(&str, bool)])]) -> Graph {
        edges
            .iter()
            .map(|(n, ts)| {
                let ts = ts.iter().map(|(t, o)| (t.to_string(), *o)).collect();
                (n.to_string(), ts)
            })
            .collect()
    }

    #[test]
    fn acyclic_graphs_box_nothing() {
        let g = graph(&[
            ("A", &[("B", true), ("C", false)]),
            ("B", &[("C", true)]),
            ("C", &[]),
        ]);
        assert!(edges_to_box(&["A".to_owned()], &g).is_empty());
    }

    #[test]
    fn cycles_box_an_optional_field_each() {
        let g = graph(&[
            ("Acl", &[("Statement", true)]),
            ("Leaf", &[]),
            // NotStatement.Statement is required: the optional way in gets the box.
            ("NotStatement", &[("Statement", false)]),
            ("RateBased", &[("Statement", true)]),
            (
                "Statement",
                &[
                    ("NotStatement", true),
                    ("Leaf", true),
                    ("RateBased", true),
                    ("Statement", true),
                ],
            ),
        ]);
        let boxed: Vec<_> = edges_to_box(&["Acl".to_owned()], &g).into_iter().collect();
        assert_eq!(
            boxed,
            [
                ("RateBased".to_owned(), 0),
                ("Statement".to_owned(), 0),
                ("Statement".to_owned(), 3)
            ]
        );
    }

    #[test]
    fn recursive_definitions_are_boxed_and_read_only_fields_skipped() {
        let schema = json!({
            "typeName": "AWS::Test::Thing",
            "definitions": {
                "Statement": {"type": "object", "properties": {
                    "Not": {"$ref": "#/definitions/NotStatement"},
                    "And": {"type": "array", "items": {"$ref": "#/definitions/Statement"}}
                }},
                "NotStatement": {"type": "object", "required": ["Statement"], "properties": {
                    "Statement": {"$ref": "#/definitions/Statement"}
                }},
                "Endpoint": {"type": "object", "properties": {
                    "Address": {"type": "string"}, "Port": {"type": "integer"}
                }}
            },
            "properties": {
                "Statement": {"$ref": "#/definitions/Statement"},
                "Endpoint": {"$ref": "#/definitions/Endpoint"},
                "Mode": {"type": "string", "enum": ["on", "off"]},
                "Tags": {"type": "object", "patternProperties": {"^.*$": {"type": "string"}}},
                "Id": {"type": "string"},
                "Path": {"type": "string"}
            },
            "required": ["Statement"],
            "readOnlyProperties": ["/properties/Id", "/properties/Path", "/properties/Endpoint/Address",
                                   "/properties/Endpoint/Port"],
            "tagging": {"taggable": true, "tagProperty": "/properties/Tags"}
        });
        let r = build(&schema).unwrap();
        let fields: Vec<_> = r.main.fields.iter().map(|f| (&*f.rust, &f.ty)).collect();
        assert_eq!(
            fields,
            [
                ("statement", &Ty::Named("Statement".into())),
                ("mode", &Ty::Named("Mode".into())),
                ("tags", &Ty::Map(Box::new(Ty::Str))),
            ]
        );
        let boxed: Vec<_> = r
            .structs
            .iter()
            .flat_map(|s| {
                s.fields
                    .iter()
                    .filter(|f| f.boxed)
                    .map(|f| (&*s.name, &*f.rust))
            })
            .collect();
        assert_eq!(boxed, [("Statement", "not")]);
        assert_eq!(r.tags, Some((TagKind::Map, "Tags".into())));
        let attrs: Vec<_> = r
            .attributes
            .iter()
            .map(|a| (&*a.method, &*a.name))
            .collect();
        assert_eq!(
            attrs,
            [
                ("id", "Id"),
                ("path_attr", "Path"),
                ("endpoint_address", "Endpoint.Address"),
                ("endpoint_port", "Endpoint.Port")
            ]
        );
    }
}
