//! A stand-in for the AWS CLI, for deploy tests: a shell script that logs its calls and
//! answers from files beside it.
#![allow(dead_code)] // Not every test binary uses every helper.

use std::fs;
use std::path::PathBuf;

use assert_cmd::Command;

/// The script. Files beside it steer it: `no-credentials`, `events-STACK` (stack events),
/// `template-STACK` (the deployed template), `unchanged-STACK`, `fail-STACK` (a failure
/// reason), `refactor-refused` (the reason CloudFormation gives); `status-STACK`,
/// `reason-STACK`, `exports-STACK` (`describe-stacks`), `rollback-fails-STACK`,
/// `delete-fails-STACK`, `resources-STACK`, `imports-EXPORT`, `changes-STACK`,
/// `cs-status-STACK`, `drift-STACK` (see each answer). It copies the files a
/// `create-stack-refactor` names to `refactor-<file name>`, and those of a
/// `create-change-set` to `changeset-STACK.<file name>` and those of a `deploy` to
/// `deploy-STACK.<file name>`, each with its permission bits in `<copy>.mode` (octal, as
/// `stat` prints them) and its path in `file-args`. Each answer's shape follows the
/// operation's output in the AWS CloudFormation API reference (named beside it).
pub const FAKE_AWS: &str = r#"#!/bin/sh
# A stand-in for the AWS CLI: logs each call and answers from files beside it.
dir=$(cd "$(dirname "$0")" && pwd)
echo "$*" >> "$dir/calls.log"
stack=""; prev=""; csname=""; export=""; detection=""
for a in "$@"; do
  case "$prev" in
    --stack-name) stack=$a ;;
    --change-set-name) csname=$a ;;
    --export-name) export=$a ;;
    --stack-drift-detection-id) detection=$a ;;
  esac
  prev=$a
done
# A change set ARN (arn:...:changeSet/NAME/STACK here) names its stack.
case "$csname" in arn:*) stack=${csname##*/} ;; esac
events="$dir/events-$stack"
emit() {
  n=$(( $(cat "$events" 2>/dev/null | wc -l) + 1 ))
  printf '{"EventId":"%s-%s","StackName":"%s","LogicalResourceId":"%s","ResourceType":"%s","Timestamp":"2026-01-01T10:00:%02d.000Z","ResourceStatus":"%s","ResourceStatusReason":"%s"}\n' \
    "$stack" "$n" "$stack" "$1" "$2" "$n" "$3" "$4" >> "$events"
}
# keep PREFIX: copies each file:// argument to PREFIX.<file name>, its permission bits to
# PREFIX.<file name>.mode and its path to `file-args`.
keep() {
  for a in "$@"; do
    case "$a" in file://*)
      f=${a#file://}; b=$(basename "$f")
      cp "$f" "$dir/$prefix.$b"
      { stat -c %a "$f" 2>/dev/null || stat -f %Lp "$f"; } > "$dir/$prefix.$b.mode"
      echo "$f" >> "$dir/file-args" ;;
    esac
  done
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
# describe-stacks (DescribeStacks, API reference: Stacks[].StackStatus, StackStatusReason,
# LastUpdatedTime, Outputs[].ExportName; a missing stack is a ValidationError "Stack with
# id X does not exist"). The status is `status-STACK` when present, else the last
# stack-level status among the stack's events (CREATE_COMPLETE for a stack known only by
# its `template-STACK`); `deleted-STACK` makes it missing.
"cloudformation describe-stacks")
  if [ -f "$dir/deleted-$stack" ] || { [ ! -f "$dir/status-$stack" ] && [ ! -f "$events" ] && [ ! -f "$dir/template-$stack" ]; }; then
    echo "An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id $stack does not exist" >&2
    exit 255
  fi
  if [ -f "$dir/status-$stack" ]; then status=$(cat "$dir/status-$stack")
  else status=$(grep '"AWS::CloudFormation::Stack"' "$events" 2>/dev/null | tail -n 1 | sed 's/.*"ResourceStatus":"\([A-Z_]*\)".*/\1/')
  fi
  [ -n "$status" ] || status=CREATE_COMPLETE
  n=$(cat "$events" 2>/dev/null | wc -l)
  outputs=""
  if [ -f "$dir/exports-$stack" ]; then
    outputs=$(awk '{printf "%s{\"OutputKey\":\"O%d\",\"OutputValue\":\"v\",\"ExportName\":\"%s\"}", (NR > 1 ? "," : ""), NR, $0}' "$dir/exports-$stack")
  fi
  printf '{"Stacks": [{"StackName":"%s","StackStatus":"%s","StackStatusReason":"%s","LastUpdatedTime":"2026-01-01T10:00:%02d.000Z","Outputs":[%s]}]}\n' \
    "$stack" "$status" "$(cat "$dir/reason-$stack" 2>/dev/null)" "$n" "$outputs" ;;
# continue-update-rollback (ContinueUpdateRollback: no output; the stack goes
# UPDATE_ROLLBACK_IN_PROGRESS, then UPDATE_ROLLBACK_COMPLETE, or UPDATE_ROLLBACK_FAILED
# again with the resource's UPDATE_FAILED event when `rollback-fails-STACK` names a reason).
"cloudformation continue-update-rollback")
  emit "$stack" AWS::CloudFormation::Stack UPDATE_ROLLBACK_IN_PROGRESS ""
  if [ -f "$dir/rollback-fails-$stack" ]; then
    emit Table AWS::DynamoDB::Table UPDATE_FAILED "$(cat "$dir/rollback-fails-$stack")"
    emit "$stack" AWS::CloudFormation::Stack UPDATE_ROLLBACK_FAILED ""
    echo UPDATE_ROLLBACK_FAILED > "$dir/status-$stack"
  else
    emit "$stack" AWS::CloudFormation::Stack UPDATE_ROLLBACK_COMPLETE ""
    rm -f "$dir/status-$stack"
  fi ;;
# delete-stack (DeleteStack: no output; DELETE_IN_PROGRESS, then the stack is gone, or
# DELETE_FAILED with the resource's DELETE_FAILED event when `delete-fails-STACK` names a
# reason).
"cloudformation delete-stack")
  emit "$stack" AWS::CloudFormation::Stack DELETE_IN_PROGRESS "User Initiated"
  if [ -f "$dir/delete-fails-$stack" ]; then
    emit Bucket AWS::S3::Bucket DELETE_FAILED "$(cat "$dir/delete-fails-$stack")"
    emit "$stack" AWS::CloudFormation::Stack DELETE_FAILED ""
    echo DELETE_FAILED > "$dir/status-$stack"
  else
    emit "$stack" AWS::CloudFormation::Stack DELETE_COMPLETE ""
    rm -f "$dir/status-$stack"; touch "$dir/deleted-$stack"
  fi ;;
