// The evidence list's download: one GetAcceptanceEvidence per click, the bytes saved under the
// uploaded name and type; a refusal (e.g. the file removed meanwhile) named above the list.
import { flushPromises, mount } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { beforeEach, describe, expect, it, vi } from 'vitest'

vi.mock('../src/api.js', () => ({ rpc: vi.fn(), saveBase64: vi.fn() }))

const { rpc, saveBase64 } = await import('../src/api.js')
const { i18n } = await import('../src/i18n.js')
const EvidenceList = (await import('../src/modules/outsource/EvidenceList.vue')).default

const FILE = { id: 'ev-1', filename: '初验报告.pdf', content_type: 'application/pdf', size: 193, sha256: 'ab'.repeat(32) }

async function list() {
  const wrapper = mount(EvidenceList, { props: { acceptanceId: 'acc-1', evidence: [FILE] },
    global: { plugins: [ElementPlus, i18n] } })
  await flushPromises() // the table renders its rows after its first layout
  return wrapper
}

describe('EvidenceList download', () => {
  beforeEach(() => {
    vi.clearAllMocks()
    i18n.global.locale.value = 'zh-CN'
  })

  it('asks for the one file and saves its bytes under its name and type', async () => {
    rpc.mockResolvedValue({ evidence: FILE, data: 'JVBERi0xLjQK' })
    const wrapper = await list()
    await wrapper.find('[data-test="evidence-download-ev-1"]').trigger('click')
    await flushPromises()
    expect(rpc).toHaveBeenCalledWith('outsource', 'GetAcceptanceEvidence', { acceptance_id: 'acc-1', evidence_id: 'ev-1' })
    expect(saveBase64).toHaveBeenCalledWith('JVBERi0xLjQK', '初验报告.pdf', 'application/pdf')
    expect(wrapper.find('[data-test="evidence-download-error"]').exists()).toBe(false)
  })

  it('names the file and the reason when the service refuses', async () => {
    rpc.mockRejectedValue(Object.assign(new Error('evidence ev-1 not found'), { code: 'NOT_FOUND' }))
    const wrapper = await list()
    await wrapper.find('[data-test="evidence-download-ev-1"]').trigger('click')
    await flushPromises()
    expect(saveBase64).not.toHaveBeenCalled()
    expect(wrapper.find('[data-test="evidence-download-error"]').text()).toContain('初验报告.pdf：未找到')
  })
})
