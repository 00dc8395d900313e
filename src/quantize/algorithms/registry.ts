// Every PTQ algorithm, registered by name (one file each). Importing this module fills the registry.
import './cle.js';
import './gptq.js';
import './adaround.js';
import './bias-correction.js';
import './range-search.js';
import './norm-l2.js';
export {};
