import { RhoError } from '../errors.ts';

/** Adds special tokens around one encoded sequence (`single` template). */
export type PostProcessor = (ids: number[]) => number[];
type Spec = { type: string; [k: string]: unknown };

type TemplatePiece = { SpecialToken: { id: string } } | { Sequence: { id: string } };

export function buildPostProcessor(spec: Spec | null | undefined): PostProcessor {
  if (spec == null) return (ids) => ids;
  switch (spec.type) {
    case 'TemplateProcessing': {
      const specials = (spec.special_tokens ?? {}) as Record<string, { ids: number[] }>;
      const template = spec.single as TemplatePiece[];
      const resolved = template.map((p) => {
        if ('Sequence' in p) return 'seq' as const;
        const s = specials[p.SpecialToken.id];
        if (!s) throw new RhoError('BAD_INPUT', `template names special token ${p.SpecialToken.id} missing from special_tokens`, { field: 'post_processor' });
        return s.ids;
      });
      return (ids) => resolved.flatMap((r) => (r === 'seq' ? ids : r));
    }
    case 'BertProcessing':
    case 'RobertaProcessing': {
      const cls = (spec.cls as [string, number])[1];
      const sep = (spec.sep as [string, number])[1];
      return (ids) => [cls, ...ids, sep];
    }
    case 'ByteLevel':
      return (ids) => ids; // only adjusts offsets, which we do not track
    case 'Sequence': {
      const parts = (spec.processors as Spec[]).map(buildPostProcessor);
      return (ids) => parts.reduce((acc, f) => f(acc), ids);
    }
    default:
      throw new RhoError('UNSUPPORTED', `Unknown post-processor type: ${spec.type}`, { field: 'post_processor' });
  }
}
