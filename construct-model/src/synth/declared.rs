//! Declared renames and moves checked against the app itself: a declaration whose new path
//! holds no resource is a typo or a leftover, and is an error in every synth, with or
//! without committed templates to compare with.

use crate::app::App;
use crate::error::Error;
use crate::path::ConstructPath;

/// Paths suggested for a declaration that matches nothing.
const SUGGESTIONS: usize = 3;

impl App {
    /// One error per declared rename or move (`app.declare_move`, `stack.declare_rename`)
    /// with no resource at or below its new path, naming the nearest paths that exist.
    pub(super) fn unmatched_declarations(&self) -> Vec<Error> {
        let paths: Vec<&ConstructPath> = self
            .stacks
            .iter()
            .flat_map(|s| s.resources.values().map(|r| &r.path))
            .collect();
        let declared = self
            .refactors
            .iter()
            .map(|d| ("app.declare_move", d))
            .chain(self.stacks.iter().flat_map(|s| {
                s.declared_refactors
                    .iter()
                    .map(|d| ("stack.declare_rename", d))
            }));
        let mut errors = Vec::new();
        for (call, d) in declared {
            if paths.iter().any(|p| p.is_within(&d.to)) {
                continue;
            }
            let near = nearest(d.to.as_str(), &paths);
            let fix = if near.is_empty() {
                "add the construct at that path, or remove the declaration".to_owned()
            } else {
                format!(
                    "correct the path (nearest existing: {}), or remove the declaration",
                    near.iter()
                        .map(|p| format!("`{p}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            errors.push(Error::invalid_props(
                d.to.as_str(),
                call,
                format!(
                    "`{call}(\"{}\", \"{}\")` matches no resource: nothing of the app is at or below `{}`",
                    d.from, d.to, d.to
                ),
                fix,
            ));
        }
        errors
    }
}

/// The construct paths (resources and their parents) nearest to `target` by edit distance.
fn nearest(target: &str, paths: &[&ConstructPath]) -> Vec<String> {
    let mut candidates: Vec<String> = Vec::new();
    for p in paths {
        let mut at = Some((*p).clone());
        while let Some(c) = at {
            if !candidates.iter().any(|x| x == c.as_str()) {
                candidates.push(c.as_str().to_owned());
            }
            at = c.parent();
        }
    }
    let mut scored: Vec<(usize, String)> = candidates
        .into_iter()
        .map(|c| (strsim::levenshtein(target, &c), c))
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(SUGGESTIONS)
        .map(|(_, c)| c)
        .collect()
}
