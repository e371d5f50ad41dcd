"""codegen/postpass.py: type aliases after what they name, unquoted; chosen unions kept as RootModels."""

from __future__ import annotations

import ast
import sys
import types
import typing

import pydantic
import pytest

from codegen.postpass import order_aliases, plain_models, restore_root_models

SOURCE = """from __future__ import annotations
from typing import Annotated, Literal, Union
from typing_extensions import TypeAliasType
from pydantic import BaseModel, Field


class A(BaseModel):
    type: Literal["a"] = "a"
    items: list[Both]


Both = TypeAliasType("Both", Annotated[Union[A, "Later"], Field(discriminator="type")])
Named = TypeAliasType("Named", Literal["Later", "A"])
Event = TypeAliasType("Event", Annotated[A | Later, Field(discriminator="type")])


class Later(BaseModel):
    type: Literal["Later"] = "Later"


A.model_rebuild()
"""


def _run(source: str) -> dict:
    """Run `source` as a module (pydantic resolves annotations in the model's module)."""
    module = types.ModuleType("postpass_generated")
    sys.modules[module.__name__] = module
    try:
        exec(compile(source, module.__name__, "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module.__dict__


def _label(node: ast.stmt) -> str:
    if isinstance(node, ast.ClassDef):
        return node.name
    if isinstance(node, ast.Assign):
        return ast.unparse(node.targets[0])
    return ast.unparse(node)


def test_aliases_move_after_the_classes_they_name_and_lose_their_quotes():
    with pytest.raises(NameError):  # as written, Event names Later before it exists
        _run(SOURCE)
    out = order_aliases(SOURCE)
    names = [_label(node) for node in ast.parse(out).body]
    assert names.index("Later") < names.index("Both") < names.index("A.model_rebuild()")
    assert names.index("A") < names.index("Later")  # classes keep their order
    namespace = _run(out)
    union, field = typing.get_args(namespace["Both"].__value__)
    assert typing.get_args(union) == (namespace["A"], namespace["Later"])  # no ForwardRef left
    assert field.discriminator == "type"  # a keyword's string is a value, not a name
    assert typing.get_args(namespace["Named"].__value__) == ("Later", "A")  # so are a Literal's
    item = namespace["A"].model_validate({"items": [{"type": "Later"}]}).items[0]
    assert type(item) is namespace["Later"]


def test_listed_unions_become_root_models():
    out = plain_models(SOURCE, ("Event",))
    assert "from pydantic import BaseModel, Field, RootModel\n" in out
    namespace = _run(out)
    event = namespace["Event"]
    assert issubclass(event, pydantic.RootModel)
    assert type(event.model_validate({"type": "Later"}).root) is namespace["Later"]
    with pytest.raises(ValueError, match="Missing"):
        restore_root_models(SOURCE, ("Missing",))


def test_a_cycle_of_eager_names_is_an_error():
    cyclic = 'X = TypeAliasType("X", list["Y"])\nY = TypeAliasType("Y", list[X])\n'
    with pytest.raises(ValueError, match="X, Y"):
        order_aliases(cyclic)
