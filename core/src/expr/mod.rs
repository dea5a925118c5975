//! `Expr`: a CloudFormation value — a literal, a list or map of values, or an intrinsic
//! function. References are typed values that know the stack that owns their target, so
//! synthesis can turn a cross-stack use into an export/import without parsing strings.

mod convert;
mod map;
mod references;
mod render;
mod uses;

pub use compact_str::CompactString;
pub use map::ExprMap;
pub use references::{ConditionRef, MappingRef, Pseudo, RefKind, Reference, StackKey};
pub use render::sub_placeholders;
pub use uses::Use;

/// A CloudFormation value: literal, list, map or intrinsic function.
///
/// Build mixed strings with [`Expr::concat`]; they render as `Fn::Join` (a literal-only
/// result stays a plain string). Nothing here is ever encoded into a string token.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A string literal (up to 24 bytes stored inline: most tag values and names).
    String(CompactString),
    /// A number literal.
    Number(serde_json::Number),
    /// A boolean literal.
    Bool(bool),
    /// A list of values.
    List(Vec<Expr>),
    /// A map of values (key order is kept).
    Map(ExprMap),
    /// `{"Ref": logical_id}` of a resource or parameter.
    Ref(Reference),
    /// `{"Fn::GetAtt": [logical_id, attribute]}`.
    GetAtt {
        /// The resource.
        target: Reference,
        /// The attribute (`Arn`, `Endpoint.Address`).
        attribute: Box<str>,
    },
    /// `{"Ref": "AWS::..."}`.
    Pseudo(Pseudo),
    /// `{"Fn::Sub": [template, vars]}`. Placeholders must name a variable or a pseudo
    /// parameter; synthesis rejects anything else, so references are always typed.
    Sub {
        /// The template string with `${Name}` placeholders.
        template: Box<str>,
        /// Values of the placeholders (boxed: most `Expr`s are small literals, and an
        /// enum is as large as its largest variant).
        vars: Box<ExprMap>,
    },
    /// A string made of parts (literals and values known at deploy time), built by
    /// [`Expr::concat`]. Renders as `Fn::Sub` when every part can be inlined in one (literals,
    /// pseudo parameters, same-stack `Ref`/`GetAtt`), else as `Fn::Join` with `""`.
    Concat(Vec<Expr>),
    /// `{"Fn::Join": [delimiter, list]}`; `list` is a [`Expr::List`] or a list-valued function.
    Join {
        /// The delimiter.
        delimiter: Box<str>,
        /// The values to join.
        list: Box<Expr>,
    },
    /// `{"Fn::Select": [index, list]}`.
    Select {
        /// Zero-based index (a number; templates may also give a string or a reference).
        index: Box<Expr>,
        /// A list or list-valued function.
        list: Box<Expr>,
    },
    /// `{"Fn::Split": [delimiter, source]}`.
    Split {
        /// The delimiter.
        delimiter: Box<str>,
        /// The string to split.
        source: Box<Expr>,
    },
    /// `{"Fn::GetAZs": region}` (an empty string means the stack's region).
    GetAzs {
        /// The region.
        region: Box<Expr>,
    },
    /// `{"Fn::ImportValue": name}`.
    ImportValue(Box<Expr>),
    /// `{"Fn::If": [condition, then, otherwise]}`.
    If {
        /// The condition's name.
        condition: ConditionRef,
        /// Value when true.
        then: Box<Expr>,
        /// Value when false.
        otherwise: Box<Expr>,
    },
    /// `{"Fn::Equals": [a, b]}` (conditions only).
    Equals(Box<Expr>, Box<Expr>),
    /// `{"Fn::And": [...]}` (conditions only).
    And(Vec<Expr>),
    /// `{"Fn::Or": [...]}` (conditions only).
    Or(Vec<Expr>),
    /// `{"Fn::Not": [x]}` (conditions only).
    Not(Box<Expr>),
    /// `{"Condition": name}`: another condition, inside a condition.
    Condition(ConditionRef),
    /// `{"Fn::FindInMap": [map, top, second]}`.
    FindInMap {
        /// The mapping.
        map: MappingRef,
        /// Top-level key.
        top: Box<Expr>,
        /// Second-level key.
        second: Box<Expr>,
    },
    /// `{"Fn::Base64": value}`.
    Base64(Box<Expr>),
    /// `{"Fn::Cidr": [block, count, bits]}`.
    Cidr {
        /// The CIDR block to divide.
        block: Box<Expr>,
        /// How many CIDRs to generate.
        count: Box<Expr>,
        /// Host bits per CIDR.
        bits: Box<Expr>,
    },
}

