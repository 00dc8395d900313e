// The kernel registry: every op the interpreter can run, one Kernel per builtin op name.
// Add a kernel by importing it and listing it in KERNELS (one line per op).

import type { Kernel } from '../kernel.js';
import { conv2dKernel } from './conv2d.js';
import { depthwiseConv2dKernel } from './depthwise-conv2d.js';
import { fullyConnectedKernel } from './fully-connected.js';
import { averagePool2dKernel, maxPool2dKernel } from './pooling.js';
import { dequantizeKernel, quantizeKernel } from './quantize.js';
import { unidirectionalSequenceLstmKernel } from './lstm.js';
import { lstmKernel } from './lstm-op.js';
import { transposeConvKernel } from './transpose-conv.js';
import { batchMatMulKernel } from './batch-matmul.js';
import { svdfKernel } from './svdf.js';
import { densifyKernel } from './densify.js';

// Element-wise, activation, reduction and data-movement kernels (issue 3 part B).
import { reluKernel, relu6Kernel, reluN1To1Kernel, relu0To1Kernel, leakyReluKernel, hardSwishKernel, logisticKernel, tanhKernel, eluKernel, geluKernel } from './activations.js';
import { argMaxKernel, argMinKernel } from './arg-max.js';
import { addKernel, subKernel, mulKernel, divKernel, maximumKernel, minimumKernel, squaredDifferenceKernel } from './binary.js';
import { castKernel, shapeKernel } from './cast.js';
import { equalKernel, notEqualKernel, lessKernel, lessEqualKernel, greaterKernel, greaterEqualKernel } from './compare.js';
import { concatenationKernel } from './concatenation.js';
import { gatherKernel } from './gather.js';
import { l2NormalizationKernel } from './l2-normalization.js';
import { packKernel, unpackKernel } from './pack.js';
import { padKernel, padV2Kernel } from './pad.js';
import { preluKernel } from './prelu.js';
import { meanKernel, sumKernel, reduceMaxKernel, reduceMinKernel, reduceProdKernel } from './reduce.js';
import { reshapeKernel, squeezeKernel, expandDimsKernel } from './reshape.js';
import { resizeBilinearKernel, resizeNearestNeighborKernel } from './resize.js';
import { sliceKernel, stridedSliceKernel } from './slice.js';
import { softmaxKernel, logSoftmaxKernel } from './softmax.js';
import { splitKernel, splitVKernel } from './split.js';
import { tileKernel, broadcastToKernel } from './tile.js';
import { reverseV2Kernel } from './reverse.js';
import { transposeKernel } from './transpose.js';
// Ops TF graphs bring (the GraphDef importer's builtins).
import { oneHotKernel } from './one-hot.js';
import { mirrorPadKernel } from './mirror-pad.js';
import { depthToSpaceKernel, spaceToDepthKernel, spaceToBatchNdKernel, batchToSpaceNdKernel } from './space-depth.js';
import { fillKernel, zerosLikeKernel } from './fill.js';
import { rangeKernel } from './range.js';
import { floorDivKernel, floorModKernel, powKernel } from './floor-pow.js';
import { selectKernel, selectV2Kernel } from './select.js';
import { logicalAndKernel, logicalOrKernel, logicalNotKernel } from './logical.js';
import { addNKernel } from './add-n.js';
import { gatherNdKernel } from './gather-nd.js';
// Control flow and resource variables (multi-subgraph models).
import { whileKernel } from './while.js';
import { ifKernel } from './if.js';
import { callKernel } from './call.js';
import { callOnceKernel } from './call-once.js';
import { varHandleKernel } from './var-handle.js';
import { readVariableKernel } from './read-variable.js';
import { assignVariableKernel } from './assign-variable.js';
// Second batch of builtins (detection, normalization, sequence and segment ops).
import { nonMaxSuppressionV4Kernel, nonMaxSuppressionV5Kernel } from './non-max-suppression.js';
import { reverseSequenceKernel } from './reverse-sequence.js';
import { segmentSumKernel, unsortedSegmentSumKernel, unsortedSegmentProdKernel, unsortedSegmentMaxKernel, unsortedSegmentMinKernel } from './segment.js';
import { rnnKernel, unidirectionalSequenceRnnKernel } from './rnn.js';
import { rankKernel } from './rank.js';
import { bidirectionalSequenceLstmKernel, bidirectionalSequenceRnnKernel } from './bidirectional.js';
import { reduceAnyKernel, reduceAllKernel } from './reduce-bool.js';
import { sparseToDenseKernel } from './sparse-to-dense.js';
import { uniqueKernel } from './unique.js';
import { whereKernel } from './where.js';
import { complexAbsKernel, imagKernel, rfft2dKernel, realKernel } from './rfft2d.js';
import { randomUniformKernel, randomStandardNormalKernel } from './random.js';
import { expKernel, logKernel, sqrtKernel, rsqrtKernel, absKernel, negKernel, squareKernel, floorKernel, ceilKernel, roundKernel, sinKernel, cosKernel } from './unary.js';
// The rest of the builtins the official runtime registers (A-M share).
import { signKernel } from './sign.js';
import { atan2Kernel } from './atan2.js';
import { broadcastArgsKernel } from './broadcast-args.js';
import { cumsumKernel } from './cumsum.js';
import { embeddingLookupKernel } from './embedding-lookup.js';
import { hashtableLookupKernel } from './hashtable-lookup.js';
import { scatterNdKernel } from './scatter-nd.js';
import { topkV2Kernel } from './topk-v2.js';
import { dynamicUpdateSliceKernel } from './dynamic-update-slice.js';
import { matrixDiagKernel, matrixSetDiagKernel } from './matrix-diag.js';
import { l2Pool2dKernel } from './l2-pool.js';
import { localResponseNormalizationKernel } from './local-response-normalization.js';
import { fakeQuantKernel } from './fake-quant.js';
import { bucketizeKernel } from './bucketize.js';
import { conv3dKernel } from './conv-3d.js';
import { conv3dTransposeKernel } from './conv-3d-transpose.js';

