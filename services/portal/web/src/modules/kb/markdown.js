// Article bodies are Markdown: rendered by markdown-it with raw HTML off, then sanitised by
// DOMPurify anyway (a body is written by staff but read by everyone, and a link may say
// javascript:), so the result is safe to bind with v-html.
import DOMPurify from 'dompurify'
import MarkdownIt from 'markdown-it'

const md = new MarkdownIt({ html: false, linkify: true, breaks: true })

export function renderMarkdown(text) {
  const html = DOMPurify.sanitize(md.render(text || ''), { USE_PROFILES: { html: true } })
  // Links leave the portal in a new tab without handing it the opener.
  return html.replace(/<a href=/g, '<a target="_blank" rel="noopener noreferrer" href=')
}
