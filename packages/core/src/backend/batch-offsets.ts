/**
 * Geometry of a batched matmul as tfjs's BatchMatMul defines it: the last two dimensions are the
 * matrices (optionally transposed), leading dimensions broadcast numpy-style.
 */
export interface MatmulPlan {
  outShape: number[];
  m: number;
  n: number;
  k: number;
  /** element offset of each output batch's A and B matrix */
  aOffsets: Int32Array;
  bOffsets: Int32Array;
}

export function planBatchMatmul(aShape: readonly number[], bShape: readonly number[], transA: boolean, transB: boolean): MatmulPlan {
  if (aShape.length < 2 || bShape.length < 2) {
    throw new Error(`BatchMatMul needs rank >= 2, got [${aShape}] and [${bShape}]`);
  }
  const ar = aShape.length;
  const br = bShape.length;
  const m = transA ? aShape[ar - 1]! : aShape[ar - 2]!;
  const ka = transA ? aShape[ar - 2]! : aShape[ar - 1]!;
  const kb = transB ? bShape[br - 1]! : bShape[br - 2]!;
  const n = transB ? bShape[br - 2]! : bShape[br - 1]!;
  if (ka !== kb) {
    throw new Error(`BatchMatMul inner dimensions differ: [${aShape}] x [${bShape}] (transposeA=${transA}, transposeB=${transB})`);
  }
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  // right-align both batch shapes, as broadcasting does
  const pa = [...Array<number>(rank - aBatch.length).fill(1), ...aBatch];
  const pb = [...Array<number>(rank - bBatch.length).fill(1), ...bBatch];
  const outBatch = pa.map((da, i) => {
    const db = pb[i]!;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`BatchMatMul batch dimensions do not broadcast: [${aShape}] x [${bShape}]`);
    }
    return da === 1 ? db : da;
  });
  const total = outBatch.reduce((p, d) => p * d, 1);
  const aOffsets = new Int32Array(total);
  const bOffsets = new Int32Array(total);
  const aMat = m * ka;
  const bMat = ka * n;
  // strides in matrices, 0 along broadcast dimensions
  const aStride = new Array<number>(rank).fill(0);
  const bStride = new Array<number>(rank).fill(0);
  for (let i = rank - 1, sa = 1, sb = 1; i >= 0; i--) {
    aStride[i] = pa[i] === 1 ? 0 : sa;
    bStride[i] = pb[i] === 1 ? 0 : sb;
    sa *= pa[i]!;
    sb *= pb[i]!;
  }
  const idx = new Array<number>(rank).fill(0);
  for (let t = 0; t < total; t++) {
    let oa = 0;
    let ob = 0;
    for (let i = 0; i < rank; i++) {
      oa += idx[i]! * aStride[i]!;
      ob += idx[i]! * bStride[i]!;
    }
    aOffsets[t] = oa * aMat;
    bOffsets[t] = ob * bMat;
    for (let i = rank - 1; i >= 0; i--) {
      idx[i] = idx[i]! + 1;
      if (idx[i]! < outBatch[i]!) break;
      idx[i] = 0;
    }
  }
  return { outShape: [...outBatch, m, n], m, n, k: ka, aOffsets, bOffsets };
}
