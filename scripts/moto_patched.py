"""moto_server with the patches stackforge's deploy end-to-end test needs.

moto 5.2.5 (the newest) emulates CloudFormation well enough for `aws cloudformation deploy`
to run, but a few defects make it behave unlike CloudFormation. Each patch below makes the
emulator do what CloudFormation does; none relaxes a check. docs/deploy-testing.md lists them.

Usage (same arguments as moto_server):  python scripts/moto_patched.py -H 127.0.0.1 -p PORT
To see what a patch fixes, leave it out: MOTO_PATCHES_WITHOUT=name,name python scripts/...
"""

import os
import sys
import warnings

import moto
from moto.cloudformation import models as cfn_models
from moto.cloudformation import parsing
from moto.cloudformation import responses as cfn_responses
from moto.cloudformation.exceptions import ValidationError
from moto.core.responses import ActionResult
from moto.core.utils import utcnow

MOTO_VERSION = "5.2.5"

# Name -> one line: what the patch makes the emulator do. Printed at start-up.
PATCHES = {}


def patch(name, summary):
    """Registers a patch function under `name`; `apply_all` runs it."""

    def register(fn):
        PATCHES[name] = (summary, fn)
        return fn

    return register


def _reason(exc):
    """The status reason CloudFormation would show for a failed resource."""
    message = getattr(exc, "message", None)
    if message:
        code = getattr(exc, "error_type", None) or getattr(exc, "code", None)
        return f"{message} (Service: {code})" if code else str(message)
    return f"{type(exc).__name__}: {exc}"


def _stack(account_id, region_name, stack_id):
    """The stack a resource map belongs to (None for stacks moto builds internally)."""
    return cfn_models.cloudformation_backends[account_id][region_name].stacks.get(stack_id)


def _event(stack, logical_id, resource_type, status, reason=None, physical_id=None):
    """Appends a resource event, as CloudFormation records one."""
    stack.events.append(
        cfn_models.Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id=physical_id or "",
            resource_type=resource_type,
            resource_status=status,
            resource_status_reason=reason,
            resource_properties=None,
        )
    )


@patch(
    "resource-events",
    "change-set execution records CREATE/UPDATE_IN_PROGRESS, _COMPLETE and _FAILED events per "
    "resource, with the error as ResourceStatusReason",
)
def _resource_events():
    original_create = parsing.parse_and_create_resource
    original_update = parsing.parse_and_update_resource

    def tracked(action, original):
        def wrapper(logical_id, resource_json, resources_map, account_id, region_name):
            stack = _stack(account_id, region_name, resources_map.stack_id)
            rtype = resource_json.get("Type", "")
            condition = resource_json.get("Condition")
            skipped = parsing.resource_class_from_type(rtype) is None or (
                condition and not resources_map.lazy_condition_map[condition]
            )
            if stack is None or skipped or getattr(stack, "_sf_failures", None) is None:
                return original(logical_id, resource_json, resources_map, account_id, region_name)
            if (logical_id, action) not in stack._sf_started:
                stack._sf_started.add((logical_id, action))
                _event(stack, logical_id, rtype, f"{action}_IN_PROGRESS")
            try:
                resource = original(
                    logical_id, resource_json, resources_map, account_id, region_name
                )
            except Exception as exc:
                stack._sf_failures.append((exc, logical_id, rtype, action))
                raise
            physical = getattr(resource, "physical_resource_id", None)
            _event(stack, logical_id, rtype, f"{action}_COMPLETE", physical_id=physical)
            return resource

        return wrapper

    parsing.parse_and_create_resource = tracked("CREATE", original_create)
    parsing.parse_and_update_resource = tracked("UPDATE", original_update)


