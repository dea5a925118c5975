//! Indentation by bracket depth, before rustfmt: rustfmt leaves a statement it cannot fit
//! (a string longer than a line) exactly as written, so the generated code is written with
//! line breaks and indented here, and stays readable either way. Lines inside string
//! literals (raw strings of scripts and JSON) are never touched.

/// Where the scanner is, carried from one line to the next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Code,
    /// In `"..."`.
    Str,
    /// In `r#"..."#` with this many `#`.
    Raw(usize),
}

/// Re-indents `code` by 4 spaces per line holding open brackets (`f([` opens one level).
pub fn indent(code: &str) -> String {
    let mut out = String::with_capacity(code.len() + code.len() / 4);
    // The line each open bracket was opened on.
    let mut open: Vec<usize> = Vec::new();
    let levels = |open: &[usize]| {
        let mut lines = open.to_vec();
        lines.dedup();
        lines.len()
    };
    let mut state = State::Code;
    for (n, line) in code.lines().enumerate() {
        if state != State::Code {
            out.push_str(line);
        } else {
            let trimmed = line.trim_start();
            let closers = trimmed
                .chars()
                .take_while(|c| matches!(c, ')' | ']' | '}'))
                .count();
            if !trimmed.is_empty() {
                let still_open = &open[..open.len().saturating_sub(closers)];
                // A method-chain line (`.prop(..)`) continues the line above it.
                let chained = usize::from(trimmed.starts_with('.'));
                out.push_str(&"    ".repeat(levels(still_open) + chained));
            }
            out.push_str(trimmed);
        }
        out.push('\n');
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match state {
                State::Code => match c {
                    '/' if chars.get(i + 1) == Some(&'/') => break,
                    '"' => state = State::Str,
                    'r' if chars.get(i + 1).is_some_and(|n| *n == '#' || *n == '"')
                        && (i == 0 || !chars[i - 1].is_alphanumeric() && chars[i - 1] != '_') =>
                    {
                        let hashes = chars[i + 1..].iter().take_while(|c| **c == '#').count();
                        if chars.get(i + 1 + hashes) == Some(&'"') {
                            state = State::Raw(hashes);
                            i += hashes + 1;
                        }
                    }
                    '(' | '[' | '{' => open.push(n),
                    ')' | ']' | '}' => {
                        open.pop();
                    }
                    _ => {}
                },
                State::Str => match c {
                    '\\' => i += 1,
                    '"' => state = State::Code,
                    _ => {}
                },
                State::Raw(n) => {
                    if c == '"' && chars[i + 1..].iter().take(n).filter(|c| **c == '#').count() == n
                    {
                        state = State::Code;
                        i += n;
                    }
                }
            }
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brackets_indent_and_strings_are_left_alone() {
        let code = "f([\na,\ng(r#\"x\n  (keep\n\"#),\n\"(\",\n])\n";
        assert_eq!(
            indent(code),
            "f([\n    a,\n    g(r#\"x\n  (keep\n\"#),\n    \"(\",\n])\n"
        );
    }
}
