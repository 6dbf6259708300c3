import { OwnedElsewhereError } from '../errors';

/**
 * Which workspace a local resource belongs to. Local state can be shared by several checkouts
 * (one --state-dir, or VAD_LOCAL_STATE_DIR), and endpoint names are short and reused
 * (`vad-default`), so each record carries its owner — the deploy state file that created it — and
 * a LocalTarget with an owner refuses to change what another owner created. A record without an
 * owner (library callers, state written before owners existed) is anyone's; so is every record
 * for a LocalTarget without an owner.
 */
export interface Owned {
  owner?: string;
}

export function assertOwner(rec: Owned | undefined, owner: string | undefined, what: string): void {
  if (!rec?.owner || !owner || rec.owner === owner) return;
  throw new OwnedElsewhereError(
    `${what} belongs to another workspace: it was deployed with the state file ${rec.owner} (this command's is ${owner}); run the command from that workspace, or pick another --name`,
    rec.owner,
  );
}
