"""L2 Event Checker: evaluates the configured event rules against one persisted record.

A rule (an entry of ``config_events``) looks like::

    {"condition": "twin.temperature-sensor-1.temperature > DOUBLE(30)",
     "action": {"type": "lambda", "functionName": "high-temperature-callback",
                "feedback": {"iotDeviceId": "temperature-sensor-1", "payload": "cool down"}}}

A condition is ``<operand> <op> <operand>`` with ``op`` one of ``<``, ``>``, ``==``. An operand is a
constant ``DOUBLE(x)``, ``INTEGER(x)`` or ``STRING(x)``, or a reference ``entity.component.property``
where the component is the device id: it reads ``property`` from the record when the record comes
from that device. A rule that references another device does not apply to this record (skipped).

Fixed bugs: ``>`` compared with ``<``; ``STRING(x)`` returned nothing; a constant with a decimal
point (``DOUBLE(30.5)``) was taken for a reference. An exception in one rule is logged with the rule
and the record, and the loop continues; the result lists the failed rules (partial failure). The
handler does not raise for a failed rule: a retry would fire the actions of the rules that passed.
"""

import json
import operator
import os

import boto3
from aws_lambda_powertools import Logger

logger = Logger(service="twin-event-checker")
lambda_client = boto3.client("lambda")
stepfunctions_client = boto3.client("stepfunctions")

OPERATORS = {"<": operator.lt, ">": operator.gt, "==": operator.eq}


class ConfigurationError(RuntimeError):
    """The function's environment is missing or malformed."""


class RuleError(ValueError):
    """A rule is malformed or cannot be evaluated against the record."""


class NotApplicable(Exception):
    """The rule references another device than the record's."""


def extract_const_value(text: str):
    """Value of a ``DOUBLE(x)``/``INTEGER(x)``/``STRING(x)`` constant; RuleError for anything else."""
    for prefix, convert in (("DOUBLE(", float), ("INTEGER(", int), ("STRING(", str)):
        if text.startswith(prefix) and text.endswith(")"):
            raw = text[len(prefix) : -1]
            try:
                return convert(raw)
            except ValueError as exc:
                raise RuleError(f"bad constant {text!r}: {exc}") from exc
    raise RuleError(f"unknown operand {text!r}")


def resolve_operand(text: str, record: dict):
    if text.startswith(("DOUBLE(", "INTEGER(", "STRING(")):
        return extract_const_value(text)
    parts = text.split(".")
    if len(parts) != 3 or not all(parts):
        raise RuleError(f"unknown operand {text!r}")
    _entity, component, prop = parts
    if component != record.get("iotDeviceId"):
        raise NotApplicable(component)
    if prop not in record:
        raise RuleError(f"property {prop!r} missing from record")
    return record[prop]


def evaluate(condition, record: dict) -> bool:
    """True when ``condition`` holds for ``record``; NotApplicable or RuleError otherwise."""
    if not isinstance(condition, str):
        raise RuleError("condition must be a string")
    tokens = condition.split()
    if len(tokens) != 3:
        raise RuleError(f"condition must be '<operand> <op> <operand>', got {condition!r}")
    left, op, right = tokens
    if op not in OPERATORS:
        raise RuleError(f"unknown operator {op!r}")
    try:
        return bool(OPERATORS[op](resolve_operand(left, record), resolve_operand(right, record)))
    except TypeError as exc:
        raise RuleError(f"cannot compare: {exc}") from exc


def _flag(name: str) -> bool:
    return os.environ.get(name, "false").strip().lower() == "true"


def _run_action(rule: dict, record: dict, twin_name: str) -> None:
    action = rule.get("action")
    if not isinstance(action, dict):
        raise RuleError("rule has no action")
    action_type = action.get("type")
    if action_type == "lambda":
        function_name = action.get("functionName")
        if not function_name:
            raise RuleError("lambda action has no functionName")
        lambda_client.invoke(
            FunctionName=function_name,
            InvocationType="Event",
            Payload=json.dumps({"e": rule, "record": record}).encode("utf-8"),
        )
    elif action_type == "step_function":
        if not _flag("USE_STEP_FUNCTIONS"):
            logger.info("Step Function action disabled", extra={"condition": rule.get("condition")})
        else:
            arn = os.environ.get("LAMBDA_CHAIN_STEP_FUNCTION_ARN", "")
            if not arn:
                raise ConfigurationError("LAMBDA_CHAIN_STEP_FUNCTION_ARN is not set")
            stepfunctions_client.start_execution(
                stateMachineArn=arn, input=json.dumps({"e": rule, "record": record})
            )
    else:
        raise RuleError(f"invalid action type {action_type!r}")

    feedback = action.get("feedback")
    if feedback and _flag("USE_FEEDBACK"):
        arn = os.environ.get("EVENT_FEEDBACK_LAMBDA_FUNCTION_ARN", "")
        if not arn:
            raise ConfigurationError("EVENT_FEEDBACK_LAMBDA_FUNCTION_ARN is not set")
        detail = {
            "digitalTwinName": twin_name,
            "iotDeviceId": feedback.get("iotDeviceId"),
            "payload": feedback.get("payload"),
        }
        lambda_client.invoke(
            FunctionName=arn, InvocationType="Event", Payload=json.dumps({"detail": detail}).encode("utf-8")
        )


def _config():
    try:
        info = json.loads(os.environ.get("DIGITAL_TWIN_INFO", ""))
        rules = info["config_events"]
        twin_name = info["config"]["digital_twin_name"]
    except (ValueError, TypeError, KeyError) as exc:
        raise ConfigurationError(
            f"DIGITAL_TWIN_INFO missing or invalid: {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(rules, list):
        raise ConfigurationError("config_events must be a list")
    return rules, twin_name


@logger.inject_lambda_context(clear_state=True)
def lambda_handler(event, context):
    try:
        rules, twin_name = _config()
    except ConfigurationError as exc:
        logger.error(f"Event checker misconfigured: {exc}")
        raise

    if not isinstance(event, dict) or not event.get("iotDeviceId"):
        logger.error("Validation Error: record without iotDeviceId")
        return {"status": "rejected", "reason": "record without iotDeviceId"}

    result = {"status": "ok", "checked": 0, "triggered": [], "skipped": [], "failed": []}
    for rule in rules:
        condition = rule.get("condition") if isinstance(rule, dict) else None
        try:
            if not isinstance(rule, dict):
                raise RuleError("rule must be an object")
            matched = evaluate(condition, event)
            result["checked"] += 1
            if matched:
                _run_action(rule, event, twin_name)
                logger.info("Event triggered", extra={"condition": condition, "action": rule.get("action")})
                result["triggered"].append(condition)
        except NotApplicable:
            result["skipped"].append(condition)
        except Exception as exc:  # one bad rule must not stop the others (partial failure)
            logger.exception(
                "Event check failed",
                extra={"rule": rule, "record": event, "error": f"{type(exc).__name__}: {exc}"},
            )
            result["failed"].append({"condition": condition, "error": f"{type(exc).__name__}: {exc}"})

    if result["failed"]:
        result["status"] = "partial_failure"
    logger.info("Event check finished", extra={k: result[k] for k in ("status", "triggered", "failed")})
    return result
