// Input the admin gave is wrong (command line, batch, config, simulator folder): exit code 2, nothing done.
export class InputError extends Error {
  override readonly name: string = 'InputError';
}
