// The kernel registry: every kernel the workbench knows, one declaration each
// (shared/kernels/<type>.ts). The run-config schema, the New Run form, the CLI
// flags, labels and export columns are all derived from this list; the engine
// keys its implementations (engine/kernels/registry.ts) by the same types and
// fails to compile when one is missing. Adding a kernel: its declaration here,
// its implementation there, one registration line in each.
import { z } from 'zod';
import { cosine } from './cosine';
import { describeRange, type KernelDeclaration, type KernelParamDeclaration } from './define';
import { euclidean } from './euclidean';
import { gaussian } from './gaussian';
import { laplacian } from './laplacian';
import { linear } from './linear';
import { manhattan } from './manhattan';
import { polynomial } from './polynomial';
import { sigmoid } from './sigmoid';

export const KERNELS = [linear, polynomial, gaussian, sigmoid, manhattan, euclidean, cosine, laplacian] as const;

export type KernelType = (typeof KERNELS)[number]['type'];
export const KERNEL_TYPES = KERNELS.map((k) => k.type) as [KernelType, ...KernelType[]];

type SchemaOf<K> = K extends { schema: infer S } ? S : never;
/** The kernels' schemas as a tuple type (a mapped type keeps tuples only over a type parameter). */
type SchemasOf<T extends readonly unknown[]> = { -readonly [I in keyof T]: SchemaOf<T[I]> };
type KernelSchemas = SchemasOf<typeof KERNELS>;

/**
 * A kernel spec in a run config. Parameters are numbers here; the engine also
 * accepts tensors (scalar or one per output channel) at the functional-op level.
 * `learnable` makes the kernel's learnable parameters trained weights.
 */
export const kernelSpecSchema = z.discriminatedUnion('type', KERNELS.map((k) => k.schema) as unknown as KernelSchemas);
export type KernelSpec = z.infer<typeof kernelSpecSchema>;
export type KernelSpecInput = z.input<typeof kernelSpecSchema>;
/** The spec of one kernel type. */
export type KernelSpecOf<T extends KernelType> = Extract<KernelSpec, { type: T }>;
/** The declaration of one kernel type, with its parameters' literal names. */
export type KernelDeclarationOf<T extends KernelType> = Extract<(typeof KERNELS)[number], { type: T }>;
/** Names of the parameters kernel T may learn. */
export type LearnableParamOf<T extends KernelType> = KernelDeclarationOf<T>['learnableParams'][number];
/** Names of all parameters of kernel T. */
export type ParamOf<T extends KernelType> = keyof KernelDeclarationOf<T>['params'] & string;

const BY_TYPE = new Map<string, KernelDeclaration>(KERNELS.map((k) => [k.type, k as unknown as KernelDeclaration]));

export function isKernelType(type: unknown): type is KernelType {
  return typeof type === 'string' && BY_TYPE.has(type);
}

/** The declaration of a kernel type; throws naming the known types otherwise. */
export function kernelDeclaration(type: string): KernelDeclaration {
  const found = BY_TYPE.get(type);
  if (!found) throw new Error(`kernel.type must be one of ${KERNEL_TYPES.join(', ')}, got ${JSON.stringify(type)}`);
  return found;
}

/** A spec of this type with every parameter at its default. */
export function defaultKernelSpec(type: KernelType): KernelSpec {
  return kernelSpecSchema.parse({ type });
}

/**
 * A short, readable kernel name for tables: "polynomial(c=1, d=3)",
 * "gaussian(γ=0.5, γ learned per channel)", "gaussian(γ=auto)". An 'auto' value
 * stays "auto" here, not the value chosen (which differs per layer and per seed,
 * and would split a seed group): the chosen values are the kernel/<layer>/<param> columns.
 */
export function kernelLabel(kernel: unknown): string {
  if (!kernel || typeof kernel !== 'object' || typeof (kernel as { type?: unknown }).type !== 'string') return 'unknown';
  const spec = kernel as Record<string, unknown> & { type: string };
  const declaration = BY_TYPE.get(spec.type);
  const parts = Object.entries(declaration?.params ?? {})
    .filter(([field]) => typeof spec[field] === 'number' || spec[field] === 'auto')
    .map(([field, p]) => `${p.symbol}=${spec[field]}`);
  const learned = (declaration?.learnableParams ?? []).map((name) => declaration!.params[name].symbol).join(', ');
  if (learned && (spec.learnable === 'channel' || spec.learnable === true)) parts.push(`${learned} learned per channel`);
  if (learned && spec.learnable === 'scalar') parts.push(`${learned} learned`);
  return parts.length > 0 ? `${spec.type}(${parts.join(', ')})` : spec.type;
}

/**
 * One entry per parameter name across all kernels (polynomial's and sigmoid's
 * `c` are one form field and one CLI flag), in registry order: what the form
 * and `kerv train` offer.
 */
export interface KernelParamField {
  /** Field of model.kernel. */
  name: string;
  /** The config path, model.kernel.<name>. */
  path: string;
  /** The CLI flag, --kernel-<name>. */
  flag: string;
  label: string;
  kind: KernelParamDeclaration['kind'];
  /** Whether some kernel's parameter of this name also takes 'auto' (chosen from the data). */
  auto: boolean;
  /** Kernel types that have this parameter, with its declaration in each. */
  kernels: { type: KernelType; param: KernelParamDeclaration }[];
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

export function kernelParamFields(): KernelParamField[] {
  const fields = new Map<string, KernelParamField>();
  for (const kernel of KERNELS) {
    for (const [name, param] of Object.entries(kernel.params as Record<string, KernelParamDeclaration>)) {
      let field = fields.get(name);
      if (!field) {
        field = { name, path: `model.kernel.${name}`, flag: `kernel-${kebab(name)}`, label: param.label, kind: param.kind, auto: false, kernels: [] };
        fields.set(name, field);
      }
      field.auto ||= Boolean(param.auto);
      field.kernels.push({ type: kernel.type, param });
    }
  }
  return [...fields.values()];
}

/** Kernel types with at least one learnable parameter. */
export function kernelsWithLearnableParams(): KernelType[] {
  return KERNELS.filter((k) => k.learnableParams.length > 0).map((k) => k.type);
}

/** "offset added to pᵀw (polynomial: a number ≥ 0, default 1; sigmoid: a number, default 0)", then what 'auto' means where it is allowed. */
export function describeParamField(field: KernelParamField): string {
  const perKernel = field.kernels.map(({ type, param }) => `${type}: ${describeRange(param)}, default ${param.default}`).join('; ');
  const autos = [...new Set(field.kernels.map(({ param }) => param.auto).filter(Boolean))];
  return [`${field.kernels[0].param.help} (${perKernel})`, ...autos].join('; ');
}
