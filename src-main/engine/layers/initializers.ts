// Initializer identifiers ('glorotUniform', 'he_normal', ...) and their saved form,
// {className, config}, as tfjs-layers writes them. tfjs keeps its own resolver
// internal, and a deep import of tfjs-layers would load a second copy of the
// library (a second class registry), so the few lines are repeated here.
import * as tf from '@tensorflow/tfjs';

export type Initializer = ReturnType<typeof tf.initializers.glorotUniform>;
export type InitializerIdentifier =
  | 'glorotUniform'
  | 'glorotNormal'
  | 'heUniform'
  | 'heNormal'
  | 'leCunUniform'
  | 'leCunNormal'
  | 'zeros'
  | 'ones'
  | 'randomNormal'
  | 'randomUniform'
  | 'truncatedNormal';

const FACTORIES: Record<InitializerIdentifier, () => Initializer> = {
  glorotUniform: () => tf.initializers.glorotUniform({}),
  glorotNormal: () => tf.initializers.glorotNormal({}),
  heUniform: () => tf.initializers.heUniform({}),
  heNormal: () => tf.initializers.heNormal({}),
  leCunUniform: () => tf.initializers.leCunUniform({}),
  leCunNormal: () => tf.initializers.leCunNormal({}),
  zeros: () => tf.initializers.zeros(),
  ones: () => tf.initializers.ones(),
  randomNormal: () => tf.initializers.randomNormal({}),
  randomUniform: () => tf.initializers.randomUniform({}),
  truncatedNormal: () => tf.initializers.truncatedNormal({}),
};

function camelCase(name: string): string {
  return name.replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

function isInitializer(value: unknown): value is Initializer {
  return value instanceof tf.serialization.Serializable && typeof (value as Initializer).apply === 'function';
}

/** An Initializer from an identifier, an instance, or a saved {className, config}. */
export function resolveInitializer(value: unknown, field: string): Initializer {
  if (isInitializer(value)) return value;
  if (typeof value === 'string') {
    const factory = FACTORIES[camelCase(value) as InitializerIdentifier];
    if (!factory) throw new Error(`${field} must be one of ${Object.keys(FACTORIES).join(', ')} or an Initializer, got ${JSON.stringify(value)}`);
    return factory();
  }
  if (value && typeof value === 'object' && 'className' in value) {
    const { className, config } = value as { className: string; config?: tf.serialization.ConfigDict };
    const entry = tf.serialization.SerializationMap.getMap().classNameMap[className];
    if (!entry) throw new Error(`${field}: unknown initializer class ${JSON.stringify(className)}`);
    const [cls, fromConfig] = entry;
    return fromConfig(cls, config ?? {}) as unknown as Initializer;
  }
  throw new Error(`${field} must be an initializer name or an Initializer, got ${JSON.stringify(value)}`);
}

/** {className, config}; unset options (seed: undefined) are left out so a JSON round trip is exact. */
export function serializeInitializer(initializer: Initializer): tf.serialization.ConfigDict {
  const config = Object.fromEntries(Object.entries(initializer.getConfig()).filter(([, v]) => v != null));
  return { className: initializer.getClassName(), config };
}
