//! Physical names that must not block re-creating a stack.

use crate::expr::{Expr, Pseudo};

/// The first block (8 hex digits) of the UUID in `AWS::StackId`: different for every
/// creation of a stack. A retained resource with a fixed name (a backup vault, a log group)
/// outlives its stack, and creating the stack again fails on the name ("already exists");
/// with this suffix the new stack's resource gets a new name.
pub(crate) fn stack_creation_suffix() -> Expr {
    Expr::select(
        0,
        Expr::split(
            "-",
            Expr::select(2, Expr::split("/", Expr::Pseudo(Pseudo::StackId))),
        ),
    )
}