# list-stack-resources (ListStackResources: StackResourceSummaries[] with LogicalResourceId,
# PhysicalResourceId, ResourceType, ResourceStatus): `resources-STACK` holds the list.
"cloudformation list-stack-resources")
  printf '{"StackResourceSummaries": [%s]}\n' "$(cat "$dir/resources-$stack" 2>/dev/null)" ;;
# list-imports (ListImports: Imports[] stack names; none is a ValidationError "Export 'X' is
# not imported by any stack."): `imports-EXPORT` holds one importing stack per line.
"cloudformation list-imports")
  if [ ! -f "$dir/imports-$export" ]; then
    echo "An error occurred (ValidationError) when calling the ListImports operation: Export '$export' is not imported by any stack." >&2
    exit 255
  fi
  printf '{"Imports": [%s]}\n' "$(awk '{printf "%s\"%s\"", (NR > 1 ? "," : ""), $0}' "$dir/imports-$export")" ;;
# create-change-set (CreateChangeSet: answers Id, the change set ARN, and StackId). The
# files it reads are copied to `changeset-STACK.<file name>`.
"cloudformation create-change-set")
  prefix="changeset-$stack"; keep "$@"
  rm -f "$dir/executed-$stack"
  # A change set of a new stack creates it in REVIEW_IN_PROGRESS.
  if [ -f "$dir/deleted-$stack" ] || { [ ! -f "$dir/status-$stack" ] && [ ! -f "$events" ] && [ ! -f "$dir/template-$stack" ]; }; then
    rm -f "$dir/deleted-$stack"; echo REVIEW_IN_PROGRESS > "$dir/status-$stack"
  fi
  printf '{"Id": "arn:aws:cloudformation:us-east-1:123456789012:changeSet/%s/%s", "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/%s/1"}\n' "$csname" "$stack" "$stack" ;;
# describe-change-set (DescribeChangeSet: Status CREATE_COMPLETE with
# Changes[].ResourceChange {Action, LogicalResourceId, ResourceType, Replacement} and
# ExecutionStatus AVAILABLE; an empty one FAILED with StatusReason "The submitted information
# didn't contain changes. Submit different information to create a change set.").
# `changes-STACK` holds the changes; `cs-status-STACK` overrides ExecutionStatus.
"cloudformation describe-change-set")
  if [ -f "$dir/unchanged-$stack" ]; then
    printf '{"ChangeSetId": "%s", "Status": "FAILED", "ExecutionStatus": "UNAVAILABLE", "StatusReason": "The submitted information didn'"'"'t contain changes. Submit different information to create a change set.", "Changes": []}\n' "$csname"
    exit 0
  fi
  execution=AVAILABLE
  [ -f "$dir/executed-$stack" ] && execution=EXECUTE_COMPLETE
  [ -f "$dir/cs-status-$stack" ] && execution=$(cat "$dir/cs-status-$stack")
  changes='{"Type":"Resource","ResourceChange":{"Action":"Add","LogicalResourceId":"Topic","ResourceType":"AWS::SNS::Topic"}}'
  [ -f "$dir/changes-$stack" ] && changes=$(cat "$dir/changes-$stack")
  printf '{"ChangeSetId": "%s", "Status": "CREATE_COMPLETE", "ExecutionStatus": "%s", "Changes": [%s]}\n' "$csname" "$execution" "$changes" ;;
