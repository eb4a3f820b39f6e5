// The enums of the contract have one definition in shared/: the request validator
// accepts exactly those values, so a key added there is usable at once from every
// client, and a value removed there is refused everywhere.
import { describe, expect, it } from 'vitest';
import { RUN_SORT_KEYS } from '../../../src-main/shared/api';
import { BACKENDS } from '../../../src-main/shared/run-config';
import { EXPORT_FORMATS, TABLE_FORMATS, exportFormatNamed } from '../../../src-main/shared/table-format';
import { parseRequest } from '../../../src-main/service/requests';

describe('request enums come from shared/', () => {
  it('every sort key of the contract is accepted, anything else refused with the allowed keys', () => {
    for (const sortBy of RUN_SORT_KEYS) expect(parseRequest('runs:list', { sortBy })).toEqual({ sortBy });
    expect(() => parseRequest('runs:list', { sortBy: 'loss' })).toThrow(new RegExp(`sortBy: .*${RUN_SORT_KEYS.map((k) => `"${k}"`).join('.*')}`));
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
