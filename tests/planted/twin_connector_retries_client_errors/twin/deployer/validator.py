"""Validation of a project upload: config files, config_inter_cloud.json, user processor code.

Every check raises ``ConfigValidationError`` (a ``ValueError``) whose message names the file and what
is wrong.
"""

import ast
import io
import json
import os
import posixpath
import zipfile

from . import constants


class ConfigValidationError(ValueError):
    """A project file is invalid; the message names the file and the problem."""


def _parse(filename: str, content):
    if isinstance(content, (bytes, bytearray)):
        content = content.decode("utf-8")
    if isinstance(content, str):
        try:
            return json.loads(content)
        except json.JSONDecodeError as exc:
            raise ConfigValidationError(f"Invalid JSON content for {filename}: {exc}") from exc
    return content


def _validate_inter_cloud(filename: str, content: dict) -> None:
    connections = content["connections"]
    if not isinstance(connections, dict):
        raise ConfigValidationError(f"'connections' in {filename} must be a dictionary.")
    for conn_id, details in connections.items():
        if not isinstance(details, dict):
            raise ConfigValidationError(f"Connection '{conn_id}' in {filename} must be an object.")
        missing = [k for k in constants.INTER_CLOUD_CONNECTION_FIELDS if k not in details]
        if missing:
            raise ConfigValidationError(
                f"Connection '{conn_id}' in {filename} missing required fields: {', '.join(missing)}"
            )
        for key in constants.INTER_CLOUD_CONNECTION_FIELDS:
            if not isinstance(details[key], str) or not details[key].strip():
                raise ConfigValidationError(
                    f"Connection '{conn_id}' in {filename}: '{key}' must be a non-empty string."
                )
        if details["provider"] not in constants.SUPPORTED_PROVIDERS:
            raise ConfigValidationError(
                f"Connection '{conn_id}' in {filename}: unknown provider '{details['provider']}' "
                f"(expected one of {', '.join(constants.SUPPORTED_PROVIDERS)})."
            )
        if not details["url"].startswith(("https://", "http://")):
            raise ConfigValidationError(
                f"Connection '{conn_id}' in {filename}: 'url' must be an http(s) URL."
            )


def validate_config_content(filename: str, content):
    """Validate one config file's content (JSON text or parsed) against its schema; return it parsed."""
    content = _parse(filename, content)
    required = constants.CONFIG_SCHEMAS.get(filename)
    if required is None:
        return content
    if filename in (constants.CONFIG_IOT_DEVICES_FILE, constants.CONFIG_EVENTS_FILE):
        if not isinstance(content, list):
            raise ConfigValidationError(f"{filename} must be a JSON list.")
        for index, entry in enumerate(content):
            if not isinstance(entry, dict):
                raise ConfigValidationError(f"Entry at index {index} in {filename} must be an object.")
            for key in required:
                if key not in entry:
                    raise ConfigValidationError(f"Missing key '{key}' in {filename} at index {index}.")
            if filename == constants.CONFIG_EVENTS_FILE:
                action = entry["action"]
                if not isinstance(action, dict) or "type" not in action or "functionName" not in action:
                    raise ConfigValidationError(
                        f"Event action at index {index} in {filename} missing 'type' or 'functionName'."
                    )
        return content
    if not isinstance(content, dict):
        raise ConfigValidationError(f"{filename} must be a JSON object.")
    for key in required:
        if key not in content:
            raise ConfigValidationError(f"Missing key '{key}' in {filename}.")
    if filename == constants.CONFIG_PROVIDERS_FILE:
        for key, provider in content.items():
            if key.endswith("_provider") and provider not in constants.SUPPORTED_PROVIDERS:
                raise ConfigValidationError(f"Unknown provider '{provider}' for '{key}' in {filename}.")
    if filename == constants.CONFIG_INTER_CLOUD_FILE:
        _validate_inter_cloud(filename, content)
    return content


def is_multi_cloud(providers: dict) -> bool:
    """True when the layers are spread over more than one cloud."""
    return len({v for k, v in providers.items() if k.endswith("_provider")}) > 1


def required_connections(providers: dict) -> list:
    """Connection ids the pipeline's cross-cloud hops need (L1 -> L2, L2 -> L3 hot)."""
    l1 = providers.get("layer_1_provider", "aws")
    l2 = providers.get("layer_2_provider", "aws")
    l3 = providers.get("layer_3_hot_provider", "aws")
    needed = []
    if l1 != l2:
        needed.append(constants.connection_id(l1, 1, l2, 2))
    if l2 != l3:
        needed.append(constants.connection_id(l2, 2, l3, 3))
    return needed


