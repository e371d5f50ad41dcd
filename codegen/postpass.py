"""A pass over the models module datamodel-codegen writes, so that its type aliases read plainly.

With ``--use-type-alias`` every schema that only names or constrains a primitive, a list, a map or a
union is a ``TypeAliasType`` (``CallId = TypeAliasType("CallId", Annotated[str, Field(...)])``), so a
field holds the JSON value itself. Two things are left to tidy:

- An alias's value is evaluated when the module runs, so the tool quotes the names of classes it
  places later (``Union["ToolSearchOutput", ...]``), and reflection on the alias then meets a
  ``ForwardRef`` instead of the model. Here every alias moves after the classes and aliases it
  names (class fields are lazy annotations, so only aliases and class bases need an order), and
  its quoted names become plain names.
- The few unions listed in ``root_models`` become RootModel classes again: documents validated on
  their own that no field holds (``ResponseStreamEvent.model_validate_json(data).root``).

Field annotations run when their class is made (the module has no ``from __future__ import
annotations``, so pydantic need not compile a string per field); those naming a class defined
later are quoted. Then every model defers building its validator until first used (``defer_build=True``, and no
``model_rebuild()`` calls at import): a few hundred schemas cost most of ``import responsekit``,
while a server's hot path touches a handful of them.
"""

from __future__ import annotations

import ast
import heapq


def _is_alias(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Assign)
        and len(node.targets) == 1
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Call)
        and getattr(node.value.func, "id", None) == "TypeAliasType"
        and len(node.value.args) == 2
    )


def _defines(node: ast.stmt) -> str | None:
    if isinstance(node, ast.ClassDef):
        return node.name
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id
    return None


def _eager_names(node: ast.stmt, defined: set[str]) -> set[str]:
    """Module names a statement needs when it runs (not its lazy field annotations)."""
    if isinstance(node, ast.ClassDef):
        exprs: list[ast.AST] = [*node.bases, *(k.value for k in node.keywords), *node.decorator_list]
    elif _is_alias(node):
        exprs = [node.value.args[1]]
    elif isinstance(node, (ast.Assign, ast.Expr)):
        exprs = [node.value]
    else:
        return set()
    names: set[str] = set()
    for expr in exprs:
        _References(names).visit(expr)
    return (names & defined) - {_defines(node)}


class _References(ast.NodeVisitor):
    """Names an expression uses, quoted ones (forward references) too; not strings that are values:
    a ``Literal[...]``'s, or a keyword argument's (``Field(discriminator="type")``)."""

    def __init__(self, names: set[str]) -> None:
        self.names = names

    def visit_Name(self, node: ast.Name) -> None:
        self.names.add(node.id)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str):
            self.names.add(node.value)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.visit(node.value)
        if not (isinstance(node.value, ast.Name) and node.value.id == "Literal"):
            self.visit(node.slice)

    def visit_keyword(self, node: ast.keyword) -> None:
        pass


class _Unquote(ast.NodeTransformer):
    """Quoted references to module names become the names (the same places _References reads)."""

    def __init__(self, defined: set[str]) -> None:
        self.defined = defined

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, str) and node.value in self.defined:
            return ast.copy_location(ast.Name(id=node.value, ctx=ast.Load()), node)
        return node

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        if isinstance(node.value, ast.Name) and node.value.id == "Literal":
            return node
        return self.generic_visit(node)

    def visit_keyword(self, node: ast.keyword) -> ast.AST:
        return node


