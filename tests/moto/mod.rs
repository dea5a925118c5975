//! The moto emulator for the end-to-end deploy tests (the migration-api's `tests/deploy_e2e.rs`
//! and the orders app's): started on 127.0.0.1 on a free port through
//! `scripts/moto_patched.py`, stopped by its PID; AWS CLI calls against it with dummy
//! credentials. See docs/deploy-testing.md.
#![allow(dead_code)] // each test uses a part

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use serde_json::Value;

/// The region everything is deployed to.
pub const REGION: &str = "us-east-1";

/// A self-signed certificate for ACM, made at test time (no key material is committed).
pub const MAKE_CERTIFICATE: &str = r#"
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
pub struct Moto {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Moto {
    /// Starts `scripts/moto_patched.py` of the repository at `root` with the venv's python in
    /// `bin`, logging to `log`.
    pub fn start(root: &Path, bin: &Path, log: &Path) -> Moto {
        // A free port on 127.0.0.1: bind port 0, read it, release it for moto.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let script = root.join("scripts/moto_patched.py");
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
pub fn venv_bin() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .find(|d| d.join("moto_server").is_file() && d.join("python").is_file())
        .expect("moto_server is not on PATH: run this through scripts/test.sh (it puts .venv/bin on PATH)")
}

/// Runs commands against the emulator with dummy credentials and nothing from ~/.aws.
pub struct Env {
    /// The emulator.
    pub moto: Moto,
    /// A temporary home: AWS config files, the certificate, the emulator's log.
    pub home: tempfile::TempDir,
}

impl Env {
    /// Starts the emulator of the repository at `root` (the venv's `bin` must be on PATH).
    pub fn start(root: &Path) -> Env {
        let bin = venv_bin();
        let home = tempfile::tempdir().unwrap();
        let moto = Moto::start(root, &bin, &home.path().join("moto.log"));
        Env { moto, home }
    }

    /// Imports a self-signed certificate made now into the emulator's ACM; returns its ARN
    /// (committed certificate ARNs name nothing there; no key material is committed).
    pub fn import_certificate(&self) -> String {
        let (cert, key) = (
            self.home.path().join("cert.pem"),
            self.home.path().join("key.pem"),
        );
        let made = self
            .command(venv_bin().join("python"))
            .args(["-c", MAKE_CERTIFICATE])
            .arg(&cert)
            .arg(&key)
            .status()
            .unwrap();
        assert!(made.success(), "generate the test certificate");
        self.aws(&[
            "acm",
            "import-certificate",
            "--certificate",
            &format!("fileb://{}", cert.display()),
            "--private-key",
            &format!("fileb://{}", key.display()),
        ])["CertificateArn"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A command with dummy credentials, the emulator's endpoint and nothing from `~/.aws`.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
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
    pub fn aws(&self, args: &[&str]) -> Value {
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

    /// Runs `deploy --env dev` of the CLI `binary` in `dir` (where its `templates/` are)
    /// against the emulator, with `extra` arguments; prints and returns its output.
    pub fn deploy(&self, binary: &Path, dir: &Path, extra: &[&str]) -> (Output, String, String) {
        self.deploy_with(binary, dir, extra, &[])
    }

    /// [`Env::deploy`] with environment variables `vars` set for the CLI (a container tool).
    pub fn deploy_with(
        &self,
        binary: &Path,
        dir: &Path,
        extra: &[&str],
        vars: &[(&str, &Path)],
    ) -> (Output, String, String) {
        let started = Instant::now();
        let out = self
            .command(binary)
            .envs(vars.iter().map(|(k, v)| (*k, *v)))
            .current_dir(dir)
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
            .expect("run the CLI");
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

    /// Every stack whose name starts with `prefix` (`migration-api-dev-`), by short name (one
    /// `describe-stacks` call).
    pub fn stacks(&self, prefix: &str) -> BTreeMap<String, Value> {
        self.aws(&["cloudformation", "describe-stacks"])["Stacks"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|s| {
                let name = s["StackName"].as_str()?.strip_prefix(prefix)?;
                Some((name.to_owned(), s.clone()))
            })
            .collect()
    }

    /// The deployed template of stack `name`.
    pub fn template(&self, name: &str) -> Value {
        let body = self.aws(&["cloudformation", "get-template", "--stack-name", name])
            ["TemplateBody"]
            .clone();
        match body {
            Value::String(text) => serde_json::from_str(&text).expect("JSON template"),
            other => other,
        }
    }

    /// Logical ID -> (type, physical ID) of the resources the stack lists.
    pub fn resources(&self, name: &str) -> BTreeMap<String, (String, String)> {
        let v = self.aws(&[
            "cloudformation",
            "list-stack-resources",
            "--stack-name",
            name,
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
pub fn physical_id(resources: &BTreeMap<String, (String, String)>, resource_type: &str) -> String {
    resources
        .values()
        .find(|(t, _)| t == resource_type)
        .unwrap_or_else(|| panic!("no {resource_type} in {resources:?}"))
        .1
        .clone()
}

/// The physical ID of the resource whose logical ID starts with `prefix` (its construct
/// path without the hash).
pub fn physical_id_of(resources: &BTreeMap<String, (String, String)>, prefix: &str) -> String {
    resources
        .iter()
        .find(|(id, _)| id.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix}* in {resources:?}"))
        .1
         .1
        .clone()
}

/// Every `Fn::ImportValue` name in a template.
pub fn imports(node: &Value, found: &mut BTreeSet<String>) {
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

pub fn count(text: &str, needle: &str) -> usize {
    text.lines().filter(|l| l.contains(needle)).count()
}

/// The types of `templates` (stack name -> template) whose resources the emulator did not
/// list: the types it does not model.
pub fn skipped_types(env: &Env, templates: &BTreeMap<String, Value>) -> BTreeSet<String> {
    let mut skipped = BTreeSet::new();
    for (name, template) in templates {
        let listed = env.resources(name);
        for (id, r) in template["Resources"].as_object().unwrap() {
            if !listed.contains_key(id) {
                skipped.insert(r["Type"].as_str().unwrap().to_owned());
            }
        }
    }
    skipped
}
