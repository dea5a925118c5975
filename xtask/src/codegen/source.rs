//! The vendored source of truth: `catalog/schemas/resource-schemas.json.gz`, written by
//! `scripts/refresh-schemas` (every type of the pinned cfn-lint, with its regions and the
//! `Fn::GetAtt` attributes cfn-lint accepts).

use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};
use serde_json::Value;

/// Path of the vendored schemas, relative to the repository root.
pub const SOURCE: &str = "catalog/schemas/resource-schemas.json.gz";

/// One resource type of the source.
#[derive(Debug)]
pub struct TypeData {
    pub name: String,
    /// Regions that have the type, in the order of [`Source::regions`].
    pub regions: Vec<String>,
    /// `Fn::GetAtt` attribute names (or cfn-lint patterns such as `Outputs\..*`).
    pub get_atts: Vec<String>,
    /// The provider's handler names (`create`, `update`, ...); empty when the schema has none.
    pub handlers: Vec<String>,
    /// The resource provider schema, descriptions merged in.
    pub schema: Value,
}

/// Everything the vendored file holds.
#[derive(Debug)]
pub struct Source {
    /// `1.58.0`
    pub cfn_lint: String,
    /// Every region, sorted.
    pub regions: Vec<String>,
    /// Every type, sorted by name.
    pub types: Vec<TypeData>,
}

/// Reads and decompresses the vendored file.
pub fn load(root: &Path) -> Result<Source> {
    let path = root.join(SOURCE);
    let bytes = std::fs::read(&path)
        .with_context(|| format!("reading {SOURCE} (run scripts/refresh-schemas)"))?;
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes.as_slice())
        .read_to_string(&mut text)
        .with_context(|| format!("decompressing {SOURCE}"))?;
    let mut data: Value =
        serde_json::from_str(&text).with_context(|| format!("parsing {SOURCE}"))?;
    let strings = |v: &Value, what: &str| -> Result<Vec<String>> {
        v.as_array()
            .with_context(|| format!("{SOURCE}: {what} is not a list"))?
            .iter()
            .map(|s| s.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .with_context(|| format!("{SOURCE}: {what} holds a non-string"))
    };
    let regions = strings(&data["regions"], "regions")?;
    let cfn_lint = data["cfnLint"].as_str().unwrap_or_default().to_owned();
    let Some(Value::Object(types)) = data.get_mut("types").map(Value::take) else {
        bail!("{SOURCE} has no types");
    };
    let mut out = Vec::with_capacity(types.len());
    for (name, mut entry) in types {
        let schema = entry["schema"].take();
        if schema["typeName"] != name.as_str() {
            bail!(
                "{SOURCE}: the schema under {name} describes {}",
                schema["typeName"]
            );
        }
        let type_regions = strings(&entry["regions"], &format!("{name}.regions"))?;
        if let Some(r) = type_regions.iter().find(|r| !regions.contains(r)) {
            bail!("{SOURCE}: {name} names the unknown region {r}");
        }
        out.push(TypeData {
            get_atts: strings(&entry["getAtts"], &format!("{name}.getAtts"))?,
            handlers: strings(&entry["handlers"], &format!("{name}.handlers"))?,
            regions: type_regions,
            name,
            schema,
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Source {
        cfn_lint,
        regions,
        types: out,
    })
}
