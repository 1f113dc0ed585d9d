import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { DEVICE_KEY_PREFIX } from '../../../common/device.schemas.js';
import { unauthenticated } from '../../errors.js';
import type { DeviceRow } from './devices.repository.js';
import { authenticateDeviceKey } from './devices.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The calling device, behind requireDevice. */
    device: DeviceRow | null;
  }
}

/**
 * An onRequest hook: the caller must send `Authorization: Bearer rbd_…` with a registered, unrevoked
 * device key. Anything else, a user's token or cookie included, is 401: these endpoints are for
 * devices only, just as a device key opens no user endpoint.
 */
export const requireDevice: onRequestHookHandler = async function requireDeviceHook(request: FastifyRequest, _reply: FastifyReply) {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  if (!m) throw unauthenticated(`Send the device key: Authorization: Bearer ${DEVICE_KEY_PREFIX}…`);
  if (!m[1].startsWith(DEVICE_KEY_PREFIX)) {
    throw unauthenticated(`This endpoint is for scanning devices: it takes a device key (${DEVICE_KEY_PREFIX}…), not a user's token.`);
  }
  const device = await authenticateDeviceKey(request.server, m[1]);
  if (!device) throw unauthenticated('Unknown or revoked device key.');
  request.device = device;
};

/** The calling device; only valid behind requireDevice. */
export function deviceOf(request: FastifyRequest): DeviceRow {
  if (!request.device) throw unauthenticated();
  return request.device;
}
