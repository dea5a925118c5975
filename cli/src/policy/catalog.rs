//! The built-in rules: the Guard files embedded in the binary and the table of rule ids with
//! their file, severity, whether they can be suppressed, and what they require.

use std::collections::{HashMap, HashSet};

/// Where a rule file is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvalScope {
    /// On each template alone (with cross-stack references of its environment resolved).
    Template,
    /// Once on all templates of an environment together (a folder with a manifest, or a
    /// single file for `check PATH`).
    Environment,
}

/// A built-in Guard rule file.
#[derive(Debug)]
pub struct BuiltinFile {
    /// File name under `rules/`.
    pub name: &'static str,
    /// The Guard source.
    pub source: &'static str,
    /// Where it is evaluated.
    pub scope: EvalScope,
}

/// The built-in rule files, in evaluation order.
pub static BUILTIN_FILES: &[BuiltinFile] = &[
    file("rds.guard", include_str!("../../../rules/rds.guard")),
    file(
        "secrets.guard",
        include_str!("../../../rules/secrets.guard"),
    ),
    file("ecr.guard", include_str!("../../../rules/ecr.guard")),
    file("ecs.guard", include_str!("../../../rules/ecs.guard")),
    file(
        "network.guard",
        include_str!("../../../rules/network.guard"),
    ),
    file("alb.guard", include_str!("../../../rules/alb.guard")),
    file("sqs.guard", include_str!("../../../rules/sqs.guard")),
    file("waf.guard", include_str!("../../../rules/waf.guard")),
    file("iam.guard", include_str!("../../../rules/iam.guard")),
    file(
        "cloudtrail.guard",
        include_str!("../../../rules/cloudtrail.guard"),
    ),
    file("s3.guard", include_str!("../../../rules/s3.guard")),
    file(
        "logging.guard",
        include_str!("../../../rules/logging.guard"),
    ),
    file("kms.guard", include_str!("../../../rules/kms.guard")),
    BuiltinFile {
        name: "backup.guard",
        source: include_str!("../../../rules/backup.guard"),
        scope: EvalScope::Environment,
    },
];

const fn file(name: &'static str, source: &'static str) -> BuiltinFile {
    BuiltinFile {
        name,
        source,
        scope: EvalScope::Template,
    }
}

pub use stackforge_construct_model::rules::{rule_info, RuleInfo, Severity, RULES};

