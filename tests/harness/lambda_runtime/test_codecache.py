"""Execution environments compile their code once per process but import it afresh at every cold start: the
cached compilation is used only while the source is byte for byte the one it came from, and files written since
the last cold start are seen, as a new Lambda process would see them."""
import importlib
import importlib.util
import os
import sys

import pytest

from harness import Simulation
from harness.lambda_runtime import codecache

TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Resources:
  App: {Type: AWS::Serverless::Function, Properties: {Runtime: python3.11, CodeUri: src/, Handler: app.handler}}
"""


def _answer(template):
    with Simulation(template, seed=1) as sim:
        return sim.invoke("App").payload


def test_a_handler_rewritten_between_runs_with_the_same_size_and_timestamp_runs_its_new_code(write_app):
    template = write_app(TEMPLATE, "def handler(event, context):\n    return 'one'\n")
    source = template.parent / "src" / "app.py"
    assert _answer(template) == "one"
    stamp = source.stat().st_mtime_ns
    source.write_text("def handler(event, context):\n    return 'two'\n", encoding="utf-8")
    os.utime(source, ns=(stamp, stamp))  # what a rewrite within the file system's timestamp granularity leaves
    assert _answer(template) == "two"


def test_a_module_written_after_a_cold_start_is_found_by_the_next_one(write_app):
    template = write_app(TEMPLATE, "def handler(event, context):\n    import helper\n    return helper.VALUE\n")
    with Simulation(template, seed=1) as sim:
        first = sim.invoke("App")
    assert first.error["errorType"] == "ModuleNotFoundError"
    folder = template.parent / "src"
    stamp = folder.stat().st_mtime_ns
    (folder / "helper.py").write_text("VALUE = 'found'\n", encoding="utf-8")
    os.utime(folder, ns=(stamp, stamp))  # a listing cached by the folder's timestamp would not show it
    assert _answer(template) == "found"


def test_reimporting_an_unchanged_module_executes_it_again_with_the_same_compiled_code(tmp_path, monkeypatch):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "pkg" / "mod.py").write_text("STATE = []\ndef f():\n    return STATE\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    codecache.register([str(tmp_path)])
    try:
        first = importlib.import_module("pkg.mod")
        for name in ("pkg", "pkg.mod"):
            del sys.modules[name]
        second = importlib.import_module("pkg.mod")
    finally:
        for name in [n for n in sys.modules if n.partition(".")[0] == "pkg"]:
            del sys.modules[name]
    assert first is not second and first.STATE is not second.STATE  # executed again: its own module state
    assert first.f.__code__ is second.f.__code__  # compiled once
    assert isinstance(second.__loader__, codecache.CachedSourceLoader)


def test_folders_not_registered_keep_pythons_own_loader(tmp_path, monkeypatch):
    (tmp_path / "plain_module_for_codecache.py").write_text("X = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        module = importlib.import_module("plain_module_for_codecache")
    finally:
        sys.modules.pop("plain_module_for_codecache", None)
    assert type(module.__loader__) is importlib.machinery.SourceFileLoader


def _spec_facts(spec):
    if spec is None:
        return None
    return (spec.name, spec.origin, type(spec.loader).__name__ if spec.loader else None,
            spec.submodule_search_locations and list(spec.submodule_search_locations), spec.cached, spec.parent)


def test_a_remembered_answer_is_the_spec_pythons_finder_gives(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "portion").mkdir()  # a namespace package's portion (no __init__)
    (tmp_path / "mod.py").write_text("", encoding="utf-8")
    plain = importlib.machinery.FileFinder(str(tmp_path), *codecache._LOADERS)
    remembering = codecache.RememberingFinder(str(tmp_path), *codecache._LOADERS)
    for name in ("pkg", "portion", "mod", "missing"):
        first, again = remembering.find_spec(name), remembering.find_spec(name)  # the second is remembered
        assert _spec_facts(first) == _spec_facts(again) == _spec_facts(plain.find_spec(name)), name
        assert again is None or again is not first  # a new spec each time: modules own theirs


def test_dataclasses_made_again_compile_their_methods_once_and_behave_alike():
    import dataclasses

    def make():
        @dataclasses.dataclass(frozen=True)
        class Point:
            x: int
            y: int = 0
        return Point

    codecache.register([])  # installs the cache for dataclasses' generated methods
    first, second = make(), make()
    assert first(1, 2) == first(1, 2) and repr(second(3)).endswith("Point(x=3, y=0)")
    assert first.__init__ is not second.__init__ and first.__init__.__code__ is second.__init__.__code__


def test_a_long_unchanged_file_is_checked_by_its_stamp_and_a_changed_one_is_read_again(tmp_path, monkeypatch):
    (tmp_path / "stamped_mod.py").write_text("VALUE = 1\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(codecache, "SETTLED_NS", -10**18)  # as if every change were long ago
    codecache.register([str(tmp_path)])
    reads = []
    real_get_data = codecache.CachedSourceLoader.get_data
    monkeypatch.setattr(codecache.CachedSourceLoader, "get_data", lambda self, path: reads.append(path) or
                        real_get_data(self, path))

    def load():
        try:
            return importlib.import_module("stamped_mod").VALUE
        finally:
            sys.modules.pop("stamped_mod", None)

    assert load() == 1 and reads
    reads.clear()
    assert load() == 1 and not reads  # settled and unchanged: not read again
    (tmp_path / "stamped_mod.py").write_text("VALUE = 22\n", encoding="utf-8")  # another size: another stamp
    assert load() == 22 and reads


def _package_tree(root):
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (root / "pkg" / "sub" / "__init__.py").write_text("", encoding="utf-8")
    (root / "pkg" / "mod.py").write_text("", encoding="utf-8")
    (root / "pkg" / "sub" / "leaf.py").write_text("", encoding="utf-8")
    (root / "top_level_for_codecache.py").write_text("", encoding="utf-8")


NAMES = ("top_level_for_codecache", "pkg", "pkg.mod", "pkg.sub", "pkg.sub.leaf")


def _import_all(names=NAMES):
    try:
        return {name: importlib.import_module(name) for name in names}
    finally:
        for name in [n for n in sys.modules if n.partition(".")[0] in ("pkg", "top_level_for_codecache")]:
            del sys.modules[name]


def test_a_name_found_again_gets_the_spec_pythons_own_search_gives(tmp_path, monkeypatch):
    _package_tree(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    codecache.register([str(tmp_path)])
    _import_all()  # remembered, and answered directly from now on
    assert set(NAMES) <= set(codecache._direct)
    imported = _import_all()
    for name, module in imported.items():
        parent = name.rpartition(".")[0]
        path = None if not parent else [str(tmp_path / parent.replace(".", "/"))]
        assert _spec_facts(module.__spec__) == _spec_facts(codecache._original_find_spec(name, path)), name
        assert module.__cached__ == importlib.util.cache_from_source(module.__file__)


def test_a_finder_put_before_the_path_finder_answers_first(tmp_path, monkeypatch):
    _package_tree(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    codecache.register([str(tmp_path)])
    _import_all()
    other = tmp_path / "elsewhere.py"
    other.write_text("WHERE = 'elsewhere'\n", encoding="utf-8")

    class Redirect:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name != "pkg.mod":
                return None
            return importlib.util.spec_from_file_location(name, other)

    monkeypatch.setattr(sys, "meta_path", [Redirect, *sys.meta_path])
    assert _import_all(("pkg", "pkg.mod"))["pkg.mod"].WHERE == "elsewhere"


def test_another_first_path_entry_is_searched_as_python_searches(tmp_path, monkeypatch):
    _package_tree(tmp_path / "a")
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "top_level_for_codecache.py").write_text("WHERE = 'b'\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "a"))
    codecache.register([str(tmp_path)])
    _import_all()
    monkeypatch.syspath_prepend(str(tmp_path / "b"))
    assert _import_all(("top_level_for_codecache",))["top_level_for_codecache"].WHERE == "b"


def _refreshed_import(root, names):
    codecache.refresh([str(root)])  # what each cold start does for its folders
    return _import_all(names)


def test_after_a_refresh_files_added_removed_or_replaced_in_settled_folders_are_seen(tmp_path, monkeypatch):
    monkeypatch.setattr(codecache, "SETTLED_NS", -10**18)  # every folder's stamp trusted: only a change is seen
    _package_tree(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    codecache.register([str(tmp_path)])
    assert _refreshed_import(tmp_path, NAMES)["pkg.mod"].__file__.endswith("mod.py")
    assert _refreshed_import(tmp_path, NAMES)  # nothing changed: remembered
    (tmp_path / "pkg" / "added.py").write_text("VALUE = 'added'\n", encoding="utf-8")
    assert _refreshed_import(tmp_path, ("pkg", "pkg.added"))["pkg.added"].VALUE == "added"
    (tmp_path / "pkg" / "mod.py").unlink()  # a module turned into a package of the same name
    (tmp_path / "pkg" / "mod").mkdir()
    (tmp_path / "pkg" / "mod" / "__init__.py").write_text("KIND = 'package'\n", encoding="utf-8")
    assert _refreshed_import(tmp_path, ("pkg", "pkg.mod"))["pkg.mod"].KIND == "package"
    (tmp_path / "pkg" / "sub" / "__init__.py").unlink()  # a package turned into a namespace portion
    assert _refreshed_import(tmp_path, ("pkg", "pkg.sub"))["pkg.sub"].__file__ is None
    (tmp_path / "pkg" / "sub" / "__init__.py").write_text("KIND = 'package again'\n", encoding="utf-8")
    assert _refreshed_import(tmp_path, ("pkg", "pkg.sub"))["pkg.sub"].KIND == "package again"


def test_a_refreshed_finder_lists_a_folder_changed_within_the_last_seconds_again(tmp_path, monkeypatch):
    _package_tree(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    codecache.register([str(tmp_path)])
    _refreshed_import(tmp_path, NAMES)
    finder = sys.path_importer_cache[str(tmp_path / "pkg")]
    assert None in finder._folders.values()  # just written: its stamp is not trusted
    listed = []
    monkeypatch.setattr(type(finder), "_fill_cache", lambda self: listed.append(self.path) or
                        importlib.machinery.FileFinder._fill_cache(self))
    _refreshed_import(tmp_path, ("pkg", "pkg.mod"))
    assert str(tmp_path / "pkg") in listed


def test_a_remembered_compiled_file_location_follows_the_pycache_prefix(tmp_path, monkeypatch):
    _package_tree(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    codecache.register([str(tmp_path)])
    _import_all()
    monkeypatch.setattr(sys, "pycache_prefix", str(tmp_path / "prefix"))
    module = _import_all(("pkg", "pkg.mod"))["pkg.mod"]
    assert module.__cached__ == importlib.util.cache_from_source(module.__file__)
    assert module.__cached__.startswith(str(tmp_path / "prefix"))


ISOLATION_HANDLER = """import builtins

