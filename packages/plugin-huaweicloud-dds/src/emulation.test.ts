/** The DDS emulation's own rules, over real HTTP with requests signed by our signer. */
import { PLUGIN_ID_PATTERN } from '@cancelkit/core';
import { signSdkHmacSha256 } from '@cancelkit/huaweicloud-apig';
import { type RunningEmulator, startEmulator } from '@cancelkit/emulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import ddsEmulation, { formatDdsTime, parseDdsTime } from './emulation.js';
import manifest from './manifest.js';

const PROJECT = 'cancelkit-demo-project';
const DAY = 24 * 3600 * 1000;
let emu: RunningEmulator;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, emulations: [ddsEmulation] });
});
afterAll(async () => {
  await emu.stop();
});
beforeEach(() => {
  emu.reset();
});

async function call(method: string, pathAndQuery: string): Promise<{ status: number; body: Record<string, unknown> | undefined; requestId: string | null }> {
  const url = `${emu.url}${pathAndQuery}`;
  const headers = { 'content-type': 'application/json', 'x-project-id': PROJECT };
  const added = signSdkHmacSha256({ method, url, headers }, { ak: 'cancelkit-demo-ak', sk: 'cancelkit-demo-sk' });
  const response = await fetch(url, { method, headers: { ...headers, ...added } });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined, requestId: response.headers.get('x-request-id') };
}
const list = (query: string) => call('GET', `/v3/${PROJECT}/scheduled-jobs${query ? `?${query}` : ''}`);

describe('ListScheduledTasks', () => {
  it('answers {total_count, schedules} newest first, pages with offset/limit, default limit 10', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => emu.createOperation('huaweicloud.dds', { createTime: Date.now() - i * 1000 }).id);
    const first = await list('');
    expect(first.status).toBe(200);
    expect(first.requestId).toMatch(/^[0-9a-f]{32}$/);
    expect(first.body?.total_count).toBe(12);
    const schedules = (answer: { body: Record<string, unknown> | undefined }) => (answer.body?.schedules ?? []) as Record<string, string>[];
    expect(schedules(first).map((s) => s.job_id)).toEqual(ids.slice(0, 10));
    const second = await list('offset=10&limit=5');
    expect(schedules(second).map((s) => s.job_id)).toEqual(ids.slice(10));
    expect(schedules(first)[0]).toEqual({
      job_id: ids[0],
      job_name: 'RESIZE_FLAVOR',
      job_status: 'Pending',
      instance_id: expect.stringMatching(/^[0-9a-f]{32}in02$/),
      instance_name: 'dds-demo',
      instance_status: 'normal',
      create_time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0000$/),
      start_time: expect.any(String),
      end_time: expect.any(String),
    });
  });

  it('filters by job_status, instance_id and job_name; other projects’ tasks are invisible', async () => {
    emu.createOperation('huaweicloud.dds', { status: 'Running', instanceId: 'inst-a' });
    emu.createOperation('huaweicloud.dds', { status: 'Pending', instanceId: 'inst-b', jobName: 'OTHER' });
    emu.createOperation('huaweicloud.dds', { status: 'Pending', projectId: 'another-project' });
    expect((await list('job_status=Running')).body?.total_count).toBe(1);
    expect((await list('instance_id=inst-b')).body?.total_count).toBe(1);
    expect((await list('job_name=OTHER')).body?.total_count).toBe(1);
    expect((await list('')).body?.total_count).toBe(2);
  });

  it('defaults to the last 7 days of creation times; start_time/end_time with offsets widen or narrow it', async () => {
    const now = Date.now();
    emu.createOperation('huaweicloud.dds', { createTime: now - 10 * DAY });
    emu.createOperation('huaweicloud.dds', { createTime: now - DAY });
    expect((await list('')).body?.total_count).toBe(1);
    const since = encodeURIComponent(formatDdsTime(now - 30 * DAY).replace('+0000', '+0800'));
    expect((await list(`start_time=${since}`)).body?.total_count).toBe(2);
    const until = encodeURIComponent(formatDdsTime(now - 5 * DAY));
    expect((await list(`start_time=${since}&end_time=${until}`)).body?.total_count).toBe(1);
  });

  it.each(['limit=0', 'limit=101', 'limit=ten', 'offset=-1', 'job_status=Paused', 'start_time=yesterday'])('%s → 400 DBS.200001', async (query) => {
    const answer = await list(query);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error_code: 'DBS.200001', error_msg: expect.stringContaining('Parameter error') });
  });
});

describe('CancelScheduledTask', () => {
  it('Pending → 204 with no body, then Canceled; a second cancel is refused with the configured default', async () => {
    const id = emu.createOperation('huaweicloud.dds', {}).id;
    const first = await call('DELETE', `/v3/${PROJECT}/scheduled-jobs/${id}`);
    expect(first).toMatchObject({ status: 204, body: undefined });
    const again = await call('DELETE', `/v3/${PROJECT}/scheduled-jobs/${id}`);
    expect(again).toMatchObject({ status: 400, body: { error_code: 'DBS.200004', error_msg: 'Operation is illegal.' } });
  });

  it('an unknown API answers 404 APIGW.0101', async () => {
    const answer = await call('POST', `/v3/${PROJECT}/scheduled-jobs`);
    expect(answer).toMatchObject({ status: 404, body: { error_code: 'APIGW.0101' } });
  });
});

describe('createOperation', () => {
  it('builds a Pending task with defaults, and honours given fields', () => {
    const op = emu.createOperation('huaweicloud.dds', { jobId: 'job-1', status: 'Running', projectId: 'p2' });
    expect(op).toMatchObject({ service: 'huaweicloud.dds', id: 'job-1', jobId: 'job-1', status: 'Running', projectId: 'p2' });
    expect(emu.createOperation('huaweicloud.dds', {})).toMatchObject({ status: 'Pending', projectId: PROJECT, id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it.each([
    [{ status: 'Paused' }, 'status'],
    [{ jobId: 'a/b' }, 'jobId'],
    [{ jobId: '' }, 'jobId'],
    [{ createTime: 'yesterday' }, 'createTime'],
    [{ colour: 'blue' }, 'colour'],
  ])('refuses %j naming %s', (fields, field) => {
    // Unknown fields are refused by the emulator itself ("Invalid operation: colour: …"), the rest here.
    expect(() => emu.createOperation('huaweicloud.dds', fields)).toThrow(new RegExp(`^(Invalid operation: )?${field}:`));
  });
});

describe('times and manifest', () => {
  it('parses the list’s time format with offsets', () => {
    expect(parseDdsTime('2024-12-25T00:00:00+0800')).toBe(Date.UTC(2024, 11, 24, 16));
    expect(parseDdsTime('2024-12-25T00:00:00Z')).toBe(Date.UTC(2024, 11, 25));
    expect(parseDdsTime('2024-02-30T00:00:00+0000')).toBeUndefined();
    expect(formatDdsTime(Date.UTC(2025, 0, 1))).toBe('2025-01-01T00:00:00+0000');
  });

  it('manifest: id, provider, service, JSON Schema of the params', () => {
    expect(manifest.id).toMatch(PLUGIN_ID_PATTERN);
    expect(manifest).toMatchObject({ id: 'huaweicloud.dds.scheduled-job', provider: 'huaweicloud', service: 'huaweicloud.dds', targetParam: 'jobId', coreRange: '^0.1.0' });
    expect(manifest.paramsSchema).toMatchObject({ type: 'object', required: ['region', 'jobId'], additionalProperties: false });
  });
});