/// The names of the rules a Guard file declares (`rule NAME`), in order, without duplicates.
/// A light scan, good enough to attribute a reported rule name to its file.
pub fn declared_rules(source: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for line in source.lines() {
        let Some(rest) = line.trim_start().strip_prefix("rule") else {
            continue;
        };
        if !rest.starts_with(char::is_whitespace) {
            continue;
        }
        let name: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The resource types a Guard file can see, when every query of `Resources` in it starts
/// with a type filter (`Resources.*[ Type == 'T'` or `Type in ['T', ...]`, not or-ed with
/// anything): resources of other types cannot affect it, so they need not be evaluated.
/// None when the file reads `Resources` any other way.
pub fn resource_types(source: &str) -> Option<HashSet<String>> {
    let code = code_of(source);
    let mut types = HashSet::new();
    for (i, _) in code.match_indices("Resources") {
        let before = code[..i].chars().next_back();
        // `Properties.X.Resources`, `%Resources`, `"...Resources"`: not the template root.
        if before.is_some_and(|c| c.is_alphanumeric() || "_.%'\"".contains(c)) {
            continue;
        }
        let rest = code[i + "Resources".len()..].strip_prefix(".*[")?;
        let rest = rest.trim_start().strip_prefix("Type")?.trim_start();
        let rest = if let Some(rhs) = rest.strip_prefix("==") {
            let (t, rest) = quoted(rhs.trim_start())?;
            types.insert(t.to_owned());
            rest
        } else {
            let rhs = rest
                .strip_prefix("in")
                .or_else(|| rest.strip_prefix("IN"))?
                .trim_start()
                .strip_prefix('[')?;
            let mut rhs = rhs.trim_start();
            loop {
                let (t, after) = quoted(rhs)?;
                types.insert(t.to_owned());
                let after = after.trim_start();
                if let Some(after) = after.strip_prefix(',') {
                    rhs = after.trim_start();
                } else {
                    break after.strip_prefix(']')?;
                }
            }
        };
        let next = rest.trim_start_matches([' ', '\t']);
        if next.starts_with("or") || next.starts_with("OR") || next.starts_with('|') {
            return None;
        }
    }
    (!types.is_empty()).then_some(types)
}

/// The Guard code of a rule file: comment lines and custom messages (`<< >>`, free text)
/// blanked out.
fn code_of(source: &str) -> String {
    let code: Vec<&str> = source
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect();
    let mut code = code.join("\n");
    while let Some(start) = code.find("<<") {
        let end = code[start..]
            .find(">>")
            .map_or(code.len(), |e| start + e + 2);
        code.replace_range(start..end, " ");
    }
    code
}

/// What a rule file can read of a resource, found by a conservative scan of its code. The
/// built-in template files are evaluated on each resource projected to this, so resources
/// that differ in nothing a file reads are evaluated once.
///
/// Names count with every spelling cfn-guard also tries when a key is missing (its seven
/// case conversions: `KmsKeyId` also finds `kms_key_id`, `Policies` also `Policy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reads {
    /// Resource attributes named in the code (`Type` always), each with the keys below it
    /// that the code names (`Properties.Name`, `Metadata.guard`); None: all of them, because
    /// the code reads the attribute another way (`Properties exists`, `Properties.*`,
    /// `Properties[...]`).
    pub attributes: HashMap<String, Option<HashSet<String>>>,
    /// Whether the code names `LogicalId` (of the `References` annotation).
    pub logical_ids: bool,
    /// When the code reads `Metadata.guard` (suppressions, which stackforge removes and
    /// applies itself): the spellings of `Metadata` and of `guard`. See
    /// [`NO_SUPPRESSION`].
    pub suppressions: Option<(HashSet<String>, HashSet<String>)>,
}

/// What a projected resource carries as `Metadata.guard` when it has none: no rule id
/// matches it, so rules skip no resource, as without `Metadata.guard`; but cfn-guard finds
/// the key, and a key it does not find costs it seven case conversions of the name, each
/// running dozens of regular expressions (about 100 times the lookup).
pub const NO_SUPPRESSION: &str = "";

/// The resource attributes a [`Reads`] scan knows; the annotations stackforge adds count.
const RESOURCE_ATTRIBUTES: [&str; 12] = [
    "Type",
    "Properties",
    "Metadata",
    "DependsOn",
    "Condition",
    "DeletionPolicy",
    "UpdateReplacePolicy",
    "CreationPolicy",
    "UpdatePolicy",
    "References",
    "ReferencedBy",
    "Unresolved",
];

/// Attributes whose keys are projected to the ones the code names.
const PROJECTED: [&str; 2] = ["Properties", "Metadata"];

/// `name` and the spellings cfn-guard tries for it when a map has no key `name`
/// (`CONVERTERS` in its `eval_context`).
pub fn spellings(name: &str) -> impl Iterator<Item = String> + use<'_> {
    use cruet::case::{camel, class, kebab, pascal, snake, title, train};
    let converters: [fn(&str) -> String; 7] = [
        camel::to_camel_case,
        class::to_class_case,
        kebab::to_kebab_case,
        pascal::to_pascal_case,
        snake::to_snake_case,
        title::to_title_case,
        train::to_train_case,
    ];
    std::iter::once(name.to_owned()).chain(converters.into_iter().map(move |c| c(name)))
}

/// What `source` reads of a resource (see [`Reads`]). Meaningful for files whose rules read
/// one resource at a time through type-filtered queries (the built-in template files).
pub fn reads(source: &str) -> Reads {
    let code = code_of(source);
    let words = words(&code);
    let mut attributes: HashMap<String, Option<HashSet<String>>> = HashMap::new();
    for attribute in RESOURCE_ATTRIBUTES {
        let at: Vec<usize> = words
            .iter()
            .filter(|(_, w)| *w == attribute)
            .map(|(i, _)| *i)
            .collect();
        if at.is_empty() && attribute != "Type" {
            continue;
        }
        let mut keys = PROJECTED.contains(&attribute).then(HashSet::new);
        for i in at {
            let rest = &code[i + attribute.len()..];
            match (member(rest), keys.as_mut()) {
                (Some(k), Some(set)) => set.extend(spellings(&k)),
                _ => keys = None,
            }
        }
        for spelling in spellings(attribute) {
            attributes.insert(spelling, keys.clone());
        }
    }
    let reads_guard =
        matches!(attributes.get("Metadata"), Some(Some(keys)) if keys.contains("guard"));
    Reads {
        attributes,
        logical_ids: words.iter().any(|(_, w)| *w == "LogicalId"),
        suppressions: reads_guard.then(|| {
            (
                spellings("Metadata").collect(),
                spellings("guard").collect(),
            )
        }),
    }
}

/// The key of a leading member access: `.Name` or `.'name'`.
fn member(rest: &str) -> Option<String> {
    let r = rest.strip_prefix('.')?;
    if let Some((q, _)) = quoted(r) {
        return Some(q.to_owned());
    }
    let n: String = r
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!n.is_empty()).then_some(n)
}

