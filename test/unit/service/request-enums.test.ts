// The enums of the contract have one definition in shared/: the request validator
// accepts exactly those values, so a key added there is usable at once from every
// client, and a value removed there is refused everywhere.
import { describe, expect, it } from 'vitest';
import { BUILTIN_FIELDS } from '../../../src-main/shared/run-fields';
import { BACKENDS } from '../../../src-main/shared/run-config';
import { EXPORT_FORMATS, TABLE_FORMATS, exportFormatNamed } from '../../../src-main/shared/table-format';
import { parseRequest } from '../../../src-main/service/requests';

describe('request enums come from shared/', () => {
  it('every run field but tags sorts the runs list, anything else is refused naming the field', () => {
    const sortable = [...BUILTIN_FIELDS.map((f) => f.key).filter((k) => k !== 'tag'), 'experimentHash', 'config.optimizer.lr'];
    for (const sortBy of sortable) expect(parseRequest('runs:list', { sortBy })).toEqual({ sortBy });
    for (const sortBy of ['loss', 'tag']) expect(() => parseRequest('runs:list', { sortBy })).toThrow(/sortBy: a run field but tag/);
  });

  it('every export format is accepted by the validator and by name or extension on the command line', () => {
    for (const format of EXPORT_FORMATS) {
      expect(parseRequest('export:table', { format })).toEqual({ format });
      expect(exportFormatNamed(format)).toBe(format);
      expect(exportFormatNamed(TABLE_FORMATS[format].extension)).toBe(format);
    }
    expect(exportFormatNamed('xlsx')).toBeNull();
    expect(() => parseRequest('export:table', { format: 'xlsx' })).toThrow(/format/);
  });

  it('every backend a run config accepts can be saved as the default', () => {
    for (const backend of BACKENDS) expect(parseRequest('settings:set', { backend })).toEqual({ backend });
    expect(() => parseRequest('settings:set', { backend: 'cuda' })).toThrow(/backend/);
  });
});
