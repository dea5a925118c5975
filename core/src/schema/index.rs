//! The embedded index and its lazily parsed entries.

use std::sync::OnceLock;

use serde_json::Value;

/// One line per type, sorted by type name (see the file's header for the columns).
static INDEX: &str = include_str!("index.txt");
/// The deflated schemas the lines point into.
static SCHEMAS: &[u8] = include_bytes!("schemas.bin");

/// How a resource type takes tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagShape {
    /// A list of `{"Key": .., "Value": ..}` under the named property.
    List(&'static str),
    /// A map of key to value under the named property.
    Map(&'static str),
}

/// A vendored schema that cannot be read (a bug of the generated index, never of the input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError(String);

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SchemaError {}

/// What the index knows about one resource type.
#[derive(Debug)]
pub struct TypeInfo {
    /// The CloudFormation type name.
    pub type_name: &'static str,
    /// How the type takes tags, if it is taggable.
    pub tags: Option<TagShape>,
    /// JSON pointers (`/properties/CidrBlock`) of properties whose change replaces the resource.
    pub create_only: Vec<&'static str>,
    /// Properties whose change may replace the resource, depending on the value.
    pub conditional_create_only: Vec<&'static str>,
    /// The `Fn::GetAtt` attributes, as cfn-lint accepts them: names (`Arn`,
    /// `Endpoint.Address`), a few of them patterns (`Outputs\..*`).
    pub attributes: Vec<&'static str>,
    /// Whether the provider has an update handler (provisioning type `FULLY_MUTABLE`, which
    /// stack refactoring needs); `None` when the schema lists no handlers.
    pub fully_mutable: Option<bool>,
    regions: &'static str,
    schema_at: (usize, usize),
    schema: OnceLock<Result<Value, SchemaError>>,
}

impl TypeInfo {
    /// Whether `Fn::GetAtt` accepts `attribute` on this type (as cfn-lint judges it).
    pub fn has_attribute(&self, attribute: &str) -> bool {
        self.attributes.contains(&attribute)
            || self
                .attributes
                .iter()
                .any(|a| crate::schema::validate::full_match(a, attribute))
    }

    /// Whether the type exists in `region`; `None` when the index does not know the region.
    pub fn available_in(&self, region: &str) -> Option<bool> {
        let i = table().regions.iter().position(|r| *r == region)?;
        Some(bit(self.regions, i))
    }

    /// The regions that have the type.
    pub fn regions(&self) -> Vec<&'static str> {
        let all = &table().regions;
        (0..all.len())
            .filter(|&i| bit(self.regions, i))
            .map(|i| all[i])
            .collect()
    }

    /// The type's resource provider schema (without descriptions), decompressed and parsed on
    /// first use and kept for the process's lifetime.
    pub fn schema(&self) -> Result<&Value, SchemaError> {
        self.schema
            .get_or_init(|| {
                let (start, len) = self.schema_at;
                let bytes = SCHEMAS
                    .get(start..start + len)
                    .ok_or_else(|| self.broken("its schema lies outside schemas.bin"))?;
                let json = miniz_oxide::inflate::decompress_to_vec(bytes)
                    .map_err(|e| self.broken(&format!("its schema does not inflate ({e:?})")))?;
                serde_json::from_slice(&json)
                    .map_err(|e| self.broken(&format!("its schema is not JSON ({e})")))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    fn broken(&self, problem: &str) -> SchemaError {
        SchemaError(format!(
            "the schema index entry of {} is broken: {problem}; regenerate it with `cargo xtask codegen`",
            self.type_name
        ))
    }
}

/// Bit `i` of a hex bit set written lowest nibble first.
fn bit(hex: &str, i: usize) -> bool {
    hex.as_bytes()
        .get(i / 4)
        .and_then(|c| (*c as char).to_digit(16))
        .is_some_and(|n| n & (1 << (i % 4)) != 0)
}

struct Entry {
    name: &'static str,
    line: &'static str,
    info: OnceLock<Option<TypeInfo>>,
}

struct Table {
    cfn_lint: &'static str,
    regions: Vec<&'static str>,
    entries: Vec<Entry>,
}

/// The table of names, built on first use from the index text (one pass over its lines).
fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = Table {
            cfn_lint: "",
            regions: Vec::new(),
            entries: Vec::new(),
        };
        for line in INDEX.lines() {
            if let Some(comment) = line.strip_prefix('#') {
                if let Some(rest) = comment.split("(cfn-lint ").nth(1) {
                    table.cfn_lint = rest.split(')').next().unwrap_or_default();
                }
            } else if let Some(regions) = line.strip_prefix("regions ") {
                table.regions = regions.split(' ').collect();
            } else if let Some((name, _)) = line.split_once('\t') {
                table.entries.push(Entry {
                    name,
                    line,
                    info: OnceLock::new(),
                });
            }
        }
        table
    })
}

