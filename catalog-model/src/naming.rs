//! Rust names and doc text derived from schema names and descriptions.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Keywords that cannot be raw identifiers, so they get a trailing underscore instead.
const NOT_RAW: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Strict and reserved keywords of Rust 2021 (plus `gen`, reserved from 2024 on).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// `EnableIAMDatabaseAuthentication` -> `enable_iam_database_authentication`, escaped if it
/// is a keyword (`r#type`).
pub fn snake(name: &str) -> String {
    escape(&name.to_snake_case())
}

/// Makes an identifier usable: raw for keywords, a trailing `_` where raw is not allowed.
pub fn escape(ident: &str) -> String {
    if NOT_RAW.contains(&ident) {
        format!("{ident}_")
    } else if KEYWORDS.contains(&ident) {
        format!("r#{ident}")
    } else {
        ident.to_owned()
    }
}

/// `DBInstance` -> `DbInstance`, `WebACL` -> `WebAcl`, `iso8601UTC` -> `Iso8601Utc`.
pub fn camel(name: &str) -> String {
    name.to_upper_camel_case()
}

/// The name of one item of a list property: `Permissions` -> `Permission`,
/// `RequiresCompatibilities` -> `RequiresCompatibility`, `EncryptionType` -> `EncryptionTypeItem`.
pub fn singular(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("ies") {
        format!("{stem}y")
    } else if name.ends_with('s') && !name.ends_with("ss") {
        name[..name.len() - 1].to_owned()
    } else {
        format!("{name}Item")
    }
}

/// An enum variant for a schema value: `TLS-1-2` -> `Tls1_2` (digits on both sides of a
/// separator keep an underscore so `1-2` and `12` stay distinct), `2xx` -> `V2xx`.
pub fn variant(value: &str) -> String {
    let mut out = String::new();
    for chunk in value.split(|c: char| !c.is_ascii_alphanumeric()) {
        let word = chunk.to_upper_camel_case();
        if word.is_empty() {
            continue;
        }
        let digit_join = out.ends_with(|c: char| c.is_ascii_digit())
            && word.starts_with(|c: char| c.is_ascii_digit());
        if digit_join {
            out.push('_');
        }
        out.push_str(&word);
    }
    if out.is_empty() {
        "Empty".to_owned()
    } else if out == "Self" {
        "Self_".to_owned()
    } else if out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{out}")
    } else {
        out
    }
}

/// Words whose trailing period does not end a sentence.
const ABBREVIATIONS: &[&str] = &["e.g", "i.e", "etc", "vs", "approx", "Inc", "No", "U.S"];

/// The first sentence of a schema description as one line of rustdoc-safe markdown, or
/// `None` when the description is empty.
pub fn first_sentence(description: &str) -> Option<String> {
    let text = description.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = unlink(&strip_html(&text));
    let sentence = cut_sentence(&text).trim();
    if sentence.is_empty() {
        return None;
    }
    let mut doc = sanitize(sentence);
    if !doc.ends_with(['.', '!', '?']) {
        if doc.ends_with([':', ';', ',']) {
            doc.pop();
        }
        doc.push('.');
    }
    Some(doc)
}

/// The text up to and including the first sentence-ending period outside code spans.
fn cut_sentence(text: &str) -> &str {
    let bytes = text.as_bytes();
    let mut in_code = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'`' => in_code = !in_code,
            b'.' if !in_code && bytes.get(i + 1).is_none_or(|&n| n == b' ') => {
                let word_start = text[..i].rfind(' ').map_or(0, |s| s + 1);
                if !ABBREVIATIONS.contains(&&text[word_start..i]) {
                    return &text[..=i];
                }
            }
            _ => {}
        }
    }
    text
}

/// HTML elements some descriptions use; their tags are dropped (`code` becomes a code span).
const HTML_TAGS: &[&str] = &[
    "a",
    "b",
    "br",
    "code",
    "div",
    "em",
    "i",
    "important",
    "li",
    "note",
    "ol",
    "p",
    "pre",
    "span",
    "strong",
    "ul",
];

