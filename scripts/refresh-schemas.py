#!/usr/bin/env python3
"""Refresh the vendored CloudFormation resource schemas in constructs/schemas/.

Inputs, both pinned so the output is the same bytes on every machine:
  * the resource provider schemas shipped by cfn-lint (CFN_LINT_VERSION), read from the
    installed `cfnlint` package;
  * descriptions from the npm package @aws-cdk/aws-service-spec (SERVICE_SPEC_VERSION),
    fetched with `npm pack` into a temporary folder. They fill in the `description` of the
    resource, its properties and its definitions' properties where cfn-lint has none.

Usage (from the repository root):
  python3 -m venv .venv && .venv/bin/pip install cfn-lint==1.58.0
  .venv/bin/python scripts/refresh-schemas.py
  cargo xtask codegen

The types to vendor are listed in constructs/schemas/types.txt, one per line.
"""

import gzip
import json
import pathlib
import subprocess
import sys
import tarfile
import tempfile

CFN_LINT_VERSION = "1.58.0"
SERVICE_SPEC = "@aws-cdk/aws-service-spec"
SERVICE_SPEC_VERSION = "0.1.216"

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "constructs" / "schemas"


def fail(message):
    print(f"refresh-schemas: {message}", file=sys.stderr)
    sys.exit(1)


def cfnlint_schemas():
    """The folder holding cfn-lint's schemas, after checking its version is the pinned one."""
    try:
        import cfnlint
        from cfnlint.version import __version__ as version
    except ImportError:
        version = None
    if version != CFN_LINT_VERSION:
        found = f"cfn-lint {version}" if version else "no cfn-lint"
        fail(
            f"needs cfn-lint=={CFN_LINT_VERSION} but this Python ({sys.executable}) has {found}.\n"
            f"  python3 -m venv .venv && .venv/bin/pip install cfn-lint=={CFN_LINT_VERSION}\n"
            f"  .venv/bin/python scripts/refresh-schemas.py"
        )
    return pathlib.Path(cfnlint.__file__).parent / "data" / "schemas"


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


def file_name(type_name):
    return type_name.lower().replace("::", "-") + ".json"


def main():
    types = [
        line.strip()
        for line in (SCHEMAS / "types.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    schemas = cfnlint_schemas()
    providers = json.loads((schemas / "providers" / "us-east-1.json").read_text())
    docs = spec_docs(service_spec())

    wanted = set()
    for type_name in types:
        if type_name not in providers:
            fail(f"{type_name} is not a resource type known to cfn-lint {CFN_LINT_VERSION}")
        schema = json.loads((schemas / "resources" / f"{providers[type_name]}.json").read_text())
        if type_name in docs:
            merge_descriptions(schema, *docs[type_name])
        name = file_name(type_name)
        wanted.add(name)
        text = json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        (SCHEMAS / name).write_text(text)

    for stale in SCHEMAS.glob("aws-*.json"):
        if stale.name not in wanted:
            stale.unlink()
    print(f"refresh-schemas: wrote {len(wanted)} schemas to {SCHEMAS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
