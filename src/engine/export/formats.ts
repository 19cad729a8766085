/** Kept free of TF.js: the extension names the formats without loading the exporter. */
export type ExportFormat = 'safetensors' | 'tfjs';
export const EXPORT_FORMATS: ExportFormat[] = ['safetensors', 'tfjs'];
