// A search box above each time-zone picker: typing "berl", "germany" or "+01" keeps only the
// zones whose label matches, and selects the first one. Without JavaScript the picker is the
// same list, sorted, common zones first.
document.querySelectorAll("select[data-zone-search]").forEach((select) => {
  const search = document.createElement("input");
  search.type = "search";
  search.className = "zone-search";
  search.placeholder = "Find a zone: city, country or +01:00";
  // Not "time zone": the picker's own label stays the one that names it.
  search.setAttribute("aria-label", "Find a zone by city, country or offset");
  search.setAttribute("aria-controls", select.id);
  select.before(search);
  const options = Array.from(select.options);
  search.addEventListener("input", () => {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    let first = null;
    options.forEach((option) => {
      const text = option.textContent.toLowerCase();
      const shown = words.every((word) => text.includes(word));
      option.hidden = !shown;
      if (shown && !first) first = option;
    });
    select.querySelectorAll("optgroup").forEach((group) => {
      group.hidden = !Array.from(group.children).some((option) => !option.hidden);
    });
    if (first && words.length) select.value = first.value;
  });
});
