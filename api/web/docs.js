"use strict";
// Swagger UI over this API's schema. A file of its own, not an inline script: the page's
// Content-Security-Policy allows no inline script (api/routes/docs.py).
window.ui = SwaggerUIBundle({
  url: "openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
