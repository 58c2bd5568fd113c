"""The pure core of the two-way sync: no Django, no HTTP, no I/O (docs/sync-rules.md).

``planner`` holds the decision table, ``apply`` the one applier of its plans, ``merge`` and
``breaker`` the rules it calls, ``mapping``/``fields`` the translation between Google's
events and the CRM's six fields. Sides implement the protocols in ``sides``. Import from
the modules themselves: this package re-exports nothing.

The values that pass through the engine once per event (``fields``, ``mapping``, ``state``,
``actions``, ``pairing``) are frozen ``msgspec.Struct``s, not frozen dataclasses: the same
immutable, comparable values, built in C. A frozen dataclass sets each field through
``object.__setattr__`` in Python, and a first import builds about ten such values per
event: their ``__init__``s were 13% of the engine thread's samples, and the engine's CPU per
imported event fell by a quarter with the change (docs/benchmarks.md, issue 11, eleventh
session). Copies with changes use ``msgspec.structs.replace`` (``dataclasses.replace``
refuses a Struct), and a ``__post_init__`` that normalises a field sets it with
``msgspec.structs.force_setattr``.
"""
