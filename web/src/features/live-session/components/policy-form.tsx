import { useState, type FormEvent } from 'react';
import {
  Alert,
  Button,
  Checkbox,
  Collapse,
  Group,
  NumberInput,
  Paper,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Text,
  Textarea,
  Title,
} from '@mantine/core';
import { IconAlertCircle, IconCurrentLocation } from '@tabler/icons-react';
import {
  MIN_CODE_ROTATE_SECONDS,
  sessionPolicyPatch,
  type CheckinMethod,
  type SessionPolicy,
  type SessionPolicyPatch,
} from '../../../../../common/session.schemas.js';
import { currentPosition } from '../../../lib/geolocation.js';
import { errorMessage } from '../../../lib/notify.js';
import { useBindableDevices } from '../api/get-devices.js';

const METHOD_OPTIONS: { value: CheckinMethod; label: string; hint: string }[] = [
  { value: 'code', label: 'Typed code', hint: 'Students type the 6-character code in the app' },
  { value: 'qr', label: 'QR code', hint: 'Students scan the QR with their phone camera' },
  { value: 'link', label: 'Link without an account', hint: 'The QR page also accepts student number + name' },
  { value: 'rollcall', label: 'Roll call', hint: 'You mark students from the roster' },
  { value: 'device', label: 'Device', hint: 'A card reader or kiosk bound to the session' },
];

interface Values {
  methods: CheckinMethod[];
  codeMode: 'fixed' | 'rotating';
  ttlMinutes: number | string;
  rotateSeconds: number | string;
  lateAfterMinutes: number | string;
  requireApproval: boolean;
  geofenceOn: boolean;
  lat: number | string;
  lng: number | string;
  radiusM: number | string;
  geofenceMode: 'flag' | 'reject';
  networks: string;
  allowSelfEnroll: boolean;
  deviceId: string | null;
}

function initialValues(policy: SessionPolicy): Values {
  return {
    methods: policy.methods,
    codeMode: policy.codeRotateSeconds > 0 ? 'rotating' : 'fixed',
    ttlMinutes: Math.max(1, Math.round(policy.codeTtlSeconds / 60)),
    rotateSeconds: policy.codeRotateSeconds > 0 ? policy.codeRotateSeconds : 30,
    lateAfterMinutes: policy.lateAfterMinutes,
    requireApproval: policy.requireApproval,
    geofenceOn: policy.geofence !== null,
    lat: policy.geofence?.lat ?? '',
    lng: policy.geofence?.lng ?? '',
    radiusM: policy.geofence?.radiusM ?? 100,
    geofenceMode: policy.geofence?.mode ?? 'flag',
    networks: policy.allowedNetworks.join('\n'),
    allowSelfEnroll: policy.allowSelfEnroll,
    deviceId: policy.deviceId,
  };
}

const num = (v: number | string) => (typeof v === 'number' ? v : v.trim() === '' ? Number.NaN : Number(v));

/** The form's values as a policy patch, or the first problem in words. */
function toPatch(v: Values): { patch: SessionPolicyPatch } | { error: string } {
  if (v.methods.length === 0) return { error: 'Choose at least one way to check in.' };
  const rotating = v.codeMode === 'rotating';
  const ttl = num(v.ttlMinutes);
  const rotate = num(v.rotateSeconds);
  if (!rotating && !(ttl >= 1 && ttl <= 1440)) return { error: 'The code lifetime must be 1 to 1440 minutes.' };
  if (rotating && !(Number.isInteger(rotate) && rotate >= MIN_CODE_ROTATE_SECONDS && rotate <= 3600)) {
    return { error: `Change the code every ${MIN_CODE_ROTATE_SECONDS} to 3600 seconds (whole seconds): students need time to type it.` };
  }
  const late = num(v.lateAfterMinutes);
  if (!(late >= 0 && late <= 1440)) return { error: 'Late after must be 0 to 1440 minutes.' };
  let geofence: SessionPolicyPatch['geofence'] = null;
  if (v.geofenceOn) {
    const lat = num(v.lat);
    const lng = num(v.lng);
    const radiusM = num(v.radiusM);
    if (Number.isNaN(lat) || Number.isNaN(lng)) return { error: 'Set the area’s centre: use your current location (or type it).' };
    if (!(radiusM > 0)) return { error: 'The area’s radius must be more than 0 metres.' };
    geofence = { lat, lng, radiusM, mode: v.geofenceMode };
  }
  const patch: SessionPolicyPatch = {
    methods: v.methods,
    codeTtlSeconds: rotating ? undefined : Math.round(ttl * 60),
    codeRotateSeconds: rotating ? Math.round(rotate) : 0,
    lateAfterMinutes: Math.round(late),
    requireApproval: v.requireApproval,
    geofence,
    allowedNetworks: v.networks
      .split(/[\s,]+/)
      .map((n) => n.trim())
      .filter(Boolean),
    allowSelfEnroll: v.methods.includes('link') && v.allowSelfEnroll,
    deviceId: v.methods.includes('device') ? v.deviceId : null,
  };
  if (patch.codeTtlSeconds === undefined) delete patch.codeTtlSeconds;
  const parsed = sessionPolicyPatch.safeParse(patch);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? '');
    if (field === 'allowedNetworks') return { error: `Not a network address: "${String(patch.allowedNetworks?.[Number(issue?.path[1])] ?? '')}". Use e.g. 10.20.0.0/16.` };
    return { error: `${field ? `${field}: ` : ''}${issue?.message ?? 'invalid'}` };
  }
  return { patch: parsed.data };
}

