import json


def authorize(event, context):
    print(json.dumps(event))
    token = event["authorizationToken"]
    if token == "tok-unauthorized":
        raise Exception("Unauthorized")  # noqa: TRY002 - API Gateway answers 401 to this message
    if token == "tok-broken":
        raise ValueError("cannot reach the identity provider")  # any other error: 500
    return {
        "principalId": token[len("tok-"):],
        "policyDocument": {"Version": "2012-10-17", "Statement": [{
            "Action": "execute-api:Invoke", "Effect": "Deny" if token == "tok-deny" else "Allow",
            "Resource": event["methodArn"]}]},
        "context": {"user": token[len("tok-"):], "level": 3, "verified": True},
    }


def items(event, context):
    return {"statusCode": 200, "body": json.dumps(event["requestContext"]["authorizer"])}