/// Removes the tags of [`HTML_TAGS`] (`<p>`, `<a href="..">`, `</a>`), keeping their text.
fn strip_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let tag = &rest[open + 1..];
        let close = tag.find('>');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        match close {
            Some(end) if HTML_TAGS.contains(&name.to_ascii_lowercase().as_str()) => {
                if name.eq_ignore_ascii_case("code") {
                    out.push('`');
                }
                rest = &tag[end + 1..];
            }
            _ => {
                out.push('<');
                rest = tag;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Replaces markdown links `[text](url)` by their text.
fn unlink(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        let Some(mid) = rest[open..].find("](").map(|m| open + m) else {
            break;
        };
        let Some(close) = rest[mid..].find(')').map(|c| mid + c) else {
            break;
        };
        if rest[open + 1..mid].contains('[') {
            out.push_str(&rest[..=open]);
            rest = &rest[open + 1..];
            continue;
        }
        out.push_str(&rest[..open]);
        out.push_str(&rest[open + 1..mid]);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Escapes what rustdoc would read as links or HTML, and turns bare URLs into autolinks.
/// Code spans are kept as they are; an unbalanced backtick is dropped so it cannot swallow
/// the rest of the line.
pub fn sanitize(text: &str) -> String {
    let owned;
    let text = if text.matches('`').count() % 2 == 1 {
        owned = text.replace('`', "");
        &owned
    } else {
        text
    };
    let mut out = String::with_capacity(text.len() + 8);
    let mut in_code = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if !in_code && (rest.starts_with("https://") || rest.starts_with("http://")) {
            let end = rest
                .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | '<' | '>'))
                .unwrap_or(rest.len());
            let url = rest[..end].trim_end_matches(['.', ',', ';', ':', ')']);
            out.push('<');
            out.push_str(url);
            out.push('>');
            rest = &rest[url.len()..];
            continue;
        }
        match c {
            '`' => in_code = !in_code,
            '[' | ']' | '<' | '>' | '\\' if !in_code => out.push('\\'),
            _ => {}
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_handles_acronyms_digits_and_keywords() {
        assert_eq!(snake("CidrBlock"), "cidr_block");
        assert_eq!(
            snake("EnableIAMDatabaseAuthentication"),
            "enable_iam_database_authentication"
        );
        assert_eq!(snake("Ipv6CidrBlocks"), "ipv6_cidr_blocks");
        assert_eq!(snake("KMSKeyId"), "kms_key_id");
        assert_eq!(snake("Type"), "r#type");
        assert_eq!(snake("Match"), "r#match");
        assert_eq!(snake("Self"), "self_");
    }

    #[test]
    fn camel_case_handles_acronyms() {
        assert_eq!(camel("VPC"), "Vpc");
        assert_eq!(camel("DBInstance"), "DbInstance");
        assert_eq!(camel("WebACL"), "WebAcl");
        assert_eq!(camel("VPCGatewayAttachment"), "VpcGatewayAttachment");
        assert_eq!(camel("iso8601UTC"), "Iso8601Utc");
    }

    #[test]
    fn list_items_are_named_in_the_singular() {
        assert_eq!(singular("Permissions"), "Permission");
        assert_eq!(singular("RequiresCompatibilities"), "RequiresCompatibility");
        assert_eq!(singular("Address"), "AddressItem");
        assert_eq!(singular("EncryptionType"), "EncryptionTypeItem");
    }

    #[test]
    fn variants_are_valid_and_distinct() {
        assert_eq!(variant("dedicated"), "Dedicated");
        assert_eq!(variant("HTTPS"), "Https");
        assert_eq!(variant("host-header-rewrite"), "HostHeaderRewrite");
        assert_eq!(variant("TLS-1-2"), "Tls1_2");
        assert_eq!(variant("TLS-12"), "Tls12");
        assert_eq!(variant("2xx"), "V2xx");
        assert_eq!(variant("*"), "Empty");
        assert_eq!(variant("SELF"), "Self_");
    }

    #[test]
    fn first_sentence_is_cut_unlinked_and_escaped() {
        assert_eq!(
            first_sentence("The tags for the VPC.\n More text.").as_deref(),
            Some("The tags for the VPC.")
        );
        assert_eq!(
            first_sentence("Use a name, e.g. ``x.y``. Then more.").as_deref(),
            Some("Use a name, e.g. ``x.y``.")
        );
        assert_eq!(
            first_sentence("See [IPAM](https://docs.aws.amazon.com/x.html) for <details>.")
                .as_deref(),
            Some("See IPAM for \\<details\\>.")
        );
        assert_eq!(
            first_sentence("Go to https://example.com/a.b. Then.").as_deref(),
            Some("Go to <https://example.com/a.b>.")
        );
        assert_eq!(
            first_sentence("Values: `[a]` or [b]").as_deref(),
            Some("Values: `[a]` or \\[b\\].")
        );
        assert_eq!(first_sentence("  "), None);
        assert_eq!(
            first_sentence("<p>The <a href=\"https://x.example/a.html\">SecretString</a> key, <code>k</code>.</p>")
                .as_deref(),
            Some("The SecretString key, `k`.")
        );
        assert_eq!(
            first_sentence("Use 1<5 and x > y.").as_deref(),
            Some("Use 1\\<5 and x \\> y.")
        );
        assert_eq!(
            first_sentence("See https://x.example/a\"b for more.").as_deref(),
            Some("See <https://x.example/a>\"b for more.")
        );
    }
}
