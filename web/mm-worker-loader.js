// Starts the model worker: the wasm-bindgen glue (no-modules target) and its wasm, by URL
// relative to this file. See index.html.
importScripts("./mm-worker.js");
wasm_bindgen({ module_or_path: "./mm-worker_bg.wasm" });
