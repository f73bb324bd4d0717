"""Public-pattern SAM applications (tests/harness/sam/patterns/): each loads without a warning and runs its
happy path."""
import json
from pathlib import Path

from harness import Simulation

PATTERNS = Path(__file__).parent / "patterns"


def test_api_lambda_simple_table_stores_and_reads_an_item():
    with Simulation(PATTERNS / "api_simple_table" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        created = sim.http("POST", "/items", body={"itemId": "a1", "colour": "red"})
        assert created.status == 201
        assert sim.http("GET", "/items/a1").json() == {"itemId": "a1", "colour": "red"}
        assert sim.http("GET", "/items/zz").status == 404
        table = sim.resource("ItemsTable")
        described = sim.client("dynamodb").describe_table(TableName=table["Ref"])["Table"]
        assert described["KeySchema"] == [{"AttributeName": "itemId", "KeyType": "HASH"}]
        assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
        assert table["Arn"].endswith(f"table/{table['Ref']}")


def test_sqs_dlq_mapping_loads_without_warnings():
    with Simulation(PATTERNS / "sqs_dlq_mapping" / "template.yaml", seed=1) as sim:
        assert sim.warnings == []
        assert json.dumps(sim.resource("OrdersDlq")["Arn"]).count(":") == 5
