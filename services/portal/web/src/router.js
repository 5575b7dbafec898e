import { createRouter, createWebHistory } from 'vue-router'
import { whenUnauthenticated } from './api.js'
import { auth, loadSession } from './store.js'

const routes = [
  { path: '/', redirect: '/catalogue' },
  { path: '/login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
  { path: '/catalogue', component: () => import('./views/CatalogueView.vue') },
  { path: '/catalogue/:itemId/submit', component: () => import('./views/SubmitView.vue'), props: true },
  { path: '/tickets', component: () => import('./views/TicketsView.vue') },
  { path: '/tickets/:id', component: () => import('./views/TicketView.vue'), props: true },
  { path: '/:rest(.*)*', redirect: '/catalogue' },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach(async (to) => {
  if (!auth.checked) await loadSession()
  if (!to.meta.public && !auth.user) return { path: '/login', query: { next: to.fullPath } }
  return true
})

whenUnauthenticated(() => {
  auth.user = null
  if (router.currentRoute.value.path !== '/login') {
    router.push({ path: '/login', query: { next: router.currentRoute.value.fullPath } })
  }
})
