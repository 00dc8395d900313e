// Every image op is mapped for NHWC (TFLite's layout). NCHW graphs (exported for GPUs) are refused in one error
// listing the nodes, rather than converted into wrong results.

import { UnsupportedError } from '../../../errors.js';
import { attrString } from '../proto/index.js';
import type { NormalizePass } from './index.js';

export const rejectNchw: NormalizePass = {
  name: 'reject-nchw',
  run(g) {
    const bad: string[] = [];
    for (const n of g.nodes.values()) {
      const f = attrString(n.attr.data_format);
      if (f !== undefined && f !== 'NHWC' && f !== 'NDHWC') bad.push(`'${n.name}' (${n.op}, ${f})`);
    }
    if (bad.length) {
      throw new UnsupportedError(`${g.label}: ${bad.length} node${bad.length > 1 ? 's use' : ' uses'} a channels-first data_format (only NHWC converts): ${bad.slice(0, 8).join(', ')}${bad.length > 8 ? ', ...' : ''}`);
    }
  },
};
