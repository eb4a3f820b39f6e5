// Every problem with data on disk is reported as a DatasetError that names the file
// and says what was expected, so a user can fix the file instead of guessing.

export class DatasetError extends Error {
  constructor(
    message: string,
    /** The file or folder at fault, when there is one. */
    readonly file: string | null = null,
  ) {
    super(file ? `${file}: ${message}` : message);
    this.name = 'DatasetError';
  }
}
