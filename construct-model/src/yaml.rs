//! A YAML writer for templates. CloudFormation and cfn-lint read YAML 1.1, where plain
//! scalars such as `ON`, `yes` or `2012-10-17` are booleans or dates; general-purpose YAML 1.2
//! serializers leave those unquoted. Here every string that is not unmistakably a string is
//! double-quoted (JSON escapes are valid YAML), so the YAML means exactly what the JSON means.

use std::fmt::Write;

use serde_json::Value;

/// Renders `value` (a template) as block-style YAML with a final newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => write_map(&mut out, m, 0),
        Value::Array(a) if !a.is_empty() => write_seq(&mut out, a, 0),
        scalar => {
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
    out
}

fn write_map(out: &mut String, m: &serde_json::Map<String, Value>, indent: usize) {
    for (k, v) in m {
        out.push_str(&" ".repeat(indent));
        out.push_str(&string(k));
        out.push(':');
        write_child(out, v, indent);
    }
}

fn write_seq(out: &mut String, a: &[Value], indent: usize) {
    for v in a {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match v {
            // A map in a list starts on the dash line: `- Key: Value`.
            Value::Object(m) if !m.is_empty() => {
                out.push(' ');
                let mut inner = String::new();
                write_map(&mut inner, m, indent + 2);
                out.push_str(inner.trim_start());
            }
            _ => write_child(out, v, indent),
        }
    }
}

fn write_child(out: &mut String, v: &Value, indent: usize) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            write_map(out, m, indent + 2);
        }
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_seq(out, a, indent + 2);
        }
        scalar => {
            out.push(' ');
            out.push_str(&inline(scalar));
            out.push('\n');
        }
    }
}

fn inline(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// A string plain when that is safe under YAML 1.1 and 1.2, double-quoted otherwise.
fn string(s: &str) -> String {
    if is_plain_safe(s) {
        return s.to_owned();
    }
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            '\r' => q.push_str("\\r"),
            c if (c as u32) < 0x20 => {
                let _ = write!(q, "\\u{:04x}", c as u32);
            }
            c => q.push(c),
        }
    }
    q.push('"');
    q
}

fn is_plain_safe(s: &str) -> bool {
    const RESERVED: &[&str] = &[
        "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~",
    ];
    let Some(first) = s.chars().next() else {
        return false;
    };
    first.is_ascii_alphabetic()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '_' | '-' | '.' | '/' | ':' | '@' | '(' | ')' | ',')
        })
        && !s.contains(": ")
        && !s.ends_with(':')
        && !RESERVED.contains(&s.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ambiguous_scalars_are_quoted_and_plain_words_are_not() {
        let v = json!({
            "AWSTemplateFormatVersion": "2010-09-09",
            "a": "ON", "b": "yes", "c": "123", "d": "", "e": "AWS::SNS::Topic", "f": "x: y",
            "g": "line\nbreak", "h": 5, "i": true, "j": [], "k": {}, "l": "*"
        });
        assert_eq!(
            to_yaml(&v),
            "AWSTemplateFormatVersion: \"2010-09-09\"\na: \"ON\"\nb: \"yes\"\nc: \"123\"\nd: \"\"\ne: AWS::SNS::Topic\n\
             f: \"x: y\"\ng: \"line\\nbreak\"\nh: 5\ni: true\nj: []\nk: {}\nl: \"*\"\n"
        );
    }

    #[test]
    fn nested_maps_and_lists_use_block_style() {
        let v =
            json!({"R": {"Tags": [{"Key": "app", "Value": "x"}, "s"], "Fn::GetAtt": ["A", "B"]}});
        assert_eq!(
            to_yaml(&v),
            "R:\n  Tags:\n    - Key: app\n      Value: x\n    - s\n  Fn::GetAtt:\n    - A\n    - B\n"
        );
    }
}
