// What a refused value reads like, wherever a zod schema refuses it (a run config,
// a request argument such as the settings): "must be at least 1", never zod's own
// "Too small: expected number to be >=1". The wording is zod's error map for one
// parse, so a message a schema gives itself (a Redis URL's shape) still wins.
import { z } from 'zod';

const TYPE_WORDS: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
};

const count = (n: number | bigint, noun: string) => `${n} ${noun}${Number(n) === 1 ? '' : 's'}`;

/** zod's error map for one parse: a sentence's predicate per issue, or undefined to keep zod's. */
export const readableIssue: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined ? 'is required' : `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}`;
    case 'too_small': {
      const bound = issue.minimum;
      if (issue.origin === 'string') return Number(bound) === 1 ? 'must not be empty' : `must be at least ${count(bound, 'character')}`;
      if (issue.origin === 'array' || issue.origin === 'set') return `must have at least ${count(bound, 'item')}`;
      return issue.inclusive ? `must be at least ${bound}` : `must be more than ${bound}`;
    }
    case 'too_big': {
      const bound = issue.maximum;
      if (issue.origin === 'string') return `must be at most ${count(bound, 'character')}`;
      if (issue.origin === 'array' || issue.origin === 'set') return `must have at most ${count(bound, 'item')}`;
      return issue.inclusive ? `must be at most ${bound}` : `must be less than ${bound}`;
    }
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'unrecognized_keys':
      return `unknown field(s) ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
    default:
      return undefined;
  }
};

/** A whole number in [min, max], refused with one message naming both bounds, whatever is wrong with it. */
export function wholeNumber(min: number, max: number) {
  const error = `must be a whole number from ${min} to ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

/** Each issue as its dotted field path and its readable message. */
export function issueList(error: z.ZodError, root = '(root)'): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || root, message: issue.message }));
}
