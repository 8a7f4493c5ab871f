/** A non-2xx answer from the engine, with Docker's `{"message"}` text. */
export class DockerApiError extends Error {
  override readonly name = 'DockerApiError';
  constructor(
    readonly statusCode: number,
    message: string,
    /** Method and path of the request that failed, for logs. */
    readonly request = '',
  ) {
    super(message);
  }
}

/** An error reported inside a JSON progress stream (pull, push, build, load) after the 200 status. */
export class DockerProgressError extends Error {
  override readonly name = 'DockerProgressError';
}
