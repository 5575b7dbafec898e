import { createRouter, createWebHistory } from 'vue-router'
import { whenUnauthenticated } from './api.js'
import { auth, can, loadSession } from './store.js'
import { menuGroups } from './menu.js'

// Each area of the app (src/modules/<area>/routes.js) exports its routes as `export default [...]`.
// A route with `meta.menu = { group, label, order, permission }` appears in the main menu under its
// group (see menu.js) for users who hold the permission (a string, or a list of which any will do).
const moduleRoutes = Object.values(import.meta.glob('./modules/*/routes.js', { eager: true, import: 'default' })).flat()

const routes = [
  // The front door: staff who work tickets land on their queue, everyone else on the catalogue (see beforeEach).
  { path: '/', component: () => import('./views/CatalogueView.vue') },
  { path: '/login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
  {
    path: '/catalogue', component: () => import('./views/CatalogueView.vue'),
    meta: { menu: { group: 'service', label: 'app.catalogue', order: 10, permission: 'ticket.create' } },
  },
  { path: '/catalogue/:itemId/submit', component: () => import('./views/SubmitView.vue'), props: true },
  {
    path: '/tickets', component: () => import('./views/TicketsView.vue'),
    meta: { menu: { group: 'service', label: 'app.myTickets', order: 20, permission: 'ticket.read' } },
  },
  { path: '/tickets/:id', component: () => import('./views/TicketView.vue'), props: true },
  ...moduleRoutes,
  { path: '/:rest(.*)*', redirect: '/catalogue' },
]

export const router = createRouter({ history: createWebHistory(), routes })

export const menu = () => menuGroups(router.getRoutes())

router.beforeEach(async (to) => {
  if (!auth.checked) await loadSession()
  if (!to.meta.public && !auth.user) return { path: '/login', query: { next: to.fullPath } }
  if (to.path === '/') return { path: can('ticket.work') ? '/ops/queue' : '/catalogue', replace: true }
  return true
})

whenUnauthenticated(() => {
  auth.user = null
  if (router.currentRoute.value.path !== '/login') {
    router.push({ path: '/login', query: { next: router.currentRoute.value.fullPath } })
  }
})