"cloudformation delete-change-set") ;;
# execute-change-set (ExecuteChangeSet: no output; the stack's events follow, as for deploy).
# With `slow-execute` it takes half a second, logged as `begin STACK` / `end STACK` in
# `order.log` (to see which stacks overlap).
"cloudformation execute-change-set")
  if [ -f "$dir/slow-execute" ]; then
    echo "begin $stack" >> "$dir/order.log"; sleep 0.5; echo "end $stack" >> "$dir/order.log"
  fi
  verb=UPDATE; failed=UPDATE_ROLLBACK_COMPLETE
  if [ "$(cat "$dir/status-$stack" 2>/dev/null)" = REVIEW_IN_PROGRESS ]; then verb=CREATE; failed=ROLLBACK_COMPLETE; fi
  touch "$dir/executed-$stack"; rm -f "$dir/deleted-$stack" "$dir/status-$stack"
  emit "$stack" AWS::CloudFormation::Stack ${verb}_IN_PROGRESS "User Initiated"
  emit Topic AWS::SNS::Topic CREATE_IN_PROGRESS ""
  if [ -f "$dir/fail-$stack" ]; then
    emit Topic AWS::SNS::Topic CREATE_FAILED "$(cat "$dir/fail-$stack")"
    emit "$stack" AWS::CloudFormation::Stack $failed ""
  else
    emit Topic AWS::SNS::Topic CREATE_COMPLETE ""
    emit "$stack" AWS::CloudFormation::Stack ${verb}_COMPLETE ""
  fi ;;
# detect-stack-drift (DetectStackDrift: answers StackDriftDetectionId).
"cloudformation detect-stack-drift")
  echo "{\"StackDriftDetectionId\": \"drift-$stack\"}" ;;
# describe-stack-drift-detection-status (DescribeStackDriftDetectionStatus: DetectionStatus
# DETECTION_IN_PROGRESS, then DETECTION_COMPLETE with StackDriftStatus DRIFTED or IN_SYNC).
# `drift-STACK` holds the drifted resources.
"cloudformation describe-stack-drift-detection-status")
  stack=${detection#drift-}
  if [ ! -f "$dir/drift-polled-$stack" ]; then
    touch "$dir/drift-polled-$stack"
    echo "{\"StackDriftDetectionId\": \"$detection\", \"DetectionStatus\": \"DETECTION_IN_PROGRESS\"}"
  elif [ -f "$dir/drift-$stack" ]; then
    echo "{\"StackDriftDetectionId\": \"$detection\", \"DetectionStatus\": \"DETECTION_COMPLETE\", \"StackDriftStatus\": \"DRIFTED\", \"DriftedStackResourceCount\": 1}"
  else
    echo "{\"StackDriftDetectionId\": \"$detection\", \"DetectionStatus\": \"DETECTION_COMPLETE\", \"StackDriftStatus\": \"IN_SYNC\", \"DriftedStackResourceCount\": 0}"
  fi ;;
# describe-stack-resource-drifts (DescribeStackResourceDrifts: StackResourceDrifts[] with
# LogicalResourceId, PhysicalResourceId, ResourceType, StackResourceDriftStatus and
# PropertyDifferences[] {PropertyPath, ExpectedValue, ActualValue, DifferenceType}).
"cloudformation describe-stack-resource-drifts")
  printf '{"StackResourceDrifts": [%s]}\n' "$(cat "$dir/drift-$stack" 2>/dev/null)" ;;
"cloudformation deploy")
  prefix="deploy-$stack"; keep "$@"
  rm -f "$dir/deleted-$stack" "$dir/status-$stack"
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

/// What a deploy of the migration-api needs besides the committed files: an image already in
/// the repository, no setup tasks (tests/deploy_time.rs covers both) and a real-looking alert
/// address (the committed one is a placeholder `deploy` refuses).
pub const APP_INPUTS: [&str; 5] = [
    "--image-digest",
    "sha256:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
    "--skip-setup-tasks",
    "--parameter",
    "monitoring:AlertEmail=oncall@stackforge.dev",
];

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
        self.run("deploy", args)
    }

    /// Runs the migration-api's `stackforge COMMAND ARGS` against this fake.
    pub fn run(&self, command: &str, args: &[&str]) -> assert_cmd::assert::Assert {
        Command::cargo_bin("stackforge")
            .unwrap()
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("STACKFORGE_AWS_CLI", self.path("aws"))
            .env("STACKFORGE_DEPLOY_POLL_MS", "50")
            .arg(command)
            .args(args)
            .assert()
    }

    /// Deploys the migration-api with `args` and [`APP_INPUTS`].
    pub fn deploy_app(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        let mut all = args.to_vec();
        all.extend(APP_INPUTS);
        self.deploy(&all)
    }
}