impl Expr {
    /// A string literal.
    pub fn str(s: impl AsRef<str>) -> Expr {
        Expr::String(CompactString::new(s.as_ref()))
    }

    /// `{"Ref": logical_id}` to a resource or parameter named by hand (for raw resources
    /// and templates ported from elsewhere). Synthesis checks the ID exists in the stack
    /// that uses it. Prefer handles, which carry their stack.
    pub fn local_ref(logical_id: &str) -> Expr {
        Expr::Ref(Reference::local(logical_id))
    }

    /// `{"Fn::GetAtt": [logical_id, attribute]}` named by hand (see [`Expr::local_ref`]).
    pub fn local_get_att(logical_id: &str, attribute: &str) -> Expr {
        Expr::GetAtt {
            target: Reference::local(logical_id),
            attribute: attribute.into(),
        }
    }

    /// Concatenates parts: adjacent literals merge, nested concatenations flatten, a
    /// literal-only result is a plain string, a single non-literal part is returned as is,
    /// anything else is an [`Expr::Concat`].
    pub fn concat<I, E>(parts: I) -> Expr
    where
        I: IntoIterator<Item = E>,
        E: Into<Expr>,
    {
        fn push(out: &mut Vec<Expr>, part: Expr) {
            match part {
                Expr::String(s) if s.is_empty() => {}
                Expr::String(s) => match out.last_mut() {
                    Some(Expr::String(prev)) => prev.push_str(&s),
                    _ => out.push(Expr::String(s)),
                },
                Expr::Concat(items) => items.into_iter().for_each(|i| push(out, i)),
                other => out.push(other),
            }
        }
        let mut out: Vec<Expr> = Vec::new();
        for part in parts {
            push(&mut out, part.into());
        }
        match out.len() {
            0 => Expr::String(CompactString::default()),
            1 => out
                .pop()
                .unwrap_or_else(|| Expr::String(CompactString::default())),
            _ => Expr::Concat(out),
        }
    }

    /// `Fn::Join` of `items` with `delimiter` (literal-only input joins at synth time).
    pub fn join<I, E>(delimiter: &str, items: I) -> Expr
    where
        I: IntoIterator<Item = E>,
        E: Into<Expr>,
    {
        let items: Vec<Expr> = items.into_iter().map(Into::into).collect();
        if items.iter().all(|e| matches!(e, Expr::String(_))) {
            let strings: Vec<&str> = items
                .iter()
                .filter_map(|e| match e {
                    Expr::String(s) => Some(s.as_str()),
                    _ => None,
                })
                .collect();
            return Expr::String(strings.join(delimiter).into());
        }
        Expr::Join {
            delimiter: delimiter.into(),
            list: Box::new(Expr::List(items)),
        }
    }

    /// `Fn::Sub` with explicit variables.
    pub fn sub<I, K, V>(template: &str, vars: I) -> Expr
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<Expr>,
    {
        Expr::Sub {
            template: template.into(),
            vars: Box::new(
                vars.into_iter()
                    .map(|(k, v)| (k.into(), v.into()))
                    .collect(),
            ),
        }
    }

    /// `Fn::Select`.
    pub fn select(index: u32, list: impl Into<Expr>) -> Expr {
        Expr::Select {
            index: Box::new(Expr::from(index)),
            list: Box::new(list.into()),
        }
    }

    /// `Fn::Split`.
    pub fn split(delimiter: &str, source: impl Into<Expr>) -> Expr {
        Expr::Split {
            delimiter: delimiter.into(),
            source: Box::new(source.into()),
        }
    }

