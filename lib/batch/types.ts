// One user of a batch, as given by flags or by a CSV row.

export interface BatchUser {
  /** CSV row as a spreadsheet numbers it (header is row 1, blank lines count); 0 for flags. */
  row: number;
  /** The cloud user's UPN: the key, never changed by the tool. */
  cloudUpn: string;
  /** Update: the AD account to give the cloud UPN (by sAMAccountName or DN). */
  samAccountName: string | null;
  distinguishedName: string | null;
  /** Create a new AD account instead of updating one. */
  create: boolean;
  givenName: string | null;
  surname: string | null;
  /** Create: the OU (DN) to create the account in. */
  ou: string | null;
  /** Columns of the CSV the tool does not know, as given: ignored, and copied to the report. */
  extra?: Record<string, string>;
  /** A pair discover proposed on weak evidence: blocked until someone reviews it (review column). */
  review?: boolean;
}
