"""Each execution environment has its own module namespace and its own copy of per-environment libraries
(Powertools), as it would on AWS where every environment is its own process; the host process's modules and
loggers are left as they were."""
import json
import sys
import textwrap

import pytest

from harness import Simulation

POWERTOOLS = "aws_lambda_powertools"

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.11, CodeUri: src/, Timeout: 60}
Resources:
  First: {Type: AWS::Serverless::Function, Properties: {Handler: shop.first.handler}}
  Second: {Type: AWS::Serverless::Function, Properties: {Handler: shop.second.handler}}
  Importer: {Type: AWS::Serverless::Function, Properties: {Handler: shop.importer.handler}}
  Metered:
    Type: AWS::Serverless::Function
    Properties:
      Handler: shop.metered.handler
      Environment: {Variables: {POWERTOOLS_SERVICE_NAME: shop, POWERTOOLS_METRICS_NAMESPACE: Shop}}
  Overloaded: {Type: AWS::Serverless::Function, Properties: {Handler: shop.overloaded.handler}}
"""
CODE = {
    "shop/__init__.py": "",
    "shop/state.py": "MARK = 'fresh'\n",
    "shop/extra.py": "MARK = 'fresh'\n",
    "shop/first.py": """
        from shop import state

        def handler(event, context):
            return state.MARK
        """,
    "shop/second.py": """
        from shop import extra

        def handler(event, context):
            return extra.MARK
        """,
    "shop/lazy.py": "COUNT = 0\n",
    "shop/importer.py": """
        import importlib
        import sys
        import threading

        def handler(event, context):
            action = event["action"]
            if action == "nothing":
                return 0
            if action == "delete then import":  # a host entry goes, one of ours comes: the count stays the same
                del sys.modules[event["delete"]]
            if action == "import in a thread":
                box = {}
                thread = threading.Thread(target=lambda: box.update(module=importlib.import_module("shop.lazy")))
                thread.start()
                thread.join()
                module = box["module"]
            else:
                module = importlib.import_module("shop.lazy")
            if action == "import, delete and import again":
                del sys.modules["shop.lazy"]
                module = importlib.import_module("shop.lazy")
            module.COUNT += 1
            return module.COUNT
        """,
    "shop/metered.py": """
        import time

        from aws_lambda_powertools import Logger, Metrics

        logger = Logger()
        metrics = Metrics()

        @metrics.log_metrics
        @logger.inject_lambda_context
        def handler(event, context):
            logger.append_keys(order=event["order"])
            metrics.add_metric(name=event["order"], unit="Count", value=1)
            time.sleep(event["pause"])  # the other environment runs meanwhile
            logger.info("done")
            return event["order"]
        """,
    "shop/overloaded.py": """
        import time
        import typing
        from typing import overload

        from aws_lambda_powertools.shared import functions

        @overload
        def pick(value: int) -> int: ...
        @overload
        def pick(value: str) -> str: ...
        def pick(value):
            return value

        def handler(event, context):
            time.sleep(event["pause"])  # the other environment runs meanwhile
            own = typing.get_overloads(pick)
            library = typing.get_overloads(functions.resolve_env_var_choice)
            return [len(own), all(f.__globals__ is globals() for f in own),
                    len(library) > 0, all(f.__globals__ is vars(functions) for f in library)]
        """,
}


@pytest.fixture
def shop(tmp_path):
    """A SAM application whose functions share one code folder (package `shop`)."""
    for name, text in CODE.items():
        path = tmp_path / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    (tmp_path / "template.yaml").write_text(TEMPLATE)
    yield tmp_path
    for name in [n for n in sys.modules if n == "shop" or n.startswith("shop.")]:
        del sys.modules[name]


def test_a_warm_environment_leaves_the_hosts_own_import_of_its_package_in_place(shop, monkeypatch):
    # The host (a unit test, say) imported the package itself and changed its module state.
    monkeypatch.syspath_prepend(str(shop / "src"))
    from shop import extra, state
    state.MARK = extra.MARK = "host"
    with Simulation(shop / "template.yaml", seed=1) as sim:
        first = [sim.invoke("First").payload for _ in range(3)]  # the second and third re-enter a warm one
        second = sim.invoke("Second").payload
    assert first == ["fresh"] * 3
    assert second == "fresh"  # not the host's module, left half in place by the warm environment
    assert sys.modules["shop.state"] is state and sys.modules["shop.extra"] is extra and "shop" in sys.modules


def _log_lines(result):
    return [json.loads(line) for line in result.logs if line.startswith("{")]


def test_concurrent_environments_keep_their_own_powertools_metrics_logger_keys_and_cold_start(shop):
    with Simulation(shop / "template.yaml", seed=1) as sim:
        sim.invoke("Metered", {"order": "apples", "pause": 5}, type="Event")
        sim.invoke("Metered", {"order": "pears", "pause": 1}, type="Event")
        sim.run_until_idle()
        runs = {r.payload: r for r in sim.invocations if r.function.endswith("Metered") and r.ok}
    assert runs["apples"].container_id != runs["pears"].container_id
    for order, other in (("apples", "pears"), ("pears", "apples")):
        lines = _log_lines(runs[order])
        (done,) = [line for line in lines if line.get("message") == "done"]
        assert done["order"] == order and done["cold_start"] is True
        (emf,) = [line for line in lines if "_aws" in line]
        metric_names = [m["Name"] for m in emf["_aws"]["CloudWatchMetrics"][0]["Metrics"]]
        assert metric_names == [order], f"{order}'s metrics blob carries {metric_names}"
        assert other not in json.dumps(lines)


def test_environments_leave_no_powertools_modules_loggers_or_session_initializers_in_the_process(shop):
    import logging

    import botocore
    def ours(names):  # other tests of this worker may have imported Powertools into the host: compare, not zero
        return {name for name in names if name.partition(".")[0] in ("shop", POWERTOOLS)}

    initializers = list(botocore._INITIALIZERS)
    loggers, modules = ours(logging.Logger.manager.loggerDict), ours(sys.modules)
    for _ in range(2):
        with Simulation(shop / "template.yaml", seed=1) as sim:
            sim.invoke("Metered", {"order": "apples", "pause": 0})
    assert ours(logging.Logger.manager.loggerDict) == loggers
    assert ours(sys.modules) == modules
    assert botocore._INITIALIZERS == initializers  # Powertools registers one per import


def _lazy_module_of(sim, function):
    (container,) = sim.runtime.containers(function)
    return container.modules.get("shop.lazy")


@pytest.mark.parametrize("action", ["import", "import in a thread", "import, delete and import again"])
def test_a_module_imported_by_a_warm_step_stays_with_its_environment_and_out_of_the_process(shop, action):
    with Simulation(shop / "template.yaml", seed=1) as sim:
        sim.invoke("First")  # another environment of the same code, warm before the import happens
        counts = [sim.invoke("Importer", {"action": action}).payload for _ in range(3)]
        assert "shop.lazy" not in sys.modules
        assert _lazy_module_of(sim, "Importer") is not None
        assert _lazy_module_of(sim, "First") is None
        sim.runtime.recycle("Importer")
        again = sim.invoke("Importer", {"action": action}).payload  # a new environment imports it afresh
    # The module's state lives in its environment across warm invocations; a module deleted and imported again
    # is a new module each time (the environment keeps the first it saw under that name, as before).
    assert counts == ([1, 1, 1] if action == "import, delete and import again" else [1, 2, 3])
    assert again == 1
    assert "shop.lazy" not in sys.modules


def test_a_step_that_deletes_a_host_module_and_imports_one_of_its_own_keeps_its_own(shop):
    # The number of loaded modules does not change: only where they sit in sys.modules says what was added.
    sys.modules["host_only_placeholder"] = type(sys)("host_only_placeholder")
    with Simulation(shop / "template.yaml", seed=1) as sim:
        sim.invoke("Importer", {"action": "nothing"})  # cold start, then warm
        result = sim.invoke("Importer", {"action": "delete then import", "delete": "host_only_placeholder"})
        assert result.ok, result.error
        assert "shop.lazy" not in sys.modules
        assert _lazy_module_of(sim, "Importer") is not None


def test_a_warm_step_asks_about_the_modules_it_added_only(shop, monkeypatch):
    from harness.lambda_runtime.container import Container

    asked = []
    owns = Container._owns
    monkeypatch.setattr(Container, "_owns", lambda self, name, module: asked.append(name) or owns(self, name, module))
    with Simulation(shop / "template.yaml", seed=1) as sim:
        sim.invoke("Importer", {"action": "nothing"})
        asked.clear()
        sim.invoke("Importer", {"action": "import"})  # a warm step that imports one module
        assert asked == ["shop.lazy"]
        asked.clear()
        sim.invoke("Importer", {"action": "import"})  # and one that imports nothing new
        assert asked == []


def test_each_environment_sees_its_own_typing_overloads_and_leaves_none_in_the_process(shop):
    import typing

    import aws_lambda_powertools.shared.functions  # noqa: F401 - the host's own entries, which must stay as they are
    registry = typing._overload_registry
    before = {name: dict(entry) for name, entry in registry.items() if name.partition(".")[0] in ("shop", POWERTOOLS)}
    with Simulation(shop / "template.yaml", seed=1) as sim:
        sim.invoke("Overloaded", {"pause": 5}, type="Event")
        sim.invoke("Overloaded", {"pause": 1}, type="Event")
        sim.run_until_idle()
        runs = [r for r in sim.invocations if r.function.endswith("Overloaded")]
    assert len({r.container_id for r in runs}) == 2
    assert [r.payload for r in runs] == [[2, True, True, True]] * 2  # the other environment's never show
    after = {name: dict(entry) for name, entry in registry.items() if name.partition(".")[0] in ("shop", POWERTOOLS)}
    assert after == before  # nothing of the environments is left to keep their namespaces alive
