// The columns of a batch CSV file (users.csv), in order. `create` is yes or no.
export const BATCH_COLUMNS = ['cloudUpn', 'samAccountName', 'distinguishedName', 'create', 'givenName', 'surname', 'ou'] as const;
