"""moto's DynamoDB expression handling without the work that gives the same answer every time (moto 5.2.5;
installed by the moto backends next to moto_dynamodb, whose parse of an update expression is kept per text).

What moto redoes for every request, and what this module does instead (each answer, error and ConsumedCapacity
stays moto's own; tests/harness/aws/test_dynamodb_fast.py compares patched and unpatched moto through the API):

- Tree copy. moto validates an update expression on its own copy of the parsed tree (`Validator.__init__`:
  `deepcopy(expression)`), because its processors replace nodes in place. `copy.deepcopy` rebuilds every node
  through the pickle protocol (`__reduce_ex__`, `copyreg.__newobj__`, a deep copy of the node's `__dict__`): a
  third of moto's `UpdateItem`. `tree_copy` is `copy.deepcopy` written for the tree's shape: a node of a plain moto
  `Node` class (no copy or pickle hooks of its own, its state in `__dict__`) is made with `cls.__new__` and gets
  its attributes copied in their order, lists are copied item by item, values `copy` keeps as they are (its atomic
  types) are kept, and anything else goes to `copy.deepcopy` with the same memo, so shared objects and parent links
  come out as deepcopy makes them. It stands in for the name `deepcopy` in moto's validators module.
- Condition expressions. `ConditionExpressionParser.parse` (ConditionExpression, FilterExpression) lexes and parses
  the text twice per conditional write (the response handler to list the names and values used, the model to
  evaluate it). The syntax tree is a function of the text and of the names and values it looks up; every step
  but the last reads only the tokens' kinds and texts, and the last (`_make_op_condition`) reads the looked-up
  names and values. So the tree a text gives is kept (observed as moto's own parse hands it to
  `_make_op_condition`), with the names and values it found; for the same text again, each placeholder is looked
  up again in this request's names and values and moto's `_make_op_condition` builds the condition from that tree.
  A lookup that fails (a missing name or value) and every text moto refuses go through moto's own parse.
- Checks that only read the expression. An update's first three processors (too many clauses, overlapping paths,
  the key attributes) read only the tree, the request's attribute names and the table's key attributes, and change
  nothing. For the same (kept, never changed) tree with the same names and key attributes they pass again, so they
  run once per combination; any failure is raised by moto's own processors, every time.
- Reserved words. Every attribute name of a path moto resolves in an update (both sides of each SET action), of a
  condition or filter moto parses, and of a ProjectionExpression is looked up in moto's list of DynamoDB's 573
  reserved words (`name.upper() in ReservedKeywords.get_reserved_keywords()`): a scan comparing text with every
  word, about 8 us for a name that is not one (most of what resolving an update's paths costs). The list moto
  keeps (`ReservedKeywords.KEYWORDS`, read from its resource file once) is replaced by a list of the same words in
  the same order that answers `in` for text from a set of them; any change to the list drops the set, and anything
  but text is looked for as a list looks. Every error is moto's own (it is raised by moto's code that asked).
- Tree walks. moto's `DepthFirstTraverser` asks `isinstance` of abstract classes (an `ABCMeta` check in Python) for
  every node, twice, and calls the no-op child hook for every child. The walk here is moto's, node for node, in the
  same order, with the same writes (`node.parent`, the parent's child slot): the processed classes are asked for
  once per walk, a value class's two answers are kept per tuple of processed classes (while `abc.get_cache_token()`
  is unchanged, as ABCMeta's own caches), a value that is not a Node is not visited (moto's visit returns it at
  once), and the child hook is called only when the processor has one of its own.
"""
from __future__ import annotations

import abc
import copy
import copyreg
import weakref
from collections.abc import Callable
from typing import Any

from harness.aws import moto_dynamodb
from harness.aws.patches import Patches
from harness.memo import remember

_patches = Patches()
_saved = _patches.saved  # moto's originals, while installed
_DISPATCH = copy._deepcopy_dispatch
_ATOMIC = copy._deepcopy_atomic  # copy's own rule for values it returns as they are
_PLAIN: dict[type, bool] = {}  # class -> whether tree_copy may copy its instances itself
_CONDITIONS: dict[str, tuple] = {}  # condition text -> (syntax tree, names found, values found)
_LIMIT = 10_000
_KINDS: dict[Any, Any] = {}  # processed classes -> {value class: 0, 1 or 2 (see _walker)}, and "token"
_COPIERS: dict[int, tuple[Any, Callable[[], Any] | None]] = {}  # id of a kept update tree -> (the tree, its copier)
_PASSED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # update tree -> inputs its checks passed with


