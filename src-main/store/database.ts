// Opens the workbench database: one SQLite file in WAL mode, migrated to the
// current schema. This and the other store/ modules are the only code that
// imports better-sqlite3. Storage failures (read-only folder, full disk, a file
// that is not a database) become a StoreError with a sentence a user can act on.
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations';

export type Db = Database.Database;

export interface OpenDatabaseOptions {
  /** Path of the database file, or ':memory:'. */
  file: string;
  /**
   * Path of a better_sqlite3.node built for the running ABI. The Electron adapter
   * passes a copy rebuilt for Electron so one install serves Node and Electron.
   */
  nativeBinding?: string;
  /** Caps the file size in pages (PRAGMA max_page_count): a storage quota, and how tests simulate a full disk. */
  maxPageCount?: number;
}

export class StoreError extends Error {
  constructor(
    message: string,
    /** The SQLite error code (SQLITE_FULL, SQLITE_READONLY, ...) when there is one. */
    readonly code: string | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StoreError';
  }
}

function sqliteCode(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}

/** Turns a better-sqlite3 error into a StoreError saying what happened to which file. */
export function describeStorageError(error: unknown, file: string, action: string): Error {
  if (error instanceof StoreError) return error;
  const code = sqliteCode(error);
  const detail = (error as Error)?.message ?? String(error);
  if (code === null || !code.startsWith('SQLITE_')) return error as Error;
  let reason: string;
  if (code.startsWith('SQLITE_FULL')) {
    reason = 'the disk is full (or the database reached its size limit); free some space and try again';
  } else if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_PERM')) {
    reason = 'the data folder or database file is not writable; choose a writable data folder (--data-dir or KERV_DATA_DIR) or fix its permissions';
  } else if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    reason = 'the file is not a valid workbench database';
  } else if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    reason = 'the database is locked by another process';
  } else if (code.startsWith('SQLITE_IOERR')) {
    reason = 'a disk I/O error occurred';
  } else {
    reason = detail;
  }
  return new StoreError(`Could not ${action} the workbench database ${file}: ${reason} (${code}: ${detail}).`, code, { cause: error });
}

/** Applies the migrations the file has not seen yet. */
function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new StoreError(
      `The database was written by a newer version of the workbench (schema ${current}, this version knows ${MIGRATIONS.length}); update the app.`,
      null,
    );
  }
  for (let version = current; version < MIGRATIONS.length; version++) {
    db.transaction(() => {
      const migration = MIGRATIONS[version];
      if (typeof migration === 'string') db.exec(migration);
      else migration(db);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}

export function openDatabase(options: OpenDatabaseOptions): Db {
  let db: Db | undefined;
  try {
    db = new Database(options.file, options.nativeBinding ? { nativeBinding: options.nativeBinding } : {});
    if (options.file !== ':memory:') db.pragma('journal_mode = WAL');
    // NORMAL in WAL mode: a committed transaction survives a process crash
    // (kill -9); only an OS crash may lose the last commits, never corrupt.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    if (options.maxPageCount !== undefined) db.pragma(`max_page_count = ${Math.floor(options.maxPageCount)}`);
    migrate(db);
    return db;
  } catch (error) {
    db?.close();
    throw describeStorageError(error, options.file, 'open');
  }
}
