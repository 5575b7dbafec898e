// /api/docs: the OpenAPI documents of the gateway rendered by Swagger UI, bundled here (no CDN; the
// CSP allows scripts from the portal itself only). One document per service (the selector at the
// top; /api/openapi.json?service=<full name>), the service request window's TicketService first;
// /api/openapi.json without a service is the whole API in one document.
import { SwaggerUIBundle, SwaggerUIStandalonePreset } from 'swagger-ui-dist'
import 'swagger-ui-dist/swagger-ui.css'

const SERVICES = [
  'govops.ticket.v1.TicketService', 'govops.org.v1.IdentityService', 'govops.org.v1.OrgService',
  'govops.evaluation.v1.EvaluationService', 'govops.budget.v1.BudgetService', 'govops.outsource.v1.OutsourceService',
]

SwaggerUIBundle({
  urls: SERVICES.map((name) => ({ name, url: `/api/openapi.json?service=${name}` })),
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
  // "Try it out" from a logged-in browser: send the session's CSRF token on changes
  requestInterceptor: (req) => {
    const token = sessionStorage.getItem('govops.csrf')
    if (token) req.headers['X-CSRF-Token'] = token
    return req
  },
})
