// Status byte of activation pull responses and push acks, with the values IOTA's miners use.
export const P2PStatus = {NOT_FOUND: 0, SUCCESS: 1, EXPIRED: 2, ERROR: 3, UNAUTHORIZED: 4} as const;
export type P2PStatus = (typeof P2PStatus)[keyof typeof P2PStatus];

const names = Object.fromEntries(Object.entries(P2PStatus).map(([k, v]) => [v, k])) as Record<number, string>;

export const isP2PStatus = (n: number): n is P2PStatus => Number.isInteger(n) && n in names;
export const statusName = (n: number): string => names[n] ?? `0x${n.toString(16).padStart(2, '0')}`;
