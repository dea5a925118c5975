//! The model's types: a resource, its structs, enums, fields, attributes and tags.

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
