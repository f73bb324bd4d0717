import json


def authorize(event, context):
    print(json.dumps(event))
    api = event["methodArn"].split("/")[0]  # arn:aws:execute-api:region:account:api-id
    reader = event["queryStringParameters"].get("key") == "reader"
    return {
        "principalId": "reader" if reader else "nobody",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Allow" if reader else "Deny",
             "Resource": f"{api}/*/GET/reports/*"}]},
        "context": {"team": "finance", "quota": 5},
    }


def report(event, context):
    if event.get("version") == "1.0":
        return {"statusCode": 200, "body": str(event["requestContext"]["authorizer"])}
    return {"id": event["pathParameters"]["id"], "authorizer": event["requestContext"]["authorizer"]}
