//! `drift`: CloudFormation drift detection on one environment's deployed stacks.

use std::path::PathBuf;

use clap::Args;
use stackforge_construct_model::{Assembly, EnvironmentAssembly};

use crate::cli::{EXIT_FAILURE, EXIT_OK};
use crate::commands::AwsArgs;
use crate::deploy::aws::AwsCli;
use crate::deploy::drift::{self, StackDrift};
use crate::deploy::plan::{self, AwsOptions};
use crate::deploy::{run, stack_status};
use crate::error::{CliError, Result};
use crate::pipeline::{synthesize_against, Against, Factory, Io, Selection};

/// Detect drift (changes made outside CloudFormation) in one environment's deployed stacks.
///
/// Runs CloudFormation drift detection on each stack in deploy order and reports the drifted
/// resources and properties; changes touching an item of the security and monitoring guide
/// (security-group rules, listener TLS policy, WAF rate limit, key rotation, database
/// encryption / public access / IAM authentication, log retention) are marked.
///
/// Exit codes: 0 nothing drifted; 1 something drifted (or detection failed); 2 usage errors,
/// a missing AWS CLI or credentials.
#[derive(Debug, Clone, Args)]
pub struct DriftCommand {
    /// The environment (exactly one; may be left out when the app has only one) and the
    /// stacks to check (default: all).
    #[command(flatten)]
    pub select: Selection,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Where the `aws` calls go (region, profile, endpoint).
    #[command(flatten)]
    pub aws: AwsArgs,
    /// Folder with the committed templates (`<DIR>/<env>/`), read as `synth` reads them.
    #[arg(long, value_name = "DIR", default_value = "templates")]
    pub templates: PathBuf,
}

impl DriftCommand {
    /// Runs the command.
    pub fn execute(&self, factory: Factory<'_>, io: &mut Io<'_>) -> Result<u8> {
        let against = Against {
            drop_kept_exports: false,
            strict: false,
        };
        let (assembly, _) = synthesize_against(factory, &self.templates, against, io)?;
        let env = self.environment(&assembly)?;
        let stacks = plan::select_stacks(env, &self.select.stacks, true);
        let aws = AwsCli::from_env(&AwsOptions {
            region: self.aws.region.clone(),
            profile: self.aws.profile.clone(),
            endpoint_url: self.aws.endpoint_url.clone(),
        });
        aws.check_identity()?;
        let poll = run::poll_interval();
        let mut report = Vec::new();
        for s in &stacks {
            if stack_status::describe(&aws, &s.stack_name)?.is_none() {
                report.push(StackDrift {
                    stack_name: s.stack_name.clone(),
                    status: "NOT_DEPLOYED".into(),
                    detection_problem: None,
                    resources: Vec::new(),
                });
                continue;
            }
            let _ = writeln!(io.err, "{}: detecting drift", s.stack_name);
            report.push(drift::detect(&aws, &s.stack_name, poll)?);
        }
        let name = env.environment.name();
        let text = if self.json {
            let value = serde_json::json!({"environment": name, "stacks": report});
            serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
        } else {
            drift::render(name, &report)
        };
        write!(io.out, "{text}").map_err(|e| CliError::io("stdout", e))?;
        let failed = report.iter().any(|s| s.detection_problem.is_some());
        Ok(if report.iter().any(StackDrift::drifted) || failed {
            EXIT_FAILURE
        } else {
            EXIT_OK
        })
    }

    /// The one environment to check.
    fn environment<'a>(&self, assembly: &'a Assembly) -> Result<&'a EnvironmentAssembly> {
        let envs = self.select.environments(assembly)?;
        match envs.as_slice() {
            [env] => Ok(env),
            _ => {
                let names: Vec<&str> = envs.iter().map(|e| e.environment.name()).collect();
                Err(CliError::Usage(format!(
                    "drift acts on one environment at a time; the app `{}` has: {}. Fix: pass one of them with --env.",
                    assembly.app,
                    names.join(", ")
                )))
            }
        }
    }
}
