"""What the harness does with each part of a SAM template, generated from the code's registries (the resource
creators, the event-source registry and the loader's property tables): `docs/sam-support.md` is this module's
output, and a test fails when the page is stale. Regenerate with `python -m harness.sam_support > docs/sam-support.md`.
"""
from __future__ import annotations

import sys

# Refusals that live in code paths rather than tables: what, and what to do instead.
REFUSED = (
    ("Function `Runtime` other than `python*`, `PackageType: Image`", ("warned at load; each invoke fails with "
     "UnsupportedRuntime unless mocked with `functions: {Name: {mock: ...}}`")),
    ("`AWS::SNS::Subscription` with a protocol other than `sqs` or `lambda`", "refused at deploy, by name"),
    ("`EventBridgeRule` event with `InputTransformer`", "refused: use `Input` or `InputPath`"),
    (("Intrinsic functions other than Ref, GetAtt, Sub, Join, Select, Split, If, Equals, Not, And, Or, Condition, "
     "FindInMap, GetAZs, Base64, ToJsonString"), "refused at deploy, by name"),
    ("`!GetAtt` of an attribute of a resource type that is not emulated", "refused, naming the resource type"),
    (("API `Auth` other than Lambda authorizers: Cognito (`UserPoolArn`), JWT, `AWS_IAM`, `ApiKeyRequired`, "
      "`ResourcePolicy`, `UsagePlan`"), "warned at load; the routes they protect are not checked"),
)


def render() -> str:
    """The support page as Markdown."""
    import harness.sources  # noqa: F401 - fills the event-source registry
    from harness.aws.deploy import CREATORS
    from harness.sources.base import SOURCES
    from harness.template import ACCEPTED_NOT_EMULATED, EMULATED, EVENT_PROPERTIES, NOT_EMULATED_QUIET

    lines = ["# SAM support", "",
             ("Generated from the code's registries by `python -m harness.sam_support` (a test fails when this page "
             "is stale). *Emulated*: created and behaving as AWS documents; *accepted*: loaded quietly because it "
             "only matters on real AWS (permissions, monitoring wiring); *warned*: reported once with file:line "
             "(`--strict` / `HARNESS_STRICT=1` makes it an error); *refused*: an error naming what and why."), "",
             "## Resource types", "", "| type | status | emulated properties |", "|---|---|---|"]
    for rtype in sorted(set(EMULATED) | set(CREATORS)):
        lines.append(f"| `{rtype}` | emulated | {_names(EMULATED.get(rtype, set()))} |")
    for rtype in sorted(ACCEPTED_NOT_EMULATED):
        lines.append(f"| `{rtype}` | accepted (not emulated) | - |")
    lines += ["| any other type | warned (not created; `!Ref` gives its logical id) | - |", "",
              ("Properties of an emulated type that are not listed are warned about, except these, accepted "
              f"quietly everywhere: {_names(NOT_EMULATED_QUIET)}."), "",
              "## Event source types (`Events:` of a function)", "", "| type | status | emulated properties |",
              "|---|---|---|"]
    for etype in sorted(SOURCES):
        lines.append(f"| `{etype}` | emulated | {_names(EVENT_PROPERTIES.get(etype, set()))} |")
    lines += ["| any other type | warned (never fires) | - |", "",
              "Other properties of an emulated event type are warned about by name.", "",
              "## Refused or warned by name", "", "| what | what happens |", "|---|---|"]
    lines += [f"| {what} | {how} |" for what, how in REFUSED]
    return "\n".join(lines + _translator_section()) + "\n"


def _translator_section() -> list[str]:
    """What is checked against AWS's SAM transform (harness/sam_agreement.py's registries)."""
    from importlib.metadata import version

    from harness.sam_agreement import CHECKS, GENERATED, SAM_DEFAULTS
    from harness.template import GLOBALS_REPLACED
    lines = ["", "## Checked against AWS's SAM transform", "",
             (f"`harness lint` and `run --validate` run AWS's own transform (aws-sam-translator "
              f"{version('aws-sam-translator')}, in process, offline) on the template: what it refuses is an error "
              "with file:line. The harness keeps its own reading of the template (the transform is off the "
              "simulation's hot path), and `harness lint` plus the test suite check that reading against the "
              "transform's CloudFormation, on every template of the repository:"), ""]
    lines += [f"- {(check.__doc__ or check.__name__).strip()}" for check in CHECKS]
    lines += ["", (f"Globals merge as SAM merges them: maps key by key, lists add up (global first) except "
                   f"{_names(GLOBALS_REPLACED)}, which the local value replaces; scalars and intrinsics: the local "
                   "value."), "", "| event type | SAM generates `<Function><Event>` of type | values compared |",
              "|---|---|---|"]
    for etype, (rtype, keys) in sorted(GENERATED.items()):
        pairs = ", ".join(f"`{ours}`" + (f" → `{theirs}`" if theirs != ours else "") for ours, theirs in keys)
        lines.append(f"| `{etype}` | `{rtype}` | {pairs} |")
    lines += ["", "Defaults SAM writes when a property is left out, which the harness assumes too: " + ", ".join(
        f"`{etype}` `{key}` = `{value}`" for (etype, key), value in sorted(SAM_DEFAULTS.items())) + "."]
    return lines


def _names(names: set[str]) -> str:
    return ", ".join(f"`{n}`" for n in sorted(names)) or "-"


if __name__ == "__main__":
    sys.stdout.write(render())