def validate_inter_cloud_for_providers(providers: dict, inter_cloud) -> None:
    """A multi-cloud deployment needs config_inter_cloud.json with a connection for every hop."""
    if not is_multi_cloud(providers):
        return
    if inter_cloud is None:
        raise ConfigValidationError(
            f"Missing {constants.CONFIG_INTER_CLOUD_FILE}: required for a multi-cloud deployment."
        )
    connections = inter_cloud.get("connections", {})
    for conn_id in required_connections(providers):
        if conn_id not in connections:
            raise ConfigValidationError(
                f"Missing connection '{conn_id}' in {constants.CONFIG_INTER_CLOUD_FILE}."
            )


def _find_function(tree: ast.Module, name: str):
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return node
    return None


def _parse_python(source, filename: str) -> ast.Module:
    try:
        return ast.parse(source, filename=filename)
    except SyntaxError as exc:
        raise ConfigValidationError(f"Syntax error in {filename}: {exc.msg} at line {exc.lineno}") from exc


def validate_process_code(source, filename: str = constants.PROCESS_FILE) -> None:
    """User logic must parse and define a top-level ``process(event)``."""
    node = _find_function(_parse_python(source, filename), "process")
    positional = node.args.posonlyargs + node.args.args if node else []
    if node is None or isinstance(node, ast.AsyncFunctionDef) or len(positional) < 1:
        raise ConfigValidationError(f"{filename} must define 'def process(event)'.")


def validate_python_code_aws(source, filename: str = constants.HANDLER_FILE) -> None:
    """A Lambda handler module must define a top-level ``lambda_handler(event, context)``."""
    node = _find_function(_parse_python(source, filename), "lambda_handler")
    args = [a.arg for a in node.args.args] if node else []
    if args[:2] != ["event", "context"]:
        raise ConfigValidationError(f"{filename} must define 'def lambda_handler(event, context)'.")


def _open_zip(zip_source) -> zipfile.ZipFile:
    if isinstance(zip_source, (bytes, bytearray)):
        zip_source = io.BytesIO(zip_source)
    try:
        return zipfile.ZipFile(zip_source, "r")
    except zipfile.BadZipFile as exc:
        raise ConfigValidationError(f"Not a valid zip archive: {exc}") from exc


def _check_member_path(name: str) -> None:
    if name.startswith(("/", "\\")) or os.path.isabs(name) or ".." in name.replace("\\", "/").split("/"):
        raise ConfigValidationError(f"Malicious file path detected in zip (Zip Slip Prevention): {name}")


def validate_project_zip(zip_source) -> dict:
    """Validate a project upload (zip path, bytes or file object).

    Checks member paths (zip slip), the required config files and their schemas, and
    ``config_inter_cloud.json`` (validated when present, required when the providers span clouds),
    and every ``lambda_functions/processors/*/process.py`` (syntax and ``process(event)``).
    Returns ``{"multi_cloud": bool, "processors": [names]}``.
    """
    with _open_zip(zip_source) as archive:
        names = [info.filename for info in archive.infolist() if not info.is_dir()]
        for name in names:
            _check_member_path(name)

        root = ""
        config_paths = sorted((n for n in names if posixpath.basename(n) == constants.CONFIG_FILE), key=len)
        if config_paths:
            root = config_paths[0][: -len(constants.CONFIG_FILE)]
        for required in constants.REQUIRED_CONFIG_FILES:
            if root + required not in names:
                raise ConfigValidationError(f"Missing required configuration file in zip: {required}")

        configs = {}
        for filename in constants.CONFIG_SCHEMAS:
            if root + filename in names:
                try:
                    configs[filename] = validate_config_content(filename, archive.read(root + filename))
                except (ValueError, UnicodeDecodeError) as exc:
                    raise ConfigValidationError(
                        f"Validation failed for {filename} inside zip: {exc}"
                    ) from exc

        providers = configs[constants.CONFIG_PROVIDERS_FILE]
        try:
            validate_inter_cloud_for_providers(providers, configs.get(constants.CONFIG_INTER_CLOUD_FILE))
        except ValueError as exc:
            raise ConfigValidationError(
                f"Validation failed for {constants.CONFIG_INTER_CLOUD_FILE}: {exc}"
            ) from exc

        processors = []
        prefix = f"{root}{constants.LAMBDA_FUNCTIONS_DIR_NAME}/{constants.PROCESSORS_DIR_NAME}/"
        for name in names:
            rest = name[len(prefix) :] if name.startswith(prefix) else ""
            parts = rest.split("/")
            if len(parts) == 2 and parts[1] == constants.PROCESS_FILE:
                try:
                    source = archive.read(name).decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise ConfigValidationError(f"Processor file {name} is not UTF-8 text.") from exc
                validate_process_code(source, filename=name)
                processors.append(parts[0])

    return {"multi_cloud": is_multi_cloud(providers), "processors": sorted(processors)}
