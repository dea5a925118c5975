//! IAM statements as data access in words: what a principal does to the resources a
//! statement names (`reads secret`, `decrypts`, `sends`).

use stackforge_construct_model::Expr;

/// One `Allow` statement: its actions and its `Resource` value.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Statement<'a> {
    /// The actions (`sqs:SendMessage`), literal ones only.
    pub actions: Vec<&'a str>,
    /// The `Resource` value.
    pub resource: &'a Expr,
}

/// The `Allow` statements of a policy document (`Deny`, `NotAction` and `NotResource`
/// statements grant nothing to draw).
pub(super) fn statements(document: &Expr) -> Vec<Statement<'_>> {
    let Expr::Map(doc) = document else {
        return Vec::new();
    };
    let list: Vec<&Expr> = match doc.get("Statement") {
        Some(Expr::List(items)) => items.iter().collect(),
        Some(one @ Expr::Map(_)) => vec![one],
        _ => Vec::new(),
    };
    list.into_iter()
        .filter_map(|s| {
            let Expr::Map(s) = s else { return None };
            if s.get("Effect").and_then(Expr::as_str) != Some("Allow") {
                return None;
            }
            let actions = match s.get("Action")? {
                Expr::String(a) => vec![a.as_str()],
                Expr::List(items) => items.iter().filter_map(Expr::as_str).collect(),
                _ => Vec::new(),
            };
            Some(Statement {
                actions,
                resource: s.get("Resource")?,
            })
        })
        .collect()
}

/// Words for what `actions` do, in a fixed order, each once (`reads secret`, `decrypts`).
pub(super) fn verbs(actions: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for a in actions {
        let (service, action) = a.split_once(':').unwrap_or(("", a));
        let verb = verb(service, action)
            .map(str::to_owned)
            .unwrap_or_else(|| format!("{service} access"));
        if !out.contains(&verb) {
            out.push(verb);
        }
    }
    out
}

/// The word for one action, when it has one.
fn verb(service: &str, action: &str) -> Option<&'static str> {
    let reads =
        |a: &str| a.starts_with("Get") || a.starts_with("Describe") || a.starts_with("List");
    Some(match (service, action) {
        ("secretsmanager", a) if reads(a) => "reads secret",
        ("ssm", a) if reads(a) => "reads parameters",
        ("kms", "Decrypt") => "decrypts",
        ("kms", a) if a.starts_with("Encrypt") || a.starts_with("GenerateDataKey") => "encrypts",
        ("kms", a) if a.starts_with("ReEncrypt") || reads(a) => "uses key",
        ("logs", _) => "writes logs",
        ("sqs", "SendMessage" | "SendMessageBatch") => "sends",
        (
            "sqs",
            "ReceiveMessage"
            | "DeleteMessage"
            | "DeleteMessageBatch"
            | "ChangeMessageVisibility"
            | "ChangeMessageVisibilityBatch",
        ) => "consumes",
        ("sqs", a) if reads(a) => "reads queue attributes",
        ("sns", "Publish") => "publishes",
        ("rds-db", "connect") => "connects (IAM auth)",
        ("ecr", "BatchGetImage" | "GetDownloadUrlForLayer" | "BatchCheckLayerAvailability") => {
            "pulls images"
        }
        ("ecr", a) if a.starts_with("Put") || a.contains("Upload") => "pushes images",
        ("s3", a) if reads(a) => "reads objects",
        ("s3", a) if a.starts_with("Put") || a.starts_with("Delete") => "writes objects",
        ("dynamodb", a) if reads(a) || a == "Query" || a == "Scan" => "reads items",
        ("dynamodb", _) => "writes items",
        ("cloudwatch", "PutMetricData") => "writes metrics",
        ("events", "PutEvents") => "sends events",
        ("lambda", "InvokeFunction") => "invokes",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn actions_read_as_words() {
        let cases: [(&[&str], &[&str]); 6] = [
            (&["secretsmanager:GetSecretValue"], &["reads secret"]),
            (
                &[
                    "sqs:ReceiveMessage",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                ],
                &["consumes", "reads queue attributes"],
            ),
            (
                &["kms:Decrypt", "kms:GenerateDataKey*"],
                &["decrypts", "encrypts"],
            ),
            (
                &["logs:CreateLogStream", "logs:PutLogEvents"],
                &["writes logs"],
            ),
            (&["rds-db:connect"], &["connects (IAM auth)"]),
            (&["xray:PutTraceSegments"], &["xray access"]),
        ];
        for (actions, want) in cases {
            assert_eq!(verbs(actions), want, "{actions:?}");
        }
    }

    #[test]
    fn only_allow_statements_with_actions_and_resources_count() {
        let doc = Expr::from_json(&json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": {"Ref": "Q"}},
            {"Effect": "Deny", "Action": "sqs:*", "Resource": "*"},
            {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"},
            {"Effect": "Allow", "Action": ["s3:GetObject", {"Ref": "P"}], "Resource": "arn:aws:s3:::b/*"}
        ]}))
        .unwrap();
        let s = statements(&doc);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].actions, ["sqs:SendMessage"]);
        assert_eq!(s[1].actions, ["s3:GetObject"]);
        assert_eq!(s[1].resource, &Expr::str("arn:aws:s3:::b/*"));
    }
}
