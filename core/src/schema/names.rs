//! What a resource type name stands for: a type of the index, a custom resource, a type that
//! only exists before a transform, a registry extension, or a mistake (with the nearest names).

use super::index::{type_info, type_names, TypeInfo};

/// What [`classify`] found a type name to be.
#[derive(Debug, Clone, Copy)]
pub enum TypeName {
    /// A type of the index.
    Known(&'static TypeInfo),
    /// `Custom::*` (a custom resource; any properties and attributes).
    Custom,
    /// `AWS::Serverless::*`: exists only before the `AWS::Serverless-2016-10-31` transform,
    /// which stackforge does not run.
    Transform,
    /// Outside the namespaces of the index (`MyOrg::Thing::Widget`, `*::MODULE`): a registry
    /// extension the index cannot know.
    Extension,
    /// Not a type: misspelt, or not a type name at all.
    Unknown {
        /// The closest names of the index (best first, at most three).
        suggestions: [Option<&'static str>; 3],
    },
}

/// Classifies `type_name`.
pub fn classify(type_name: &str) -> TypeName {
    if let Some(info) = type_info(type_name) {
        return TypeName::Known(info);
    }
    let parts: Vec<&str> = type_name.split("::").collect();
    let well_formed = (3..=4).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '@'))
        });
    match parts.as_slice() {
        ["Custom", name] if !name.is_empty() && !name.contains(char::is_whitespace) => {
            return TypeName::Custom
        }
        ["AWS", "Serverless", _] => return TypeName::Transform,
        [namespace, ..]
            if well_formed
                && (parts.len() == 3 || parts[3] == "MODULE")
                && !is_aws_namespace(namespace) =>
        {
            return TypeName::Extension
        }
        _ => {}
    }
    TypeName::Unknown {
        suggestions: nearest(type_name),
    }
}

/// Whether the index has types in `namespace` (`AWS`, `Alexa`, `AMZN`); case-insensitive,
/// so `aws::s3::bucket` counts as a misspelt AWS type.
fn is_aws_namespace(namespace: &str) -> bool {
    type_names().any(|t| {
        t.split("::")
            .next()
            .is_some_and(|n| n.eq_ignore_ascii_case(namespace))
    })
}

/// A name reduced to what a person would type: lower case, words only, without the `aws`
/// namespace (`AWS::SNS::Topic` and `sns topic` both give `sns topic`).
fn normalize(name: &str) -> String {
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let words = match words.first().map(String::as_str) {
        Some("aws") => &words[1..],
        _ => &words[..],
    };
    words.join(" ")
}

/// The three names of the index closest to `name` (by edit distance of the normalized names),
/// if close enough to be a likely mistake.
fn nearest(name: &str) -> [Option<&'static str>; 3] {
    let wanted = normalize(name);
    let limit = (wanted.chars().count() / 3).max(2);
    let mut scored: Vec<(usize, &'static str)> = type_names()
        .map(|t| (super::validate::distance(&wanted, &normalize(t)), t))
        .filter(|(d, _)| *d <= limit)
        .collect();
    scored.sort();
    let mut out = [None; 3];
    for (slot, (_, t)) in out.iter_mut().zip(scored) {
        *slot = Some(t);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn suggestions(name: &str) -> Vec<&'static str> {
        match classify(name) {
            TypeName::Unknown { suggestions } => suggestions.into_iter().flatten().collect(),
            other => panic!("{name} is {other:?}"),
        }
    }

    #[test]
    fn type_names_are_classified() {
        assert!(
            matches!(classify("AWS::SNS::Topic"), TypeName::Known(i) if i.type_name == "AWS::SNS::Topic")
        );
        assert!(matches!(
            classify("AWS::CloudFormation::CustomResource"),
            TypeName::Known(_)
        ));
        assert!(matches!(classify("Alexa::ASK::Skill"), TypeName::Known(_)));
        assert!(matches!(classify("Custom::OrderSeeder"), TypeName::Custom));
        assert!(matches!(
            classify("AWS::Serverless::Function"),
            TypeName::Transform
        ));
        assert!(matches!(
            classify("MyOrg::Thing::Widget"),
            TypeName::Extension
        ));
        assert!(matches!(
            classify("MyOrg::Thing::Widget::MODULE"),
            TypeName::Extension
        ));
        for bad in [
            "sns topic",
            "AWS::SNS::Topik",
            "aws::sns::topic",
            "Custom::",
            "",
            "MyOrg::Thing",
        ] {
            assert!(matches!(classify(bad), TypeName::Unknown { .. }), "{bad}");
        }
    }

    #[test]
    fn unknown_names_suggest_the_nearest_types() {
        assert_eq!(suggestions("sns topic")[0], "AWS::SNS::Topic");
        assert_eq!(suggestions("AWS::SNS::Topik")[0], "AWS::SNS::Topic");
        assert_eq!(suggestions("AWS::Sns::Topic")[0], "AWS::SNS::Topic");
        assert_eq!(suggestions("AWS::SQS::Queu")[0], "AWS::SQS::Queue");
        assert!(suggestions("completely unrelated words here").is_empty());
    }
}
