// /api/docs: the OpenAPI document of the gateway (/api/openapi.json) rendered by Swagger UI,
// bundled here (no CDN; the CSP allows scripts from the portal itself only).
import { SwaggerUIBundle } from 'swagger-ui-dist'
import 'swagger-ui-dist/swagger-ui.css'

SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  // "Try it out" from a logged-in browser: send the session's CSRF token on changes
  requestInterceptor: (req) => {
    const token = sessionStorage.getItem('govops.csrf')
    if (token) req.headers['X-CSRF-Token'] = token
    return req
  },
})
