// The Repeat fieldset shows only the choices that matter for the chosen frequency.
(() => {
  const frequency = document.getElementById("id_repeat-frequency");
  if (!frequency) return;
  const field = (name) => document.querySelector(`.field-${name}`);
  const ends = () => document.querySelector('input[name="repeat-ends"]:checked');
  const update = () => {
    const chosen = frequency.value;
    const simple = chosen !== "" && chosen !== "CUSTOM";
    const show = {
      interval: simple,
      weekdays: chosen === "WEEKLY",
      monthly: chosen === "MONTHLY",
      ends: simple,
      until: simple && ends()?.value === "on",
      count: simple && ends()?.value === "after",
      custom: chosen === "CUSTOM",
    };
    for (const [name, visible] of Object.entries(show)) {
      const element = field(name);
      if (element) element.hidden = !visible;
    }
  };
  frequency.addEventListener("change", update);
  document.querySelectorAll('input[name="repeat-ends"]').forEach((input) => {
    input.addEventListener("change", update);
  });
  update();
})();
