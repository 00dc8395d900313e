// Every PTQ algorithm, registered by name (one file each). Importing this module fills the registry.
export {};
import './cle.js';
import './bias-correction.js';
