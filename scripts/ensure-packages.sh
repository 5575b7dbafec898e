#!/usr/bin/env bash
# Installs the Debian packages GovOps needs beyond Python and Node, only those missing:
# docker-compose validates docker-compose.yml offline (there is no Docker engine); fonts-wqy-microhei
# is the CJK TrueType font the PDF reports embed (govkit.pdf); poppler-utils (pdffonts, pdftotext,
# pdftoppm) lets the report tests check and render those PDFs; chromium and chromium-driver are the
# browser the portal's end-to-end tests drive headless through Playwright (tests/e2e/test_portal_browser.py;
# Playwright's own browser download is never used). Used by `make setup` and .ci/run.
set -euo pipefail

missing=()
command -v docker-compose >/dev/null || missing+=(docker-compose)
command -v make >/dev/null || missing+=(make)
command -v curl >/dev/null || missing+=(curl)
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
command -v chromium >/dev/null || missing+=(chromium)
command -v chromedriver >/dev/null || missing+=(chromium-driver)
[ -n "${GOVOPS_CJK_FONT:-}" ] || [ -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
  echo "ensure-packages: please install: ${missing[*]} (apt-get), or set GOVOPS_CJK_FONT to a TrueType CJK font" >&2
  exit 1
fi
echo "ensure-packages: installing ${missing[*]}"
"${SUDO[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
