"""codegen/postpass.py: type aliases after what they name, unquoted; chosen unions kept as RootModels."""

from __future__ import annotations

import ast
import itertools
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
    """Run `source` as a module of its own name, left importable: pydantic resolves annotations in
    the model's module, also later, when a deferred model is first built."""
    module = types.ModuleType(f"postpass_generated_{next(_modules)}")
    sys.modules[module.__name__] = module
    exec(compile(source, module.__name__, "exec"), module.__dict__)
    return module.__dict__


_modules = itertools.count()


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
    assert "from pydantic import BaseModel, ConfigDict, Field, RootModel\n" in out
    namespace = _run(out)
    event = namespace["Event"]
    assert issubclass(event, pydantic.RootModel)
    assert type(event.model_validate({"type": "Later"}).root) is namespace["Later"]
    with pytest.raises(ValueError, match="Missing"):
        restore_root_models(SOURCE, ("Missing",))


def test_models_defer_building_their_validators_until_first_used():
    configured = SOURCE.replace(
        "class Later(BaseModel):\n",
        'class Later(BaseModel):\n    model_config = ConfigDict(\n        extra="allow",\n    )\n',
    ).replace("from pydantic import BaseModel, Field", "from pydantic import BaseModel, ConfigDict, Field")
    out = plain_models(configured, ("Event",))
    assert "model_rebuild()" not in out
    namespace = _run(out)
    event, later = namespace["Event"], namespace["Later"]
    assert event.model_config["defer_build"] is True
    assert later.model_config == {"defer_build": True, "extra": "allow"}
    assert not event.__pydantic_complete__ and not later.__pydantic_complete__  # nothing built at import
    assert type(event.model_validate({"type": "Later"}).root) is later  # built on first use
    assert event.__pydantic_complete__


def test_a_cycle_of_eager_names_is_an_error():
    cyclic = 'X = TypeAliasType("X", list["Y"])\nY = TypeAliasType("Y", list[X])\n'
    with pytest.raises(ValueError, match="X, Y"):
        order_aliases(cyclic)
