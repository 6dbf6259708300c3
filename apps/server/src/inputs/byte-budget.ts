/**
 * A count of bytes that may be held at once (S3 downloads of one request, or of the whole process).
 * Reservations are taken before bytes are read, so a refusal costs no memory.
 */
export class ByteBudget {
  private used = 0;

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.used;
  }

  tryReserve(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }
}
