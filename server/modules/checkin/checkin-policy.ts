import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { sessionPolicySchema, type SessionPolicy, type SessionPolicyPatch } from '../../../common/session.schemas.js';
import { AppError } from '../../errors.js';

/**
 * The one place a session's check-in policy is read and applied: `parsePolicy` reads the stored
 * JSON, `mergePolicy` applies a patch, and `decideCheckin` decides a self check-in (typed code, QR,
 * link, device scan): whether the method is allowed, the network and geofence checks, lateness,
 * approval and device trust. Callers never patch the policy to get another outcome.
 */

/** Reads a session's stored policy (a complete SessionPolicy in JSON). */
export function parsePolicy(json: string): SessionPolicy {
  return sessionPolicySchema.parse(JSON.parse(json));
}

/** The policy with a patch applied (what is left out keeps its current value). */
export function mergePolicy(current: SessionPolicy, patch: SessionPolicyPatch | undefined): SessionPolicy {
  return sessionPolicySchema.parse({ ...current, ...(patch ?? {}) });
}

export type SelfCheckinMethod = 'code' | 'qr' | 'link' | 'device';

export interface Location {
  lat: number;
  lng: number;
  accuracyM?: number;
}

export interface CheckinContext {
  method: SelfCheckinMethod;
  /** The client's address (networks); devices are trusted by their key, not their address. */
  ip?: string;
  location?: Location;
  /** For `device`: the device that scanned; it must be the one the session is bound to. */
  deviceId?: string;
  /** When the student arrived (a device's scan time), ms since epoch. */
  at: number;
  session: { startsAt: string; openedAt: string };
}

export interface CheckinDecision {
  status: 'present' | 'late';
  state: 'confirmed' | 'pending';
  /** Doubtful signals the teacher reviews (`outside-geofence`, `no-location`). */
  flags: string[];
}

/**
 * A decision taken before a write whose refusal must come later, after the answers that precede it
 * (who the student is, their enrolment: read inside the write's transaction): `refusal` is what
 * `decide` threw, for the write command's `admit` to throw in its turn; `decision` is then only a
 * placeholder that is never written.
 */
export function decideDeferred(decide: () => CheckinDecision): { decision: CheckinDecision; refusal: unknown } {
  try {
    return { decision: decide(), refusal: undefined };
  } catch (err) {
    return { decision: { status: 'present', state: 'confirmed', flags: [] }, refusal: err };
  }
}

const METHOD_NAMES: Record<SelfCheckinMethod, string> = { code: 'typed code', qr: 'QR', link: 'link', device: 'device' };

/** Decides a self check-in under the policy, or throws the refusal (403 with a stable code). */
export function decideCheckin(policy: SessionPolicy, ctx: CheckinContext): CheckinDecision {
  if (!policy.methods.includes(ctx.method)) {
    throw new AppError(
      403,
      'method_not_allowed',
      ctx.method === 'link' ? 'Sign in to check in' : 'Method not allowed',
      ctx.method === 'link'
        ? 'This session does not accept check-in without an account. Sign in first.'
        : `This session does not accept ${METHOD_NAMES[ctx.method]} check-ins.`,
    );
  }
  // A device is trusted like the teacher's roll call: bound to the session by the teacher, no
  // approval step, and its location/network says nothing about the student's.
  if (ctx.method === 'device') {
    if (!policy.deviceId || policy.deviceId !== ctx.deviceId) {
      throw new AppError(409, 'no_active_session', 'No active session', 'This session is not bound to this device.');
    }
    return { status: statusAt(policy, ctx.session, ctx.at), state: 'confirmed', flags: [] };
  }
  const flags: string[] = [];
  if (policy.allowedNetworks.length > 0 && !(ctx.ip && ipAllowed(ctx.ip, policy.allowedNetworks))) {
    throw new AppError(403, 'network_not_allowed', 'Network not allowed', 'Check in from the campus network (Wi-Fi) for this session.');
  }
  const fence = policy.geofence;
  if (fence) {
    if (!ctx.location) {
      if (fence.mode === 'reject') {
        throw new AppError(403, 'outside_geofence', 'Location needed', 'This session needs your location: allow location access and try again.');
      }
      flags.push('no-location');
    } else {
      // Indoor GPS drifts: the reported accuracy (up to 200 m) widens the fence.
      const slack = Math.min(ctx.location.accuracyM ?? 0, 200);
      if (distanceM(fence, ctx.location) > fence.radiusM + slack) {
        if (fence.mode === 'reject') {
          throw new AppError(403, 'outside_geofence', 'Outside the classroom', 'Your location is outside the area of this session.');
        }
        flags.push('outside-geofence');
      }
    }
  }
  return {
    status: statusAt(policy, ctx.session, ctx.at),
    state: policy.requireApproval ? 'pending' : 'confirmed',
    flags,
  };
}

/** A check-in after max(start, opening) + lateAfterMinutes is late. */
export function statusAt(policy: Pick<SessionPolicy, 'lateAfterMinutes'>, session: { startsAt: string; openedAt: string }, at: number): 'present' | 'late' {
  const from = Math.max(Date.parse(session.startsAt), Date.parse(session.openedAt));
  return at > from + policy.lateAfterMinutes * 60_000 ? 'late' : 'present';
}

/** Great-circle distance in metres. */
export function distanceM(a: { lat: number; lng: number }, b: { lat: number; lng: number }): number {
  const R = 6_371_000;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLng = (b.lng - a.lng) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLng / 2) ** 2;
  return 2 * R * Math.asin(Math.sqrt(h));
}

const blockLists = new Map<string, BlockList>();
/** Whether `ip` is in one of the CIDR ranges (or single addresses). */
export function ipAllowed(ip: string, networks: string[]): boolean {
  const key = networks.join(',');
  let list = blockLists.get(key);
  if (!list) {
    list = new BlockList();
    for (const n of networks) {
      const [addr, bits] = n.split('/');
      const type = isIPv6(addr) ? 'ipv6' : 'ipv4';
      if (bits === undefined) list.addAddress(addr, type);
      else list.addSubnet(addr, Number(bits), type);
    }
    if (blockLists.size > 1000) blockLists.clear();
    blockLists.set(key, list);
  }
  const plain = ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
  return list.check(plain, isIPv6(plain) ? 'ipv6' : 'ipv4');
}
