def get_user(event, context):
    return {"id": event["pathParameters"]["id"], "route": event["routeKey"], "version": event["version"],
            "stage": event["requestContext"]["stage"]}


def catch_all(event, context):
    return {"statusCode": 418, "body": event["rawPath"]}


def broken(event, context):
    raise RuntimeError("boom")
