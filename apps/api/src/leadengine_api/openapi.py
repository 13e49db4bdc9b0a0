"""The committed API documents: OpenAPI JSON (in the contracts package) and a Markdown reference,
plus the AsyncAPI JSON of the realtime events beside the OpenAPI one.

Both are generated from the app, whose schemas come from `leadengine_contracts`; CI runs
`leadengine openapi --check` and fails when a committed file is stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from leadengine_shared.settings import load_settings

from leadengine_api.app import build_litestar
from leadengine_api.context import AppContext
from leadengine_api.realtime.asyncapi import asyncapi_document

__all__ = ["generate", "render_markdown", "write_or_check"]

_METHODS = ("get", "post", "put", "patch", "delete")


def generate() -> dict[str, Any]:
    settings = load_settings(database_url="sqlite+aiosqlite:///:memory:")
    app = build_litestar(settings, AppContext.build(settings))
    return app.openapi_schema.to_schema()


def _schema_name(schema: dict[str, Any] | None) -> str:
    if not schema:
        return "-"
    if "$ref" in schema:
        return f"`{schema['$ref'].rsplit('/', 1)[-1]}`"
    if schema.get("type") == "array":
        return f"list of {_schema_name(schema.get('items'))}"
    return f"`{schema.get('type', 'object')}`"


def _body(operation: dict[str, Any]) -> str:
    content = operation.get("requestBody", {}).get("content", {})
    for media in content.values():
        return _schema_name(media.get("schema"))
    return "-"


def _responses(operation: dict[str, Any]) -> str:
    parts = []
    for status, response in sorted(operation.get("responses", {}).items()):
        media: dict[str, Any] = next(iter(response.get("content", {}).values()), {})
        parts.append(f"{status} {_schema_name(media.get('schema'))}".rstrip(" -"))
    return "; ".join(parts)


def _parameters(operation: dict[str, Any]) -> str:
    names = [
        f"`{p['name']}` ({p['in']}{', required' if p.get('required') else ''})"
        for p in operation.get("parameters", [])
    ]
    return ", ".join(names) or "-"


def render_markdown(document: dict[str, Any]) -> str:
    lines = [
        f"# {document['info']['title']} {document['info']['version']}",
        "",
        "Generated from the OpenAPI document by `leadengine openapi`; do not edit by hand.",
        "Errors are `application/problem+json` (RFC 9457) with a stable `code` member.",
        "",
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in sorted(document.get("paths", {}).items()):
        for method in _METHODS:
            if operation := item.get(method):
                tag = (operation.get("tags") or ["other"])[0]
                by_tag.setdefault(tag, []).append((method.upper(), path, operation))
    for tag in sorted(by_tag):
        lines += [
            f"## {tag}",
            "",
            "| operation | method and path | parameters | body | responses |",
        ]
        lines.append("|---|---|---|---|---|")
        for method, path, operation in by_tag[tag]:
            public = " (public)" if operation.get("security") == [{}] else ""
            lines.append(
                f"| `{operation.get('operationId', '')}`{public} | `{method} {path}` | "
                f"{_parameters(operation)} | {_body(operation)} | {_responses(operation)} |"
            )
        lines.append("")
    return "\n".join(lines)


def write_or_check(openapi_path: Path, markdown_path: Path, *, check: bool) -> list[Path]:
    """Write the documents, or (check) return the ones whose committed text is stale. The
    AsyncAPI document of the realtime events sits next to the OpenAPI one."""
    document = generate()
    wanted = {
        openapi_path: json.dumps(document, indent=2, sort_keys=True) + "\n",
        markdown_path: render_markdown(document) + "\n",
        openapi_path.with_name("asyncapi.json"): json.dumps(
            asyncapi_document(), indent=2, sort_keys=True
        )
        + "\n",
    }
    stale = [
        path
        for path, text in wanted.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    if not check:
        for path in stale:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(wanted[path], encoding="utf-8")
    return stale
