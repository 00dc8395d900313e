// Every PTQ algorithm, registered by name (one file each). Importing this module fills the registry.
import './gptq.js';
import './adaround.js';
export {};
import './cle.js';
import './bias-correction.js';