/// Parses one index line (`None` if it is malformed, which the index's tests rule out).
fn parse(line: &'static str) -> Option<TypeInfo> {
    let mut columns = line.split('\t');
    let mut next = || columns.next();
    let words = |column: &'static str| -> Vec<&'static str> {
        match column {
            "-" => Vec::new(),
            c => c.split(' ').collect(),
        }
    };
    let type_name = next()?;
    let regions = next()?;
    let tags = match next()?.split_once(':') {
        Some(("list", p)) => Some(TagShape::List(p)),
        Some(("map", p)) => Some(TagShape::Map(p)),
        _ => None,
    };
    Some(TypeInfo {
        type_name,
        regions,
        tags,
        create_only: words(next()?),
        conditional_create_only: words(next()?),
        attributes: words(next()?),
        fully_mutable: match next()? {
            "mutable" => Some(true),
            "immutable" => Some(false),
            _ => None,
        },
        schema_at: (next()?.parse().ok()?, next()?.parse().ok()?),
        schema: OnceLock::new(),
    })
}

/// The facts about `type_name`, if the index has the type (every type of the pinned
/// cfn-lint; not `Custom::*` types or registry extensions).
pub fn type_info(type_name: &str) -> Option<&'static TypeInfo> {
    let entries = &table().entries;
    let i = entries.binary_search_by(|e| e.name.cmp(type_name)).ok()?;
    entries[i]
        .info
        .get_or_init(|| parse(entries[i].line))
        .as_ref()
}

/// Every type name of the index, sorted.
pub fn type_names() -> impl Iterator<Item = &'static str> {
    table().entries.iter().map(|e| e.name)
}

/// Every region the index knows, sorted.
pub fn known_regions() -> &'static [&'static str] {
    &table().regions
}

pub(super) fn cfn_lint_version() -> &'static str {
    table().cfn_lint
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_parses_and_is_found() {
        let names: Vec<&str> = type_names().collect();
        assert!(names.len() > 1800, "{} types", names.len());
        assert!(
            names.windows(2).all(|w| w[0] < w[1]),
            "the index is not sorted"
        );
        for name in names {
            let info = type_info(name).unwrap_or_else(|| panic!("{name} does not parse"));
            assert_eq!(info.type_name, name);
            assert!(!info.regions().is_empty(), "{name} is in no region");
        }
        assert_eq!(cfn_lint_version(), "1.58.0");
    }

    #[test]
    fn every_schema_inflates() {
        for name in type_names() {
            let schema = type_info(name).unwrap().schema().unwrap();
            assert!(schema.is_object(), "{name}");
        }
    }

    #[test]
    fn facts_of_a_known_type() {
        let vpc = type_info("AWS::EC2::VPC").unwrap();
        assert_eq!(vpc.tags, Some(TagShape::List("Tags")));
        assert!(vpc.create_only.contains(&"/properties/CidrBlock"));
        assert!(vpc.has_attribute("CidrBlock"));
        assert!(!vpc.has_attribute("CidrBlok"));
        assert_eq!(vpc.available_in("us-east-1"), Some(true));
        assert_eq!(vpc.available_in("moon-1"), None);
        let vault = type_info("AWS::Backup::BackupVault").unwrap();
        assert_eq!(vault.tags, Some(TagShape::Map("BackupVaultTags")));
        // Stack outputs are a pattern.
        let stack = type_info("AWS::CloudFormation::Stack").unwrap();
        assert!(stack.has_attribute("Outputs.VpcId"));
        assert!(!stack.has_attribute("Arn"));
        assert!(type_info("AWS::SNS::Topik").is_none());
        assert_eq!(vpc.fully_mutable, Some(true));
        let selection = type_info("AWS::Backup::BackupSelection").unwrap();
        assert_eq!(selection.fully_mutable, Some(false));
    }

    #[test]
    fn region_bits_are_read_lowest_first() {
        assert!(bit("1", 0) && !bit("1", 1));
        assert!(bit("8", 3) && bit("01", 4) && !bit("01", 0));
        assert!(!bit("f", 4), "beyond the set");
    }
}
