import { type EngineConfig, loadConfig } from './config.js';
import { loadNetworks, type Networks, readHostResolvConf } from './containers/network.js';
import { OciRuntime } from './containers/runtime.js';
import type { SpareNetns } from './containers/spare-netns.js';
import { ImageStore } from './images/store.js';
import { ContainerStore } from './state/containers.js';
import { VolumeStore } from './volumes/store.js';

/** What every verb needs: configuration and the stores. Daemonless: each CLI invocation builds one. */
export class Engine {
  readonly images: ImageStore;
  readonly containers: ContainerStore;
  readonly volumes: VolumeStore;
  readonly runtime: OciRuntime;
  private nets: Networks | undefined;
  /**
   * Set by a long-lived server: slow host cleanup that nothing waits for (deleting a removed container's veth)
   * may finish after the request. A CLI process leaves it off, as it exits right after its verb.
   */
  backgroundCleanup = false;
  /** Network namespaces made ahead of time; only a long-lived server keeps them (see SpareNetns). */
  spareNetns: SpareNetns | undefined;

  constructor(readonly cfg: EngineConfig = loadConfig()) {
    this.images = new ImageStore(cfg.root);
    this.containers = new ContainerStore(cfg.root, cfg.run);
    this.volumes = new VolumeStore(cfg.root);
    this.runtime = new OciRuntime(cfg);
  }

  async networks(): Promise<Networks> {
    if (!this.nets) {
      await readHostResolvConf();
      this.nets = await loadNetworks(this.cfg.root, this.cfg.run);
    }
    return this.nets;
  }

  /** Waits for background cleanup started so far. */
  async settle(): Promise<void> {
    await this.nets?.settle();
  }

  cgroupsPath(id: string): string {
    return `${this.cfg.cgroupParent.replace(/\/$/, '')}/${id}`;
  }
}
