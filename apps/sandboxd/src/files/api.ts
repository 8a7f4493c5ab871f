import { InRootError, listDirInRoot, readFileInRoot, statInRoot, writeFileInRoot } from '@dockyard/grader';
import { type FileEntry, MAX_FILE_BYTES } from '@dockyard/protocol';
import type { BoxRecord } from '../boxes/manager.js';

/**
 * The editor's and homework's view of a box's files, resolved inside the box root as the box sees it
 * (its own mounts), never following a path out of it.
 */
export class BoxFiles {
  constructor(private readonly box: BoxRecord) {}

  private get root() {
    return `/proc/${this.box.pid}/root`;
  }

  list(path: string): FileEntry[] {
    return listDirInRoot(this.root, path).map((name) => {
      const stats = statInRoot(this.root, `${path}/${name}`, { follow: false });
      const type = !stats
        ? 'other'
        : stats.isSymbolicLink()
          ? 'symlink'
          : stats.isDirectory()
            ? 'dir'
            : stats.isFile()
              ? 'file'
              : 'other';
      return {
        name,
        type,
        size: stats?.size ?? 0,
        mode: ((stats?.mode ?? 0) & 0o7777).toString(8).padStart(4, '0'),
      } satisfies FileEntry;
    });
  }

  read(path: string): { content: string; encoding: 'utf8' | 'base64' } {
    const bytes = readFileInRoot(this.root, path, { maxBytes: MAX_FILE_BYTES });
    const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    // Binary files travel as base64 so the editor never corrupts them.
    return text.includes('\uFFFD')
      ? { content: bytes.toString('base64'), encoding: 'base64' }
      : { content: text, encoding: 'utf8' };
  }

  write(path: string, content: string, encoding: 'utf8' | 'base64') {
    const bytes = encoding === 'base64' ? Buffer.from(content, 'base64') : Buffer.from(content, 'utf8');
    writeFileInRoot(this.root, path, bytes, {
      maxBytes: MAX_FILE_BYTES,
      owner: { uid: this.box.idBase, gid: this.box.idBase },
    });
  }
}

export { InRootError };
