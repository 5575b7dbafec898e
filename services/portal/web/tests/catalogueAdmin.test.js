// The catalogue item form when org's lists cannot be read (the caller lacks org.read): the support
// group and position are typed as before, with a note, and the stored ids are kept.
import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { beforeEach, describe, expect, it, vi } from 'vitest'

vi.mock('../src/api.js', () => ({ rpc: vi.fn() }))

const { rpc } = await import('../src/api.js')
const { i18n } = await import('../src/i18n.js')
const CatalogueAdminView = (await import('../src/modules/process/CatalogueAdminView.vue')).default

const ITEM = { id: 'net.down', parent_id: '', name: '网络中断', category: 'infrastructure',
  kind: 'CATALOGUE_ITEM_KIND_ITEM', ticket_type: 'incident', impact: 'medium', urgency: 'medium',
  sla_policy_id: '', group_id: 'g-net', position_id: 'p-noc', description: '', active: true, sort: 1,
  version: 1, form_schema: {} }

describe('catalogue item pickers without org.read', () => {
  beforeEach(() => {
    vi.clearAllMocks()
    i18n.global.locale.value = 'zh-CN'
  })

  it('falls back to typing the ids, with a note, and keeps the stored ones', async () => {
    const denied = Object.assign(new Error('org.read required'), { code: 'PERMISSION_DENIED' })
    rpc.mockImplementation(async (service, method) => {
      if (service === 'org') throw denied
      return method === 'ListCatalogue' ? { items: [ITEM] } : { policies: [] }
    })
    const wrapper = mount(CatalogueAdminView, { global: { plugins: [ElementPlus, i18n] }, attachTo: document.body })
    await flushPromises()
    expect(rpc).toHaveBeenCalledWith('org', 'ListSupportGroups', { page: { page_size: 1000, page_token: '' } })
    await wrapper.find('[data-node="net.down"]').trigger('click')
    await flushPromises()
    expect(wrapper.find('input#cat-group').element.value).toBe('g-net')
    expect(wrapper.find('input#cat-position').element.value).toBe('p-noc')
    expect(wrapper.findAll('.el-select input#cat-group')).toHaveLength(0)
    expect(wrapper.text()).toContain('无法读取组织机构列表（可能没有查看权限），请直接填写编号。')
    wrapper.unmount()
  })
})
