//! Rust names for template names: variables for handles, parameters, conditions and
//! mappings; module names for stacks.

use std::collections::HashSet;

/// Words Rust reserves (strict and reserved keywords), which a variable may not be.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "abstract", "become", "box", "do", "final", "gen", "macro", "override",
    "priv", "try", "typeof", "unsized", "virtual", "yield", "union",
];

/// Names the generated module uses itself, which a template name must not shadow.
const TAKEN: &[&str] = &["app", "env", "stack", "root", "kept", "sub", "json"];

/// `VPCGatewayAttachment` -> `vpc_gateway_attachment`, `WebServer2` -> `web_server2`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 && !out.ends_with('_') {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.is_empty() {
        "value".to_owned()
    } else if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("v{out}")
    } else {
        out
    }
}

/// Whether `name` is a Rust keyword.
pub fn is_keyword(name: &str) -> bool {
    KEYWORDS.contains(&name)
}

/// Hands out distinct variable names.
#[derive(Debug, Default)]
pub struct Names {
    used: HashSet<String>,
}

impl Names {
    /// A fresh variable name for template name `name` (`_param`, `_2`, ... appended when the
    /// plain one is a keyword or taken).
    pub fn fresh(&mut self, name: &str, kind_suffix: &str) -> String {
        let base = snake_case(name);
        let mut candidate = base.clone();
        if KEYWORDS.contains(&candidate.as_str()) || TAKEN.contains(&candidate.as_str()) {
            candidate = format!("{base}_{kind_suffix}");
        }
        if self.used.contains(&candidate) {
            candidate = format!("{base}_{kind_suffix}");
        }
        let mut n = 2;
        let stem = candidate.clone();
        while self.used.contains(&candidate) {
            candidate = format!("{stem}_{n}");
            n += 1;
        }
        self.used.insert(candidate.clone());
        candidate
    }
}

/// A stack name (letters, digits, `-`) from a file stem: `VPC_With_NAT` -> `vpc-with-nat`.
pub fn stack_name(stem: &str) -> String {
    let snake = snake_case(stem);
    let name = snake.replace('_', "-");
    if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name
    } else {
        format!("s{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_names_become_snake_case_variables() {
        for (name, want) in [
            ("VPCGatewayAttachment", "vpc_gateway_attachment"),
            ("WebServer2", "web_server2"),
            ("MyBucket", "my_bucket"),
            ("S3Bucket", "s3_bucket"),
            ("EC2Instance", "ec2_instance"),
            ("vpc-id", "vpc_id"),
            ("2Fast", "v2_fast"),
        ] {
            assert_eq!(snake_case(name), want, "{name}");
        }
    }

    #[test]
    fn keywords_and_repeats_get_distinct_names() {
        let mut names = Names::default();
        assert_eq!(names.fresh("Type", "param"), "type_param");
        assert_eq!(names.fresh("Bucket", "res"), "bucket");
        assert_eq!(names.fresh("bucket", "res"), "bucket_res");
        assert_eq!(names.fresh("BUCKET", "res"), "bucket_res_2");
        assert_eq!(names.fresh("Stack", "res"), "stack_res");
    }

    #[test]
    fn file_stems_become_stack_names() {
        assert_eq!(stack_name("VPC_With_Managed_NAT"), "vpc-with-managed-nat");
        assert_eq!(stack_name("3tier"), "v3tier");
    }
}
