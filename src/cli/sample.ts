import { Command } from 'commander';
import { generateFromCheckpoint } from '../engine';
import { int, num } from './options';

export function registerSample(program: Command): void {
  program
    .command('sample <checkpoint>')
    .description('generate text')
    .option('--prime <text>', 'text to start from', '')
    .option('--length <n>', 'tokens to generate', int('--length'), 300)
    .option('--temperature <t>', '0 = greedy', num('--temperature'), 0.8)
    .option('--top-k <k>', 'sample among the k most likely', int('--top-k'), 0)
    .option('--top-p <p>', 'nucleus sampling', num('--top-p'), 0)
    .option('--seed <n>', 'random seed', int('--seed'), 1)
    .action(
      (
        checkpoint: string,
        f: { prime: string; length: number; temperature: number; topK: number; topP: number; seed: number },
      ) => {
        const text = generateFromCheckpoint(checkpoint, {
          prime: f.prime,
          maxLength: f.length,
          temperature: f.temperature,
          topK: f.topK,
          topP: f.topP,
          seed: f.seed,
        });
        process.stdout.write(f.prime + text + '\n');
      },
    );
}
