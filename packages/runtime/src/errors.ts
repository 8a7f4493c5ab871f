/** An error the CLI reports to the user; `exitCode` follows docker (125 engine, 126/127 command). */
export class DockyardError extends Error {
  constructor(
    message: string,
    readonly exitCode = 125,
    readonly code = 'engine',
  ) {
    super(message);
    this.name = 'DockyardError';
  }
}

export const daemonError = (msg: string) => new DockyardError(`Error response from daemon: ${msg}`);
export const noSuchContainer = (ref: string) =>
  new DockyardError(`Error response from daemon: No such container: ${ref}`, 1, 'not-found');
export const noSuchImage = (ref: string) =>
  new DockyardError(`Error response from daemon: No such image: ${ref}`, 1, 'not-found');
export const noSuchVolume = (ref: string) =>
  new DockyardError(`Error response from daemon: get ${ref}: no such volume`, 1, 'not-found');
