"""Movers: cutoff computed per run (warm containers), crash-safe copy-then-delete, partial failure."""

import datetime
import json

import pytest
from botocore.exceptions import ClientError
from freezegun import freeze_time

COLD = "twin-cold-storage"
ARCHIVE = "twin-archive-storage"
NOW = datetime.datetime(2025, 3, 1, tzinfo=datetime.UTC)


def iso(moment: datetime.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def days_ago(days: float) -> str:
    return iso(NOW - datetime.timedelta(days=days))


@pytest.fixture
def buckets(aws_client):
    s3 = aws_client("s3")
    s3.create_bucket(Bucket=COLD)
    s3.create_bucket(Bucket=ARCHIVE)
    return s3


@pytest.fixture
def hot_mover(load_function, hot_table, buckets, twin_info):
    def _load(devices=("d1",), hot_days=7, fresh=False, **env):
        return load_function(
            "hot-to-cold-mover",
            fresh=fresh,
            DIGITAL_TWIN_INFO=twin_info(hot_days=hot_days, devices=devices),
            DYNAMODB_TABLE_NAME=hot_table.name,
            COLD_S3_BUCKET_NAME=COLD,
            **env,
        )

    return _load


def put_readings(table, device, *ages_in_days):
    for age in ages_in_days:
        table.put_item(Item={"iotDeviceId": device, "id": days_ago(age), "temperature": int(age * 10)})


def cold_objects(s3):
    listed = s3.list_objects_v2(Bucket=COLD).get("Contents", [])
    return {o["Key"]: json.loads(s3.get_object(Bucket=COLD, Key=o["Key"])["Body"].read()) for o in listed}


def hot_ids(table, device="d1"):
    return [
        i["id"]
        for i in table.query(
            KeyConditionExpression="iotDeviceId = :d", ExpressionAttributeValues={":d": device}
        )["Items"]
    ]


def test_hot_to_cold_moves_items_older_than_retention_and_keeps_recent_ones(
    hot_mover, hot_table, buckets, context, logs
):
    put_readings(hot_table, "d1", 10, 8, 6, 1)
    with freeze_time(NOW):
        module = hot_mover()
        result = module.lambda_handler({}, context)

    key = f"d1/{days_ago(10)}.json"
    assert result == {
        "cutoff": days_ago(7),
        "moved": 2,
        "objects": [key],
        "failed_devices": [],
        "complete": True,
    }
    assert cold_objects(buckets) == {
        key: [
            {"iotDeviceId": "d1", "id": days_ago(10), "temperature": 100},
            {"iotDeviceId": "d1", "id": days_ago(8), "temperature": 80},
        ]
    }
    assert buckets.head_object(Bucket=COLD, Key=key)["StorageClass"] == "STANDARD_IA"
    assert hot_ids(hot_table) == [days_ago(6), days_ago(1)]
    [entry] = logs.find("Moved items to cold storage")
    assert (entry["count"], entry["first_id"], entry["last_id"]) == (2, days_ago(10), days_ago(8))


def test_hot_to_cold_cutoff_is_recomputed_in_a_warm_container(hot_mover, hot_table, buckets, context):
    put_readings(hot_table, "d1", 5)
    with freeze_time(NOW) as clock:
        module = hot_mover(fresh=True)  # cold start (module import) on day 0
        assert module.lambda_handler({}, context)["moved"] == 0
        clock.move_to(NOW + datetime.timedelta(days=3))  # same container, three days later
        result = module.lambda_handler({}, context)

    assert result["cutoff"] == iso(NOW - datetime.timedelta(days=4))
    assert result["moved"] == 1
    assert hot_ids(hot_table) == []


def test_hot_to_cold_writes_one_object_per_page(hot_mover, hot_table, buckets, context):
    put_readings(hot_table, "d1", 20, 19, 18, 17, 16)
    with freeze_time(NOW):
        result = hot_mover(MOVER_PAGE_SIZE="2").lambda_handler({}, context)

    assert result["objects"] == [
        f"d1/{days_ago(20)}.json",
        f"d1/{days_ago(18)}.json",
        f"d1/{days_ago(16)}.json",
    ]
    assert [len(items) for items in cold_objects(buckets).values()] == [2, 2, 1]


def test_hot_to_cold_crash_between_copy_and_delete_loses_and_duplicates_nothing(
    hot_mover, hot_table, buckets, context, logs, monkeypatch
):
    put_readings(hot_table, "d1", 12, 11, 10)
    put_readings(hot_table, "d2", 9)
    with freeze_time(NOW) as clock:
        module = hot_mover(devices=("d1", "d2"))
        client = module.dynamodb.meta.client
        real = client.transact_write_items
        crashes = []

        def crash_once(**kwargs):
            if not crashes:
                crashes.append(kwargs)
                raise ClientError(
                    {"Error": {"Code": "InternalServerError", "Message": "boom"}}, "TransactWriteItems"
                )
            return real(**kwargs)

        monkeypatch.setattr(client, "transact_write_items", crash_once)
        with pytest.raises(module.MoverError, match="d1"):
            module.lambda_handler({}, context)
        assert hot_ids(hot_table, "d1") == [days_ago(12), days_ago(11), days_ago(10)]  # nothing deleted
        assert hot_ids(hot_table, "d2") == []  # the other device was still moved
        [entry] = logs.find("Hot-to-Cold move failed for device")
        assert entry["iotDeviceId"] == "d1"

        put_readings(hot_table, "d1", 7.5)  # newer item that ages past the cutoff before the retry
        clock.move_to(NOW + datetime.timedelta(days=1))
        retry = module.lambda_handler({}, context)  # Lambda's async retry / the next schedule

    assert retry["moved"] == 4
    objects = cold_objects(buckets)
    assert sorted(objects) == [f"d1/{days_ago(12)}.json", f"d2/{days_ago(9)}.json"]
    moved_ids = [item["id"] for items in objects.values() for item in items]
    assert sorted(moved_ids) == sorted([days_ago(12), days_ago(11), days_ago(10), days_ago(7.5), days_ago(9)])
    assert len(moved_ids) == len(set(moved_ids))
    assert hot_ids(hot_table, "d1") == []


def test_hot_to_cold_stops_early_when_lambda_time_runs_low(hot_mover, hot_table, buckets, context, logs):
    put_readings(hot_table, "d1", 20, 19, 18)
    context.remaining_ms = [300_000, 5_000]
    with freeze_time(NOW):
        result = hot_mover(MOVER_PAGE_SIZE="1").lambda_handler({}, context)
    assert result["complete"] is False
    assert result["moved"] == 1
    assert len(hot_ids(hot_table)) == 2
    assert logs.messages("WARNING") == ["Stopping early: Lambda time nearly used up"]


def test_hot_to_cold_with_nothing_to_move_writes_nothing(hot_mover, hot_table, buckets, context):
    put_readings(hot_table, "d1", 1)
    with freeze_time(NOW):
        assert hot_mover().lambda_handler({}, context)["objects"] == []
    assert cold_objects(buckets) == {}


def test_hot_to_cold_compute_cutoff_uses_utc_milliseconds(hot_mover):
    module = hot_mover()
    moment = datetime.datetime(
        2025, 1, 8, 12, 0, 0, 123456, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
    )
    assert module.compute_cutoff(moment, 7) == "2025-01-01T10:00:00.123Z"


@pytest.mark.parametrize(
    "env, problem",
    [
        ({"DIGITAL_TWIN_INFO": "nope"}, "DIGITAL_TWIN_INFO missing or invalid: JSONDecodeError"),
        (
            {
                "DIGITAL_TWIN_INFO": json.dumps(
                    {"config": {"hot_storage_size_in_days": "7"}, "config_iot_devices": []}
                )
            },
            "hot_storage_size_in_days must be a number >= 0, got '7'",
        ),
        (
            {
                "DIGITAL_TWIN_INFO": json.dumps(
                    {"config": {"hot_storage_size_in_days": -1}, "config_iot_devices": []}
                )
            },
            "hot_storage_size_in_days must be a number >= 0, got -1",
        ),
        ({"COLD_S3_BUCKET_NAME": ""}, "DYNAMODB_TABLE_NAME and COLD_S3_BUCKET_NAME must be set"),
        ({"MOVER_PAGE_SIZE": "lots"}, "MOVER_PAGE_SIZE must be an integer, got 'lots'"),
        ({"MOVER_PAGE_SIZE": "101"}, "MOVER_PAGE_SIZE must be between 1 and 100, got 101"),
    ],
)
def test_hot_to_cold_misconfiguration_is_logged_and_raised(
    hot_mover, context, logs, monkeypatch, env, problem
):
    module = hot_mover()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(module.ConfigurationError):
        module.lambda_handler({}, context)
    [message] = logs.messages("ERROR")
    assert message.startswith(f"Hot-to-Cold Mover misconfigured: {problem}")


@pytest.fixture
def archive_mover(load_function, buckets, twin_info):
    def _load(cold_days=30, fresh=False, **env):
        return load_function(
            "cold-to-archive-mover",
            fresh=fresh,
            DIGITAL_TWIN_INFO=twin_info(cold_days=cold_days),
            COLD_S3_BUCKET_NAME=COLD,
            ARCHIVE_S3_BUCKET_NAME=ARCHIVE,
            **env,
        )

    return _load


def put_cold_object(s3, key, age_in_days, body=b"[]"):
    with freeze_time(NOW - datetime.timedelta(days=age_in_days)):
        s3.put_object(Bucket=COLD, Key=key, Body=body)


def keys(s3, bucket):
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]


