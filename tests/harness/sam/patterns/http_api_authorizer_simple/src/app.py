def authorize(event, context):
    token = event["headers"].get("authorization", "")
    if token == "boom":
        raise RuntimeError("token service down")
    if token.startswith("allow-"):
        return {"isAuthorized": True,
                "context": {"user": token[len("allow-"):], "tier": 2, "admin": False, "groups": ["a", "b"]}}
    return {"isAuthorized": False}


def list_orders(event, context):
    return {"orders": [], "authorizer": event["requestContext"]["authorizer"]}


def health(event, context):
    return {"ok": True, "authorizer": event["requestContext"].get("authorizer")}
