//! Sizes of the template model's types. Every resource of every template holds many of
//! them, and synthesis holds each template up to three times (declared, drafted, read back),
//! so a type that grows makes synth's peak memory grow with it (`cargo bench --bench synth
//! -- --heap` prints it). These bounds keep them from growing back: box a new large, rare
//! variant or field instead of raising a bound.

use std::mem::size_of;

use stackforge_constructs::expr::{ConditionRef, Reference, StackKey};
use stackforge_constructs::template::ResourceDef;
use stackforge_constructs::{Expr, IndexMap};

#[test]
fn template_model_types_stay_small() {
    // Largest variants today: `Map` (an `IndexMap` is 72 bytes) and `GetAtt` (a reference
    // and the attribute name). Before issue 21: 104 bytes (`Sub` with its variables inline).
    let cases = [
        ("Expr", size_of::<Expr>(), 80),
        (
            "IndexMap<String, Expr>",
            size_of::<IndexMap<String, Expr>>(),
            72,
        ),
        // Was 72: the stack key is one shared pointer.
        ("Reference", size_of::<Reference>(), 48),
        ("StackKey", size_of::<StackKey>(), 8),
        ("ConditionRef", size_of::<ConditionRef>(), 24),
        // Was 432: the creation and update policies are boxed.
        ("ResourceDef", size_of::<ResourceDef>(), 240),
    ];
    let too_large: Vec<String> = cases
        .iter()
        .filter(|(_, size, max)| size > max)
        .map(|(name, size, max)| format!("{name} is {size} bytes, over {max}"))
        .collect();
    assert!(too_large.is_empty(), "{}", too_large.join("; "));
}