def install() -> None:
    """Patch moto's DynamoDB expression handling (idempotent)."""
    if _patches:
        return
    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import DepthFirstTraverser
    validator = validators.UpdateExpressionValidator
    _patches.keep(traverser=DepthFirstTraverser)
    _patches.replace(validators, "deepcopy", tree_copy)
    _patches.replace(ConditionExpressionParser, "parse", _parse_condition, key="parse")
    _patches.replace(validator, "__init__", _validator_init, key="init")
    _patches.replace(validator, "validate", _validate)
    _patches.replace(DepthFirstTraverser, "traverse", _traverse, key="traverse")
    from moto.dynamodb.parsing.reserved_keywords import ReservedKeywords
    _patches.replace(ReservedKeywords, "KEYWORDS", Keywords(ReservedKeywords.get_reserved_keywords()))


def uninstall() -> None:
    """Put moto's own code back (tests compare both)."""
    _patches.undo()
    _CONDITIONS.clear()
    _COPIERS.clear()
    _PASSED.clear()
    _KINDS.clear()


def installed() -> bool:
    """True while the fast paths are in place."""
    return bool(_patches)


# ------------------------------------------------------------------ the tree copy
def tree_copy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """`copy.deepcopy(value, memo)`, faster for moto's expression trees (see the module's docstring)."""
    if memo is None:
        copier = _COPIERS.get(id(value))
        if copier is not None and copier[0] is value:
            return copier[1]() if copier[1] is not None else _copy(value, {})
        if moto_dynamodb.kept(value):
            made = remember(_COPIERS, id(value), (value, tree_copier(value)), _LIMIT)
            if made[1] is not None:
                return made[1]()
    return _copy(value, {} if memo is None else memo)


class _NoCopier(Exception):
    """The tree holds a value tree_copier does not write out (copy.deepcopy copies it every time)."""


def tree_copier(tree: Any) -> Callable[[], Any] | None:
    """A function returning what `copy.deepcopy(tree)` returns while `tree` is unchanged: its lines make each list and
    plain node of the tree (once each, as deepcopy's memo does) and fill them, in the tree's attribute order, with the
    new objects and the same atomic values; None for a tree holding anything else (a dict, a typed value, a node
    with its own copy hooks)."""
    index: dict[int, str] = {}
    made: list[str] = []
    filled: list[str] = []
    values: list[Any] = []
    classes: list[type] = []

    def ref(value: Any) -> str:
        cls = type(value)
        if _DISPATCH.get(cls) is _ATOMIC:
            values.append(value)
            return f"K[{len(values) - 1}]"
        name = index.get(id(value))
        if name is not None:
            return name
        if cls is not list and not _PLAIN.setdefault(cls, _is_plain_node(cls)):
            raise _NoCopier
        name = index[id(value)] = f"o{len(index)}"
        if cls is list:
            made.append(f" {name} = []")
            items = [ref(item) for item in value]
            if items:
                filled.append(f" {name}.extend(({', '.join(items)},))")
        else:
            classes.append(cls)
            made.append(f" {name} = new(C[{len(classes) - 1}])")
            state = ", ".join(f"{key!r}: {ref(item)}" for key, item in _state_of(value).items())
            filled.append(f" {name}.__dict__.update({{{state}}})")
        return name
    try:
        root = ref(tree)
    except (_NoCopier, RecursionError):
        return None
    source = "\n".join(["def copy(new=new, C=C, K=K):", *made, *filled, f" return {root}"])
    namespace = {"new": object.__new__, "C": tuple(classes), "K": tuple(values)}
    exec(compile(source, "<harness tree copier>", "exec"), namespace)  # noqa: S102 - text made above from names
    return namespace["copy"]


def _state_of(node: Any) -> dict:
    """A plain node's attributes, which must all have text names (deepcopy's state is its `__dict__`)."""
    state = node.__dict__
    if not all(type(key) is str and key.isidentifier() for key in state):
        raise _NoCopier
    return state


def _copy(value: Any, memo: dict[int, Any]) -> Any:
    # every original stays reachable from the root while it is copied, so no id in the memo can be reused:
    # copy's keep-alive list is not needed here (a fallback to copy.deepcopy still keeps its own)
    cls = type(value)
    if _DISPATCH.get(cls) is _ATOMIC:
        return value
    found = memo.get(id(value), memo)
    if found is not memo:
        return found
    if cls is list:
        return _copy_list(value, memo)
    plain = _PLAIN.get(cls)
    if plain is None:
        plain = _PLAIN[cls] = _is_plain_node(cls)
    return _copy_node(value, cls, memo) if plain else copy.deepcopy(value, memo)


def _copy_list(value: list, memo: dict[int, Any]) -> list:
    """A list not in the memo yet: a new list in the memo, then its items copied into it (as copy does)."""
    new = memo[id(value)] = []
    append = new.append
    for item in value:
        append(_copy(item, memo))
    return new