    /// `Fn::GetAZs` for the stack's own region.
    pub fn get_azs() -> Expr {
        Expr::GetAzs {
            region: Box::new(Expr::String(CompactString::default())),
        }
    }

    /// `Fn::ImportValue` of an export name.
    pub fn import_value(name: impl Into<Expr>) -> Expr {
        Expr::ImportValue(Box::new(name.into()))
    }

    /// `Fn::If`.
    pub fn if_(
        condition: &ConditionRef,
        then: impl Into<Expr>,
        otherwise: impl Into<Expr>,
    ) -> Expr {
        Expr::If {
            condition: condition.clone(),
            then: Box::new(then.into()),
            otherwise: Box::new(otherwise.into()),
        }
    }

    /// `Fn::Equals`.
    pub fn equals(a: impl Into<Expr>, b: impl Into<Expr>) -> Expr {
        Expr::Equals(Box::new(a.into()), Box::new(b.into()))
    }

    /// `Fn::Not`.
    pub fn not(x: impl Into<Expr>) -> Expr {
        Expr::Not(Box::new(x.into()))
    }

    /// `Fn::FindInMap`.
    pub fn find_in_map(map: &MappingRef, top: impl Into<Expr>, second: impl Into<Expr>) -> Expr {
        Expr::FindInMap {
            map: map.clone(),
            top: Box::new(top.into()),
            second: Box::new(second.into()),
        }
    }

    /// `Fn::Base64`.
    pub fn base64(x: impl Into<Expr>) -> Expr {
        Expr::Base64(Box::new(x.into()))
    }

    /// `Fn::Cidr`.
    pub fn cidr(block: impl Into<Expr>, count: u32, bits: u32) -> Expr {
        Expr::Cidr {
            block: Box::new(block.into()),
            count: Box::new(Expr::from(count)),
            bits: Box::new(Expr::from(bits)),
        }
    }

    /// `{"Ref": "AWS::Region"}`.
    pub fn region() -> Expr {
        Expr::Pseudo(Pseudo::Region)
    }

    /// `{"Ref": "AWS::AccountId"}`.
    pub fn account_id() -> Expr {
        Expr::Pseudo(Pseudo::AccountId)
    }

    /// `{"Ref": "AWS::Partition"}`.
    pub fn partition() -> Expr {
        Expr::Pseudo(Pseudo::Partition)
    }

    /// `{"Ref": "AWS::StackName"}`.
    pub fn stack_name() -> Expr {
        Expr::Pseudo(Pseudo::StackName)
    }

    /// `{"Ref": "AWS::URLSuffix"}`.
    pub fn url_suffix() -> Expr {
        Expr::Pseudo(Pseudo::UrlSuffix)
    }

    /// `{"Ref": "AWS::NoValue"}`.
    pub fn no_value() -> Expr {
        Expr::Pseudo(Pseudo::NoValue)
    }

    /// `arn:${Partition}:<service>:${Region}:${AccountId}:<resource>`; pass `region: false`
    /// for global services (IAM, S3), which leave the region empty.
    pub fn arn(service: &str, region: bool, resource: impl Into<Expr>) -> Expr {
        Expr::concat([
            Expr::str("arn:"),
            Expr::partition(),
            Expr::str(format!(":{service}:")),
            if region {
                Expr::region()
            } else {
                Expr::str("")
            },
            Expr::str(":"),
            Expr::account_id(),
            Expr::str(":"),
            resource.into(),
        ])
    }

    /// A map from key/value pairs.
    pub fn map<I, K, V>(entries: I) -> Expr
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<Expr>,
    {
        Expr::Map(entries.into_iter().map(|(k, v)| (k, v.into())).collect())
    }

    /// A list from values.
    pub fn list<I, E>(items: I) -> Expr
    where
        I: IntoIterator<Item = E>,
        E: Into<Expr>,
    {
        Expr::List(items.into_iter().map(Into::into).collect())
    }

