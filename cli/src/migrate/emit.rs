//! The one place that decides how a resource is written: [`ResourceEmitter`]. Today every
//! resource is a [`RawResource`](stackforge_constructs::RawResource) (type name + property
//! map, validated against the vendored schema at synth). When the typed catalog lands, a
//! typed emitter implements the same trait (`root.add_with("Bucket", s3::Bucket { .. },
//! options)`, raw only where no type exists) and nothing else in `migrate` changes.

use stackforge_constructs::ResourceDef;

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
