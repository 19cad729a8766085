// The run folder's owner moved to ./runFolder; this path stays for the callers that import it.
export * from './runFolder';
