"""The import system with the harness's fast paths (importlib's own functions copied with claimed module locks,
direct module objects, the cached code and direct specs in front) imports exactly what Python's own import system
imports: the same modules and attributes in the same order, the same sys.modules entries in the same order, the
same errors and tracebacks, with circular imports, failing imports and a handler's own threads."""
import contextlib
import importlib
import subprocess
import sys
import tempfile
import threading
import traceback
from importlib import _bootstrap
from importlib.machinery import ModuleSpec, SourceFileLoader
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import Simulation
from harness.lambda_runtime import codecache, import_protocol

codecache.register([])  # the copies in place, as after any cold start


def test_the_copies_are_made_on_this_interpreter():
    assert import_protocol.installed() == {"_ModuleLockManager": True, "module_from_spec": True,
                                           "_find_and_load": True, "_load_unlocked": True}
    assert codecache._COPIES["find_spec"] is _bootstrap._find_spec
    assert codecache._COPIES["get_code"] is codecache.CachedSourceLoader.get_code
    assert codecache._COPIES["exec_module"] is codecache.CachedSourceLoader.exec_module


@contextlib.contextmanager
def pythons_own_import_system():
    """Every function importlib runs is Python's own while inside (folders not registered get Python's loader)."""
    import_protocol.install(False)
    _bootstrap._find_spec = codecache._original_find_spec
    try:
        yield
    finally:
        codecache.use_copies(True)


def _fact(value, root):
    """A comparable description of an attribute value (the folder's path replaced by <root>)."""
    if isinstance(value, str):
        return value.replace(root, "<root>")
    if isinstance(value, list):
        return [_fact(item, root) for item in value]
    if isinstance(value, ModuleSpec):
        return ("spec", list(vars(value)), value.name, _fact(value.origin, root), _fact(value.loader, root),
                _fact(value.submodule_search_locations, root), _fact(value.cached, root), value.parent,
                value.has_location, value.loader_state, value._initializing if hasattr(value, "_initializing")
                else "-")
    if isinstance(value, SourceFileLoader):  # the code cache's loader is a SourceFileLoader: its one difference
        return ("source loader", list(vars(value)), value.name, _fact(value.path, root))
    if isinstance(value, type(sys)):
        return ("module", value.__name__)
    if value is None or isinstance(value, (int, bool)):
        return value
    return type(value).__name__


def _module_facts(module, root):
    return [(name, _fact(value, root)) for name, value in vars(module).items() if name != "__builtins__"]


def import_outcome(root: str, entry: str):
    """What importing `entry` from the folder `root` does: the error and its traceback, the sys.modules entries
    added (in order) and every added module's attributes (in order)."""
    before = set(sys.modules)
    sys.path.insert(0, root)
    error = None
    try:
        try:
            importlib.import_module(entry)
        except Exception as exc:  # noqa: BLE001 - what the import raises is what is compared
            error = (type(exc).__name__, str(exc).replace(root, "<root>"),
                     "".join(traceback.format_exception(exc)).replace(root, "<root>"))
        added = [name for name in sys.modules if name not in before]
        modules = {name: _module_facts(sys.modules[name], root) for name in added}
    finally:
        sys.path.remove(root)
        for name in [n for n in sys.modules if n not in before]:
            del sys.modules[name]
        for key in [k for k in sys.path_importer_cache if k.startswith(root)]:
            del sys.path_importer_cache[key]
    return error, added, modules