def test_cold_to_archive_moves_old_objects_with_archive_storage_class(archive_mover, buckets, context, logs):
    put_cold_object(buckets, "d1/old.json", 40, b'[{"id": "a"}]')
    put_cold_object(buckets, "d1/recent.json", 10)
    etag = buckets.head_object(Bucket=COLD, Key="d1/old.json")["ETag"]
    with freeze_time(NOW):
        result = archive_mover().lambda_handler({}, context)

    assert result["moved"] == ["d1/old.json"]
    assert keys(buckets, COLD) == ["d1/recent.json"]
    assert keys(buckets, ARCHIVE) == ["d1/old.json"]
    archived = buckets.head_object(Bucket=ARCHIVE, Key="d1/old.json")
    assert archived["StorageClass"] == "DEEP_ARCHIVE"
    assert archived["ETag"] == etag  # same bytes; archived objects cannot be read without a restore
    [entry] = logs.find("Moved object to archive")
    assert entry["key"] == "d1/old.json"


def test_cold_to_archive_cutoff_is_recomputed_in_a_warm_container(archive_mover, buckets, context):
    put_cold_object(buckets, "d1/x.json", 25)
    with freeze_time(NOW) as clock:
        module = archive_mover(fresh=True)  # cold start (module import) on day 0
        assert module.lambda_handler({}, context)["moved"] == []
        clock.move_to(NOW + datetime.timedelta(days=6))
        assert module.lambda_handler({}, context)["moved"] == ["d1/x.json"]


