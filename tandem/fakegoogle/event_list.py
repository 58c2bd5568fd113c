"""events.list and events.instances: filters, expansion, paging and incremental sync.

References: https://developers.google.com/workspace/calendar/api/v3/reference/events/list
and https://developers.google.com/workspace/calendar/api/guides/sync. Listing order is
stable (creation order, or start time for single events); page tokens carry the snapshot
of the first page and the last key returned, so concurrent writes neither shift nor hide
items, and anything written after the snapshot shows up in the next incremental sync.
In ``live`` paging pages are what real Google's were seen to be, no snapshots: each
page shows events as they are now, and one changed after an earlier page comes again on a
later page with its newer etag (seen in listings recorded from real accounts; Google's
guide, https://developers.google.com/workspace/calendar/api/guides/sync, promises no
snapshot either).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from tandem.fakegoogle import errors, recurrence, sync_tokens
from tandem.fakegoogle.access import authorize, calendar_for
from tandem.fakegoogle.event_model import (
    exceptions_of,
    instance_resource,
    key_moment,
    tombstone,
    view,
)
from tandem.fakegoogle.store import Calendar, ListEntry, StoredEvent
from tandem.fakegoogle.timeutil import bound, parse_query_datetime
from tandem.fakegoogle.util import rfc3339_ms
from tandem.fakegoogle.wire import ApiRequest, ApiResponse, json_response

if TYPE_CHECKING:
    from tandem.fakegoogle.emulator import FakeGoogle

DEFAULT_PAGE = 250
MAX_PAGE = 2500
FORBIDDEN_WITH_SYNC_TOKEN = (
    "iCalUID",
    "orderBy",
    "privateExtendedProperty",
    "q",
    "sharedExtendedProperty",
    "timeMin",
    "timeMax",
    "updatedMin",
)
# Not part of a query's identity: a page token stays valid when only these change.
UNBOUND_PARAMS = {
    "pageToken",
    "maxResults",
    "alt",
    "fields",
    "prettyPrint",
    "quotaUser",
    "key",
    "access_token",
    "oauth_token",
    "userIp",
    "timeZone",
    "maxAttendees",
}
EXPANSION_HORIZON = timedelta(days=730)  # endless series are expanded this far ahead
UPDATED_MIN_HORIZON = timedelta(days=28)  # how long tombstones are kept for updatedMin
UNORDERED = datetime.min  # the start of a row whose listing is not ordered by start
FRONTIER_SEQ = 2**53  # above every created_seq: a frontier key covers all rows at its start
_ALL_LISTED = object()  # a series whose rows all came on earlier pages


@dataclass
class Query:
    max_results: int
    single_events: bool
    show_deleted: bool
    order_by: str | None
    time_min: datetime | None
    time_max: datetime | None
    updated_min: datetime | None
    ical_uid: str | None
    private_props: list[tuple[str, str]]
    shared_props: list[tuple[str, str]]
    text: str | None
    fingerprint: str

    @property
    def filtered(self) -> bool:
        """Any filter besides the time window."""
        return bool(
            self.ical_uid
            or self.private_props
            or self.shared_props
            or self.text
            or self.updated_min
        )


def _max_results(req: ApiRequest, default: int, ceiling: int) -> int:
    raw = req.query.get("maxResults")
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise errors.invalid(
            f"Invalid value '{raw}'. Values must be within the range: [1, {ceiling}]"
        ) from exc
    if value < 1:
        raise errors.invalid(
            f"Invalid value '{raw}'. Values must be within the range: [1, {ceiling}]"
        )
    return min(value, ceiling)


def _props(values: list[str], name: str) -> list[tuple[str, str]]:
    pairs = []
    for raw in values:
        key, sep, value = raw.partition("=")
        if not sep or not key:
            raise errors.invalid(f"Invalid value for: {name}")
        pairs.append((key, value))
    return pairs


def parse_query(emu: FakeGoogle, req: ApiRequest) -> Query:
    q = req.query
    if q.get("syncToken"):
        for name in FORBIDDEN_WITH_SYNC_TOKEN:
            if name in q:
                raise errors.bad_request(
                    f"Sync token cannot be used with the parameter: {name}",
                    reason="invalid",
                    location=name,
                )
    order_by = q.get("orderBy")
    if order_by not in (None, "startTime", "updated"):
        raise errors.invalid("Invalid value for: orderBy")
    single_events = req.flag("singleEvents")
    if order_by == "startTime" and not single_events:
        raise errors.bad_request(
            "The requested ordering is not available for the particular query."
        )
    time_min = parse_query_datetime(q["timeMin"], param="timeMin") if q.get("timeMin") else None
    time_max = parse_query_datetime(q["timeMax"], param="timeMax") if q.get("timeMax") else None
    if time_min and time_max and time_min >= time_max:
        raise errors.time_range_empty()
    updated_min = (
        parse_query_datetime(q["updatedMin"], param="updatedMin") if q.get("updatedMin") else None
    )
    if updated_min and updated_min < emu.now() - UPDATED_MIN_HORIZON:
        raise errors.updated_min_too_long_ago()
    bound_params = sorted(
        (k, v) for k, v in q.items(multi=True) if k not in UNBOUND_PARAMS and k != "syncToken"
    )
    return Query(
        max_results=_max_results(req, DEFAULT_PAGE, MAX_PAGE),
        single_events=single_events,
        show_deleted=req.flag("showDeleted"),
        order_by=order_by,
        time_min=time_min,
        time_max=time_max,
        updated_min=updated_min,
        ical_uid=q.get("iCalUID"),
        private_props=_props(q.getlist("privateExtendedProperty"), "privateExtendedProperty"),
        shared_props=_props(q.getlist("sharedExtendedProperty"), "sharedExtendedProperty"),
        text=q.get("q"),
        fingerprint=sync_tokens.fingerprint({"p": bound_params, "s": q.get("syncToken")}),
    )


def _matches_filters(resource: dict[str, Any], query: Query) -> bool:
    if not query.filtered:
        return True  # the common full-sync query: skip the per-event checks below
    if query.ical_uid and resource.get("iCalUID") != query.ical_uid:
        return False
    props = resource.get("extendedProperties") or {}
    # All constraints must match (the reference's reading; the guide's "OR" is not used).
    for bag, wanted in (("private", query.private_props), ("shared", query.shared_props)):
        values = props.get(bag) or {}
        if any(values.get(k) != v for k, v in wanted):
            return False
    if query.text:
        haystack = " ".join(
            str(resource.get(f) or "") for f in ("summary", "description", "location")
        ).lower()
        if not all(word in haystack for word in query.text.lower().split()):
            return False
    return not (query.updated_min and resource.get("updated", "") < rfc3339_ms(query.updated_min))


def _in_window(start: datetime, end: datetime, query: Query) -> bool:
    if query.time_min and end <= query.time_min:
        return False
    return not (query.time_max and start >= query.time_max)


class _Lister:
    """Builds the ordered rows of one listing at one snapshot."""

    def __init__(
        self,
        emu: FakeGoogle,
        calendar: Calendar,
        query: Query,
        *,
        snapshot: int,
        since: int | None,
        gone: frozenset[str] = frozenset(),
        after: list[Any] | None = None,
        repeat_after: list[Any] | None = None,
        changed: frozenset[str] = frozenset(),
        page_size: int = MAX_PAGE,
    ):
        self.emu = emu
        self.calendar = calendar
        self.query = query
        self.snapshot = snapshot
        self.since = since  # the sync token's sequence: incremental mode
        # Live paging: events deleted since an earlier page of this listing showed them; a
        # later page says they are gone (a tombstone), or the client would keep them.
        self.gone = gone
        self.tz = calendar.time_zone
        self.now = emu.now()
        # Expansion is lazy (recurrence.py): a series is expanded after the key the listing
        # reached (``after``; live paging: ``repeat_after`` for events changed since its
        # snapshot, which come again), a page's worth at a time. ``frontier``: the key up
        # to which every row is known, when a series' expansion stopped short of the range.
        self.after = after
        self.repeat_after = repeat_after
        self.changed = changed
        self.limit = page_size + 1
        self.frontier: list[Any] | None = None

    @property
    def incremental(self) -> bool:
        return self.since is not None

    def changed_in_range(self, stored: StoredEvent) -> bool:
        if stored.created_seq > self.snapshot:
            return False
        if self.since is None:
            return True
        return self.since < stored.seq <= self.snapshot

    def shown(self, resource: dict[str, Any], *, series_live: bool = True) -> dict[str, Any] | None:
        """The resource as this listing shows it, or None to leave it out."""
        if resource.get("status") != "cancelled":
            return resource
        if self.query.show_deleted:
            # "Cancelled exceptions are only guaranteed to have values for the id,
            # recurringEventId and originalStartTime fields populated. The other fields might
            # be empty." (Events reference, status): served in that minimal shape, the
            # hardest for a client (https://developers.google.com/workspace/calendar/api/v3/reference/events).
            return tombstone(resource) if resource.get("recurringEventId") else resource
        if self.incremental or self.query.updated_min or _event_id(resource) in self.gone:
            return tombstone(resource)
        if resource.get("recurringEventId") and not self.query.single_events and series_live:
            return tombstone(resource)
        return None

    def rows(self) -> list[tuple[list[Any], dict[str, Any]]]:
        rows: list[tuple[list[Any], dict[str, Any]]] = []
        events = self.calendar.events
        for stored in events.values():
            if not self.changed_in_range(stored):
                continue
            resource = stored.resource
            if not self.incremental and not _matches_filters(resource, self.query):
                continue
            if resource.get("recurrence") and not resource.get("recurringEventId"):
                rows.extend(self._series_rows(stored))
                continue
            series_id = resource.get("recurringEventId")
            series = events.get(series_id) if series_id else None
            series_live = series is None or series.resource.get("status") != "cancelled"
            shown = self.shown(resource, series_live=series_live)
            if shown is None:
                continue
            # Parsing start/end of every event is most of a page's cost: only when needed.
            if not self.incremental and (self.query.time_min or self.query.time_max):
                start, end = bound(resource["start"], self.tz), bound(resource["end"], self.tz)
                if not _in_window(start, end, self.query):
                    continue
            elif self.query.single_events:
                start = bound(resource["start"], self.tz)
            else:
                start = UNORDERED  # _key orders unexpanded listings by creation only
            rows.append((self._key(stored, resource, start, ""), shown))
        rows.sort(key=lambda row: row[0])
        if self.frontier is not None:
            rows = [row for row in rows if row[0] <= self.frontier]
        return rows

    def _series_rows(self, stored: StoredEvent) -> list[tuple[list[Any], dict[str, Any]]]:
        series = stored.resource
        window_start = None if self.incremental else self.query.time_min
        window_end = (
            horizon(series, self.tz, self.now)
            if self.incremental or not self.query.time_max
            else self.query.time_max
        )
        if not self.query.single_events:
            shown = self.shown(series)
            if shown is None:
                return []
            if not self.incremental:
                found = recurrence.expand(
                    series,
                    calendar_tz=self.tz,
                    window_start=window_start,
                    window_end=window_end,
                    limit=1,
                )
                if not found.occurrences and not found.gave_up:
                    return []  # no instance in the range (shown where the walk gave up)
            return [(self._key(stored, series, UNORDERED, ""), shown)]
        start_from = self._start_from(
            stored, self.repeat_after if series["id"] in self.changed else self.after
        )
        if start_from is _ALL_LISTED:
            return []
        exceptions = exceptions_of(self.calendar, series["id"])
        expansion = recurrence.expand(
            series,
            calendar_tz=self.tz,
            window_start=window_start,
            window_end=window_end,
            start_from=start_from,
            limit=self.limit + len(exceptions),
        )
        if expansion.walked_to is not None:
            all_day = bool(series["start"].get("date"))
            sub = recurrence.occurrence_key(expansion.walked_to, all_day)
            frontier = self._key(stored, series, expansion.walked_to, sub)
            if self.query.order_by != "updated":
                frontier = [frontier[0], FRONTIER_SEQ, ""]  # other events at that start too
            self.frontier = frontier if self.frontier is None else min(self.frontier, frontier)
        rows = []
        for occ in expansion.occurrences:
            if occ.key in exceptions:
                continue  # the exception is listed on its own
            shown = self.shown(instance_resource(self.emu.state, self.calendar, series, occ))
            if shown is not None:
                rows.append((self._key(stored, series, occ.start_at, occ.key), shown))
        return rows

    def _start_from(self, stored: StoredEvent, key: list[Any] | None) -> Any:
        """Where a series' expansion starts for rows after ``key``: None (the range's
        start), a start time, or ``_ALL_LISTED``."""
        if key is None:
            return None
        if self.query.order_by == "updated":
            own = [stored.resource.get("updated", ""), stored.created_seq]
            if own != key[:2]:
                return _ALL_LISTED if own < key[:2] else None
            return key_moment(key[2]) - timedelta(days=1) if key[2] else None
        return datetime.fromtimestamp(key[0], UTC)

    def _key(
        self, stored: StoredEvent, resource: dict[str, Any], start: datetime, sub: str
    ) -> list[Any]:
        if self.query.order_by == "updated":
            return [resource.get("updated", ""), stored.created_seq, sub]
        if self.query.single_events:
            return [start.timestamp(), stored.created_seq, sub]
        return [0, stored.created_seq, sub]


def horizon(series: dict[str, Any], calendar_tz: str, now: datetime) -> datetime:
    """How far an open-ended listing expands a series: two years past now or its start."""
    return max(now, bound(series["start"], calendar_tz)) + EXPANSION_HORIZON


def _page_size(emu: FakeGoogle, query: Query, page_number: int) -> int:
    size = query.max_results
    if emu.state.paging.mode == "short":
        # Google may return short or even empty pages while more remain.
        size = 0 if page_number % 3 == 1 else max(1, query.max_results // 2)
    cap = emu.state.paging.page_cap
    return min(size, cap) if cap else size


def _envelope(
    emu: FakeGoogle, calendar: Calendar, entry: ListEntry, req: ApiRequest
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "calendar#events",
        "etag": f'"{emu.state.seq}"',
        "summary": entry.summary_override or calendar.summary,
    }
    if calendar.description:
        body["description"] = calendar.description
    body.update(
        updated=calendar.updated or rfc3339_ms(emu.now()),
        timeZone=req.query.get("timeZone") or calendar.time_zone,
        accessRole=entry.access_role,
        defaultReminders=[{"method": "popup", "minutes": 30}]
        if entry.access_role in ("owner", "writer")
        else [],
    )
    return body


def list_events(emu: FakeGoogle, req: ApiRequest, calendar_id: str) -> ApiResponse:
    token = authorize(emu, req, "events.list")
    query = parse_query(emu, req)
    state = emu.state
    with state.lock:
        calendar, entry = calendar_for(emu, token, calendar_id, method="events.list", write=False)
        since: int | None = None
        page_number = 0
        page: dict[str, Any] | None = None
        last_key: list[Any] | None = None
        snapshot = state.seq
        if req.query.get("syncToken"):
            payload = sync_tokens.decode(state.secret, req.query["syncToken"])
            if (
                payload is None
                or req.query["syncToken"] in state.expired_sync_tokens
                or payload.get("k") != "s"
                or payload.get("c") != calendar.id
                or payload.get("g") != calendar.sync_generation
            ):
                raise errors.full_sync_required()
            since = int(payload["s"])
        if req.query.get("pageToken"):
            page = sync_tokens.decode(state.secret, req.query["pageToken"])
            if (
                page is None
                or page.get("k") != "p"
                or page.get("c") != calendar.id
                or page.get("f") != query.fingerprint
            ):
                raise errors.invalid("Invalid page token value.")
            snapshot, page_number, last_key = int(page["snap"]), int(page["n"]), page["last"]
            if page.get("since") is not None:
                since = int(page["since"])
        repeated: list[tuple[list[Any], dict[str, Any]]] = []
        next_snapshot, next_rep = snapshot, None
        if state.paging.live and last_key is not None:
            # Google's pages are no snapshots: later pages show events as they are now, and
            # an event changed since an earlier page comes again (newer etag). ``rep``: the
            # last repeat handed out under this snapshot, when they did not fit one page.
            rep = page.get("rep") if page else None
            changed_since = {
                event_id for event_id, stored in calendar.events.items() if stored.seq > snapshot
            }
            gone = frozenset(
                event_id
                for event_id in changed_since
                if calendar.events[event_id].resource.get("status") == "cancelled"
            )
            now = state.seq
            lister = _Lister(
                emu,
                calendar,
                query,
                snapshot=now,
                since=since,
                gone=gone,
                after=last_key,
                repeat_after=rep,
                changed=frozenset(changed_since),
                page_size=_page_size(emu, query, page_number),
            )
            every = lister.rows()
            repeated = [
                row
                for row in every
                if row[0] <= last_key
                and _event_id(row[1]) in changed_since
                and (rep is None or row[0] > rep)
            ]
            # A deletion's tombstone is for a client that saw the event on an earlier page;
            # ahead of the last key the listing shows deleted events as it always does.
            rows = repeated + [
                row
                for row in every
                if row[0] > last_key and not _gone_tombstone(row[1], gone, query, since)
            ]
            size = _page_size(emu, query, page_number)
            behind = lister.frontier is not None and lister.frontier <= last_key
            if len(repeated) > size or (behind and repeated):
                # (``behind``: a changed series' repeats are not all expanded yet.)
                # More repeats than fit: the next page goes on with them, same snapshot.
                shown = repeated[:size]
                next_rep = shown[-1][0] if shown else rep
            else:
                next_snapshot = now
        else:
            lister = _Lister(
                emu,
                calendar,
                query,
                snapshot=snapshot,
                since=since,
                after=last_key,
                page_size=_page_size(emu, query, page_number),
            )
            rows = lister.rows()
            if last_key is not None:
                rows = [row for row in rows if row[0] > last_key]
        size = _page_size(emu, query, page_number)
        page_rows = rows[:size]
        more = len(rows) > size or lister.frontier is not None
        last = _last_key(page_rows[len(repeated) :], last_key)
        if (
            lister.frontier is not None
            and len(page_rows) < size
            and (last is None or lister.frontier > last)
        ):
            # Every row up to the frontier is on this page: the next one goes on from there
            # (it may be short, or empty, as Google's may: the pagination guide).
            last = lister.frontier
        body = _envelope(emu, calendar, entry, req)
        body["items"] = [
            view(resource, role=entry.access_role, viewer=token.email, calendar=calendar)
            for _, resource in page_rows
        ]
        if more:
            body["nextPageToken"] = sync_tokens.encode(
                state.secret,
                {
                    "k": "p",
                    "c": calendar.id,
                    "f": query.fingerprint,
                    "snap": next_snapshot,
                    "n": page_number + 1,
                    "last": last,
                    "since": since,
                    "rep": next_rep,
                },
            )
        else:
            body["nextSyncToken"] = _sync_token(emu, calendar, next_snapshot)
    return json_response(body, pretty=req.flag("prettyPrint"))


def _gone_tombstone(
    resource: dict[str, Any], gone: frozenset[str], query: Query, since: int | None
) -> bool:
    """A tombstone only live paging's ``gone`` put in (a full listing without showDeleted
    leaves deleted events out)."""
    return (
        resource.get("status") == "cancelled"
        and _event_id(resource) in gone
        and since is None
        and not query.show_deleted
        and not query.updated_min
    )


def _event_id(resource: dict[str, Any]) -> str:
    """The stored event a listed row comes from (an instance's series, or itself)."""
    return str(resource.get("recurringEventId") or resource.get("id", ""))


def _last_key(forward_rows: list[tuple[list[Any], dict[str, Any]]], last_key: Any) -> Any:
    """The key the next page starts after: repeated rows (live paging) do not move it."""
    return forward_rows[-1][0] if forward_rows else last_key


def _sync_token(emu: FakeGoogle, calendar: Calendar, snapshot: int) -> str:
    state = emu.state
    token = sync_tokens.encode(
        state.secret, {"k": "s", "c": calendar.id, "g": calendar.sync_generation, "s": snapshot}
    )
    if state.corrupt_next_sync_tokens > 0:
        state.corrupt_next_sync_tokens -= 1
        return token[:8] + ("A" if token[8] != "A" else "B") + token[9:]
    return token


def instances(emu: FakeGoogle, req: ApiRequest, calendar_id: str, event_id: str) -> ApiResponse:
    token = authorize(emu, req, "events.instances")
    q = req.query
    time_min = parse_query_datetime(q["timeMin"], param="timeMin") if q.get("timeMin") else None
    time_max = parse_query_datetime(q["timeMax"], param="timeMax") if q.get("timeMax") else None
    if time_min and time_max and time_min >= time_max:
        raise errors.time_range_empty()
    max_results = _max_results(req, DEFAULT_PAGE, MAX_PAGE)
    show_deleted = req.flag("showDeleted")
    with emu.state.lock:
        calendar, entry = calendar_for(
            emu, token, calendar_id, method="events.instances", write=False
        )
        stored = calendar.events.get(event_id)
        if stored is None:
            raise errors.not_found()
        series = stored.resource
        after: list[Any] | None = None
        if q.get("pageToken"):
            page = sync_tokens.decode(emu.state.secret, q["pageToken"])
            if (
                page is None
                or page.get("k") != "i"
                or page.get("e") != event_id
                or not isinstance(page.get("a"), list)
            ):
                raise errors.invalid("Invalid page token value.")
            after = page["a"]
        rows: list[tuple[list[Any], dict[str, Any]]] = []
        walked_to: datetime | None = None
        if not series.get("recurrence"):
            rows.append(([bound(series["start"], calendar.time_zone).timestamp(), ""], series))
        else:
            window_start, window_end = time_min, time_max
            start_from = datetime.fromtimestamp(after[0], UTC) if after else None
            limit: int | None = max_results + 1
            if q.get("originalStart"):
                # One instance: the series is expanded at that moment only (a date: that
                # day in any zone), whatever maxResults says (filtered exactly below).
                around = _original_moment(q["originalStart"])
                timed = "T" in q["originalStart"].upper()
                lower = around - timedelta(days=0 if timed else 1)
                start_from = max(start_from, lower) if start_from else lower
                far = around + (timedelta(seconds=1) if timed else timedelta(days=2))
                window_end = min(time_max, far) if time_max else far
                limit = None
            exceptions = exceptions_of(calendar, event_id)
            # Lazy, a page at a time (recurrence.py), from where the last page stopped.
            expansion = recurrence.expand(
                series,
                calendar_tz=calendar.time_zone,
                window_start=window_start,
                window_end=window_end or horizon(series, calendar.time_zone, emu.now()),
                start_from=start_from,
                limit=limit,
            )
            walked_to = expansion.walked_to
            for occ in expansion.occurrences:
                resource = (
                    exceptions[occ.key].resource
                    if occ.key in exceptions
                    else instance_resource(emu.state, calendar, series, occ)
                )
                if resource.get("status") == "cancelled" and not show_deleted:
                    continue
                rows.append(([occ.start_at.timestamp(), occ.key], resource))
        if q.get("originalStart"):
            rows = [r for r in rows if _starts_originally_at(r[1], q["originalStart"])]
        if after is not None:
            rows = [r for r in rows if r[0] > after]
        if walked_to is not None:
            rows = [r for r in rows if r[0][0] <= walked_to.timestamp()]
        body = _envelope(emu, calendar, entry, req)
        page_rows = rows[:max_results]
        body["items"] = [
            view(r, role=entry.access_role, viewer=token.email, calendar=calendar)
            for _, r in page_rows
        ]
        if len(rows) > max_results or walked_to is not None:
            # A full page goes on after its last row; a short one after the walk's end.
            last = (
                page_rows[-1][0]
                if len(page_rows) == max_results or walked_to is None
                else [walked_to.timestamp(), "\uffff"]
            )
            body["nextPageToken"] = sync_tokens.encode(
                emu.state.secret, {"k": "i", "e": event_id, "a": last}
            )
    return json_response(body, pretty=req.flag("prettyPrint"))


def _original_moment(wanted: str) -> datetime:
    """events.instances' ``originalStart`` as an instant (a date: its UTC midnight)."""
    if "T" not in wanted.upper():
        try:
            return datetime.fromisoformat(wanted).replace(tzinfo=UTC)
        except ValueError as exc:
            raise errors.invalid("Invalid value for: originalStart") from exc
    return parse_query_datetime(wanted, param="originalStart")


def _starts_originally_at(resource: dict[str, Any], wanted: str) -> bool:
    """events.instances' ``originalStart``: a date for an all-day series, else an RFC 3339
    time compared as an instant (any offset names the same occurrence)."""
    original = resource.get("originalStartTime") or {}
    if "T" not in wanted.upper():
        return original.get("date") == wanted
    if not original.get("dateTime"):
        return False
    at = parse_query_datetime(wanted, param="originalStart")
    return datetime.fromisoformat(original["dateTime"]) == at
