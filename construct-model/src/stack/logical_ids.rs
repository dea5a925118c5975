//! What a stack declares about its logical IDs: renames, overrides, accepted replacements
//! and refactors (moves that keep the IDs deployed resources have), and the declarations
//! synthesis found unused.

use super::{KeptSubtree, Stack};
use crate::change::refactor::DeclaredRefactor;
use crate::error::{Error, Result};
use crate::logical_id::is_valid_logical_id;
use crate::path::ConstructPath;

impl Stack {
    /// Renames a computed logical ID (for migrations: keep `to`, the ID the deployed stack
    /// has). Declare renames before adding constructs; a rename that matches nothing is an
    /// error at synth.
    pub fn rename_logical_id(&mut self, from: &str, to: &str) -> Result<()> {
        self.check_id_target(to)?;
        if self.resources.contains_key(from) {
            return Err(Error::invalid_props(
                &self.stack_name,
                "rename_logical_id",
                format!("the resource with ID `{from}` was added before the rename"),
                "declare renames right after creating the stack, before adding constructs",
            ));
        }
        self.renames.insert(from.to_owned(), (to.to_owned(), false));
        Ok(())
    }

    /// Gives the resource at construct `path` (`network/Vpc/Resource`) the logical ID `id`
    /// instead of the computed one — the way to keep a resource when its construct moves.
    /// Declare overrides before adding constructs; an override that matches no resource is
    /// an error at synth.
    pub fn override_logical_id(&mut self, path: &str, id: &str) -> Result<()> {
        self.check_id_target(id)?;
        if self.resources.values().any(|r| r.path.as_str() == path) {
            return Err(Error::invalid_props(
                path,
                "override_logical_id",
                "the resource was added before the override",
                "declare overrides right after creating the stack, before adding constructs",
            ));
        }
        self.overrides
            .insert(path.to_owned(), (id.to_owned(), false));
        Ok(())
    }

    /// Declares that the resource at construct `path` may get a new logical ID (and so be
    /// replaced on deploy). Without this, the CLI refuses a synth that changes the ID of a
    /// path the committed templates record.
    pub fn allow_replacement(&mut self, path: &str, reason: &str) -> Result<()> {
        if reason.trim().is_empty() {
            return Err(Error::invalid_props(
                path,
                "allow_replacement",
                "the reason is empty",
                "say why replacing this resource is intended",
            ));
        }
        let Some(parsed) = ConstructPath::parse(path) else {
            return Err(Error::invalid_props(
                path,
                "allow_replacement",
                "not a construct path (it has an empty component)",
                "pass the path as `stackforge:path` in the template metadata shows it",
            ));
        };
        self.accepted_replacements.insert(parsed, reason.to_owned());
        Ok(())
    }

    /// Declares that construct subtree `from` of this stack is renamed to `to` (also in this
    /// stack): `synth` accepts the new logical IDs of its committed resources and records the
    /// resource mappings in the manifest, and `deploy` renames them with CloudFormation stack
    /// refactoring before updating the stack, so nothing is replaced. Keep the declaration
    /// until every environment was deployed with it. See [`App::declare_move`](crate::App::declare_move) for moves
    /// across stacks.
    pub fn declare_rename(&mut self, from: impl AsRef<str>, to: impl AsRef<str>) -> Result<()> {
        let (from, to) = refactor_paths("declare_rename", from.as_ref(), to.as_ref())?;
        for p in [&from, &to] {
            if p.stack() != self.name() {
                return Err(Error::invalid_props(
                    p.as_str(),
                    "declare_rename",
                    format!("the path is not in stack `{}`", self.name()),
                    "declare a move between stacks with `app.declare_move(from, to)`",
                ));
            }
        }
        self.declared_refactors.push(DeclaredRefactor { from, to });
        Ok(())
    }

    /// Gives every resource below construct subtree `new` the logical ID its counterpart
    /// below `old` had (the ID computed from the `old` path), so renaming or re-nesting a
    /// construct replaces nothing. Both paths must be in this stack (a logical ID is kept only
    /// inside its stack; see [`App::declare_move`](crate::App::declare_move) for moves). Declare it before adding
    /// constructs; one that matches no resource is an error at synth.
    pub fn keep_logical_ids_of(
        &mut self,
        old: impl AsRef<str>,
        new: impl AsRef<str>,
    ) -> Result<()> {
        let (old, new) = refactor_paths("keep_logical_ids_of", old.as_ref(), new.as_ref())?;
        for p in [&old, &new] {
            if p.stack() != self.name() {
                return Err(Error::invalid_props(
                    p.as_str(),
                    "keep_logical_ids_of",
                    format!("the path is not in stack `{}`: a logical ID is kept only inside its stack", self.name()),
                    "declare a move between stacks with `app.declare_move(from, to)`, which stack refactoring carries out",
                ));
            }
        }
        if self.resources.values().any(|r| r.path.is_within(&new)) {
            return Err(Error::invalid_props(
                new.as_str(),
                "keep_logical_ids_of",
                "resources below the path were added before the declaration",
                "declare it right after creating the stack, before adding constructs",
            ));
        }
        self.kept_subtrees.push(KeptSubtree {
            old,
            new,
            used: false,
        });
        Ok(())
    }

    pub(crate) fn unused_renames_and_overrides(&self) -> Vec<Error> {
        let renames = self
            .renames
            .iter()
            .filter(|(_, (_, used))| !used)
            .map(|(from, (to, _))| Error::UnusedRename {
                stack: self.stack_name.clone(),
                from: from.clone(),
                to: to.clone(),
            });
        let overrides = self.overrides.iter().filter(|(_, (_, used))| !used).map(|(path, (id, _))| {
            Error::invalid_props(
                path,
                "override_logical_id",
                format!("no resource has this path, so the override to `{id}` is unused"),
                "correct the path (see `stackforge:path` in the template metadata) or remove the override",
            )
        });
        let kept = self.kept_subtrees.iter().filter(|k| !k.used).map(|k| {
            Error::invalid_props(
                k.new.as_str(),
                "keep_logical_ids_of",
                format!("no resource is below the path, so keeping the IDs of `{}` is unused", k.old),
                "correct the path (see `stackforge:path` in the template metadata) or remove the declaration",
            )
        });
        renames.chain(overrides).chain(kept).collect()
    }

    pub(super) fn check_id_target(&self, id: &str) -> Result<()> {
        if is_valid_logical_id(id) {
            Ok(())
        } else {
            Err(Error::InvalidLogicalId {
                path: self.stack_name.clone(),
                logical_id: id.to_owned(),
            })
        }
    }
}

/// The two paths of a refactor declaration, parsed and checked.
pub(crate) fn refactor_paths(
    what: &str,
    from: &str,
    to: &str,
) -> Result<(ConstructPath, ConstructPath)> {
    let parse = |p: &str| {
        ConstructPath::parse(p).filter(|p| p.depth() > 1).ok_or_else(|| {
            Error::invalid_props(
                p,
                what,
                "not a construct path below a stack (`stack/Construct`, no empty component)",
                "pass the path as `stackforge:path` in the template metadata shows it, or a construct above it",
            )
        })
    };
    let (from, to) = (parse(from)?, parse(to)?);
    if from == to {
        return Err(Error::invalid_props(
            from.as_str(),
            what,
            "both paths are the same",
            "name the old path first and the new one second",
        ));
    }
    Ok((from, to))
}