def write_tree(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def assert_imports_alike(files: dict[str, str], entry: str) -> tuple:
    """Import `entry` from two copies of a tree: Python's own import system, then the harness's (twice: the second
    time every fast path answers). Returns Python's outcome."""
    with tempfile.TemporaryDirectory() as plain, tempfile.TemporaryDirectory() as cached:
        write_tree(Path(plain), files)
        write_tree(Path(cached), files)
        with pythons_own_import_system():
            expected = import_outcome(plain, entry)
        codecache.register([cached])
        first = import_outcome(cached, entry)
        second = import_outcome(cached, entry)
    assert first == expected
    assert second == expected
    return expected


MODULES = ["pkg/__init__.py", "pkg/m0.py", "pkg/m1.py", "pkg/m2.py", "pkg/sub/__init__.py", "pkg/sub/s0.py"]
NAMES = {"pkg/__init__.py": "pkg", "pkg/sub/__init__.py": "pkg.sub"}


def _statements(me: str) -> st.SearchStrategy[str]:
    inside_sub = me.startswith("pkg/sub/")
    up = ".." if inside_sub else "."
    module = st.sampled_from(["m0", "m1", "m2"])
    return st.one_of(
        module.map(lambda m: f"import pkg.{m}"),
        module.map(lambda m: f"from pkg import {m}"),
        module.map(lambda m: f"from {up} import {m}"),
        module.map(lambda m: f"from pkg.{m} import VALUE as value_of_{m}"),
        st.just("import pkg.sub.s0"),
        st.just("from pkg.sub import s0"),
        st.just("import pkg.m0 as again"),
        st.just("import module_that_is_not_there"),
        st.just("from pkg import name_that_is_not_there"),
        st.just("import pkg.m0.not_a_package"),
        st.just(f"raise ValueError('raised in {me}')"),
        st.just(f"VALUE = {me!r}"),
    )


@st.composite
def package_trees(draw):
    files = {}
    for path in MODULES:
        if path == "pkg/sub/__init__.py" and draw(st.booleans()):
            continue  # pkg.sub is a namespace package's portion
        if draw(st.integers(0, 9)) == 0:
            files[path] = "VALUE = (\n"  # a syntax error
            continue
        files[path] = "\n".join([*draw(st.lists(_statements(path), max_size=3)), f"VALUE = {path!r}", ""])
    entry = draw(st.sampled_from(["pkg.m0", "pkg.m1", "pkg.sub.s0", "pkg"]))
    return files, entry


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(package_trees())
def test_any_package_tree_imports_as_with_pythons_own_import_system(tree):
    files, entry = tree
    assert_imports_alike(files, entry)


def test_a_circular_import_sees_the_partially_initialised_module_as_python_shows_it():
    files = {"pkg/__init__.py": "", "pkg/a.py": "from pkg import b\nVALUE = 'a'\n",
             "pkg/b.py": "from pkg.a import VALUE\n"}
    error, added, _ = assert_imports_alike(files, "pkg.a")
    assert error[0] == "ImportError" and "partially initialized module 'pkg.a'" in error[1]
    assert added == ["pkg"]


def test_a_failing_import_raises_and_traces_as_python_does():
    files = {"pkg/__init__.py": "", "pkg/a.py": "import pkg.b\n", "pkg/b.py": "import not_installed_anywhere\n"}
    error, _, _ = assert_imports_alike(files, "pkg.a")
    assert error[:2] == ("ModuleNotFoundError", "No module named 'not_installed_anywhere'")
    files = {"pkg/__init__.py": "", "pkg/a.py": "import pkg.b\n", "pkg/b.py": "x = (\n"}
    assert assert_imports_alike(files, "pkg.a")[0][0] == "SyntaxError"
    files = {"pkg/__init__.py": "x = (\n"}  # the entry module itself: get_code's own frames show
    assert 'line 1074, in get_code' in assert_imports_alike(files, "pkg")[0][2]


def test_a_module_edited_between_two_imports_runs_its_new_text(tmp_path):
    codecache.register([str(tmp_path)])
    write_tree(tmp_path, {"edited_between_imports.py": "VALUE = 'first'\n"})
    first = import_outcome(str(tmp_path), "edited_between_imports")
    write_tree(tmp_path, {"edited_between_imports.py": "VALUE = 'the second'\n"})
    second = import_outcome(str(tmp_path), "edited_between_imports")
    assert ("VALUE", "first") in first[2]["edited_between_imports"]
    assert ("VALUE", "the second") in second[2]["edited_between_imports"]


def test_reloading_a_module_executes_it_again_in_the_same_namespace(tmp_path, monkeypatch):
    write_tree(tmp_path, {"reloaded_module.py": "import itertools\nCOUNT = globals().get('COUNT', 0) + 1\n"})
    monkeypatch.syspath_prepend(str(tmp_path))
    codecache.register([str(tmp_path)])
    try:
        module = importlib.import_module("reloaded_module")
        assert importlib.reload(module) is module and module.COUNT == 2
        assert "reloaded_module" not in _bootstrap._module_locks
    finally:
        sys.modules.pop("reloaded_module", None)


def test_a_lock_claimed_by_an_import_is_made_when_asked_for_owned_by_the_importing_thread(tmp_path, monkeypatch):
    write_tree(tmp_path, {"claimed_module.py": (
        "from importlib import _bootstrap\nimport _thread\n"
        "entry = _bootstrap._module_locks['claimed_module']\n"
        "CLAIMED = type(entry).__name__\n"
        "lock = _bootstrap._get_module_lock('claimed_module')\n"  # as another import of the name would ask
        "MADE = (type(lock).__name__, lock.owner == _thread.get_ident(), lock.count,\n"
        "        _bootstrap._module_locks['claimed_module']() is lock)\n"
        "del lock, entry\n")})
    monkeypatch.syspath_prepend(str(tmp_path))
    codecache.register([str(tmp_path)])
    try:
        module = importlib.import_module("claimed_module")
    finally:
        sys.modules.pop("claimed_module", None)
    assert module.CLAIMED == "_ModuleLockManager"
    assert module.MADE == ("_ModuleLock", True, 1, True)
    assert "claimed_module" not in _bootstrap._module_locks  # released and dropped, as importlib drops its own


THREADED = {
    "threaded/__init__.py": "",
    # The module starts a thread that imports a module importing it back, waits until that thread is blocked on
    # its lock (importlib's own record of waiting threads), then finishes: the thread must see it finished.
    "threaded/first.py": (
        "import importlib, threading, time\nfrom importlib import _bootstrap\n"
        "seen = []\n"
        "thread = threading.Thread(target=lambda: seen.append(importlib.import_module('threaded.second').SEEN))\n"
        "thread.start()\n"
        "while thread.ident not in _bootstrap._blocking_on and thread.is_alive():\n"
        "    time.sleep(0)\n"
        "BLOCKED = thread.ident in _bootstrap._blocking_on\n"
        "VALUE = 'finished'\n"),
    "threaded/second.py": "import threaded.first\nSEEN = threaded.first.VALUE\n",
}


def test_a_thread_importing_a_module_another_thread_is_importing_waits_for_it(tmp_path, monkeypatch):
    write_tree(tmp_path, THREADED)
    monkeypatch.syspath_prepend(str(tmp_path))
    codecache.register([str(tmp_path)])
    try:
        first = importlib.import_module("threaded.first")
        first.thread.join(timeout=60)
    finally:
        for name in [n for n in sys.modules if n.partition(".")[0] == "threaded"]:
            del sys.modules[name]
    assert first.BLOCKED and first.seen == ["finished"]
    assert not [name for name in _bootstrap._module_locks if name.startswith("threaded")]


def test_module_objects_made_directly_have_importlibs_attributes_in_its_order():
    @given(st.sampled_from(["top", "pkg.sub.leaf"]), st.booleans(), st.booleans(),
           st.one_of(st.none(), st.just("/somewhere/else.pyc")), st.one_of(st.none(), st.text(max_size=3)))
    def check(name, package, located, cached, origin):
        def spec():
            made = ModuleSpec(name, SourceFileLoader(name, "/x/y.py"), origin=origin, is_package=package)
            made.has_location = located
            if package:
                made.submodule_search_locations.append("/x")
            if cached is not None:
                made.cached = cached
            return made
        copied, stock = import_protocol.COPIES["module_from_spec"](spec()), import_protocol.STOCK[
            "module_from_spec"](spec())
        assert _module_facts(copied, "/x") == _module_facts(stock, "/x")
    check()


HANDLER_TREE = {
    "app.py": "from pkg import helper\n\ndef handler(event, context):\n    return helper.VALUE\n",
    "pkg/__init__.py": "",
}
BROKEN_HELPERS = ["import pkg.not_there\n", "VALUE = (\n", "raise RuntimeError('helper failed')\n",
                  "from pkg.app import nothing\n"]
TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  App: {Type: AWS::Serverless::Function, Properties: {Runtime: python3.11, CodeUri: src/, Handler: app.handler}}
"""


def _from_importlib(lines: list[str]) -> list[str]:
    start = next(i for i, line in enumerate(lines) if "in _gcd_import" in line)
    return lines[start:]


def test_a_handler_whose_import_fails_reports_pythons_own_error_and_trace(tmp_path):
    """The error Python's own import system raises, reported as AWS's Python runtime reports it: an ImportError
    or SyntaxError in its own shape (awslambdaric's `_get_handler`), anything else with Python's own stack."""
    (tmp_path / "template.yaml").write_text(TEMPLATE, encoding="utf-8")
    for helper in BROKEN_HELPERS:
        files = {**HANDLER_TREE, "pkg/helper.py": helper}
        write_tree(tmp_path / "src", files)
        with Simulation(tmp_path / "template.yaml", seed=1) as sim:
            error = sim.invoke("App").error
        exc, expected_trace = _pythons_own_failure(files)
        folder = str(tmp_path / "src")
        if isinstance(exc, ImportError):
            assert (error["errorType"], error["stackTrace"]) == ("Runtime.ImportModuleError", []), helper
            assert error["errorMessage"] == f"Unable to import module 'app': {exc}", helper
        elif isinstance(exc, SyntaxError):
            assert error["errorType"] == "Runtime.UserCodeSyntaxError", helper
            assert error["errorMessage"] == f"Syntax error in module 'app': {exc}", helper
            assert error["stackTrace"] == [f'  File "{folder}/pkg/helper.py" Line {exc.lineno}\n    {exc.text}']
        else:
            trace = [line.replace(folder, "<root>") for line in _from_importlib(error["stackTrace"])]
            assert (error["errorType"], error["errorMessage"]) == (type(exc).__name__, str(exc)), helper
            assert trace == expected_trace, helper


def _pythons_own_failure(files: dict[str, str]) -> tuple[Exception, list[str]]:
    """The exception and stack lines (from importlib's first frame on) of importing `app` from these files with
    Python's own import system."""
    with tempfile.TemporaryDirectory() as plain, pythons_own_import_system():
        write_tree(Path(plain), files)
        sys.path.insert(0, plain)
        try:
            importlib.import_module("app")
        except Exception as exc:  # noqa: BLE001 - compared with the harness's error document
            lines = traceback.format_list(traceback.extract_tb(exc.__traceback__))
            return exc, [line.replace(plain, "<root>") for line in _from_importlib(lines)]
        finally:
            sys.path.remove(plain)
            for name in ("app", "pkg", "pkg.helper", "pkg.not_there"):
                sys.modules.pop(name, None)
    raise AssertionError("the import did not fail")


def test_no_module_lock_is_left_behind_by_a_cold_start(write_app):
    template = write_app(TEMPLATE, "import json\n\ndef handler(event, context):\n    return 1\n")
    with Simulation(template, seed=1) as sim:
        assert sim.invoke("App").payload == 1
    assert not [entry for entry in _bootstrap._module_locks.values()
                if isinstance(entry, _bootstrap._ModuleLockManager)]


def _many_threads_tree(size: int) -> dict[str, str]:
    files = {"many/__init__.py": "", "many/log.py": "executed = []\n"}
    for i in range(size):
        before = "".join(f"from many import m{j}\nassert m{j}.DONE\n" for j in range(i) if (i + j) % 2)
        files[f"many/m{i}.py"] = (f"import time\nfrom many import log\nlog.executed.append(__name__)\n"
                                  f"time.sleep(0)\n{before}time.sleep(0)\nDONE = True\n")
    return files


def test_threads_importing_the_same_modules_at_once_execute_each_once_and_see_it_complete(tmp_path, monkeypatch):
    size = 8
    write_tree(tmp_path, _many_threads_tree(size))
    monkeypatch.syspath_prepend(str(tmp_path))
    codecache.register([str(tmp_path)])
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the interpreter between threads as often as it allows
    try:
        for _ in range(5):
            executed, seen = _import_at_once(size, threads=4)
            assert sorted(executed) == sorted(f"many.m{i}" for i in range(size)) and seen == [True] * 4 * size
            assert not [name for name in _bootstrap._module_locks if name.startswith("many")]
    finally:
        sys.setswitchinterval(switch)


def _import_at_once(size: int, threads: int) -> tuple[list[str], list[bool]]:
    """Threads started together, each importing every module (from a different one on); what the modules' bodies
    logged and each import's DONE. The modules are taken out of sys.modules again."""
    start, seen = threading.Barrier(threads), []

    def importer(first: int) -> None:
        start.wait()
        for i in range(first, first + size):
            seen.append(importlib.import_module(f"many.m{i % size}").DONE)
    started = [threading.Thread(target=importer, args=(n * 2,)) for n in range(threads)]
    try:
        for thread in started:
            thread.start()
        for thread in started:
            thread.join(timeout=60)
        return list(sys.modules["many.log"].executed), seen
    finally:
        for name in [n for n in sys.modules if n.partition(".")[0] == "many"]:
            del sys.modules[name]


VERBOSE_IMPORT = """
import importlib, sys
from harness.lambda_runtime import codecache, import_protocol
codecache.register([sys.argv[1]])
sys.path.insert(0, sys.argv[1])
assert all(import_protocol.installed().values())
importlib.import_module("verbose_probe_module")
"""


def test_python_dash_v_still_reports_each_module_the_copies_load(tmp_path):
    (tmp_path / "verbose_probe_module.py").write_text("VALUE = 1\n", encoding="utf-8")
    root = Path(__file__).resolve().parents[3]
    done = subprocess.run([sys.executable, "-v", "-c", VERBOSE_IMPORT, str(tmp_path)], cwd=root, capture_output=True,
                          text=True, check=True)
    assert "import 'verbose_probe_module' # <harness.lambda_runtime.codecache.CachedSourceLoader object at" in (
        done.stderr)
