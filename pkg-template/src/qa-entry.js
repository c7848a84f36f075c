// tailor-qa.js: registers the QA side for the loader (core.js), which
// injects this script only when a preview is asked for: the preview
// session (session.js), which preview may be trusted, the preview's notes,
// the badge and the debug panel (qa.js).
import { render, verify } from "./qa.js";
import { session } from "./session.js";

// The preview trusted for the rest of the page's life (SPA navigations): the
// one of this page load, if the worker verified it or it is signed for the
// browser.
let trusted = "";
// The preview of the decision being made: read once per decision, in
// `facts`, and shown by `render`.
let current = "";
const noted = new Set(); // the preview notes already logged

window[Symbol.for("tailor.qa")] = {
  /** Before the first decision: starts (or ends) the preview session and
   * checks the preview. `workerVerified`: the page's `#tailor-state` says
   * the worker verified it; else a link signed for the browser (Ed25519,
   * checked against the public key built into the wasm `module`) counts. */
  async start(module, workerVerified) {
    const asked = session();
    if (workerVerified) trusted = asked;
    const pk = WebAssembly.Module.customSections(module, "tailor.preview_key")[0];
    if (!trusted && pk) trusted = await verify(asked, pk);
  },
  /** The facts' preview (a canonical query string, "" for none) for the current URL. */
  facts() {
    current = session();
    return { preview: current, previewTrusted: !!current && current === trusted };
  },
  /** After each decision `r`: logs new notes, shows the badge and panel (`own`: see qa.js). */
  render(r, own) {
    for (const n of r.preview?.notes || []) if (!noted.has(n)) noted.add(n), console.info("tailor: " + n);
    render(r, current, own);
  },
};
