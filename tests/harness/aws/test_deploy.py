"""Deploying reads each template condition once; what it creates and configures is what evaluating each one at
every question gives, and after the deploy a condition follows the template again."""
import contextlib
import textwrap

from harness import Simulation
from harness.aws.deploy import Deployer
from harness.template import Resolver

TEMPLATE = """\
Parameters:
  Env: {Type: String, Default: dev}
  Region2: {Type: String, Default: "no"}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  DevWithCopy: !And [!Condition IsDev, !Not [!Equals [!Ref Region2, "no"]]]
  Either: !Or [!Condition IsProd, !Condition DevWithCopy]
Resources:
  Work:
    Type: AWS::SQS::Queue
    Condition: IsDev
  Copy:
    Type: AWS::SQS::Queue
    Condition: DevWithCopy
  Audit:
    Type: AWS::DynamoDB::Table
    Condition: Either
    Properties:
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
  Fn:
    Type: AWS::Serverless::Function
    Condition: IsDev
    Properties:
      Handler: app.handler
      CodeUri: src/
      Runtime: python3.11
      Environment:
        Variables:
          QUEUE: !If [IsDev, !Ref Work, none]
          COPY: !If [DevWithCopy, !Ref Copy, none]
          MODE: !If [Either, audited, plain]
  Other:
    Type: AWS::Serverless::Function
    Condition: IsProd
    Properties: {Handler: app.handler, CodeUri: src/, Runtime: python3.11}
"""


def _template(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return event\n")
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(TEMPLATE))
    return path


def _deployed(path, parameters, monkeypatch, fixed=True):
    """What a deploy made, and how often each condition's expression was evaluated while deploying."""
    evaluated: dict[str, int] = {}
    resolve, deploying = Resolver.resolve, Deployer.deploying
    inside = []

    def counting(self, value):
        for name, expression in self.template.conditions.items():
            if value is expression and inside:
                evaluated[name] = evaluated.get(name, 0) + 1
        return resolve(self, value)

    @contextlib.contextmanager
    def watched(self):
        inside.append(self)
        try:
            with deploying(self):
                yield
        finally:
            inside.pop()
    with monkeypatch.context() as patch:
        patch.setattr(Resolver, "resolve", counting)
        patch.setattr(Deployer, "deploying", watched)
        if not fixed:
            patch.setattr(Resolver, "fixed", lambda self: contextlib.nullcontext())
        sim = Simulation(path, parameters=parameters)
        sim.start()
    try:
        made = {logical_id: attrs.get("Ref") for logical_id, attrs in sim.deployer.attrs.items()}
        functions = {name: config.environment for name, config in sim.runtime.functions.items()}
        return made, functions, sim.trace.hash(), evaluated
    finally:
        sim.stop()


def test_a_deploy_evaluates_each_condition_once_and_makes_what_evaluating_every_time_makes(tmp_path, monkeypatch):
    path = _template(tmp_path)
    for parameters in ({}, {"Env": "prod"}, {"Region2": "eu"}):
        *once, counted = _deployed(path, parameters, monkeypatch)
        *every_time, counted_every_time = _deployed(path, parameters, monkeypatch, fixed=False)
        assert once == every_time
        assert set(counted.values()) == {1}
        assert sum(counted_every_time.values()) > sum(counted.values())


def test_after_the_deploy_a_condition_follows_the_template_again(tmp_path):
    with Simulation(_template(tmp_path)) as sim:
        assert sim.deployer.resolver.condition("IsProd") is False
        assert sim.deployer.enabled("Work")
        sim.template.parameters["Env"] = "prod"
        assert sim.deployer.resolver.condition("IsProd") is True
        assert not sim.deployer.enabled("Work")
