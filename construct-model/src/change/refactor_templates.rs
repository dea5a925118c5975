//! Building the templates a stack refactor is created with: the deployed templates of the
//! stacks it touches, with the mapped resources relocated and every reference to them
//! rewritten — same-stack references renamed, references the move splits across stacks turned
//! into imports of the exports the new templates declare, imports of a stack's own export
//! turned back into the local value. Nothing else changes, as stack refactoring requires.

use std::collections::HashMap;

use indexmap::IndexMap;

use super::refactor::{RefactorPlan, RefactorProblem, ResourceMapping};
use super::{EnvTemplates, Location};
use crate::expr::{Expr, Reference};
use crate::template::{Output, Template};

type Problems = Vec<RefactorProblem>;

/// The most stacks one stack refactor may touch (AWS CLI; the console allows fewer).
const MAX_STACKS: usize = 5;

pub(super) fn build(
    deployed: &EnvTemplates,
    target: &EnvTemplates,
    mappings: &[ResourceMapping],
) -> Result<RefactorPlan, Problems> {
    let mut problems = Vec::new();
    let moved: HashMap<&Location, &Location> = mappings
        .iter()
        .map(|m| (&m.source, &m.destination))
        .collect();
    let mut involved: Vec<String> = Vec::new();
    for m in mappings {
        for s in [&m.source.stack, &m.destination.stack] {
            if !involved.contains(s) {
                involved.push(s.clone());
            }
        }
        super::refactor::check_mapping(deployed, m, mappings, &mut problems);
    }
    if involved.len() > MAX_STACKS {
        problems.push(RefactorProblem {
            mapping: None,
            problem: format!(
                "the refactor touches {} stacks ({}), and one stack refactor moves resources between at most {MAX_STACKS}",
                involved.len(),
                involved.join(", ")
            ),
            fix: "declare and deploy the moves in several steps, each touching at most 5 stacks".to_owned(),
        });
    }
    if !problems.is_empty() {
        return Err(problems);
    }

    let ctx = Ctx {
        deployed,
        target,
        moved: &moved,
    };
    let mut work: IndexMap<String, Template> = involved
        .iter()
        .map(|s| {
            let mut t = deployed.get(s).cloned().unwrap_or_default();
            t.resources.clear();
            (s.clone(), t)
        })
        .collect();
    let mut added_outputs: Vec<(String, String, Output)> = Vec::new();
    // Every resource of a touched stack, in its new home, in deployed order.
    for stack in &involved {
        let Some(t) = deployed.get(stack) else {
            continue;
        };
        for (id, r) in &t.resources {
            let here = Location::new(stack, id);
            let home = moved.get(&here).map_or(here.clone(), |d| (*d).clone());
            let mut r = r.clone();
            let mut rw = Rewriter {
                ctx: &ctx,
                from_stack: stack,
                home: &home.stack,
                consumer: &here,
                problems: &mut problems,
                outputs: &mut added_outputs,
            };
            for v in r.properties.values_mut() {
                rw.expr(v);
            }
            for v in [
                r.creation_policy.as_deref_mut(),
                r.update_policy.as_deref_mut(),
            ]
            .into_iter()
            .flatten()
            {
                rw.expr(v);
            }
            r.depends_on = r
                .depends_on
                .iter()
                .filter_map(|d| {
                    let to = ctx.relocate(stack, d);
                    (to.stack == home.stack).then_some(to.logical_id)
                })
                .collect();
            if let Some(t) = work.get_mut(&home.stack) {
                t.resources.insert(home.logical_id.clone(), r);
            }
        }
    }
    // Outputs stay in their stack; one that now uses a resource moved away goes, unless
    // another stack imports it (an export cannot move with its resource).
    for stack in &involved {
        let Some(t) = deployed.get(stack) else {
            continue;
        };
        let mut kept = IndexMap::new();
        for (name, o) in &t.outputs {
            let mut o = o.clone();
            let here = Location::new(stack, name);
            let mut local_problems = Vec::new();
            let mut rw = Rewriter {
                ctx: &ctx,
                from_stack: stack,
                home: stack,
                consumer: &here,
                problems: &mut local_problems,
                outputs: &mut added_outputs,
            };
            rw.expr(&mut o.value);
            if local_problems.is_empty() {
                kept.insert(name.clone(), o);
                continue;
            }
            let export = o
                .export_name
                .as_ref()
                .and_then(Expr::as_str)
                .unwrap_or_default();
            let importers: Vec<&String> = deployed
                .iter()
                .filter(|(s, dt)| {
                    *s != stack && !export.is_empty() && dt.imports().contains(&export)
                })
                .map(|(s, _)| s)
                .collect();
            if !importers.is_empty() {
                problems.push(RefactorProblem {
                    mapping: None,
                    problem: format!(
                        "export `{export}` (output `{name}` of `{stack}`) uses a resource this refactor moves to another stack, and {} import it; an export cannot move between stacks",
                        join(&importers)
                    ),
                    fix: format!(
                        "first deploy with {} no longer importing `{export}` (or keep the resource in `{stack}`), then move it",
                        join(&importers)
                    ),
                });
            }
        }
        if let Some(w) = work.get_mut(stack) {
            w.outputs = kept;
        }
    }
    for (stack, name, output) in added_outputs {
        if let Some(w) = work.get_mut(&stack) {
            w.outputs.entry(name).or_insert(output);
        }
    }
    for stack in &involved {
        if work.get(stack).is_some_and(|t| t.resources.is_empty()) && deployed.contains_key(stack) {
            problems.push(RefactorProblem {
                mapping: None,
                problem: format!("the refactor would leave stack `{stack}` without resources, and CloudFormation does not support empty stacks"),
                fix: format!("add a resource to `{stack}` (deploy it) before moving everything out, or delete the stack after moving its resources one deploy at a time"),
            });
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let created = involved
        .iter()
        .filter(|s| !deployed.contains_key(*s))
        .cloned()
        .collect();
    Ok(RefactorPlan {
        mappings: mappings.to_vec(),
        templates: work,
        created,
    })
}

fn join(items: &[&String]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

struct Ctx<'a> {
    deployed: &'a EnvTemplates,
    target: &'a EnvTemplates,
    moved: &'a HashMap<&'a Location, &'a Location>,
}

impl Ctx<'_> {
    /// Where resource `id` of deployed stack `stack` is after the refactor.
    fn relocate(&self, stack: &str, id: &str) -> Location {
        let here = Location::new(stack, id);
        self.moved.get(&here).map_or(here, |d| (*d).clone())
    }

    fn is_resource(&self, stack: &str, id: &str) -> bool {
        self.deployed
            .get(stack)
            .is_some_and(|t| t.resources.contains_key(id))
    }

    /// The export of the new templates whose value is `Ref`/`GetAtt` of `at`, if any.
    fn export_of(&self, at: &Location, attribute: Option<&str>) -> Option<(String, Output)> {
        let want = match attribute {
            None => serde_json::json!({"Ref": at.logical_id}),
            Some(a) => serde_json::json!({"Fn::GetAtt": [at.logical_id, a]}),
        };
        let t = self.target.get(&at.stack)?;
        t.outputs.iter().find_map(|(name, o)| {
            o.export_name.as_ref()?.as_str()?;
            (serde_json::to_value(&o.value).ok()? == want).then(|| (name.clone(), o.clone()))
        })
    }

    /// The deployed output of stack `stack` exporting `name`.
    fn own_export(&self, stack: &str, name: &str) -> Option<&Output> {
        self.deployed
            .get(stack)?
            .outputs
            .values()
            .find(|o| o.export_name.as_ref().and_then(Expr::as_str) == Some(name))
    }

    fn producer(&self, name: &str) -> Option<&str> {
        self.deployed.iter().find_map(|(s, t)| {
            t.exports()
                .iter()
                .any(|e| e.name == Some(name))
                .then_some(s.as_str())
        })
    }
}

struct Rewriter<'c, 'p> {
    ctx: &'c Ctx<'c>,
    /// The stack the value is deployed in (its IDs are that stack's).
    from_stack: &'c str,
    /// The stack it lives in after the refactor.
    home: &'c str,
    consumer: &'c Location,
    problems: &'p mut Problems,
    outputs: &'p mut Vec<(String, String, Output)>,
}

impl Rewriter<'_, '_> {
    fn expr(&mut self, v: &mut Expr) {
        match v {
            Expr::Ref(r) => {
                if let Some(e) = self.reference(r.logical_id(), None) {
                    *v = e;
                }
            }
            Expr::GetAtt { target, attribute } => {
                let attribute = attribute.clone();
                if let Some(e) = self.reference(target.logical_id(), Some(&attribute)) {
                    *v = e;
                }
            }
            Expr::Sub { template, vars } => {
                let mut renames: HashMap<String, String> = HashMap::new();
                for name in crate::expr::sub_placeholders(template) {
                    let id = name.split('.').next().unwrap_or(name).trim();
                    if vars.contains_key(id) || !self.ctx.is_resource(self.from_stack, id) {
                        continue;
                    }
                    let to = self.ctx.relocate(self.from_stack, id);
                    if to.stack == self.home {
                        renames.insert(id.to_owned(), to.logical_id);
                    } else {
                        self.split(&to, "an `Fn::Sub` placeholder");
                    }
                }
                if !renames.is_empty() {
                    *template = super::rename::rename_placeholders(template, &renames).into();
                }
                for x in vars.values_mut() {
                    self.expr(x);
                }
            }
            Expr::ImportValue(name) => {
                let Some(n) = name.as_str().map(str::to_owned) else {
                    return;
                };
                // An import of the stack's own (new home's) export becomes the local value.
                if self.ctx.producer(&n) == Some(self.home) && self.home != self.from_stack {
                    if let Some(o) = self.ctx.own_export(self.home, &n) {
                        let mut local = o.value.clone();
                        let mut inner = Rewriter {
                            ctx: self.ctx,
                            from_stack: self.home,
                            home: self.home,
                            consumer: self.consumer,
                            problems: self.problems,
                            outputs: self.outputs,
                        };
                        inner.expr(&mut local);
                        *v = local;
                    }
                }
            }
            other => other.for_each_child_mut(|c| self.expr(c)),
        }
    }

    /// The expression replacing a reference to `id` of the deployed stack, if it changes.
    fn reference(&mut self, id: &str, attribute: Option<&str>) -> Option<Expr> {
        if !self.ctx.is_resource(self.from_stack, id) {
            return None; // a parameter: checked per mapping
        }
        let to = self.ctx.relocate(self.from_stack, id);
        if to.stack == self.home {
            let r = Reference::local(&to.logical_id);
            return Some(match attribute {
                None => Expr::Ref(r),
                Some(a) => Expr::GetAtt {
                    target: r,
                    attribute: a.into(),
                },
            });
        }
        match self.ctx.export_of(&to, attribute) {
            Some((output, decl)) => {
                let name = decl.export_name.as_ref().and_then(Expr::as_str)?.to_owned();
                self.outputs.push((to.stack.clone(), output, decl));
                Some(Expr::import_value(name))
            }
            None => {
                self.split(&to, "a reference");
                None
            }
        }
    }

    fn split(&mut self, to: &Location, what: &str) {
        self.problems.push(RefactorProblem {
            mapping: None,
            problem: format!(
                "after the refactor, `{}` (stack `{}`) uses `{}` (stack `{}`) through {what}, and the new templates export no such value for an import",
                self.consumer.logical_id, self.home, to.logical_id, to.stack
            ),
            fix: "move the resources that use each other together, or deploy the reference change first".to_owned(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document;
    use serde_json::{json, Value};

    fn t(v: Value) -> Template {
        document::from_json(&v).unwrap()
    }

    fn mapping(s: &str, id: &str, ds: &str, did: &str, ty: &str) -> ResourceMapping {
        ResourceMapping {
            source: Location::new(s, id),
            destination: Location::new(ds, did),
            type_name: ty.into(),
        }
    }

    #[test]
    fn a_rename_rewrites_refs_getatts_subs_and_depends_on() {
        let deployed: EnvTemplates = [(
            "audit".to_owned(),
            t(json!({"Resources": {
                "Bucket": {"Type": "AWS::S3::Bucket"},
                "Policy": {"Type": "AWS::S3::BucketPolicy", "DependsOn": ["Bucket"], "Properties": {
                    "Bucket": {"Ref": "Bucket"},
                    "PolicyDocument": {"Statement": [{"Resource": {"Fn::Sub": "${Bucket.Arn}/*"}}]}}}
            }, "Outputs": {"Name": {"Value": {"Ref": "Bucket"}}}})),
        )]
        .into();
        let m = vec![mapping(
            "audit",
            "Bucket",
            "audit",
            "Logs",
            "AWS::S3::Bucket",
        )];
        let plan = plan_refactor_for_test(&deployed, &deployed, &m).unwrap();
        let audit = plan.templates["audit"].to_json();
        assert_eq!(
            audit["Resources"]["Policy"],
            json!({"Type": "AWS::S3::BucketPolicy", "DependsOn": "Logs", "Properties": {
                "Bucket": {"Ref": "Logs"},
                "PolicyDocument": {"Statement": [{"Resource": {"Fn::Sub": "${Logs.Arn}/*"}}]}}})
        );
        assert!(audit["Resources"].get("Bucket").is_none());
        assert_eq!(audit["Outputs"]["Name"]["Value"], json!({"Ref": "Logs"}));
        assert!(plan.created.is_empty());
    }

    #[test]
    fn a_move_imports_what_stays_behind_and_unwraps_its_own_exports() {
        let deployed: EnvTemplates = [
            ("data".to_owned(), t(json!({"Resources": {"Db": {"Type": "AWS::RDS::DBInstance"}},
                "Outputs": {"DbArn": {"Value": {"Fn::GetAtt": ["Db", "DBInstanceArn"]}, "Export": {"Name": "data:Db-Arn"}}}}))),
            ("audit".to_owned(), t(json!({"Resources": {
                "Key": {"Type": "AWS::KMS::Key"},
                "Vault": {"Type": "AWS::Backup::BackupVault", "Properties": {"BackupVaultName": "v", "EncryptionKeyArn": {"Fn::GetAtt": ["Key", "Arn"]}}},
                "Plan": {"Type": "AWS::Backup::BackupPlan", "Properties": {"BackupPlan": {"Target": {"Ref": "Vault"}, "Db": {"Fn::ImportValue": "data:Db-Arn"}}}}
            }}))),
        ]
        .into();
        let mut target = deployed.clone();
        target.get_mut("audit").unwrap().outputs.insert(
            "KeyArn".into(),
            Output::new(Expr::local_get_att("Key", "Arn")).export(Expr::str("audit:Key-Arn")),
        );
        let m = vec![
            mapping(
                "audit",
                "Vault",
                "data",
                "Vault",
                "AWS::Backup::BackupVault",
            ),
            mapping("audit", "Plan", "data", "Plan", "AWS::Backup::BackupPlan"),
        ];
        let plan = plan_refactor_for_test(&deployed, &target, &m).unwrap();
        let data = plan.templates["data"].to_json();
        assert_eq!(
            data["Resources"]["Vault"]["Properties"]["EncryptionKeyArn"],
            json!({"Fn::ImportValue": "audit:Key-Arn"})
        );
        assert_eq!(
            data["Resources"]["Plan"]["Properties"]["BackupPlan"]["Db"],
            json!({"Fn::GetAtt": ["Db", "DBInstanceArn"]})
        );
        let audit = plan.templates["audit"].to_json();
        assert_eq!(
            audit["Outputs"]["KeyArn"]["Export"]["Name"],
            json!("audit:Key-Arn")
        );
        assert_eq!(plan.templates.keys().collect::<Vec<_>>(), ["audit", "data"]);

        // Without that export in the new templates, the split reference is a problem.
        let e = plan_refactor_for_test(&deployed, &deployed, &m).unwrap_err();
        assert!(e[0].problem.contains("uses `Key` (stack `audit`)"), "{e:?}");
    }

    #[test]
    fn unsupported_types_stack_names_and_empty_stacks_are_problems() {
        let deployed: EnvTemplates = [
            ("a".to_owned(), t(json!({"Resources": {
                "Eip": {"Type": "AWS::EC2::EIP"},
                "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": {"Fn::Sub": "${AWS::StackName}-t"}}}
            }}))),
        ]
        .into();
        let m = vec![
            mapping("a", "Eip", "b", "Eip", "AWS::EC2::EIP"),
            mapping("a", "Topic", "b", "Topic", "AWS::SNS::Topic"),
        ];
        let e = plan_refactor_for_test(&deployed, &deployed, &m).unwrap_err();
        let text: Vec<&str> = e.iter().map(|p| p.problem.as_str()).collect();
        assert!(text[0].contains("AWS lists AWS::EC2::EIP"), "{text:?}");
        assert!(
            text[1].contains("Properties.TopicName uses AWS::StackName"),
            "{text:?}"
        );
        let m = vec![mapping("a", "Topic", "a", "Renamed", "AWS::SNS::Topic")];
        assert!(plan_refactor_for_test(&deployed, &deployed, &m).is_ok());
        let only: EnvTemplates = [(
            "a".to_owned(),
            t(json!({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}})),
        )]
        .into();
        let e = plan_refactor_for_test(
            &only,
            &only,
            &[mapping("a", "T", "b", "T", "AWS::SNS::Topic")],
        )
        .unwrap_err();
        assert!(e[0].problem.contains("without resources"), "{e:?}");
    }

    #[test]
    fn a_refactor_touches_at_most_five_stacks() {
        let topic = || {
            t(
                json!({"Resources": {"T": {"Type": "AWS::SNS::Topic"}, "Keep": {"Type": "AWS::SNS::Topic"}}}),
            )
        };
        let deployed: EnvTemplates = ["a", "c", "e"]
            .iter()
            .map(|s| (s.to_string(), topic()))
            .collect();
        let m: Vec<ResourceMapping> = [("a", "b"), ("c", "d"), ("e", "f")]
            .iter()
            .map(|(s, d)| mapping(s, "T", d, "T", "AWS::SNS::Topic"))
            .collect();
        let e = plan_refactor_for_test(&deployed, &deployed, &m).unwrap_err();
        assert!(
            e[0].problem.contains("touches 6 stacks (a, b, c, d, e, f)"),
            "{e:?}"
        );
        assert!(plan_refactor_for_test(&deployed, &deployed, &m[..2]).is_ok());
    }

    fn plan_refactor_for_test(
        d: &EnvTemplates,
        t: &EnvTemplates,
        m: &[ResourceMapping],
    ) -> Result<RefactorPlan, Problems> {
        build(d, t, m)
    }
}
