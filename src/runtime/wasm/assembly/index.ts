// The kernels module's entry: every file here exports the functions of one kernel family. Pointers are byte
// offsets into the interpreter's memory (imported as env.memory); the TypeScript side lays everything out.
// Plain SIMD128 only: no relaxed SIMD, so results are the same in every engine and no flags are needed.

export * from './elementwise';
export * from './lstm-f32';
export * from './lstm-i8';
export * from './gemm-i16';
export * from './depthwise-i16';
export * from './depthwise-f32';
export * from './binary';
export * from './unary-f32';
export * from './quantize';
export * from './gemm-f32';
export * from './gemm-hybrid';
export * from './pad';
export * from './reduce-q8';
export * from './softmax-q8';
export * from './softmax-f32';
export * from './winograd-f32';
