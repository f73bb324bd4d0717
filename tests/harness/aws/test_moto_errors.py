"""moto's JSON errors made without their discarded XML body (harness/aws/moto_errors.py) are moto's own: every
attribute, the body, the headers and the text, for DynamoDB and Secrets Manager errors and odd arguments; a class
with its own constructor between JsonRESTError and moto's base is made by moto."""
import pytest
from moto.core.exceptions import JsonRESTError
from moto.dynamodb import exceptions as dynamodb
from moto.secretsmanager import exceptions as secrets

from harness.aws import moto_errors


class Mixin(Exception):
    def __init__(self, *args, **kwargs):
        self.mixed = True
        super().__init__(*args, **kwargs)


class Mixed(JsonRESTError, Mixin):
    pass


MAKERS = [
    lambda: dynamodb.ConditionalCheckFailed(),
    lambda: dynamodb.ConditionalCheckFailed(item={"pk": {"S": "a"}, "n": {"N": "1"}}),
    lambda: dynamodb.ResourceNotFoundException(),
    lambda: dynamodb.MockValidationException("One or more parameter values were invalid <&>"),
    lambda: dynamodb.ItemSizeTooLarge(),
    lambda: dynamodb.ProvidedKeyDoesNotExist(),
    lambda: secrets.ResourceNotFoundException("Secrets Manager can't find the specified secret."),
    lambda: secrets.InvalidParameterException("bad"),
    lambda: JsonRESTError("SomeType", "ü message"),
    lambda: JsonRESTError("SomeType", None),
    lambda: JsonRESTError(None, "message"),
    lambda: Mixed("Mixed", "through a mixin"),
]


def described(make) -> tuple:
    try:
        error = make()
    except Exception as exc:  # noqa: BLE001 - moto's own refusal is an answer too
        return "raised", type(exc).__name__, str(exc)
    attributes = {key: value for key, value in vars(error).items()}
    return (type(error).__name__, attributes, error.get_body(), error.get_headers(), str(error), error.code,
            error.args)


@pytest.mark.parametrize("make", MAKERS)
def test_errors_are_made_as_moto_makes_them(make):
    moto_errors.uninstall()
    slow = described(make)
    moto_errors.install()
    assert described(make) == slow
