import type { FastifyError, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { DEVICE_KEY_PREFIX } from '../../../common/device.schemas.js';
import { AppError, deviceKeyRefused, sendProblem, toProblem, unauthenticated } from '../../errors.js';
import type { DeviceRow } from './devices.repository.js';
import { authenticateDeviceKey, knownDeviceKey } from './devices.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The calling device, behind requireDevice or requireScanningDevice. */
    device: DeviceRow | null;
    /**
     * Behind requireScanningDevice: false while the device came from the keys this node accepted
     * before and its key has not been checked against revocation yet (see `deviceKeyStillValid`).
     */
    deviceChecked: boolean;
  }
}

function bearerDeviceKey(request: FastifyRequest): string {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  if (!m) throw unauthenticated(`Send the device key: Authorization: Bearer ${DEVICE_KEY_PREFIX}…`);
  if (!m[1].startsWith(DEVICE_KEY_PREFIX)) {
    throw unauthenticated(`This endpoint is for scanning devices: it takes a device key (${DEVICE_KEY_PREFIX}…), not a user's token.`);
  }
  return m[1];
}

/**
 * An onRequest hook: the caller must send `Authorization: Bearer rbd_…` with a registered, unrevoked
 * device key. Anything else, a user's token or cookie included, is 401: these endpoints are for
 * devices only, just as a device key opens no user endpoint.
 */
export const requireDevice: onRequestHookHandler = async function requireDeviceHook(request: FastifyRequest) {
  await authenticate(request);
};

/** Reads the device of the request's key: 401 unless registered and not revoked. */
async function authenticate(request: FastifyRequest): Promise<void> {
  const device = await authenticateDeviceKey(request.server, bearerDeviceKey(request));
  if (!device) throw deviceKeyRefused();
  request.device = device;
  request.deviceChecked = true;
}

/**
 * requireDevice for the scan endpoint, without its read of the device when this node accepted the
 * key before: the scan's write transaction checks that the key is not revoked (one round trip less
 * per scan on PostgreSQL). Whatever else the route answers — a refusal, a replay, a bad body — goes
 * through `deviceKeyStillValid` or `scanErrorHandler` first, so a revoked key gets 401 and nothing
 * else, on every node, at once.
 */
export const requireScanningDevice: onRequestHookHandler = async function requireScanningDeviceHook(request: FastifyRequest) {
  const known = await knownDeviceKey(request.server, bearerDeviceKey(request));
  if (!known) return authenticate(request);
  request.device = known;
  request.deviceChecked = false;
};

/** Behind requireScanningDevice: throws 401 when the device's key was revoked (a read, unless checked already). */
export async function deviceKeyStillValid(request: FastifyRequest): Promise<void> {
  if (!request.deviceChecked) await authenticate(request);
}

/** The scan route's error handler: an error answered to a device whose key is unchecked is a 401 if the key was revoked. */
export async function scanErrorHandler(error: FastifyError | AppError, request: FastifyRequest, reply: FastifyReply) {
  let answer: unknown = error;
  if (request.device && !request.deviceChecked && !(error instanceof AppError && error.status === 401)) {
    try {
      await deviceKeyStillValid(request);
    } catch (err) {
      answer = err;
    }
  }
  return sendProblem(reply, toProblem(answer, request));
}

/** The calling device; only valid behind requireDevice or requireScanningDevice. */
export function deviceOf(request: FastifyRequest): DeviceRow {
  if (!request.device) throw unauthenticated();
  return request.device;
}
