"""Writing a borb Document to PDF bytes: borb's own writer, without what it costs us.

Each for a reason found by reading borb's source:

- No telemetry. borb's `UsageStatistics` posts to an AWS endpoint from `PDF.read`/`PDF.write`,
  flushes at process exit (atexit) and replaces the SIGINT/SIGTERM handlers on first use.
  Importing this module opts out, and `write_pdf` never calls `PDF.write`, so the statistics
  code is not even reached (it would also print a licence reminder to stdout every 64
  documents). Other borb code that reaches the network, none of which billing_core uses:
  `Image(<str>)` (fetches the string as a URL: pass bytes or a Path), `GoogleTrueTypeFont`,
  `Unsplash`, `DallE`, `Lipsum`'s Markov model.
- `write_pdf(document)`: borb's writer, byte for byte, minus its quadratic steps: it appends
  to an immutable bytes object, scans the xref list for every object it numbers and for every
  object it writes, and offers each of the thousands of numbers in /W to twenty visitors.
  (A 10-line invoice: 8 ms to write instead of 37.)
- Its version known, not looked up: borb asks importlib.metadata for it for every file.
- `clear_layout_caches()`: borb memoises layout results with `functools.cache` on methods, which
  keeps every element of every document alive for the life of the process.
"""

from __future__ import annotations

from typing import Any, cast

import borb.pdf
from borb.pdf import Document, UsageStatistics, Version
from borb.pdf.primitives import reference
from borb.pdf.visitor.write_new.build_xref_visitor import BuildXRefVisitor
from borb.pdf.visitor.write_new.facade_visitor import FacadeVisitor

# At import, before anything can render: nothing in this process may post statistics.
UsageStatistics.opt_out()

BORB_VERSION = "3.0.9"  # as pinned in pyproject.toml; named in every PDF's /Producer

# borb writes "% version 3.0.9" near the top of every file and asks importlib.metadata for
# the number each time: importing that is about 30 ms of CPU in a fresh process (a tenth of a
# cold `invoicebot draft`), and every answer scans the installed distributions. The version is
# pinned, so the answer is known (tests/pdf check it is the installed one).
_PINNED = Version(BORB_VERSION)
Version.get_current_version = staticmethod(lambda: _PINNED)


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


class _LinearXRefVisitor(BuildXRefVisitor):  # type: ignore[misc]  # borb ships no types
    """borb's xref builder, same object numbers, without its two list scans per node."""

    @staticmethod
    def _BuildXRefVisitor__build_xref(document: Document) -> list[reference]:
        # The traversal of BuildXRefVisitor.__build_xref, step for step; borb asks
        # "already numbered?" and "highest number?" by scanning the xref list every time.
        is_direct = BuildXRefVisitor._BuildXRefVisitor__is_direct_object
        id_to_parent: dict[int, Any] = {}
        xref: list[reference] = []
        numbered: set[int] = set()
        stack: list[Any] = [document]
        while stack:
            node = stack.pop()
            parent = id_to_parent.get(id(node))
            if id(node) in numbered:
                continue
            if isinstance(node, dict):
                for key in sorted(node.keys()):
                    value = node[key]
                    id_to_parent[id(value)] = node
                    stack.append(value)
            if isinstance(node, list):
                for value in node:
                    id_to_parent[id(value)] = node
                    stack.append(value)
            if is_direct(node, parent):
                continue
            if (
                isinstance(parent, dict)
                and parent.get("XRef") is not None
                and parent["XRef"] == node
            ):
                continue
            if isinstance(node, (list, dict)):
                xref.append(
                    reference(
                        object_nr=len(xref) + 1,
                        generation_nr=0,
                        id=id(node),
                        referenced_object=node,
                    )
                )
                numbered.add(id(node))
        return xref


class _Writer(FacadeVisitor):  # type: ignore[misc]  # borb ships no types
    """borb's writer, same output, without its quadratic steps."""

    def __init__(self) -> None:
        super().__init__()
        # borb appends with `bytes += bytes`, copying the whole file on every token.
        self._FacadeVisitor__destination = bytearray()
        visitors = self._FacadeVisitor__visitors
        for n, visitor in enumerate(visitors):
            if type(visitor) is BuildXRefVisitor:
                visitors[n] = _LinearXRefVisitor(root=self)
        self._xref: Any = None
        self._xref_len = -1
        self._by_id: dict[int, Any] = {}

    def visit(self, node: Any) -> bool:
        # Numbers are most of the nodes (the fonts' /W arrays); borb offers each to twenty
        # visitors in turn. Same text as its IntVisitor / FloatVisitor.
        kind = type(node)
        if kind is int:
            self._append_bytes(str(node).encode("latin1"))
            return True
        if kind is float:
            self._append_bytes(str(round(node, 7)).encode("latin1"))
            return True
        return cast(bool, super().visit(node))

    def get_reference(self, node: Any) -> Any:
        # borb scans the whole xref list for every object it writes; index it once built.
        document = self._FacadeVisitor__document
        if document is None:
            return node
        xref = document.get("XRef", [])
        if xref is not self._xref or len(xref) != self._xref_len:
            self._xref, self._xref_len = xref, len(xref)
            self._by_id = {}
            for entry in xref:
                if isinstance(entry, reference):
                    self._by_id.setdefault(id(entry.get_referenced_object()), entry)
        return self._by_id.get(id(node), node)


def write_pdf(document: Document) -> bytes:
    """Serialise `document` to PDF bytes, like `PDF.write` minus its usage statistics."""
    writer = _Writer()
    writer.visit(node=document)
    return bytes(writer.bytes())


# ---------------------------------------------------------------------------------------------
# Layout caches
# ---------------------------------------------------------------------------------------------


def _cached_methods() -> list[Any]:
    """Every functools.cache'd function on the classes borb.pdf exports (and their bases)."""
    found: dict[int, Any] = {}
    for exported in vars(borb.pdf).values():
        if isinstance(exported, type):
            for klass in exported.__mro__:
                for attribute in vars(klass).values():
                    if hasattr(attribute, "cache_clear") and hasattr(attribute, "cache_info"):
                        found.setdefault(id(attribute), attribute)
    return list(found.values())


_CACHED_METHODS = _cached_methods()


def clear_layout_caches() -> None:
    """Drop borb's memoised layout results (they hold every element ever laid out)."""
    for method in _CACHED_METHODS:
        method.cache_clear()


def layout_cache_entries() -> int:
    """How many results borb's layout caches hold right now (for tests and the benchmark)."""
    return sum(method.cache_info().currsize for method in _CACHED_METHODS)
