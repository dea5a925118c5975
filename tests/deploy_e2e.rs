//! End to end: the real `stackforge` binary deploys the migration-api's `dev` stacks with the
//! real AWS CLI to a local moto_server (started through `scripts/moto_patched.py`, see
//! docs/deploy-testing.md), then checks the result with the AWS CLI, re-deploys (no changes)
//! and deploys a change that fails.
//!
//! Ignored by default (it needs the test venv); `scripts/test.sh` runs it with the venv's
//! `bin` on PATH: `cargo test --test deploy_e2e -- --ignored`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Resource types of the migration-api that moto 5.2.5 (even patched) does not model: it
/// creates nothing for them and lists them without a logical ID. When this list changes,
/// moto's support changed: update it and docs/deploy-testing.md.
const SKIPPED_BY_EMULATOR: [&str; 12] = [
    "AWS::ApplicationAutoScaling::ScalableTarget",
    "AWS::ApplicationAutoScaling::ScalingPolicy",
    "AWS::Backup::BackupPlan",
    "AWS::Backup::BackupSelection",
    "AWS::Backup::BackupVault",
    "AWS::CloudTrail::Trail",
    "AWS::CloudWatch::Alarm",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::TopicPolicy",
    "AWS::WAFv2::WebACL",
    "AWS::WAFv2::WebACLAssociation",
];

const STACKS: [&str; 5] = ["network", "data", "service", "monitoring", "audit"];

const REGION: &str = "us-east-1";

/// A self-signed certificate for ACM, made at test time (no key material is committed).
const MAKE_CERTIFICATE: &str = r#"
import datetime, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "api.dev.example.test")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (
    x509.CertificateBuilder()
    .subject_name(name)
    .issuer_name(name)
    .public_key(key.public_key())
    .serial_number(x509.random_serial_number())
    .not_valid_before(now - datetime.timedelta(minutes=5))
    .not_valid_after(now + datetime.timedelta(days=1))
    .add_extension(x509.SubjectAlternativeName([x509.DNSName("api.dev.example.test")]), critical=False)
    .sign(key, hashes.SHA256())
)
open(sys.argv[1], "wb").write(cert.public_bytes(serialization.Encoding.PEM))
open(sys.argv[2], "wb").write(key.private_bytes(
    serialization.Encoding.PEM,
    serialization.PrivateFormat.TraditionalOpenSSL,
    serialization.NoEncryption(),
))
"#;

/// The moto server; stopped by its PID when dropped, also when the test fails.
struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    fn start(bin: &Path, log: &Path) -> Moto {
        // A free port on 127.0.0.1: bind port 0, read it, release it for moto.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/moto_patched.py");
        let log = fs::File::create(log).expect("moto log");
        let child = Command::new(bin.join("python"))
            .arg(script)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start moto_patched.py with the venv's python");
        let mut moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!("moto_server exited before listening: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "moto_server did not listen within 60s"
            );
            sleep(Duration::from_millis(100));
        }
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Child::kill signals exactly this PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The folder on PATH holding `moto_server` and its `python` (the test venv's `bin`).
fn venv_bin() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .find(|d| d.join("moto_server").is_file() && d.join("python").is_file())
        .expect("moto_server is not on PATH: run this through scripts/test.sh (it puts .venv/bin on PATH)")
}

/// Runs commands against the emulator with dummy credentials and nothing from ~/.aws.
struct Env {
    moto: Moto,
    home: tempfile::TempDir,
}