/// The identifiers of `code` (runs of alphanumerics and `_` not inside quotes), with their
/// byte offsets.
fn words(code: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let mut start: Option<usize> = None;
    let mut escaped = false;
    for (i, c) in code.char_indices() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        let word = c.is_ascii_alphanumeric() || c == '_';
        match (word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, &code[s..i]));
                start = None;
            }
            _ => {}
        }
        if c == '\'' || c == '"' {
            quote = Some(c);
        } else if c == '/' && start.is_none() && code[..i].trim_end().ends_with(['=', '[', ',']) {
            // A regex literal (`== /.../`): free text, like a quoted string.
            quote = Some('/');
        }
    }
    if let Some(s) = start {
        out.push((s, &code[s..]));
    }
    out
}

/// A leading quoted string and what follows it.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let quote = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let end = s[1..].find(quote)? + 1;
    Some((&s[1..end], &s[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_and_the_guard_files_declare_the_same_rules() {
        let mut declared = Vec::new();
        for f in BUILTIN_FILES {
            for name in declared_rules(f.source) {
                let info = rule_info(&name)
                    .unwrap_or_else(|| panic!("{} declares {name}, missing from RULES", f.name));
                assert_eq!(info.file, f.name, "{name} is declared in {}", f.name);
                declared.push(name);
            }
        }
        for r in RULES {
            assert!(declared.iter().any(|d| d == r.id), "{} is in no file", r.id);
        }
    }

    #[test]
    fn rule_ids_are_upper_snake_case_and_unique() {
        for (i, r) in RULES.iter().enumerate() {
            assert!(r
                .id
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'));
            assert!(RULES[..i].iter().all(|o| o.id != r.id), "{} twice", r.id);
        }
    }

    #[test]
    fn suppressible_rules_carry_the_suppression_filter_and_the_others_do_not() {
        for r in RULES {
            let file = BUILTIN_FILES.iter().find(|f| f.name == r.file).unwrap();
            let filter = format!("Metadata.guard.SuppressedRules.* != \"{}\"", r.id);
            assert_eq!(
                file.source.contains(&filter),
                r.suppressible,
                "{}: suppression filter present = {}",
                r.id,
                !r.suppressible
            );
        }
    }

    #[test]
    fn the_rules_readme_lists_every_rule() {
        let readme = include_str!("../../../rules/README.md");
        for r in RULES {
            let row = format!(
                "| `{}` | {} | {} | {} |",
                r.id,
                r.file,
                r.severity.as_str(),
                if r.suppressible { "yes" } else { "no" }
            );
            assert!(readme.contains(&row), "rules/README.md lacks {row}");
        }
    }

    #[test]
    fn every_builtin_file_is_reduced_to_the_types_it_names() {
        for f in BUILTIN_FILES {
            let types = resource_types(f.source).unwrap_or_else(|| panic!("{}", f.name));
            assert!(
                types.iter().all(|t| t.starts_with("AWS::")),
                "{}: {types:?}",
                f.name
            );
        }
        let rds = resource_types(BUILTIN_FILES[0].source).unwrap();
        let mut rds: Vec<&str> = rds.iter().map(String::as_str).collect();
        rds.sort();
        assert_eq!(
            rds,
            vec!["AWS::RDS::DBInstance", "AWS::RDS::DBParameterGroup"]
        );
    }

    #[test]
    fn resource_types_needs_a_type_filter_on_every_query() {
        let scoped = "let a = Resources.*[ Type == 'AWS::S3::Bucket' ] <<see Resources>>\nlet b = Resources.*[\n  Type in [\"AWS::SNS::Topic\", 'AWS::SQS::Queue']\n  Properties exists\n]\n# Resources.%x\nrule R { %a.Properties.BackupSelection.Resources exists }";
        let types = resource_types(scoped).unwrap();
        assert_eq!(types.len(), 3);
        for unscoped in [
            "rule R { Resources.*.Type exists }",
            "let x = Resources.%names",
            "let x = Resources.*[ Type != 'AWS::S3::Bucket' ]",
            "let x = Resources.*[ Type == 'AWS::S3::Bucket' or Properties.Public == true ]",
            "let x = Resources.*[ Type == /Bucket/ ]",
            "let x = Resources[ keys == /A/ ]",
            "rule R { Parameters exists }",
        ] {
            assert_eq!(resource_types(unscoped), None, "{unscoped}");
        }
    }

    #[test]
    fn declared_rules_reads_rule_names() {
        let src =
            "# rule NOPE\nrule A_B when %x !empty {\n}\n  rule C {\n}\nruler D {}\nrule A_B {}";
        assert_eq!(declared_rules(src), vec!["A_B", "C"]);
    }
}
