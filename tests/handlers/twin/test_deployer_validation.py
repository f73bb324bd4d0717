"""Deployer validation: config_inter_cloud.json, project zips, user process.py; code merging."""

import io
import json
import zipfile
from pathlib import Path

import pytest

FUNCTIONS_DIR = Path(__file__).resolve().parents[3] / "handlers" / "twin" / "functions"

INTER_CLOUD = {
    "connections": {
        "aws_l1_to_azure_l2": {
            "provider": "azure",
            "function": "ingestion",
            "token": "t1",
            "url": "https://func-ingest-xyz.azurewebsites.net/api/ingest",
        },
        "azure_l2_to_aws_l3": {
            "provider": "aws",
            "function": "writer",
            "token": "t2",
            "url": "https://abc.lambda-url.us-east-1.on.aws/",
        },
    }
}
SINGLE_CLOUD = {"layer_1_provider": "aws", "layer_2_provider": "aws", "layer_3_hot_provider": "aws"}
MULTI_CLOUD = {"layer_1_provider": "aws", "layer_2_provider": "azure", "layer_3_hot_provider": "aws"}
PROCESS_OK = "def process(event):\n    return event\n"


def project_files(providers=SINGLE_CLOUD, **extra):
    files = {
        "config.json": {
            "digital_twin_name": "plant",
            "hot_storage_size_in_days": 7,
            "cold_storage_size_in_days": 30,
        },
        "config_iot_devices.json": [{"id": "temperature-sensor-1"}],
        "config_events.json": [
            {"condition": "a.b.c > DOUBLE(1)", "action": {"type": "lambda", "functionName": "f"}}
        ],
        "config_providers.json": providers,
        "lambda_functions/processors/default_processor/process.py": PROCESS_OK,
    }
    files.update(extra)
    return files