impl Env {
    fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new(program);
        let home = self.home.path();
        c.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_DEFAULT_REGION", REGION)
            // `--endpoint-url` does not reach the S3 upload of `deploy --s3-bucket`; this does.
            .env("AWS_ENDPOINT_URL", &self.moto.url)
            .env("AWS_CONFIG_FILE", home.join("config"))
            .env("AWS_SHARED_CREDENTIALS_FILE", home.join("credentials"))
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env_remove("AWS_PROFILE")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("STACKFORGE_AWS_CLI")
            .stdin(Stdio::null());
        c
    }

    /// `aws <args>` as JSON; panics with its error output when it fails.
    fn aws(&self, args: &[&str]) -> Value {
        let out = self
            .command("aws")
            .args(args)
            // Not every service client of the AWS CLI v1 honours AWS_ENDPOINT_URL (rds does not).
            .args(["--endpoint-url", &self.moto.url, "--output", "json"])
            .output()
            .expect("run aws");
        assert!(
            out.status.success(),
            "aws {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }

    fn deploy(&self, extra: &[&str]) -> (Output, String, String) {
        let started = Instant::now();
        let out = self
            .command(assert_cmd::cargo::cargo_bin("stackforge"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args([
                "deploy",
                "--env",
                "dev",
                "--region",
                REGION,
                "--endpoint-url",
                &self.moto.url,
            ])
            .args(extra)
            .output()
            .expect("run stackforge");
        let (stdout, stderr) = (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        );
        eprintln!(
            "--- deploy {extra:?} ({:.1}s)\n{stdout}{stderr}",
            started.elapsed().as_secs_f64()
        );
        (out, stdout, stderr)
    }

    /// Every stack, by short name (one `describe-stacks` call).
    fn stacks(&self) -> BTreeMap<String, Value> {
        self.aws(&["cloudformation", "describe-stacks"])["Stacks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| {
                let name = s["StackName"]
                    .as_str()?
                    .strip_prefix("migration-api-dev-")?;
                Some((name.to_owned(), s.clone()))
            })
            .collect()
    }

    fn template(&self, short: &str) -> Value {
        let name = format!("migration-api-dev-{short}");
        let body = self.aws(&["cloudformation", "get-template", "--stack-name", &name])
            ["TemplateBody"]
            .clone();
        match body {
            Value::String(text) => serde_json::from_str(&text).expect("JSON template"),
            other => other,
        }
    }

    /// Logical ID -> (type, physical ID) of the resources the stack lists.
    fn resources(&self, short: &str) -> BTreeMap<String, (String, String)> {
        let name = format!("migration-api-dev-{short}");
        let v = self.aws(&[
            "cloudformation",
            "list-stack-resources",
            "--stack-name",
            &name,
        ]);
        v["StackResourceSummaries"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| {
                !r["LogicalResourceId"]
                    .as_str()
                    .unwrap_or_default()
                    .is_empty()
            })
            .map(|r| {
                (
                    r["LogicalResourceId"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    (
                        r["ResourceType"].as_str().unwrap_or_default().to_owned(),
                        r["PhysicalResourceId"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                    ),
                )
            })
            .collect()
    }
}

/// The physical ID of the one resource of `resource_type` among `resources`.
fn physical_id(resources: &BTreeMap<String, (String, String)>, resource_type: &str) -> String {
    resources
        .values()
        .find(|(t, _)| t == resource_type)
        .unwrap_or_else(|| panic!("no {resource_type} in {resources:?}"))
        .1
        .clone()
}

/// Every `Fn::ImportValue` name in a template.
fn imports(node: &Value, found: &mut BTreeSet<String>) {
    match node {
        Value::Object(m) => {
            if let Some(Value::String(name)) = m.get("Fn::ImportValue") {
                found.insert(name.clone());
            }
            m.values().for_each(|v| imports(v, found));
        }
        Value::Array(a) => a.iter().for_each(|v| imports(v, found)),
        _ => {}
    }
}

fn count(text: &str, needle: &str) -> usize {
    text.lines().filter(|l| l.contains(needle)).count()
}

#[test]
#[ignore = "needs the test venv (moto_server, aws): run by scripts/test.sh"]
fn deploy_dev_to_moto_end_to_end() {
    let started = Instant::now();
    let bin = venv_bin();
    let home = tempfile::tempdir().unwrap();
    let moto = Moto::start(&bin, &home.path().join("moto.log"));
    let env = Env { moto, home };

    // The committed certificate ARN names no certificate here: import a generated one.
    let (cert, key) = (
        env.home.path().join("cert.pem"),
        env.home.path().join("key.pem"),
    );
    let made = env
        .command(bin.join("python"))
        .args(["-c", MAKE_CERTIFICATE])
        .arg(&cert)
        .arg(&key)
        .status()
        .unwrap();
    assert!(made.success(), "generate the test certificate");
    let certificate = env.aws(&[
        "acm",
        "import-certificate",
        "--certificate",
        &format!("fileb://{}", cert.display()),
        "--private-key",
        &format!("fileb://{}", key.display()),
    ])["CertificateArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let cert_param = format!("service:CertificateArn={certificate}");

    // 1. Deploy every stack.
    let (out, stdout, stderr) = env.deploy(&["--parameter", &cert_param]);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    for (i, s) in STACKS.iter().enumerate() {
        let label = format!("[{}/5] migration-api-dev-{s}", i + 1);
        assert!(stdout.contains(&format!("{label}: started")), "{stdout}");
        assert!(
            stdout.contains(&format!("{label}: CREATE_COMPLETE in ")),
            "{stdout}"
        );
    }
    assert!(
        count(&stdout, "  CREATE_COMPLETE") > 40,
        "resource events are shown: {stdout}"
    );

    let stacks = env.stacks();
    let statuses: BTreeMap<&str, &str> = STACKS
        .iter()
        .map(|s| {
            (
                *s,
                stacks
                    .get(*s)
                    .and_then(|v| v["StackStatus"].as_str())
                    .unwrap_or("missing"),
            )
        })
        .collect();
    assert!(
        statuses.values().all(|s| *s == "CREATE_COMPLETE"),
        "{statuses:?}"
    );

    // Exports: every Export of every deployed template, with the stack's output value.
    let listed: BTreeMap<String, String> = env.aws(&["cloudformation", "list-exports"])["Exports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["Name"].as_str().unwrap().to_owned(),
                e["Value"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let mut templates = BTreeMap::new();
    let mut exported = BTreeMap::new();
    for s in STACKS {
        let template = env.template(s);
        let outputs: BTreeMap<String, String> = stacks[s]["Outputs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| {
                (
                    o["OutputKey"].as_str().unwrap().to_owned(),
                    o["OutputValue"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect();
        for (key, output) in template["Outputs"].as_object().into_iter().flatten() {
            if let Some(name) = output["Export"]["Name"].as_str() {
                let value = listed
                    .get(name)
                    .unwrap_or_else(|| panic!("export {name} is not listed"));
                assert!(
                    !value.is_empty() && !value.contains("Fn::"),
                    "{name} = {value:?}"
                );
                assert_eq!(outputs.get(key), Some(value), "output {key} of {s}");
                exported.insert(name.to_owned(), s);
            }
        }
        templates.insert(s, template);
    }
    assert!(exported.len() >= 20, "{exported:?}");
    assert_eq!(
        listed.keys().collect::<Vec<_>>(),
        exported.keys().collect::<Vec<_>>()
    );

    // Imports: for each pair of importing and exporting stack, one of the exports between
    // them is reported as imported by exactly the stacks whose templates import it.
    let mut importers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (s, template) in &templates {
        let mut found = BTreeSet::new();
        imports(template, &mut found);
        for name in found {
            assert!(
                exported.contains_key(&name),
                "{s} imports {name}, which nothing exports"
            );
            importers
                .entry(name)
                .or_default()
                .insert(format!("migration-api-dev-{s}"));
        }
    }
    let mut pairs = BTreeMap::new();
    for (name, stacks) in &importers {
        for importer in stacks {
            pairs
                .entry((importer.clone(), exported[name]))
                .or_insert(name);
        }
    }
    assert!(pairs.len() >= 5, "{pairs:?}");
    for name in BTreeSet::from_iter(pairs.values()) {
        let listed: BTreeSet<String> =
            env.aws(&["cloudformation", "list-imports", "--export-name", name])["Imports"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect();
        assert_eq!(&listed, &importers[*name], "importers of {name}");
    }

    // The service's imports of the data stack resolved to the real values.
    let resources: BTreeMap<&str, _> = STACKS.iter().map(|s| (*s, env.resources(s))).collect();
    let task = physical_id(&resources["service"], "AWS::ECS::TaskDefinition");
    let container = env.aws(&[
        "ecs",
        "describe-task-definition",
        "--task-definition",
        &task,
    ])["taskDefinition"]["containerDefinitions"][0]
        .clone();
    let named = |list: &str, name: &str, field: &str| -> String {
        container[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .and_then(|e| e[field].as_str())
            .unwrap_or_else(|| panic!("{list} {name} in {container}"))
            .to_owned()
    };
    let db = physical_id(&resources["data"], "AWS::RDS::DBInstance");
    let endpoint = env.aws(&[
        "rds",
        "describe-db-instances",
        "--db-instance-identifier",
        &db,
    ])["DBInstances"][0]["Endpoint"]["Address"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(named("environment", "DB_HOST", "value"), endpoint);
    let api_keys = physical_id(&resources["data"], "AWS::SecretsManager::Secret");
    assert_eq!(named("secrets", "API_KEYS", "valueFrom"), api_keys);
    let secret = env.aws(&[
        "secretsmanager",
        "describe-secret",
        "--secret-id",
        &api_keys,
    ]);
    assert_eq!(secret["ARN"].as_str(), Some(api_keys.as_str()));

    // Exactly the expected types were skipped by the emulator.
    let mut skipped = BTreeSet::new();
    for (s, template) in &templates {
        for (id, r) in template["Resources"].as_object().unwrap() {
            if !resources[s].contains_key(id) {
                skipped.insert(r["Type"].as_str().unwrap().to_owned());
            }
        }
    }
    let expected: BTreeSet<String> = SKIPPED_BY_EMULATOR.iter().map(|s| s.to_string()).collect();
    assert_eq!(
        skipped, expected,
        "the emulator's support changed: update SKIPPED_BY_EMULATOR and docs/deploy-testing.md"
    );

    // 2. The same deploy again: no changes anywhere.
    let (out, stdout, stderr) = env.deploy(&["--parameter", &cert_param]);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert_eq!(count(&stdout, ": no changes ("), 5, "{stdout}");
    assert!(
        stdout.contains("0 stack(s) changed, 5 without changes"),
        "{stdout}"
    );

    // 3. A change that fails in the third stack: reported, and the stacks after it untouched.
    let before = env.stacks();
    let missing =
        "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-0000-0000-000000000000";
    let (out, stdout, stderr) =
        env.deploy(&["--parameter", &format!("service:CertificateArn={missing}")]);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("[3/5] migration-api-dev-service: FAILED (UPDATE_ROLLBACK_COMPLETE)"),
        "{stdout}"
    );
    assert!(
        stderr.contains("error: stack migration-api-dev-service failed (UPDATE_ROLLBACK_COMPLETE). Failed resources:"),
        "{stderr}"
    );
    let reason = stderr
        .lines()
        .find(|l| l.contains("(AWS::ElasticLoadBalancingV2::Listener) UPDATE_FAILED: "))
        .unwrap_or_else(|| panic!("the listener's failure is reported: {stderr}"));
    assert!(
        reason.contains(&format!("Certificate {missing} not found")),
        "{reason}"
    );
    assert!(
        stderr.contains("not deployed: migration-api-dev-monitoring, migration-api-dev-audit"),
        "{stderr}"
    );
    assert!(
        !stdout.contains("migration-api-dev-monitoring")
            && !stdout.contains("migration-api-dev-audit"),
        "{stdout}"
    );
    let after = env.stacks();
    assert_eq!(after["service"]["StackStatus"], "UPDATE_ROLLBACK_COMPLETE");
    assert!(
        after["service"]["LastUpdatedTime"].is_string(),
        "an update sets LastUpdatedTime"
    );
    for s in ["monitoring", "audit"] {
        assert_eq!(after[s]["StackStatus"], "CREATE_COMPLETE", "{s}");
        assert_eq!(
            after[s]["LastUpdatedTime"], before[s]["LastUpdatedTime"],
            "{s} was not touched"
        );
        assert!(
            after[s]["LastUpdatedTime"].is_null(),
            "{s} was never updated"
        );
    }

    eprintln!("deploy e2e took {:.1}s", started.elapsed().as_secs_f64());
    drop(env); // stops moto by its PID
}
