import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { idParams, pageOf, pageQuery } from '../../../common/common.schemas.js';
import { createDeviceBody, createDeviceResponse, deviceMeResponse, deviceSchema, scanBody, scanResponse } from '../../../common/device.schemas.js';
import { authOf, requireUser } from '../../plugins/auth.plugin.js';
import { deviceKeyStillValid, deviceOf, requireDevice, requireScanningDevice, scanErrorHandler } from './device-auth.js';
import { createDevice, deviceStatus, listDevicesPage, revokeDevice } from './devices.service.js';
import { recordScan } from './scans.service.js';

const admin = requireUser('admin');
const deviceSecurity = [{ bearer: [] }];

const listDevicesQuery = pageQuery.extend({
  /** Also list revoked devices (default true). */
  includeRevoked: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
});

/** Scanning devices (seed 002): registration by admins, and the two endpoints a device key opens. */
export default async function devicesRoutes(app: FastifyInstance) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  app.decorateRequest('device', null);
  app.decorateRequest('deviceChecked', false);

  r.post(
    '/api/devices',
    {
      onRequest: admin,
      schema: {
        tags: ['devices'],
        summary: 'Register a scanning device: returns its API key (rbd_…) this once; only a hash is stored',
        body: createDeviceBody,
        response: { 201: createDeviceResponse },
      },
    },
    async (request, reply) => reply.status(201).send(await createDevice(app, authOf(request), request.body)),
  );

  r.get(
    '/api/devices',
    {
      // Teachers read the list to bind a kiosk when they open a session; keys are never in it.
      onRequest: requireUser('admin', 'teacher'),
      schema: {
        tags: ['devices'],
        summary: 'Registered devices, with when each was last seen (admins and teachers)',
        querystring: listDevicesQuery,
        response: { 200: pageOf(deviceSchema) },
      },
    },
    async (request) => listDevicesPage(app, request.query),
  );

  r.delete(
    '/api/devices/:id',
    {
      onRequest: admin,
      schema: { tags: ['devices'], summary: "Revoke a device's key (its scans are refused from then on)", params: idParams },
    },
    async (request, reply) => {
      await revokeDevice(app, authOf(request), request.params.id);
      return reply.status(204).send();
    },
  );

  r.get(
    '/api/devices/me',
    {
      onRequest: requireDevice,
      schema: {
        tags: ['devices'],
        summary: 'For a device (Bearer rbd_… key): itself and the open session bound to it, the time zone and the server clock',
        security: deviceSecurity,
        response: { 200: deviceMeResponse },
      },
    },
    async (request) => deviceStatus(app, deviceOf(request)),
  );

  r.post(
    '/api/attendance/scan',
    {
      // The key is checked against revocation in the scan's own transaction (see requireScanningDevice).
      onRequest: requireScanningDevice,
      errorHandler: scanErrorHandler,
      schema: {
        tags: ['devices'],
        summary: 'For a device (Bearer rbd_… key): a recognised student number → the record (201), or 200 `duplicate` for a repeat or a replayed scan_id',
        description:
          '`student_id` is the student number (string or number); `date` (YYYY-MM-DD) and `time` (HH:MM[:SS]) are when the device saw the student, ' +
          "in the institution's TIMEZONE (default now); `scan_id` makes retries and offline replays idempotent. " +
          'Errors: 409 `no_active_session` (no open session bound to the device), 404 `unknown_student`, 403 `not_enrolled`. See docs/devices.md.',
        security: deviceSecurity,
        body: scanBody,
        response: { 200: scanResponse, 201: scanResponse },
      },
    },
    async (request, reply) => {
      const { record, duplicate } = await recordScan(app, deviceOf(request), request.body, () => deviceKeyStillValid(request));
      return duplicate ? reply.status(200).send({ record, duplicate: true }) : reply.status(201).send({ record });
    },
  );
}