interface PolicyFormProps {
  policy: SessionPolicy;
  submitLabel: string;
  pending: boolean;
  error: unknown;
  onSubmit: (patch: SessionPolicyPatch) => void;
  onCancel?: () => void;
}

/** The check-in policy: methods, code lifetime or rotation, late-after, approval, geofence, networks, link options. */
export function PolicyForm({ policy, submitLabel, pending, error, onSubmit, onCancel }: PolicyFormProps) {
  const [v, setV] = useState<Values>(() => initialValues(policy));
  const [problem, setProblem] = useState<string | null>(null);
  const [locating, setLocating] = useState(false);
  const [accuracy, setAccuracy] = useState<number | null>(null);
  const set = <K extends keyof Values>(key: K, value: Values[K]) => setV((old) => ({ ...old, [key]: value }));
  const devices = useBindableDevices(v.methods.includes('device'));

  async function fillMyLocation() {
    setLocating(true);
    setProblem(null);
    try {
      const p = await currentPosition();
      setV((old) => ({ ...old, lat: Number(p.lat.toFixed(6)), lng: Number(p.lng.toFixed(6)) }));
      setAccuracy(p.accuracyM);
    } catch (err) {
      setProblem(errorMessage(err));
    } finally {
      setLocating(false);
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const result = toPatch(v);
    if ('error' in result) {
      setProblem(result.error);
      return;
    }
    setProblem(null);
    onSubmit(result.patch);
  }

  const shownError = problem ?? (error ? errorMessage(error) : null);

  return (
    <form onSubmit={submit} noValidate data-testid="policy-form">
      <Stack gap="md">
        {shownError ? (
          <Alert color="red" icon={<IconAlertCircle size={18} />} data-testid="policy-error">
            {shownError}
          </Alert>
        ) : null}

        <Checkbox.Group
          label="How students may check in"
          value={v.methods}
          onChange={(value) => set('methods', value as CheckinMethod[])}
        >
          <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs" mt={6}>
            {METHOD_OPTIONS.map((m) => (
              <Checkbox key={m.value} value={m.value} label={m.label} description={m.hint} data-testid={`method-${m.value}`} />
            ))}
          </SimpleGrid>
        </Checkbox.Group>

        {v.methods.includes('device') ? (
          <Select
            label="Device in the room (optional)"
            description="Scans from this kiosk or card reader count for this session while it is open."
            placeholder={devices.isPending ? 'Loading devices…' : devices.data?.length ? 'No device' : 'No devices registered'}
            data={(devices.data ?? []).map((d) => ({ value: d.id, label: d.location ? `${d.name} · ${d.location}` : d.name }))}
            value={v.deviceId}
            onChange={(value) => set('deviceId', value)}
            clearable
            searchable
            error={devices.isError ? errorMessage(devices.error) : undefined}
            data-testid="policy-device"
          />
        ) : null}

        <Stack gap={6}>
          <Text size="sm" fw={500}>
            The code
          </Text>
          <SegmentedControl
            value={v.codeMode}
            onChange={(value) => set('codeMode', value as Values['codeMode'])}
            data={[
              { value: 'fixed', label: 'One code for a while' },
              { value: 'rotating', label: 'Rotating code' },
            ]}
            aria-label="Code mode"
          />
          {v.codeMode === 'fixed' ? (
            <NumberInput
              label="Each code is valid for (minutes)"
              min={1}
              max={1440}
              value={v.ttlMinutes}
              onChange={(value) => set('ttlMinutes', value)}
              description="A new code appears on the projector when it expires."
            />
          ) : (
            <NumberInput
              label="Change the code every (seconds)"
              min={MIN_CODE_ROTATE_SECONDS}
              max={3600}
              // Never change what the teacher typed behind their back (5 used to become 10): say it instead.
              clampBehavior="none"
              allowDecimal={false}
              data-testid="policy-rotate-seconds"
              value={v.rotateSeconds}
              onChange={(value) => set('rotateSeconds', value)}
              description="The previous code is still accepted, so a student who scanned just before the change is not refused. A photo of an old QR is useless."
            />
          )}
        </Stack>

        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="md">
          <NumberInput
            label="Late after (minutes)"
            min={0}
            max={1440}
            value={v.lateAfterMinutes}
            onChange={(value) => set('lateAfterMinutes', value)}
            description="Counted from the start (or from opening, if later)."
          />
          <Switch
            mt={{ sm: 'lg' }}
            label="Require my approval"
            description="Check-ins wait as pending until you confirm them."
            checked={v.requireApproval}
            onChange={(e) => set('requireApproval', e.currentTarget.checked)}
            data-testid="policy-require-approval"
          />
        </SimpleGrid>

        <Paper withBorder p="sm" radius="md">
          <Stack gap="xs">
            <Switch
              label="Only from the classroom (geofence)"
              description="Asks the student's phone for its location."
              checked={v.geofenceOn}
              onChange={(e) => set('geofenceOn', e.currentTarget.checked)}
              data-testid="policy-geofence"
            />
            <Collapse in={v.geofenceOn}>
              <Stack gap="xs" pt="xs">
                <Group gap="xs" align="flex-end" wrap="wrap">
                  <Button
                    variant="light"
                    leftSection={<IconCurrentLocation size={16} />}
                    loading={locating}
                    onClick={() => void fillMyLocation()}
                  >
                    Use my current location
                  </Button>
                  {accuracy !== null ? (
                    <Text size="xs" c="dimmed">
                      accurate to about {accuracy} m
                    </Text>
                  ) : null}
                </Group>
                <SimpleGrid cols={{ base: 2, sm: 3 }} spacing="xs">
                  <NumberInput label="Latitude" decimalScale={6} min={-90} max={90} value={v.lat} onChange={(value) => set('lat', value)} hideControls />
                  <NumberInput label="Longitude" decimalScale={6} min={-180} max={180} value={v.lng} onChange={(value) => set('lng', value)} hideControls />
                  <NumberInput label="Radius (m)" min={10} max={100000} value={v.radiusM} onChange={(value) => set('radiusM', value)} />
                </SimpleGrid>
                <SegmentedControl
                  value={v.geofenceMode}
                  onChange={(value) => set('geofenceMode', value as Values['geofenceMode'])}
                  data={[
                    { value: 'flag', label: 'Outside: accept and flag' },
                    { value: 'reject', label: 'Outside: refuse' },
                  ]}
                  aria-label="Outside the area"
                />
                <Text size="xs" c="dimmed">
                  Indoor GPS drifts; flagging lets you review doubtful check-ins instead of turning away a student who is in the room.
                </Text>
              </Stack>
            </Collapse>
          </Stack>
        </Paper>

        <Textarea
          label="Allowed networks (optional)"
          description="Only accept check-ins from these addresses, one per line (e.g. the campus Wi-Fi 10.20.0.0/16). Empty: any network."
          autosize
          minRows={1}
          maxRows={5}
          value={v.networks}
          onChange={(e) => set('networks', e.currentTarget.value)}
          placeholder="10.20.0.0/16"
        />

        <Switch
          label="Let unknown students enroll themselves through the link"
          description="With link check-in: a student number not on the course list is added to the course."
          checked={v.allowSelfEnroll && v.methods.includes('link')}
          disabled={!v.methods.includes('link')}
          onChange={(e) => set('allowSelfEnroll', e.currentTarget.checked)}
        />

        <Group justify="flex-end" gap="xs">
          {onCancel ? (
            <Button variant="default" onClick={onCancel}>
              Cancel
            </Button>
          ) : null}
          <Button type="submit" loading={pending} data-testid="policy-submit">
            {submitLabel}
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The panel shown on a scheduled session: choose the policy and open check-in. */
export function OpenSessionPanel(props: Omit<PolicyFormProps, 'submitLabel'>) {
  return (
    <Paper withBorder p={{ base: 'md', sm: 'lg' }} radius="md" data-testid="open-panel">
      <Stack gap="md">
        <div>
          <Title order={2} fz="h3">
            Open check-in
          </Title>
          <Text c="dimmed" size="sm">
            Students can check in once the session is open. Nobody can check in to a session before it is opened or after it is closed.
          </Text>
        </div>
        <PolicyForm {...props} submitLabel="Open check-in" />
      </Stack>
    </Paper>
  );
}
