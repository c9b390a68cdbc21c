// The columns of a batch CSV file (users.csv), in order. `create` is yes or no.
export const BATCH_COLUMNS = ['cloudUpn', 'samAccountName', 'distinguishedName', 'create', 'givenName', 'surname', 'ou'] as const;
/**
 * The columns `discover` adds after those (how it paired the row); `plan` reads `review` (yes: blocked until
 * reviewed) and ignores the others.
 */
export const DISCOVER_COLUMNS = ['rule', 'confidence', 'evidence', 'review'] as const;
