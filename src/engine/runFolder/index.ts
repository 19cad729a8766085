/**
 * The run folder `<root>/.seqlab/runs/<id>/`: its layout, ids, file schemas, the tolerant
 * metrics.jsonl reader, status and checkpoint policy. Nothing else in SeqLab builds these paths.
 */
export * from './checkpoints';
export * from './ids';
export * from './layout';
export * from './lock';
export * from './metrics';
export * from './metricsFile';
export * from './recover';
export * from './resume';
export * from './recorder';
export * from './schema';
export * from './status';
export * from './sweepFile';
export * from './annotations';
export * from './summary';
export * from './summaryScan';
