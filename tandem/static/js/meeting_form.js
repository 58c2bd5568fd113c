// All-day meetings have a first and last day and no times: hide the times and relabel.
(() => {
  const allDay = document.getElementById("id_all_day");
  if (!allDay) return;
  const label = (id) => document.querySelector(`label[for="${id}"]`);
  const startLabel = label("id_start_date");
  const endLabel = label("id_end_date");
  const update = () => {
    document.querySelectorAll(".field-start_time, .field-end_time").forEach((field) => {
      field.hidden = allDay.checked;
    });
    if (startLabel) startLabel.textContent = allDay.checked ? "First day" : "Start date";
    if (endLabel) endLabel.textContent = allDay.checked ? "Last day" : "End date";
  };
  allDay.addEventListener("change", update);
  update();
})();
