"""File names, schemas and naming rules shared by the validator and the deployers."""

CONFIG_FILE = "config.json"
CONFIG_IOT_DEVICES_FILE = "config_iot_devices.json"
CONFIG_EVENTS_FILE = "config_events.json"
CONFIG_PROVIDERS_FILE = "config_providers.json"
CONFIG_INTER_CLOUD_FILE = "config_inter_cloud.json"

REQUIRED_CONFIG_FILES = (CONFIG_FILE, CONFIG_IOT_DEVICES_FILE, CONFIG_EVENTS_FILE, CONFIG_PROVIDERS_FILE)

# Required keys per file: for an object the keys of the object, for a list the keys of every entry.
CONFIG_SCHEMAS = {
    CONFIG_FILE: ("digital_twin_name", "hot_storage_size_in_days", "cold_storage_size_in_days"),
    CONFIG_IOT_DEVICES_FILE: ("id",),
    CONFIG_EVENTS_FILE: ("condition", "action"),
    CONFIG_PROVIDERS_FILE: ("layer_1_provider", "layer_2_provider", "layer_3_hot_provider"),
    CONFIG_INTER_CLOUD_FILE: ("connections",),
}

INTER_CLOUD_CONNECTION_FIELDS = ("provider", "function", "token", "url")
SUPPORTED_PROVIDERS = ("aws", "azure", "google")

LAMBDA_FUNCTIONS_DIR_NAME = "lambda_functions"
PROCESSORS_DIR_NAME = "processors"
DEFAULT_PROCESSOR_DIR_NAME = "default_processor"
PROCESS_FILE = "process.py"
HANDLER_FILE = "lambda_function.py"

PROCESSOR_SUFFIX = "-processor"
CONNECTOR_SUFFIX = "-connector"


def connection_id(from_provider: str, from_layer: int, to_provider: str, to_layer: int) -> str:
    """Key of a hop in config_inter_cloud.json, e.g. ``aws_l1_to_azure_l2``."""
    return f"{from_provider}_l{from_layer}_to_{to_provider}_l{to_layer}"
