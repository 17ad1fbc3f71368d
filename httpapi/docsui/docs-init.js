// Starts Swagger UI on /docs with the server's own /openapi.json. A file
// of its own (not an inline script) so that the page's
// Content-Security-Policy needs no 'unsafe-inline' for scripts.
"use strict";
window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  displayRequestDuration: true,
  // No badge from an outside validator: the page talks to this server only.
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
