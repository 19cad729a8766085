/**
 * The safetensors format, written and read by hand (it is small and fixed): an 8-byte little-endian
 * header length, a JSON header naming each tensor's dtype, shape and byte range, then the raw
 * little-endian data. Only F32 is written: SeqLab's weights are float32.
 */

export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** The file's bytes: tensors in the given order, `metadata` as the header's string map. */
export function encodeSafetensors(tensors: NamedTensor[], metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, HeaderEntry | Record<string, string>> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length)
      throw new Error(`${t.name}: shape [${t.shape}] does not hold ${t.data.length} values`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * size] };
    offset += 4 * size;
  }
  let json = JSON.stringify(header);
  // The data starts 8-byte aligned (the format allows trailing spaces in the header for this).
  json += ' '.repeat((8 - ((8 + Buffer.byteLength(json)) % 8)) % 8);
  const head = Buffer.from(json, 'utf8');
  const out = Buffer.alloc(8 + head.length + offset);
  out.writeBigUInt64LE(BigInt(head.length), 0);
  head.copy(out, 8);
  let at = 8 + head.length;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++) out.writeFloatLE(t.data[i], at + 4 * i);
    at += 4 * t.data.length;
  }
  return out;
}

/** Reads a safetensors file's F32 tensors and metadata back; throws on a malformed file. */
export function decodeSafetensors(buf: Buffer): {
  tensors: Map<string, NamedTensor>;
  metadata: Record<string, string>;
} {
  if (buf.length < 8) throw new Error('safetensors: shorter than its 8-byte header length');
  const n = Number(buf.readBigUInt64LE(0));
  if (8 + n > buf.length) throw new Error(`safetensors: header of ${n} bytes runs past the end of the file`);
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<string, HeaderEntry>;
  const base = 8 + n;
  const tensors = new Map<string, NamedTensor>();
  let metadata: Record<string, string> = {};
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') {
      metadata = e as unknown as Record<string, string>;
      continue;
    }
    if (e.dtype !== 'F32') throw new Error(`safetensors: ${name} is ${e.dtype}; only F32 is read`);
    const [from, to] = e.data_offsets;
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (to - from !== 4 * size || base + to > buf.length)
      throw new Error(`safetensors: ${name}'s byte range [${from}, ${to}) does not fit shape [${e.shape}]`);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = buf.readFloatLE(base + from + 4 * i);
    tensors.set(name, { name, shape: e.shape, data });
  }
  return { tensors, metadata };
}