export const KERNELS: readonly Kernel<any>[] = [
  // issue 3 part B
  reluKernel, relu6Kernel, reluN1To1Kernel, relu0To1Kernel, leakyReluKernel, hardSwishKernel, logisticKernel, tanhKernel, eluKernel, geluKernel,
  argMaxKernel, argMinKernel,
  addKernel, subKernel, mulKernel, divKernel, maximumKernel, minimumKernel, squaredDifferenceKernel,
  castKernel, shapeKernel,
  equalKernel, notEqualKernel, lessKernel, lessEqualKernel, greaterKernel, greaterEqualKernel, selectV2Kernel,
  concatenationKernel, gatherKernel, l2NormalizationKernel, packKernel, unpackKernel, padKernel, padV2Kernel, preluKernel,
  meanKernel, sumKernel, reduceMaxKernel, reduceMinKernel, reduceProdKernel,
  reshapeKernel, squeezeKernel, expandDimsKernel, resizeBilinearKernel, resizeNearestNeighborKernel,
  sliceKernel, stridedSliceKernel, softmaxKernel, logSoftmaxKernel, splitKernel, splitVKernel,
  tileKernel, broadcastToKernel, transposeKernel, reverseV2Kernel,
  expKernel, logKernel, sqrtKernel, rsqrtKernel, absKernel, negKernel, squareKernel, floorKernel, ceilKernel, roundKernel, sinKernel, cosKernel,
  oneHotKernel, mirrorPadKernel, depthToSpaceKernel, spaceToDepthKernel, spaceToBatchNdKernel, batchToSpaceNdKernel,
  fillKernel, zerosLikeKernel, rangeKernel, floorDivKernel, floorModKernel, powKernel, selectKernel,
  logicalAndKernel, logicalOrKernel, logicalNotKernel, addNKernel, gatherNdKernel,
  nonMaxSuppressionV4Kernel, nonMaxSuppressionV5Kernel, reverseSequenceKernel,
  segmentSumKernel, unsortedSegmentSumKernel, unsortedSegmentProdKernel, unsortedSegmentMaxKernel, unsortedSegmentMinKernel,
  rnnKernel, unidirectionalSequenceRnnKernel, bidirectionalSequenceLstmKernel, bidirectionalSequenceRnnKernel, rankKernel, reduceAnyKernel, reduceAllKernel, sparseToDenseKernel, uniqueKernel, rfft2dKernel, realKernel, imagKernel, complexAbsKernel, randomUniformKernel, randomStandardNormalKernel,
  conv2dKernel,
  depthwiseConv2dKernel,
  fullyConnectedKernel,
  averagePool2dKernel,
  maxPool2dKernel,
  quantizeKernel,
  dequantizeKernel,
  unidirectionalSequenceLstmKernel,
  lstmKernel,
  transposeConvKernel,
  batchMatMulKernel,
  svdfKernel,
  densifyKernel,
  whileKernel, ifKernel, callKernel, callOnceKernel, varHandleKernel, readVariableKernel, assignVariableKernel,
  signKernel, atan2Kernel, broadcastArgsKernel, cumsumKernel, embeddingLookupKernel, hashtableLookupKernel, scatterNdKernel,
  topkV2Kernel, dynamicUpdateSliceKernel, matrixDiagKernel, matrixSetDiagKernel,
  l2Pool2dKernel, localResponseNormalizationKernel, fakeQuantKernel, bucketizeKernel, conv3dKernel, conv3dTransposeKernel,
  whereKernel,
];

export const KERNEL_REGISTRY: ReadonlyMap<string, Kernel<unknown>> = (() => {
  const m = new Map<string, Kernel<unknown>>();
  for (const k of KERNELS) {
    if (m.has(k.op)) throw new Error(`kernel registry: ${k.op} registered twice`);
    m.set(k.op, k);
  }
  return m;
})();
