// Baseline for the rewriter benchmark: proxies ORIGIN like the tailor worker
// does (same URL mapping, redirect: manual) and returns the response as is.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const target = new URL(url.pathname + url.search, env.ORIGIN);
    return fetch(new Request(target, request), { redirect: "manual" });
  },
};
