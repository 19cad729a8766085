export { corpusBleu, type BleuScore } from './bleu';
export { corpusChrf } from './chrf';
export { rougeL } from './rougeL';
export { tokenize13a } from './tokenize13a';
