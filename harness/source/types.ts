/** Where a kernel's source comes from. */
export type SourceSpec =
  | { kind: 'tarball'; path: string }
  | { kind: 'tree'; path: string }
  | { kind: 'git'; repo: string; ref: string };

/** A source pinned to an identity, ready to be laid into a build slot. */
export interface ResolvedSource {
  spec: SourceSpec;
  /** Content identity: tarball sha256, git tree id, or a plain tree's fingerprint. */
  id: string;
  /** For git: the commit the ref resolved to. */
  commit?: string;
  /** For git: the commit's subject line. */
  subject?: string;
  /** A tree that zdh may read (the unpacked tarball, the user's tree) — never written to. */
  pristine?: string;
  /** What slot family this source shares incremental builds with. */
  family: string;
}
