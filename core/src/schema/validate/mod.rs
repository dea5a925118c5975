//! Validation of resource properties against the schemas of the index (raw resources at
//! synth, every resource of a template given to `check`).
//!
//! Literals are checked against the schema's types, enums, patterns, lengths and bounds, and
//! nested objects through `#/definitions/..`. Intrinsic functions are accepted wherever a
//! value is, without looking inside. Where the schema cannot be decided here
//! (`oneOf`/`anyOf` beyond lists of required properties), the value is accepted: a
//! violation is always a real mistake.

use crate::expr::ExprMap;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};

use regex::Regex;
use serde_json::Value;

use super::TypeInfo;
use crate::expr::{Expr, Pseudo};

/// One problem found in a raw resource's properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Path of the offending property (`Tags[0].Key`), empty for the whole resource.
    pub property: String,
    /// What is wrong and how to fix it.
    pub problem: String,
}

/// Checks `properties` against the schema of `info`. Intrinsic functions are accepted
/// wherever a value is.
pub fn validate(info: &TypeInfo, properties: &ExprMap) -> Vec<Violation> {
    let schema = match info.schema() {
        Ok(schema) => schema,
        Err(e) => {
            return vec![Violation {
                property: String::new(),
                problem: e.to_string(),
            }]
        }
    };
    let mut checker = Checker {
        root: schema,
        read_only: strings(schema, "readOnlyProperties"),
        out: Vec::new(),
    };
    checker.object(schema, properties, "", "/properties", info.type_name);
    checker.out
}

/// The compiled `pattern`, or `None` when the regex crate cannot compile it (lookaround,
/// backreferences, `\p{Print}`): such patterns are skipped.
fn pattern(source: &str) -> Option<Regex> {
    static CACHE: OnceLock<Mutex<HashMap<String, Option<Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Mutex::default);
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    cache
        .entry(source.to_owned())
        // Schemas come from Python tooling, where `\Z` is the end of the text.
        .or_insert_with(|| Regex::new(&source.replace(r"\Z", r"\z")).ok())
        .clone()
}

/// Whether `re` finds a match in `s` as Python's `re.search` does (cfn-lint's engine), where
/// `$` also matches before a final newline (YAML block scalars end with one).
fn search(re: &Regex, s: &str) -> bool {
    re.is_match(s) || s.strip_suffix('\n').is_some_and(|t| re.is_match(t))
}

/// Whether the whole of `s` matches `source` (cfn-lint's `re.fullmatch`, for `Fn::GetAtt`
/// attribute patterns such as `Outputs\..*`); a pattern the regex crate cannot compile matches
/// only itself.
pub(crate) fn full_match(source: &str, s: &str) -> bool {
    // Most sources are plain names (`Arn`, `Endpoint.Address`): compare them without
    // compiling a regex for each (hundreds across the types an app uses). `.` is the one
    // metacharacter they hold; it matches any character but a newline.
    if !source.contains(|c: char| r"\*+?[](){}|^$".contains(c)) {
        return source.chars().count() == s.chars().count()
            && source
                .chars()
                .zip(s.chars())
                .all(|(p, c)| p == c || (p == '.' && c != '\n'));
    }
    match pattern(&format!("^(?:{source})$")) {
        Some(re) => re.is_match(s),
        None => source == s,
    }
}

fn strings<'a>(v: &'a Value, key: &str) -> Vec<&'a str> {
    v.get(key).map(strings_of).unwrap_or_default()
}

