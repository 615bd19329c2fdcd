"""The API reference builds from the docstrings with pdoc, with no warnings and no broken references.

Build it yourself with::

    pip install -e ".[docs]"
    pdoc -d google -o build/api torchslim        # or: pdoc -d google torchslim   (live server)

The test fails on

* any warning pdoc emits while building (a submodule that does not import, a name in ``__all__``
  that does not exist, an annotation that does not evaluate, ...);
* a link in the generated HTML to a page or anchor that was not generated;
* a Sphinx-style cross-reference in a rendered docstring (``:func:`name```, ``:class:`~a.B```,
  ``:meth:``, ``:mod:``, ...) that names nothing importable. pdoc itself renders an unresolvable
  reference as plain code without a word, which is why this check exists.
"""

from __future__ import annotations

import html.parser
import importlib
import re
import warnings
from pathlib import Path

import pytest

pdoc = pytest.importorskip(
    "pdoc", reason="pdoc is not installed; `pip install -e '.[docs]'` (or '.[test]') installs it")

import pdoc.doc  # noqa: E402
import pdoc.render  # noqa: E402

PACKAGE = "torchslim"
ROLE = re.compile(r":(?:py:)?(mod|func|data|const|class|meth|attr|exc|obj):`([^`]+)`")


class _Links(html.parser.HTMLParser):
    """Collects the ids and the local hrefs of one HTML page."""

    def __init__(self):
        super().__init__()
        self.ids, self.hrefs = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("name"):
            self.ids.add(attrs["name"])
        href = attrs.get("href")
        if tag == "a" and href and not re.match(r"^[a-z]+:", href):
            self.hrefs.append(href)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Builds the reference into a temp dir; returns (output dir, root pdoc.doc.Module, warnings)."""
    out = tmp_path_factory.mktemp("api")
    pdoc.render.configure(docformat="google", show_source=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pdoc.pdoc(PACKAGE, output_directory=out)
        root = pdoc.doc.Module.from_name(PACKAGE)
        modules = list(_walk_modules(root))
    return out, modules, caught


def _walk_modules(module):
    yield module
    for sub in module.submodules:
        yield from _walk_modules(sub)


def _walk_docs(doc):
    yield doc
    if isinstance(doc, (pdoc.doc.Module, pdoc.doc.Class)):
        for member in doc.own_members if isinstance(doc, pdoc.doc.Class) else doc.members.values():
            if isinstance(doc, pdoc.doc.Module) and member.modulename != doc.modulename:
                continue  # re-exports are checked where they are defined
            yield from _walk_docs(member)


def test_builds_without_warnings(built):
    out, modules, caught = built
    relevant = [w for w in caught
                if not (issubclass(w.category, DeprecationWarning) and PACKAGE not in str(w.message))]
    assert not relevant, "pdoc warned while building the API reference:\n" + "\n".join(
        f"- {w.category.__name__}: {w.message}" for w in relevant)
    assert (out / "torchslim.html").is_file()
    names = {m.modulename for m in modules}
    for expected in ("torchslim.model", "torchslim.layers", "torchslim.arg_scope", "torchslim.variables"):
        assert expected in names


def test_links_resolve(built):
    out, _, _ = built
    pages = {}
    for page in out.rglob("*.html"):
        parser = _Links()
        parser.feed(page.read_text(encoding="utf-8"))
        pages[page.resolve()] = parser
    broken = []
    for page, parser in pages.items():
        for href in parser.hrefs:
            target, _, anchor = href.partition("#")
            target_page = (page.parent / target).resolve() if target else page
            if target_page not in pages:
                if not target_page.exists():
                    broken.append(f"{page.relative_to(out)}: {href} (no such page)")
                continue
            if anchor and anchor not in pages[target_page].ids:
                broken.append(f"{page.relative_to(out)}: {href} (no such anchor)")
    assert not broken, (
        "broken links in the API reference (a missing anchor usually means a docstring names, in "
        "backticks, a member pdoc links but does not render, such as one inherited from torch; name "
        "it in full, e.g. `torch.nn.Module.load_state_dict`):\n" + "\n".join(sorted(set(broken))))


def _resolve_dotted(name: str) -> bool:
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return False
        return True
    return False


def _home(doc):
    """(module, qualname) where ``doc``'s object is defined (re-exports point to their definition)."""
    obj = doc.obj
    if isinstance(doc, (pdoc.doc.Function, pdoc.doc.Class)) and getattr(obj, "__module__", None):
        qualname = getattr(obj, "__qualname__", doc.qualname)
        return importlib.import_module(obj.__module__), qualname
    return importlib.import_module(doc.modulename), doc.qualname


def _own_docstring(doc) -> str:
    """The docstring torchslim wrote for ``doc`` ('' for inherited or foreign ones, e.g. torch's)."""
    if isinstance(doc, (pdoc.doc.Function, pdoc.doc.Class)):
        obj = doc.obj
        if not str(getattr(obj, "__module__", "") or "").startswith(PACKAGE):
            return ""
        return getattr(obj, "__doc__", None) or ""
    return doc.docstring or ""


def _resolves(target: str, doc) -> bool:
    target = target.lstrip("~").rstrip("()").strip()
    if target.startswith("slim."):
        target = PACKAGE + target[len("slim"):]
    if "." in target and _resolve_dotted(target):
        return True
    head, _, rest = target.partition(".")
    # The enclosing classes (for methods and attributes), the defining module, then the package.
    module, qualname = _home(doc)
    scopes = []
    owner = module
    for part in (qualname or "").split(".")[:-1]:
        owner = getattr(owner, part, None)
        if not isinstance(owner, type):
            break
        scopes.append(owner)
    if isinstance(doc.obj, type):
        scopes.append(doc.obj)
    scopes += [module, importlib.import_module(PACKAGE)]
    for scope in scopes:
        if not hasattr(scope, head):
            continue
        obj = getattr(scope, head)
        try:
            for attr in filter(None, rest.split(".")):
                obj = getattr(obj, attr)
        except AttributeError:
            continue
        return True
    return False


def test_cross_references_resolve(built):
    _, modules, _ = built
    broken = []
    for module in modules:
        for doc in _walk_docs(module):
            for _role, target in ROLE.findall(_own_docstring(doc)):
                if not _resolves(target, doc):
                    broken.append(f"{doc.fullname}: `{target}`")
    assert not broken, "docstring references that name nothing:\n" + "\n".join(sorted(set(broken)))
