// PAD / PADV2 for any element type: the output is a sequence of runs copied from the input (each contiguous in
// both) with fill in between. The runs are listed at prepare (src/runtime/kernels/pad.ts); here, per run, the gap
// before it is filled and the run copied, so every output byte is written once.
//
// Descriptor (i32 words, byte offsets):
const PD_RUNS: usize = 0; // number of runs
const PD_RUN_BYTES: usize = 4; // bytes per run
const PD_TOTAL: usize = 8; // output bytes
const PD_TABLE: usize = 12; // per run: i32 input byte offset, i32 output byte offset (increasing)
const PD_PATTERN: usize = 16; // 16 bytes: the fill value repeated (element size divides 16)

/** Fill [at, end) with the pattern at d + PD_PATTERN; at is element-aligned, so the pattern's phase is right. */
// @ts-ignore: decorator
@inline
function fillGap(d: usize, at: usize, end: usize): void {
  const pattern = v128.load(d + PD_PATTERN);
  for (; at + 16 <= end; at += 16) v128.store(at, pattern);
  for (let i: usize = 0; at < end; at++, i++) store<u8>(at, load<u8>(d + PD_PATTERN + i));
}

/** The padding described at d, from the tensor at `input` into the one at `output` (byte offsets). */
export function padRuns(d: usize, input: usize, output: usize): void {
  const runs = load<i32>(d + PD_RUNS);
  const runBytes = <usize>load<i32>(d + PD_RUN_BYTES);
  let table = load<usize>(d + PD_TABLE);
  let done = output;
  for (let r = 0; r < runs; r++, table += 8) {
    const src = input + <usize>load<i32>(table);
    const dst = output + <usize>load<i32>(table, 4);
    fillGap(d, done, dst);
    if (runBytes >= 64) {
      memory.copy(dst, src, runBytes);
    } else {
      let i: usize = 0;
      for (; i + 16 <= runBytes; i += 16) v128.store(dst + i, v128.load(src + i));
      for (; i < runBytes; i++) store<u8>(dst + i, load<u8>(src + i));
    }
    done = dst + runBytes;
  }
  fillGap(d, done, output + <usize>load<i32>(d + PD_TOTAL));
}
