// The calendar page. Without JavaScript the server's month, week, day and list views work on
// their own. With it, week and day become EventCalendar's time grid (vendored, MIT; see
// static/vendor/event-calendar/README.md): hours, a now-line, an all-day row, overlapping
// meetings side by side, drag to move and resize (saved through meetings.services by
// /meetings/<id>/move/), click or drag on empty time to create, and live updates (a cheap
// "what changed" poll, then a re-read of the shown range).
(() => {
  "use strict";

  // Click on the empty part of a day of the server's grid to create a meeting on that day.
  document.addEventListener("click", (event) => {
    if (event.target.closest("a, button, form, .calendar-component")) return;
    const day = event.target.closest("[data-create-url]");
    if (day) window.location.href = day.dataset.createUrl;
  });

  const section = document.querySelector(".calendar[data-changes-url]");
  const box = document.querySelector(".calendar-component");
  const calendar = box && typeof EventCalendar !== "undefined" ? mount(box) : null;
  if (section) live(section, calendar);

  function mount(box) {
    const data = box.dataset;
    const own = data.own === "1";
    const hour12 = data.hour12 === "1";
    const NARROW = window.matchMedia("(max-width: 600px)");
    const VIEW_OF = { week: "timeGridWeek", day: "timeGridDay" };
    const NAME_OF = { timeGridWeek: "week", timeGridDay: "day" };

    const pad = (n) => String(n).padStart(2, "0");
    // EventCalendar holds floating (zone-less) times: the local fields are the wall clock of
    // the user's chosen zone, as the feed wrote them.
    const dayText = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
    const timeText = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    const wallClock = (d) => `${dayText(d)}T${timeText(d)}:00`;
    const csrfToken = () => {
      const field = document.querySelector("input[name=csrfmiddlewaretoken]");
      if (field) return field.value;
      const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="));
      return cookie ? decodeURIComponent(cookie.split("=")[1]) : "";
    };

    const say = (text, isError) => {
      let line = document.querySelector(".calendar-notice");
      if (!line) {
        line = document.createElement("p");
        line.className = "calendar-notice";
        line.setAttribute("role", "status");
        box.before(line);
      }
      line.textContent = text;
      line.classList.toggle("error", Boolean(isError));
    };

    const fetchEvents = (info, success, failure) => {
      const query = new URLSearchParams({
        start: info.startStr.slice(0, 10),
        end: info.endStr.slice(0, 10),
      });
      if (data.user) query.set("user", data.user);
      fetch(`${data.feedUrl}?${query}`, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : Promise.reject(response)))
        .then(success)
        .catch(() => {
          say("Could not load the meetings; retrying in a moment.", true);
          failure();
        });
    };

    const move = (info) => {
      const event = info.event;
      const meeting = event.extendedProps.meeting;
      if (event.allDay !== info.oldEvent.allDay) {
        info.revert(); // a timed meeting stays timed: change that on its page
        say("To make a meeting all-day (or timed), open it and edit it.", true);
        return;
      }
      // A zero-length meeting is drawn half an hour tall (the feed); it stays zero-length.
      const end = event.extendedProps.instant ? event.start : event.end;
      const body = new URLSearchParams(
        event.allDay
          ? { start: dayText(event.start), end: dayText(end) }
          : { start: wallClock(event.start), end: wallClock(end) },
      );
      fetch(`/meetings/${meeting}/move/`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() },
        body,
      })
        .then((response) => response.json().then((answer) => ({ response, answer })))
        .then(({ response, answer }) => {
          if (!response.ok) throw new Error(answer.error || "The meeting could not be moved.");
          say(`Moved “${event.title}”.`, false);
        })
        .catch((error) => {
          info.revert();
          say(error.message || "The meeting could not be moved.", true);
        });
    };

    const createAt = (start, end, allDay) => {
      if (!own) return;
      const query = new URLSearchParams({ date: dayText(start) });
      if (allDay) {
        query.set("all_day", "1");
      } else {
        query.set("time", timeText(start));
        if (end) query.set("until", timeText(end));
      }
      window.location.href = `${data.newUrl}?${query}`;
    };

    // Each meeting: its title in full on hover, a lock on private and confidential ones, and
    // a keyboard stop that opens it (the grid's days are no stops: see base.css).
    const decorate = (info) => {
      const event = info.event;
      const props = event.extendedProps;
      const words = [event.title, props.location, props.note].filter(Boolean).join(" · ");
      info.el.title = words;
      if (props.instant) {
        // Drawn half an hour tall (the feed) but at one moment: its start alone, and the
        // title beside it (see tandem.css).
        const time = info.el.querySelector(".ec-event-time");
        if (time) time.textContent = time.textContent.split(/\s[-–]\s/)[0];
      }
      if (props.private) {
        const lock = document.createElement("span");
        lock.className = "event-lock";
        lock.title = "Private: colleagues see only that this time is taken";
        lock.setAttribute("aria-label", "Private");
        lock.setAttribute("role", "img");
        const title = info.el.querySelector(".ec-event-title") || info.el;
        title.prepend(lock);
      }
      if (props.url) {
        info.el.tabIndex = 0;
        info.el.setAttribute("role", "link"); // named by what it shows: time and title
        info.el.addEventListener("keydown", (key) => {
          if (key.key === "Enter") window.location.href = props.url;
        });
      }
    };

    const syncLinks = (view, anchor) => {
      // The page's own view buttons and its address follow what the component shows, so a
      // reload, a bookmark or the List button opens the same days.
      const name = NAME_OF[view] || "week";
      const query = new URLSearchParams(window.location.search);
      query.set("view", name);
      query.set("date", anchor);
      window.history.replaceState(null, "", `${data.calendarUrl}?${query}`);
      document.querySelectorAll(".calendar-views a[data-view]").forEach((link) => {
        const url = new URL(link.href, window.location.href);
        url.searchParams.set("date", anchor);
        link.href = url.toString();
        const active = link.dataset.view === name;
        link.classList.toggle("active", active);
        if (active) link.setAttribute("aria-current", "page");
        else link.removeAttribute("aria-current");
      });
    };

    // On a phone the week is a day: seven columns of a time grid do not fit 375 px.
    const askedView = VIEW_OF[data.initialView] || "timeGridWeek";
    const firstView = NARROW.matches && askedView === "timeGridWeek" ? "timeGridDay" : askedView;

    const calendar = EventCalendar.create(box, {
      view: firstView,
      date: data.anchor,
      firstDay: 1,
      height: "auto",
      views: {
        // A working day fills the screen and opens scrolled to the morning.
        timeGridWeek: {
          height: "78vh",
          slotHeight: 28,
          dayHeaderFormat: { weekday: "short", day: "numeric" },
        },
        timeGridDay: { height: "78vh", slotHeight: 28 },
      },
      nowIndicator: true,
      scrollTime: "07:30:00",
      slotMinTime: "00:00:00",
      slotMaxTime: "24:00:00",
      dayMaxEvents: true,
      slotEventOverlap: false, // overlapping meetings side by side, each readable
      headerToolbar: { start: "prev,next today", center: "title", end: "" },
      buttonText: { today: "Today" },
      eventTimeFormat: { hour: "numeric", minute: "2-digit", hour12 },
      slotLabelFormat: { hour: "numeric", minute: "2-digit", hour12 },
      selectable: own,
      editable: own,
      eventStartEditable: own,
      eventDurationEditable: own,
      eventSources: [{ events: fetchEvents }],
      eventClick: (info) => {
        if (info.event.extendedProps.url) window.location.href = info.event.extendedProps.url;
      },
      eventDidMount: decorate,
      eventDrop: move,
      eventResize: move,
      select: (info) => createAt(info.start, info.end, info.allDay),
      dateClick: (info) => createAt(info.date, null, info.allDay),
      // The day asked for stays the page's date while the view shows it (a week link opened
      // on a phone, where the week is a day, opens that day, not the week's Monday).
      datesSet: (info) => {
        const first = dayText(info.view.currentStart);
        const end = dayText(info.view.currentEnd);
        const asked = new URLSearchParams(window.location.search).get("date") || "";
        syncLinks(info.view.type, asked >= first && asked < end ? asked : first);
      },
    });

    // Accessibility repairs to the component's markup (axe-core, tests/browser): its arrow
    // buttons have no name, and its grid roles promise rows and cells it does not nest as
    // ARIA requires. Screen readers get the events as links (named by time and title) and
    // the days' headings instead.
    const repair = () => {
      box.querySelectorAll(".ec-prev, .ec-next").forEach((icon) => {
        const button = icon.closest("button");
        if (button) button.setAttribute("aria-label", icon.matches(".ec-prev") ? "Previous" : "Next");
      });
      const GRID_ROLES = ["table", "grid", "rowgroup", "row", "cell", "gridcell", "columnheader", "rowheader"];
      const GRID_ATTRIBUTES = ["aria-colindex", "aria-rowindex", "aria-colcount", "aria-rowcount"];
      [box, ...box.querySelectorAll("[role], [aria-colindex], [aria-rowindex], [aria-colcount]")]
        .forEach((el) => {
          if (GRID_ROLES.includes(el.getAttribute("role"))) el.removeAttribute("role");
          GRID_ATTRIBUTES.forEach((name) => el.removeAttribute(name));
        });
    };
    new MutationObserver(repair).observe(box, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ["role", "aria-colindex", "aria-rowindex", "aria-colcount"],
    });
    repair();
    box.hidden = false;
    document.body.classList.add("has-calendar-component");
    document.querySelectorAll(".calendar-views a[data-view]").forEach((link) => {
      const view = VIEW_OF[link.dataset.view];
      if (!view) return; // month and list are the server's pages
      link.addEventListener("click", (click) => {
        click.preventDefault();
        calendar.setOption("view", view);
      });
    });

    return calendar;
  }

  // Live: ask what changed every few seconds; when the answer differs, re-read the range
  // (the component) or the server's grid of this very page (month, list, or no component),
  // and the status line. Paused while the page is hidden.
  function live(section, calendar) {
    const data = section.dataset;
    const own = data.own === "1";
    // What the page showed when the server drew it: a change made before the first poll
    // answers is then a change too.
    let fingerprint = data.fingerprint || null;
    const redraw = () =>
      fetch(window.location.href, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.text() : Promise.reject(response)))
        .then((html) => {
          const fresh = new DOMParser().parseFromString(html, "text/html");
          const selectors = [".sync-status-line"];
          if (!calendar) selectors.push(".server-grid");
          selectors.forEach((selector) => {
            const old = document.querySelector(selector);
            const now = fresh.querySelector(selector);
            if (old && now) old.replaceWith(document.adoptNode(now));
          });
        })
        .catch(() => {});
    const poll = () => {
      if (document.hidden) return;
      const query = new URLSearchParams(data.user ? { user: data.user } : {});
      fetch(`${data.changesUrl}?${query}`, { credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : Promise.reject(response)))
        .then((answer) => {
          if (fingerprint !== null && answer.fingerprint !== fingerprint) {
            if (calendar) calendar.refetchEvents();
            if (own || !calendar) redraw();
          }
          fingerprint = answer.fingerprint;
        })
        .catch(() => {});
    };
    poll();
    window.setInterval(poll, Number(data.pollMs || 4000));
  }
})();
