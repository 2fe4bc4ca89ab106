// Analytics filters: typing a date switches the range to "custom" before htmx sends the form (capture phase,
// so it runs before htmx's change listener on the form).
document.addEventListener(
  "change",
  (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.hasAttribute("data-custom-range")) return;
    const range = input.form && input.form.querySelector("select[name=range]");
    if (range) range.value = "custom";
  },
  true,
);