@patch(
    "change-set-execution",
    "ExecuteChangeSet sees existing exports, publishes the stack's outputs and exports (unique "
    "names), sets LastUpdatedTime on updates, and when a resource fails rolls back to "
    "ROLLBACK_COMPLETE / UPDATE_ROLLBACK_COMPLETE instead of answering HTTP 500",
)
def _change_set_execution():
    def execute_change_set(self, change_set_name, stack_name=None):
        change_set = self.change_sets.get(change_set_name) or next(
            (c for c in self.change_sets.values() if c.change_set_name == change_set_name),
            None,
        )
        if change_set is None:
            raise ValidationError(stack_name)
        stack = self.stacks[change_set.stack_id]
        create = change_set.change_set_type == "CREATE"
        verb = "CREATE" if create else "UPDATE"
        old_template, old_parameters = stack.template, dict(stack.parameters or {})
        old_export_names = [
            e.name for e in self.exports.values() if e.exporting_stack_id == stack.stack_id
        ]

        stack._add_stack_event(f"{verb}_IN_PROGRESS", resource_status_reason="User Initiated")
        stack.status = f"{verb}_IN_PROGRESS"
        if not create:
            stack.last_updated_time = utcnow()
        stack.cross_stack_resources = self.exports
        stack.resource_map.cross_stack_resources = self.exports
        stack._sf_failures, stack._sf_started = [], set()
        try:
            change_set.apply()
            stack.template = change_set.template
            stack._parse_template()
            stack.description = stack.template_dict.get("Description")
            stack.output_map = stack._create_output_map()
            exports = stack.exports
            taken = {
                n for n, e in self.exports.items() if e.exporting_stack_id != stack.stack_id
            }
            for export in exports:
                if export.name in taken:
                    raise ValidationError(
                        stack.stack_id,
                        message=f"Export with name {export.name} is already exported by "
                        "another stack",
                    )
        except Exception as exc:
            failures = stack._sf_failures
            stack._sf_failures = None
            _fail(self, stack, change_set, exc, failures, create, old_template, old_parameters)
            return
        stack._sf_failures = None
        for name in old_export_names:
            self.exports.pop(name, None)
        for export in exports:
            self.exports[export.name] = export
        stack._sf_imports = _imports_of(stack)
        stack.parameters = dict(change_set.parameters or {})
        if change_set.tags is not None:
            stack.tags = change_set.tags
        stack._add_stack_event(f"{verb}_COMPLETE")
        stack.status = f"{verb}_COMPLETE"
        change_set.execution_status = "EXECUTE_COMPLETE"

    cfn_models.CloudFormationBackend.execute_change_set = execute_change_set


def _fail(backend, stack, change_set, exc, failures, create, old_template, old_parameters):
    """Reports a failed execution as CloudFormation does, then rolls back as far as moto can."""
    mine = [f for f in failures if f[0] is exc]
    if mine:
        _, logical_id, rtype, action = mine[0]
        reason = _reason(exc)
        _event(stack, logical_id, rtype, f"{action}_FAILED", reason=reason)
        failed = logical_id
    else:
        # Outputs/exports failed, not a resource: CloudFormation reports it on the stack.
        failed = None
        reason = _reason(exc)
    change_set.execution_status = "EXECUTE_FAILED"
    if create:
        why = (
            f"The following resource(s) failed to create: [{failed}]. Rollback requested by user."
            if failed
            else reason
        )
        stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=why)
        try:
            stack.resource_map.delete()
        except Exception:
            pass
        _restore(stack, old_template)
        stack._add_stack_event("ROLLBACK_COMPLETE")
        stack.status = "ROLLBACK_COMPLETE"
        return
    why = (
        f"The following resource(s) failed to update: [{failed}]." if failed else reason
    )
    stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=why)
    try:
        stack.resource_map.update(stack.parse_template(old_template), old_parameters)
        status = "UPDATE_ROLLBACK_COMPLETE"
    except Exception:
        status = "UPDATE_ROLLBACK_FAILED"
    _restore(stack, old_template)
    stack._add_stack_event(status)
    stack.status = status


def _restore(stack, template):
    """Puts the stack's previous template (and so its previous outputs) back."""
    stack.template = template
    if template:
        stack._parse_template()
    else:
        stack.template_dict = {}
    stack.output_map = stack._create_output_map()


