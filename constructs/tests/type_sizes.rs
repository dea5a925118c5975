//! Sizes of the template model's types. Every resource of every template holds many of
//! them, and synthesis holds each template up to three times (declared, drafted, read back),
//! so a type that grows makes synth's peak memory grow with it (`cargo bench --bench synth
//! -- --heap` prints it). These bounds keep them from growing back: box a new large, rare
//! variant or field instead of raising a bound.

use std::mem::size_of;

use stackforge_constructs::expr::{ConditionRef, ExprMap, MappingRef, Reference, StackKey};
use stackforge_constructs::template::ResourceDef;
use stackforge_constructs::Expr;

#[test]
fn template_model_types_stay_small() {
    // Largest variants today: a string, a list or a map (24 bytes each), and `GetAtt` (a
    // reference and the attribute name as a `Box<str>`). Before issue 21: 104 bytes (`Sub`
    // with its variables inline); 80 while maps were `IndexMap`s (72 bytes) and references
    // 48; 40 while the names in `GetAtt`, `Sub`, `Join` and `Split` were `String`s.
    let cases = [
        ("Expr", size_of::<Expr>(), 32),
        // Was an `IndexMap` of 72 bytes, with a hash table per map.
        ("ExprMap", size_of::<ExprMap>(), 24),
        // Was 72, then 48: the stack key, then the whole reference, one shared pointer.
        ("Reference", size_of::<Reference>(), 8),
        ("StackKey", size_of::<StackKey>(), 8),
        // Were 24.
        ("ConditionRef", size_of::<ConditionRef>(), 8),
        ("MappingRef", size_of::<MappingRef>(), 8),
        // Was 432: the creation and update policies are boxed; 240 with properties in an
        // `IndexMap`.
        ("ResourceDef", size_of::<ResourceDef>(), 192),
    ];
    let too_large: Vec<String> = cases
        .iter()
        .filter(|(_, size, max)| size > max)
        .map(|(name, size, max)| format!("{name} is {size} bytes, over {max}"))
        .collect();
    assert!(too_large.is_empty(), "{}", too_large.join("; "));
}