import boto3
from pkg import helper


def handler(event, context):
    table = boto3.resource("dynamodb").Table("t")
    builtins.__dict__.setdefault("_codecache_seen", []).append(
        (helper, helper.STATE, type(table), table.meta.resource_model))
    helper.STATE.append(1)
    return len(helper.STATE)
"""


def test_two_environments_never_share_module_state_classes_or_resource_objects(write_app):
    import builtins
    template = write_app(TEMPLATE, ISOLATION_HANDLER)
    (template.parent / "src" / "pkg").mkdir()
    (template.parent / "src" / "pkg" / "__init__.py").write_text("", encoding="utf-8")
    (template.parent / "src" / "pkg" / "helper.py").write_text("STATE = []\n", encoding="utf-8")
    try:
        with Simulation(template, seed=1) as sim:
            assert [sim.invoke("App").payload for _ in range(2)] == [1, 2]  # one warm environment keeps its state
        assert "pkg.helper" in codecache._direct  # the next cold start finds it directly
        assert _answer(template) == 1  # a new environment executes the module again
        (one, state, first_class, first_model), warm, (other, other_state, other_class, other_model) = \
            builtins._codecache_seen
    finally:
        builtins.__dict__.pop("_codecache_seen", None)
    assert warm[0] is one and warm[1] is state
    assert other is not one and other_state is not state and other.STATE == [1] and state == [1, 1]
    assert len({first_class, warm[2], other_class}) == 3  # boto3 makes a class per Table(...), in every environment
    assert other_model is not first_model and other_model._renamed is not first_model._renamed



def test_a_refresh_looks_at_every_entry_under_its_folders_and_sees_a_path_entry_made_since(tmp_path, monkeypatch):
    _package_tree(tmp_path)
    later = tmp_path / "later"
    monkeypatch.syspath_prepend(str(later))  # looked up before it exists: the import system notes None for it
    monkeypatch.syspath_prepend(str(tmp_path))
    codecache.register([str(tmp_path)])
    _refreshed_import(tmp_path, NAMES)
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("made_later_for_codecache")
    assert sys.path_importer_cache[str(later)] is None
    under = [key for key in sys.path_importer_cache if key == str(tmp_path) or key.startswith(f"{tmp_path}{os.sep}")]
    assert sorted(codecache._entries_under([str(tmp_path)])) == sorted(under) and str(later) in under
    later.mkdir()
    (later / "made_later_for_codecache.py").write_text("VALUE = 'later'\n", encoding="utf-8")
    codecache.refresh([str(tmp_path)])
    try:
        assert importlib.import_module("made_later_for_codecache").VALUE == "later"
    finally:
        sys.modules.pop("made_later_for_codecache", None)


def test_a_registered_library_folders_own_package_is_compiled_once_and_executed_at_every_import(tmp_path, monkeypatch):
    library = tmp_path / "library_package_for_codecache"  # registered as library_folders() gives Powertools' folder
    library.mkdir()
    (library / "__init__.py").write_text("STATE = []\ndef f():\n    return STATE\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))  # the folder above is not registered: Python's own finder finds it
    codecache.register([str(library)])
    try:
        first = importlib.import_module("library_package_for_codecache")
        del sys.modules["library_package_for_codecache"]
        second = importlib.import_module("library_package_for_codecache")
    finally:
        sys.modules.pop("library_package_for_codecache", None)
    assert first is not second and first.STATE is not second.STATE
    assert first.f.__code__ is second.f.__code__
    assert isinstance(second.__loader__, codecache.CachedSourceLoader) and second.__spec__.loader is second.__loader__
    assert second.__path__ == [str(library)] and second.__file__ == str(library / "__init__.py")