def _copy_node(node: Any, cls: type, memo: dict[int, Any]) -> Any:
    """A plain node not in the memo yet: `cls.__new__`, then its `__dict__` copied in order (as copy does)."""
    new = memo[id(node)] = cls.__new__(cls)
    state = node.__dict__
    copied = memo[id(state)] = {}
    for name, item in state.items():
        copied[name] = _copy(item, memo)
    new.__dict__.update(copied)
    return new


def _is_plain_node(cls: type) -> bool:
    """True for a moto expression-tree `Node` class that `copy.deepcopy` copies through `object.__reduce_ex__(4)`:
    a new object from `cls.__new__`, then a deep copy of its `__dict__` (no hooks, no slots)."""
    from moto.dynamodb.parsing.ast_nodes import Node
    if not issubclass(cls, Node) or issubclass(cls, type) or cls in _DISPATCH or cls in copyreg.dispatch_table:
        return False
    hooks = ("__deepcopy__", "__setstate__", "__slots__", "__getnewargs__", "__getnewargs_ex__")
    return (not any(hasattr(cls, hook) for hook in hooks) and cls.__reduce_ex__ is object.__reduce_ex__
            and cls.__reduce__ is object.__reduce__ and cls.__getstate__ is object.__getstate__
            and cls.__new__ is object.__new__)


# ------------------------------------------------------------------ reserved words
class Keywords(list):
    """moto's list of reserved words, answering `in` for text from a set of the same words (see the docstring)."""

    __slots__ = ("_members",)

    def __init__(self, words: Any = ()) -> None:
        super().__init__(words)
        self._members: frozenset | None = frozenset(self) if all(type(w) is str for w in self) else None

    def __contains__(self, value: Any) -> bool:
        members = self._members
        if members is not None and type(value) is str:
            return value in members
        return list.__contains__(self, value)


def _dropping_members(name: str) -> Callable:
    change = getattr(list, name)

    def changed(self: Keywords, *args: Any) -> Any:
        self._members = None  # the words may differ now: looked for as a list looks, from now on
        return change(self, *args)
    changed.__name__ = name
    changed.__doc__ = f"`list.{name}`; the set of words is dropped."
    return changed


for _name in ("append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse", "__setitem__",
              "__delitem__", "__iadd__", "__imul__"):
    setattr(Keywords, _name, _dropping_members(_name))


# ------------------------------------------------------------------ condition expressions
def _parse_condition(parser: Any) -> Any:
    """moto's `ConditionExpressionParser.parse`, the syntax of a text worked out once (see the module's docstring)."""
    text = parser.condition_expression
    if not text or type(text) is not str:
        return _saved["parse"](parser)
    known = _CONDITIONS.get(text)
    if known is None:
        return _parse_and_keep(parser, text)
    tree, names, values = known
    try:
        tree = _bind(parser, tree)
    except Exception:  # noqa: BLE001 - a name or value moto cannot look up: moto's parse raises its own error
        return _saved["parse"](parser)
    parser.expr_attr_names_found.extend(names)
    parser.expr_attr_values_found.extend(values)
    return parser._make_op_condition(tree)


def _parse_and_keep(parser: Any, text: str) -> Any:
    """moto's own parse; the tree it hands to `_make_op_condition` is kept with what it found, once it succeeds."""
    seen: list = []
    make = parser._make_op_condition

    def observe(node: Any) -> Any:
        parser.__dict__.pop("_make_op_condition", None)  # the recursion below is moto's own method
        seen.append(node)
        return make(node)

    names_before, values_before = len(parser.expr_attr_names_found), len(parser.expr_attr_values_found)
    parser._make_op_condition = observe
    try:
        op = _saved["parse"](parser)
    finally:
        parser.__dict__.pop("_make_op_condition", None)
    if len(seen) == 1:
        remember(_CONDITIONS, text, (seen[0], tuple(parser.expr_attr_names_found[names_before:]),
                                     tuple(parser.expr_attr_values_found[values_before:])), _LIMIT)
    return op


def _bind(parser: Any, node: Any) -> Any:
    """The kept tree with each placeholder looked up in this parser's names and values, as `_parse_path_element`
    looks them up (`:value` operands and `#name` path elements); a new node wherever a child is."""
    kind = parser.Kind
    if node.kind == kind.EXPRESSION_ATTRIBUTE_VALUE:
        return node._replace(value=parser._lookup_expression_attribute_value(node.text))
    if node.nonterminal == parser.Nonterminal.IDENTIFIER and node.kind == kind.LITERAL and node.text[:1] == "#":
        return node._replace(value=parser._lookup_expression_attribute_name(node.text))
    if not node.children:
        return node
    return node._replace(children=[_bind(parser, child) for child in node.children])


