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
  /** 'auto' only where `auto` says what it means. */
  default: number | 'auto';
  /**
   * Present when the parameter also accepts 'auto': the value is then chosen from
   * the data when the layer's templates are drawn (engine/kernels/<type>.ts says
   * how, and what it is without data). One line for the help texts. Only for a
   * learnable parameter: the chosen value is kept as the parameter's weight.
   */
  auto?: string;
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

/** A parameter's schema: a number, or 'auto' | a number where the declaration has `auto`. */
type ParamSchema<D> = D extends { auto: string } ? z.ZodDefault<z.ZodUnion<[z.ZodLiteral<'auto'>, z.ZodNumber]>> : z.ZodDefault<z.ZodNumber>;
type ParamShape<P> = { [K in keyof P]: ParamSchema<P[K]> };
type SpecShape<T extends string, P> = { type: z.ZodLiteral<T> } & ParamShape<P> &
  ([LearnableKeys<P>] extends [never] ? unknown : { learnable: typeof learnableSchema });

export interface KernelDeclaration<T extends string = string, P extends Record<string, KernelParamDeclaration> = Record<string, KernelParamDeclaration>>
  extends KernelDeclarationInput<T, P> {
  /** Names of the parameters a run may learn, in declaration order. */
  learnableParams: (LearnableKeys<P> & string)[];
  schema: z.ZodObject<SpecShape<T, P>, z.core.$strict>;
}

function paramSchema(name: string, p: KernelParamDeclaration): z.ZodType {
  // Where 'auto' is allowed, every way of missing both ("abc", -1, null) gets one
  // message naming what the field takes; otherwise zod's own ("expected number").
  const error = p.auto ? `must be "auto" or ${describeRange(p, false)}` : undefined;
  let schema = p.kind === 'integer' ? z.number({ error }).int({ error }) : z.number({ error });
  if (p.min) schema = p.min.exclusive ? schema.gt(p.min.value, { error }) : schema.min(p.min.value, { error });
  if (p.max !== undefined) schema = schema.max(p.max, { error });
  if (!p.auto) return schema.describe(`${name}: ${p.help}`).default(p.default as number);
  return z.union([z.literal('auto'), schema], { error }).describe(`${name}: ${p.help}`).default(p.default);
}

function checkDeclaration(type: string, name: string, p: KernelParamDeclaration): void {
  if (p.auto && !p.learnable) throw new Error(`kernel ${type}: parameter ${name} accepts 'auto' but is not learnable (the chosen value is kept as its weight)`);
  if (p.default === 'auto' && !p.auto) throw new Error(`kernel ${type}: parameter ${name} defaults to 'auto' without saying what auto means`);
}

/** Builds a kernel's zod schema from its declaration: `type`, its parameters, and `learnable` when any may be learned. */
export function defineKernel<const T extends string, const P extends Record<string, KernelParamDeclaration>>(
  input: KernelDeclarationInput<T, P>,
): KernelDeclaration<T, P> {
  const learnableParams = Object.keys(input.params).filter((k) => input.params[k].learnable) as (LearnableKeys<P> & string)[];
  const shape: Record<string, z.ZodType> = { type: z.literal(input.type) };
  for (const [name, p] of Object.entries(input.params)) {
    checkDeclaration(input.type, name, p);
    shape[name] = paramSchema(name, p);
  }
  if (learnableParams.length > 0) shape.learnable = learnableSchema;
  const schema = z.object(shape).strict() as unknown as z.ZodObject<SpecShape<T, P>, z.core.$strict>;
  return { ...input, learnableParams, schema };
}

/** "a number ≥ 0", "a number > 0", "an integer from 1 to 10", "auto or a number > 0": the allowed values in words. */
export function describeRange(p: KernelParamDeclaration, withAuto = true): string {
  const auto = withAuto && p.auto ? 'auto or ' : '';
  if (p.min && !p.min.exclusive && p.max !== undefined) return `${auto}${p.kind === 'integer' ? 'an integer' : 'a number'} from ${p.min.value} to ${p.max}`;
  const lower = p.min ? `${p.min.exclusive ? '>' : '≥'} ${p.min.value}` : '';
  const upper = p.max !== undefined ? `≤ ${p.max}` : '';
  const range = [lower, upper].filter(Boolean).join(' and ');
  return `${auto}${p.kind === 'integer' ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}`;
}
