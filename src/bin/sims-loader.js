// Loads the simulations module (built by Trunk from src/bin/sims.rs) when the book first needs it.
import init from './sims.js';

await init({ module_or_path: new URL('./sims_bg.wasm', import.meta.url) });
