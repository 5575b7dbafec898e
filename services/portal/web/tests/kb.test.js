import { describe, expect, it } from 'vitest'
import { renderMarkdown } from '../src/modules/kb/markdown.js'
import { staleVersion } from '../src/modules/kb/stale.js'

describe('knowledge base', () => {
  it('renders Markdown and strips scripts, raw HTML and javascript: links', () => {
    // (happy-dom's parser unwraps the very first element; a browser does not, see test_portal_kb.py)
    const html = renderMarkdown('处理办法：\n\n# 打印机\n\n- 检查**网络**\n\n<script>alert(1)</script><img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))')
    expect(html).toContain('<h1>打印机</h1>')
    expect(html).toContain('<strong>网络</strong>')
    expect(html).not.toMatch(/<script|<img|href="javascript:/) // raw HTML stays text, the link is not made
    expect(html).toContain('&lt;script&gt;')
  })

  it('opens links in a new tab without the opener', () => {
    expect(renderMarkdown('[手册](https://example.org/a)')).toContain('target="_blank" rel="noopener noreferrer" href="https://example.org/a"')
  })

  it('recognises a stale save by the expected_version violation and reads the current version', () => {
    const err = { code: 'FAILED_PRECONDITION', violations: [{ field: 'expected_version', description: 'is 1 but the current version is 2' }] }
    expect(staleVersion(err)).toEqual({ current: 2 })
    expect(staleVersion({ code: 'FAILED_PRECONDITION', violations: [] })).toBeNull()
    expect(staleVersion({ code: 'INVALID_ARGUMENT', violations: err.violations })).toBeNull()
  })
})
