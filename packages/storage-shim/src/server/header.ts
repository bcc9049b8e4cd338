/** Builds etcd ResponseHeaders: a single member that is always its own leader, at raft term 1. */
export class HeaderFactory {
  constructor(
    readonly clusterId: string,
    readonly memberId: string,
    private readonly revision: () => number,
  ) {}

  header(revision = this.revision()): Record<string, unknown> {
    return { cluster_id: this.clusterId, member_id: this.memberId, revision, raft_term: 1 };
  }
}
