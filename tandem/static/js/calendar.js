// Click on the empty part of a day (month or week view) to create a meeting on that day.
// Links inside the day (meetings, the day number) keep their own behaviour.
document.addEventListener("click", (event) => {
  if (event.target.closest("a, button, form")) return;
  const day = event.target.closest("[data-create-url]");
  if (day) window.location.href = day.dataset.createUrl;
});
