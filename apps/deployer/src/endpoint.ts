import { NotFoundError, type EndpointDescription, type EndpointTarget } from '@vad/sagemaker-client';

/** The endpoint's description, or undefined when it does not exist. */
export async function describeOrUndefined(target: EndpointTarget, name: string): Promise<EndpointDescription | undefined> {
  try {
    return await target.describeEndpoint(name);
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}
