/**
 * The demo's script, collected from the installed plugins: each plugin's emulation carries the demo
 * scenarios it can play (`ServiceEmulation.demo`), and each provider's emulation protocol says how a
 * client uses the emulator's key (`EmulationProtocol.clientSettings`). The CLI knows no service, seed
 * field or provider config key itself.
 */
import type { DemoScenario, EmulatorCredential, ServiceEmulation } from '@cancelkit/core/emulation';
import type { PluginRegistry } from '@cancelkit/core/loader';

/** One demo scenario and the service (emulation) that plays it. */
export interface DemoStep {
  readonly service: string;
  readonly scenario: DemoScenario;
}

export interface CollectedDemo {
  /** Every runnable scenario, in discovery order (plugins first found first, each emulation's own order). */
  readonly steps: readonly DemoStep[];
  /** The emulations those scenarios need, by service. */
  readonly emulations: ReadonlyMap<string, ServiceEmulation>;
  /** Plugin ids that scenarios name but that are not installed (or cannot be used). */
  readonly missing: ReadonlySet<string>;
  /** Plugin packages whose emulation module failed to load, with why. */
  readonly broken: readonly { readonly packageName: string; readonly message: string }[];
}

/** The first emulation found for a service plays it (as in `cancelkit emulator`). */
export async function collectDemo(registry: PluginRegistry): Promise<CollectedDemo> {
  const steps: DemoStep[] = [];
  const emulations = new Map<string, ServiceEmulation>();
  const missing = new Set<string>();
  const broken: { packageName: string; message: string }[] = [];
  const seen = new Set<string>();
  for (const entry of registry.list()) {
    let emulation: ServiceEmulation | undefined;
    try {
      emulation = await entry.loadEmulation();
    } catch (error) {
      broken.push({ packageName: entry.packageName, message: (error as Error).message });
      continue;
    }
    if (!emulation || seen.has(emulation.service)) continue;
    seen.add(emulation.service);
    for (const scenario of emulation.demo ?? []) {
      const plugin = registry.get(scenario.plugin);
      if (!plugin || plugin.problem !== undefined) {
        missing.add(scenario.plugin);
        continue;
      }
      emulations.set(emulation.service, emulation);
      steps.push({ service: emulation.service, scenario });
    }
  }
  return { steps, emulations, missing, broken };
}

/** The emulator's demo key (as `@cancelkit/emulator` exports it) in the shape protocols take. */
export function demoCredential(demo: { readonly accessKeyId: string; readonly accessKeySecret: string; readonly projectId: string }): EmulatorCredential {
  return { accessKeyId: demo.accessKeyId, secret: demo.accessKeySecret, projectId: demo.projectId };
}
