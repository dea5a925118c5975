//! Command-line arguments a new user gets wrong.

use crate::api::good_app;
use crate::harness::Case;

fn case(name: &str, args: &[&str], code: u8, needles: &[&str]) -> Case {
    Case::new(name, good_app(), args, code, needles)
}

pub fn cases() -> Vec<Case> {
    vec![
        case("no command", &[], 2, &["usage"]),
        case("unknown command", &["synthesize"], 2, &["synthesize"]),
        case(
            "unknown flag",
            &["synth", "--out", "{out}", "--fast"],
            2,
            &["--fast"],
        ),
        case(
            "synth unknown format",
            &["synth", "--out", "{out}", "--format", "xml"],
            2,
            &["xml", "format"],
        ),
        case(
            "synth unknown environment",
            &["synth", "--out", "{out}", "--env", "staging"],
            2,
            &["staging", "dev"],
        ),
        case(
            "synth unknown stack",
            &["synth", "--out", "{out}", "--stack", "nope"],
            2,
            &["nope", "main"],
        ),
        case(
            "synth lock timeout not a number",
            &["synth", "--out", "{out}", "--lock-timeout", "soon"],
            2,
            &["soon", "lock-timeout"],
        ),
        case(
            "synth lock timeout negative",
            &["synth", "--out", "{out}", "--lock-timeout", "-5"],
            2,
            &["-5"],
        ),
        case(
            "synth lock timeout overflowing u64",
            &[
                "synth",
                "--out",
                "{out}",
                "--lock-timeout",
                "99999999999999999999999",
            ],
            2,
            &["lock-timeout"],
        ),
        case(
            "synth out is a file",
            &["synth", "--out", "{in}/file.txt"],
            2,
            &["file.txt", "not a folder"],
        )
        .file("file.txt", "text"),
        case(
            "synth out env folder is a file",
            &["synth", "--out", "{in}/o"],
            2,
            &["dev", "not a folder"],
        )
        .file("o/dev", "a file where the env folder goes"),
        case(
            "synth params folder is a file",
            &["synth", "--out", "{out}", "--params", "{in}/p"],
            2,
            &["p/dev/main.json", "not a folder"],
        )
        .file("p", "text"),
        case(
            "synth params file malformed",
            &["synth", "--out", "{out}"],
            2,
            &["main.json", "JSON"],
        )
        .file("params/dev/main.json", "{\"Parameters\": {"),
        case(
            "synth params file names an unknown parameter",
            &["synth", "--out", "{out}"],
            1,
            &["main.json", "Nope"],
        )
        .file(
            "params/dev/main.json",
            "{\"Parameters\": {\"Nope\": \"x\"}}",
        ),
        case(
            "synth params file for an unknown stack",
            &["synth", "--out", "{out}"],
            1,
            &["ghost.json", "stack"],
        )
        .file("params/dev/ghost.json", "{\"Parameters\": {}}"),
        case(
            "synth params file is a JSON list",
            &["synth", "--out", "{out}"],
            2,
            &["main.json", "Parameters"],
        )
        .file("params/dev/main.json", "[1, 2]"),
        case(
            "synth rules folder missing",
            &["synth", "--out", "{out}", "--rules", "{in}/rules"],
            2,
            &["rules", "no such"],
        ),
        case(
            "synth rules file not guard",
            &["synth", "--out", "{out}", "--rules", "{in}/rules"],
            2,
            &["bad.guard"],
        )
        .file("rules/bad.guard", "rule oops when { this is not guard"),
        case(
            "synth --check and --init-params together",
            &["synth", "--out", "{out}", "--check", "--init-params"],
            2,
            &["--check", "--init-params"],
        ),
        case(
            "list unknown environment",
            &["list", "--env", "staging"],
            2,
            &["staging"],
        ),
        case(
            "graph unknown format",
            &["graph", "--format", "png"],
            2,
            &["png"],
        ),
        case(
            "graph unknown level",
            &["graph", "--level", "atoms"],
            2,
            &["atoms"],
        ),
        case(
            "graph unknown environment",
            &["graph", "--env", "staging"],
            2,
            &["staging"],
        ),
        case(
            "diff against a missing folder",
            &["diff", "--against", "{in}/nope"],
            2,
            &["nope", "no such folder"],
        ),
        case(
            "diff against a file",
            &["diff", "--against", "{in}/file.txt"],
            2,
            &["file.txt", "folder"],
        )
        .file("file.txt", "text"),
        case(
            "diff against a folder without the environment",
            &["diff", "--against", "{in}/empty"],
            2,
            &["dev", "does not exist"],
        )
        .file("empty/README", "nothing"),
        case(
            "diff unknown fail-on class",
            &["diff", "--fail-on", "everything"],
            2,
            &["everything"],
        ),
        case(
            "check a missing file",
            &["check", "{in}/nope.json"],
            2,
            &["nope.json", "no such"],
        ),
        case(
            "check paths and env together",
            &["check", "--env", "dev", "{in}"],
            2,
            &["--env", "PATH"],
        ),
        case(
            "check a folder without templates",
            &["check", "{in}/empty"],
            2,
            &["empty", "no template"],
        )
        .file("empty/README.md", "nothing here"),
        case(
            "deploy unknown environment",
            &["deploy", "--env", "staging", "--dry-run"],
            2,
            &["staging"],
        ),
        case(
            "deploy unknown stack",
            &[
                "deploy",
                "--stack",
                "nope",
                "--dry-run",
                "--templates",
                "{out}",
            ],
            2,
            &["nope", "main"],
        ),
        case(
            "deploy parameter without a stack",
            &[
                "deploy",
                "--dry-run",
                "--templates",
                "{out}",
                "--parameter",
                "Key=value",
            ],
            2,
            &["Key=value", "STACK:KEY=VALUE"],
        ),
        case(
            "deploy parameter without a key",
            &[
                "deploy",
                "--dry-run",
                "--templates",
                "{out}",
                "--parameter",
                "main:=value",
            ],
            2,
            &["main:=value", "KEY"],
        ),
        case(
            "deploy parameter for an unknown stack",
            &[
                "deploy",
                "--dry-run",
                "--templates",
                "{out}",
                "--parameter",
                "ghost:Key=v",
            ],
            2,
            &["ghost"],
        ),
        case(
            "deploy parameter unknown to the template",
            &[
                "deploy",
                "--dry-run",
                "--templates",
                "{out}",
                "--parameter",
                "main:Nope=v",
            ],
            2,
            &["Nope", "main"],
        ),
        case(
            "deploy templates folder missing",
            &["deploy", "--dry-run", "--templates", "{in}/nope"],
            2,
            &["nope"],
        ),
        case(
            "new into a non-empty folder",
            &["new", "{in}/app"],
            2,
            &["app", "not an empty folder"],
        )
        .file("app/keep.txt", "mine"),
        case(
            "new with an invalid name",
            &["new", "{in}/app2", "--name", "Bad Name!"],
            2,
            &["Bad Name!", "name"],
        ),
        case(
            "new with a missing stackforge path",
            &["new", "{in}/app3", "--stackforge-path", "{in}/nowhere"],
            2,
            &["nowhere"],
        ),
        case(
            "new onto a file",
            &["new", "{in}/file.txt"],
            2,
            &["file.txt"],
        )
        .file("file.txt", "text"),
    ]
}
