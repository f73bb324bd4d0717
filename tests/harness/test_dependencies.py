"""What a load read: a change to any noted file or folder, or a noted path appearing, is seen; nothing else is."""
import os

from harness import dependencies


def _noted(*paths):
    with dependencies.recorded() as read:
        for path in paths:
            dependencies.note(path)
    return read


def test_untouched_paths_are_unchanged(tmp_path):
    (tmp_path / "a.yaml").write_text("a: 1\n")
    read = _noted(tmp_path / "a.yaml", tmp_path, tmp_path / "missing.yaml")
    assert read.unchanged()


def test_a_file_rewritten_with_the_same_size_and_mtime_is_a_change(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text("a: 1\n")
    read = _noted(path)
    before = path.stat()
    path.write_text("a: 2\n")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert not read.unchanged()


def test_a_recently_changed_file_is_compared_by_its_bytes(tmp_path, monkeypatch):
    path = tmp_path / "a.yaml"
    path.write_text("a: 1\n")
    read = _noted(path)
    assert str(path) in read.contents  # written just now: one file-time tick may hold two writes
    monkeypatch.setattr(dependencies, "_stamp", lambda p: read.stamps[str(p)])  # a write the stamp cannot see
    assert read.unchanged()
    path.write_text("a: 2\n")
    assert not read.unchanged()


def test_a_file_changed_long_ago_is_only_stamped(tmp_path, monkeypatch):
    monkeypatch.setattr(dependencies, "RACY_NS", 0)
    path = tmp_path / "a.yaml"
    path.write_text("a: 1\n")
    assert _noted(path).contents == {}


def test_a_folder_gaining_a_file_and_a_missing_path_appearing_are_changes(tmp_path):
    folder = tmp_path / "registers"
    folder.mkdir()
    listed, missing = _noted(folder), _noted(tmp_path / "later.yaml")
    (folder / "shop.yaml").write_text("x: 1\n")
    (tmp_path / "later.yaml").write_text("x: 1\n")
    assert not listed.unchanged() and not missing.unchanged()


def test_an_inner_blocks_paths_are_the_outer_blocks_too_and_noting_outside_any_does_nothing(tmp_path):
    dependencies.note(tmp_path / "outside.yaml")
    with dependencies.recorded() as outer:
        dependencies.note(tmp_path / "a.yaml")
        with dependencies.recorded() as inner:  # a template loaded while a scenario loads
            dependencies.note(tmp_path / "b.yaml")
        dependencies.note(tmp_path / "c.yaml")
    assert list(outer.stamps) == [str(tmp_path / name) for name in ("a.yaml", "b.yaml", "c.yaml")]
    assert list(inner.stamps) == [str(tmp_path / "b.yaml")]
