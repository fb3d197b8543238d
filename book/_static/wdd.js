/* The book's own page behaviour (linked on every page by _config.yml).
 *
 * 1. Navigation: pydata-sphinx-theme 0.17.1 binds its drawer to the first `.primary-toggle`
 *    (and `.secondary-toggle`) on the page, a hidden duplicate; the visible buttons did nothing
 *    (pydata-sphinx-theme #2451, sphinx-book-theme #988). Visible buttons here forward the
 *    click to the bound one, which opens the drawer; on wide screens the ≡ button collapses and
 *    restores the left sidebar instead. Remove when the pinned theme fixes it.
 * 2. Figures with side-by-side panels (`data-wdd-panels`: each panel's left and right edge as
 *    fractions of the width) are shown one panel under the other on narrow screens, each at a
 *    readable size. The panels are windows onto the same image: nothing more is downloaded.
 * 3. Tables of three or more columns become one card per row on narrow screens, each cell
 *    under its column's name (`data-label`), so no column hides past the edge.
 * 4. Search results quote the page's text without its TeX source ("\\(\\lambda\\)").
 */
(function () {
  "use strict";
  const WIDE = window.matchMedia("(min-width: 960px)");

  function setupToggles(selector) {
    const toggles = Array.from(document.querySelectorAll(selector));
    if (toggles.length < 2) return;
    const bound = toggles[0];
    toggles.slice(1).forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        event.stopPropagation();
        if (selector === ".primary-toggle" && WIDE.matches) {
          const collapsed = document.body.classList.toggle("wdd-nav-collapsed");
          button.setAttribute("aria-expanded", String(!collapsed));
          return;
        }
        bound.click();
      });
    });
  }

  function splitFigure(img) {
    const panels = (img.dataset.wddPanels || "").split(",").filter(Boolean).map(function (pair) {
      return pair.split("-").map(Number);
    });
    const width = Number(img.getAttribute("width")) || img.naturalWidth / 2;
    const height = Number(img.getAttribute("height")) || img.naturalHeight / 2;
    if (panels.length < 2 || !width || !height || img.dataset.wddSplit) return;
    img.dataset.wddSplit = "1";
    const box = document.createElement("div");
    box.className = "wdd-panels";
    panels.forEach(function (panel, i) {
      const left = panel[0], share = panel[1] - panel[0];
      const window_ = document.createElement("div");
      window_.className = "wdd-panel";
      window_.style.maxWidth = (width * share).toFixed(1) + "px";
      window_.style.aspectRatio = (width * share).toFixed(2) + " / " + height;
      const copy = img.cloneNode(false);
      ["data-wdd-panels", "width", "height", "style"].forEach(function (name) {
        copy.removeAttribute(name);
      });
      copy.loading = "lazy"; // not fetched while hidden (wide screens show the whole figure)
      copy.style.width = (100 / share).toFixed(4) + "%";
      copy.style.marginLeft = ((-100 * left) / share).toFixed(4) + "%";
      if (i > 0) {
        copy.alt = "";
        copy.setAttribute("aria-hidden", "true");
      }
      window_.appendChild(copy);
      box.appendChild(window_);
    });
    img.classList.add("wdd-split-source");
    img.after(box);
  }

  function labelTable(table) {
    const heads = Array.from(table.querySelectorAll("thead th")).map(function (th) {
      return th.textContent.trim();
    });
    if (heads.length < 3) return;
    table.querySelectorAll("tbody tr").forEach(function (row) {
      Array.from(row.children).forEach(function (cell, i) {
        if (heads[i]) cell.setAttribute("data-label", heads[i]);
      });
    });
    table.classList.add("wdd-cards");
  }

  function searchWithoutTeX() {
    if (!window.Search || !Search.htmlToText || Search.wddPatched) return;
    const toText = Search.htmlToText;
    Search.htmlToText = function (html, anchor) {
      html = html
        .replace(/<div class="math[^"]*">[\s\S]*?<\/div>/g, " ")
        .replace(/<span class="math[^"]*">[\s\S]*?<\/span>/g, "…");
      return toText.call(this, html, anchor);
    };
    Search.wddPatched = true;
  }

  function setup() {
    searchWithoutTeX();
    setupToggles(".primary-toggle");
    setupToggles(".secondary-toggle");
    document.querySelectorAll("img[data-wdd-panels]").forEach(splitFigure);
    document.querySelectorAll("article table").forEach(labelTable);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
