"""SAM template: clean under cfn-lint, and consistent with the handler code it deploys."""

import re
from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import cfn_yaml

TWIN_DIR = Path(__file__).resolve().parents[3] / "handlers" / "twin"
TEMPLATE = TWIN_DIR / "template.yaml"


@pytest.fixture(scope="module")
def template():
    return cfn_yaml.load(str(TEMPLATE))


@pytest.fixture(scope="module")
def functions(template):
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


def env_read_by(code_uri: str) -> set:
    source = (TWIN_DIR / code_uri / "lambda_function.py").read_text()
    return set(re.findall(r'(?:os\.environ\.get|_int_env|_float_env|_flag)\("([A-Z][A-Z0-9_]+)"', source))


def test_template_is_clean_under_cfn_lint_including_informational_checks():
    assert lint_file(TEMPLATE, config=ManualArgs(include_checks=["I"])) == []


def test_every_parameter_has_a_default_so_the_template_deploys_without_overrides(template):
    assert all("Default" in spec for spec in template["Parameters"].values())


def test_every_function_has_a_code_folder_with_a_lambda_handler(functions, validator):
    assert len(functions) == 13
    for logical_id, props in functions.items():
        handler_file = TWIN_DIR / props["CodeUri"] / "lambda_function.py"
        assert handler_file.is_file(), logical_id
        validator.validate_python_code_aws(handler_file.read_text(), filename=str(handler_file))
        assert "Fn::Sub" in props["FunctionName"], logical_id


def test_template_sets_only_environment_variables_the_handlers_read(functions):
    for logical_id, props in functions.items():
        variables = set(props.get("Environment", {}).get("Variables", {}))
        unknown = variables - env_read_by(props["CodeUri"])
        assert not unknown, f"{logical_id} sets variables its handler never reads: {unknown}"


def test_processor_and_connector_names_follow_the_dispatcher_naming(functions):
    assert functions["ProcessorFunction"]["FunctionName"] == {
        "Fn::Sub": "${DigitalTwinName}-${IotDeviceId}-processor"
    }
    assert functions["ConnectorFunction"]["FunctionName"] == {
        "Fn::Sub": "${DigitalTwinName}-${IotDeviceId}-connector"
    }
    suffix = functions["DispatcherFunction"]["Environment"]["Variables"]["TARGET_FUNCTION_SUFFIX"]
    assert suffix == {"Fn::If": ["L2OnAws", "-processor", "-connector"]}
    assert functions["ProcessorFunction"]["CodeUri"] == "functions/processor_wrapper/"
    assert (TWIN_DIR / "functions" / "processor_wrapper" / "process.py").is_file()


def test_function_urls_writer_and_ingestion_are_public_with_token_readers_use_iam(functions):
    for name in ("WriterFunction", "IngestionFunction"):
        assert functions[name]["FunctionUrlConfig"] == {"AuthType": "NONE"}
        assert "INTER_CLOUD_TOKEN" in functions[name]["Environment"]["Variables"]
    for name in ("HotReaderFunction", "HotReaderLastEntryFunction"):
        assert functions[name]["FunctionUrlConfig"] == {"AuthType": "AWS_IAM"}


def test_movers_run_on_a_schedule(functions):
    for name in ("HotToColdMoverFunction", "ColdToArchiveMoverFunction"):
        [event] = functions[name]["Events"].values()
        assert event == {"Type": "Schedule", "Properties": {"Schedule": "rate(1 day)"}}


def test_async_functions_send_exhausted_events_to_a_failure_queue(functions):
    asynchronous = [n for n, p in functions.items() if "FunctionUrlConfig" not in p]
    assert len(asynchronous) == 9
    for name in asynchronous:
        config = functions[name]["EventInvokeConfig"]
        assert config["DestinationConfig"]["OnFailure"]["Type"] == "SQS", name
        assert 0 <= config["MaximumRetryAttempts"] <= 2
    # The connector retries in-function; Lambda must not retry a fail-fast 4xx.
    assert functions["ConnectorFunction"]["EventInvokeConfig"]["MaximumRetryAttempts"] == 0


def test_each_function_requires_the_powertools_it_imports(functions):
    for props in functions.values():
        requirements = (TWIN_DIR / props["CodeUri"] / "requirements.txt").read_text().split()
        assert requirements == ["aws-lambda-powertools==3.37.0"]
