// Shared by the console's pages: building DOM nodes (a borrower's words always as text,
// never HTML) and calling the JSON API with the page's CSRF token.
var ConsolePage = (function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').content;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") node.textContent = attrs[key];
      else if (key === "class") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  function api(method, url, body) {
    var options = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (method !== "GET") {
      options.headers["X-CSRFToken"] = csrf;
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body || {});
    }
    return fetch(url, options).then(function (response) {
      if (response.status === 401) { window.location.reload(); }
      return response.json().then(function (data) { return { status: response.status, data: data }; },
                                  function () { return { status: response.status, data: {} }; });
    });
  }

  return { el: el, api: api };
})();
