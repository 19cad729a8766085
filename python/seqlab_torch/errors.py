"""Failures the user can act on, printed as SeqLab prints them: what, where, what to do."""
import sys

# The launcher (src/engine/torch/launch.ts) finds this prefix in a rank's output.
PREFIX = 'seqlab-torch error'


class SeqLabTorchError(Exception):
    def __init__(self, code, message, where=None, hint=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.where = where
        self.hint = hint

    def describe(self):
        parts = [self.message]
        if self.where and self.where not in self.message:
            parts.append(f'({self.where})')
        if self.hint:
            parts.append(f'— {self.hint}')
        return ' '.join(parts)


def report(err):
    """One line on stderr, with the code, for the launcher to pass on."""
    print(f'{PREFIX} [{err.code}]: {err.describe()}', file=sys.stderr, flush=True)
