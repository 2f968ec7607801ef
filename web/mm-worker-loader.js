// Starts the model worker from the page's own wasm module (one module serves the page and the
// workers): the page passes the URLs of its wasm-bindgen glue and wasm as ?glue=...&wasm=...
// (same origin only); the module's main() finds no window and serves the worker's requests
// (mm_web::worker::serve). A module worker: started with {type: "module"}.
const q = new URL(self.location.href).searchParams;
const same = (u) => u && new URL(u, self.location.href).origin === self.location.origin;
const glue = q.get('glue');
const wasm = q.get('wasm');
if (!same(glue) || !same(wasm)) throw new Error('pinlab worker: glue and wasm must be same-origin URLs');
const { default: init } = await import(new URL(glue, self.location.href).href);
await init({ module_or_path: new URL(wasm, self.location.href).href });