def make_zip(files: dict, prefix: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            if content is None:
                continue
            text = content if isinstance(content, str) else json.dumps(content)
            archive.writestr(prefix + name, text)
    return buffer.getvalue()


# --- validate_config_content: config_inter_cloud.json -------------------------------------------------


def test_valid_inter_cloud_config_passes_and_is_returned_parsed(validator):
    assert (
        validator.validate_config_content("config_inter_cloud.json", json.dumps(INTER_CLOUD)) == INTER_CLOUD
    )


@pytest.mark.parametrize(
    "content, message",
    [
        ({"connections": []}, "'connections' in config_inter_cloud.json must be a dictionary."),
        ({}, "Missing key 'connections' in config_inter_cloud.json."),
        ({"connections": {"c1": "x"}}, "Connection 'c1' in config_inter_cloud.json must be an object."),
        (
            {"connections": {"c1": {"provider": "azure", "url": "https://x"}}},
            "Connection 'c1' in config_inter_cloud.json missing required fields: function, token",
        ),
        (
            {
                "connections": {
                    "c1": {"provider": "azure", "function": "ingestion", "token": "", "url": "https://x"}
                }
            },
            "Connection 'c1' in config_inter_cloud.json: 'token' must be a non-empty string.",
        ),
        (
            {
                "connections": {
                    "c1": {"provider": "ibm", "function": "ingestion", "token": "t", "url": "https://x"}
                }
            },
            (
                "Connection 'c1' in config_inter_cloud.json: unknown provider 'ibm' "
                "(expected one of aws, azure, google)."
            ),
        ),
        (
            {
                "connections": {
                    "c1": {"provider": "azure", "function": "ingestion", "token": "t", "url": "ftp://x"}
                }
            },
            "Connection 'c1' in config_inter_cloud.json: 'url' must be an http(s) URL.",
        ),
        ([], "config_inter_cloud.json must be a JSON object."),
    ],
)
def test_invalid_inter_cloud_config_is_rejected_with_a_precise_message(validator, content, message):
    with pytest.raises(ValueError) as raised:
        validator.validate_config_content("config_inter_cloud.json", content)
    assert str(raised.value) == message


def test_inter_cloud_config_that_is_not_json_is_rejected(validator):
    with pytest.raises(ValueError, match="Invalid JSON content for config_inter_cloud.json"):
        validator.validate_config_content("config_inter_cloud.json", "{connections:")


@pytest.mark.parametrize(
    "filename, content, message",
    [
        (
            "config.json",
            {"digital_twin_name": "x", "hot_storage_size_in_days": 1},
            "Missing key 'cold_storage_size_in_days' in config.json.",
        ),
        ("config_iot_devices.json", {"id": "d1"}, "config_iot_devices.json must be a JSON list."),
        (
            "config_iot_devices.json",
            [{"name": "d1"}],
            "Missing key 'id' in config_iot_devices.json at index 0.",
        ),
        ("config_iot_devices.json", ["d1"], "Entry at index 0 in config_iot_devices.json must be an object."),
        (
            "config_events.json",
            [{"condition": "x", "action": {"type": "lambda"}}],
            "Event action at index 0 in config_events.json missing 'type' or 'functionName'.",
        ),
        (
            "config_providers.json",
            {"layer_1_provider": "aws", "layer_2_provider": "oracle", "layer_3_hot_provider": "aws"},
            "Unknown provider 'oracle' for 'layer_2_provider' in config_providers.json.",
        ),
    ],
)
def test_other_config_files_are_checked_against_their_schema(validator, filename, content, message):
    with pytest.raises(ValueError) as raised:
        validator.validate_config_content(filename, content)
    assert str(raised.value) == message


def test_unknown_config_files_are_only_parsed(validator):
    assert validator.validate_config_content("notes.json", b'{"a": 1}') == {"a": 1}


def test_multi_cloud_detection_and_required_connections(validator):
    assert validator.is_multi_cloud(SINGLE_CLOUD) is False
    assert validator.is_multi_cloud(MULTI_CLOUD) is True
    assert validator.required_connections(MULTI_CLOUD) == ["aws_l1_to_azure_l2", "azure_l2_to_aws_l3"]
    assert validator.required_connections({**SINGLE_CLOUD, "layer_1_provider": "google"}) == [
        "google_l1_to_aws_l2"
    ]


# --- validate_project_zip ------------------------------------------------------------------------------


def test_valid_single_cloud_project_zip_passes_without_inter_cloud_config(validator):
    files = project_files(**{"lambda_functions/processors/temperature-sensor-1/process.py": PROCESS_OK})
    assert validator.validate_project_zip(make_zip(files)) == {
        "multi_cloud": False,
        "processors": ["default_processor", "temperature-sensor-1"],
    }


def test_valid_multi_cloud_project_zip_passes(validator, tmp_path):
    archive = tmp_path / "project.zip"
    archive.write_bytes(make_zip(project_files(MULTI_CLOUD, **{"config_inter_cloud.json": INTER_CLOUD})))
    assert validator.validate_project_zip(str(archive))["multi_cloud"] is True


def test_project_zip_with_invalid_inter_cloud_config_is_rejected(validator):
    broken = {"connections": {"aws_l1_to_azure_l2": {"provider": "azure", "url": "https://x"}}}
    zipped = make_zip(project_files(MULTI_CLOUD, **{"config_inter_cloud.json": broken}))
    with pytest.raises(ValueError) as raised:
        validator.validate_project_zip(zipped)
    assert str(raised.value) == (
        "Validation failed for config_inter_cloud.json inside zip: Connection "
        "'aws_l1_to_azure_l2' in config_inter_cloud.json missing required fields: "
        "function, token"
    )


def test_invalid_inter_cloud_config_is_rejected_even_in_a_single_cloud_project(validator):
    zipped = make_zip(project_files(**{"config_inter_cloud.json": {"connections": "none"}}))
    with pytest.raises(ValueError, match="must be a dictionary"):
        validator.validate_project_zip(zipped)


def test_multi_cloud_project_zip_requires_inter_cloud_config(validator):
    with pytest.raises(ValueError) as raised:
        validator.validate_project_zip(make_zip(project_files(MULTI_CLOUD)))
    assert str(raised.value) == (
        "Validation failed for config_inter_cloud.json: Missing config_inter_cloud.json: "
        "required for a multi-cloud deployment."
    )


def test_multi_cloud_project_zip_requires_a_connection_per_hop(validator):
    partial = {"connections": {"aws_l1_to_azure_l2": INTER_CLOUD["connections"]["aws_l1_to_azure_l2"]}}
    with pytest.raises(
        ValueError, match="Missing connection 'azure_l2_to_aws_l3' in config_inter_cloud.json"
    ):
        validator.validate_project_zip(
            make_zip(project_files(MULTI_CLOUD, **{"config_inter_cloud.json": partial}))
        )


def test_project_zip_missing_a_required_config_file_is_rejected(validator):
    with pytest.raises(ValueError, match="Missing required configuration file in zip: config_events.json"):
        validator.validate_project_zip(make_zip(project_files(**{"config_events.json": None})))


def test_project_zip_with_invalid_config_json_is_rejected(validator):
    with pytest.raises(
        ValueError, match="Validation failed for config.json inside zip: Invalid JSON content"
    ):
        validator.validate_project_zip(make_zip(project_files(**{"config.json": "{oops"})))


def test_project_in_a_subfolder_of_the_zip_is_found(validator):
    assert validator.validate_project_zip(make_zip(project_files(), prefix="my-twin/"))["processors"] == [
        "default_processor"
    ]


@pytest.mark.parametrize("evil", ["../evil.py", "/etc/passwd", "a/../../b.json"])
def test_project_zip_with_path_traversal_is_rejected(validator, evil):
    with pytest.raises(ValueError, match="Zip Slip Prevention"):
        validator.validate_project_zip(make_zip(project_files(**{evil: "x"})))


def test_bytes_that_are_not_a_zip_are_rejected(validator):
    with pytest.raises(ValueError, match="Not a valid zip archive"):
        validator.validate_project_zip(b"definitely not a zip")


def test_processor_with_syntax_error_is_rejected_with_file_and_line(validator):
    bad = {"lambda_functions/processors/pump-1/process.py": "def process(event):\n    return event +\n"}
    with pytest.raises(ValueError) as raised:
        validator.validate_project_zip(make_zip(project_files(**bad)))
    assert str(raised.value) == (
        "Syntax error in lambda_functions/processors/pump-1/process.py: invalid syntax at line 2"
    )


@pytest.mark.parametrize(
    "source",
    [
        "def handler(event):\n    return event\n",
        "def process():\n    return {}\n",
        "async def process(event):\n    return event\n",
        "class X:\n    def process(self, event):\n        return event\n",
    ],
)
def test_processor_without_process_event_is_rejected(validator, source):
    bad = {"lambda_functions/processors/pump-1/process.py": source}
    with pytest.raises(
        ValueError, match=r"lambda_functions/processors/pump-1/process.py must define 'def process\(event\)'"
    ):
        validator.validate_project_zip(make_zip(project_files(**bad)))


def test_processor_that_is_not_utf8_is_rejected(validator):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in project_files().items():
            archive.writestr(name, content if isinstance(content, str) else json.dumps(content))
        archive.writestr("lambda_functions/processors/p/process.py", b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="is not UTF-8 text"):
        validator.validate_project_zip(buffer.getvalue())


def test_files_deeper_than_a_processor_folder_are_not_treated_as_processors(validator):
    nested = {"lambda_functions/processors/p/lib/process.py": "not python ("}
    assert validator.validate_project_zip(make_zip(project_files(**nested)))["processors"] == [
        "default_processor"
    ]


def test_lambda_handler_signature_check(validator):
    validator.validate_python_code_aws("def lambda_handler(event, context):\n    return 1\n")
    with pytest.raises(ValueError, match="must define 'def lambda_handler\\(event, context\\)'"):
        validator.validate_python_code_aws("def lambda_handler(evt):\n    return 1\n")
    with pytest.raises(ValueError, match="Syntax error in lambda_function.py"):
        validator.validate_python_code_aws("def lambda_handler(event, context) return")


def test_shipped_wrapper_and_default_process_pass_validation(validator):
    validator.validate_python_code_aws(
        (FUNCTIONS_DIR / "processor_wrapper" / "lambda_function.py").read_text()
    )
    validator.validate_process_code((FUNCTIONS_DIR / "processor_wrapper" / "process.py").read_text())


# --- compile_merged_lambda_function ----------------------------------------------------------------------


def test_merged_zip_holds_the_wrapper_and_the_users_process_py(util, tmp_path):
    user_logic = tmp_path / "my_logic.py"
    user_logic.write_text("def process(event):\n    return {**event, 'pressure': event['pressure'] * 1.2}\n")

    merged = zipfile.ZipFile(
        io.BytesIO(util.compile_merged_lambda_function(FUNCTIONS_DIR / "processor_wrapper", user_logic))
    )

    assert sorted(merged.namelist()) == ["lambda_function.py", "process.py"]
    assert merged.read("process.py") == user_logic.read_bytes()
    assert (
        merged.read("lambda_function.py")
        == (FUNCTIONS_DIR / "processor_wrapper" / "lambda_function.py").read_bytes()
    )


def test_merging_cleans_up_its_temporary_directory_also_on_failure(util, tmp_path, monkeypatch):
    created = []
    real_mkdtemp = util.tempfile.mkdtemp
    monkeypatch.setattr(
        util.tempfile, "mkdtemp", lambda **kw: created.append(real_mkdtemp(**kw)) or created[-1]
    )
    user_logic = tmp_path / "process.py"
    user_logic.write_text(PROCESS_OK)

    util.compile_merged_lambda_function(FUNCTIONS_DIR / "processor_wrapper", user_logic)

    def broken_copy(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(util.shutil, "copyfile", broken_copy)
    with pytest.raises(OSError, match="disk full"):
        util.compile_merged_lambda_function(FUNCTIONS_DIR / "processor_wrapper", user_logic)

    assert len(created) == 2
    assert not any(Path(p).exists() for p in created)


def test_merging_leaves_out_caches_and_compiled_files(util, tmp_path):
    base = tmp_path / "wrapper"
    (base / "__pycache__").mkdir(parents=True)
    (base / "lambda_function.py").write_text("from process import process\n")
    (base / "__pycache__" / "lambda_function.cpython-311.pyc").write_bytes(b"\x00")
    (base / "helpers.pyc").write_bytes(b"\x00")
    user_logic = tmp_path / "p.py"
    user_logic.write_text(PROCESS_OK)
    names = zipfile.ZipFile(io.BytesIO(util.compile_merged_lambda_function(base, user_logic))).namelist()
    assert sorted(names) == ["lambda_function.py", "process.py"]


def test_merging_with_missing_inputs_raises_file_not_found(util, tmp_path):
    with pytest.raises(FileNotFoundError, match="system wrapper not found"):
        util.compile_merged_lambda_function(tmp_path / "nowhere", tmp_path / "p.py")
    with pytest.raises(FileNotFoundError, match="user logic not found"):
        util.compile_merged_lambda_function(FUNCTIONS_DIR / "processor_wrapper", tmp_path / "missing.py")


def test_packaging_is_reproducible_and_rejects_missing_folders(util, tmp_path):
    folder = FUNCTIONS_DIR / "dispatcher"
    assert util.compile_lambda_function(folder) == util.compile_lambda_function(folder)
    with pytest.raises(FileNotFoundError, match="function folder not found"):
        util.compile_lambda_function(tmp_path / "missing")


# --- the shipped project template --------------------------------------------------------------------

PROJECT_TEMPLATE = FUNCTIONS_DIR.parent / "project_template"


def zip_folder(folder: Path, replace: dict | None = None) -> bytes:
    files = {p.relative_to(folder).as_posix(): p.read_text() for p in folder.rglob("*") if p.is_file()}
    files.update(replace or {})
    return make_zip(files)


def test_shipped_project_template_is_a_valid_single_cloud_project(validator):
    assert validator.validate_project_zip(zip_folder(PROJECT_TEMPLATE)) == {
        "multi_cloud": False,
        "processors": ["default_processor"],
    }


def test_shipped_project_template_is_valid_when_switched_to_multi_cloud(validator):
    providers = json.dumps(MULTI_CLOUD)
    zipped = zip_folder(PROJECT_TEMPLATE, {"config_providers.json": providers})
    assert validator.validate_project_zip(zipped)["multi_cloud"] is True


def test_project_template_default_logic_matches_the_wrapper_default(validator):
    template_logic = PROJECT_TEMPLATE / "lambda_functions" / "processors" / "default_processor" / "process.py"
    assert template_logic.read_text() == (FUNCTIONS_DIR / "processor_wrapper" / "process.py").read_text()