def test_cold_to_archive_crash_between_copy_and_delete_loses_and_duplicates_nothing(
    archive_mover, buckets, context, logs, monkeypatch
):
    put_cold_object(buckets, "d1/a.json", 40, b"A")
    put_cold_object(buckets, "d1/b.json", 45, b"B")
    etag = buckets.head_object(Bucket=COLD, Key="d1/a.json")["ETag"]
    with freeze_time(NOW):
        module = archive_mover()
        real_delete = module.s3_client.delete_object
        failed = []

        def delete_fails_once(**kwargs):
            if kwargs["Key"] == "d1/a.json" and not failed:
                failed.append(kwargs["Key"])
                raise ClientError({"Error": {"Code": "SlowDown", "Message": "reduce rate"}}, "DeleteObject")
            return real_delete(**kwargs)

        monkeypatch.setattr(module.s3_client, "delete_object", delete_fails_once)
        with pytest.raises(module.MoverError, match="1 object"):
            module.lambda_handler({}, context)
        assert keys(buckets, COLD) == ["d1/a.json"]  # copied but not deleted: still safe in cold
        assert logs.find("Archive move failed for object")[0]["key"] == "d1/a.json"

        assert module.lambda_handler({}, context)["moved"] == ["d1/a.json"]  # the retry

    assert keys(buckets, COLD) == []
    assert keys(buckets, ARCHIVE) == ["d1/a.json", "d1/b.json"]
    assert buckets.head_object(Bucket=ARCHIVE, Key="d1/a.json")["ETag"] == etag


