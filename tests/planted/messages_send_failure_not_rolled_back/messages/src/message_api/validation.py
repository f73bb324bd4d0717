"""Validation of the ``POST /messages`` request: the body and the optional Idempotency-Key header.

Every problem is reported at once, by field, without echoing the submitted values.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from message_api.http import IDEMPOTENCY_HEADER, SAFE_TOKEN, get_header

ALLOWED_FIELDS = frozenset({"recipient", "content", "metadata"})
MAX_RECIPIENT_CHARS = 256
MAX_METADATA_ENTRIES = 20
MAX_METADATA_KEY_CHARS = 64
MAX_METADATA_VALUE_CHARS = 256
METADATA_KEY = re.compile(r"^[A-Za-z0-9_.:\-]+$")


@dataclass(frozen=True)
class MessageRequest:
    recipient: str
    content: str
    metadata: dict[str, str] = field(default_factory=dict)
    idempotency_key: str | None = None

    def fingerprint(self) -> str:
        """SHA-256 of the canonical payload: a retry under the same key must carry the same payload."""
        canonical = json.dumps({"recipient": self.recipient, "content": self.content, "metadata": self.metadata},
                               sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class RequestInvalid(Exception):
    def __init__(self, problems: list[dict[str, str]]):
        super().__init__(f"{len(problems)} validation problem(s)")
        self.problems = problems


def _decode_body(event: dict[str, Any]) -> Any:
    raw = event.get("body")
    if raw is None or raw == "":
        raise RequestInvalid([{"field": "body", "problem": "a JSON object body is required"}])
    if not isinstance(raw, str):
        raise RequestInvalid([{"field": "body", "problem": "must be a JSON object"}])
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(raw, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise RequestInvalid([{"field": "body", "problem": "is not valid base64-encoded UTF-8"}]) from None
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        raise RequestInvalid([{"field": "body", "problem": "must be a JSON object"}]) from None


def _check_metadata(value: Any, problems: list[dict[str, str]]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.append({"field": "metadata", "problem": "must be an object of string values"})
        return {}
    if len(value) > MAX_METADATA_ENTRIES:
        problems.append({"field": "metadata", "problem": f"must have at most {MAX_METADATA_ENTRIES} entries"})
    for key, item in value.items():
        if len(key) > MAX_METADATA_KEY_CHARS or not METADATA_KEY.match(key):
            problems.append({"field": "metadata", "problem": "keys must be 1-64 characters of A-Z a-z 0-9 _ . : -"})
        elif not isinstance(item, str) or len(item) > MAX_METADATA_VALUE_CHARS:
            problems.append({"field": f"metadata.{key}",
                             "problem": f"must be a string of at most {MAX_METADATA_VALUE_CHARS} characters"})
    return value


def parse_request(event: dict[str, Any], max_content_bytes: int) -> MessageRequest:
    """Return the validated request or raise ``RequestInvalid`` listing every problem."""
    problems: list[dict[str, str]] = []
    key = get_header(event, IDEMPOTENCY_HEADER)
    if key is not None and not SAFE_TOKEN.match(key):
        problems.append({"field": IDEMPOTENCY_HEADER, "problem": "must be 1-128 characters of A-Z a-z 0-9 . _ : -"})
    try:
        body = _decode_body(event)
    except RequestInvalid as invalid:
        raise RequestInvalid(problems + invalid.problems) from None
    if not isinstance(body, dict):
        raise RequestInvalid(problems + [{"field": "body", "problem": "must be a JSON object"}])
    for unknown in sorted(set(body) - ALLOWED_FIELDS):
        problems.append({"field": unknown, "problem": "is not a recognised field"})
    recipient = body.get("recipient")
    if not isinstance(recipient, str) or not recipient.strip() or len(recipient) > MAX_RECIPIENT_CHARS:
        problems.append({"field": "recipient",
                         "problem": f"is required: a non-blank string of at most {MAX_RECIPIENT_CHARS} characters"})
    content = body.get("content")
    if not isinstance(content, str) or not content.strip():
        problems.append({"field": "content", "problem": "is required: a non-blank string"})
    elif len(content.encode("utf-8")) > max_content_bytes:
        problems.append({"field": "content", "problem": f"must be at most {max_content_bytes} bytes of UTF-8"})
    metadata = _check_metadata(body.get("metadata"), problems)
    if problems:
        raise RequestInvalid(problems)
    return MessageRequest(recipient=recipient, content=content, metadata=metadata, idempotency_key=key)
