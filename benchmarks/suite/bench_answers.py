"""vsbengine.formats.efact.answers: writing the settlement (DF015) and the acceptance."""

from __future__ import annotations

import os
import tempfile

from .common import TODAY, sending_files


class Settlement:
    """``echo``: the real insurers' shape (records 10/90 and the invoices with errors)
    or every record echoed (the heavy case)."""

    params = ([10_000, 100_000], ["errors", "all"])
    param_names = ["records", "echo"]
    timeout = 600

    def setup_cache(self):
        return sending_files(self.params[0], error_rate=0.01)

    def setup(self, files, n, echo):
        import vsbengine
        from vsbengine.formats.efact.answers import Answers

        self.answers = Answers(vsbengine.validate(files[n], today=TODAY), echo=echo)
        self.folder = tempfile.mkdtemp()

    def time_df015_bytes(self, files, n, echo):
        for _ in self.answers.chunks("DF015"):
            pass

    def time_write_all(self, files, n, echo):
        self.answers.write(os.path.join(self.folder, "out"))

    def peakmem_df015(self, files, n, echo):
        for _ in self.answers.chunks("DF015"):
            pass
