#!/usr/bin/env python3
"""Refresh the vendored CloudFormation resource schemas (catalog/schemas/resource-schemas.json.gz).

The one file is the source of truth of every resource type: `cargo xtask codegen` generates
the typed catalog (catalog/src/) and the schema index (core/src/schema/) from it.

Inputs, both pinned so the output is the same bytes on every machine:
  * the resource provider schemas shipped by cfn-lint (CFN_LINT_VERSION), read from the
    installed `cfnlint` package: every type of every region (the union), the regions that
    have it, and the `Fn::GetAtt` attributes cfn-lint accepts for it;
  * descriptions from the npm package @aws-cdk/aws-service-spec (SERVICE_SPEC_VERSION),
    fetched with `npm pack` into a temporary folder. They fill in the `description` of the
    resource, its properties and its definitions' properties where cfn-lint has none.

Run it through scripts/refresh-schemas, which sets up the pinned cfn-lint and regenerates.
"""

import gzip
import json
import pathlib
import subprocess
import sys
import tarfile
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent


def pinned_cfn_lint():
    """The cfn-lint version scripts/requirements-test.txt pins (the one place it is set)."""
    for line in (ROOT / "scripts" / "requirements-test.txt").read_text().splitlines():
        if line.startswith("cfn-lint=="):
            return line.split("==", 1)[1].strip()
    sys.exit("scripts/requirements-test.txt does not pin cfn-lint")


CFN_LINT_VERSION = pinned_cfn_lint()
SERVICE_SPEC = "@aws-cdk/aws-service-spec"
SERVICE_SPEC_VERSION = "0.1.216"

OUTPUT = ROOT / "catalog" / "schemas" / "resource-schemas.json.gz"

# The region cfn-lint prefers when a type's schema differs between regions.
PREFERRED_REGION = "us-east-1"
# cfn-lint's pseudo-region holding the AWS::Serverless (SAM transform) types: they exist only
# before the transform runs, so they are not CloudFormation resource types.
TRANSFORM_PSEUDO_REGIONS = {"sam"}
# Left out of the schema to save space: the handlers' IAM permissions. Only the handler names
# are kept, in the type's "handlers" list (an update handler makes the type FULLY_MUTABLE,
# which stack refactoring needs).
DROPPED_KEYS = {"handlers"}


def fail(message):
    print(f"refresh-schemas: {message}", file=sys.stderr)
    sys.exit(1)


def cfnlint_manager():
    """cfn-lint's schema manager over its bundled schemas, after checking its version."""
    try:
        import cfnlint
        from cfnlint.schema.manager import ProviderSchemaManager
        from cfnlint.version import __version__ as version
    except ImportError:
        version = None
    if version != CFN_LINT_VERSION:
        found = f"cfn-lint {version}" if version else "no cfn-lint"
        fail(
            f"needs cfn-lint=={CFN_LINT_VERSION} but this Python ({sys.executable}) has {found}.\n"
            f"  run scripts/refresh-schemas, which installs it into .venv"
        )
    data = pathlib.Path(cfnlint.__file__).parent / "data" / "schemas"
    # The bundled files, never a newer download in the user's cache: same bytes everywhere.
    manager = ProviderSchemaManager(
        providers_dir=data / "providers", resources_dir=data / "resources"
    )
    return manager, data / "providers"


def service_spec():
    """The service spec database (db.json.gz of the pinned npm package)."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = f"{SERVICE_SPEC}@{SERVICE_SPEC_VERSION}"
        try:
            out = subprocess.run(
                ["npm", "pack", spec, "--silent", "--pack-destination", tmp],
                check=True,
                capture_output=True,
                text=True,
            )
        except (OSError, subprocess.CalledProcessError) as e:
            fail(f"`npm pack {spec}` failed: {getattr(e, 'stderr', '') or e}")
        tarball = pathlib.Path(tmp) / out.stdout.strip().splitlines()[-1]
        with tarfile.open(tarball) as tar:
            member = tar.extractfile("package/db.json.gz")
            if member is None:
                fail(f"{spec} has no db.json.gz")
            return json.loads(gzip.decompress(member.read()))["schema"]


def spec_docs(db):
    """Maps a type name to (resource entity, {definition name: type definition entity})."""
    type_defs = {e["$id"]: e for e in db["typeDefinition"]["entities"]}
    uses = db["usesType"]["forward"]
    docs = {}
    for resource in db["resource"]["entities"]:
        defs = {}
        for link in uses.get(resource["$id"], []):
            td = type_defs[link["$id"]]
            defs.setdefault(td["name"], td)
        docs[resource["cloudFormationType"]] = (resource, defs)
    return docs


def fill(target, doc):
    """Sets target's description from doc when target has none."""
    if doc and not target.get("description"):
        target["description"] = doc


def fill_properties(properties, spec_props, spec_attrs):
    for name, prop in properties.items():
        doc = spec_props.get(name, {}).get("documentation")
        doc = doc or spec_attrs.get(name, {}).get("documentation")
        fill(prop, doc)


def merge_descriptions(schema, resource, defs):
    fill(schema, resource.get("documentation"))
    fill_properties(
        schema.get("properties", {}),
        resource.get("properties", {}),
        resource.get("attributes", {}),
    )
    for name, definition in schema.get("definitions", {}).items():
        td = defs.get(name)
        if td is None:
            continue
        fill(definition, td.get("documentation"))
        fill_properties(definition.get("properties", {}), td.get("properties", {}), {})


def region_types(providers):
    """{region: {type name: schema hash}} for every real region."""
    out = {}
    for path in sorted(providers.glob("*.json")):
        if path.stem in TRANSFORM_PSEUDO_REGIONS:
            continue
        out[path.stem] = json.loads(path.read_text())
    if PREFERRED_REGION not in out:
        fail(f"cfn-lint has no provider file for {PREFERRED_REGION}")
    return out


def main():
    manager, providers = cfnlint_manager()
    by_region = region_types(providers)
    regions = sorted(by_region)
    docs = spec_docs(service_spec())

    names = sorted({t for types in by_region.values() for t in types})
    types = {}
    differing = 0
    for type_name in names:
        have = [r for r in regions if type_name in by_region[r]]
        hashes = {by_region[r][type_name] for r in have}
        differing += len(hashes) > 1
        # One schema per type: the preferred region's, else the first region's.
        source = PREFERRED_REGION if PREFERRED_REGION in have else have[0]
        loaded = manager.get_resource_schema(source, type_name)
        schema = {k: v for k, v in json.loads(json.dumps(loaded.schema)).items()
                  if k not in DROPPED_KEYS}
        if type_name in docs:
            merge_descriptions(schema, *docs[type_name])
        types[type_name] = {
            "handlers": sorted(loaded.schema.get("handlers", {})),
            "regions": have,
            "getAtts": sorted(manager.get_type_getatts(type_name, source).keys()),
            "schema": schema,
        }

    data = {
        "cfnLint": CFN_LINT_VERSION,
        "serviceSpec": f"{SERVICE_SPEC}@{SERVICE_SPEC_VERSION}",
        "regions": regions,
        "types": types,
    }
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_bytes(gzip.compress(text.encode(), compresslevel=9, mtime=0))
    note = f", {differing} differ between regions (kept {PREFERRED_REGION}'s)" if differing else ""
    print(
        f"refresh-schemas: {len(types)} types in {len(regions)} regions{note} -> "
        f"{OUTPUT.relative_to(ROOT)} ({OUTPUT.stat().st_size} bytes)"
    )


if __name__ == "__main__":
    main()
