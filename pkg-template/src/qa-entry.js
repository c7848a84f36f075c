// tailor-qa.js: registers the QA side for the loader (core.js), which
// injects this script only when a preview is asked for.
import { render, verify } from "./qa.js";
import { session } from "./session.js";

window[Symbol.for("tailor.qa")] = { render, verify, session };
