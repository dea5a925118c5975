//! The one place that decides how a resource is written: [`ResourceEmitter`]. Migration uses
//! the typed emitter (`typed::TypedEmitter`: the catalog struct where the values fit it),
//! which falls back to [`RawEmitter`] (type name + property map, validated against the
//! vendored schema at synth).

use stackforge_construct_model::ResourceDef;

use super::rust_expr::{string_lit, Ctx};

/// Writes the call adding one resource to the root scope `root`.
pub trait ResourceEmitter {
    /// The expression adding resource `id` (a `Result` of its handle; the caller adds `?`).
    /// `options` is the code of its `ResourceOptions`.
    fn emit(&self, id: &str, resource: &ResourceDef, options: &str, ctx: &mut Ctx) -> String;
}

/// Emits every resource as a raw resource with its properties in template order.
#[derive(Debug, Default, Clone, Copy)]
pub struct RawEmitter;

impl ResourceEmitter for RawEmitter {
    fn emit(&self, id: &str, resource: &ResourceDef, options: &str, ctx: &mut Ctx) -> String {
        ctx.imports.insert("RawResource");
        let mut raw = format!("RawResource::new({})", string_lit(&resource.type_name));
        for (name, value) in &resource.properties {
            raw.push_str(&format!(
                "\n.prop({}, {})",
                string_lit(name),
                ctx.convertible(value)
            ));
        }
        format!("root.add_raw(\n{},\n{raw},\n{options},\n)", string_lit(id))
    }
}
