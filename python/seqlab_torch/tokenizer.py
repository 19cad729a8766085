"""Decoding SeqLab's tokenizers (src/engine/tokenizers) for samples: char and word vocabularies
(id 0 is <unk>, shown as nothing), byte-level BPE from its merges."""


class Decoder:
    def __init__(self, tj):
        self.kind = tj['kind']
        if self.kind == 'bpe':
            self.bytes = [bytes([b]) for b in range(256)]
            for a, b in tj['merges']:
                self.bytes.append(self.bytes[a] + self.bytes[b])
            self.unk = -1
        else:
            self.vocab = tj['vocab']
            self.unk = 0

    def decode(self, ids):
        if self.kind == 'bpe':
            return b''.join(self.bytes[i] for i in ids if 0 <= i < len(self.bytes)).decode('utf-8', 'replace')
        return ''.join(self.vocab[i] for i in ids if 0 < i < len(self.vocab))
