// Seller center print pages: the "Print" button opens the browser's print dialog (no inline script: strict CSP).
document.addEventListener("click", (event) => {
  if (event.target instanceof Element && event.target.closest("[data-print]")) {
    window.print();
  }
});