def order_aliases(source: str) -> str:
    """Statements in their order, except that none runs before the names it needs are defined."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    body = tree.body
    defined = {name for node in body if (name := _defines(node))}
    where = {_defines(node): i for i, node in enumerate(body) if _defines(node)}
    needs = [{where[name] for name in _eager_names(node, defined)} for node in body]
    waiting_on = [len(n) for n in needs]
    unblocks: list[list[int]] = [[] for _ in body]
    for i, deps in enumerate(needs):
        for dep in deps:
            unblocks[dep].append(i)
    ready = [i for i, count in enumerate(waiting_on) if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for j in unblocks[i]:
            waiting_on[j] -= 1
            if waiting_on[j] == 0:
                heapq.heappush(ready, j)
    if len(order) != len(body):
        stuck = sorted(str(_defines(body[i])) for i in range(len(body)) if i not in set(order))
        raise ValueError(f"generated models need each other to be defined first: {', '.join(stuck)}")
    unquote = _Unquote(defined)
    parts = []
    for i in order:
        node = body[i]
        if _is_alias(node) and _eager_names(node, defined):
            node.value.args[1] = unquote.visit(node.value.args[1])
            parts.append(ast.unparse(node) + "\n")
        else:
            parts.append("".join(lines[node.lineno - 1 : node.end_lineno]))
    return "\n\n".join(parts)


def restore_root_models(source: str, names: tuple[str, ...]) -> str:
    """``Name = TypeAliasType("Name", T)`` becomes ``class Name(RootModel[T]): root: T`` for `names`
    (T's ``Annotated[...]`` stays on the field only)."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    edits = []
    for node in tree.body:
        if _is_alias(node) and node.targets[0].id in names:
            value = node.value.args[1]
            inner = value
            if isinstance(value, ast.Subscript) and getattr(value.value, "id", None) == "Annotated":
                inner = value.slice.elts[0]
            generic = ast.get_source_segment(source, inner)
            root = ast.get_source_segment(source, value)
            edits.append(
                (
                    node,
                    f"class {node.targets[0].id}(RootModel[{generic}]):\n"
                    "    model_config = ConfigDict(\n    )\n"  # defer_builds fills it in
                    f"    root: {root}\n",
                )
            )
    missing = set(names) - {node.targets[0].id for node, _ in edits}
    if missing:
        raise ValueError(f"no type alias to make a RootModel of: {', '.join(sorted(missing))}")
    if edits:
        pydantic = next(n for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "pydantic")
        imported = sorted({alias.name for alias in pydantic.names} | {"ConfigDict", "RootModel"})
        edits.append((pydantic, f"from pydantic import {', '.join(imported)}\n"))
    for node, text in sorted(edits, key=lambda e: e[0].lineno, reverse=True):  # earlier lines stay put
        lines[node.lineno - 1 : node.end_lineno] = [text]
    return "".join(lines)


def defer_builds(source: str) -> str:
    """Each model's ``model_config`` gains ``defer_build=True``; module-level ``X.model_rebuild()``
    calls go (a deferred model resolves its forward references when it is first built)."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    drop = {
        node.lineno
        for node in tree.body
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr == "model_rebuild"
        and not node.value.args
        and not node.value.keywords
    }
    out = []
    for number, line in enumerate(lines, start=1):
        if number in drop:
            continue
        if line.strip() == "model_config = ConfigDict(":
            indent = line[: len(line) - len(line.lstrip())]
            out.append(line)
            out.append(f"{indent}    defer_build=True,\n")
            continue
        out.append(line)
    return "".join(out)


def plain_models(source: str, root_models: tuple[str, ...]) -> str:
    """The post-pass: aliases ordered and unquoted, `root_models` made RootModel classes, builds
    deferred."""
    source = restore_root_models(order_aliases(source), root_models)
    if "from __future__ import annotations" not in source:
        source = quote_forward_annotations(source)
    return defer_builds(source)


def quote_forward_annotations(source: str) -> str:
    """Without ``from __future__ import annotations`` (``--disable-future-imports``), a field's
    annotation runs when its class is made: one that names a class defined later is quoted, whole.
    The others stay plain, so pydantic need not compile a string for each of a thousand fields."""
    tree = ast.parse(source)
    defined_names = {name for node in tree.body if (name := _defines(node))}
    lines = source.splitlines(keepends=True)
    seen: set[str] = set()
    edits: list[tuple[ast.expr, str]] = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            seen.add(node.name)  # a class's fields may name the class itself only when quoted
            for statement in node.body:
                if isinstance(statement, ast.AnnAssign):
                    names: set[str] = set()
                    _References(names).visit(statement.annotation)
                    later = (names & defined_names) - (seen - {node.name})
                    if later:
                        text = ast.get_source_segment(source, statement.annotation)
                        edits.append((statement.annotation, repr(" ".join(text.split()))))
        elif (name := _defines(node)) is not None:
            seen.add(name)
    for annotation, text in sorted(
        edits, key=lambda e: (e[0].lineno, e[0].col_offset), reverse=True
    ):  # from the end, so earlier positions stay valid
        start, end = annotation.lineno - 1, annotation.end_lineno - 1
        head = lines[start][: annotation.col_offset]
        tail = lines[end][annotation.end_col_offset :]
        lines[start : end + 1] = [head + text + tail]
    return "".join(lines)