    /// The literal string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Expr::String(s) => Some(s),
            _ => None,
        }
    }

    /// Whether this value contains no intrinsic function (a plain JSON literal).
    pub fn is_literal(&self) -> bool {
        match self {
            Expr::String(_) | Expr::Number(_) | Expr::Bool(_) => true,
            Expr::List(items) => items.iter().all(Expr::is_literal),
            Expr::Map(m) => m.values().all(Expr::is_literal),
            _ => false,
        }
    }

    /// Calls `f` on this value and every value inside it, depth first.
    pub fn visit<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        self.for_each_child(|c| c.visit(f));
    }

    /// Calls `f` on this value and every value inside it, depth first, with mutable access
    /// (children are visited after `f` has run on their parent).
    pub fn visit_mut(&mut self, f: &mut impl FnMut(&mut Expr)) {
        f(self);
        self.for_each_child_mut(|c| c.visit_mut(f));
    }

    /// Whether values nest more than `max` levels deep below this one. Walks without
    /// recursion, so a value too deep for the recursive walks (rendering, references) is
    /// found before any of them runs.
    pub fn nests_deeper_than(&self, max: usize) -> bool {
        let mut todo: Vec<(&Expr, usize)> = vec![(self, 0)];
        while let Some((e, depth)) = todo.pop() {
            if depth > max {
                return true;
            }
            e.for_each_child(|c| todo.push((c, depth + 1)));
        }
        false
    }

    fn for_each_child<'a>(&'a self, mut f: impl FnMut(&'a Expr)) {
        match self {
            Expr::String(_)
            | Expr::Number(_)
            | Expr::Bool(_)
            | Expr::Ref(_)
            | Expr::GetAtt { .. }
            | Expr::Pseudo(_)
            | Expr::Condition(_) => {}
            Expr::List(items) | Expr::Concat(items) | Expr::And(items) | Expr::Or(items) => {
                items.iter().for_each(f)
            }
            Expr::Map(m) => m.values().for_each(f),
            Expr::Sub { vars, .. } => vars.values().for_each(f),
            Expr::Join { list, .. } => f(list),
            Expr::Select { index, list } => {
                f(index);
                f(list);
            }
            Expr::Split { source, .. } => f(source),
            Expr::GetAzs { region } => f(region),
            Expr::ImportValue(x) | Expr::Not(x) | Expr::Base64(x) => f(x),
            Expr::If {
                then, otherwise, ..
            } => {
                f(then);
                f(otherwise);
            }
            Expr::Equals(a, b) => {
                f(a);
                f(b);
            }
            Expr::FindInMap { top, second, .. } => {
                f(top);
                f(second);
            }
            Expr::Cidr { block, count, bits } => {
                f(block);
                f(count);
                f(bits);
            }
        }
    }

    /// Calls `f` on each value directly inside this one (list items, map values, function
    /// arguments), with mutable access; not on this value, not deeper.
    pub fn for_each_child_mut(&mut self, mut f: impl FnMut(&mut Expr)) {
        match self {
            Expr::String(_)
            | Expr::Number(_)
            | Expr::Bool(_)
            | Expr::Ref(_)
            | Expr::GetAtt { .. }
            | Expr::Pseudo(_)
            | Expr::Condition(_) => {}
            Expr::List(items) | Expr::Concat(items) | Expr::And(items) | Expr::Or(items) => {
                items.iter_mut().for_each(f)
            }
            Expr::Map(m) => m.values_mut().for_each(f),
            Expr::Sub { vars, .. } => vars.values_mut().for_each(f),
            Expr::Join { list, .. } => f(list),
            Expr::Select { index, list } => {
                f(index);
                f(list);
            }
            Expr::Split { source, .. } => f(source),
            Expr::GetAzs { region } => f(region),
            Expr::ImportValue(x) | Expr::Not(x) | Expr::Base64(x) => f(x),
            Expr::If {
                then, otherwise, ..
            } => {
                f(then);
                f(otherwise);
            }
            Expr::Equals(a, b) => {
                f(a);
                f(b);
            }
            Expr::FindInMap { top, second, .. } => {
                f(top);
                f(second);
            }
            Expr::Cidr { block, count, bits } => {
                f(block);
                f(count);
                f(bits);
            }
        }
    }
}

#[cfg(test)]
mod tests;
