import { VadError } from '@vad/contracts';

/** The daemonless build could not assemble a layer (missing bundle, wrong platform, failed installer). */
export class ImageBuildError extends VadError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('image_build_failed', message, undefined, options);
    this.name = 'ImageBuildError';
  }
}

/** A registry call failed: names the call, the URL's path and the HTTP status. */
export class RegistryError extends VadError {
  readonly httpStatus?: number;
  constructor(message: string, httpStatus?: number, options?: { cause?: unknown }) {
    super('registry_failed', message, httpStatus === undefined ? undefined : { httpStatus }, options);
    this.name = 'RegistryError';
    this.httpStatus = httpStatus;
  }
}
