"""The house's arrows run one way (SPEC §7; README "Layout"). Read from the code with `ast`, so a
new import that breaks the layering, or closes a circle, fails here."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("autodoctor", "sessions_app", "billing", "customers", "mechanics", "diagnostics")

# Top to bottom. A module may import only from its own layer or below.
WIRING, INTERFACES, DOMAIN, BILLING, PROFILES, PLATFORM = 5, 4, 3, 2, 1, 0
WIRING_MODULES = {"autodoctor.urls", "autodoctor.asgi", "autodoctor.wsgi", "autodoctor.settings"}
# An app's interface modules: nothing outside the app imports them (but the URL wiring).
INTERFACE_PARTS = {"views", "urls", "api", "admin", "webhooks", "staff_views", "templatetags", "management"}
INTERFACE_PARTS_OF_PROFILE_APPS = INTERFACE_PARTS | {"forms", "selectors", "dashboard"}


def module_files() -> dict[str, Path]:
    found = {}
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Our modules that `name` imports (anywhere in the file, functions included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            candidates = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for candidate in candidates:
            # The most specific module of ours that the name points into.
            while candidate and candidate not in known:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
                break
    return targets


def graph() -> dict[str, set[str]]:
    files = module_files()
    return {name: imports_of(name, path, set(files)) for name, path in files.items()}


def layer(module: str) -> int:
    app = module.split(".")[0]
    if module in WIRING_MODULES:
        return WIRING
    if app != "autodoctor" and is_interface(module):
        return INTERFACES
    if app in ("customers", "mechanics"):
        return PROFILES if module.split(".")[1:2] in (["models"], ["apps"], []) else INTERFACES
    # diagnostics: the diagnosis of a session, beside the session domain (sessions_app never imports it)
    return {"sessions_app": DOMAIN, "diagnostics": DOMAIN, "billing": BILLING, "autodoctor": PLATFORM}[app]


def is_interface(module: str) -> bool:
    app, _, rest = module.partition(".")
    first = rest.split(".")[0]
    if app == "autodoctor":  # the platform's API root and access helpers serve every app
        return False
    if app in ("customers", "mechanics"):
        return first in INTERFACE_PARTS_OF_PROFILE_APPS or first.endswith("_urls")
    return first in INTERFACE_PARTS


def test_the_graph_is_read():
    edges = graph()
    assert "sessions_app.services.lifecycle" in edges
    assert "billing.models" in edges["sessions_app.services.refunds"]
    assert "autodoctor.errors" in edges["sessions_app.services.lifecycle"]


def test_imports_run_downward():
    upward = [
        f"{source} ({layer(source)}) -> {target} ({layer(target)})"
        for source, targets in graph().items()
        for target in targets
        if layer(target) > layer(source)
    ]
    assert upward == []


def test_no_module_imports_another_apps_interface():
    crossing = [
        f"{source} -> {target}"
        for source, targets in graph().items()
        if source not in WIRING_MODULES
        for target in targets
        if target.split(".")[0] != source.split(".")[0] and is_interface(target)
    ]
    assert crossing == []


def test_no_import_circles():
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    assert circles == []


def test_the_layering_check_catches_an_upward_import():
    """The checks above can fail: a domain module importing a view is seen as both wrong ways."""
    assert layer("sessions_app.services.lifecycle") < layer("customers.views")
    assert layer("sessions_app.views") == layer("customers.views") > layer("billing.models")
    assert is_interface("customers.views") and is_interface("mechanics.selectors")
    assert not is_interface("sessions_app.selectors") and not is_interface("customers.models")
