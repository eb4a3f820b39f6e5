// The declarative half of a kernel: its config fields with defaults and ranges,
// which of them a run may learn, its label, and how the form and the CLI show it.
// Everything here is pure data + zod, so the renderer and the CLI read the same
// declaration the engine validates against. The computation (the op, the
// reparametrisation of learnable parameters, the initialisation) lives in
// engine/kernels/<type>.ts, keyed by the same type.
import { z } from 'zod';

export interface KernelParamDeclaration {
  kind: 'number' | 'integer';
  /** In labels: "gaussian(γ=0.5)". */
  symbol: string;
  /** In the New Run form. */
  label: string;
  /** One line for `kerv train --help` and the form's hint. */
  help: string;
  default: number;
  /** Lower bound; `exclusive` for a strict one (γ > 0). */
  min?: { value: number; exclusive?: boolean };
  max?: number;
  /**
   * Whether a run may train this parameter (model.kernel.learnable). Only where
   * every value the optimiser can reach is meaningful: an integer degree is not.
   */
  learnable: boolean;
}

export interface KernelDeclarationInput<T extends string, P extends Record<string, KernelParamDeclaration>> {
  type: T;
  /** The response k(p, w) of a patch p and a filter w, for help texts and docs. */
  formula: string;
  params: P;
}

type LearnableKeys<P> = { [K in keyof P]: P[K] extends { learnable: true } ? K : never }[keyof P];

/**
 * model.kernel.learnable: whether the kernel's learnable parameters are trained
 * weights, and in which form: false (fixed at their config values), 'scalar' (one
 * value for the layer) or 'channel' (one value per output channel).
 */
export const LEARNABLE_MODES = [false, 'scalar', 'channel'] as const;
export type LearnableMode = (typeof LEARNABLE_MODES)[number];

/** Configs written before the modes existed say `learnable: true`, which always meant one value per channel. */
const legacyLearnable = (value: unknown) => (value === true ? 'channel' : value);

export const learnableSchema = z
  .preprocess(legacyLearnable, z.union([z.literal(false), z.literal('scalar'), z.literal('channel')], { error: 'must be false, "scalar" or "channel"' }))
  .default(false);

type ParamShape<P> = { [K in keyof P]: z.ZodDefault<z.ZodNumber> };
type SpecShape<T extends string, P> = { type: z.ZodLiteral<T> } & ParamShape<P> &
  ([LearnableKeys<P>] extends [never] ? unknown : { learnable: typeof learnableSchema });

export interface KernelDeclaration<T extends string = string, P extends Record<string, KernelParamDeclaration> = Record<string, KernelParamDeclaration>>
  extends KernelDeclarationInput<T, P> {
  /** Names of the parameters a run may learn, in declaration order. */
  learnableParams: (LearnableKeys<P> & string)[];
  schema: z.ZodObject<SpecShape<T, P>, z.core.$strict>;
}

function paramSchema(name: string, p: KernelParamDeclaration): z.ZodDefault<z.ZodNumber> {
  let schema = p.kind === 'integer' ? z.number().int() : z.number();
  if (p.min) schema = p.min.exclusive ? schema.gt(p.min.value) : schema.min(p.min.value);
  if (p.max !== undefined) schema = schema.max(p.max);
  return schema.describe(`${name}: ${p.help}`).default(p.default);
}

/** Builds a kernel's zod schema from its declaration: `type`, its parameters, and `learnable` when any may be learned. */
export function defineKernel<const T extends string, const P extends Record<string, KernelParamDeclaration>>(
  input: KernelDeclarationInput<T, P>,
): KernelDeclaration<T, P> {
  const learnableParams = Object.keys(input.params).filter((k) => input.params[k].learnable) as (LearnableKeys<P> & string)[];
  const shape: Record<string, z.ZodType> = { type: z.literal(input.type) };
  for (const [name, p] of Object.entries(input.params)) shape[name] = paramSchema(name, p);
  if (learnableParams.length > 0) shape.learnable = learnableSchema;
  const schema = z.object(shape).strict() as unknown as z.ZodObject<SpecShape<T, P>, z.core.$strict>;
  return { ...input, learnableParams, schema };
}

/** "a number ≥ 0", "a number > 0", "an integer from 1 to 10": the allowed range in words. */
export function describeRange(p: KernelParamDeclaration): string {
  if (p.min && !p.min.exclusive && p.max !== undefined) return `${p.kind === 'integer' ? 'an integer' : 'a number'} from ${p.min.value} to ${p.max}`;
  const lower = p.min ? `${p.min.exclusive ? '>' : '≥'} ${p.min.value}` : '';
  const upper = p.max !== undefined ? `≤ ${p.max}` : '';
  const range = [lower, upper].filter(Boolean).join(' and ');
  return `${p.kind === 'integer' ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}`;
}
