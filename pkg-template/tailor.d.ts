// Types for `import { start } from "tailor"` and the script tag's `window.tailor`.

/**
 * How a campaign was assigned: by audience, by A/B bucket, the control for
 * crawlers (`bot`) or for visitors without consent to identifiers
 * (`no_consent`), or forced.
 */
export type Via = "audience" | "bucket" | "bot" | "no_consent" | "forced";

/** One campaign the visitor is in, and the variant they get. */
export interface Decision {
  campaign: string;
  variant: string;
  /** The visitor's A/B bucket in [0, 1) (A/B tests only). */
  bucket?: number;
  via: Via;
}

/** `detail` of the `tailor:decision` event dispatched on `window`. */
export interface DecisionEventDetail {
  campaign: string;
  variant: string;
  via: Via;
  /** Present (true) only on a QA preview's page views: leave these out of your numbers. */
  qa?: true;
}

/** What is pushed to `window.dataLayer` for each decision. */
export interface ExposureEvent {
  event: "tailor_exposure";
  campaign: string;
  variant: string;
  /** Present (true) only on a QA preview's page views: leave these out of your numbers. */
  qa?: true;
}

/** Custom attribute values (declared in the rules' `[site] attributes`). */
export type Attributes = Record<string, unknown>;

export interface StartOptions {
  /** URL of tailor.wasm (default: next to tailor.mjs). */
  wasmUrl?: string | URL;
  /** URL of tailor-qa.wasm, the engine for QA previews (default: next to tailor.mjs). */
  qaUrl?: string | URL;
  /** URL of tailor-qa.js, the QA badge and debug panel (default: next to tailor.mjs). */
  qaJsUrl?: string | URL;
  /**
   * Anti-flicker limit in ms since navigation start (default 800): after it,
   * everything hidden is shown, changed or not.
   */
  timeout?: number;
  /** A Cloudflare `/cdn-cgi/trace`-style endpoint (`loc=DE` line) for the country. */
  geo?: string;
  /** Custom attributes for the first decision. */
  attributes?: Attributes;
}

export interface Tailor {
  /** The current page view's decisions (copies). */
  decisions(): Decision[];
  /** Merges custom attributes, decides again and applies the new plan. */
  setAttributes(attributes: Attributes): Decision[];
  /** Decides again for the current URL and applies the new plan. */
  refresh(): Decision[];
  /**
   * The variant id of every campaign (null: none applies) for these
   * attributes (`id` is the visitor id A/B tests hash, `path` the page), at
   * `now` (ms, default: now). Applies nothing: for apps that render
   * variants themselves. Same decision as the page's for the same attributes.
   * Only in a site built with `tailor build --evaluate`; otherwise it throws
   * an Error that says so.
   */
  evaluate(attributes: Attributes, now?: number): Record<string, string | null>;
}

/**
 * Loads the engine, decides for this visitor and applies the plan. Runs once
 * (later calls return the same promise); never rejects: resolves to null when
 * the engine or the rules cannot load (the page is left as it was).
 */
export function start(options?: StartOptions): Promise<Tailor | null>;

declare global {
  interface Window {
    /**
     * Set once tailor has started. (Before the script tag, a plain
     * `{ attributes }` object there gives the first decision custom attributes.)
     */
    tailor?: Tailor;
    dataLayer?: unknown[];
  }
  interface WindowEventMap {
    "tailor:decision": CustomEvent<DecisionEventDetail>;
  }
}
