"""Lists the ``tensorflow`` names that a folder of TF model files uses.

Usage::

    python tools/extract_tf_names.py FOLDER [FOLDER ...] > names.txt

Every ``.py`` file under the folders is parsed (``ast``); the names bound to a TensorFlow module by
its imports (``import tensorflow as tf``, ``import tensorflow.compat.v1 as tf``,
``from tensorflow.python.framework import tensor_util``, ...) are followed through attribute
chains, so ``tf.nn.relu`` under ``import tensorflow.compat.v1 as tf`` is recorded as
``tensorflow.compat.v1:nn.relu``. A file that does not parse (a ``.txt`` page of code and prose)
is scanned with a regular expression for ``tf.<name>`` (taken as ``import tensorflow as tf``) and
its ``from tensorflow... import ...`` lines, on its code-like lines only (comments cut; lines with
non-ASCII text, i.e. prose, skipped). Names under ``tensorflow.contrib.slim`` are Slim's API, not
the ``tf.*`` stand-in's, and are left out.

Output: one ``module:attribute.path`` per line, sorted, ``#`` comments first (the folders and file
counts). A ``from M import N`` line is recorded as ``M:N``.
"""

from __future__ import annotations

import argparse
import ast
import pathlib
import re
import sys
from typing import Dict, Iterable, Optional, Set

_ROOT = "tensorflow"
_NAME_RE = re.compile(r"(?<![\w.])tf((?:\.[A-Za-z_]\w*)+)", re.ASCII)
_FROM_RE = re.compile(r"^\s*from\s+(tensorflow[\w.]*)\s+import\s+([\w, ]+)", re.M | re.ASCII)
_SLIM = "tensorflow.contrib.slim"  # Slim's own API (torchslim), not the tf.* stand-in


def _is_tf_module(module: Optional[str]) -> bool:
    if module is None or module == _SLIM or module.startswith(_SLIM + "."):
        return False
    return module == _ROOT or module.startswith(_ROOT + ".")


def _aliases(tree: ast.AST, found: Set[str]) -> Dict[str, str]:
    """Maps each local name bound to a TF module (or a name imported from one) to its full path."""
    aliases: Dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for item in node.names:
                if _is_tf_module(item.name):
                    if item.asname:
                        aliases[item.asname] = item.name
                    else:
                        aliases[item.name.split(".")[0]] = item.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and _is_tf_module(node.module):
            for item in node.names:
                found.add(f"{node.module}:{item.name}")
                aliases[item.asname or item.name] = f"{node.module}.{item.name}"
    return aliases


def _chain(node: ast.AST) -> Optional[list]:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return parts[::-1]
    return None


def _from_tree(tree: ast.AST, found: Set[str]) -> None:
    aliases = _aliases(tree, found)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        parts = _chain(node)
        if parts and parts[0] in aliases:
            found.add(f"{aliases[parts[0]]}:{'.'.join(parts[1:])}")
    _keep_longest(found)


def _keep_longest(found: Set[str]) -> None:
    """Drops a name that is the prefix of a longer one (``tf.nn.relu`` also walks ``tf.nn``)."""
    for name in list(found):
        module, _, attr = name.partition(":")
        if any(other.startswith(f"{module}:{attr}.") for other in found):
            found.discard(name)


def _code_lines(text: str) -> str:
    """The lines of a page that read as code: comments cut, lines with non-ASCII prose left out."""
    lines = (line.split("#", 1)[0] for line in text.splitlines())
    return "\n".join(line for line in lines if line.isascii())


def _from_text(text: str, found: Set[str]) -> None:
    text = _code_lines(text)
    for match in _NAME_RE.finditer(text):
        name = match.group(1)[1:]
        if name != "contrib.slim" and not name.startswith("contrib.slim."):
            found.add(f"{_ROOT}:{name}")
    for module, names in _FROM_RE.findall(text):
        for name in names.replace(" ", "").split(","):
            if name:
                found.add(f"{module}:{name}")
    _keep_longest(found)


def names_in_file(path: pathlib.Path) -> Set[str]:
    """Returns the ``module:attribute`` names one file uses."""
    text = path.read_text(encoding="utf-8", errors="replace")
    found: Set[str] = set()
    try:
        tree = ast.parse(text)
    except SyntaxError:
        _from_text(text, found)
    else:
        _from_tree(tree, found)
    return {name for name in found if not name.partition(":")[2].startswith("contrib.slim.")}


def names_in_folders(folders: Iterable[str], pattern: str) -> Dict[str, Set[str]]:
    """Returns ``{file: names}`` for every file matching ``pattern`` under the folders."""
    result = {}
    for folder in folders:
        for path in sorted(pathlib.Path(folder).rglob(pattern)):
            result[str(path)] = names_in_file(path)
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--pattern", default="*.py", help="file glob under each folder (default *.py)")
    parser.add_argument("--skip", nargs="*", default=["_test.py", "__init__.py"],
                        help="skip files ending so (default: _test.py __init__.py)")
    args = parser.parse_args(argv)
    per_file = {f: n for f, n in names_in_folders(args.folders, args.pattern).items()
                if not any(f.endswith(end) for end in args.skip)}
    print(f"# tools/extract_tf_names.py --pattern '{args.pattern}' over {len(per_file)} files:")
    for folder in args.folders:
        print(f"#   {folder}")
    for name in sorted(set().union(*per_file.values()) if per_file else ()):
        print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