def _add_attributes(cls, attributes):
    """Teaches a moto model Fn::GetAtt attributes CloudFormation documents for its type."""
    has_attr = cls.has_cfn_attr.__func__
    get_attr = getattr(cls, "get_cfn_attribute", None)

    def has_cfn_attr(klass, attr):
        return attr in attributes or has_attr(klass, attr)

    def get_cfn_attribute(self, name):
        if name in attributes:
            return attributes[name](self)
        if get_attr is None:
            from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

            raise UnformattedGetAttTemplateException()
        return get_attr(self, name)

    cls.has_cfn_attr = classmethod(has_cfn_attr)
    cls.get_cfn_attribute = get_cfn_attribute


def _imports_of(stack):
    """Export names the stack's template imports (resolved like the rest of the template)."""
    names = set()

    def walk(node):
        if isinstance(node, dict):
            if "Fn::ImportValue" in node:
                names.add(parsing.clean_json(node["Fn::ImportValue"], stack.resource_map))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(stack.template_dict.get("Resources", {}))
    walk(stack.template_dict.get("Outputs", {}))
    return names


@patch(
    "empty-change-set",
    "CreateChangeSet for an unchanged stack with parameters answers a FAILED change set "
    "(\"didn't contain changes\"), as CloudFormation does, instead of rejecting the request",
)
def _empty_change_set():
    cls = cfn_responses.CloudFormationResponse
    create_change_set = cls.create_change_set
    validate = cls._validate_different_update

    def create(self):
        # The backend marks the unchanged change set FAILED itself; UpdateStack keeps the check.
        self._sf_in_change_set = True
        try:
            return create_change_set(self)
        finally:
            self._sf_in_change_set = False

    def validate_different_update(self, *args, **kwargs):
        if getattr(self, "_sf_in_change_set", False):
            return None
        return validate(self, *args, **kwargs)

    cls.create_change_set = create
    cls._validate_different_update = validate_different_update


@patch("list-imports", "ListImports answers which stacks import an export (moto lacks the action)")
def _list_imports():
    def list_imports(self):
        name = self._get_param("ExportName")
        importers = [
            s.name
            for s in self.cloudformation_backend.stacks.values()
            if name in getattr(s, "_sf_imports", ())
        ]
        if not importers:
            raise ValidationError(message=f"Export '{name}' is not imported by any stack.")
        return ActionResult({"Imports": importers})

    cfn_responses.CloudFormationResponse.list_imports = list_imports