/// The JSON type names a schema allows (empty: any).
fn types(schema: &Value) -> Vec<&str> {
    match schema.get("type") {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Whether `expr` is a literal (checked) rather than an intrinsic function (accepted).
/// A one-key map `{"Ref": ..}` or `{"Fn::..": ..}` is an intrinsic too: it is what a
/// template ported through `Expr::from(serde_json::Value)` holds.
fn is_literal(expr: &Expr) -> bool {
    match expr {
        Expr::String(_) | Expr::Number(_) | Expr::Bool(_) | Expr::List(_) => true,
        Expr::Map(m) => {
            !(m.len() == 1
                && m.keys()
                    .all(|k| k == "Ref" || k == "Condition" || k.starts_with("Fn::")))
        }
        _ => false,
    }
}

/// `AWS::NoValue` removes the property it is the value of.
fn is_absent(expr: &Expr) -> bool {
    matches!(expr, Expr::Pseudo(Pseudo::NoValue))
}

/// The number a literal stands for: a number, or a string CloudFormation converts.
fn number(expr: &Expr) -> Option<f64> {
    match expr {
        Expr::Number(n) => n.as_f64(),
        Expr::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Whether a literal has (or converts to, as CloudFormation does) the JSON type `ty`.
fn has_type(expr: &Expr, ty: &str) -> bool {
    match (ty, expr) {
        ("string", Expr::String(_) | Expr::Number(_) | Expr::Bool(_)) => true,
        ("number", _) => number(expr).is_some(),
        ("integer", _) => number(expr).is_some_and(|n| n.fract() == 0.0),
        ("boolean", Expr::Bool(_)) => true,
        ("boolean", Expr::String(s)) => {
            s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false")
        }
        ("array", Expr::List(_)) | ("object", Expr::Map(_)) => true,
        _ => false,
    }
}

fn describe(expr: &Expr) -> String {
    match expr {
        Expr::String(s) => format!("the string {s:?}"),
        Expr::Number(n) => format!("the number {n}"),
        Expr::Bool(b) => format!("the boolean {b}"),
        Expr::List(_) => "a list".to_owned(),
        Expr::Map(_) => "an object".to_owned(),
        _ => "an intrinsic function".to_owned(),
    }
}

fn type_words(ty: &str) -> &str {
    match ty {
        "string" => "a string",
        "integer" => "an integer",
        "number" => "a number",
        "boolean" => "a boolean (true or false)",
        "array" => "a list",
        "object" => "an object",
        other => other,
    }
}

fn join_path(parent: &str, name: &str) -> String {
    if parent.is_empty() {
        name.to_owned()
    } else {
        format!("{parent}.{name}")
    }
}

/// Literal JSON text of a schema value, for messages.
fn show(v: &Value) -> String {
    v.to_string()
}

/// Case-insensitive edit distance, for "did you mean" suggestions.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The known name closest to `name`, if it is close enough to be a likely typo.
fn closest<'a>(name: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    known
        .map(|k| (distance(name, k), k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

struct Checker<'a> {
    root: &'a Value,
    read_only: Vec<&'a str>,
    out: Vec<Violation>,
}

impl<'a> Checker<'a> {
    fn report(&mut self, property: &str, problem: String) {
        self.out.push(Violation {
            property: property.to_owned(),
            problem,
        });
    }

    /// Follows `$ref`s into `#/definitions`.
    fn resolve(&self, mut schema: &'a Value) -> &'a Value {
        // Bounded: definitions that only refer to each other would otherwise loop.
        for _ in 0..16 {
            let target = schema
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/definitions/"))
                .and_then(|name| self.root.get("definitions")?.get(name));
            match target {
                Some(t) => schema = t,
                None => break,
            }
        }
        schema
    }

    /// Checks the entries of an object against `schema`; `what` names it in messages.
    fn object(
        &mut self,
        schema: &'a Value,
        entries: &ExprMap,
        path: &str,
        pointer: &str,
        what: &str,
    ) {
        let declared = schema.get("properties").and_then(Value::as_object);
        let patterns = schema.get("patternProperties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties");
        for (name, value) in entries {
            let child_path = join_path(path, name);
            let child_pointer = format!("{pointer}/{name}");
            if is_absent(value) {
                continue;
            }
            if let Some(child) = declared.and_then(|d| d.get(name)) {
                if self.read_only.contains(&child_pointer.as_str()) {
                    self.report(
                        &child_path,
                        format!(
                            "{name} is an attribute, not a property: remove it, and read it \
                             with Fn::GetAtt where you need it"
                        ),
                    );
                } else {
                    self.value(child, value, &child_path, &child_pointer);
                }
                continue;
            }
            let by_pattern = patterns.and_then(|ps| {
                ps.iter()
                    .find(|(p, _)| pattern(p).is_some_and(|re| search(&re, name)))
                    .map(|(_, s)| s)
            });
            if let Some(child) = by_pattern.or(additional.filter(|a| a.is_object())) {
                self.value(child, value, &child_path, &format!("{pointer}/*"));
                continue;
            }
            // Keys of a map whose patterns we could not compile are not judged.
            let closed = additional == Some(&Value::Bool(false))
                && patterns.is_none_or(|ps| ps.keys().all(|p| pattern(p).is_some()));
            if closed {
                let known = declared
                    .into_iter()
                    .flat_map(|d| d.keys())
                    .map(String::as_str)
                    .filter(|k| !self.read_only.contains(&format!("{pointer}/{k}").as_str()));
                let hint = match closest(name, known) {
                    Some(k) => format!("; did you mean {k}?"),
                    None => "; check the spelling against the CloudFormation reference".to_owned(),
                };
                self.report(&child_path, format!("{what} has no property {name}{hint}"));
            }
        }
        let present = |name: &str| entries.get(name).is_some_and(|v| !is_absent(v));
        for name in strings(schema, "required") {
            if !present(name) {
                self.report(
                    &join_path(path, name),
                    format!("{name} is required by {what}: set it"),
                );
            }
        }
        for (keyword, at_least, at_most) in [("anyOf", 1, usize::MAX), ("oneOf", 1, 1)] {
            let Some(names) = required_alternatives(schema, keyword) else {
                continue;
            };
            let set = names.iter().filter(|n| present(n)).count();
            // An intrinsic may resolve to AWS::NoValue, so "too many" needs literals.
            let literal = names.iter().all(|n| entries.get(n).is_none_or(is_literal));
            if set < at_least {
                let list = names.join(", ");
                self.report(path, format!("{what} needs one of {list}: set one"));
            } else if set > at_most && literal {
                let list = names.join(", ");
                self.report(
                    path,
                    format!("{what} takes only one of {list}: remove the others"),
                );
            }
        }
    }

    /// Checks one value against its schema.
    fn value(&mut self, schema: &'a Value, value: &Expr, path: &str, pointer: &str) {
        if !is_literal(value) {
            return;
        }
        let schema = self.resolve(schema);
        let mut allowed = types(schema);
        if allowed.is_empty() {
            if schema.get("properties").is_some() {
                allowed.push("object");
            } else if schema.get("items").is_some() {
                allowed.push("array");
            }
        }
        if !allowed.is_empty() && !allowed.iter().any(|t| has_type(value, t)) {
            let want: Vec<&str> = allowed.iter().map(|t| type_words(t)).collect();
            self.report(
                path,
                format!("expected {}, got {}", want.join(" or "), describe(value)),
            );
            return;
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array) {
            let any_case = schema.get("enumCaseInsensitive") == Some(&Value::Bool(true));
            if !options.iter().any(|o| enum_matches(o, value, any_case)) {
                let list: Vec<String> = options.iter().take(12).map(show).collect();
                let more = if options.len() > 12 { ", ..." } else { "" };
                self.report(
                    path,
                    format!(
                        "{} is not an allowed value: use one of {}{more}",
                        describe(value),
                        list.join(", ")
                    ),
                );
                return;
            }
        }
        match value {
            Expr::String(s) => self.string(schema, s, path),
            Expr::List(items) => self.list(schema, items, path, pointer),
            Expr::Map(entries) => self.object(schema, entries, path, pointer, path),
            _ => {}
        }
        let numeric = allowed.iter().any(|t| matches!(*t, "integer" | "number"));
        if let Some(n) = number(value).filter(|_| numeric) {
            self.bounds(schema, n, path);
        }
    }

    fn string(&mut self, schema: &Value, s: &str, path: &str) {
        let len = s.chars().count();
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64) {
            if (len as u64) < min {
                self.report(
                    path,
                    format!("is {len} characters long, shorter than the minimum {min}"),
                );
            }
        }
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
            if (len as u64) > max {
                self.report(
                    path,
                    format!("is {len} characters long, longer than the maximum {max}"),
                );
            }
        }
        if let Some(source) = schema.get("pattern").and_then(Value::as_str) {
            if pattern(source).is_some_and(|re| !search(&re, s)) {
                self.report(path, format!("{s:?} does not match the pattern {source}"));
            }
        }
    }

    fn list(&mut self, schema: &'a Value, items: &[Expr], path: &str, pointer: &str) {
        let n = items.len() as u64;
        if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
            if n < min {
                self.report(path, format!("has {n} items, fewer than the minimum {min}"));
            }
        }
        if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
            if n > max {
                self.report(path, format!("has {n} items, more than the maximum {max}"));
            }
        }
        if let Some(item_schema) = schema.get("items") {
            for (i, item) in items.iter().enumerate() {
                self.value(
                    item_schema,
                    item,
                    &format!("{path}[{i}]"),
                    &format!("{pointer}/*"),
                );
            }
        }
    }

    fn bounds(&mut self, schema: &Value, n: f64, path: &str) {
        let bound = |key| schema.get(key).and_then(Value::as_f64);
        if let Some(min) = bound("minimum").filter(|min| n < *min) {
            self.report(path, format!("{n} is below the minimum {min}"));
        }
        if let Some(max) = bound("maximum").filter(|max| n > *max) {
            self.report(path, format!("{n} is above the maximum {max}"));
        }
        if let Some(min) = bound("exclusiveMinimum").filter(|min| n <= *min) {
            self.report(path, format!("{n} must be greater than {min}"));
        }
        if let Some(max) = bound("exclusiveMaximum").filter(|max| n >= *max) {
            self.report(path, format!("{n} must be less than {max}"));
        }
    }
}

/// The property names of an `anyOf`/`oneOf` made only of `{"required": [one name]}`
/// entries, the one form decided here.
fn required_alternatives<'a>(schema: &'a Value, keyword: &str) -> Option<Vec<&'a str>> {
    let branches = schema.get(keyword)?.as_array()?;
    branches
        .iter()
        .map(|b| {
            let b = b.as_object()?;
            match (b.len(), strings_of(b.get("required")?).as_slice()) {
                (1, [one]) => Some(*one),
                _ => None,
            }
        })
        .collect()
}

fn strings_of(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Whether a literal equals an enum option (numbers compare by value, as CloudFormation
/// converts numeric strings).
fn enum_matches(option: &Value, value: &Expr, any_case: bool) -> bool {
    match (option, value) {
        (Value::String(o), Expr::String(v)) if any_case => o.eq_ignore_ascii_case(v),
        (Value::String(o), Expr::String(v)) => o == v,
        (Value::Number(o), _) => o.as_f64().is_some_and(|o| number(value) == Some(o)),
        (Value::Bool(o), Expr::Bool(v)) => o == v,
        (Value::Bool(o), Expr::String(v)) => v.eq_ignore_ascii_case(&o.to_string()),
        (Value::String(o), Expr::Number(n)) => *o == n.to_string(),
        _ => false,
    }
}

#[cfg(test)]
mod tests;
