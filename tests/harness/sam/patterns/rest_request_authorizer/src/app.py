import json


def authorize(event, context):
    print(json.dumps(event))
    tenant = (event.get("headers") or {}).get("X-Tenant")
    key = (event.get("queryStringParameters") or {}).get("key")
    if not tenant or key != f"{tenant}-key":
        raise Exception("Unauthorized")  # noqa: TRY002 - API Gateway reads this exact message
    return {"principalId": tenant, "context": {"tenant": tenant},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}]}}


def tenant(event, context):
    return {"statusCode": 200, "body": json.dumps({"path": event["pathParameters"],
                                                   "authorizer": event["requestContext"].get("authorizer")})}