@patch("kms-key-tags", "AWS::KMS::Key accepts CloudFormation's Key/Value tags")
def _kms_key_tags():
    from moto.kms import models as kms_models

    original = kms_models.Key.create_from_cloudformation_json.__func__

    def create(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        props["Tags"] = [
            {"TagKey": t["Key"], "TagValue": t["Value"]} for t in props.get("Tags", [])
        ]
        return original(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs)

    kms_models.Key.create_from_cloudformation_json = classmethod(create)


@patch(
    "rds-parameter-group-ref",
    "Ref to an AWS::RDS::DBParameterGroup resolves to its name (moto returned the Python object, "
    "which crashed DB instance creation)",
)
def _rds_parameter_group_ref():
    from moto.rds import models as rds_models

    rds_models.DBParameterGroup.physical_resource_id = property(lambda self: self.name)


@patch(
    "rds-instance-properties",
    "AWS::RDS::DBInstance honours VPCSecurityGroups, ManageMasterUserPassword and "
    "MasterUserSecret.KmsKeyId, and answers Fn::GetAtt DBInstanceArn, DbiResourceId and "
    "MasterUserSecret.SecretArn",
)
def _rds_instance_properties():
    from moto.rds import models as rds_models

    cls = rds_models.DBInstance
    original = cls.create_from_cloudformation_json.__func__

    def create(klass, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        props = cloudformation_json["Properties"]
        extra = {
            "vpc_security_group_ids": props.get("VPCSecurityGroups", []),
            "manage_master_user_password": props.get("ManageMasterUserPassword"),
            "master_user_secret_kms_key_id": props.get("MasterUserSecret", {}).get("KmsKeyId"),
        }
        backend = rds_models.rds_backends[account_id][region_name]
        create_db_instance = backend.create_db_instance

        # moto builds the backend arguments inside the method; add the ones it leaves out.
        def with_extra(db_kwargs):
            return create_db_instance({**db_kwargs, **extra})

        backend.create_db_instance = with_extra
        try:
            return original(
                klass, resource_name, cloudformation_json, account_id, region_name, **kwargs
            )
        finally:
            del backend.create_db_instance

    cls.create_from_cloudformation_json = classmethod(create)
    _add_attributes(
        cls,
        {
            "DBInstanceArn": lambda db: db.arn,
            "DbiResourceId": lambda db: db.dbi_resource_id,
            "MasterUserSecret.SecretArn": lambda db: db.master_user_secret.secret_arn,
        },
    )


@patch(
    "elbv2-attributes",
    "Fn::GetAtt LoadBalancerFullName of a load balancer and TargetGroupFullName, "
    "TargetGroupName, TargetGroupArn, LoadBalancerArns of a target group (moto answered a raw "
    "GetAtt object or crashed)",
)
def _elbv2_attributes():
    from moto.elbv2 import models as elbv2_models

    # ARNs end in `loadbalancer/app/<name>/<id>` and `targetgroup/<name>/<id>`.
    _add_attributes(
        elbv2_models.FakeLoadBalancer,
        {"LoadBalancerFullName": lambda lb: lb.arn.split(":loadbalancer/", 1)[1]},
    )
    _add_attributes(
        elbv2_models.FakeTargetGroup,
        {
            "TargetGroupFullName": lambda tg: tg.arn.split(":", 5)[5],
            "TargetGroupName": lambda tg: tg.name,
            "TargetGroupArn": lambda tg: tg.arn,
            "LoadBalancerArns": lambda tg: list(tg.load_balancer_arns),
        },
    )


@patch(
    "ecr-generated-name",
    "an AWS::ECR::Repository without RepositoryName gets a lower-case generated name, as "
    "CloudFormation generates (moto's mixed-case name failed ECR's own name check)",
)
def _ecr_generated_name():
    original = parsing.generate_resource_name

    def generate(resource_type, stack_name, logical_id):
        name = original(resource_type, stack_name, logical_id)
        return name.lower() if resource_type == "AWS::ECR::Repository" else name

    parsing.generate_resource_name = generate


@patch(
    "sub-dotted-attributes",
    "Fn::Sub ${Resource.Attr.Sub} names the attribute Attr.Sub (the logical ID has no dot), as "
    "CloudFormation reads it (moto split at every dot and looked up Attr)",
)
def _sub_dotted_attributes():
    original = parsing.clean_json

    def clean_json(resource_json, resources_map):
        if isinstance(resource_json, dict):
            getatt = resource_json.get("Fn::GetAtt")
            if isinstance(getatt, list) and len(getatt) > 2 and all(isinstance(p, str) for p in getatt):
                resource_json = {**resource_json, "Fn::GetAtt": [getatt[0], ".".join(getatt[1:])]}
        return original(resource_json, resources_map)

    # clean_json calls itself through the module name, so nested values pass here too.
    parsing.clean_json = clean_json


@patch(
    "secretsmanager-secret",
    "AWS::SecretsManager::Secret is created in moto's Secrets Manager (SecretString or "
    "GenerateSecretString, KmsKeyId, Tags); Ref and Fn::GetAtt Id give its ARN (moto skipped the "
    "type, so exports of its ARN were empty and every import of them failed)",
)
def _secretsmanager_secret():
    import json

    from moto.core.common_models import CloudFormationModel
    from moto.secretsmanager.models import secretsmanager_backends

    class CloudFormationSecret(CloudFormationModel):
        # moto files every model under the service named by its module.
        __module__ = "moto.secretsmanager.models"

        def __init__(self, arn):
            self.arn = arn

        @staticmethod
        def cloudformation_name_type():
            return "Name"

        @staticmethod
        def cloudformation_type():
            return "AWS::SecretsManager::Secret"

        @classmethod
        def has_cfn_attr(cls, attr):
            return attr == "Id"

        def get_cfn_attribute(self, attribute_name):
            return self.arn

        @property
        def physical_resource_id(self):
            return self.arn

        @classmethod
        def create_from_cloudformation_json(
            cls, resource_name, cloudformation_json, account_id, region_name, **kwargs
        ):
            props = cloudformation_json["Properties"]
            backend = secretsmanager_backends[account_id][region_name]
            value = props.get("SecretString")
            generate = props.get("GenerateSecretString")
            if value is None and generate is not None:
                password = json.loads(
                    backend.get_random_password(
                        password_length=int(generate.get("PasswordLength", 32)),
                        exclude_characters=generate.get("ExcludeCharacters", ""),
                        exclude_numbers=generate.get("ExcludeNumbers", False),
                        exclude_punctuation=generate.get("ExcludePunctuation", False),
                        exclude_uppercase=generate.get("ExcludeUppercase", False),
                        exclude_lowercase=generate.get("ExcludeLowercase", False),
                        include_space=generate.get("IncludeSpace", False),
                        require_each_included_type=generate.get("RequireEachIncludedType", True),
                    )
                )["RandomPassword"]
                if "SecretStringTemplate" in generate:
                    document = json.loads(generate["SecretStringTemplate"])
                    document[generate["GenerateStringKey"]] = password
                    value = json.dumps(document)
                else:
                    value = password
            created = backend.create_secret(
                name=resource_name,
                secret_string=value,
                secret_binary=None,
                description=props.get("Description"),
                tags=props.get("Tags"),
                kms_key_id=props.get("KmsKeyId"),
                client_request_token=None,
                replica_regions=[],
                force_overwrite=False,
            )
            return cls(json.loads(created)["ARN"])

        @classmethod
        def update_from_cloudformation_json(
            cls, original_resource, new_resource_name, cloudformation_json, account_id, region_name
        ):
            # Only the value-free properties can change in place; moto keeps the value.
            props = cloudformation_json["Properties"]
            secret = secretsmanager_backends[account_id][region_name].describe_secret(
                original_resource.arn
            )
            secret.description = props.get("Description")
            secret.kms_key_id = props.get("KmsKeyId")
            return original_resource

        @classmethod
        def delete_from_cloudformation_json(
            cls, resource_name, cloudformation_json, account_id, region_name
        ):
            secretsmanager_backends[account_id][region_name].delete_secret(
                resource_name, recovery_window_in_days=None, force_delete_without_recovery=True
            )

        def delete(self, account_id, region_name):
            self.delete_from_cloudformation_json(self.arn, {}, account_id, region_name)

    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
    return CloudFormationSecret


def apply_all():
    """Applies every patch; refuses another moto version (the patches target 5.2.5's code)."""
    if moto.__version__ != MOTO_VERSION:
        sys.exit(
            f"moto_patched.py: written for moto {MOTO_VERSION}, found {moto.__version__}. "
            "Review each patch against the new version (docs/deploy-testing.md)."
        )
    without = {n for n in os.environ.get("MOTO_PATCHES_WITHOUT", "").split(",") if n}
    unknown = without - PATCHES.keys()
    if unknown:
        sys.exit(f"moto_patched.py: no patch named {', '.join(sorted(unknown))}")
    for name, (summary, fn) in PATCHES.items():
        if name in without:
            print(f"moto_patched: {name}: LEFT OUT", file=sys.stderr)
            continue
        fn()
        print(f"moto_patched: {name}: {summary}", file=sys.stderr)


if __name__ == "__main__":
    warnings.simplefilter("ignore")
    apply_all()
    from moto.server import main

    main(sys.argv[1:])
