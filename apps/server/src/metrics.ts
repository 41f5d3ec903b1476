/**
 * Prometheus metrics through prom-client, on a registry of the server's own (not the global default), so
 * two servers in one process — tests, or an app embedding this one — never collide.
 */
import type { EngineObserver } from '@cancelkit/core';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export class ServerMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly outcomes: Counter<'plugin' | 'outcome'>;
  readonly cloudLatency: Histogram<'plugin' | 'kind' | 'ok'>;
  readonly retries: Counter<'plugin' | 'code'>;
  readonly jobsRunning: Gauge;
  readonly jobs: Counter<'kind'>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.httpRequests = new Counter({
      name: 'cancelkit_http_requests_total',
      help: 'HTTP requests answered, by method, route template and status.',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.httpDuration = new Histogram({
      name: 'cancelkit_http_request_duration_seconds',
      help: 'Time to answer an HTTP request.',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.outcomes = new Counter({
      name: 'cancelkit_target_outcomes_total',
      help: 'Final outcome of each target, by plugin.',
      labelNames: ['plugin', 'outcome'],
      registers,
    });
    this.cloudLatency = new Histogram({
      name: 'cancelkit_cloud_request_duration_seconds',
      help: 'Latency of calls to the cloud (inspect and cancel), by plugin.',
      labelNames: ['plugin', 'kind', 'ok'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.retries = new Counter({
      name: 'cancelkit_cloud_retries_total',
      help: 'Retries of cloud calls after a retryable error, by plugin and error code.',
      labelNames: ['plugin', 'code'],
      registers,
    });
    this.jobs = new Counter({
      name: 'cancelkit_jobs_total',
      help: 'Cancellation jobs accepted, by kind.',
      labelNames: ['kind'],
      registers,
    });
    this.jobsRunning = new Gauge({
      name: 'cancelkit_jobs_running',
      help: 'Cancellation jobs queued or running now.',
      registers,
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'cancelkit_' });
  }

  /** The engine hooks that feed cloud latency and retries. */
  observer(): EngineObserver {
    return {
      onRequest: (e) => this.cloudLatency.observe({ plugin: e.plugin, kind: e.kind, ok: String(e.ok) }, e.durationMs / 1000),
      onRetry: (e) => this.retries.inc({ plugin: e.plugin, code: e.code }),
    };
  }
}