def test_cold_to_archive_copy_failure_keeps_the_object_in_cold(archive_mover, buckets, context, monkeypatch):
    put_cold_object(buckets, "d1/a.json", 40)
    with freeze_time(NOW):
        module = archive_mover()

        def copy_fails(**kwargs):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "CopyObject")

        monkeypatch.setattr(module.s3_client, "copy_object", copy_fails)
        with pytest.raises(module.MoverError):
            module.lambda_handler({}, context)
    assert keys(buckets, COLD) == ["d1/a.json"]
    assert keys(buckets, ARCHIVE) == []


def test_cold_to_archive_listing_failure_is_logged_and_raised(archive_mover, context, logs, monkeypatch):
    module = archive_mover()
    monkeypatch.setenv("COLD_S3_BUCKET_NAME", "bucket-that-does-not-exist")
    with pytest.raises(ClientError, match="NoSuchBucket"):
        module.lambda_handler({}, context)
    assert logs.messages("ERROR") == ["Listing the cold bucket failed"]


def test_cold_to_archive_stops_early_when_lambda_time_runs_low(archive_mover, buckets, context, logs):
    put_cold_object(buckets, "d1/a.json", 40)
    put_cold_object(buckets, "d1/b.json", 40)
    context.remaining_ms = [300_000, 5_000]
    with freeze_time(NOW):
        result = archive_mover().lambda_handler({}, context)
    assert result["complete"] is False
    assert result["moved"] == ["d1/a.json"]
    assert keys(buckets, COLD) == ["d1/b.json"]


def test_cold_to_archive_honours_configured_storage_class(archive_mover, buckets, context):
    put_cold_object(buckets, "d1/a.json", 40)
    with freeze_time(NOW):
        archive_mover(ARCHIVE_STORAGE_CLASS="GLACIER").lambda_handler({}, context)
    assert buckets.head_object(Bucket=ARCHIVE, Key="d1/a.json")["StorageClass"] == "GLACIER"


@pytest.mark.parametrize(
    "env, problem",
    [
        ({"DIGITAL_TWIN_INFO": "{}"}, "DIGITAL_TWIN_INFO missing or invalid: KeyError"),
        (
            {"DIGITAL_TWIN_INFO": json.dumps({"config": {"cold_storage_size_in_days": True}})},
            "cold_storage_size_in_days must be a number >= 0, got True",
        ),
        ({"ARCHIVE_S3_BUCKET_NAME": ""}, "COLD_S3_BUCKET_NAME and ARCHIVE_S3_BUCKET_NAME must be set"),
        ({"ARCHIVE_STORAGE_CLASS": "STANDARD"}, "ARCHIVE_STORAGE_CLASS must be one of"),
    ],
)
def test_cold_to_archive_misconfiguration_is_logged_and_raised(
    archive_mover, context, logs, monkeypatch, env, problem
):
    module = archive_mover()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(module.ConfigurationError):
        module.lambda_handler({}, context)
    [message] = logs.messages("ERROR")
    assert message.startswith(f"Cold-to-Archive Mover misconfigured: {problem}")
