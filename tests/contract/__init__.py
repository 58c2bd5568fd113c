"""Contract suites: what each side protocol of ``tandem.sync.core.sides`` promises, written
once and run against every implementation (the pattern of vdirsyncer's ``StorageTests``).

Six suites, one module each, holding a base class whose tests use one fixture that the
binding provides (a small "bench": the side under test plus what a person does around it):

- ``crm_side.CrmSideContract``       fixture ``crm``: a ``CrmBench``
- ``google_side.GoogleSideContract`` fixture ``calendar``: a ``CalendarBench``
- ``link_store.LinkStoreContract``   fixture ``links``: a ``LinkBench``
- ``inbound_store.InboundStoreContract``, ``outbound_store.OutboundStoreContract`` and
  ``settings_store.SettingsStoreContract`` (the one driver's stores,
  ``tandem.sync.core.stores``) fixture ``stores``: a ``store_bench.StoreBench``

Bindings (the only modules pytest collects here) subclass a contract as ``Test<Impl>`` and
provide its fixture:

- ``test_memory_sides.py``  MemoryCrm, MemoryGoogle, MemoryLinks (the property tests' sides)
- ``test_django_sides.py``  DjangoCrm, DjangoLinks on the test database
- ``test_google_side.py``   GoogleCalendarSide over the Google emulator, in-process
- ``test_memory_stores.py`` MemoryInboundStore, MemoryOutboundStore, MemorySettingsStore
  (``sync_once``'s)
- ``test_django_stores.py`` DjangoInboundStore, DjangoOutboundStore, DjangoSettingsStore
  (production's), the outbound one once per look its candidate queries take (full, first
  runs, since the last run)

A binding that breaks its contract says so in its class's ``violations`` (test name, or
test name with its parameter id, -> why); ``conftest.py`` marks those tests
``xfail(strict=True)``, so the suite stays green while the violation stands and turns red
the day it is fixed (then delete the entry). Never weaken a contract test to let an
implementation pass: the contract is what the driver relies on.

Binding a second calendar provider (say Microsoft Graph) takes two files:

1. The adapter, beside ``tandem/sync/adapters/google.py``: a class with ``calendar_id``,
   ``pages``, ``get_event``, ``insert_event``, ``patch_event``, ``delete_event`` and
   ``move_event`` that speaks the provider's API and turns its answers into the
   ``SideError`` tree (409 -> AlreadyExists, 412 -> PreconditionFailed, 404/410 ->
   NotFound, a dead delta token -> SyncTokenInvalid). Events stay Google-shaped JSON, the
   core's lingua franca.
2. ``tests/contract/test_<provider>_side.py``::

       class TestGraphCalendarSide(GoogleSideContract):
           @pytest.fixture
           def calendar(self, graph_emulator) -> Iterator[CalendarBench]:
               yield GraphBench(...)  # the adapter, plus the person's hooks

   where the bench implements ``google_side.CalendarBench``: the side, the window start it
   was built with, the calendar's zone, how a person creates, patches and deletes an event
   in the provider's own app, how to kill the sync tokens the provider handed out, and
   how to make the next write fail before or after it takes effect. Every test of
   ``GoogleSideContract`` then runs against the new provider; put its known violations
   in ``violations`` and report them.
"""
