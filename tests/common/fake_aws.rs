//! A stand-in for the AWS CLI, for deploy tests: a shell script that logs its calls and
//! answers from files beside it.
#![allow(dead_code)] // Not every test binary uses every helper.

use std::fs;
use std::path::PathBuf;

use assert_cmd::Command;

/// The script. Files beside it steer it: `no-credentials`, `events-STACK` (stack events),
/// `template-STACK` (the deployed template), `unchanged-STACK`, `fail-STACK` (a failure
/// reason), `refactor-refused` (the reason CloudFormation gives). It copies the files a
/// `create-stack-refactor` names to `refactor-<file name>`.
pub const FAKE_AWS: &str = r#"#!/bin/sh
# A stand-in for the AWS CLI: logs each call and answers from files beside it.
dir=$(cd "$(dirname "$0")" && pwd)
echo "$*" >> "$dir/calls.log"
stack=""; prev=""
for a in "$@"; do
  [ "$prev" = "--stack-name" ] && stack=$a
  prev=$a
done
events="$dir/events-$stack"
emit() {
  n=$(( $(cat "$events" 2>/dev/null | wc -l) + 1 ))
  printf '{"EventId":"%s-%s","StackName":"%s","LogicalResourceId":"%s","ResourceType":"%s","Timestamp":"2026-01-01T10:00:%02d.000Z","ResourceStatus":"%s","ResourceStatusReason":"%s"}\n' \
    "$stack" "$n" "$stack" "$1" "$2" "$n" "$3" "$4" >> "$events"
}
case "$1 $2" in
"sts get-caller-identity")
  if [ -f "$dir/no-credentials" ]; then
    echo 'Unable to locate credentials. You can configure credentials by running "aws configure".' >&2
    exit 255
  fi
  echo '{"UserId":"AIDATEST","Account":"123456789012","Arn":"arn:aws:iam::123456789012:user/tester"}' ;;
"cloudformation describe-stack-events")
  if [ ! -f "$events" ]; then
    echo "An error occurred (ValidationError) when calling the DescribeStackEvents operation: Stack [$stack] does not exist" >&2
    exit 255
  fi
  printf '{"StackEvents": [%s]}\n' "$(awk '{a[NR]=$0} END {for (i = NR; i > 0; i--) printf "%s%s", a[i], (i > 1 ? "," : "")}' "$events")" ;;
"cloudformation get-template")
  if [ ! -f "$dir/template-$stack" ]; then
    echo "An error occurred (ValidationError) when calling the GetTemplate operation: Stack with id $stack does not exist" >&2
    exit 255
  fi
  printf '{"TemplateBody": %s}\n' "$(cat "$dir/template-$stack")" ;;
"cloudformation create-stack-refactor")
  for a in "$@"; do
    case "$a" in file://*) f=${a#file://}; cp "$f" "$dir/refactor-$(basename "$f")" ;; esac
  done
  echo '{"StackRefactorId": "r-1"}' ;;
"cloudformation describe-stack-refactor")
  if [ -f "$dir/refactor-refused" ]; then
    printf '{"StackRefactorId": "r-1", "Status": "CREATE_FAILED", "StatusReason": "%s", "ExecutionStatus": "UNAVAILABLE"}\n' "$(cat "$dir/refactor-refused")"
  elif [ ! -f "$dir/refactor-polled" ]; then
    touch "$dir/refactor-polled"
    echo '{"StackRefactorId": "r-1", "Status": "CREATE_IN_PROGRESS", "ExecutionStatus": "UNAVAILABLE"}'
  elif [ -f "$dir/refactor-executed" ]; then
    echo '{"StackRefactorId": "r-1", "Status": "CREATE_COMPLETE", "ExecutionStatus": "EXECUTE_COMPLETE"}'
  else
    echo '{"StackRefactorId": "r-1", "Status": "CREATE_COMPLETE", "ExecutionStatus": "AVAILABLE"}'
  fi ;;
"cloudformation execute-stack-refactor")
  touch "$dir/refactor-executed" ;;
"cloudformation deploy")
  echo; echo "Waiting for changeset to be created.."
  if [ -f "$dir/unchanged-$stack" ]; then
    echo; echo "No changes to deploy. Stack $stack is up to date"; exit 0
  fi
  emit "$stack" AWS::CloudFormation::Stack CREATE_IN_PROGRESS "User Initiated"
  echo "Waiting for stack create/update to complete"
  emit Topic AWS::SNS::Topic CREATE_IN_PROGRESS ""
  sleep 0.3
  if [ -f "$dir/fail-$stack" ]; then
    emit Topic AWS::SNS::Topic CREATE_FAILED "$(cat "$dir/fail-$stack")"
    emit "$stack" AWS::CloudFormation::Stack ROLLBACK_IN_PROGRESS "The following resource(s) failed to create: [Topic]."
    emit "$stack" AWS::CloudFormation::Stack ROLLBACK_COMPLETE ""
    echo; echo "Failed to create/update the stack. Run the following command"
    echo "to fetch the list of events leading up to the failure"
    echo "aws cloudformation describe-stack-events --stack-name $stack"
    exit 255
  fi
  emit Topic AWS::SNS::Topic CREATE_COMPLETE ""
  emit "$stack" AWS::CloudFormation::Stack CREATE_COMPLETE ""
  echo; echo "Successfully created/updated stack - $stack" ;;
*)
  echo "fake aws: unexpected call: $*" >&2; exit 2 ;;
esac
"#;

/// A fake `aws` in a temporary folder: it logs each call to `calls.log` and answers from
/// files beside it (see [`FAKE_AWS`]).
pub struct FakeAws {
    dir: tempfile::TempDir,
}

impl FakeAws {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("aws");
        fs::write(&script, FAKE_AWS).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
        }
        FakeAws { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn touch(&self, name: &str, content: &str) {
        fs::write(self.path(name), content).unwrap();
    }

    pub fn calls(&self) -> Vec<String> {
        fs::read_to_string(self.path("calls.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    pub fn deployed(&self) -> Vec<String> {
        self.calls()
            .iter()
            .filter(|c| c.starts_with("cloudformation deploy"))
            .map(|c| {
                c.split("--stack-name ")
                    .nth(1)
                    .unwrap()
                    .split(' ')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }

    pub fn deploy(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        Command::cargo_bin("stackforge")
            .unwrap()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("STACKFORGE_AWS_CLI", self.path("aws"))
            .env("STACKFORGE_DEPLOY_POLL_MS", "50")
            .arg("deploy")
            .args(args)
            .assert()
    }
}