# ------------------------------------------------------------------ update expression checks
_READ_ONLY_CHECKS = ("ActionCountValidator", "OverlappingPathsValidator", "UpdateHashRangeKeyValidator")


def _validator_init(validator: Any, expression: Any, *args: Any, **kwargs: Any) -> None:
    """moto's `Validator.__init__`, remembering the tree it copied (the key of the checks that passed)."""
    _saved["init"](validator, expression, *args, **kwargs)
    validator.__dict__["_harness_source"] = expression


def _validate(validator: Any) -> Any:
    """moto's `Validator.validate`: every processor in order, the read-only checks once per tree and inputs."""
    processors = validator.processors
    node = validator.node_to_validate
    source = validator.__dict__.get("_harness_source")
    key = _checks_key(processors)
    start = 0
    if key is not None and source is not None:
        try:
            passed = _PASSED.get(source)
        except TypeError:  # not weakly referenceable or not hashable: checked every time
            passed, key = None, None
        if passed is not None and key in passed:
            start = len(_READ_ONLY_CHECKS)
    for index, processor in enumerate(processors[start:], start):
        node = processor.traverse(node)
        if index == len(_READ_ONLY_CHECKS) - 1 and key is not None:
            _PASSED.setdefault(source, set()).add(key)
    return node


def _checks_key(processors: list) -> tuple | None:
    """What the read-only checks read besides the tree (names, key attributes), or None to run them every time."""
    if [type(p).__name__ for p in processors[:3]] != list(_READ_ONLY_CHECKS) or any(
            type(p).__module__ != "moto.dynamodb.parsing.validators" for p in processors[:3]):
        return None
    overlapping, keys = processors[1], processors[2]
    try:
        key = (_frozen(overlapping.expression_attribute_names), _frozen(keys.expression_attribute_names),
               tuple(keys.table_key_attributes))
        hash(key)
    except TypeError:
        return None
    return key


def _frozen(names: Any) -> Any:
    if names is None:
        return None
    if type(names) is not dict:
        raise TypeError("not a plain dict")
    return tuple(names.items())


# ------------------------------------------------------------------ tree walks
def _traverse(traverser: Any, node: Any) -> Any:
    """moto's `DepthFirstTraverser.traverse`, with the class questions asked once per class (see the docstring)."""
    cls = type(traverser)
    base = _saved["traverser"]
    if cls.traverse_node_recursively is not base.traverse_node_recursively:
        return _saved["traverse"](traverser, node)
    hook = None if cls.pre_processing_of_child is base.pre_processing_of_child else traverser.pre_processing_of_child
    return _walker(traverser, hook)(node)


def _kinds_for(targets: Any) -> dict[type, int]:
    """The classes' answers for these processed classes, kept across walks while no abstract class has been given a
    virtual subclass since (`abc.get_cache_token()`, what ABCMeta's own caches follow); a per-walk dict otherwise."""
    token = abc.get_cache_token()
    if _KINDS.get("token") != token:
        _KINDS.clear()
        _KINDS["token"] = token
    if type(targets) is not tuple:
        return {}
    kinds = _KINDS.get(targets)
    if kinds is None:
        kinds = _KINDS[targets] = {}
    return kinds


def _walker(traverser: Any, hook: Any) -> Any:
    """`traverse_node_recursively` for one walk: each value's class answers moto's two isinstance questions once
    (0: not a Node, left as it is; 1: a Node the processor leaves; 2: a Node it processes)."""
    from moto.dynamodb.parsing.ast_nodes import Node
    targets = traverser.nodes_to_be_processed()
    process = traverser.process
    kinds = _kinds_for(targets)

    def kind_of(value: Any) -> int:
        kind = kinds[type(value)] = (2 if isinstance(value, targets) else 1) if isinstance(value, Node) else 0
        return kind

    def visit(node: Any, child_id: int, kind: int) -> Any:
        parent_node = node.parent
        children = node.children
        if children is not None:
            for i, child_node in enumerate(children):
                if hook is not None:
                    hook(node, i)
                child_kind = kinds.get(type(child_node))
                if child_kind is None:
                    child_kind = kind_of(child_node)
                if child_kind:  # moto's walk returns a value that is not a Node at once
                    visit(child_node, i, child_kind)
        if kind == 2:
            node = process(node)
            node.parent = parent_node
            if parent_node:
                parent_node.children[child_id] = node
        return node

    def walk(node: Any) -> Any:
        kind = kinds.get(type(node))
        if kind is None:
            kind = kind_of(node)
        return visit(node, -1, kind) if kind else node
    return walk
