"""The parts of Meta's OpenAPI description (v23.0) the sandbox is checked against.

The full description lives outside the repository (``/work/shared/reference/meta-openapi``,
1 MB, MIT licensed: see ``meta_openapi_LICENSE``). ``meta_openapi_subset.json`` beside this
file holds what the tests need, extracted by :func:`extract`, so the tests run on a clean
clone; when the full description is present, a test checks the subset is still current.

Regenerate: ``python -m tests.sandbox.meta_openapi``.
"""

from __future__ import annotations

import copy
import json
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

FULL_SPEC = Path(os.environ.get(
    "EASYMO_META_OPENAPI", "/work/shared/reference/meta-openapi/business-messaging-api_v23.0.yaml"
))
SUBSET = Path(__file__).with_name("meta_openapi_subset.json")

SCHEMAS = (
    "MessageResponsePayload", "PhoneNumberInfo", "WhatsAppAccountNumber", "GraphAPIError",
    "WebhookPayload", "Metadata", "ContactProfile", "InteractiveButtonReplyContent",
    "InteractiveListReplyContent",
)
# (path, method) -> the 200 answer's schema, inline in the description.
OPERATIONS = {
    "templates_list": ("/{Version}/{WABA-ID}/message_templates", "get"),
    "templates_create": ("/{Version}/{WABA-ID}/message_templates", "post"),
    "templates_delete": ("/{Version}/{WABA-ID}/message_templates", "delete"),
    "template_get": ("/{Version}/{TEMPLATE_ID}", "get"),
    "template_edit": ("/{Version}/{TEMPLATE_ID}", "post"),
    "send": ("/{Version}/{Phone-Number-ID}/messages", "post"),
    "phone_get": ("/{Version}/{Phone-Number-ID}", "get"),
    "waba_get": ("/{Version}/{WABA-ID}", "get"),
    "phone_numbers": ("/{Version}/{WABA-ID}/phone_numbers", "get"),
    "subscribed_apps_get": ("/{Version}/{WABA-ID}/subscribed_apps", "get"),
    "subscribed_apps_post": ("/{Version}/{WABA-ID}/subscribed_apps", "post"),
    "profile_get": ("/{Version}/{Phone-Number-ID}/whatsapp_business_profile", "get"),
    "profile_post": ("/{Version}/{Phone-Number-ID}/whatsapp_business_profile", "post"),
    "media_upload": ("/{Version}/{Phone-Number-ID}/media", "post"),
    "media_get": ("/{Version}/{Media-ID}", "get"),
    "media_delete": ("/{Version}/{Media-ID}", "delete"),
}
WEBHOOK_EXAMPLES = (
    "Text Message", "Button Message", "Interactive List Reply Message", "Interactive Button Reply Message",
)
# Inbound kinds the sandbox's simulated users send besides: compared by shape too.
MORE_WEBHOOK_EXAMPLES = (
    "Image Message", "Location Message", "Reaction Message", "Contact Sharing Message",
    "Text Message from Click to WhatsApp Ad", "Order Message",
)
_REF_RE = re.compile(r"#/components/schemas/([A-Za-z0-9_.-]+)")


def extract(spec: dict[str, Any]) -> dict[str, Any]:
    """The subset: schemas (with everything they reference), operations, examples."""
    all_schemas = spec["components"]["schemas"]
    operations = {
        name: spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
        for name, (path, method) in OPERATIONS.items()
    }
    wanted = list(SCHEMAS) + _REF_RE.findall(json.dumps(operations))
    schemas: dict[str, Any] = {}
    while wanted:
        name = wanted.pop()
        if name not in schemas:
            schemas[name] = all_schemas[name]
            wanted += _REF_RE.findall(json.dumps(all_schemas[name]))
    send = spec["paths"]["/{Version}/{Phone-Number-ID}/messages"]["post"]
    create = spec["paths"]["/{Version}/{WABA-ID}/message_templates"]["post"]
    edit = spec["paths"]["/{Version}/{TEMPLATE_ID}"]["post"]
    profile = spec["paths"]["/{Version}/{Phone-Number-ID}/whatsapp_business_profile"]["post"]
    webhook = spec["paths"]["/whatsapp/webhooks"]["post"]["requestBody"]["content"]["application/json"]
    return {
        "source": "Meta openapi, business-messaging-api_v23.0.yaml (MIT)",
        "schemas": dict(sorted(schemas.items())),
        "operations": operations,
        "send_examples": {k: v["value"] for k, v in send["requestBody"]["content"]["application/json"]["examples"].items()},
        "webhook_examples": {k: webhook["examples"][k]["value"]
                             for k in WEBHOOK_EXAMPLES + MORE_WEBHOOK_EXAMPLES},
        "template_create_examples": _examples(create),
        "template_edit_examples": _examples(edit),
        "profile_update_examples": _examples(profile),
    }


def _examples(operation: dict[str, Any]) -> dict[str, Any]:
    content = operation["requestBody"]["content"]["application/json"]
    return {k: v["value"] for k, v in content.get("examples", {}).items()}


@cache
def subset() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SUBSET.read_text("utf-8"))
    return loaded


def validator(schema: dict[str, Any], *, strict: bool = False) -> Draft202012Validator:
    """A validator of ``schema`` whose ``#/components/schemas/...`` refs resolve in the subset.

    ``strict`` forbids properties the description does not declare (``additionalProperties``
    false wherever an object lists its properties), so the sandbox cannot add fields Meta
    does not send.
    """
    components = {"schemas": subset()["schemas"]}
    root = {**schema, "components": components}
    if strict:
        root = _strict(copy.deepcopy(root))
    return Draft202012Validator(root)


def schema_validator(name: str, *, strict: bool = False) -> Draft202012Validator:
    return validator({"$ref": f"#/components/schemas/{name}"}, strict=strict)


def operation_validator(name: str) -> Draft202012Validator:
    return validator(subset()["operations"][name])


def _strict(node: Any) -> Any:
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _strict(value)
    elif isinstance(node, list):
        for item in node:
            _strict(item)
    return node


if __name__ == "__main__":
    import yaml

    full = yaml.load(FULL_SPEC.read_text("utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    SUBSET.write_text(json.dumps(extract(full), indent=1, sort_keys=True, ensure_ascii=False) + "\n", "utf-8")
    print(f"wrote {SUBSET}")
