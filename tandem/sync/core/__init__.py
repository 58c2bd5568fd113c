"""The pure core of the two-way sync: no Django, no HTTP, no I/O (docs/sync-rules.md).

``planner`` holds the decision table, ``apply`` the one applier of its plans, ``merge`` and
``breaker`` the rules it calls, ``mapping``/``fields`` the translation between Google's
events and the CRM's six fields. Sides implement the protocols in ``sides``. Import from
the modules themselves: this package re-exports nothing.
"""
