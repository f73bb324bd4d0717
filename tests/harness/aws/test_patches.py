"""Patches: what a fast path replaced is put back exactly, an inherited attribute is inherited again."""
import types

from harness.aws.patches import Patches


class Base:
    def greet(self):
        return "base"


class Child(Base):
    @staticmethod
    def make():
        return "made"


def test_undo_puts_back_a_classes_own_attribute_as_it_was_stored():
    patches = Patches()
    own = vars(Child)["make"]
    patches.replace(Child, "make", staticmethod(lambda: "fast"), key="make")
    assert Child.make() == "fast" and patches.saved["make"]() == "made"
    patches.undo()
    assert vars(Child)["make"] is own and Child.make() == "made"


def test_an_inherited_attribute_is_deleted_again_so_the_class_inherits_it():
    patches = Patches()
    patches.replace(Child, "greet", lambda self: "fast", key="greet")
    assert Child().greet() == "fast" and patches.saved["greet"](Child()) == "base"
    patches.undo()
    assert "greet" not in vars(Child) and Child().greet() == "base"


def test_module_attributes_are_put_back_newest_first_and_kept_values_forgotten():
    module = types.ModuleType("m")
    module.f = "original"
    patches = Patches()
    assert not patches
    patches.keep(module=module)
    patches.replace(module, "f", "first")
    patches.replace(module, "f", "second")
    assert patches and module.f == "second"
    patches.undo()
    assert module.f == "original" and not patches and patches.saved == {}
